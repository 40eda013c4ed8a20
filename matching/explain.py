"""Explanations of matched pairs: each factor's value, weight and contribution, and the evidence behind them.

Only matched pairs are explained (at most one per mentee), from the same fixed-point per-factor features the
score was built from, in float64 and vectorised over all pairs at once. Each contribution is exactly what the
fused product added for that factor, so a match's contributions sum exactly to the score the solver used, and
``value = contribution / weight`` (with the weight as the arithmetic used it, on a 2^-21 grid: the displayed
weight differs by less than 5e-7).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise, repeat

import numpy as np
import scipy.sparse as sp

from matching.data import (
    FACTORS,
    NEUTRAL_VALUE,
    AreaEvidence,
    Evidence,
    FactorScore,
    Match,
    Mentee,
    Mentor,
)
from matching.features import Profiles, quantised_weights

__all__ = ["MAX_AREAS", "MAX_TERMS", "explain"]

#: At most this many shared aspiration terms are cited per match, most distinctive first.
MAX_TERMS = 8
#: At most this many complementary course areas are cited per match, most useful first.
MAX_AREAS = 5


def _instances(cls: type, count: int, **columns: Iterable) -> list:
    """Build ``count`` instances of a slotted frozen output dataclass from one iterable per field.

    Equivalent to ``[cls(**fields) for fields in rows]`` (the output classes have no ``__post_init__``), but
    sets each slot through its descriptor, column by column: the generated frozen ``__init__`` goes through
    ``object.__setattr__`` field by field and costs several times more, which matters at 100k matches.
    """
    objects = list(map(object.__new__, repeat(cls, count)))
    for name, values in columns.items():
        deque(map(cls.__dict__[name].__set__, objects, values), maxlen=0)
    return objects


def _row_lists(matrix: sp.csr_matrix, labels: Sequence[str], limit: int | None = None) -> list[tuple[str, ...]]:
    """Per row, the labels of its non-zero columns: all in column order, or the ``limit`` largest values."""
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    n = matrix.shape[0]
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    if limit is not None and indices.size:
        rows = np.repeat(np.arange(n), np.diff(indptr))
        order = np.lexsort((indices, -data, rows))
        rank = np.arange(order.size) - np.repeat(indptr[:-1], np.diff(indptr))
        keep = order[rank < limit]
        indices = indices[keep]
        counts = np.minimum(np.diff(indptr), limit)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
    names = np.asarray(labels, dtype=object)[indices].tolist() if indices.size else []
    bounds = indptr.tolist()
    return [tuple(names[a:b]) for a, b in pairwise(bounds)]


def _areas(
    profiles: Profiles, mentees: np.ndarray, mentors: np.ndarray
) -> tuple[list[tuple[AreaEvidence, ...]], list[int]]:
    """Per pair, the areas both have scores for where the mentor is stronger, most useful first.

    "Most useful" is ``(1 - mentee score) * mentor score``: the area's term in the performance factor before
    normalisation, so the first area cited is the one that did most for the pair.
    """
    a = profiles.mentee_area_scores[mentees].tocoo()
    b = profiles.mentor_area_scores[mentors].tocoo()
    n, n_areas = a.shape
    # Areas both have a score for: the keys (pair, area) present on both sides, with both scores aligned.
    key_a = a.row.astype(np.int64) * n_areas + a.col
    key_b = b.row.astype(np.int64) * n_areas + b.col
    common_keys, at_a, at_b = np.intersect1d(key_a, key_b, assume_unique=True, return_indices=True)
    rows, cols = common_keys // n_areas, common_keys % n_areas
    common = np.bincount(rows, minlength=n)
    # Scores are stored plus one (so a score of 0 is not an absent entry); undo it without float noise.
    mentee_score = np.round(a.data[at_a] - 1.0, 12)
    mentor_score = np.round(b.data[at_b] - 1.0, 12)
    sel = mentor_score > mentee_score
    rows, cols, mentee_score, mentor_score = rows[sel], cols[sel], mentee_score[sel], mentor_score[sel]
    order = np.lexsort((cols, -(1.0 - mentee_score) * mentor_score, rows))
    rows, cols, mentee_score, mentor_score = rows[order], cols[order], mentee_score[order], mentor_score[order]
    counts = np.bincount(rows, minlength=n)
    rank = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = rank < MAX_AREAS
    rows, cols, mentee_score, mentor_score = rows[keep], cols[keep], mentee_score[keep], mentor_score[keep]
    names = profiles.areas
    items = _instances(
        AreaEvidence,
        cols.size,
        area=map(names.__getitem__, cols.tolist()),
        mentee_score=mentee_score.tolist(),
        mentor_score=mentor_score.tolist(),
    )
    bounds = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))].tolist()
    return [tuple(items[lo:hi]) for lo, hi in pairwise(bounds)], common.tolist()


_MISSING = {
    "skills": ("listed no skills they want help with", "listed no skills"),
    "aspirations": ("wrote no aspirations", "wrote no profile text or skills"),
    "performance": ("has no course performance yet", "has no course performance yet"),
    "language": ("gave no languages", "gave no languages"),
    "availability": ("gave no available hours", "gave no available hours"),
}


def _neutral_note(name: str, mentee_known: bool) -> str:
    who, missing = ("mentor", _MISSING[name][1]) if mentee_known else ("mentee", _MISSING[name][0])
    return f"The {who} {missing}, so this factor is neutral ({NEUTRAL_VALUE:g})."


def _cached(cache: dict, key: object, make) -> str:
    note = cache.get(key)
    if note is None:
        note = cache[key] = make(key)
    return note


def _skills_note(key: tuple[int, int]) -> str:
    return f"The mentor offers {key[0]} of the {key[1]} skills the mentee wants."


def _terms_note(terms: tuple[str, ...]) -> str:
    if not terms:
        return "The mentee's aspirations and the mentor's profile have no words in common."
    return f"The mentee's aspirations and the mentor's profile share terms such as {', '.join(terms[:3])}."


def _performance_note(areas: tuple[AreaEvidence, ...], has_areas: bool, common: int) -> str:
    if areas:
        return (
            f"The mentor is stronger in {len(areas)} of the {common} areas they both have scores for, "
            f"most usefully in {areas[0].area}."
        )
    if not has_areas:
        return "The mentee has only an overall grade, so the mentor's overall strength counts."
    if not common:
        return "They have no course area in common, so the mentor's overall strength counts."
    return f"The mentor is not stronger than the mentee in the {common} areas they both have scores for."


def _language_note(languages: tuple[str, ...]) -> str:
    return f"They share {', '.join(languages)}." if languages else "They share no language."


def _hours_note(key: tuple[int, int]) -> str:
    return f"They are both available {key[0]} of the mentee's {key[1]} weekly hours."


def explain(
    profiles: Profiles,
    weights: Mapping[str, float],
    mentees: Sequence[Mentee],
    mentors: Sequence[Mentor],
    *,
    mentee_idx: np.ndarray,
    mentor_idx: np.ndarray,
    pinned: np.ndarray,
    kept_terms: np.ndarray | None = None,
) -> list[Match]:
    """Explain matched pairs.

    Args:
        profiles: the program's features.
        weights: normalised factor weights (they sum to 1).
        mentees: the mentees (``mentee_idx`` indexes them).
        mentors: the mentors (``mentor_idx`` indexes them).
        mentee_idx: the mentee of each pair.
        mentor_idx: the mentor of each pair.
        pinned: bool per pair.
        kept_terms: the aspiration terms the score counted (None: all).

    Returns:
        One :class:`Match` per pair, in the given order.
    """
    mentee_idx = np.asarray(mentee_idx, dtype=np.int64)
    mentor_idx = np.asarray(mentor_idx, dtype=np.int64)
    n_pairs = mentee_idx.shape[0]
    if n_pairs == 0:
        return []
    # The exact contribution of each factor (what the solver's score added up), and the value it stands for.
    contributions, values = {}, {}
    arithmetic_weights = quantised_weights(weights)
    for name in FACTORS:
        columns = kept_terms if name == "aspirations" else None
        factor = profiles.factors[name]
        quantised = arithmetic_weights[name]
        contributions[name] = factor.contributions(quantised, mentee_idx, mentor_idx, columns)
        if quantised > 0:
            values[name] = contributions[name] / quantised
        else:  # the factor does not count; still say what it would be
            values[name] = factor.values(mentee_idx, mentor_idx, columns)
    known = {
        name: (profiles.factors[name].mentee_known[mentee_idx], profiles.factors[name].mentor_known[mentor_idx])
        for name in FACTORS
    }
    skills = profiles.factors["skills"]
    shared_skill_matrix = skills.mentee[mentee_idx].multiply(skills.mentor[mentor_idx])
    shared_skills = _row_lists(shared_skill_matrix, profiles.skill_labels)
    wanted = np.diff(skills.mentee.indptr)[mentee_idx].tolist()
    shared_text = profiles.text_mentee[mentee_idx].multiply(profiles.text_mentor[mentor_idx])
    shared_terms = _row_lists(shared_text, profiles.terms, MAX_TERMS)
    areas, common = _areas(profiles, mentee_idx, mentor_idx)
    has_areas = (np.diff(profiles.mentee_area_scores.indptr)[mentee_idx] > 0).tolist()
    langs = profiles.mentee_languages[mentee_idx].multiply(profiles.mentor_languages[mentor_idx])
    shared_langs = _row_lists(langs, profiles.language_labels)
    hours = np.asarray(
        profiles.mentee_hours[mentee_idx].multiply(profiles.mentor_hours[mentor_idx]).sum(axis=1), dtype=np.int64
    ).ravel()
    mentee_hours = np.diff(profiles.mentee_hours.indptr)[mentee_idx]
    hours_list, mentee_hours_list = hours.tolist(), mentee_hours.tolist()
    neutral_notes = {
        (name, mentee_known): _neutral_note(name, mentee_known) for name in FACTORS for mentee_known in (False, True)
    }
    caches: dict[str, dict[object, str]] = {name: {} for name in FACTORS}  # one per factor: keys overlap
    shared_counts = [len(x) for x in shared_skills]
    plain_notes = {
        "skills": [_cached(caches["skills"], key, _skills_note) for key in zip(shared_counts, wanted)],
        "aspirations": [_terms_note(terms) for terms in shared_terms],
        "performance": [_performance_note(*args) for args in zip(areas, has_areas, common)],
        "language": [_cached(caches["language"], langs, _language_note) for langs in shared_langs],
        "availability": [
            _cached(caches["availability"], key, _hours_note) for key in zip(hours_list, mentee_hours_list)
        ],
    }
    per_factor = []
    for name in FACTORS:
        mentee_known, mentor_known = known[name]
        neutral = (~(mentee_known & mentor_known)).tolist()
        notes = [
            neutral_notes[name, a] if n else note
            for n, a, note in zip(neutral, mentee_known.tolist(), plain_notes[name])
        ]
        # Factor scores are immutable, so equal ones are shared: few distinct values for most factors.
        keys = list(zip(contributions[name].tolist(), values[name].tolist(), neutral, notes))
        distinct = list(dict.fromkeys(keys))
        weight = float(weights[name])
        made = _instances(
            FactorScore,
            len(distinct),
            factor=repeat(name),
            weight=repeat(weight),
            value=(k[1] for k in distinct),
            contribution=(k[0] for k in distinct),
            neutral=(k[2] for k in distinct),
            note=(k[3] for k in distinct),
        )
        per_factor.append(list(map(dict(zip(distinct, made)).__getitem__, keys)))
    # Sums of fixed-point numbers: exact in any order, and equal to the solver's score of the pair.
    scores = np.sum([contributions[name] for name in FACTORS], axis=0).tolist()
    evidence = _instances(
        Evidence,
        n_pairs,
        shared_skills=shared_skills,
        complementary_areas=areas,
        overlapping_hours=hours_list,
        shared_languages=shared_langs,
        shared_terms=shared_terms,
    )
    return _instances(
        Match,
        n_pairs,
        mentee_id=[mentees[i].id for i in mentee_idx.tolist()],
        mentor_id=[mentors[j].id for j in mentor_idx.tolist()],
        score=scores,
        factors=zip(*per_factor),
        evidence=evidence,
        pinned=np.asarray(pinned, dtype=bool).tolist(),
    )
