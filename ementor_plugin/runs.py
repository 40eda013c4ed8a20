"""Matching runs: queueing one per program, turning profiles into ``matching`` inputs, and storing results.

Internal to the plugin: ``api`` exposes it (``request_run``, ``execute_run``, ...) and the Celery task calls
``api.execute_run``. The run's life is guarded by the database: ``MatchRun.open_key`` allows one queued or
running run per program, an ``attempts`` counter tells a worker that another took its run over, and every
result is written in one transaction, so a failure at any point leaves earlier matches exactly as they were.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from matching.data import DEFAULT_WEIGHTS, FACTORS, MatchConfig, Mentee, Mentor, Qualification

from . import errors, notices, pairing, performance
from .data import (
    MatchOrigin,
    MatchStatus,
    NoticeKind,
    Objective,
    ParticipantStatus,
    Role,
    RunStatus,
    RunTrigger,
    Schedule,
    Strategy,
)
from .models import OPEN_MATCH_STATUSES, OPEN_RUN_STATUSES, Match, MatchRun, Participant, Program

log = logging.getLogger(__name__)


def program_weights(program: Program) -> dict[str, float]:
    """The program's factor weights over every factor (the library's defaults when none are set)."""
    if not program.weights:
        return dict(DEFAULT_WEIGHTS)
    return {name: float(program.weights.get(name, 0.0)) for name in FACTORS}


def config_snapshot(program: Program) -> dict[str, Any]:
    """The program configuration a run uses, frozen when the run is requested (stored on the run)."""
    return {
        "weights": program_weights(program),
        "strategy": program.strategy,
        "objective": program.objective,
        "min_score": program.min_score,
        "language_required": program.language_required,
        "requires_approval": program.requires_approval,
    }


def stale_after() -> timedelta:
    """How long a run may go without reporting progress before it counts as abandoned."""
    return timedelta(seconds=int(getattr(settings, "EMENTOR_RUN_STALE_AFTER_SECONDS", 1800)))


def is_stale(run: MatchRun, now: datetime) -> bool:
    """Whether the run's last sign of life is older than ``stale_after()``."""
    last = run.heartbeat_at or run.started_at or run.created
    return last is not None and now - last > stale_after()


def mark_stale(run: MatchRun) -> None:
    """Close an abandoned run so the program can have a new one. The caller holds the run's row lock."""
    minutes = int(stale_after().total_seconds() // 60)
    run.status = RunStatus.STALE
    run.open_key = None
    run.finished_at = timezone.now()
    run.error = (f"No progress for {minutes} minutes; its worker probably stopped. Request a new run.")
    run.save(update_fields=["status", "open_key", "finished_at", "error"])
    log.warning("eMentor run %s marked stale", run.id)


def run_enqueuer() -> Callable[[int], Any] | None:
    """The tasks module's ``enqueue_matching_run(run_id) -> task id``, or None where tasks are not installed."""
    if importlib.util.find_spec("ementor_plugin.tasks") is None:
        return None
    from . import tasks

    return getattr(tasks, "enqueue_matching_run", None)


def enqueue_run(run_id: int) -> None:
    """Hand a queued run to Celery (called on commit). A failure leaves it queued; stale recovery picks it up."""
    enqueue = run_enqueuer()
    if enqueue is None:
        log.warning("eMentor run %s queued but no task module can enqueue it", run_id)
        return
    try:
        task_id = enqueue(run_id)
    except Exception:
        log.exception("eMentor could not enqueue run %s", run_id)
        return
    if task_id:
        MatchRun.objects.filter(pk=run_id, celery_task_id="").update(celery_task_id=str(task_id)[:255])


def open_run(program: Program, trigger: RunTrigger, requested_by: int | None) -> tuple[MatchRun, bool]:
    """Return the program's open run, or create one (queued, enqueued on commit). (run, created)."""
    now = timezone.now()
    with transaction.atomic():
        existing = MatchRun.objects.select_for_update().filter(open_key=program.id).first()
        if existing is not None:
            if not is_stale(existing, now):
                return existing, False
            mark_stale(existing)
        try:
            with transaction.atomic():
                run = MatchRun.objects.create(
                    program=program,
                    requested_by_id=requested_by,
                    trigger=trigger,
                    status=RunStatus.QUEUED,
                    open_key=program.id,
                    config=config_snapshot(program),
                )
        except IntegrityError:
            # Another request created the program's run between our check and our insert: return that one.
            return MatchRun.objects.get(open_key=program.id), False
        transaction.on_commit(functools.partial(enqueue_run, run.id))
    log.info("eMentor run %s queued for program %s (%s)", run.id, program.id, trigger)
    return run, True


def engine() -> Callable[..., Any]:
    """``matching.match``, imported when needed: it pulls numpy/scipy, which request handlers rarely need."""
    import matching

    engine = getattr(matching, "match", None)
    if engine is None:
        raise RuntimeError("The matching engine (matching.match) is not installed.")
    return engine


class MatchingInputs:
    """A program's participants turned into ``matching`` inputs, with the maps back to rows."""

    def __init__(self, program: Program, snapshot: Mapping[str, Any]) -> None:
        self.program = program
        self.snapshot = snapshot
        self.mentees: list[Mentee] = []
        self.mentors: list[Mentor] = []
        self.pinned: tuple[tuple[str, str], ...] = ()
        self.excluded: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def build(cls, program: Program, snapshot: Mapping[str, Any], *, only: Iterable[int] | None = None
              ) -> MatchingInputs:
        """Read the program's participants, open and past matches and grades (a few bulk queries).

        Mentees: active participants who want a mentor, plus anyone holding an open match as mentee (so the
        match can be pinned). Mentors: active mentors at full capacity, or paused ones limited to their
        current load (no new mentees). Open matches are pinned; declined or ended pairs are excluded.
        """
        inputs = cls(program, snapshot)
        people = Participant.objects.filter(program=program).exclude(status=ParticipantStatus.WITHDRAWN)
        if only is not None:
            people = people.filter(id__in=list(only))
        # Plain values, one query per side: each side decrypts only the text it needs (a mentee's aspirations,
        # a mentor's about) and no model objects are built, which matters for tens of thousands of learners.
        common = ("id", "user_id", "status", "languages", "availability", "capacity", "mentor_load")
        mentee_rows = list(
            people.filter(role__in=(Role.MENTEE, Role.BOTH)).order_by("id")
            .values_list(*common, "skills_wanted", "aspirations")
        )
        mentor_rows = list(
            people.filter(role__in=(Role.MENTOR, Role.BOTH)).order_by("id")
            .values_list(*common, "skills_offered", "about")
        )
        open_rows = list(
            Match.objects.filter(program=program, status__in=OPEN_MATCH_STATUSES).values_list("mentee_id", "mentor_id")
        )
        holding = {mentee for mentee, _mentor in open_rows}
        grades = performance.course_grades(program.course_key, [row[1] for row in (*mentee_rows, *mentor_rows)])

        def measured(user_id):
            grade = grades.get(user_id)
            areas = {k: min(1.0, max(0.0, float(v))) for k, v in (grade.areas.items() if grade else ())}
            percent = None if grade is None or grade.percent is None else min(1.0, max(0.0, float(grade.percent)))
            return grade, areas, percent

        for pid, user_id, status, languages, availability, _capacity, _load, skills, aspirations in mentee_rows:
            if status == ParticipantStatus.ACTIVE or pid in holding:
                _grade, areas, percent = measured(user_id)
                inputs.mentees.append(Mentee(
                    id=str(pid), skills_wanted=tuple(skills or ()), aspirations=aspirations or "",
                    performance=areas, grade=percent, languages=tuple(languages or ()),
                    availability=frozenset(availability) if availability else None,
                ))
        for pid, user_id, status, languages, availability, capacity, load, skills, about in mentor_rows:
            active = status == ParticipantStatus.ACTIVE
            if active or load > 0:
                grade, areas, percent = measured(user_id)
                quals = []
                if percent is not None:
                    quals.append(Qualification("course_grade", "Course grade", percent, True))
                if grade is not None and grade.has_certificate:
                    quals.append(Qualification("certificate", "Course certificate", None, True))
                inputs.mentors.append(Mentor(
                    id=str(pid), skills=tuple(skills or ()), about=about or "", performance=areas, grade=percent,
                    languages=tuple(languages or ()), availability=frozenset(availability) if availability else None,
                    capacity=capacity if active else load, qualifications=tuple(quals),
                ))
        mentee_ids = {m.id for m in inputs.mentees}
        mentor_ids = {m.id for m in inputs.mentors}
        inputs.pinned = tuple(
            (str(mentee), str(mentor)) for mentee, mentor in sorted(open_rows, key=lambda r: (r[0] or 0, r[1] or 0))
            if str(mentee) in mentee_ids and str(mentor) in mentor_ids
        )
        past = Match.objects.filter(program=program, status__in=(MatchStatus.DECLINED, MatchStatus.ENDED))
        inputs.excluded = frozenset(
            (str(mentee), str(mentor))
            for mentee, mentor in past.values_list("mentee_id", "mentor_id")
            if str(mentee) in mentee_ids and str(mentor) in mentor_ids
        )
        return inputs

    def config(self, *, pinned: tuple[tuple[str, str], ...] | None = None,
               excluded: frozenset[tuple[str, str]] | None = None) -> MatchConfig:
        """The ``MatchConfig`` of the run's configuration snapshot."""
        snap = self.snapshot
        return MatchConfig(
            weights=snap.get("weights") or DEFAULT_WEIGHTS,
            strategy=snap.get("strategy", Strategy.OPTIMAL),
            objective=snap.get("objective", Objective.SCORE),
            min_score=float(snap.get("min_score", 0.0)),
            language_required=bool(snap.get("language_required", False)),
            excluded=self.excluded if excluded is None else excluded,
            pinned=self.pinned if pinned is None else pinned,
        )


def progress(run_id: int, attempt: int, stage: str, percent: int) -> None:
    """Report progress (and a heartbeat) for the attempt that owns the run; a superseded attempt changes nothing."""
    MatchRun.objects.filter(pk=run_id, attempts=attempt, status=RunStatus.RUNNING).update(
        stage=stage, percent=percent, heartbeat_at=timezone.now()
    )


def max_takeovers() -> int:
    """How many attempts a run may have before a takeover of it is refused (``EMENTOR_RUN_MAX_ATTEMPTS``)."""
    return max(1, int(getattr(settings, "EMENTOR_RUN_MAX_ATTEMPTS", 3)))


def claim(run_id: int, force_takeover: bool) -> tuple[MatchRun, int] | None:
    """Move a queued run (or an abandoned running one) to running; None if there is nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise errors.NotFound(_("This matching run does not exist."))
        if run.status == RunStatus.RUNNING and not (force_takeover or is_stale(run, now)):
            return None  # another worker is on it (a duplicate delivery)
        if run.status not in OPEN_RUN_STATUSES:
            return None  # finished, failed or stale: done once already
        if run.status == RunStatus.RUNNING and run.attempts >= max_takeovers():
            # Every worker that took this run died with it (e.g. killed for memory): stop handing it on.
            run.status, run.open_key, run.finished_at = RunStatus.FAILED, None, now
            run.error = (f"Stopped after {run.attempts} attempts: each worker stopped in the middle of this run "
                         "(often a memory limit). Check the worker logs, then request a new run.")
            run.save(update_fields=["status", "open_key", "finished_at", "error"])
            log.error("eMentor run %s failed after %s abandoned attempts", run.id, run.attempts)
            return None
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.started_at = run.started_at or now
        run.heartbeat_at = now
        run.stage, run.percent, run.error = "loading", 5, ""
        run.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "stage", "percent", "error"])
    return run, run.attempts


class SupersededError(Exception):
    """The run was taken over or closed while this worker computed; its results must not be stored."""


def readable_error(exc: Exception, stage: str) -> str:
    """The message a failed run shows staff: the library's own words for input problems, else the error type."""
    from matching.errors import MatchingError

    if isinstance(exc, MatchingError):
        # Matching errors name a participant id and a field, never personal data.
        return f"Matching could not run: {exc}"[:2000]
    if isinstance(exc, errors.EmentorError):
        return exc.message[:2000]
    return f"Unexpected {type(exc).__name__} while {stage}. The worker log for this run has the details."


def finish_failed(run_id: int, attempt: int, message: str, *, requeue: bool) -> None:
    """Mark the attempt's run failed (or queued again, for a retry); never raises, even with the database gone."""
    try:
        with transaction.atomic():
            run = MatchRun.objects.select_for_update().filter(pk=run_id, attempts=attempt).first()
            if run is None or run.status != RunStatus.RUNNING:
                return
            if requeue:
                run.status, run.stage, run.percent = RunStatus.QUEUED, "queued", 0
            else:
                run.status, run.open_key, run.finished_at = RunStatus.FAILED, None, timezone.now()
            run.error = message
            run.save(update_fields=["status", "stage", "percent", "open_key", "finished_at", "error"])
    except DatabaseError:
        # The database is gone: the run stays "running" until stale recovery frees it.
        log.warning("eMentor could not record the failure of run %s", run_id)


def store(run_id: int, attempt: int, inputs: MatchingInputs, result: Any, *, timings: dict[str, float],
          started: float, extra_figures: Mapping[str, Any] | None = None) -> None:
    """Write a run's new matches, notices and figures in one transaction (all or nothing).

    ``extra_figures`` are added to the run's figures (the chunked path records how it split the scoring).
    """
    program = inputs.program
    snapshot = inputs.snapshot
    status = MatchStatus.PROPOSED if snapshot.get("requires_approval") else MatchStatus.ACTIVE
    new = [m for m in result.matches if not m.pinned]
    now = timezone.now()
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.RUNNING or run.attempts != attempt:
            raise SupersededError()
        ids = {int(m.mentee_id) for m in new} | {int(m.mentor_id) for m in new}
        ordered = sorted(ids)
        locked = pairing.lock_participant_states(ordered)  # id -> (user id, status, capacity, load)
        taken = set()
        for start in range(0, len(ordered), 500):
            taken.update(Match.objects.filter(open_key__in=ordered[start : start + 500]).values_list(
                "open_key", flat=True))
        spare = {
            pid: (capacity - load) if status == ParticipantStatus.ACTIVE else 0
            for pid, (_user, status, capacity, load) in locked.items()
        }
        rows, conflicts = [], 0
        for item in new:
            mentee_id, mentor_id = int(item.mentee_id), int(item.mentor_id)
            mentee, mentor = locked.get(mentee_id), locked.get(mentor_id)
            # Someone may have changed things while we computed: skip pairs that no longer fit.
            if (mentee is None or mentor is None or mentee_id in taken or spare.get(mentor_id, 0) <= 0
                    or mentee[1] == ParticipantStatus.WITHDRAWN):
                conflicts += 1
                continue
            taken.add(mentee_id)
            spare[mentor_id] -= 1
            rows.append(Match(
                program=program, mentee_id=mentee_id, mentor_id=mentor_id, status=status, open_key=mentee_id,
                score=float(item.score), explanation=item.to_dict(), origin=MatchOrigin.RUN, run_id=run_id,
                activated_at=now if status == MatchStatus.ACTIVE else None,
            ))
        Match.objects.bulk_create(rows, batch_size=500)
        added = Counter(row.mentor_id for row in rows)
        by_count: dict[int, list[int]] = defaultdict(list)
        for mentor_id, count in added.items():
            by_count[count].append(mentor_id)
        for count, mentor_ids in by_count.items():
            Participant.objects.filter(id__in=mentor_ids).update(mentor_load=F("mentor_load") + count)
        kind = NoticeKind.MATCH_MADE if status == MatchStatus.ACTIVE else NoticeKind.MATCH_PROPOSED
        created = Match.objects.filter(run_id=run_id, open_key__isnull=False).values_list(
            "id", "mentee_id", "mentor_id")
        pending = []
        for match_id, mentee_id, mentor_id in created:
            for pid in (mentee_id, mentor_id):
                pending.append((locked[pid][0], program.id, kind, match_id))
        notices.notify(pending)
        timings["store"] = time.perf_counter() - started
        run.figures = {**figures(result, len(rows), conflicts, status, timings), **(extra_figures or {})}
        run.status, run.open_key, run.stage, run.percent = RunStatus.SUCCEEDED, None, "done", 100
        run.finished_at = run.heartbeat_at = timezone.now()
        run.save(update_fields=["figures", "status", "open_key", "stage", "percent", "finished_at", "heartbeat_at"])
    log.info("eMentor run %s stored %s new matches (%s conflicts)", run_id, len(rows), conflicts)


MAX_UNMATCHED_LISTED = 10_000


def figures(result: Any, n_new: int, conflicts: int, status: MatchStatus, timings: Mapping[str, float]) -> dict:
    """The run's figures: the library's statistics plus what the plugin measured and stored."""
    stats = result.stats.to_dict()
    n_mentees = stats.get("n_mentees", 0) or 0
    reasons = Counter(item.reason for item in result.unmatched)
    seconds = {name: round(float(value), 4) for name, value in (stats.get("seconds") or {}).items()}
    seconds.update({name: round(value, 4) for name, value in timings.items()})
    return {
        **stats,
        "seconds": seconds,
        "n_new": n_new,
        "n_conflicts": conflicts,
        "n_unmatched": len(result.unmatched),
        "coverage": round((stats.get("n_matched", 0) - conflicts) / n_mentees, 4) if n_mentees else 0.0,
        "unmatched_reasons": dict(sorted(reasons.items())),
        # Per participant (id as text), so staff can tell each waiting mentee why; bounded to keep the row small.
        "unmatched_by_participant": {
            item.mentee_id: item.reason for item in result.unmatched[:MAX_UNMATCHED_LISTED]
        },
        "new_match_status": str(status),
    }




def execute(run_id: int, *, force_takeover: bool = False) -> MatchRun:
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
        The run row as it stands afterwards (a finished run is returned unchanged: calling twice does the work
        once).

    Raises:
        NotFound: no such run.
        TransientStorageError: the database failed in a way worth retrying; the run is queued again.
    """
    claimed = claim(run_id, force_takeover)
    if claimed is None:
        return MatchRun.objects.select_related("program").get(pk=run_id)
    run, attempt = claimed
    timings: dict[str, float] = {}
    stage = "loading"
    try:
        started = time.perf_counter()
        inputs = MatchingInputs.build(run.program, run.config or config_snapshot(run.program))
        config = inputs.config()
        timings["load"] = time.perf_counter() - started
        from . import chunked

        if chunked.dispatch(run.id, attempt, inputs):
            # A chord of workers scores the program; its last task combines, stores and finishes the run.
            return MatchRun.objects.select_related("program").get(pk=run.id)
        stage = "matching"
        progress(run.id, attempt, stage, 20)
        started = time.perf_counter()
        result = engine()(inputs.mentees, inputs.mentors, config)
        timings["match"] = time.perf_counter() - started
        stage = "storing"
        progress(run.id, attempt, stage, 85)
        started = time.perf_counter()
        store(run.id, attempt, inputs, result, timings=timings, started=started)
    except SupersededError:
        log.warning("eMentor run %s attempt %s was superseded; results discarded", run.id, attempt)
    except (OperationalError, InterfaceError) as exc:
        finish_failed(run.id, attempt, f"The database was unavailable while {stage}; retrying.", requeue=True)
        raise errors.TransientStorageError() from exc
    except Exception as exc:
        log.exception("eMentor run %s failed while %s", run.id, stage)
        finish_failed(run.id, attempt, readable_error(exc, stage), requeue=False)
    return MatchRun.objects.select_related("program").get(pk=run.id)


def recover_stale(now: datetime | None = None) -> list[int]:
    """Mark runs whose worker stopped reporting as stale, freeing their program for a new run.

    A run counts as abandoned when queued or running with no sign of life for ``EMENTOR_RUN_STALE_AFTER_SECONDS``.
    Returns the ids marked.
    """
    now = now or timezone.now()
    cutoff = now - stale_after()
    marked = []
    candidates = MatchRun.objects.filter(status__in=OPEN_RUN_STATUSES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created__lt=cutoff)
    )
    for run_id in candidates.values_list("id", flat=True):
        with transaction.atomic():
            run = MatchRun.objects.select_for_update().get(pk=run_id)
            if run.status in OPEN_RUN_STATUSES and is_stale(run, now):
                mark_stale(run)
                marked.append(run.id)
    return marked


def programs_due(now: datetime | None = None) -> list[str]:
    """Course keys of programs whose schedule (daily, weekly) calls for a run now and that have no open run.

    A program is due when its last run was requested a full period ago (or it never ran).
    """
    now = now or timezone.now()
    periods = {Schedule.DAILY: timedelta(days=1), Schedule.WEEKLY: timedelta(days=7)}
    rows = (
        Program.objects.filter(schedule__in=list(periods))
        .annotate(last_run=Max("runs__created"))
        .exclude(Exists(MatchRun.objects.filter(open_key=OuterRef("pk"))))
        .order_by("id")
    )
    return [
        str(program.course_key)
        for program in rows
        if program.last_run is None or now - program.last_run >= periods[Schedule(program.schedule)]
    ]
