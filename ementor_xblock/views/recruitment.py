"""The program panel: the invitation to join, the step-by-step joining form, and where a participant stands.

The invitation shows the pitch, benefits and outcomes the course team wrote, live figures and a personal
reason to join drawn from the learner's own course results.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from ementor_plugin import api
from ementor_plugin.data import Role

from .. import labels, onboarding
from ..availability import PERIODS, cell_id, time_zone_names
from . import ViewContext
from .common import bullet_lines, format_datetime, language_names, paragraphs, percent
from .common import render as render_template


def render(ctx: ViewContext):
    """The program panel's HTML."""
    words = ctx.words
    block = ctx.block
    program = ctx.program
    pitch = program.pitch if program is not None and program.pitch else block.pitch
    benefits = program.benefits if program is not None else block.benefits
    outcomes = program.outcomes if program is not None else block.outcomes
    context: dict[str, Any] = {
        "uid": ctx.uid,
        "pitch": paragraphs(pitch),
        "benefits": bullet_lines(benefits),
        "outcomes": bullet_lines(outcomes),
        "figures": _figures(ctx),
        "invitations": _invitations(ctx),
        "window": _window(ctx),
        "blocked": None,
        "wizard_html": "",
        "membership": None,
    }
    if ctx.joined:
        context["membership"] = _membership(ctx)
    elif ctx.caller.user_id is None:
        context["blocked"] = words.label(labels.JOIN_BLOCKED, "anonymous")
    elif ctx.viewer is None or not ctx.viewer.can_join:
        reason = ctx.viewer.join_blocked_reason if ctx.viewer is not None else "no_program"
        context["blocked"] = words.label(labels.JOIN_BLOCKED, reason or "no_program")
        context["staff_hint"] = bool(ctx.viewer is not None and ctx.viewer.is_staff and reason == "no_program")
    else:
        wizard = {"uid": ctx.uid, "w": wizard_context(ctx)}
        context["wizard_html"] = render_template("panels/wizard.html", wizard, words)
    return render_template("panels/recruitment.html", context, words)


def _figures(ctx: ViewContext) -> list[dict[str, Any]]:
    if ctx.program is None:
        return []
    words = ctx.words
    figures = api.get_program_figures(ctx.caller.course_key)
    return [
        {"value": figures.participants,
         "label": words.ngettext("learner takes part", "learners take part", figures.participants)},
        {"value": figures.paired_learners,
         "label": words.ngettext("learner is paired now", "learners are paired now", figures.paired_learners)},
        {"value": figures.mentors, "label": words.ngettext("mentor", "mentors", figures.mentors)},
        {"value": figures.open_mentor_places,
         "label": words.ngettext("open mentor place", "open mentor places", figures.open_mentor_places)},
    ]


def _invitations(ctx: ViewContext) -> list[str]:
    """Personal reasons to join, from the learner's own course performance (never shown to anyone else)."""
    viewer, words = ctx.viewer, ctx.words
    if viewer is None or ctx.program is None or ctx.caller.user_id is None:
        return []
    out = []
    participant = ctx.participant
    mentoring = participant is not None and ctx.joined and participant.role in (Role.MENTOR, Role.BOTH)
    if viewer.eligible_to_mentor and viewer.grade is not None and not mentoring:
        out.append(words.gettext("Your course grade of {grade} qualifies you to mentor other learners.").format(
            grade=percent(viewer.grade)))
    if not ctx.joined:
        for area in viewer.weak_areas[:2]:
            out.append(words.gettext("A mentor can help with {area}, where you are at {score}.").format(
                area=area.area, score=percent(area.score)))
    return out


def _window(ctx: ViewContext) -> str:
    program = ctx.program
    if program is None:
        return ""
    words = ctx.words
    if program.enrollment_opens and not program.is_enrollment_open and program.enrollment_closes is None:
        return words.gettext("Joining opens on {when}.").format(
            when=format_datetime(program.enrollment_opens, ctx.time_zone))
    if program.enrollment_closes and program.is_enrollment_open:
        return words.gettext("Joining is open until {when}.").format(
            when=format_datetime(program.enrollment_closes, ctx.time_zone))
    if program.enrollment_opens and not program.is_enrollment_open:
        return words.gettext("Joining opens on {when}.").format(
            when=format_datetime(program.enrollment_opens, ctx.time_zone))
    return ""


def _membership(ctx: ViewContext) -> dict[str, Any]:
    participant, words = ctx.participant, ctx.words
    skills = list(participant.skills_wanted) + [s for s in participant.skills_offered
                                                 if s not in participant.skills_wanted]
    return {
        "role": words.label(labels.ROLES, participant.role),
        "status": words.label(labels.PARTICIPANT_STATUSES, participant.status),
        "skills": skills,
        "languages": language_names(participant.languages),
        "time_zone": participant.time_zone.replace("_", " "),
        "capacity": participant.capacity if participant.role in (Role.MENTOR, Role.BOTH) else None,
        "load": participant.load,
    }


def draft_of(ctx: ViewContext) -> tuple[str, dict[str, Any]]:
    """The learner's saved draft (step, values), prefilled from an earlier profile when they rejoin."""
    draft = ctx.block.draft or {}
    values = dict(draft.get("values") or {})
    step = draft.get("step") if draft.get("step") in onboarding.STEPS else onboarding.STEPS[0]
    if not values and ctx.participant is not None and ctx.program is not None:
        values = onboarding.draft_from_profile(ctx.participant, ctx.program)
    return step, values


def wizard_context(ctx: ViewContext) -> dict[str, Any]:
    """What the joining form needs to show its current step with the values the learner already gave."""
    words, program, viewer = ctx.words, ctx.program, ctx.viewer
    step, values = draft_of(ctx)
    index = onboarding.STEPS.index(step)
    role = onboarding.role_of(values)
    context: dict[str, Any] = {
        "step": step,
        "number": index + 1,
        "total": len(onboarding.STEPS),
        "title": words.gettext(onboarding.STEP_TITLES[step]),
        "steps": [
            {"key": key, "title": words.gettext(onboarding.STEP_TITLES[key]), "done": i < index, "current": i == index}
            for i, key in enumerate(onboarding.STEPS)
        ],
        "first": index == 0,
        "last": index == len(onboarding.STEPS) - 1,
        "values": values,
        "role": role,
        "wants_mentor": onboarding.wants_mentor(role),
        "mentors": onboarding.mentors(role),
        "resumed": bool(ctx.block.draft) and index > 0,
    }
    builder = {"role": _role_step, "profile": _profile_step, "availability": _availability_step,
               "goals": _goals_step, "consent": _consent_step}[step]
    context.update(builder(ctx, values, program, viewer))
    return context


def _role_step(ctx, values, program, viewer) -> dict[str, Any]:
    words = ctx.words
    threshold = percent(program.mentor_grade_threshold)
    locked = "" if viewer.eligible_to_mentor else words.gettext(
        "Mentoring opens at a course grade of {threshold}; yours is {grade}."
    ).format(threshold=threshold, grade=percent(viewer.grade))
    options = [
        ("mentee", words.gettext("Get a mentor"),
         words.gettext("A learner who did well in this course helps you where you want to improve."), ""),
        ("mentor", words.gettext("Be a mentor"),
         words.gettext("Help another learner with what you are good at. It also deepens your own understanding."),
         locked),
        ("both", words.gettext("Both"),
         words.gettext("Mentor someone in your strong areas and get help in others."), locked),
    ]
    return {"role_options": [
        {"value": value, "label": label, "description": description, "disabled": bool(reason), "reason": reason,
         "checked": values.get("role") == value}
        for value, label, description, reason in options
    ]}


def _skill_choices(program, chosen) -> list[dict[str, Any]]:
    chosen_folded = {str(item).casefold() for item in (chosen if isinstance(chosen, list) else [])}
    return [{"value": skill, "checked": skill.casefold() in chosen_folded} for skill in program.skills]


def _profile_step(ctx, values, program, viewer) -> dict[str, Any]:
    words = ctx.words
    chosen_languages = values.get("languages") if isinstance(values.get("languages"), list) else None
    if chosen_languages is None:
        # First visit: tick the language the learner reads the course in.
        language = (get_language() or "en")[:2]
        chosen_languages = [language]
    return {
        "skill_list": bool(program.skills),
        "skills_wanted": _skill_choices(program, values.get("skills_wanted")),
        "skills_offered": _skill_choices(program, values.get("skills_offered")),
        "skills_wanted_text": values.get("skills_wanted") if isinstance(values.get("skills_wanted"), str) else "",
        "skills_offered_text": values.get("skills_offered") if isinstance(values.get("skills_offered"), str) else "",
        "experience_levels": [
            {"value": code, "label": words.gettext(text), "checked": values.get("experience_level") == code}
            for code, text in labels.EXPERIENCE_LEVELS.items()
        ],
        "languages": [
            {"value": code, "label": name, "checked": code in chosen_languages}
            for code, name in labels.COMMON_LANGUAGES
        ],
        "share_performance": values.get("share_performance", True) is not False,
        "strong_areas": [area.area for area in viewer.strong_areas[:3]],
    }


def _availability_step(ctx, values, program, viewer) -> dict[str, Any]:
    words = ctx.words
    ticked = set(values.get("availability") or [])
    return {
        "time_zones": time_zone_names(),
        "time_zone": values.get("time_zone") or "",
        "periods": [{"code": code, "label": words.gettext(label)} for code, (label, _first, _last) in PERIODS.items()],
        "days": [
            {"name": words.weekday(day),
             "cells": [{"value": cell_id(day, code), "checked": cell_id(day, code) in ticked,
                        "label": f"{words.weekday(day)}, {words.gettext(label)}"}
                       for code, (label, _first, _last) in PERIODS.items()]}
            for day in range(7)
        ],
        "capacity": values.get("capacity") or program.default_mentor_capacity,
        "max_capacity": program.max_mentor_capacity,
    }


def _goals_step(ctx, values, program, viewer) -> dict[str, Any]:
    role = onboarding.role_of(values)
    ideas = api.preview_goal_suggestions(
        ctx.caller.user_id, ctx.caller.course_key, role=role,
        experience_level=values.get("experience_level") or "beginner",
    )
    return {
        "goal_slots": [
            {"index": index, "title": values.get(f"goal_title_{index}", ""),
             "criteria": values.get(f"goal_criteria_{index}", ""), "key": values.get(f"goal_key_{index}", "")}
            for index in range(1, onboarding.GOAL_SLOTS + 1)
        ],
        "ideas": [{"key": idea.key, "title": idea.title, "criteria": idea.success_criteria, "reason": idea.reason}
                  for idea in ideas[:4]],
    }


def legal_html(ctx: ViewContext, level: int):
    """The privacy notice and code of conduct, with headings at ``level``."""
    context = {"uid": ctx.uid, "level": level, "notice_version": ctx.viewer.privacy_notice_version}
    return render_template("panels/legal.html", context, ctx.words)


def _consent_step(ctx, values, program, viewer) -> dict[str, Any]:
    return {"consent": values.get("consent") is True, "legal_html": legal_html(ctx, 6)}
