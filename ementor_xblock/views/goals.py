"""The goals panel ("call to action"): own goals, suggestions, progress, and both sides' goals side by side.

The learner's own goals come with their progress updates and suggestions drawn from their course results;
once paired, both sides' goals appear next to each other with how well they line up.
"""

from __future__ import annotations

from typing import Any

from ementor_plugin import api
from ementor_plugin.data import GoalAlignment, GoalData, MatchStatus, Role

from .. import labels
from . import ViewContext
from .common import format_date, percent
from .common import render as render_template


def goal_dict(ctx: ViewContext, goal: GoalData, *, with_updates: bool = True) -> dict[str, Any]:
    """A goal as the templates show it."""
    words = ctx.words
    return {
        "id": goal.id,
        "title": goal.title,
        "criteria": goal.success_criteria,
        "target_date": format_date(goal.target_date),
        "target_iso": goal.target_date.isoformat() if goal.target_date else "",
        "status": str(goal.status),
        "status_label": words.label(labels.GOAL_STATUSES, goal.status),
        "progress": goal.progress,
        "updates": [
            {"progress": update.progress, "note": update.note, "date": format_date(update.created.date())}
            for update in reversed(goal.updates)
        ] if with_updates else [],
    }


def alignment_dict(ctx: ViewContext, alignment: GoalAlignment) -> dict[str, Any]:
    """How two sides' goals line up, in words as well as a number."""
    words = ctx.words
    score = alignment.score
    if score >= 0.4:
        level = words.gettext("Strongly aligned")
    elif score >= 0.15:
        level = words.gettext("Partly aligned")
    elif alignment.shared_themes:
        level = words.gettext("A little aligned")
    else:
        level = words.gettext("Not aligned yet")
    return {
        "score": percent(score),
        "width": max(2, round(score * 100)),
        "level": level,
        "shared": list(alignment.shared_themes),
        "mine": list(alignment.my_themes[:8]),
        "theirs": list(alignment.partner_themes[:8]),
        "supported": list(alignment.supported_areas),
    }


def render(ctx: ViewContext):
    """The goals panel's HTML."""
    user_id, course_key = ctx.caller.user_id, ctx.caller.course_key
    goals = api.list_goals(user_id, course_key)
    suggestions = api.suggest_goals(user_id, course_key)
    pairs = []
    for match in api.list_my_matches(user_id, course_key):
        if match.status != MatchStatus.ACTIVE:
            continue
        partner_goals = api.get_partner_goals(user_id, match.id)
        pairs.append({
            "match_id": match.id,
            "partner": match.partner.username,
            "partner_is_mentor": match.partner.role == Role.MENTOR,
            "mine": [goal_dict(ctx, goal, with_updates=False) for goal in goals],
            "theirs": [goal_dict(ctx, goal, with_updates=False) for goal in partner_goals],
            "alignment": alignment_dict(ctx, api.get_goal_alignment(user_id, match.id)),
        })
    context = {
        "uid": ctx.uid,
        "goals": [goal_dict(ctx, goal) for goal in goals],
        "statuses": [{"value": code, "label": ctx.words.gettext(text)} for code, text in labels.GOAL_STATUSES.items()],
        "suggestions": [
            {"key": s.key, "title": s.title, "criteria": s.success_criteria, "reason": s.reason}
            for s in suggestions[:5]
        ],
        "pairs": pairs,
        "can_add": len(goals) < 20,
    }
    return render_template("panels/goals.html", context, ctx.words)
