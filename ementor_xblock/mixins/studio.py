"""The Studio editor: every program setting, checked field by field, saved to the block and to the program.

Studio does not enforce ``String(values=...)`` (any string is saved), so every value is checked here, in
:func:`clean_settings`, which both the editor's save handler and ``validate_field_data`` use. Saving also
updates the course's program through the plugin's API, so the next matching run in the LMS uses it (Studio
and the LMS share the platform's database).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from web_fragments.fragment import Fragment
from xblock.fields import Boolean, Dict, Float, Integer, List, Scope, String
from xblock.validation import ValidationMessage

from ementor_plugin import api
from ementor_plugin import errors as plugin_errors

from .. import labels
from ..handlers import Caller, InputError, Payload, json_action
from ..views.common import Words, dom_id, loader, percent_int, render

FACTOR_KEYS = tuple(labels.FACTORS)
DEFAULT_WEIGHTS = {"skills": 30, "aspirations": 20, "performance": 20, "language": 15, "availability": 15}
INITIAL_PANELS = ("auto", "recruitment", "goals", "match", "staff")
MAX_CAPACITY = 50

#: Settings that are also the program's configuration (the rest only concern this unit).
PROGRAM_FIELDS = (
    "title", "pitch", "benefits", "outcomes", "skills", "enrollment_opens", "enrollment_closes",
    "mentor_grade_threshold", "weak_area_threshold", "default_mentor_capacity", "max_mentor_capacity",
    "strategy", "objective", "weights", "min_score", "language_required", "requires_approval", "schedule",
)


def _parse_moment(value: Any) -> datetime | None:
    """A "YYYY-MM-DDTHH:MM" moment in UTC (what the editor sends), or None when empty."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def clean_settings(raw: Mapping[str, Any], gettext: Callable[[str], str]
                   ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check the editor's values; return (clean field values, field -> messages).

    Shares (thresholds, minimum fit) arrive as percentages 0..100 and are stored as fractions 0..1; weights are
    relative points 0..100 (only their proportions matter); dates are UTC "YYYY-MM-DDTHH:MM" strings or "".
    """
    _ = gettext
    payload = Payload(raw, gettext)
    clean: dict[str, Any] = {}

    def keep(name: str, value: Any) -> None:
        if name not in payload.errors:
            clean[name] = value

    keep("display_name", payload.text("display_name", max_length=255, required=True))
    keep("title", payload.text("title", max_length=255, required=True))
    for name in ("pitch", "benefits", "outcomes"):
        keep(name, payload.text(name, max_length=10000))
    skills_text = raw.get("skills", "")
    if isinstance(skills_text, list):
        skills_text = "\n".join(str(item) for item in skills_text)
    if not isinstance(skills_text, str):
        payload.add_error("skills", _("Write one skill per line."))
        skills_text = ""
    skills: list[str] = []
    for line in skills_text.splitlines():
        skill = " ".join(line.split())
        if skill and skill.casefold() not in {s.casefold() for s in skills}:
            skills.append(skill)
    if any(len(skill) > 64 for skill in skills):
        payload.add_error("skills", _("Keep each skill under {limit} characters.").format(limit=64))
    if len(skills) > 300:
        payload.add_error("skills", _("List at most {limit} skills.").format(limit=300))
    keep("skills", skills)
    moments = {}
    for name in ("enrollment_opens", "enrollment_closes"):
        try:
            moments[name] = _parse_moment(raw.get(name))
        except ValueError:
            payload.add_error(name, _("Enter a date and time such as 2026-12-01T09:00, or leave it empty."))
            continue
        keep(name, moments[name].strftime("%Y-%m-%dT%H:%M") if moments[name] else "")
    if moments.get("enrollment_opens") and moments.get("enrollment_closes") and (
            moments["enrollment_closes"] <= moments["enrollment_opens"]):
        payload.add_error("enrollment_closes", _("Joining must close after it opens."))
        clean.pop("enrollment_closes", None)
    for name in ("mentor_grade_threshold", "weak_area_threshold", "min_score"):
        value = _percentage(payload, name)
        if value is not None:
            keep(name, value)
    default = payload.integer("default_mentor_capacity", low=1, high=MAX_CAPACITY)
    maximum = payload.integer("max_mentor_capacity", low=1, high=MAX_CAPACITY)
    if default is not None and maximum is not None and default > maximum:
        payload.add_error("default_mentor_capacity", _("The usual number cannot be above the maximum."))
    keep("default_mentor_capacity", default)
    keep("max_mentor_capacity", maximum)
    keep("strategy", payload.choice("strategy", labels.STRATEGIES))
    keep("objective", payload.choice("objective", labels.OBJECTIVES))
    keep("schedule", payload.choice("schedule", labels.SCHEDULES))
    keep("initial_panel", payload.choice("initial_panel", INITIAL_PANELS))
    for name in ("language_required", "requires_approval"):
        keep(name, payload.boolean(name, default=False))
    weights = payload.mapping("weights")
    clean_weights = {}
    for factor in FACTOR_KEYS:
        value = weights.get(factor, 0)
        if isinstance(value, str) and value.strip():
            try:
                value = float(value)
            except ValueError:
                value = None
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or not (
                0 <= value <= 100):
            payload.add_error(f"weight_{factor}", _("Enter a number from 0 to 100."))
            continue
        clean_weights[factor] = float(value)
    unknown = set(weights) - set(FACTOR_KEYS)
    if unknown:
        payload.add_error("weights", _("Unknown factors: {names}.").format(names=", ".join(sorted(unknown))))
    elif len(clean_weights) == len(FACTOR_KEYS) and not any(clean_weights.values()):
        payload.add_error("weights", _("Give at least one factor a weight above zero."))
    if not any(name.startswith("weight") for name in payload.errors):
        clean["weights"] = clean_weights
    return clean, payload.errors


def _percentage(payload: Payload, name: str) -> float | None:
    """A percentage 0..100 from the editor, as a fraction 0..1."""
    value = payload.data.get(name)
    if isinstance(value, str) and value.strip():
        try:
            value = float(value)
        except ValueError:
            value = None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or not (
            0 <= value <= 100):
        payload.add_error(name, payload._("Enter a percentage from 0 to 100."))
        return None
    return round(float(value) / 100, 4)


class StudioMixin:
    """Author settings, the Studio editor and the program they configure."""

    display_name = String(display_name="Display name", default="Mentoring", scope=Scope.settings,
                          help="The name learners see in the course navigation.")
    title = String(display_name="Program title", default="Find a mentor, or become one", scope=Scope.settings)
    pitch = String(
        display_name="Pitch", scope=Scope.settings, multiline_editor=True,
        default="Mentors are learners who did well in this course and want to help. Mentees get a partner who "
                "is strong where they want to improve.",
    )
    benefits = String(display_name="Benefits", default="", scope=Scope.settings, multiline_editor=True)
    outcomes = String(display_name="Outcomes", default="", scope=Scope.settings, multiline_editor=True)
    skills = List(display_name="Skills", default=[], scope=Scope.settings)
    enrollment_opens = String(display_name="Joining opens (UTC)", default="", scope=Scope.settings)
    enrollment_closes = String(display_name="Joining closes (UTC)", default="", scope=Scope.settings)
    mentor_grade_threshold = Float(display_name="Mentor grade threshold", default=0.8, scope=Scope.settings)
    weak_area_threshold = Float(display_name="Weak area threshold", default=0.6, scope=Scope.settings)
    default_mentor_capacity = Integer(display_name="Usual mentees per mentor", default=2, scope=Scope.settings)
    max_mentor_capacity = Integer(display_name="Maximum mentees per mentor", default=5, scope=Scope.settings)
    strategy = String(display_name="Strategy", default="optimal", scope=Scope.settings,
                      values=("optimal", "stable"))
    objective = String(display_name="Objective", default="score", scope=Scope.settings, values=("score", "coverage"))
    weights = Dict(display_name="Factor weights", default=DEFAULT_WEIGHTS, scope=Scope.settings)
    min_score = Float(display_name="Minimum fit", default=0.0, scope=Scope.settings)
    language_required = Boolean(display_name="Partners must share a language", default=False, scope=Scope.settings)
    requires_approval = Boolean(display_name="Staff approve pairings", default=False, scope=Scope.settings)
    schedule = String(display_name="Schedule", default="manual", scope=Scope.settings,
                      values=("manual", "daily", "weekly"))
    initial_panel = String(display_name="Panel shown first", default="auto", scope=Scope.settings,
                           values=INITIAL_PANELS)

    editable_fields = ("display_name", *PROGRAM_FIELDS, "initial_panel")

    def program_settings(self) -> dict[str, Any]:
        """This block's settings as ``api.configure_program`` keyword arguments."""
        values = {name: getattr(self, name) for name in PROGRAM_FIELDS}
        for name in ("enrollment_opens", "enrollment_closes"):
            values[name] = _parse_moment(values[name]) if values[name] else None
        values["skills"] = list(values["skills"])
        values["weights"] = dict(values["weights"])
        return values

    def _editor_values(self, caller: Caller) -> dict[str, Any]:
        """What the editor shows: the program's current configuration when it exists, else this block's."""
        values = {name: getattr(self, name) for name in self.editable_fields}
        program = None
        if caller.course_key is not None:
            try:
                program = api.get_program(caller.course_key)
            except plugin_errors.EmentorError:
                program = None
        if program is not None:
            for name in PROGRAM_FIELDS:
                values[name] = getattr(program, name)
            for name in ("enrollment_opens", "enrollment_closes"):
                moment = values[name]
                values[name] = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M") if moment else ""
            values["skills"] = list(program.skills)
        total = sum(float(v) for v in values["weights"].values()) or 1.0
        shares = {k: round(float(values["weights"].get(k, 0)) * 100 / total, 1) for k in FACTOR_KEYS}
        values["weights"] = {k: int(v) if v.is_integer() else v for k, v in shares.items()}
        return values

    def studio_view(self, context=None):  # pylint: disable=unused-argument
        """The Studio editor."""
        from ..context import course_key_of, current_user_id

        words = Words(self.runtime.service(self, "i18n"))
        caller = Caller(current_user_id(self), course_key_of(self))
        values = self._editor_values(caller)
        html = render("studio.html", {"uid": dom_id(self.scope_ids.usage_id), **self._editor_context(words, values)},
                      words)
        fragment = Fragment(html)
        fragment.add_css(loader.load_unicode("public/css/ementor.css"))
        fragment.add_javascript(loader.load_unicode("public/js/ementor_studio.js"))
        fragment.initialize_js("EmentorStudioEditor", {"strings": self._studio_strings(words)})
        return fragment

    def _editor_context(self, words: Words, values: dict[str, Any]) -> dict[str, Any]:
        def options(table: Mapping[str, Any], current: str) -> list[dict[str, Any]]:
            out = []
            for code, text in table.items():
                name, help_text = text if isinstance(text, tuple) else (text, "")
                help_words = words.gettext(help_text) if help_text else ""
                out.append({"value": code, "label": words.gettext(name), "help": help_words,
                            "checked": code == current})
            return out

        return {
            "v": values,
            "skills_text": "\n".join(values["skills"]),
            "mentor_pct": percent_int(values["mentor_grade_threshold"]),
            "weak_pct": percent_int(values["weak_area_threshold"]),
            "min_pct": percent_int(values["min_score"]),
            "strategies": options(labels.STRATEGIES, values["strategy"]),
            "objectives": options(labels.OBJECTIVES, values["objective"]),
            "schedules": options(labels.SCHEDULES, values["schedule"]),
            "panels": options({"auto": labels.gettext_noop("Whatever fits the learner best"), **labels.PANELS},
                              values["initial_panel"]),
            "factors": [
                {"key": key, "name": words.factor(key)[0], "help": words.factor(key)[1],
                 "weight": values["weights"].get(key, 0)}
                for key in FACTOR_KEYS
            ],
            "max_capacity": MAX_CAPACITY,
        }

    @staticmethod
    def _studio_strings(words: Words) -> dict[str, str]:
        return {
            "saving": words.gettext("Saving…"),
            "saved": words.gettext("Saved. The next matching run uses these settings."),
            "fix": words.gettext("Some settings need your attention."),
            "network": words.gettext("The server could not be reached. Check your connection and try again."),
            # xgettext:no-python-format
            "share": words.gettext("{percent}% of the fit"),
        }

    @json_action(needs_course=False)
    def studio_submit(self, payload: Payload, caller: Caller) -> dict:
        """Save the editor. Payload: ``values`` (field -> value). 400 with a message per bad field."""
        clean, problems = clean_settings(payload.mapping("values"), payload._)
        payload.check()
        if problems:
            raise InputError(problems)
        program_values = dict(clean)
        for name in ("enrollment_opens", "enrollment_closes"):
            program_values[name] = _parse_moment(clean[name])
        if caller.course_key is not None:
            api.configure_program(caller.user_id, caller.course_key,
                                  **{name: program_values[name] for name in PROGRAM_FIELDS})
        for name, value in clean.items():
            setattr(self, name, value)
        return {"saved": True, "synced": caller.course_key is not None}

    def validate_field_data(self, validation, data) -> None:
        """Studio's own check of the block's values (shown on the unit page when something is wrong)."""
        gettext = self.runtime.service(self, "i18n").gettext
        raw = {name: getattr(data, name) for name in self.editable_fields}
        for name in ("mentor_grade_threshold", "weak_area_threshold", "min_score"):
            value = raw[name]
            raw[name] = value * 100 if isinstance(value, int | float) and not isinstance(value, bool) else value
        _clean, problems = clean_settings(raw, gettext)
        for name, messages in problems.items():
            field = self.fields.get(name) or self.fields.get("weights")
            for message in messages:
                validation.add(ValidationMessage(ValidationMessage.ERROR, f"{field.display_name}: {message}"))

    def validate(self):
        """The block's validation, as Studio asks for it."""
        validation = super().validate()
        self.validate_field_data(validation, self)
        return validation
