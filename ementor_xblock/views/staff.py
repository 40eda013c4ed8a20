"""The course-team panel: program figures, matching runs, pairings to approve and mentees still waiting.

Staff start a run and watch its progress, read the last runs' figures, approve proposed pairings, and see
each waiting mentee with the reason matching gave.
"""

from __future__ import annotations

from typing import Any

from ementor_plugin import api
from ementor_plugin.data import ParticipantStatus, RunData, RunStatus

from .. import labels
from . import ViewContext
from .common import format_datetime, percent, percent_int
from .common import render as render_template


def run_dict(ctx: ViewContext, run: RunData) -> dict[str, Any]:
    """A run as the panel (and the progress poller) shows it."""
    words = ctx.words
    figures = run.figures or {}
    seconds = figures.get("seconds") or {}
    total = sum(float(value) for value in seconds.values() if isinstance(value, int | float))
    return {
        "id": run.id,
        "status": str(run.status),
        "status_label": words.label(labels.RUN_STATUSES, run.status),
        "stage_label": words.label(labels.RUN_STAGES, run.stage),
        "percent": run.percent,
        "open": run.is_open,
        "when": format_datetime(run.created, "UTC"),
        "trigger": words.gettext("Scheduled") if str(run.trigger) == "schedule" else words.gettext("Course team"),
        "matched": figures.get("n_matched", "—"),
        "new": figures.get("n_new", "—"),
        "mentees": figures.get("n_mentees", "—"),
        "mentors": figures.get("n_mentors", "—"),
        "coverage": percent(figures["coverage"]) if isinstance(figures.get("coverage"), int | float) else "—",
        "mean_score": percent(figures["mean_score"]) if isinstance(figures.get("mean_score"), int | float) else "—",
        "seconds": f"{total:.1f}" if total else "—",
        "error": run.error,
        "succeeded": run.status == RunStatus.SUCCEEDED,
    }


def run_progress_text(ctx: ViewContext, run: RunData) -> str:
    """One sentence for the live region while a run progresses."""
    words = ctx.words
    if run.status == RunStatus.SUCCEEDED:
        figures = run.figures or {}
        return words.gettext("Matching finished: {new} new pairings, {coverage} of mentees paired.").format(
            new=figures.get("n_new", 0), coverage=percent(figures.get("coverage")))
    if run.status in (RunStatus.FAILED, RunStatus.STALE):
        error = run.error or words.label(labels.RUN_STATUSES, run.status)
        return words.gettext("Matching did not finish: {error}").format(error=error)
    stage = words.label(labels.RUN_STAGES, run.stage)
    return words.gettext("{stage}: {percent}%").format(stage=stage, percent=run.percent)


def _waiting(ctx: ViewContext, last: RunData | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mentees without a mentor, each with a reason, and the last run's reason counts."""
    words = ctx.words
    people = api.list_participants(ctx.caller.user_id, ctx.caller.course_key, role="mentee")
    figures = (last.figures or {}) if last is not None else {}
    by_person = figures.get("unmatched_by_participant") or {}
    reasons = figures.get("unmatched_reasons") or {}
    # When every mentee the run left unmatched had the same reason, each waiting mentee it saw had that reason.
    only_reason = next(iter(reasons)) if len(reasons) == 1 else ""
    rows = []
    for person in people:
        if person.status == ParticipantStatus.WITHDRAWN or person.has_open_match_as_mentee:
            continue
        if person.status == ParticipantStatus.PAUSED:
            code = "paused"
        elif last is None:
            code = "no_run_yet"
        elif person.joined > last.created:
            code = "not_in_run"
        else:
            code = by_person.get(str(person.id), only_reason)
        rows.append({
            "username": person.username,
            "grade": percent(person.grade),
            "reason": (words.label(labels.UNMATCHED_REASONS, code) if code
                       else words.gettext("See the last run's reasons")),
        })
    counts = [
        {"label": words.label(labels.UNMATCHED_REASONS, code), "count": count}
        for code, count in sorted((figures.get("unmatched_reasons") or {}).items(), key=lambda item: -item[1])
    ]
    return rows, counts


def render(ctx: ViewContext):
    """The course-team panel's HTML."""
    words = ctx.words
    user_id, course_key = ctx.caller.user_id, ctx.caller.course_key
    context: dict[str, Any] = {"uid": ctx.uid, "program": ctx.program is not None}
    if ctx.program is None:
        return render_template("panels/staff.html", context, words)
    figures = api.get_program_figures(course_key)
    runs = api.list_runs(user_id, course_key, limit=6)
    current = runs[0] if runs else None
    last_done = next((run for run in runs if not run.is_open), None)
    waiting, reason_counts = _waiting(ctx, next((r for r in runs if r.status == RunStatus.SUCCEEDED), None))
    proposed = api.list_matches(user_id, course_key, status="proposed")
    context.update({
        "figures": [
            {"label": words.gettext("Participants"), "value": figures.participants},
            {"label": words.gettext("Mentors"), "value": figures.mentors},
            {"label": words.gettext("Mentees"), "value": figures.mentees},
            {"label": words.gettext("Active pairings"), "value": figures.active_matches},
            {"label": words.gettext("Mentees waiting"), "value": figures.waiting_mentees},
            {"label": words.gettext("Open mentor places"), "value": figures.open_mentor_places},
        ],
        "current": run_dict(ctx, current) if current is not None and current.is_open else None,
        "current_text": run_progress_text(ctx, current) if current is not None and current.is_open else "",
        "last": run_dict(ctx, last_done) if last_done is not None else None,
        "runs": [run_dict(ctx, run) for run in runs if not run.is_open][:5],
        "proposed": [
            {"id": match.id, "mentee": match.mentee_username, "mentor": match.mentor_username,
             "score": percent(match.score), "width": percent_int(match.score)}
            for match in proposed
        ],
        "waiting": waiting[:50],
        "waiting_more": max(0, len(waiting) - 50),
        "reason_counts": reason_counts,
        "schedule": words.label(labels.SCHEDULES, ctx.program.schedule),
        "requires_approval": ctx.program.requires_approval,
    })
    return render_template("panels/staff.html", context, words)
