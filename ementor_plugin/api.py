"""The Python API of eMentor: the only door into the plugin for the XBlock, REST views, tasks and handlers.

Every public function takes ids and plain values, returns ``data`` objects (never models or querysets) and
raises only ``errors`` types (OEP-49). Functions that act for a person take that person's user id first
(``user_id`` for a learner acting on their own data, ``actor_id`` for course staff) and check permissions
themselves, so callers cannot forget to. Functions taking free keyword fields (``configure_program``,
``join_program``, ``update_profile``, ``update_goal``) take those leading ids positionally only, so a field can
never be mistaken for them.

Concurrency: opening and closing matches lock the participants' rows (ascending id) before touching matches,
and the database's own constraints (see ``models``) back the checks, so two requests racing for a mentor's
last place or a mentee's first match cannot both win.

Logs carry ids only; nothing a person wrote or their name ever reaches a log line or an error message.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from matching.data import FACTORS, normalise_weights
from matching.text import normalise_tag

from . import chunked, errors, goals, notices, pairing, performance, runs, validation
from .data import (
    AreaEvidenceData,
    AreaScore,
    EvidenceData,
    ExperienceLevel,
    ExplanationData,
    FactorData,
    FactorWeight,
    GoalAlignment,
    GoalData,
    GoalStatus,
    GoalSuggestion,
    GoalUpdateData,
    MatchingOverview,
    MatchOrigin,
    MatchResponse,
    MatchStatus,
    MatchSummary,
    MatchView,
    NoticeData,
    NoticeKind,
    Objective,
    ParticipantData,
    ParticipantStatus,
    ParticipantSummary,
    PartnerProfile,
    ProgramData,
    ProgramFigures,
    QualificationData,
    Role,
    RunData,
    RunStatus,
    RunTrigger,
    Schedule,
    Strategy,
    ViewerData,
)
from .models import OPEN_MATCH_STATUSES as _OPEN
from .models import OPEN_RUN_STATUSES as _OPEN_RUNS
from .models import AuditEvent as _AuditEvent
from .models import CoursePerformance as _CoursePerformance
from .models import Goal as _Goal
from .models import GoalUpdate as _GoalUpdate
from .models import Match as _Match
from .models import MatchRun as _MatchRun
from .models import Notice as _Notice
from .models import Participant as _Participant
from .models import Program as _Program
from .platform import CourseGrade, get_platform

__all__ = [
    "add_goal_progress",
    "approve_match",
    "approve_proposed_matches",
    "configure_program",
    "create_goal",
    "create_match",
    "delete_goal",
    "end_match",
    "execute_run",
    "export_matches_csv",
    "fail_chunked_run",
    "finish_chunked_run",
    "get_goal_alignment",
    "get_match",
    "get_match_explanation",
    "get_matching_overview",
    "get_my_match",
    "get_next_run_at",
    "get_participant_profile",
    "get_partner_goals",
    "get_profile",
    "get_program",
    "get_program_figures",
    "get_run",
    "get_viewer",
    "handle_enrollment",
    "handle_unenrollment",
    "is_course_staff",
    "is_enrolled",
    "join_program",
    "list_goals",
    "list_matches",
    "list_my_matches",
    "list_notices",
    "list_participants",
    "list_runs",
    "mark_notices_read",
    "pause_participation",
    "preview_goal_suggestions",
    "programs_due_for_run",
    "reassign_match",
    "record_course_grade",
    "record_passing_status",
    "recover_stale_runs",
    "request_run",
    "request_scheduled_run",
    "respond_to_match",
    "resume_participation",
    "retire_user",
    "score_run_chunk",
    "skill_key",
    "suggest_goals",
    "update_goal",
    "update_profile",
    "withdraw",
]

log = logging.getLogger(__name__)


_PROFILE_EXTRA = ("role", "consent_version")
_GOAL_LIMIT = 20
_EXPORT_COLUMNS = (
    "match_id", "course_key", "status", "origin", "run_id", "score", "mentee_user_id", "mentee_username",
    "mentor_user_id", "mentor_username", "mentee_response", "mentor_response", "created", "activated_at",
    "ended_at", "end_reason",
)


def _public[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Turn database failures into ``errors.StorageError`` so callers never see driver exceptions.

    Connection-level failures (lost connection, lock wait timeout, deadlock) become the retryable
    ``TransientStorageError``; the Celery task retries on it.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            log.warning("eMentor %s hit a transient database error: %s", func.__name__, type(exc).__name__)
            raise errors.TransientStorageError() from exc
        except DatabaseError as exc:
            log.exception("eMentor %s hit a database error", func.__name__)
            raise errors.StorageError() from exc

    return wrapper


# ================================================================================================================
# Small helpers
# ================================================================================================================


def _now() -> datetime:
    return timezone.now()


def _course_key(value: CourseKey | str) -> CourseKey:
    if isinstance(value, CourseKey):
        return value
    try:
        return CourseKey.from_string(str(value))
    except InvalidKeyError:
        raise errors.ValidationError({"course_key": [_("This is not a valid course id.")]}) from None


def _program(course_key: CourseKey | str, *, lock: bool = False) -> _Program:
    queryset = _Program.objects.select_for_update() if lock else _Program.objects
    program = queryset.filter(course_key=_course_key(course_key)).first()
    if program is None:
        raise errors.NotFound(_("This course has no mentoring program."))
    return program


def _require_staff(actor_id: int | None, course_key: CourseKey) -> None:
    if actor_id is None or not get_platform().is_course_staff(actor_id, course_key):
        raise errors.PermissionDenied(_("Only the course team can do this."))


def _require_enrolled(user_id: int, course_key: CourseKey) -> None:
    if not get_platform().is_enrolled(user_id, course_key):
        raise errors.NotEnrolled(_("Enroll in the course to take part in its mentoring program."))


def _participant_of(user_id: int, program: _Program) -> _Participant:
    participant = _Participant.objects.filter(user_id=user_id, program=program).first()
    if participant is None:
        raise errors.NotFound(_("You have not joined this mentoring program."))
    return participant


def _audit(
    actor_id: int | None,
    action: str,
    *,
    program: _Program | None = None,
    target: Any = None,
    subject_user_id: int | None = None,
    **details: Any,
) -> None:
    _AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        program=program,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "pk", None),
        subject_user_id=subject_user_id,
        details=details,
    )


def _consent_version() -> str:
    return str(getattr(settings, "EMENTOR_PRIVACY_NOTICE_VERSION", ""))


def _is_open_for_enrollment(program: _Program, now: datetime | None = None) -> bool:
    now = now or _now()
    if program.enrollment_opens and now < program.enrollment_opens:
        return False
    return not (program.enrollment_closes and now >= program.enrollment_closes)


def _username(participant: _Participant | None) -> str:
    return participant.user.username if participant is not None else ""


# ================================================================================================================
# Converters: rows -> data objects
# ================================================================================================================


def _program_data(program: _Program) -> ProgramData:
    return ProgramData(
        course_key=str(program.course_key),
        title=program.title,
        pitch=program.pitch,
        benefits=program.benefits,
        outcomes=program.outcomes,
        enrollment_opens=program.enrollment_opens,
        enrollment_closes=program.enrollment_closes,
        is_enrollment_open=_is_open_for_enrollment(program),
        strategy=Strategy(program.strategy),
        objective=Objective(program.objective),
        weights=runs.program_weights(program),
        min_score=program.min_score,
        language_required=program.language_required,
        default_mentor_capacity=program.default_mentor_capacity,
        max_mentor_capacity=program.max_mentor_capacity,
        mentor_grade_threshold=program.mentor_grade_threshold,
        weak_area_threshold=program.weak_area_threshold,
        requires_approval=program.requires_approval,
        schedule=Schedule(program.schedule),
        skills=tuple(program.skills or ()),
        created=program.created,
        modified=program.modified,
    )


def _participant_data(participant: _Participant, program: _Program) -> ParticipantData:
    return ParticipantData(
        id=participant.id,
        user_id=participant.user_id,
        course_key=str(program.course_key),
        role=Role(participant.role),
        status=ParticipantStatus(participant.status),
        skills_offered=tuple(participant.skills_offered or ()),
        skills_wanted=tuple(participant.skills_wanted or ()),
        aspirations=participant.aspirations or "",
        about=participant.about or "",
        languages=tuple(participant.languages or ()),
        availability=tuple(participant.availability or ()),
        time_zone=participant.time_zone,
        capacity=participant.capacity,
        load=participant.mentor_load,
        experience_level=ExperienceLevel(participant.experience_level),
        share_performance=participant.share_performance,
        consent_version=participant.consent_version,
        consent_at=participant.consent_at,
        consent_current=participant.consent_version == _consent_version(),
        joined=participant.created,
        modified=participant.modified,
    )


def _goal_data(goal: _Goal, updates: Iterable[_GoalUpdate] | None = None) -> GoalData:
    if updates is None:
        updates = goal.updates.all()
    return GoalData(
        id=goal.id,
        participant_id=goal.participant_id,
        title=goal.title,
        success_criteria=goal.success_criteria,
        target_date=goal.target_date,
        status=GoalStatus(goal.status),
        progress=goal.progress,
        suggestion_key=goal.suggestion_key,
        updates=tuple(
            GoalUpdateData(id=u.id, progress=u.progress, note=u.note, created=u.created)
            for u in sorted(updates, key=lambda u: (u.created, u.id))
        ),
        created=goal.created,
        modified=goal.modified,
    )


def _run_data(run: _MatchRun, course_key: CourseKey | str | None = None) -> RunData:
    return RunData(
        id=run.id,
        course_key=str(course_key if course_key is not None else run.program.course_key),
        status=RunStatus(run.status),
        stage=run.stage,
        percent=run.percent,
        trigger=RunTrigger(run.trigger),
        requested_by_user_id=run.requested_by_id,
        config=dict(run.config or {}),
        figures=dict(run.figures or {}),
        error=run.error,
        created=run.created,
        started_at=run.started_at,
        finished_at=run.finished_at,
        celery_task_id=run.celery_task_id,
        attempts=run.attempts,
        is_open=run.status in _OPEN_RUNS,
    )


def _match_summary(match: _Match, course_key: CourseKey | str) -> MatchSummary:
    return MatchSummary(
        id=match.id,
        course_key=str(course_key),
        status=MatchStatus(match.status),
        mentee_participant_id=match.mentee_id,
        mentee_user_id=match.mentee.user_id if match.mentee else None,
        mentee_username=_username(match.mentee),
        mentor_participant_id=match.mentor_id,
        mentor_user_id=match.mentor.user_id if match.mentor else None,
        mentor_username=_username(match.mentor),
        score=match.score,
        origin=MatchOrigin(match.origin),
        run_id=match.run_id,
        mentee_response=MatchResponse(match.mentee_response),
        mentor_response=MatchResponse(match.mentor_response),
        created=match.created,
        activated_at=match.activated_at,
        ended_at=match.ended_at,
        end_reason=match.end_reason,
    )


def _area_scores(grade: CourseGrade | None) -> list[AreaScore]:
    if grade is None:
        return []
    return [AreaScore(area=area, score=float(score)) for area, score in sorted(grade.areas.items())]


def _qualifications(partner: _Participant, grade: CourseGrade | None) -> tuple[QualificationData, ...]:
    if not partner.share_performance or grade is None:
        return ()
    out = []
    if grade.percent is not None:
        out.append(QualificationData("course_grade", _("Course grade"), round(float(grade.percent), 4), True))
    if grade.has_certificate:
        out.append(QualificationData("certificate", _("Course certificate earned"), None, True))
    return tuple(out)


# ================================================================================================================
# Programs
# ================================================================================================================


@_public
def get_program(course_key: CourseKey | str) -> ProgramData:
    """Return a course's mentoring program.

    Anyone may read it: it is the course team's public description and configuration.

    Raises:
        NotFound: the course has no program.
        ValidationError: ``course_key`` is not a course id.

    Example:
        >>> program = get_program("course-v1:edX+DemoX+2026")
        >>> program.strategy, program.is_enrollment_open
        (<Strategy.OPTIMAL: 'optimal'>, True)
    """
    return _program_data(_program(course_key))


@_public
def configure_program(actor_id: int, course_key: CourseKey | str, /, **changes: Any) -> ProgramData:
    """Create or change a course's program; course staff only. Fields not given keep their value.

    Args:
        actor_id: the staff user.
        course_key: the course.
        **changes: any of ``title, pitch, benefits, outcomes, enrollment_opens, enrollment_closes`` (aware
            datetimes or None), ``strategy`` ("optimal"/"stable"), ``objective`` ("score"/"coverage"),
            ``weights`` (factor -> non-negative number; the factors are ``matching.FACTORS``), ``min_score``,
            ``mentor_grade_threshold``, ``weak_area_threshold`` (numbers in [0, 1]), ``language_required``,
            ``requires_approval`` (bools), ``default_mentor_capacity``, ``max_mentor_capacity`` (1..50),
            ``schedule`` ("manual"/"daily"/"weekly"), ``skills`` (list of skill names offered).

    Raises:
        PermissionDenied: the actor is not course staff.
        NotFound: the course does not exist.
        ValidationError: unknown fields or invalid values; ``field_errors`` names each.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    validation.reject_unknown(changes, validation.PROGRAM_CLEANERS)
    collector = validation.Collector()
    clean = {name: collector.clean(name, value, validation.PROGRAM_CLEANERS[name]) for name, value in changes.items()}
    collector.raise_if_any()
    with transaction.atomic():
        program = _Program.objects.select_for_update().filter(course_key=key).first()
        created = program is None
        if created:
            if not get_platform().course_exists(key):
                raise errors.NotFound(_("This course does not exist."))
            program = _Program(course_key=key)
        for name, value in clean.items():
            setattr(program, name, value)
        _check_program(program)
        program.save()
        _audit(actor_id, _AuditEvent.Action.CONFIGURE_PROGRAM, program=program, target=program,
               fields=sorted(clean), created=created)
    log.info("eMentor program %s configured by user %s (fields: %s)", program.id, actor_id, ",".join(sorted(clean)))
    return _program_data(program)


def _check_program(program: _Program) -> None:
    """Rules across fields, checked on the values the program will have after the change."""
    collector = validation.Collector()
    if program.default_mentor_capacity > program.max_mentor_capacity:
        collector.add("default_mentor_capacity", _("The default capacity cannot exceed the maximum capacity."))
    if program.enrollment_opens and program.enrollment_closes and program.enrollment_opens >= program.enrollment_closes:
        collector.add("enrollment_closes", _("Enrollment must close after it opens."))
    collector.raise_if_any()


@_public
def get_program_figures(course_key: CourseKey | str) -> ProgramFigures:
    """Return live, anonymous figures about a program for the recruitment panel.

    Raises:
        NotFound: the course has no program.
    """
    program = _program(course_key)
    people = _Participant.objects.filter(program=program).exclude(status=ParticipantStatus.WITHDRAWN)
    mentors = people.filter(role__in=(Role.MENTOR, Role.BOTH))
    mentees = people.filter(role__in=(Role.MENTEE, Role.BOTH))
    active = _Match.objects.filter(program=program, status=MatchStatus.ACTIVE)
    paired = set(active.values_list("mentee_id", flat=True)) | set(active.values_list("mentor_id", flat=True))
    paired.discard(None)
    open_places = 0
    for capacity, load in mentors.filter(status=ParticipantStatus.ACTIVE).values_list("capacity", "mentor_load"):
        open_places += max(0, capacity - load)
    waiting = (
        mentees.filter(status=ParticipantStatus.ACTIVE)
        .exclude(Exists(_Match.objects.filter(open_key=OuterRef("pk"))))
        .count()
    )
    return ProgramFigures(
        course_key=str(program.course_key),
        participants=people.count(),
        mentors=mentors.count(),
        mentees=mentees.count(),
        active_matches=active.count(),
        paired_learners=len(paired),
        matches_made=_Match.objects.filter(program=program, activated_at__isnull=False).count(),
        open_mentor_places=open_places,
        waiting_mentees=waiting,
    )


_FACTOR_DESCRIPTIONS = {
    "skills": "Skills the mentee wants help with that the mentor offers.",
    "aspirations": "How close the mentee's aspirations are to what the mentor wrote about themself.",
    "performance": "Course areas where the mentor is strong and the mentee is weak.",
    "language": "Languages you both speak.",
    "availability": "Weekly hours you are both available.",
}


@_public
def get_matching_overview(course_key: CourseKey | str) -> MatchingOverview:
    """Explain how matching works in a program: the factors, their weights, the strategy, in plain words.

    Raises:
        NotFound: the course has no program.
    """
    program = _program(course_key)
    weights = normalise_weights(runs.program_weights(program))
    factors = tuple(FactorWeight(name, round(weights[name], 4), _(_FACTOR_DESCRIPTIONS[name])) for name in FACTORS)
    if program.strategy == Strategy.STABLE:
        how = _("Pairs are chosen so that no mentee and mentor would both rather be paired with each other than "
                "with whom they got.")
    elif program.objective == Objective.COVERAGE:
        how = _("Pairs are chosen to give as many mentees as possible a mentor, and then the best fit overall.")
    else:
        how = _("Pairs are chosen to give the best total fit across everyone in the program.")
    return MatchingOverview(
        course_key=str(program.course_key),
        strategy=Strategy(program.strategy),
        objective=Objective(program.objective),
        factors=factors,
        min_score=program.min_score,
        language_required=program.language_required,
        requires_approval=program.requires_approval,
        description=how,
    )


@_public
def get_viewer(user_id: int | None, course_key: CourseKey | str) -> ViewerData:
    """Describe the current user with respect to a course's program: enrolled, staff, joined, invited as what.

    Works for anonymous users (``user_id=None``) and for courses without a program, so the XBlock can
    always render something sensible.
    """
    key = _course_key(course_key)
    program = _Program.objects.filter(course_key=key).first()
    platform = get_platform()
    enrolled = user_id is not None and platform.is_enrolled(user_id, key)
    is_staff = user_id is not None and platform.is_course_staff(user_id, key)
    participant = None
    grade = None
    if program is not None and user_id is not None:
        participant = _Participant.objects.filter(user_id=user_id, program=program).first()
        grade = performance.course_grade(key, user_id)
    weak_threshold = program.weak_area_threshold if program else 0.6
    mentor_threshold = program.mentor_grade_threshold if program else 1.0
    areas = _area_scores(grade)
    weak = tuple(sorted((a for a in areas if a.score < weak_threshold), key=lambda a: (a.score, a.area)))
    strong = tuple(sorted((a for a in areas if a.score >= mentor_threshold), key=lambda a: (-a.score, a.area)))
    percent = grade.percent if grade is not None else None
    eligible = program is not None and percent is not None and percent >= mentor_threshold
    if participant is not None and participant.status != ParticipantStatus.WITHDRAWN:
        blocked = "already_joined"
    elif program is None:
        blocked = "no_program"
    elif not enrolled:
        blocked = "not_enrolled"
    elif not _is_open_for_enrollment(program):
        blocked = "enrollment_closed"
    else:
        blocked = None
    unread = 0
    if program is not None and user_id is not None:
        unread = _Notice.objects.filter(user_id=user_id, program=program, read_at__isnull=True).count()
    return ViewerData(
        user_id=user_id or 0,
        course_key=str(key),
        program_exists=program is not None,
        enrolled=enrolled,
        is_staff=is_staff,
        participant=_participant_data(participant, program) if participant is not None else None,
        grade=percent,
        eligible_to_mentor=eligible,
        invited_as=(Role.MENTOR, Role.BOTH) if eligible else (Role.MENTEE,),
        weak_areas=weak,
        strong_areas=strong,
        can_join=blocked is None,
        join_blocked_reason=blocked,
        privacy_notice_version=_consent_version(),
        consent_current=participant is not None and participant.consent_version == _consent_version(),
        unread_notices=unread,
    )


@_public
def is_enrolled(user_id: int | None, course_key: CourseKey | str) -> bool:
    """Whether the user holds an active enrollment in the course (False for anonymous users).

    A cheap question for callers that only need this answer (REST permission checks); ``get_viewer`` answers
    it too, with everything else the XBlock shows.

    Raises:
        ValidationError: ``course_key`` is not a course id.
    """
    key = _course_key(course_key)
    return user_id is not None and get_platform().is_enrolled(user_id, key)


@_public
def is_course_staff(user_id: int | None, course_key: CourseKey | str) -> bool:
    """Whether the user is staff of the course: course staff, instructors, global staff and superusers.

    Raises:
        ValidationError: ``course_key`` is not a course id.
    """
    key = _course_key(course_key)
    return user_id is not None and get_platform().is_course_staff(user_id, key)


# ================================================================================================================
# Participation
# ================================================================================================================


def _clean_profile(
    program: _Program, values: Mapping[str, Any], *, participant: _Participant | None
) -> dict[str, Any]:
    """Validate profile input against the program; returns clean values or raises ValidationError."""
    allowed = (*validation.PROFILE_FIELDS, *_PROFILE_EXTRA)
    validation.reject_unknown(values, allowed)
    cleaners = validation.profile_cleaners(program.skills or (), program.max_mentor_capacity)
    collector = validation.Collector()
    clean = {name: collector.clean(name, value, cleaners[name]) for name, value in values.items()}
    collector.raise_if_any()

    role = clean.get("role") or (Role(participant.role) if participant else None)
    if "consent_version" in clean and clean["consent_version"] != _consent_version():
        collector.add("consent_version", _("Please read and accept the current privacy notice and code of conduct."))
    if role is not None and role.mentors:
        capacity = clean.get("capacity")
        if capacity is None:
            current = participant.capacity if participant is not None else 0
            capacity = current if current > 0 else program.default_mentor_capacity
            clean["capacity"] = capacity
        if capacity < 1:
            collector.add("capacity", _("A mentor takes at least one mentee."))
        if participant is not None and capacity < participant.mentor_load:
            collector.add(
                "capacity",
                _("You are mentoring {count} people now; your capacity cannot be lower.").format(
                    count=participant.mentor_load
                ),
            )
    elif role is not None:
        if participant is not None and participant.mentor_load > 0:
            collector.add("role", _("End your current mentoring pairings before you stop mentoring."))
        clean["capacity"] = 0
    collector.raise_if_any()
    return clean


def _check_mentor_eligibility(program: _Program, user_id: int, role: Role) -> None:
    if not role.mentors:
        return
    grade = performance.course_grade(program.course_key, user_id)
    if grade is None or grade.percent is None or grade.percent < program.mentor_grade_threshold:
        raise errors.ValidationError(
            {"role": [_("Mentors need a course grade of at least {threshold:.0%}.").format(
                threshold=program.mentor_grade_threshold
            )]}
        )


def skill_key(skill: str) -> str:
    """The key two skills are the same skill by (case, accents, spacing and hyphens ignored, as in matching).

    Forms use it to give a typed skill the program's spelling before sending it, as joining would anyway.
    """
    return normalise_tag(skill)


@_public
def join_program(user_id: int, course_key: CourseKey | str, /, *, role: str, consent_version: str,
                 **profile: Any) -> ParticipantData:
    """Join a course's program (or rejoin after withdrawing) as mentee, mentor or both.

    Args:
        user_id: the learner.
        course_key: the course.
        role: "mentee", "mentor" or "both". Mentoring needs a course grade at the program's threshold.
        consent_version: the privacy notice and code of conduct version the learner accepted; must be the
            current one (``ViewerData.privacy_notice_version``).
        **profile: ``skills_offered``, ``skills_wanted`` (lists of free tags; one matching a program skill takes
            its spelling), ``aspirations``, ``about`` (text, stored encrypted), ``languages`` (codes), ``availability``
            (hour-of-week slots in UTC, 0..167), ``time_zone`` (IANA name), ``capacity`` (mentors; default the
            program's), ``experience_level``, ``share_performance`` (bool).

    Raises:
        NotFound: no program. NotEnrolled: not enrolled in the course. EnrollmentClosed: outside the
        enrollment window. Conflict (code "already_joined"): already an active or paused participant.
        ValidationError: invalid profile, outdated consent, or not eligible to mentor (on ``role``).
    """
    key = _course_key(course_key)
    program = _program(key)
    _require_enrolled(user_id, key)
    if not _is_open_for_enrollment(program):
        raise errors.EnrollmentClosed(_("The mentoring program is not taking new participants right now."))
    values = {"role": role, "consent_version": consent_version, **profile}
    with transaction.atomic():
        existing = _Participant.objects.select_for_update().filter(user_id=user_id, program=program).first()
        if existing is not None and existing.status != ParticipantStatus.WITHDRAWN:
            raise errors.Conflict(_("You have already joined this mentoring program."), code="already_joined")
        clean = _clean_profile(program, values, participant=existing)
        _check_mentor_eligibility(program, user_id, clean["role"])
        participant = existing or _Participant(user_id=user_id, program=program)
        for name, value in clean.items():
            setattr(participant, name, value)
        participant.status = ParticipantStatus.ACTIVE
        participant.status_reason = "joined"
        participant.consent_at = _now()
        try:
            with transaction.atomic():
                participant.save()
        except IntegrityError:
            raise errors.Conflict(_("You have already joined this mentoring program."), code="already_joined") from None
    log.info("eMentor user %s joined program %s as %s", user_id, program.id, participant.role)
    return _participant_data(participant, program)


@_public
def get_profile(user_id: int, course_key: CourseKey | str) -> ParticipantData:
    """Return the learner's own profile in a course's program (with their private text).

    Raises:
        NotFound: no program, or the learner has not joined.
    """
    program = _program(course_key)
    return _participant_data(_participant_of(user_id, program), program)


@_public
def update_profile(user_id: int, course_key: CourseKey | str, /, **changes: Any) -> ParticipantData:
    """Change the learner's own profile; fields not given keep their value.

    Args:
        user_id: the learner (positional only).
        course_key: the course (positional only).
        **changes: ``role``, ``consent_version`` (to accept a new notice) and the profile fields of
            ``join_program``.

    Raises:
        NotFound: not joined. Conflict (code "withdrawn"): the learner withdrew (rejoin instead).
        ValidationError: invalid values, a capacity below the current number of mentees, dropping the mentor
            role while mentoring, or a new mentor role without the grade for it.
    """
    program = _program(course_key)
    with transaction.atomic():
        participant = _Participant.objects.select_for_update().filter(user_id=user_id, program=program).first()
        if participant is None:
            raise errors.NotFound(_("You have not joined this mentoring program."))
        if participant.status == ParticipantStatus.WITHDRAWN:
            raise errors.Conflict(_("You left this program; join it again instead."), code="withdrawn")
        clean = _clean_profile(program, changes, participant=participant)
        new_role = clean.get("role")
        if new_role is not None and new_role != participant.role:
            if new_role.mentors and not Role(participant.role).mentors:
                _check_mentor_eligibility(program, user_id, new_role)
            if not new_role.wants_mentor and _Match.objects.filter(open_key=participant.id).exists():
                raise errors.ValidationError({"role": [_("You have a mentor now; end that pairing first.")]})
        for name, value in clean.items():
            setattr(participant, name, value)
        if "consent_version" in clean:
            participant.consent_at = _now()
        participant.save()
    return _participant_data(participant, program)


def _set_status(user_id: int, course_key: CourseKey | str, status: ParticipantStatus, reason: str) -> ParticipantData:
    program = _program(course_key)
    with transaction.atomic():
        participant = _Participant.objects.filter(user_id=user_id, program=program).first()
        if participant is None:
            raise errors.NotFound(_("You have not joined this mentoring program."))
        if participant.status == ParticipantStatus.WITHDRAWN and status != ParticipantStatus.WITHDRAWN:
            raise errors.Conflict(_("You left this program; join it again instead."), code="withdrawn")
        pending: list[tuple[int, int, str, int | None]] = []
        if status == ParticipantStatus.WITHDRAWN:
            pending = pairing.end_open_matches_of(participant, reason=reason)
        participant = pairing.lock_participants([participant.id])[participant.id]
        participant.status = status
        participant.status_reason = reason
        participant.save(update_fields=["status", "status_reason", "modified"])
        notices.notify(pending)
    log.info("eMentor participant %s is now %s (%s)", participant.id, status, reason)
    return _participant_data(participant, program)


@_public
def pause_participation(user_id: int, course_key: CourseKey | str) -> ParticipantData:
    """Stop receiving new matches for a while; current matches continue.

    Raises:
        NotFound: not joined. Conflict: withdrawn.
    """
    return _set_status(user_id, course_key, ParticipantStatus.PAUSED, "paused")


@_public
def resume_participation(user_id: int, course_key: CourseKey | str) -> ParticipantData:
    """Take part in matching again after a pause (or after re-enrolling in the course).

    Raises:
        NotFound: not joined. Conflict: withdrawn. NotEnrolled: no longer enrolled.
    """
    _require_enrolled(user_id, _course_key(course_key))
    return _set_status(user_id, course_key, ParticipantStatus.ACTIVE, "resumed")


@_public
def withdraw(user_id: int, course_key: CourseKey | str) -> ParticipantData:
    """Leave the program: open matches end, partners are told, the profile stays for a possible rejoin.

    Raises:
        NotFound: not joined.
    """
    return _set_status(user_id, course_key, ParticipantStatus.WITHDRAWN, "withdrawn")


# ================================================================================================================
# Goals
# ================================================================================================================


def _own_goal(user_id: int, goal_id: int, *, lock: bool = False) -> _Goal:
    queryset = _Goal.objects.select_for_update() if lock else _Goal.objects
    goal = queryset.select_related("participant").filter(pk=goal_id, participant__user_id=user_id).first()
    if goal is None:
        raise errors.NotFound(_("This goal does not exist."))
    return goal


def _active_participant(user_id: int, course_key: CourseKey | str) -> tuple[_Program, _Participant]:
    program = _program(course_key)
    participant = _participant_of(user_id, program)
    if participant.status == ParticipantStatus.WITHDRAWN:
        raise errors.Conflict(_("You left this program; join it again instead."), code="withdrawn")
    return program, participant


@_public
def list_goals(user_id: int, course_key: CourseKey | str) -> list[GoalData]:
    """Return the learner's own goals in a program, oldest first, with their progress updates.

    Raises:
        NotFound: no program, or not joined.
    """
    program = _program(course_key)
    participant = _participant_of(user_id, program)
    return _goals_of(participant)


def _goals_of(participant: _Participant) -> list[GoalData]:
    rows = list(_Goal.objects.filter(participant=participant).order_by("created", "id").prefetch_related("updates"))
    return [_goal_data(goal) for goal in rows]


@_public
def create_goal(user_id: int, course_key: CourseKey | str, *, title: str, success_criteria: str = "",
                target_date: Any = None, suggestion_key: str = "") -> GoalData:
    """Add a goal for the learner (mentor or mentee; each side writes its own, independently).

    Args:
        user_id: the learner.
        course_key: the course.
        title: what the learner wants to achieve (required, at most 200 characters; stored encrypted).
        success_criteria: what success looks like (stored encrypted).
        target_date: a ``date`` not in the past, or None.
        suggestion_key: the ``GoalSuggestion.key`` the goal was adopted from, if any.

    Raises:
        NotFound: not joined. Conflict: withdrawn, or already 20 goals. ValidationError: invalid values.
    """
    _program_row, participant = _active_participant(user_id, course_key)
    values = {"title": title, "success_criteria": success_criteria, "target_date": target_date,
              "suggestion_key": suggestion_key}
    collector = validation.Collector()
    clean = {name: collector.clean(name, value, validation.GOAL_CLEANERS[name]) for name, value in values.items()}
    if clean.get("target_date") and clean["target_date"] < timezone.localdate():
        collector.add("target_date", _("Choose a date that is not in the past."))
    collector.raise_if_any()
    with transaction.atomic():
        pairing.lock_participants([participant.id])
        if _Goal.objects.filter(participant=participant).count() >= _GOAL_LIMIT:
            raise errors.Conflict(_("You can keep at most {limit} goals.").format(limit=_GOAL_LIMIT),
                                  code="too_many_goals")
        goal = _Goal.objects.create(participant=participant, **clean)
    return _goal_data(goal, updates=())


@_public
def update_goal(user_id: int, goal_id: int, /, **changes: Any) -> GoalData:
    """Change one of the learner's own goals: ``title``, ``success_criteria``, ``target_date``, ``status``.

    Raises:
        NotFound: not the learner's goal. ValidationError: unknown fields or invalid values.
    """
    validation.reject_unknown(changes, ("title", "success_criteria", "target_date", "status"))
    collector = validation.Collector()
    clean = {name: collector.clean(name, value, validation.GOAL_CLEANERS[name]) for name, value in changes.items()}
    collector.raise_if_any()
    with transaction.atomic():
        goal = _own_goal(user_id, goal_id, lock=True)
        for name, value in clean.items():
            setattr(goal, name, value)
        if clean.get("status") == GoalStatus.ACHIEVED:
            goal.progress = 100
        goal.save()
    return _goal_data(goal)


@_public
def delete_goal(user_id: int, goal_id: int) -> None:
    """Delete one of the learner's own goals and its progress updates.

    Raises:
        NotFound: not the learner's goal.
    """
    goal = _own_goal(user_id, goal_id)
    goal.delete()


@_public
def add_goal_progress(user_id: int, goal_id: int, *, progress: int, note: str = "") -> GoalData:
    """Record progress on one of the learner's own goals.

    Progress 100 marks the goal achieved; progress above 0 moves an open goal to in progress.

    Args:
        user_id: the learner.
        goal_id: one of the learner's goals.
        progress: percent 0..100.
        note: what happened (stored encrypted).

    Raises:
        NotFound: not the learner's goal. ValidationError: progress or note invalid.
    """
    collector = validation.Collector()
    progress = collector.clean("progress", progress, validation.integer(0, 100))
    note = collector.clean("note", note, validation.text(validation.MAX_TEXT))
    collector.raise_if_any()
    with transaction.atomic():
        goal = _own_goal(user_id, goal_id, lock=True)
        _GoalUpdate.objects.create(goal=goal, progress=progress, note=note)
        goal.progress = progress
        if progress >= 100:
            goal.status = GoalStatus.ACHIEVED
        elif progress > 0 and goal.status == GoalStatus.OPEN:
            goal.status = GoalStatus.IN_PROGRESS
        goal.save(update_fields=["progress", "status", "modified"])
    return _goal_data(goal)


@_public
def suggest_goals(user_id: int, course_key: CourseKey | str) -> list[GoalSuggestion]:
    """Suggest goals personalised from the learner's course performance, role(s) and experience.

    Suggestions the learner already adopted (by ``suggestion_key``) are left out.

    Raises:
        NotFound: no program, or not joined.
    """
    program = _program(course_key)
    participant = _participant_of(user_id, program)
    grade = performance.course_grade(program.course_key, user_id)
    areas = _area_scores(grade)
    role = Role(participant.role)
    found = goals.suggestions(
        wants_mentor=role.wants_mentor,
        mentors=role.mentors,
        experience=ExperienceLevel(participant.experience_level),
        weak_areas=sorted((a for a in areas if a.score < program.weak_area_threshold), key=lambda a: a.score),
        strong_areas=sorted((a for a in areas if a.score >= program.mentor_grade_threshold), key=lambda a: -a.score),
        grade=grade.percent if grade is not None else None,
        target=program.weak_area_threshold,
    )
    adopted = set(_Goal.objects.filter(participant=participant).exclude(suggestion_key="")
                  .values_list("suggestion_key", flat=True))
    return [suggestion for suggestion in found if suggestion.key not in adopted]


@_public
def preview_goal_suggestions(user_id: int, course_key: CourseKey | str, *, role: str,
                             experience_level: str = ExperienceLevel.BEGINNER) -> list[GoalSuggestion]:
    """Suggest first goals to a learner who is still joining (the joining form's goal step), before any profile.

    Personalised like ``suggest_goals``: from the learner's own course performance, for the role and
    experience level they are choosing.

    Raises:
        NotFound: the course has no program. ValidationError: unknown role or experience level.
    """
    program = _program(course_key)
    collector = validation.Collector()
    role = collector.clean("role", role, validation.choice(Role))
    experience = collector.clean("experience_level", experience_level, validation.choice(ExperienceLevel))
    collector.raise_if_any()
    grade = performance.course_grade(program.course_key, user_id)
    areas = _area_scores(grade)
    return goals.suggestions(
        wants_mentor=role.wants_mentor,
        mentors=role.mentors,
        experience=experience,
        weak_areas=sorted((a for a in areas if a.score < program.weak_area_threshold), key=lambda a: a.score),
        strong_areas=sorted((a for a in areas if a.score >= program.mentor_grade_threshold), key=lambda a: -a.score),
        grade=grade.percent if grade is not None else None,
        target=program.weak_area_threshold,
    )


# ================================================================================================================
# Matches, as a learner
# ================================================================================================================


def _my_match(user_id: int, match_id: int) -> tuple[_Match, _Participant, _Participant | None, Role]:
    """The match if the user is in it and it was ever shown to learners; (match, me, partner, my role)."""
    match = (
        _Match.objects.select_related("program", "mentee__user", "mentor__user", "run")
        .filter(pk=match_id, activated_at__isnull=False)
        .filter(Q(mentee__user_id=user_id) | Q(mentor__user_id=user_id))
        .first()
    )
    if match is None:
        raise errors.NotFound(_("This pairing does not exist."))
    if match.mentee is not None and match.mentee.user_id == user_id:
        return match, match.mentee, match.mentor, Role.MENTEE
    return match, match.mentor, match.mentee, Role.MENTOR


def _match_view(match: _Match, me: _Participant, partner: _Participant | None, my_role: Role,
                grades: Mapping[int, CourseGrade]) -> MatchView:
    active = match.status == MatchStatus.ACTIVE
    partner_role = Role.MENTOR if my_role == Role.MENTEE else Role.MENTEE
    if partner is not None and active:
        skills = partner.skills_offered if partner_role == Role.MENTOR else partner.skills_wanted
        profile = PartnerProfile(
            user_id=partner.user_id,
            username=partner.user.username,
            role=partner_role,
            skills=tuple(skills or ()),
            about=partner.about,
            aspirations=partner.aspirations,
            languages=tuple(partner.languages or ()),
            time_zone=partner.time_zone,
            overlapping_hours=tuple(sorted(set(me.availability or ()) & set(partner.availability or ()))),
            # Qualifications vouch for mentors; a mentee's grade is not shown as one.
            qualifications=_qualifications(partner, grades.get(partner.user_id)) if partner_role == Role.MENTOR else (),
        )
    else:
        profile = PartnerProfile(
            user_id=partner.user_id if partner else None,
            username=partner.user.username if partner else "",
            role=partner_role,
            skills=(),
            about="",
            aspirations="",
            languages=(),
            time_zone="",
            overlapping_hours=(),
            qualifications=(),
        )
    mine, theirs = ("mentee", "mentor") if my_role == Role.MENTEE else ("mentor", "mentee")
    return MatchView(
        id=match.id,
        course_key=str(match.program.course_key),
        status=MatchStatus(match.status),
        my_role=my_role,
        partner=profile,
        score=match.score,
        my_response=MatchResponse(getattr(match, f"{mine}_response")),
        partner_response=MatchResponse(getattr(match, f"{theirs}_response")),
        created=match.created,
        activated_at=match.activated_at,
        ended_at=match.ended_at,
        end_reason=match.end_reason,
    )


@_public
def list_my_matches(user_id: int, course_key: CourseKey | str) -> list[MatchView]:
    """Return the learner's matches in a program (active first, then past ones, newest first).

    Proposed matches awaiting staff approval are not shown. The partner's shared profile (skills, about,
    aspirations, languages, time zone, common hours, qualifications if they share them) is filled in for
    active matches only.

    Raises:
        NotFound: no program, or not joined.
    """
    program = _program(course_key)
    me = _participant_of(user_id, program)
    rows = list(
        _Match.objects.select_related("program", "mentee__user", "mentor__user")
        .filter(program=program, activated_at__isnull=False)
        .filter(Q(mentee=me) | Q(mentor=me))
        .order_by("-activated_at", "-id")
    )
    partner_ids = {
        (m.mentor.user_id if m.mentee_id == me.id else m.mentee.user_id)
        for m in rows
        if m.status == MatchStatus.ACTIVE and m.mentor is not None and m.mentee is not None
    }
    grades = performance.course_grades(program.course_key, partner_ids)
    views = []
    for match in rows:
        if match.mentee_id == me.id:
            views.append(_match_view(match, me, match.mentor, Role.MENTEE, grades))
        else:
            views.append(_match_view(match, me, match.mentee, Role.MENTOR, grades))
    views.sort(key=lambda v: v.status != MatchStatus.ACTIVE)  # stable: keeps newest first within each group
    return views


@_public
def get_my_match(user_id: int, match_id: int) -> MatchView:
    """Return one of the learner's matches, as ``list_my_matches`` shows it.

    Raises:
        NotFound: the match does not exist, is not the learner's, or awaits staff approval.
    """
    match, me, partner, role = _my_match(user_id, match_id)
    grades = performance.course_grades(match.program.course_key, [partner.user_id] if partner else [])
    return _match_view(match, me, partner, role, grades)


def _explanation(match: _Match, viewer: Role | None) -> ExplanationData:
    """Build the stored explanation as ``viewer`` may see it (None: course staff, who see everything).

    A learner sees the partner's area scores only if the partner shares their performance.
    """
    strategy = Strategy((match.run.config or {}).get("strategy", match.program.strategy) if match.run else
                        match.program.strategy)
    raw = match.explanation
    if not raw:
        return ExplanationData(match.id, False, match.score, (), None, MatchOrigin(match.origin), strategy, False)
    show_mentee = viewer in (None, Role.MENTEE) or bool(match.mentee and match.mentee.share_performance)
    show_mentor = viewer in (None, Role.MENTOR) or bool(match.mentor and match.mentor.share_performance)
    factors = tuple(
        FactorData(
            factor=str(f["factor"]),
            weight=float(f["weight"]),
            value=float(f["value"]),
            contribution=float(f["contribution"]),
            neutral=bool(f.get("neutral", False)),
            note=str(f.get("note", "")),
        )
        for f in raw.get("factors", ())
    )
    ev = raw.get("evidence") or {}
    evidence = EvidenceData(
        shared_skills=tuple(ev.get("shared_skills", ())),
        complementary_areas=tuple(
            AreaEvidenceData(
                area=str(a["area"]),
                mentee_score=a.get("mentee_score") if show_mentee else None,
                mentor_score=a.get("mentor_score") if show_mentor else None,
            )
            for a in ev.get("complementary_areas", ())
        ),
        overlapping_hours=int(ev.get("overlapping_hours", 0)),
        shared_languages=tuple(ev.get("shared_languages", ())),
        shared_terms=tuple(ev.get("shared_terms", ())),
    )
    return ExplanationData(
        match_id=match.id,
        available=True,
        score=match.score if match.score is not None else raw.get("score"),
        factors=factors,
        evidence=evidence,
        origin=MatchOrigin(match.origin),
        strategy=strategy,
        pinned=bool(raw.get("pinned", False)),
    )


@_public
def get_match_explanation(user_id: int, match_id: int) -> ExplanationData:
    """Explain one of the learner's matches: each factor's weight, value and contribution, with the evidence.

    Raises:
        NotFound: not the learner's match (or it awaits staff approval).
    """
    match, _me, _partner, role = _my_match(user_id, match_id)
    return _explanation(match, role)


@_public
def respond_to_match(user_id: int, match_id: int, *, accept: bool, reason: str = "") -> MatchView:
    """Accept or decline an active match. Declining ends it, frees the mentor's place and tells the partner.

    Args:
        user_id: the learner (the match's mentee or mentor).
        match_id: the match.
        accept: True to accept, False to decline.
        reason: optional words for the course team (stored encrypted; never shown to the partner).

    Raises:
        NotFound: not the learner's match. Conflict (code "not_active"): the match is no longer active.
        ValidationError: ``accept`` not a bool or ``reason`` too long.
    """
    collector = validation.Collector()
    accept = collector.clean("accept", accept, validation.boolean)
    reason = collector.clean("reason", reason, validation.text(validation.MAX_TEXT))
    collector.raise_if_any()
    with transaction.atomic():
        match, _me, _partner, role = _my_match(user_id, match_id)
        pairing.lock_participants([match.mentee_id, match.mentor_id])
        match = _Match.objects.select_for_update().get(
            pk=match.pk
        )
        if match.status != MatchStatus.ACTIVE:
            raise errors.Conflict(_("This pairing is no longer active."), code="not_active")
        side = "mentee" if role == Role.MENTEE else "mentor"
        setattr(match, f"{side}_response", MatchResponse.ACCEPTED if accept else MatchResponse.DECLINED)
        setattr(match, f"{side}_responded_at", _now())
        setattr(match, f"{side}_reason", reason)
        match.save(update_fields=[f"{side}_response", f"{side}_responded_at", f"{side}_reason", "modified"])
        if not accept:
            partner = match.mentor if role == Role.MENTEE else match.mentee
            notices.notify(
                pairing.close_match(match, status=MatchStatus.DECLINED, reason="declined",
                             notify_users=[partner.user_id] if partner else [])
            )
    log.info("eMentor match %s %s by its %s", match.id, "accepted" if accept else "declined", side)
    return get_my_match.__wrapped__(user_id, match.id)


@_public
def get_partner_goals(user_id: int, match_id: int) -> list[GoalData]:
    """Return the partner's goals in an active match (their progress notes are left out).

    Raises:
        NotFound: not the learner's match. Conflict (code "not_active"): the match is not active.
    """
    match, _me, partner, _role = _my_match(user_id, match_id)
    if match.status != MatchStatus.ACTIVE or partner is None:
        raise errors.Conflict(_("Goals are shared only while the pairing is active."), code="not_active")
    rows = _Goal.objects.filter(participant=partner).order_by("created", "id")
    return [_goal_data(goal, updates=()) for goal in rows]


@_public
def get_goal_alignment(user_id: int, match_id: int) -> GoalAlignment:
    """Compare the learner's goals with the partner's: shared themes and the areas the mentor can support.

    Raises:
        NotFound: not the learner's match. Conflict (code "not_active"): the match is not active.
    """
    match, me, partner, role = _my_match(user_id, match_id)
    if match.status != MatchStatus.ACTIVE or partner is None:
        raise errors.Conflict(_("Goals are shared only while the pairing is active."), code="not_active")
    mine = [text for goal in _Goal.objects.filter(participant=me) for text in (goal.title, goal.success_criteria)]
    theirs = [
        text for goal in _Goal.objects.filter(participant=partner) for text in (goal.title, goal.success_criteria)
    ]
    score, shared, mine_only, theirs_only = goals.alignment(mine, theirs)
    mentee, mentor = (me, partner) if role == Role.MENTEE else (partner, me)
    supported: tuple[str, ...] = ()
    if mentee.share_performance and mentor.share_performance:
        program = match.program
        grades = performance.course_grades(program.course_key, [mentee.user_id, mentor.user_id])
        mentee_areas = grades[mentee.user_id].areas if mentee.user_id in grades else {}
        mentor_areas = grades[mentor.user_id].areas if mentor.user_id in grades else {}
        supported = tuple(sorted(
            area for area, score_ in mentee_areas.items()
            if score_ < program.weak_area_threshold and mentor_areas.get(area, 0.0) >= program.mentor_grade_threshold
        ))
    return GoalAlignment(
        match_id=match.id,
        score=round(score, 4),
        shared_themes=tuple(sorted(shared)),
        my_themes=tuple(sorted(mine_only)),
        partner_themes=tuple(sorted(theirs_only)),
        supported_areas=supported,
    )


# ================================================================================================================
# Notices
# ================================================================================================================


@_public
def list_notices(user_id: int, course_key: CourseKey | str, *, unread_only: bool = False,
                 limit: int = 50) -> list[NoticeData]:
    """Return the learner's notices in a program, newest first.

    Raises:
        NotFound: the course has no program.
    """
    program = _program(course_key)
    rows = _Notice.objects.filter(user_id=user_id, program=program)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return [
        NoticeData(
            id=row.id,
            course_key=str(program.course_key),
            kind=NoticeKind(row.kind),
            match_id=row.match_id,
            message=notices.message(row.kind),
            created=row.created,
            read=row.read_at is not None,
        )
        for row in rows.order_by("-created", "-id")[: max(1, min(limit, 200))]
    ]


@_public
def mark_notices_read(user_id: int, course_key: CourseKey | str, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the learner's notices read (all of them in the program when ``notice_ids`` is None).

    Returns:
        How many notices changed. Ids that are not the learner's are ignored.
    """
    program = _program(course_key)
    rows = _Notice.objects.filter(user_id=user_id, program=program, read_at__isnull=True)
    if notice_ids is not None:
        rows = rows.filter(id__in=list(notice_ids))
    return rows.update(read_at=_now())


# ================================================================================================================
# Staff
# ================================================================================================================


def _staff_match(actor_id: int, match_id: int) -> _Match:
    match = _Match.objects.select_related("program", "mentee__user", "mentor__user", "run").filter(pk=match_id).first()
    if match is None:
        raise errors.NotFound(_("This pairing does not exist."))
    _require_staff(actor_id, match.program.course_key)
    return match


@_public
def list_participants(actor_id: int, course_key: CourseKey | str, *, role: str | None = None,
                      status: str | None = None) -> list[ParticipantSummary]:
    """List a program's participants for course staff (no private text), oldest first.

    Args:
        actor_id: the staff user.
        course_key: the course.
        role: optional filter, "mentee", "mentor" or "both"; "mentor" and "mentee" include those who are both.
        status: optional filter, "active", "paused" or "withdrawn".

    Raises:
        PermissionDenied: not course staff. NotFound: no program. ValidationError: unknown filter value.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    program = _program(key)
    rows = _Participant.objects.filter(program=program).select_related("user").order_by("created", "id")
    collector = validation.Collector()
    if role is not None:
        role = collector.clean("role", role, validation.choice(Role))
        if role == Role.MENTOR:
            rows = rows.filter(role__in=(Role.MENTOR, Role.BOTH))
        elif role == Role.MENTEE:
            rows = rows.filter(role__in=(Role.MENTEE, Role.BOTH))
        elif role is not None:
            rows = rows.filter(role=role)
    if status is not None:
        status = collector.clean("status", status, validation.choice(ParticipantStatus))
        rows = rows.filter(status=status)
    collector.raise_if_any()
    rows = list(rows)
    matched = set(_Match.objects.filter(program=program, status__in=_OPEN).values_list("mentee_id", flat=True))
    grades = performance.course_grades(key, [row.user_id for row in rows])
    return [
        ParticipantSummary(
            id=row.id,
            user_id=row.user_id,
            username=row.user.username,
            course_key=str(key),
            role=Role(row.role),
            status=ParticipantStatus(row.status),
            capacity=row.capacity,
            load=row.mentor_load,
            has_open_match_as_mentee=row.id in matched,
            grade=grades[row.user_id].percent if row.user_id in grades else None,
            joined=row.created,
        )
        for row in rows
    ]


@_public
def get_participant_profile(actor_id: int, participant_id: int) -> ParticipantData:
    """Show course staff a participant's full profile, private text included. Writes an AuditEvent.

    Raises:
        NotFound: no such participant. PermissionDenied: not staff of the participant's course.
    """
    participant = _Participant.objects.select_related("program").filter(pk=participant_id).first()
    if participant is None:
        raise errors.NotFound(_("This participant does not exist."))
    _require_staff(actor_id, participant.program.course_key)
    _audit(actor_id, _AuditEvent.Action.VIEW_PRIVATE_PROFILE, program=participant.program, target=participant,
           subject_user_id=participant.user_id)
    return _participant_data(participant, participant.program)


@_public
def list_matches(actor_id: int, course_key: CourseKey | str, *, status: str | None = None) -> list[MatchSummary]:
    """List a program's matches for course staff, newest first.

    Raises:
        PermissionDenied: not course staff. NotFound: no program. ValidationError: unknown status.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    program = _program(key)
    rows = _Match.objects.filter(program=program).select_related("mentee__user", "mentor__user")
    if status is not None:
        collector = validation.Collector()
        status = collector.clean("status", status, validation.choice(MatchStatus))
        collector.raise_if_any()
        rows = rows.filter(status=status)
    return [_match_summary(row, key) for row in rows.order_by("-created", "-id")]


@_public
def get_match(actor_id: int, match_id: int) -> MatchSummary:
    """Return one match as course staff see it in lists (no private text).

    Lets a caller check which course a match belongs to before acting on it.

    Raises:
        NotFound: no such match. PermissionDenied: not staff of its course.
    """
    match = _staff_match(actor_id, match_id)
    return _match_summary(match, match.program.course_key)


def _staff_pair(program: _Program, mentee_user_id: int, mentor_user_id: int) -> tuple[_Participant, _Participant]:
    people = {
        p.user_id: p
        for p in _Participant.objects.filter(program=program, user_id__in=[mentee_user_id, mentor_user_id])
    }
    mentee, mentor = people.get(mentee_user_id), people.get(mentor_user_id)
    collector = validation.Collector()
    if mentee is None or not Role(mentee.role).wants_mentor or mentee.status == ParticipantStatus.WITHDRAWN:
        collector.add("mentee_user_id", _("This learner is not a mentee in the program."))
    if mentor is None or not Role(mentor.role).mentors or mentor.status == ParticipantStatus.WITHDRAWN:
        collector.add("mentor_user_id", _("This learner is not a mentor in the program."))
    if mentee_user_id == mentor_user_id:
        collector.add("mentor_user_id", _("A participant cannot mentor themself."))
    collector.raise_if_any()
    return mentee, mentor


def _explain_pair(program: _Program, mentee: _Participant, mentor: _Participant) -> tuple[float | None, dict | None]:
    """Score and explain one pair chosen by staff, with the program's configuration (best effort)."""
    try:
        inputs = runs.MatchingInputs.build(program, runs.config_snapshot(program), only=(mentee.id, mentor.id))
        config = inputs.config(pinned=((str(mentee.id), str(mentor.id)),), excluded=frozenset())
        result = runs.engine()(inputs.mentees, inputs.mentors, config)
    except Exception:
        log.warning("eMentor could not explain the staff pairing %s -> %s", mentee.id, mentor.id, exc_info=True)
        return None, None
    for item in result.matches:
        if item.mentee_id == str(mentee.id):
            return float(item.score), item.to_dict()
    return None, None


@_public
def create_match(actor_id: int, course_key: CourseKey | str, *, mentee_user_id: int,
                 mentor_user_id: int) -> MatchSummary:
    """Pair two participants by hand (course staff). The match is active at once; both learners are told.

    Raises:
        PermissionDenied: not course staff. NotFound: no program. ValidationError: not a mentee / mentor of
        the program. Conflict (code "already_matched"): the mentee has a match. CapacityReached: the mentor is full.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    program = _program(key)
    mentee, mentor = _staff_pair(program, mentee_user_id, mentor_user_id)
    score, explanation = _explain_pair(program, mentee, mentor)
    with transaction.atomic():
        locked = pairing.lock_participants([mentee.id, mentor.id])
        match = pairing.open_match(program, locked[mentee.id], locked[mentor.id], status=MatchStatus.ACTIVE,
                            origin=MatchOrigin.STAFF, score=score, explanation=explanation, actor_id=actor_id)
        notices.notify([(u, program.id, NoticeKind.MATCH_MADE, match.id) for u in (mentee.user_id, mentor.user_id)])
        _audit(actor_id, _AuditEvent.Action.CREATE_MATCH, program=program, target=match)
    return _match_summary(_Match.objects.select_related("mentee__user", "mentor__user").get(pk=match.pk), key)


@_public
def approve_match(actor_id: int, match_id: int) -> MatchSummary:
    """Publish a proposed match to both learners (course staff).

    Raises:
        NotFound: no such match. PermissionDenied: not staff of its course. Conflict (code "not_proposed"):
        the match is not awaiting approval.
    """
    match = _staff_match(actor_id, match_id)
    with transaction.atomic():
        pairing.lock_participants([match.mentee_id, match.mentor_id])
        match = _Match.objects.select_for_update().get(
            pk=match.pk
        )
        _approve(match, actor_id)
        _audit(actor_id, _AuditEvent.Action.APPROVE_MATCH, program=match.program, target=match)
    return _match_summary(match, match.program.course_key)


def _approve(match: _Match, actor_id: int) -> None:
    if match.status != MatchStatus.PROPOSED:
        raise errors.Conflict(_("This pairing is not awaiting approval."), code="not_proposed")
    match.status = MatchStatus.ACTIVE
    match.approved_by_id = actor_id
    match.activated_at = _now()
    match.save(update_fields=["status", "approved_by", "activated_at", "modified"])
    users = [p.user_id for p in (match.mentee, match.mentor) if p is not None]
    notices.notify([(user, match.program_id, NoticeKind.MATCH_MADE, match.id) for user in users])


@_public
def approve_proposed_matches(actor_id: int, course_key: CourseKey | str) -> int:
    """Publish every proposed match of a program at once (course staff). Returns how many were approved.

    Raises:
        PermissionDenied: not course staff. NotFound: no program.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    program = _program(key)
    approved = 0
    with transaction.atomic():
        for match in (
            _Match.objects.select_for_update()
            .filter(program=program, status=MatchStatus.PROPOSED)
            .order_by("id")
        ):
            _approve(match, actor_id)
            approved += 1
        if approved:
            _audit(actor_id, _AuditEvent.Action.APPROVE_MATCH, program=program, count=approved)
    return approved


@_public
def end_match(actor_id: int, match_id: int, *, reason: str = "staff") -> MatchSummary:
    """End an open match (course staff): frees the mentor's place, tells both learners if they knew of it.

    Args:
        actor_id: the staff user.
        match_id: the match.
        reason: a short code recorded as the end reason (letters, digits, "_" and "-"; at most 16).

    Raises:
        NotFound: no such match. PermissionDenied: not staff of its course. Conflict (code "not_open"): the
        match already ended. ValidationError: invalid reason code.
    """
    if not isinstance(reason, str) or not reason or len(reason) > 16 or not reason.replace("_", "").replace(
        "-", ""
    ).isalnum():
        raise errors.ValidationError({"reason": [_("Use a short code such as staff.")]})
    match = _staff_match(actor_id, match_id)
    with transaction.atomic():
        pairing.lock_participants([match.mentee_id, match.mentor_id])
        match = _Match.objects.select_for_update().get(
            pk=match.pk
        )
        if match.status not in _OPEN:
            raise errors.Conflict(_("This pairing has already ended."), code="not_open")
        users = [p.user_id for p in (match.mentee, match.mentor) if p is not None]
        notices.notify(pairing.close_match(match, status=MatchStatus.ENDED, reason=reason, actor_id=actor_id,
                                    notify_users=users))
        _audit(actor_id, _AuditEvent.Action.END_MATCH, program=match.program, target=match, reason=reason)
    return _match_summary(match, match.program.course_key)


@_public
def reassign_match(actor_id: int, match_id: int, *, mentor_user_id: int) -> MatchSummary:
    """Give a match's mentee another mentor (course staff). Returns the new match.

    In one transaction the old match ends as "reassigned" and a new active match is made, so a failure (the new
    mentor is full) leaves the old match as it was.

    Raises:
        NotFound: no such match. PermissionDenied: not staff. Conflict (code "not_open"): the match ended.
        ValidationError: the new mentor is not a mentor of the program (or is the mentee).
        CapacityReached: the new mentor is full.
    """
    old = _staff_match(actor_id, match_id)
    program = old.program
    if old.mentee is None:
        raise errors.Conflict(_("This pairing has already ended."), code="not_open")
    mentee, mentor = _staff_pair(program, old.mentee.user_id, mentor_user_id)
    score, explanation = _explain_pair(program, mentee, mentor)
    with transaction.atomic():
        locked = pairing.lock_participants([old.mentee_id, old.mentor_id, mentor.id])
        old = _Match.objects.select_for_update().get(
            pk=old.pk
        )
        if old.status not in _OPEN:
            raise errors.Conflict(_("This pairing has already ended."), code="not_open")
        if old.mentor_id == mentor.id:
            raise errors.ValidationError({"mentor_user_id": [_("This is already the mentee's mentor.")]})
        pending = pairing.close_match(old, status=MatchStatus.ENDED, reason="reassigned", actor_id=actor_id,
                               notify_users=[old.mentor.user_id] if old.mentor else [])
        new = pairing.open_match(program, locked[mentee.id], locked[mentor.id], status=MatchStatus.ACTIVE,
                          origin=MatchOrigin.STAFF, score=score, explanation=explanation, actor_id=actor_id)
        pending += [(u, program.id, NoticeKind.MATCH_MADE, new.id) for u in (mentee.user_id, mentor.user_id)]
        notices.notify(pending)
        _audit(actor_id, _AuditEvent.Action.REASSIGN_MATCH, program=program, target=new, previous_match=old.id)
    return _match_summary(_Match.objects.select_related("mentee__user", "mentor__user").get(pk=new.pk),
                          program.course_key)


@_public
def export_matches_csv(actor_id: int, course_key: CourseKey | str) -> str:
    """Return a program's matches as CSV text (course staff; no private text). Writes an AuditEvent.

    Columns: ``match_id, course_key, status, origin, run_id, score, mentee_user_id, mentee_username,
    mentor_user_id, mentor_username, mentee_response, mentor_response, created, activated_at, ended_at,
    end_reason``.

    Raises:
        PermissionDenied: not course staff. NotFound: no program.
    """
    summaries = list_matches.__wrapped__(actor_id, course_key)
    program = _program(course_key)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_EXPORT_COLUMNS)
    for s in reversed(summaries):
        writer.writerow([
            s.id, s.course_key, s.status, s.origin, s.run_id or "", "" if s.score is None else f"{s.score:.4f}",
            s.mentee_user_id or "", _csv_safe(s.mentee_username), s.mentor_user_id or "", _csv_safe(s.mentor_username),
            s.mentee_response, s.mentor_response, s.created.isoformat(),
            s.activated_at.isoformat() if s.activated_at else "", s.ended_at.isoformat() if s.ended_at else "",
            s.end_reason,
        ])
    _audit(actor_id, _AuditEvent.Action.EXPORT_MATCHES, program=program, rows=len(summaries))
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection); quote it as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# ================================================================================================================
# Runs
# ================================================================================================================


@_public
def request_run(actor_id: int, course_key: CourseKey | str) -> RunData:
    """Ask for matching in a program (course staff); at most one run per program is queued or running.

    Returns the new queued run, or the one already queued or running. The Celery task is enqueued when the
    surrounding transaction commits (``ementor_plugin.tasks.enqueue_matching_run(run_id)``).

    Raises:
        PermissionDenied: not course staff. NotFound: no program.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    program = _program(key)
    run, created = runs.open_run(program, RunTrigger.STAFF, actor_id)
    if created:
        _audit(actor_id, _AuditEvent.Action.REQUEST_RUN, program=program, target=run)
    return _run_data(run, key)


@_public
def request_scheduled_run(course_key: CourseKey | str) -> RunData:
    """Queue the run a program's schedule calls for (for the periodic task; no user involved).

    Returns the already open run when there is one.

    Raises:
        NotFound: no program.
    """
    program = _program(course_key)
    run, _created = runs.open_run(program, RunTrigger.SCHEDULE, None)
    return _run_data(run, program.course_key)


@_public
def get_run(actor_id: int, run_id: int) -> RunData:
    """Return a run with its progress and figures (course staff).

    Raises:
        NotFound: no such run. PermissionDenied: not staff of its course.
    """
    run = _MatchRun.objects.select_related("program").filter(pk=run_id).first()
    if run is None:
        raise errors.NotFound(_("This matching run does not exist."))
    _require_staff(actor_id, run.program.course_key)
    return _run_data(run)


@_public
def list_runs(actor_id: int, course_key: CourseKey | str, *, limit: int = 20) -> list[RunData]:
    """Return a program's most recent runs, newest first (course staff).

    Raises:
        PermissionDenied: not course staff. NotFound: no program.
    """
    key = _course_key(course_key)
    _require_staff(actor_id, key)
    program = _program(key)
    rows = _MatchRun.objects.filter(program=program).order_by("-created", "-id")[: max(1, min(limit, 200))]
    return [_run_data(run, key) for run in rows]


@_public
def recover_stale_runs(now: datetime | None = None) -> list[int]:
    """Mark runs whose worker stopped reporting as stale, freeing their program for a new run (periodic task).

    A run is abandoned when it has been queued or running without a sign of life for
    ``EMENTOR_RUN_STALE_AFTER_SECONDS``. Returns the ids marked.
    """
    return runs.recover_stale(now)


@_public
def programs_due_for_run(now: datetime | None = None) -> list[str]:
    """Course keys of programs whose schedule (daily, weekly) calls for a run now and that have no open run.

    A program is due when its last run was requested a full period ago (or it never ran).
    """
    return runs.programs_due(now)


@_public
def get_next_run_at(course_key: CourseKey | str, now: datetime | None = None) -> datetime | None:
    """When a program's schedule calls for its next matching run, for learners waiting to be paired.

    Mirrors ``programs_due_for_run``: a full period after the last run was requested, or ``now`` when that is
    already past (or the program never ran). None when the program runs only when staff start a run.

    Raises:
        NotFound: the course has no program.
    """
    program = _program(course_key)
    period = {Schedule.DAILY: timedelta(days=1), Schedule.WEEKLY: timedelta(days=7)}.get(Schedule(program.schedule))
    if period is None:
        return None
    now = now or _now()
    last = _MatchRun.objects.filter(program=program).aggregate(last=Max("created"))["last"]
    return now if last is None else max(now, last + period)


@_public
def execute_run(run_id: int, *, force_takeover: bool = False) -> RunData:
    """Do a matching run: the Celery task's whole body. Idempotent and safe to call twice.

    Reads the program's participants and their course performance, keeps every open match (pinned), runs
    ``matching.match`` with the configuration snapshot taken when the run was requested, and stores the new
    matches (proposed when the program requires approval, else active) with their explanations, the learners'
    notices and the run's figures, all in one transaction. On failure nothing is stored and the run is marked
    failed with a readable error.

    Args:
        run_id: the run.
        force_takeover: take over a run marked running (e.g. the task knows its earlier worker died, as with a
            redelivered message); otherwise a running run with a recent heartbeat is left alone.

    Returns:
        The run as it stands afterwards (a finished run is returned unchanged: calling twice does the work once).

    Raises:
        NotFound: no such run.
        TransientStorageError: the database failed in a way worth retrying; the run is queued again.
    """
    return _run_data(runs.execute(run_id, force_takeover=force_takeover))


@_public
def score_run_chunk(run_id: int, attempt: int, index: int, n_chunks: int) -> dict[str, Any]:
    """Score one chunk of a large program's run (the chord part of chunked scoring; see ``chunked``).

    Pure and safe to repeat: it reads the run's program and writes only a heartbeat.

    Returns:
        JSON-ready ``{"index", "fingerprint", "partial", "seconds"}``, or ``{"index", "superseded": True}`` when
        the run was closed or taken over meanwhile.

    Raises:
        NotFound: no such run. TransientStorageError: the database failed in a way worth retrying.
    """
    return chunked.score(run_id, attempt, index, n_chunks)


@_public
def finish_chunked_run(run_id: int, attempt: int, parts: list[dict[str, Any]]) -> RunData | None:
    """Combine a chunked run's scored parts, solve, explain and store, all in one transaction (the chord body).

    The result is identical to the single-task run's. Returns the finished run, or None when the run was
    taken over or closed while it was scored (the parts are then discarded).

    Raises:
        NotFound: no such run. TransientStorageError: the database failed in a way worth retrying; the run
        stays running and the parts can be combined again.
    """
    run = chunked.finish(run_id, attempt, parts)
    return None if run is None else _run_data(run)


@_public
def fail_chunked_run(run_id: int, attempt: int) -> None:
    """Mark a chunked run failed because one of its scoring parts failed for good (the chord's error callback)."""
    chunked.fail(run_id, attempt)


# ================================================================================================================
# Platform events and retirement
# ================================================================================================================


def _user_exists(user_id: int) -> bool:
    return get_user_model().objects.filter(id=user_id).exists()


@_public
def record_course_grade(user_id: int, course_key: CourseKey | str, grade: float | None, *, source: str,
                        areas: Mapping[str, float] | None = None, passed: bool | None = None,
                        has_certificate: bool | None = None, recorded_at: datetime | None = None) -> bool:
    """Keep a learner's course-performance snapshot current (grade events, CSV imports).

    An older figure never overwrites a newer one (events may arrive out of order). When the grade first
    reaches the program's mentor threshold, the learner gets an "invited to mentor" notice.

    Args:
        user_id: the learner.
        course_key: the course.
        grade: the course grade in [0, 1], or None if unknown.
        source: where the figure comes from ("openedx-events", "csv", ...).
        areas: graded area -> score in [0, 1]; None keeps the areas already stored.
        passed: whether the learner passes; None keeps what is stored.
        has_certificate: whether the learner earned a certificate; None keeps what is stored.
        recorded_at: when the figure was true (default: now).

    Returns:
        True if the snapshot changed, False if it was older than the stored one or the user is unknown.

    Raises:
        ValidationError: grade or an area score outside [0, 1], or an empty source.
    """
    key = _course_key(course_key)
    collector = validation.Collector()
    if grade is not None:
        grade = collector.clean("grade", grade, validation.unit_interval)
    clean_areas = None
    if areas is not None:
        if not isinstance(areas, Mapping):
            collector.add("areas", _("Give a score for each area."))
        else:
            clean_areas = {}
            for area, score in areas.items():
                if not isinstance(area, str) or not area.strip() or len(area) > 100:
                    collector.add("areas", _("Area names must be short, non-empty text."))
                    continue
                clean_areas[area.strip()] = collector.clean("areas", score, validation.unit_interval)
    if not isinstance(source, str) or not source or len(source) > 32:
        collector.add("source", _("Name the source of the grade."))
    collector.raise_if_any()
    recorded_at = recorded_at or _now()
    if not _user_exists(user_id):
        log.info("eMentor ignored a grade for unknown user %s", user_id)
        return False
    with transaction.atomic():
        row = _CoursePerformance.objects.select_for_update().filter(user_id=user_id, course_key=key).first()
        if row is not None and not performance.is_newer(recorded_at, row.recorded_at):
            return False
        previous = row.grade if row is not None else None
        row = row or _CoursePerformance(user_id=user_id, course_key=key, areas={})
        row.grade = grade
        if clean_areas is not None:
            row.areas = clean_areas
        if passed is not None:
            row.passed = passed
        if has_certificate is not None:
            row.has_certificate = has_certificate
        row.source = source
        row.recorded_at = recorded_at
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            return False  # a concurrent event for the same learner won; it is at least as new
        _invite_if_eligible(user_id, key, previous, grade)
    return True


def _invite_if_eligible(user_id: int, course_key: CourseKey, previous: float | None, grade: float | None) -> None:
    program = _Program.objects.filter(course_key=course_key).first()
    if program is None or grade is None or grade < program.mentor_grade_threshold:
        return
    if previous is not None and previous >= program.mentor_grade_threshold:
        return
    participant = _Participant.objects.filter(user_id=user_id, program=program).first()
    if participant is not None and Role(participant.role).mentors:
        return
    if _Notice.objects.filter(user_id=user_id, program=program, kind=NoticeKind.INVITED_TO_MENTOR).exists():
        return
    notices.notify([(user_id, program.id, NoticeKind.INVITED_TO_MENTOR, None)])


@_public
def record_passing_status(user_id: int, course_key: CourseKey | str, is_passing: bool, *,
                          recorded_at: datetime | None = None) -> bool:
    """Record whether a learner currently passes a course (the passing-status event). Returns True if stored."""
    key = _course_key(course_key)
    if not _user_exists(user_id):
        return False
    with transaction.atomic():
        row = _CoursePerformance.objects.select_for_update().filter(user_id=user_id, course_key=key).first()
        if row is None:
            row = _CoursePerformance(user_id=user_id, course_key=key, grade=None, areas={}, source="openedx-events",
                                     recorded_at=recorded_at or _now())
        row.passed = bool(is_passing)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            return False
    return True


@_public
def handle_unenrollment(user_id: int, course_key: CourseKey | str) -> bool:
    """A learner left the course: withdraw them, end their open matches and tell their partners.

    Returns:
        True if a participant was withdrawn.
    """
    key = _course_key(course_key)
    program = _Program.objects.filter(course_key=key).first()
    if program is None:
        return False
    participant = _Participant.objects.filter(user_id=user_id, program=program).first()
    if participant is None or participant.status == ParticipantStatus.WITHDRAWN:
        return False
    _set_status(user_id, key, ParticipantStatus.WITHDRAWN, "unenrolled")
    return True


@_public
def handle_enrollment(user_id: int, course_key: CourseKey | str) -> bool:
    """A learner (re-)enrolled: restore a participation their earlier unenrollment withdrew.

    The participation comes back paused, to resume when the learner chooses (never an automatic new match).

    Returns:
        True if a participant was restored.
    """
    key = _course_key(course_key)
    program = _Program.objects.filter(course_key=key).first()
    if program is None:
        return False
    updated = _Participant.objects.filter(
        user_id=user_id, program=program, status=ParticipantStatus.WITHDRAWN, status_reason="unenrolled"
    ).update(status=ParticipantStatus.PAUSED, status_reason="reenrolled", modified=_now())
    return bool(updated)


@_public
def retire_user(user_id: int) -> None:
    """Remove or anonymise every eMentor row holding the user's personal data (the platform's retirement).

    Open matches end (partners are told); the user's participations, goals, notices and performance
    snapshots are deleted; matches they were in lose the link to them, their explanation and reasons, and
    stay as anonymous counts; audit events and runs keep no link to them. Idempotent.
    """
    with transaction.atomic():
        participants = list(_Participant.objects.filter(user_id=user_id))
        pending: list[tuple[int, int, str, int | None]] = []
        for participant in participants:
            pending += pairing.end_open_matches_of(participant, reason="retired")
        ids = [p.id for p in participants]
        # Both sides' reasons and the explanation quote or derive from the retired user's profile: drop them.
        _Match.objects.filter(Q(mentee_id__in=ids) | Q(mentor_id__in=ids)).update(
            explanation=None, mentee_reason="", mentor_reason=""
        )
        _Participant.objects.filter(id__in=ids).delete()  # goals and updates cascade; matches keep NULL links
        _CoursePerformance.objects.filter(user_id=user_id).delete()
        _Notice.objects.filter(user_id=user_id).delete()
        _AuditEvent.objects.filter(actor_id=user_id).update(actor=None)
        _AuditEvent.objects.filter(subject_user_id=user_id).update(subject_user=None)
        _MatchRun.objects.filter(requested_by_id=user_id).update(requested_by=None)
        for field in ("created_by", "approved_by", "ended_by"):
            _Match.objects.filter(**{f"{field}_id": user_id}).update(**{field: None})
        notices.notify(pending)
        _audit(None, _AuditEvent.Action.RETIRE_USER, participations=len(ids))
    log.info("eMentor retired a user (%s participations removed)", len(participants))
