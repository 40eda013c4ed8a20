"""The public data of the matching library: frozen dataclasses in, frozen dataclasses out.

These field names are a contract: the Django plugin builds ``Mentee``/``Mentor`` objects from its models and
stores ``Match.to_dict()`` as the JSON explanation a participant sees. Only the stdlib is imported here, so
any code can use these types without pulling numpy in.

Inputs validate themselves on construction and raise :class:`~matching.errors.InvalidInputError` naming the
person and the field, so a bad record is reported where it is built, not deep inside a matrix product.
Sequences are stored as tuples, sets as frozensets and mappings as private dict copies, so an object never
changes after it is built (do not mutate ``performance``; it is a copy of what you passed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

from matching.errors import InvalidInputError

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "HOURS_PER_WEEK",
    "NEUTRAL_VALUE",
    "OBJECTIVES",
    "STRATEGIES",
    "UNMATCHED_REASONS",
    "AreaEvidence",
    "Evidence",
    "FactorScore",
    "Match",
    "MatchConfig",
    "MatchResult",
    "MatchStats",
    "Mentee",
    "Mentor",
    "Qualification",
    "Unmatched",
    "normalise_weights",
]

#: The factors of a pair's score, in the order explanations list them.
FACTORS: tuple[str, ...] = ("skills", "aspirations", "performance", "language", "availability")

#: Default factor weights (they sum to 1). Skills and course performance are what the programme is about;
#: language and availability matter, but mostly as "can they talk at all", which ``language_required`` covers.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"skills": 0.30, "aspirations": 0.20, "performance": 0.20, "language": 0.15, "availability": 0.15}
)

#: The value a factor takes when an input it needs is missing: the middle of [0, 1], so a missing input
#: neither rewards nor punishes a pair relative to the scale, and every pair missing it is treated alike.
NEUTRAL_VALUE: float = 0.5

#: Availability is a set of hour-of-week slots in UTC, 0 (Monday 00:00) .. 167 (Sunday 23:00).
HOURS_PER_WEEK: int = 168

STRATEGIES: tuple[str, ...] = ("optimal", "stable")
OBJECTIVES: tuple[str, ...] = ("score", "coverage")

#: Stable codes of ``Unmatched.reason``, most fundamental first (the first that applies is reported).
UNMATCHED_REASONS: tuple[str, ...] = (
    "no_mentors",
    "all_excluded",
    "no_shared_language",
    "below_min_score",
    "mentors_at_capacity",
    "not_chosen",
)


# --------------------------------------------------------------------------------------------------------------
# Validation helpers (shared by the dataclasses below and by matching.engine)
# --------------------------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    """True for ints and floats (numpy scalars included) but not bools, which are almost always a mistake."""
    # Plain floats and ints first: the ABC check costs about 2 us a value (a second for 100k people's scores).
    return type(value) is float or type(value) is int or (isinstance(value, Real) and not isinstance(value, bool))


def _unit_interval(person_id: str | None, field_name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number in [0, 1]."""
    if not _is_number(value):
        raise InvalidInputError(person_id, field_name, f"{value!r} is not a number; expected a number in [0, 1]")
    number = float(value)
    if not (0.0 <= number <= 1.0):  # also rejects NaN
        raise InvalidInputError(person_id, field_name, f"{number!r} is outside [0, 1]")
    return number


def _text(person_id: str | None, field_name: str, value: Any) -> str:
    """Return ``value`` if it is a string (``None`` counts as empty), else raise."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInputError(person_id, field_name, f"expected a string, got {type(value).__name__}")
    return value


def _strings(person_id: str | None, field_name: str, values: Any) -> tuple[str, ...]:
    """Return an iterable of strings as a tuple; a bare string is refused (it would become its characters)."""
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError(person_id, field_name, "expected a list of strings")
    out = tuple(values)
    for item in out:
        if not isinstance(item, str):
            raise InvalidInputError(person_id, field_name, f"expected strings, got {type(item).__name__}")
    return out


def _person_id(kind: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError(None, "id", f"a {kind} id must be a non-empty string, got {value!r}")
    return value


def _performance(person_id: str, value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(person_id, "performance", "expected a mapping of area to a number in [0, 1]")
    out: dict[str, float] = {}
    for area, score in value.items():
        if not isinstance(area, str) or not area:
            raise InvalidInputError(person_id, "performance", f"area names must be non-empty strings, got {area!r}")
        if type(score) is float and 0.0 <= score <= 1.0:  # the common case, without naming the entry
            out[area] = score
        else:
            out[area] = _unit_interval(person_id, f"performance[{area!r}]", score)
    return out


def _grade(person_id: str, value: Any) -> float | None:
    return None if value is None else _unit_interval(person_id, "grade", value)


def _availability(person_id: str, value: Any) -> frozenset[int] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInputError(person_id, "availability", "expected a set of hour-of-week slots 0..167 or None")
    given = list(value)
    if set(map(type, given)) <= {int} and (not given or (min(given) >= 0 and max(given) < HOURS_PER_WEEK)):
        return frozenset(given)  # plain ints in range: the common case, checked in C-speed passes
    slots = set()
    for slot in given:
        if not isinstance(slot, Integral) or isinstance(slot, bool) or not (0 <= int(slot) < HOURS_PER_WEEK):
            raise InvalidInputError(person_id, "availability", f"slot {slot!r} is not an hour of the week 0..167")
        slots.add(int(slot))
    return frozenset(slots)


def normalise_weights(weights: Any, field_name: str = "weights") -> dict[str, float]:
    """Check factor weights and return them scaled to sum to 1, with every factor present (missing = 0).

    Args:
        weights: a mapping of factor name (one of :data:`FACTORS`) to a non-negative finite number.
        field_name: the configuration field named in errors (``"weights"`` or ``"mentor_weights"``).

    Returns:
        A dict over all of :data:`FACTORS`, in that order, whose values sum to 1.

    Raises:
        InvalidInputError: an unknown factor, a negative or non-finite weight, or all weights zero.
    """
    if not isinstance(weights, Mapping):
        raise InvalidInputError(None, field_name, "expected a mapping of factor name to weight")
    for name, value in weights.items():
        if name not in FACTORS:
            raise InvalidInputError(None, field_name, f"unknown factor {name!r}; the factors are {', '.join(FACTORS)}")
        if not _is_number(value) or not math.isfinite(float(value)) or float(value) < 0:
            raise InvalidInputError(None, field_name, f"the weight of {name!r} must be a finite number >= 0")
    total = math.fsum(float(weights.get(name, 0.0)) for name in FACTORS)
    if total <= 0:
        raise InvalidInputError(None, field_name, "at least one factor needs a positive weight")
    return {name: float(weights.get(name, 0.0)) / total for name in FACTORS}


# --------------------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Qualification:
    """Evidence about a mentor that a mentee is shown, e.g. a course grade or an earned certificate.

    Attributes:
        kind: a stable code, e.g. ``"course_grade"`` or ``"certificate"``.
        label: what to show, e.g. ``"Course grade"``.
        value: the figure or text behind it (``0.91``, ``"Verified"``), or ``None``.
        verified: whether the platform vouches for it (True) or the mentor declared it (False).
    """

    kind: str
    label: str
    value: str | float | None = None
    verified: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise InvalidInputError(None, "qualifications", "a qualification needs a non-empty kind")
        if not isinstance(self.label, str):
            raise InvalidInputError(None, "qualifications", f"the label of {self.kind!r} must be a string")
        if self.value is not None and not isinstance(self.value, str):
            if not _is_number(self.value) or not math.isfinite(float(self.value)):
                raise InvalidInputError(None, "qualifications", f"the value of {self.kind!r} must be text or a number")
            object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "verified", bool(self.verified))

    def to_dict(self) -> dict[str, Any]:
        """Return the qualification as plain JSON types."""
        return {"kind": self.kind, "label": self.label, "value": self.value, "verified": self.verified}


@dataclass(frozen=True, slots=True)
class Mentee:
    """A learner who wants a mentor.

    Attributes:
        id: opaque, unique among mentees.
        skills_wanted: skill tags the mentee wants help with (compared ignoring case, accents and spacing).
        aspirations: free text in any language.
        performance: course area (an assignment type, a unit) -> score in [0, 1].
        grade: overall course grade in [0, 1], or None.
        languages: languages the mentee can be mentored in (compared ignoring case and spacing).
        availability: hour-of-week slots (UTC, 0..167) the mentee is free, or None when unknown.
        preferences: mentor ids the mentee ranked, best first (unknown ids are ignored).
    """

    id: str
    skills_wanted: tuple[str, ...] = ()
    aspirations: str = ""
    performance: Mapping[str, float] = field(default_factory=dict)
    grade: float | None = None
    languages: tuple[str, ...] = ()
    availability: frozenset[int] | None = None
    preferences: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        pid = _person_id("mentee", self.id)
        object.__setattr__(self, "skills_wanted", _strings(pid, "skills_wanted", self.skills_wanted))
        object.__setattr__(self, "aspirations", _text(pid, "aspirations", self.aspirations))
        object.__setattr__(self, "performance", _performance(pid, self.performance))
        object.__setattr__(self, "grade", _grade(pid, self.grade))
        object.__setattr__(self, "languages", _strings(pid, "languages", self.languages))
        object.__setattr__(self, "availability", _availability(pid, self.availability))
        object.__setattr__(self, "preferences", _strings(pid, "preferences", self.preferences))

    def to_dict(self) -> dict[str, Any]:
        """Return the mentee as plain JSON types (availability as a sorted list)."""
        return {
            "id": self.id,
            "skills_wanted": list(self.skills_wanted),
            "aspirations": self.aspirations,
            "performance": dict(self.performance),
            "grade": self.grade,
            "languages": list(self.languages),
            "availability": None if self.availability is None else sorted(self.availability),
            "preferences": list(self.preferences),
        }


@dataclass(frozen=True, slots=True)
class Mentor:
    """A person who mentors; the same profile fields as :class:`Mentee` plus capacity and qualifications.

    Attributes:
        id: opaque, unique among mentors. A mentor whose id is also a mentee's id is the same person and is
            never matched with themself.
        skills: skill tags the mentor offers.
        about: free text in any language (compared with mentees' aspirations together with ``skills``).
        performance: course area -> score in [0, 1].
        grade: overall course grade in [0, 1], or None.
        languages: languages the mentor can mentor in.
        availability: hour-of-week slots (UTC, 0..167), or None when unknown.
        capacity: how many mentees the mentor can take (>= 0).
        qualifications: evidence shown to mentees.
    """

    id: str
    skills: tuple[str, ...] = ()
    about: str = ""
    performance: Mapping[str, float] = field(default_factory=dict)
    grade: float | None = None
    languages: tuple[str, ...] = ()
    availability: frozenset[int] | None = None
    capacity: int = 1
    qualifications: tuple[Qualification, ...] = ()

    def __post_init__(self) -> None:
        pid = _person_id("mentor", self.id)
        object.__setattr__(self, "skills", _strings(pid, "skills", self.skills))
        object.__setattr__(self, "about", _text(pid, "about", self.about))
        object.__setattr__(self, "performance", _performance(pid, self.performance))
        object.__setattr__(self, "grade", _grade(pid, self.grade))
        object.__setattr__(self, "languages", _strings(pid, "languages", self.languages))
        object.__setattr__(self, "availability", _availability(pid, self.availability))
        capacity = self.capacity
        if not isinstance(capacity, Integral) or isinstance(capacity, bool) or int(capacity) < 0:
            raise InvalidInputError(pid, "capacity", f"{capacity!r} is not a whole number >= 0")
        object.__setattr__(self, "capacity", int(capacity))
        quals = self.qualifications
        if quals is None:
            quals = ()
        if isinstance(quals, Qualification) or not isinstance(quals, Iterable):
            raise InvalidInputError(pid, "qualifications", "expected a list of Qualification")
        quals = tuple(quals)
        for qual in quals:
            if not isinstance(qual, Qualification):
                raise InvalidInputError(pid, "qualifications", f"expected Qualification, got {type(qual).__name__}")
        object.__setattr__(self, "qualifications", quals)

    def to_dict(self) -> dict[str, Any]:
        """Return the mentor as plain JSON types (availability as a sorted list)."""
        return {
            "id": self.id,
            "skills": list(self.skills),
            "about": self.about,
            "performance": dict(self.performance),
            "grade": self.grade,
            "languages": list(self.languages),
            "availability": None if self.availability is None else sorted(self.availability),
            "capacity": self.capacity,
            "qualifications": [q.to_dict() for q in self.qualifications],
        }


def _pairs(field_name: str, value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInputError(None, field_name, "expected a list of (mentee_id, mentor_id) pairs")
    out = []
    for item in value:
        if isinstance(item, str) or not isinstance(item, Iterable):
            raise InvalidInputError(None, field_name, f"{item!r} is not a (mentee_id, mentor_id) pair")
        pair = tuple(item)
        if len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise InvalidInputError(None, field_name, f"{pair!r} is not a (mentee_id, mentor_id) pair of strings")
        out.append(pair)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """How to match: factor weights, strategy, objective and hard constraints.

    Attributes:
        weights: factor -> non-negative weight; missing factors weigh 0; scaled to sum 1 when used.
        strategy: ``"optimal"`` (maximum total score) or ``"stable"`` (mentee-proposing deferred acceptance:
            no mentee and mentor would both rather be together than with whom they got).
        objective: for ``"optimal"``: ``"score"`` maximises the total score; ``"coverage"`` first matches as
            many mentees as possible, then maximises the total score.
        min_score: pairs scoring below it are never made (pinned pairs excepted).
        language_required: forbid pairs that share no language (a person with no languages given is not
            restricted, since nothing is known).
        excluded: (mentee_id, mentor_id) pairs never to make. Pairs naming unknown ids are ignored.
        pinned: (mentee_id, mentor_id) pairs to keep as they are; they use up one unit of the mentor's capacity.
        mentor_weights: the mentor side's factor weights for ``"stable"`` (default: the same as ``weights``).
        top_k: candidates kept per mentee when the program is too large to consider every pair.
        reverse_top_r: best mentees kept per mentor in the same pass, so no mentor is left without candidates
            (``"optimal"``; ``"stable"`` extends each mentee's list in preference order instead).
        certify: for ``"optimal"`` on a pruned candidate graph, prove with LP-dual prices how close the total is
            to the optimum over all pairs, adding missing pairs that could improve it until it is within a
            millionth (``MatchStats.certified_gap``).
    """

    weights: Mapping[str, float] = DEFAULT_WEIGHTS
    strategy: str = "optimal"
    objective: str = "score"
    min_score: float = 0.0
    language_required: bool = False
    excluded: frozenset[tuple[str, str]] = frozenset()
    pinned: tuple[tuple[str, str], ...] = ()
    mentor_weights: Mapping[str, float] | None = None
    top_k: int = 50
    reverse_top_r: int = 20
    certify: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", MappingProxyType(normalise_weights(self.weights, "weights")))
        if self.mentor_weights is not None:
            mentor = MappingProxyType(normalise_weights(self.mentor_weights, "mentor_weights"))
            object.__setattr__(self, "mentor_weights", mentor)
        if self.strategy not in STRATEGIES:
            raise InvalidInputError(None, "strategy", f"{self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        if self.objective not in OBJECTIVES:
            raise InvalidInputError(None, "objective", f"{self.objective!r} is not one of {', '.join(OBJECTIVES)}")
        object.__setattr__(self, "min_score", _unit_interval(None, "min_score", self.min_score))
        object.__setattr__(self, "language_required", bool(self.language_required))
        object.__setattr__(self, "excluded", frozenset(_pairs("excluded", self.excluded)))
        object.__setattr__(self, "pinned", _pairs("pinned", self.pinned))
        for name, low in (("top_k", 1), ("reverse_top_r", 0)):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or int(value) < low:
                raise InvalidInputError(None, name, f"{value!r} is not a whole number >= {low}")
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "certify", bool(self.certify))

    @property
    def mentee_weights(self) -> dict[str, float]:
        """The factor weights, normalised to sum 1, over every factor."""
        return dict(self.weights)

    @property
    def mentor_side_weights(self) -> dict[str, float]:
        """The mentor side's weights for the stable strategy (``weights`` unless ``mentor_weights`` is set)."""
        return dict(self.weights if self.mentor_weights is None else self.mentor_weights)

    def __reduce__(self):  # MappingProxyType does not pickle; rebuild from plain dicts
        return (
            type(self),
            (
                dict(self.weights),
                self.strategy,
                self.objective,
                self.min_score,
                self.language_required,
                self.excluded,
                self.pinned,
                None if self.mentor_weights is None else dict(self.mentor_weights),
                self.top_k,
                self.reverse_top_r,
                self.certify,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain JSON types (pairs as sorted lists)."""
        return {
            "weights": dict(self.weights),
            "strategy": self.strategy,
            "objective": self.objective,
            "min_score": self.min_score,
            "language_required": self.language_required,
            "excluded": [list(p) for p in sorted(self.excluded)],
            "pinned": [list(p) for p in self.pinned],
            "mentor_weights": None if self.mentor_weights is None else dict(self.mentor_weights),
            "top_k": self.top_k,
            "reverse_top_r": self.reverse_top_r,
            "certify": self.certify,
        }


# --------------------------------------------------------------------------------------------------------------
# Outputs (built by the engine; no validation, so building 100k of them stays cheap)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactorScore:
    """One factor's part in a match's score.

    Attributes:
        factor: one of :data:`FACTORS`.
        weight: the factor's normalised weight (the weights of a match sum to 1).
        value: the factor's value for the pair, in [0, 1].
        contribution: ``weight * value``; the contributions of a match sum to its score.
        neutral: True when an input the factor needs was missing, so ``value`` is :data:`NEUTRAL_VALUE`.
        note: the factor's value in plain words.
    """

    factor: str
    weight: float
    value: float
    contribution: float
    neutral: bool
    note: str

    def to_dict(self) -> dict[str, Any]:
        """Return the factor score as plain JSON types."""
        return {
            "factor": self.factor,
            "weight": self.weight,
            "value": self.value,
            "contribution": self.contribution,
            "neutral": self.neutral,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class AreaEvidence:
    """A course area where the mentor is stronger than the mentee, with both scores."""

    area: str
    mentee_score: float
    mentor_score: float

    def to_dict(self) -> dict[str, Any]:
        """Return the area evidence as plain JSON types."""
        return {"area": self.area, "mentee_score": self.mentee_score, "mentor_score": self.mentor_score}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The facts behind a match's factors, drawn from both profiles.

    Attributes:
        shared_skills: skills the mentee wants and the mentor offers.
        complementary_areas: areas both have scores for where the mentor is stronger, most useful first.
        overlapping_hours: weekly hours both are available.
        shared_languages: languages both speak.
        shared_terms: words or phrases that occur in the mentee's aspirations and the mentor's about text or
            skills, most distinctive first.
    """

    shared_skills: tuple[str, ...] = ()
    complementary_areas: tuple[AreaEvidence, ...] = ()
    overlapping_hours: int = 0
    shared_languages: tuple[str, ...] = ()
    shared_terms: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the evidence as plain JSON types."""
        return {
            "shared_skills": list(self.shared_skills),
            "complementary_areas": [a.to_dict() for a in self.complementary_areas],
            "overlapping_hours": self.overlapping_hours,
            "shared_languages": list(self.shared_languages),
            "shared_terms": list(self.shared_terms),
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A mentee paired with a mentor, with the score and why.

    Attributes:
        mentee_id: the mentee.
        mentor_id: the mentor.
        score: the weighted mean of the factor values, in [0, 1] (the sum of the contributions).
        factors: one :class:`FactorScore` per factor, in :data:`FACTORS` order.
        evidence: the facts behind the factors.
        pinned: True if the pair was pinned in the configuration rather than chosen by the engine.
    """

    mentee_id: str
    mentor_id: str
    score: float
    factors: tuple[FactorScore, ...]
    evidence: Evidence
    pinned: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the match as plain JSON types (what the plugin stores as the explanation)."""
        return {
            "mentee_id": self.mentee_id,
            "mentor_id": self.mentor_id,
            "score": self.score,
            "factors": [f.to_dict() for f in self.factors],
            "evidence": self.evidence.to_dict(),
            "pinned": self.pinned,
        }


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A mentee left without a mentor, and why.

    Attributes:
        mentee_id: the mentee.
        reason: one of :data:`UNMATCHED_REASONS`.
        detail: the reason in plain words, with the figures behind it.
    """

    mentee_id: str
    reason: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON types."""
        return {"mentee_id": self.mentee_id, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class MatchStats:
    """Figures about a run.

    Attributes:
        n_mentees: mentees given (pinned ones included).
        n_mentors: mentors given.
        n_matched: mentees matched (pinned ones included).
        n_pinned: pinned pairs kept.
        total_score: the sum of the matches' scores.
        mean_score: the mean score of the matches (0 when there are none).
        min_score: the lowest score of the matches (0 when there are none).
        seconds: wall time per stage: ``"features"``, ``"candidates"``, ``"assignment"``, ``"certify"``,
            ``"explain"``.
        certified_gap: the proven relative gap to the optimum, (upper bound - total) / total, when the optimal
            strategy was certified; ``0.0`` when the whole graph was solved exactly; ``None`` otherwise.
    """

    n_mentees: int
    n_mentors: int
    n_matched: int
    n_pinned: int
    total_score: float
    mean_score: float
    min_score: float
    seconds: Mapping[str, float]
    certified_gap: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as plain JSON types."""
        return {
            "n_mentees": self.n_mentees,
            "n_mentors": self.n_mentors,
            "n_matched": self.n_matched,
            "n_pinned": self.n_pinned,
            "total_score": self.total_score,
            "mean_score": self.mean_score,
            "min_score": self.min_score,
            "seconds": dict(self.seconds),
            "certified_gap": self.certified_gap,
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome of :func:`matching.match`.

    Attributes:
        matches: one per matched mentee, pinned pairs first, then in the mentees' input order.
        unmatched: one per mentee left without a mentor, in input order.
        stats: figures about the run.
    """

    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    stats: MatchStats

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types."""
        return {
            "matches": [m.to_dict() for m in self.matches],
            "unmatched": [u.to_dict() for u in self.unmatched],
            "stats": self.stats.to_dict(),
        }
