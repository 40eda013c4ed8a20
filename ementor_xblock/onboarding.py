"""The joining steps: which fields each step holds, how each is checked, and how a draft becomes a profile.

Each step is checked on its own when the learner presses "Next", so mistakes surface where they are made;
the whole draft is checked again before joining, and the plugin's API checks everything a last time. Drafts
keep what the learner typed (lists and strings, local time-zone boxes), so leaving midway loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ementor_plugin import api
from ementor_plugin.data import ParticipantData, ProgramData, ViewerData

from . import labels
from .availability import PERIODS, cell_id, is_time_zone, parse_cell, to_utc_slots
from .handlers import Payload

STEPS = ("role", "profile", "availability", "goals", "consent")
STEP_TITLES = {
    "role": labels.gettext_noop("Your role"),
    "profile": labels.gettext_noop("Your profile"),
    "availability": labels.gettext_noop("Your week"),
    "goals": labels.gettext_noop("First goals"),
    "consent": labels.gettext_noop("Privacy and conduct"),
}
GOAL_SLOTS = 3
MAX_SKILLS = 30
MAX_SKILL = 64
MAX_TEXT = 5000
MAX_GOAL_TITLE = 200
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_COMMON = {code for code, _name in labels.COMMON_LANGUAGES}

#: Where each field of the API's profile lives in the steps (to send its errors back to the right step).
FIELD_STEP = {
    "role": "role",
    "skills_wanted": "profile",
    "skills_offered": "profile",
    "aspirations": "profile",
    "about": "profile",
    "experience_level": "profile",
    "languages": "profile",
    "share_performance": "profile",
    "time_zone": "availability",
    "availability": "availability",
    "capacity": "availability",
    "consent_version": "consent",
}


def step_inputs(step: str) -> tuple[str, ...]:
    """The form fields a step sends (what its draft part is made of)."""
    if step == "goals":
        parts = ("title", "criteria", "key")
        return tuple(f"goal_{part}_{index}" for index in range(1, GOAL_SLOTS + 1) for part in parts)
    return _STEP_INPUTS[step]


_STEP_INPUTS = {
    "role": ("role",),
    "profile": ("skills_wanted", "other_skills_wanted", "skills_offered", "other_skills_offered", "aspirations",
                "about", "experience_level", "languages", "other_languages", "share_performance"),
    "availability": ("time_zone", "availability", "capacity"),
    "consent": ("consent",),
}


@dataclass(frozen=True)
class StepContext:
    """What checking a step needs to know besides the values: the program and who the learner is."""

    program: ProgramData
    viewer: ViewerData
    gettext: Callable[[str], str]


def role_of(values: Mapping[str, Any]) -> str:
    """The role the draft holds (mentee until chosen)."""
    role = values.get("role")
    return role if role in labels.ROLES else "mentee"


def wants_mentor(role: str) -> bool:
    """Whether the role looks for a mentor."""
    return role in ("mentee", "both")


def mentors(role: str) -> bool:
    """Whether the role takes mentees."""
    return role in ("mentor", "both")


def split_list(text: str) -> list[str]:
    """Split a comma- or line-separated list typed by a learner into items (trimmed, no empties)."""
    return [item.strip() for item in re.split(r"[,\n;]", text or "") if item.strip()]


def check_step(step: str, values: Mapping[str, Any], ctx: StepContext) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check one step's fields.

    Args:
        step: one of :data:`STEPS`.
        values: the whole draft (later steps depend on the role chosen first).
        ctx: the program, the viewer and the translation function.

    Returns:
        (clean values of this step, field -> messages); the values are kept in the draft even when invalid.
    """
    payload = Payload(values, ctx.gettext)
    clean = _CHECKS[step](payload, values, ctx)
    return clean, payload.errors


def _check_role(payload: Payload, values: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    _ = ctx.gettext
    role = payload.choice("role", labels.ROLES)
    if role is not None and mentors(role) and not ctx.viewer.eligible_to_mentor:
        threshold = round(ctx.program.mentor_grade_threshold * 100)
        payload.add_error(
            "role",
            _("Mentors need a course grade of at least {threshold}%. Choose \"Get a mentor\" for now.").format(
                threshold=threshold
            ),
        )
    return {"role": role}


def _check_skills(payload: Payload, name: str, ctx: StepContext) -> list[str]:
    """Skills ticked from the program's list plus any typed in ``other_<name>``, or all typed when it has none.

    A typed skill that is on the list (ignoring case, accents and spacing, as matching compares them) takes the
    list's spelling, so it counts as that skill; others are kept as typed. Problems with the typed text are
    reported on the text field itself.
    """
    _ = ctx.gettext
    known: dict[str, str] = {}
    for skill in ctx.program.skills:
        known.setdefault(api.skill_key(skill), skill)
    chosen: list[str] = []
    typed_name = name
    if known:
        ticked = payload.strings(name, max_items=MAX_SKILLS, max_length=MAX_SKILL)
        if any(api.skill_key(skill) not in known for skill in ticked):
            payload.add_error(name, _("Choose skills from the list."))
        chosen = [known[api.skill_key(skill)] for skill in ticked if api.skill_key(skill) in known]
        typed_name = f"other_{name}"
    typed = split_list(payload.text(typed_name, max_length=2000))
    if any(len(item) > MAX_SKILL for item in typed):
        payload.add_error(typed_name, _("Keep each skill under {limit} characters.").format(limit=MAX_SKILL))
    seen = {api.skill_key(skill) for skill in chosen}
    for item in typed:
        key = api.skill_key(item)
        if key not in seen:
            seen.add(key)
            chosen.append(known.get(key, " ".join(item.split())))
    if len(chosen) > MAX_SKILLS:
        payload.add_error(typed_name, _("Name at most {limit} skills.").format(limit=MAX_SKILLS))
    return chosen


def _check_profile(payload: Payload, values: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    _ = ctx.gettext
    role = role_of(values)
    clean: dict[str, Any] = {}
    if wants_mentor(role):
        clean["skills_wanted"] = _check_skills(payload, "skills_wanted", ctx)
        clean["aspirations"] = payload.text("aspirations", max_length=MAX_TEXT)
        if not clean["skills_wanted"] and not clean["aspirations"] and "skills_wanted" not in payload.errors:
            payload.add_error(
                "skills_wanted", _("Choose at least one skill you want help with, or describe what you hope for.")
            )
    if mentors(role):
        clean["skills_offered"] = _check_skills(payload, "skills_offered", ctx)
        clean["about"] = payload.text("about", max_length=MAX_TEXT)
        if not clean["skills_offered"] and not clean["about"] and "skills_offered" not in payload.errors:
            payload.add_error("skills_offered", _("Choose at least one skill you can help with, or tell us about you."))
    clean["experience_level"] = payload.choice("experience_level", labels.EXPERIENCE_LEVELS)
    codes = payload.strings("languages", max_items=10, max_length=20)
    codes += split_list(payload.text("other_languages", max_length=200))
    languages: list[str] = []
    for typed in codes:
        code = typed.lower()
        if not _LANGUAGE.match(code):
            payload.add_error("languages", _("Use language codes such as en, fr or pt-br."))
            break
        if code not in languages:
            languages.append(code)
    if not languages and "languages" not in payload.errors:
        payload.add_error("languages", _("Choose at least one language you can talk in."))
    if len(languages) > 10:
        payload.add_error("languages", _("Choose at most {limit} languages.").format(limit=10))
    clean["languages"] = languages
    clean["share_performance"] = payload.boolean("share_performance", default=True)
    return clean


def _check_availability(payload: Payload, values: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    _ = ctx.gettext
    time_zone = values.get("time_zone")
    if not is_time_zone(time_zone):
        payload.add_error("time_zone", _("Choose your time zone from the list."))
        time_zone = None
    cells = payload.strings("availability", max_items=7 * len(PERIODS), max_length=16)
    if any(parse_cell(cell) is None for cell in cells):
        payload.add_error("availability", _("Choose times from the table."))
    elif not cells:
        payload.add_error("availability", _("Tick at least one time of the week when you are usually free."))
    clean: dict[str, Any] = {"time_zone": time_zone, "availability": cells}
    if mentors(role_of(values)):
        clean["capacity"] = payload.integer("capacity", low=1, high=ctx.program.max_mentor_capacity)
    return clean


def _check_goals(payload: Payload, values: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    _ = ctx.gettext
    clean: dict[str, Any] = {}
    written = 0
    for index in range(1, GOAL_SLOTS + 1):
        title = payload.text(f"goal_title_{index}", max_length=MAX_GOAL_TITLE)
        criteria = payload.text(f"goal_criteria_{index}", max_length=MAX_TEXT)
        key = payload.text(f"goal_key_{index}", max_length=64)
        if criteria and not title:
            payload.add_error(f"goal_title_{index}", _("Give this goal a title."))
        written += bool(title)
        clean.update({f"goal_title_{index}": title, f"goal_criteria_{index}": criteria, f"goal_key_{index}": key})
    if not written and "goal_title_1" not in payload.errors:
        payload.add_error("goal_title_1", _("Write at least one goal. You can change it later."))
    return clean


def _check_consent(payload: Payload, values: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    _ = ctx.gettext
    accepted = values.get("consent") is True
    if not accepted:
        payload.add_error("consent", _("Accept the privacy notice and the code of conduct to join."))
    return {"consent": accepted}


_CHECKS = {
    "role": _check_role,
    "profile": _check_profile,
    "availability": _check_availability,
    "goals": _check_goals,
    "consent": _check_consent,
}


def check_all(values: Mapping[str, Any], ctx: StepContext) -> tuple[dict[str, Any], dict[str, list[str]], str | None]:
    """Check every step. Returns (clean values, field -> messages, the first step with an error or None)."""
    clean: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    first_bad = None
    for step in STEPS:
        step_clean, step_errors = check_step(step, values, ctx)
        clean.update(step_clean)
        if step_errors and first_bad is None:
            first_bad = step
        problems.update(step_errors)
    return clean, problems, first_bad


def join_arguments(clean: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``api.join_program`` (besides ids and consent) for a checked draft."""
    role = clean["role"]
    kwargs: dict[str, Any] = {
        "role": role,
        "experience_level": clean["experience_level"],
        "languages": list(clean["languages"]),
        "share_performance": bool(clean["share_performance"]),
        "time_zone": clean["time_zone"],
        "availability": to_utc_slots(clean["availability"], clean["time_zone"]),
    }
    if wants_mentor(role):
        kwargs["skills_wanted"] = list(clean["skills_wanted"])
        kwargs["aspirations"] = clean["aspirations"]
    if mentors(role):
        kwargs["skills_offered"] = list(clean["skills_offered"])
        kwargs["about"] = clean["about"]
        kwargs["capacity"] = clean["capacity"]
    return kwargs


def goals_of(clean: Mapping[str, Any]) -> list[dict[str, str]]:
    """The goals a checked draft holds, as ``api.create_goal`` keyword arguments."""
    goals = []
    for index in range(1, GOAL_SLOTS + 1):
        title = clean.get(f"goal_title_{index}") or ""
        if title:
            goals.append({
                "title": title,
                "success_criteria": clean.get(f"goal_criteria_{index}") or "",
                "suggestion_key": clean.get(f"goal_key_{index}") or "",
            })
    return goals


def cells_from_slots(slots: tuple[int, ...], tz_name: str) -> list[str]:
    """The local boxes to tick for stored UTC slots (a box is ticked when at least half its hours are free)."""
    free = set(slots)
    ticked = []
    for day in range(7):
        for period in PERIODS:
            cell = cell_id(day, period)
            hours = to_utc_slots([cell], tz_name)
            if hours and sum(hour in free for hour in hours) * 2 >= len(hours):
                ticked.append(cell)
    return ticked


def draft_from_profile(participant: ParticipantData, program: ProgramData) -> dict[str, Any]:
    """Prefill a draft from an earlier profile (a learner who withdrew and joins again)."""
    values: dict[str, Any] = {"role": str(participant.role)}
    listed = {api.skill_key(skill) for skill in program.skills}
    for name, skills in (("skills_wanted", participant.skills_wanted), ("skills_offered", participant.skills_offered)):
        if listed:
            values[name] = [skill for skill in skills if api.skill_key(skill) in listed]
            values[f"other_{name}"] = ", ".join(skill for skill in skills if api.skill_key(skill) not in listed)
        else:
            values[name] = ", ".join(skills)
    values.update({
        "aspirations": participant.aspirations,
        "about": participant.about,
        "experience_level": str(participant.experience_level),
        "languages": [code for code in participant.languages if code in _COMMON],
        "other_languages": ", ".join(code for code in participant.languages if code not in _COMMON),
        "share_performance": participant.share_performance,
        "time_zone": participant.time_zone,
        "availability": cells_from_slots(participant.availability, participant.time_zone),
    })
    if participant.capacity:
        values["capacity"] = participant.capacity
    return values
