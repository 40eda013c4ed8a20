"""eMentor matching engine: pure numpy/scipy, no Django.

Frozen dataclasses in (:class:`Mentee`, :class:`Mentor`, :class:`MatchConfig`), frozen dataclasses out
(:class:`MatchResult`). See ``matching/README.md`` for the maths, complexity and guarantees.
"""

from matching.data import (
    DEFAULT_WEIGHTS,
    FACTORS,
    NEUTRAL_VALUE,
    UNMATCHED_REASONS,
    AreaEvidence,
    Evidence,
    FactorScore,
    Match,
    MatchConfig,
    MatchResult,
    MatchStats,
    Mentee,
    Mentor,
    Qualification,
    Unmatched,
)
from matching.engine import Problem, combine, match, prepare, score_chunk
from matching.errors import InvalidInputError, MatchingError

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "NEUTRAL_VALUE",
    "UNMATCHED_REASONS",
    "AreaEvidence",
    "Evidence",
    "FactorScore",
    "InvalidInputError",
    "Match",
    "MatchConfig",
    "MatchResult",
    "MatchStats",
    "MatchingError",
    "Mentee",
    "Mentor",
    "Problem",
    "Qualification",
    "Unmatched",
    "combine",
    "match",
    "prepare",
    "score_chunk",
]
