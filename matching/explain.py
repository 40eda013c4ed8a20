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
from operator import attrgetter

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
from matching.features import PRODUCT_BITS, Profiles, quantised_weights

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


def _group(*keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group equal key tuples: the first position of each group, and each position's group.

    Float keys are compared bit for bit (view them as integers first), so equal groups hold identical numbers.
    Integer keys whose ranges fit are packed into one (one stable sort instead of a lexsort: the same order).
    """
    n = keys[0].shape[0]
    packed = _packed(keys)
    if packed is not None:
        keys = (packed,)
    order = np.argsort(keys[0], kind="stable") if len(keys) == 1 else np.lexsort(keys[::-1])
    new = np.zeros(n, dtype=bool)
    if n:
        new[0] = True
    for key in keys:
        ordered = key[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _packed(keys: Sequence[np.ndarray]) -> np.ndarray | None:
    """One int64 key ordering like the key tuples (the first key most significant), or None if they do not fit."""
    if len(keys) < 2 or not keys[0].shape[0] or any(key.dtype.kind not in "iub" for key in keys):
        return None
    bounds = [(int(key.min()), int(key.max())) for key in keys]
    spans = [hi - lo + 1 for lo, hi in bounds]
    if np.prod(spans, dtype=object) >= 1 << 62:
        return None
    packed = np.zeros(keys[0].shape[0], dtype=np.int64)
    for key, (lo, _), span in zip(keys, bounds, spans):
        packed *= span
        packed += key.astype(np.int64) - lo
    return packed


def _float_key(values: np.ndarray) -> np.ndarray:
    """An int64 key per float64 value that is equal exactly when the bits are, and packs when it can.

    The fixed-point numbers explanations group (contributions and values, multiples of 2^-22 below 4) become
    their integer multiples of 2^-22; anything else (or a -0.0, equal to 0.0 but not the same bits) keeps its bits.
    """
    scaled = np.asarray(values, dtype=np.float64) * float(1 << PRODUCT_BITS)  # exact: a power of two
    whole = np.rint(scaled)
    if np.array_equal(whole, scaled) and np.all(np.abs(whole) < 2.0**40) and not np.signbit(scaled[whole == 0]).any():
        return whole.astype(np.int64)
    return _bits(values)


def _spread(items: Sequence, index: np.ndarray) -> list:
    """``[items[k] for k in index]``, through an object array (several times faster than a Python loop)."""
    return np.fromiter(items, dtype=object, count=len(items))[index].tolist()


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


#: Rows are ranked in buckets of equal length (one dense sort per length) while there are at most this many lengths.
ROW_LENGTHS = 64


def _row_entries(
    matrix: sp.csr_matrix, limit: int | None = None, *, bucketed: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, its non-zero columns: all in column order, or the ``limit`` largest values (ties by column).

    Returns the columns row after row and the row bounds (``indptr``). Rows are ranked either all at once (a
    lexsort of every entry by row and value) or, when ``bucketed`` (default: when rows have at most
    :data:`ROW_LENGTHS` distinct lengths), by length: the rows of one length form a dense block sorted row by row.
    Both give the same order (the sorts are stable and columns are in order within each row).
    """
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    n = matrix.shape[0]
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    if limit is None or not indices.size:
        return indices, indptr
    counts = np.diff(indptr)
    kept = np.minimum(counts, limit)
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept, out=out_ptr[1:])
    lengths = np.unique(counts)
    if bucketed is None:
        bucketed = lengths.size <= ROW_LENGTHS
    if not bucketed:
        rows = np.repeat(np.arange(n), counts)
        order = np.lexsort((-data, rows))
        rank = np.arange(order.size) - np.repeat(indptr[:-1], counts)
        return indices[order[rank < limit]], out_ptr
    out = np.empty(int(out_ptr[-1]), dtype=indices.dtype)
    for length in lengths[lengths > 0].tolist():
        rows = np.flatnonzero(counts == length)
        at = indptr[rows][:, None] + np.arange(length)
        order = np.argsort(-data[at], axis=1, kind="stable")[:, :limit]
        to = out_ptr[rows][:, None] + np.arange(order.shape[1])
        out[to] = np.take_along_axis(indices[at], order, axis=1)
    return out, out_ptr


def _tuples(indices: np.ndarray, indptr: np.ndarray, labels: Sequence[str]) -> list[tuple[str, ...]]:
    """Per row, the tuple of the labels of its columns."""
    names = np.asarray(labels, dtype=object)[indices].tolist() if indices.size else []
    return [tuple(names[a:b]) for a, b in pairwise(indptr.tolist())]


def _row_lists(matrix: sp.csr_matrix, labels: Sequence[str], limit: int | None = None) -> list[tuple[str, ...]]:
    """Per row, the labels of its non-zero columns: all in column order, or the ``limit`` largest values."""
    return _tuples(*_row_entries(matrix, limit), labels)


#: Up to this many course areas, the area evidence lays each pair's areas out densely (pairs x areas).
DENSE_AREAS = 64


def _area_entries_dense(profiles: Profiles, mentees: np.ndarray, mentors: np.ndarray) -> tuple[np.ndarray, ...]:
    """The cited areas pair by pair (see :func:`_areas`), each pair's areas laid out densely and sorted alone."""
    n_areas = len(profiles.areas)
    scores = []
    for side, people in ((profiles.mentee_area_scores, mentees), (profiles.mentor_area_scores, mentors)):
        # Every person of the side laid out once (NaN: no score), then gathered per pair.
        matrix = side.tocsr()
        dense = np.full((matrix.shape[0], n_areas), np.nan)
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        # Scores are stored plus one (so a score of 0 is not an absent entry); undo it without float noise.
        dense[rows, matrix.indices] = np.round(matrix.data - 1.0, 12)
        scores.append(dense[people])
    mentee_score, mentor_score = scores
    n = mentee_score.shape[0]
    both = ~np.isnan(mentee_score) & ~np.isnan(mentor_score)
    stronger = mentor_score > mentee_score  # False where either is NaN
    # Rows sort on their own: descending usefulness, ties by column (a stable sort of the negated key);
    # areas that are not cited sort last.
    key = np.where(stronger, -(1.0 - mentee_score) * mentor_score, np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :MAX_AREAS]
    cited = np.minimum(stronger.sum(axis=1), MAX_AREAS)
    cols = order[np.arange(order.shape[1]) < cited[:, None]]
    rows = np.repeat(np.arange(n), cited)
    return cols, mentee_score[rows, cols], mentor_score[rows, cols], cited, both.sum(axis=1)


def _area_entries_sparse(profiles: Profiles, mentees: np.ndarray, mentors: np.ndarray) -> tuple[np.ndarray, ...]:
    """The cited areas pair by pair (see :func:`_areas`), from the (pair, area) keys both sides have."""
    a = profiles.mentee_area_scores[mentees].tocoo()
    b = profiles.mentor_area_scores[mentors].tocoo()
    n, n_areas = a.shape
    key_a = a.row.astype(np.int64) * n_areas + a.col
    key_b = b.row.astype(np.int64) * n_areas + b.col
    common_keys, at_a, at_b = np.intersect1d(key_a, key_b, assume_unique=True, return_indices=True)
    rows, cols = common_keys // n_areas, common_keys % n_areas
    common = np.bincount(rows, minlength=n)
    mentee_score = np.round(a.data[at_a] - 1.0, 12)
    mentor_score = np.round(b.data[at_b] - 1.0, 12)
    sel = mentor_score > mentee_score
    rows, cols, mentee_score, mentor_score = rows[sel], cols[sel], mentee_score[sel], mentor_score[sel]
    order = np.lexsort((cols, -(1.0 - mentee_score) * mentor_score, rows))
    rows, cols, mentee_score, mentor_score = rows[order], cols[order], mentee_score[order], mentor_score[order]
    counts = np.bincount(rows, minlength=n)
    rank = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = rank < MAX_AREAS
    return cols[keep], mentee_score[keep], mentor_score[keep], np.minimum(counts, MAX_AREAS), common


def _areas(
    profiles: Profiles, mentees: np.ndarray, mentors: np.ndarray, *, dense: bool | None = None
) -> tuple[list[tuple[AreaEvidence, ...]], np.ndarray, np.ndarray, np.ndarray]:
    """Per pair, the areas both have scores for where the mentor is stronger, most useful first.

    "Most useful" is ``(1 - mentee score) * mentor score``: the area's term in the performance factor before
    normalisation, so the first area cited is the one that did most for the pair (ties: the area seen first).
    Also returns, per pair, how many areas are cited, how many both have scores for, and the first area cited
    (-1: none). ``dense`` picks the method (default: dense up to :data:`DENSE_AREAS` areas); both give the same.
    """
    if dense is None:
        dense = len(profiles.areas) <= DENSE_AREAS
    entries = _area_entries_dense if dense else _area_entries_sparse
    cols, mentee_score, mentor_score, cited, common = entries(profiles, mentees, mentors)
    items = _instances(
        AreaEvidence,
        cols.size,
        area=_spread(profiles.areas, cols),
        mentee_score=mentee_score.tolist(),
        mentor_score=mentor_score.tolist(),
    )
    bounds = np.zeros(mentees.shape[0] + 1, dtype=np.int64)
    np.cumsum(cited, out=bounds[1:])
    first = np.full(mentees.shape[0], -1, dtype=np.int64)
    first[cited > 0] = cols[bounds[:-1][cited > 0]]
    return [tuple(items[lo:hi]) for lo, hi in pairwise(bounds.tolist())], cited, common, first


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


def _skills_note(shared: int, wanted: int) -> str:
    return f"The mentor offers {shared} of the {wanted} skills the mentee wants."


_NO_TERMS = "The mentee's aspirations and the mentor's profile have no words in common."
_TERMS = "The mentee's aspirations and the mentor's profile share terms such as {}."


def _terms_notes(term_cols: np.ndarray, term_ptr: np.ndarray, labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Per pair, its aspirations note (citing the first three shared terms), as :func:`_notes` gives them."""
    n = term_ptr.shape[0] - 1
    counts = np.minimum(np.diff(term_ptr), 3)
    # One key column per cited term (-1: fewer terms), then one note per distinct key.
    cited = []
    for k in range(3):
        column = np.full(n, -1, dtype=np.int64)
        has = counts > k
        column[has] = term_cols[term_ptr[:-1][has] + k]
        cited.append(column)
    firsts, inverse = _group(*cited)
    counts = counts[firsts]
    names = np.asarray([*labels, ""], dtype=object)  # index -1: no term
    texts = np.empty(firsts.size, dtype=object)
    texts[counts == 0] = _NO_TERMS
    for k in (1, 2, 3):
        at = counts == k
        if not at.any():
            continue
        # head, term, ", ", term, ..., tail joined per note (str.join is twice as fast as %-formatting here)
        head, tail = _TERMS.split("{}")
        pieces = [repeat(head)]
        for j, column in enumerate(cited[:k]):
            pieces += [repeat(", ")] if j else []
            pieces.append(names[column[firsts[at]]].tolist())
        pieces.append(repeat(tail))
        texts[at] = list(map("".join, zip(*pieces)))
    return inverse, texts.tolist()


def _performance_note(cited: int, common: int, first: str | None, has_areas: bool) -> str:
    if cited:
        return (
            f"The mentor is stronger in {cited} of the {common} areas they both have scores for, "
            f"most usefully in {first}."
        )
    if not has_areas:
        return "The mentee has only an overall grade, so the mentor's overall strength counts."
    if not common:
        return "They have no course area in common, so the mentor's overall strength counts."
    return f"The mentor is not stronger than the mentee in the {common} areas they both have scores for."


def _language_note(languages: tuple[str, ...]) -> str:
    return f"They share {', '.join(languages)}." if languages else "They share no language."


def _languages(
    shared: sp.csr_matrix, labels: Sequence[str]
) -> tuple[list[tuple[str, ...]], tuple[np.ndarray, list[str]]]:
    """Per pair, the shared languages, and the language notes as :func:`_notes` gives them.

    Few distinct sets occur, so each is made once (with its note) and shared: pairs are grouped by the bit mask
    of their languages (exact in float64 up to 52 labels; beyond that, by the tuples themselves).
    """
    cols, ptr = _row_entries(shared)
    n = ptr.shape[0] - 1
    if len(labels) > 52:
        tuples = _tuples(cols, ptr, labels)
        index: dict[tuple[str, ...], int] = {}
        ids = np.fromiter((index.setdefault(x, len(index)) for x in tuples), dtype=np.int64, count=n)
        return tuples, (ids, list(map(_language_note, index)))
    rows = np.repeat(np.arange(n), np.diff(ptr))
    masks = np.bincount(rows, weights=np.ldexp(1.0, cols), minlength=n)
    firsts, inverse = _group(masks.view(np.int64))
    bounds = ptr.tolist()
    names = np.asarray(labels, dtype=object)
    distinct = [tuple(names[cols[bounds[r] : bounds[r + 1]]].tolist()) for r in firsts.tolist()]
    return _spread(distinct, inverse), (inverse, list(map(_language_note, distinct)))


def _hours_note(both: int, wanted: int) -> str:
    return f"They are both available {both} of the mentee's {wanted} weekly hours."


def _notes(make, *keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per pair, the index of its note in a list of distinct notes made once per distinct key."""
    firsts, inverse = _group(*keys)
    return inverse, list(map(make, *(key[firsts].tolist() for key in keys)))


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
    # Per factor, the index of each pair's plain-words note in a list of distinct notes (each made once).
    notes: dict[str, tuple[np.ndarray, list[str]]] = {}
    skills = profiles.factors["skills"]
    skill_cols, skill_ptr = _row_entries(skills.mentee[mentee_idx].multiply(skills.mentor[mentor_idx]))
    shared_skills = _tuples(skill_cols, skill_ptr, profiles.skill_labels)
    wanted = np.diff(skills.mentee.indptr)[mentee_idx]
    notes["skills"] = _notes(_skills_note, np.diff(skill_ptr), wanted)
    shared_text = profiles.text_mentee[mentee_idx].multiply(profiles.text_mentor[mentor_idx])
    term_cols, term_ptr = _row_entries(shared_text, MAX_TERMS)
    shared_terms = _tuples(term_cols, term_ptr, profiles.terms)
    notes["aspirations"] = _terms_notes(term_cols, term_ptr, profiles.terms)
    areas, cited, common, first = _areas(profiles, mentee_idx, mentor_idx)
    has_areas = np.diff(profiles.mentee_area_scores.indptr)[mentee_idx] > 0
    area_labels = profiles.areas
    notes["performance"] = _notes(
        lambda c, m, f, h: _performance_note(c, m, area_labels[f] if f >= 0 else None, h),
        cited,
        common,
        first,
        has_areas,
    )
    langs = profiles.mentee_languages[mentee_idx].multiply(profiles.mentor_languages[mentor_idx])
    shared_langs, notes["language"] = _languages(langs, profiles.language_labels)
    hours = np.asarray(
        profiles.mentee_hours[mentee_idx].multiply(profiles.mentor_hours[mentor_idx]).sum(axis=1), dtype=np.int64
    ).ravel()
    mentee_hours = np.diff(profiles.mentee_hours.indptr)[mentee_idx]
    notes["availability"] = _notes(_hours_note, hours, mentee_hours)
    per_factor = []
    for name in FACTORS:
        mentee_known, mentor_known = known[name]
        neutral = ~(mentee_known & mentor_known)
        note_ids, texts = notes[name]
        # A neutral factor's note says whose input is missing: two more notes after the plain ones.
        note_ids = np.where(neutral, len(texts) + mentee_known, note_ids)
        texts = [*texts, _neutral_note(name, False), _neutral_note(name, True)]
        # Factor scores are immutable, so equal ones are shared: few distinct values for most factors.
        # A value is its contribution over the arithmetic weight when that is not 0, so it needs no key then.
        keys = [_float_key(contributions[name]), note_ids]
        if arithmetic_weights[name] <= 0:
            keys.insert(1, _float_key(values[name]))
        firsts, inverse = _group(*keys)
        weight = float(weights[name])
        made = _instances(
            FactorScore,
            firsts.size,
            factor=repeat(name),
            weight=repeat(weight),
            value=values[name][firsts].tolist(),
            contribution=contributions[name][firsts].tolist(),
            neutral=neutral[firsts].tolist(),
            note=_spread(texts, note_ids[firsts]),
        )
        per_factor.append(_spread(made, inverse))
    # Sums of fixed-point numbers: exact in any order, and equal to the solver's score of the pair.
    scores = np.sum([contributions[name] for name in FACTORS], axis=0).tolist()
    evidence = _instances(
        Evidence,
        n_pairs,
        shared_skills=shared_skills,
        complementary_areas=areas,
        overlapping_hours=hours.tolist(),
        shared_languages=shared_langs,
        shared_terms=shared_terms,
    )
    return _instances(
        Match,
        n_pairs,
        mentee_id=map(attrgetter("id"), map(mentees.__getitem__, mentee_idx.tolist())),
        mentor_id=_spread(list(map(attrgetter("id"), mentors)), mentor_idx),
        score=scores,
        factors=zip(*per_factor),
        evidence=evidence,
        pinned=np.asarray(pinned, dtype=bool).tolist(),
    )
