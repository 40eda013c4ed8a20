"""Input checks for ``api``: each cleaner returns clean values or collects per-field messages.

Kept apart from ``api`` so the rules (lengths, vocabularies, ranges) read in one place. Messages are
translatable and name no other person's data. Nothing here touches the database.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from numbers import Integral, Real
from typing import Any

from django.utils.translation import gettext as _

from matching.data import DEFAULT_WEIGHTS, FACTORS
from matching.text import normalise_tag

from .data import ExperienceLevel, GoalStatus, Objective, Role, Schedule, Strategy
from .errors import ValidationError

MAX_TEXT = 5000  # about, aspirations, success criteria, notes
MAX_PROGRAM_TEXT = 10000
MAX_TITLE = 200
MAX_SKILL = 64
MAX_SKILLS = 30
MAX_PROGRAM_SKILLS = 300
MAX_LANGUAGES = 10
MAX_CAPACITY = 50
HOURS_PER_WEEK = 168
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class Collector:
    """Gathers per-field messages so one response can report every problem at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Record a problem with ``field``."""
        self.errors.setdefault(field, []).append(message)

    def clean(self, field: str, value: Any, cleaner: Callable[[Any], Any]) -> Any:
        """Run ``cleaner(value)``; a ``ValueError`` becomes a message on ``field`` and None is returned."""
        try:
            return cleaner(value)
        except ValueError as exc:
            self.add(field, str(exc))
            return None

    def raise_if_any(self) -> None:
        """Raise ``ValidationError`` with every collected message, if there are any."""
        if self.errors:
            raise ValidationError(self.errors)


def reject_unknown(values: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Raise ``ValidationError`` naming every key of ``values`` that is not in ``allowed``."""
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field is not known.")] for name in unknown})


# ----------------------------------------------------------------------------------------------------------------
# Scalar cleaners: each raises ValueError with a message for the person who typed the value
# ----------------------------------------------------------------------------------------------------------------


def text(max_length: int, *, required: bool = False) -> Callable[[Any], str]:
    """A cleaner for free text: a string, stripped, at most ``max_length`` characters."""

    def clean(value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(_("Enter text."))
        value = value.strip()
        if required and not value:
            raise ValueError(_("This field is required."))
        if len(value) > max_length:
            raise ValueError(_("Keep this under {limit} characters.").format(limit=max_length))
        if "\x00" in value:
            raise ValueError(_("This text contains a character that is not allowed."))
        return value

    return clean


def boolean(value: Any) -> bool:
    """A true boolean (not 0/1 or "yes")."""
    if not isinstance(value, bool):
        raise ValueError(_("Choose yes or no."))
    return value


def choice(enum) -> Callable[[Any], Any]:
    """A cleaner for one value of a string enum."""

    def clean(value: Any):
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise ValueError(_("Choose one of: {choices}.").format(choices=allowed)) from None

    return clean


def unit_interval(value: Any) -> float:
    """A finite number in [0, 1]."""
    if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(float(value)):
        raise ValueError(_("Enter a number between 0 and 1."))
    if not 0 <= float(value) <= 1:
        raise ValueError(_("Enter a number between 0 and 1."))
    return float(value)


def integer(low: int, high: int) -> Callable[[Any], int]:
    """A cleaner for a whole number in [low, high]."""

    def clean(value: Any) -> int:
        if not isinstance(value, Integral) or isinstance(value, bool):
            raise ValueError(_("Enter a whole number."))
        if not low <= int(value) <= high:
            raise ValueError(_("Enter a number from {low} to {high}.").format(low=low, high=high))
        return int(value)

    return clean


def aware_datetime_or_none(value: Any) -> datetime | None:
    """None, or a datetime that carries its time zone."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(_("Enter a date and time with a time zone."))
    return value


def date_or_none(value: Any) -> date | None:
    """None or a calendar date."""
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(_("Enter a date."))
    return value


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def time_zone(value: Any) -> str:
    """An IANA time zone name such as "Europe/Paris"."""
    if not isinstance(value, str) or value not in _time_zones():
        raise ValueError(_("Choose a time zone from the list, such as Europe/Paris."))
    return value


def _string_list(value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(_("Enter a list."))
    return list(value)


def _tag_list(value: Any, max_items: int, key: Callable[[str], str], spell: Callable[[str, str], str]) -> list[str]:
    """Trim each tag, check its length, keep the first of those sharing ``key`` (spelled by ``spell``)."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in _string_list(value):
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(_("Each skill must be non-empty text."))
        item = " ".join(raw.split())
        if len(item) > MAX_SKILL:
            raise ValueError(_("Keep each skill under {limit} characters.").format(limit=MAX_SKILL))
        folded = key(item)
        if folded not in seen:
            seen.add(folded)
            out.append(spell(folded, item))
    if len(out) > max_items:
        raise ValueError(_("Choose at most {limit} skills.").format(limit=max_items))
    return out


def tags(*, max_items: int = MAX_SKILLS) -> Callable[[Any], list[str]]:
    """A cleaner for a list of tags (a program's skill list): trimmed, de-duplicated ignoring case."""
    return lambda value: _tag_list(value, max_items, str.casefold, lambda _key, item: item)


def profile_tags(vocabulary: Iterable[str] = (), *, max_items: int = MAX_SKILLS) -> Callable[[Any], list[str]]:
    """A cleaner for a participant's skills: the program's list where they match it, free text otherwise.

    Tags are compared the way the matching engine compares them (:func:`matching.text.normalise_tag`: case,
    accents, spacing, hyphens), so a tag the program offers takes the program's spelling ("machine-learning"
    becomes "Machine Learning") and lands on the same skill as everyone who ticked it; a learner's own skill
    is kept as typed, since refusing it would lose what the learner knows about themself.
    """
    known: dict[str, str] = {}
    for term in vocabulary:
        known.setdefault(normalise_tag(term), term)
    return lambda value: _tag_list(value, max_items, normalise_tag, known.get)


def languages(value: Any) -> list[str]:
    """Language codes such as "en", "pt-br" (lower case), de-duplicated in order."""
    out: list[str] = []
    for item in _string_list(value):
        if not isinstance(item, str) or not _LANGUAGE.match(item.strip().lower()):
            raise ValueError(_("Use language codes such as en, fr or pt-br."))
        code = item.strip().lower()
        if code not in out:
            out.append(code)
    if len(out) > MAX_LANGUAGES:
        raise ValueError(_("Choose at most {limit} languages.").format(limit=MAX_LANGUAGES))
    return out


def availability(value: Any) -> list[int]:
    """Hour-of-week slots in UTC (0 = Monday 00:00 .. 167), sorted and de-duplicated."""
    slots = set()
    for item in _string_list(value):
        if not isinstance(item, Integral) or isinstance(item, bool) or not 0 <= int(item) < HOURS_PER_WEEK:
            raise ValueError(_("Each slot must be an hour of the week from 0 to 167."))
        slots.add(int(item))
    return sorted(slots)


def weights(value: Any) -> dict[str, float]:
    """Factor weights: known factors, non-negative finite numbers, not all zero. Missing factors weigh 0."""
    if not isinstance(value, Mapping):
        raise ValueError(_("Give a weight for each factor."))
    if not value:
        return dict(DEFAULT_WEIGHTS)
    for name, weight in value.items():
        if name not in FACTORS:
            raise ValueError(_('"{factor}" is not a factor. The factors are: {factors}.').format(
                factor=name, factors=", ".join(FACTORS)
            ))
        if not isinstance(weight, Real) or isinstance(weight, bool) or not math.isfinite(float(weight)):
            raise ValueError(_("Each weight must be a number."))
        if float(weight) < 0:
            raise ValueError(_("Weights cannot be negative."))
    if sum(float(weight) for weight in value.values()) <= 0:
        raise ValueError(_("At least one factor needs a weight above zero."))
    return {name: float(value.get(name, 0.0)) for name in FACTORS}


# ----------------------------------------------------------------------------------------------------------------
# Field tables: which cleaner applies to which input field
# ----------------------------------------------------------------------------------------------------------------

PROGRAM_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "title": text(255),
    "pitch": text(MAX_PROGRAM_TEXT),
    "benefits": text(MAX_PROGRAM_TEXT),
    "outcomes": text(MAX_PROGRAM_TEXT),
    "enrollment_opens": aware_datetime_or_none,
    "enrollment_closes": aware_datetime_or_none,
    "strategy": choice(Strategy),
    "objective": choice(Objective),
    "weights": weights,
    "min_score": unit_interval,
    "language_required": boolean,
    "default_mentor_capacity": integer(1, MAX_CAPACITY),
    "max_mentor_capacity": integer(1, MAX_CAPACITY),
    "mentor_grade_threshold": unit_interval,
    "weak_area_threshold": unit_interval,
    "requires_approval": boolean,
    "schedule": choice(Schedule),
    "skills": tags(max_items=MAX_PROGRAM_SKILLS),
}

#: Profile fields a participant sets (``role`` and ``consent_version`` are handled by the API itself).
PROFILE_FIELDS = (
    "skills_offered",
    "skills_wanted",
    "aspirations",
    "about",
    "languages",
    "availability",
    "time_zone",
    "capacity",
    "experience_level",
    "share_performance",
)


def profile_cleaners(program_skills: Iterable[str], max_capacity: int) -> dict[str, Callable[[Any], Any]]:
    """The cleaners of a participant profile in a program (its skill vocabulary and capacity limit)."""
    return {
        "role": choice(Role),
        "skills_offered": profile_tags(program_skills),
        "skills_wanted": profile_tags(program_skills),
        "aspirations": text(MAX_TEXT),
        "about": text(MAX_TEXT),
        "languages": languages,
        "availability": availability,
        "time_zone": time_zone,
        "capacity": integer(0, max_capacity),
        "experience_level": choice(ExperienceLevel),
        "share_performance": boolean,
        "consent_version": text(32),
    }


GOAL_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "title": text(MAX_TITLE, required=True),
    "success_criteria": text(MAX_TEXT),
    "target_date": date_or_none,
    "status": choice(GoalStatus),
    "suggestion_key": text(64),
}
