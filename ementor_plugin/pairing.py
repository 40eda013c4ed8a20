"""Opening and closing matches: the one place that changes who is paired with whom.

Internal to the plugin (``api`` and the run machinery call it). Every function expects to run inside the
caller's transaction, after ``lock_participants`` has locked the rows involved: participant rows are always
locked in ascending id order before any match row, so concurrent writers queue instead of deadlocking. The
database constraints on ``Match.open_key`` and ``Participant.mentor_load`` back every check made here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import errors
from .data import MatchOrigin, MatchStatus, NoticeKind
from .models import OPEN_MATCH_STATUSES, Match, MatchRun, Participant, Program

#: A notice to send: (user id, program id, kind, match id or None), as ``notices.notify`` takes them.
Pending = tuple[int, int, str, int | None]


def lock_participants(ids: Iterable[int | None]) -> dict[int, Participant]:
    """Lock participant rows in ascending id order (one order everywhere, so no deadlocks)."""
    wanted = sorted({pid for pid in ids if pid is not None})
    rows = Participant.objects.select_for_update().filter(id__in=wanted).order_by("id")
    return {row.id: row for row in rows}


def lock_participant_states(ids: Iterable[int]) -> dict[int, tuple[int, str, int, int]]:
    """Lock many participant rows (ascending id, in chunks) and return id -> (user id, status, capacity, load).

    For bulk writers (a run storing thousands of matches): the same locks as ``lock_participants`` without
    loading, and decrypting, whole profiles.
    """
    wanted = sorted(set(ids))
    states: dict[int, tuple[int, str, int, int]] = {}
    for start in range(0, len(wanted), 500):
        rows = (
            Participant.objects.select_for_update()
            .filter(id__in=wanted[start : start + 500])
            .order_by("id")
            .values_list("id", "user_id", "status", "capacity", "mentor_load")
        )
        states.update({pid: (user, status, capacity, load) for pid, user, status, capacity, load in rows})
    return states


def open_match(
    program: Program,
    mentee: Participant,
    mentor: Participant,
    *,
    status: MatchStatus,
    origin: MatchOrigin,
    score: float | None = None,
    explanation: dict | None = None,
    run: MatchRun | None = None,
    actor_id: int | None = None,
) -> Match:
    """Create an open match. The caller has locked both participants' rows (``lock_participants``).

    Raises:
        Conflict: the mentee already has an open match, or the two are the same person.
        CapacityReached: the mentor has no free place.
    """
    if mentee.id == mentor.id:
        raise errors.Conflict(_("A participant cannot mentor themself."), code="same_person")
    mentor.refresh_from_db(fields=["capacity", "mentor_load"])
    if mentor.mentor_load >= mentor.capacity:
        raise errors.CapacityReached(_("This mentor has no free place."))
    now = timezone.now()
    match = Match(
        program=program,
        mentee=mentee,
        mentor=mentor,
        status=status,
        open_key=mentee.id,
        score=score,
        explanation=explanation,
        origin=origin,
        run=run,
        created_by_id=actor_id if origin == MatchOrigin.STAFF else None,
        approved_by_id=actor_id if status == MatchStatus.ACTIVE and origin == MatchOrigin.STAFF else None,
        activated_at=now if status == MatchStatus.ACTIVE else None,
    )
    try:
        with transaction.atomic():
            match.save()
            Participant.objects.filter(pk=mentor.pk).update(mentor_load=F("mentor_load") + 1)
    except IntegrityError:
        # The UNIQUE open_key or the capacity CHECK refused: another writer got there first.
        mentor.refresh_from_db(fields=["capacity", "mentor_load"])
        if mentor.mentor_load >= mentor.capacity:
            raise errors.CapacityReached(_("This mentor has no free place.")) from None
        raise errors.Conflict(_("This learner already has a mentor."), code="already_matched") from None
    mentor.mentor_load += 1
    return match


def close_match(
    match: Match, *, status: MatchStatus, reason: str, actor_id: int | None = None, notify_users: Iterable[int] = ()
) -> list[Pending]:
    """End an open match and free the mentor's place. The caller has locked both participants' rows.

    Returns:
        The notices to send (for ``notices.notify``), to ``notify_users`` when the learners knew the match.
    """
    was_known = match.activated_at is not None
    match.status = status
    match.open_key = None
    match.ended_at = timezone.now()
    match.end_reason = reason
    match.ended_by_id = actor_id
    match.save(update_fields=["status", "open_key", "ended_at", "end_reason", "ended_by", "modified"])
    if match.mentor_id is not None:
        Participant.objects.filter(pk=match.mentor_id).update(mentor_load=F("mentor_load") - 1)
    if not was_known:
        return []
    kind = NoticeKind.MATCH_DECLINED if status == MatchStatus.DECLINED else NoticeKind.MATCH_ENDED
    return [(user, match.program_id, kind, match.id) for user in notify_users]


def end_open_matches_of(participant: Participant, *, reason: str) -> list[Pending]:
    """End every open match the participant is in, telling the partners. Caller holds a transaction."""
    mine = Q(mentee=participant) | Q(mentor=participant)
    pairs = list(Match.objects.filter(mine, status__in=OPEN_MATCH_STATUSES).values_list("mentee_id", "mentor_id"))
    if not pairs:
        return []
    # Lock everyone involved at once, in id order, before the matches themselves.
    lock_participants([participant.id, *(pid for pair in pairs for pid in pair)])
    pending = []
    rows = Match.objects.select_for_update()
    for match in rows.filter(mine, status__in=OPEN_MATCH_STATUSES):
        partner = match.mentor if match.mentee_id == participant.id else match.mentee
        pending += close_match(
            match, status=MatchStatus.ENDED, reason=reason, notify_users=[partner.user_id] if partner else []
        )
    return pending
