"""Per-factor features, and their fusion into one float32 vector per person so scoring is one matrix product.

Every factor's contribution to the score of a mentee ``i`` and a mentor ``j`` has the same bilinear shape:

    c_f(i, j) = w_f * NEUTRAL                         if the mentee lacks the input,
              = w_f * NEUTRAL                         if the mentor lacks it,
              = w_f * base_f[j] + (w_f U_f[i]) . V_f[j]  otherwise,

with sparse rows ``U_f[i]`` (mentee side) and ``V_f[j]`` (mentor side), so ``value_f = c_f / w_f``:

* skills: ``U`` = the mentee's wanted tags, each ``1/|wanted|``; ``V`` = the mentor's tags as 0/1. The dot is the
  share of the wanted skills the mentor offers. ``base = 0``.
* aspirations: unit-norm TF-IDF rows of the mentee's aspirations and of the mentor's about text plus skills;
  the dot is their cosine. ``base = 0``.
* performance: ``U[i, a] = need_i(a) / sum_a need_i(a)`` with ``need = 1 - score`` over the mentee's areas
  (uniform when the mentee is perfect everywhere). The mentor's strength in an area is its score there, or its
  fallback ``f_j`` (grade, else mean area score) where it has none; with ``base[j] = f_j`` and
  ``V[j, a] = score_j(a) - f_j`` the value is the need-weighted mean of the mentor's strengths, in [0, 1]. A
  mentee with a grade but no area scores gets ``f_j``, the mentor's overall strength.
* language: mentors are grouped by their set of languages; ``U[i, g] = 1`` if the mentee shares a language with
  group ``g`` and ``V[j, g] = 1`` for the mentor's group. The dot is exactly 1 or 0. ``base = 0``.
* availability: ``U[i, h] = 1/|hours_i|`` and ``V[j, h] = 1`` over the 168 weekly hours; the dot is the
  share of the mentee's hours the mentor is also free. ``base = 0``.

So the score ``sum_f c_f`` is one dot product of a mentee vector and a mentor vector over the columns
``[constant | one "mentor lacks f" column per factor | performance fallback | every factor's U/V columns]``:
the constant column carries ``sum_f w_f NEUTRAL [mentee lacks f]`` against 1; the column of factor ``f``
carries ``w_f [mentee has f]`` against ``NEUTRAL [mentor lacks f]``; the fallback column carries
``w_perf [mentee has performance]`` against ``f_j [mentor has performance]``; the term columns carry
``w_f U_f`` against ``V_f``. The weights live on the mentee side only, so a second set of weights (the mentor
side's, for the stable strategy) reuses the mentor vectors.

``language_required`` folds into the same product: a mentee's language entries become ``w U - P (1 - U)``,
which subtracts ``P = 1.25`` from exactly the pairs that share no language, so they score below zero while
every allowed pair scores in [0, 1].

Exact arithmetic. Every entry is a fixed-point number: weights sit on a 2^-21 grid, the mentee side of the
binary factors (skills, language, availability) on 2^-22, TF-IDF weights on 2^-12 (weighted, mentee side)
against 2^-10 (mentor side), and
performance on 2^-12 (weighted need shares, rounded so each mentee's shares still add up) against 2^-10
(mentor scores, rounded to nearest). Every product is then a multiple of 2^-22 and every partial sum of a pair's
dot product stays below 4 in magnitude, so it fits float32's 24-bit significand: the float32 GEMM adds exact
numbers and its result does not depend on the order of the additions. Scores are therefore bitwise identical
whatever the chunking, the BLAS build, the thread count or the numpy version, and a match's contributions
(recomputed in float64 by :meth:`Factor.contributions`) sum exactly to the score the solver used. The cost:
the skills, language and availability values are exact to 1e-6; the aspiration and performance values carry a
fixed-point error (measured at weight 0.2: mean 5e-4 and at most 5e-3 for the cosine, mean 2.5e-4 and at most
1.2e-3 for performance), identical on every machine and far below what the inputs themselves mean.

The dense width of the product is bounded: columns are ranked by how many pairs they touch
(``nnz(U col) * nnz(V col)``); the top ``dense_width`` go into the dense float32 block and the rest stay sparse
and are added exactly by a sparse product (few pairs, by construction). Aspiration terms are the exception:
sparse aspiration columns are kept only while their pair count fits ``residual_budget``; the others are dropped
from the score (documented in the README: the cosine then counts only the kept terms, never more).

Within the dense block, the columns that fewer than :data:`GEMM_DENSITY` of the mentees have are not worth a
GEMM's multiply-adds (a mentee row holds about 79 of 512 on the benchmark program): each mentee entry there adds
its weight times the mentor column to the mentee's row of scores instead (an axpy over the mentors), at a sixth
of the GEMM's rate but on under a twentieth of the entries. The sums stay exact, so the order does not matter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain

import numpy as np
import scipy.sparse as sp

from matching._memory import release
from matching.data import FACTORS, HOURS_PER_WEEK, NEUTRAL_VALUE, Mentee, Mentor
from matching.text import normalise_tag, term_matrix

try:  # adds A @ X into Y in place; scipy's public product would allocate and zero a chunk-sized array each time
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - present in every scipy the platform ships; the fallback is tested
    _csr_matvecs = None

__all__ = [
    "FORBIDDEN_BELOW",
    "LANGUAGE_PENALTY",
    "PRICE_COLUMN",
    "PRODUCT_BITS",
    "Factor",
    "FusedFeatures",
    "Profiles",
    "build_profiles",
    "fuse",
    "quantise",
    "quantised_weights",
]

#: What ``language_required`` subtracts from a pair that shares no language (exact in binary).
LANGUAGE_PENALTY = 1.25
#: Fused scores below this are forbidden pairs (allowed pairs score in [0, 1], forbidden ones at most -0.25).
FORBIDDEN_BELOW = -0.125
#: Every product in the fused dot product is a multiple of 2^-PRODUCT_BITS.
PRODUCT_BITS = 22
#: Weights are cut to this many fractional bits (so w/2, the neutral contribution, is a multiple of 2^-22).
WEIGHT_BITS = 21
#: Fractional bits of the aspiration (TF-IDF) entries: mentee side (weight x TF-IDF) and mentor side.
TEXT_BITS = 12
TERM_BITS = PRODUCT_BITS - TEXT_BITS
#: Fractional bits of the performance entries: mentee side (weight x need share, small numbers) and mentor
#: side (scores in [0, 1], rounded to nearest). 12 + 10 = 22 balances the two sides' errors.
NEED_BITS = 12
STRENGTH_BITS = PRODUCT_BITS - NEED_BITS


def quantise(values: np.ndarray, bits: int) -> np.ndarray:
    """Round towards minus infinity to a multiple of ``2**-bits`` (float64 in, float64 out, exact)."""
    scale = float(1 << bits)
    return np.floor(np.asarray(values, dtype=np.float64) * scale) / scale


def _nearest(values: np.ndarray, bits: int) -> np.ndarray:
    """Round to the nearest multiple of ``2**-bits`` (values in [0, 1] stay in [0, 1])."""
    scale = float(1 << bits)
    return np.rint(np.asarray(values, dtype=np.float64) * scale) / scale


def quantised_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weights the arithmetic uses: multiples of 2^-21 within 2^-21 of ``weights``, with the same sum.

    Each weight is cut to :data:`WEIGHT_BITS` fractional bits and the units lost are handed back to the largest
    remainders (largest remainder method, ties in factor order), so weights summing to 1 still do and a pair
    neutral on every factor scores exactly 0.5.
    """
    scale = float(1 << WEIGHT_BITS)
    units = np.array([float(weights.get(name, 0.0)) * scale for name in FACTORS])
    floor = np.floor(units)
    missing = int(np.rint(units.sum() - floor.sum()))
    if missing > 0:
        order = np.lexsort((np.arange(len(FACTORS)), -(units - floor)))
        floor[order[:missing]] += 1.0
    return {name: float(floor[k] / scale) for k, name in enumerate(FACTORS)}


#: Up to this many columns, the entries of a row are ranked on a dense rows x columns layout.
DENSE_RANK_COLUMNS = 64


def _rank_in_row(key: np.ndarray, row_of: np.ndarray, indices: np.ndarray, indptr: np.ndarray, width: int):
    """Each entry's rank within its row by ``(key, column)`` (entries of a row have distinct columns).

    Narrow matrices (the performance areas) are laid out densely, one stable sort per row of a few numbers (a
    missing entry sorts last); wider ones use one lexsort of every entry. Both give the same ranks.
    """
    n = indptr.shape[0] - 1
    if width > DENSE_RANK_COLUMNS:
        order = np.lexsort((indices, key, row_of))
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size) - np.repeat(indptr[:-1], np.diff(indptr))
        return rank
    dense = np.full((n, width), np.inf)
    dense[row_of, indices] = key
    order = np.argsort(dense, axis=1, kind="stable")
    ranks = np.empty((n, width), dtype=np.int64)
    np.put_along_axis(ranks, order, np.arange(width)[None, :], axis=1)
    return ranks[row_of, indices]


#: A pair's common entries are looked up from one side (a binary search per entry in the other side's row)
#: when that side holds this many times fewer entries; otherwise both sides' rows are merged (scipy's
#: entrywise product), which costs about a quarter of a lookup per entry.
LOOKUP_RATIO = 4


def _lookup(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows[e], cols[e]]`` for every e (0 where there is no entry), as a flat array."""
    if not rows.size:
        return np.zeros(0, dtype=matrix.dtype)
    return np.asarray(matrix[rows, cols]).ravel()


@dataclass(frozen=True, eq=False)
class Factor:
    """One factor's features (see the module docstring).

    Attributes:
        name: one of :data:`~matching.data.FACTORS`.
        mentee_known: bool (n_mentees,): the mentee has the input.
        mentor_known: bool (n_mentors,): the mentor has the input.
        mentee: CSR float64 (n_mentees x n_columns; bool for language, whose entries are all 1), unweighted,
            empty rows for mentees without the input.
        mentor: CSR float64 (n_mentors x n_columns), already fixed-point.
        fallback: float64 (n_mentors,) fixed-point ``base`` of known mentors (performance), or None (base 0).
        mentee_bits: fractional bits of the weighted mentee side.
        labels: what each column stands for (a skill, a term, an area, a language group, an hour).
    """

    name: str
    mentee_known: np.ndarray
    mentor_known: np.ndarray
    mentee: sp.csr_matrix
    mentor: sp.csr_matrix
    fallback: np.ndarray | None
    mentee_bits: int
    labels: tuple[str, ...]

    #: The rounded performance rows of every mentee per weight (see :meth:`mentee_side`), made once.
    rounded_shares: dict[float, np.ndarray] = field(default_factory=dict, repr=False)

    def mentee_side(self, weight: float, rows: np.ndarray) -> sp.csr_matrix:
        """Return the fixed-point weighted mentee rows ``quantise(weight * U[rows])`` (``weight`` quantised).

        For performance the rows' entries (need shares summing to 1) are rounded by the largest remainder
        method so that each row still sums to the fallback column's weight: the value stays an unbiased convex
        combination of the mentor's strengths instead of leaking weight to the fallback. Rounding ranks each
        row's entries, so it is done once per weight for every mentee (fusing and explaining read it again).
        """
        if self.fallback is None:
            block = self.mentee[rows]
            data = quantise(weight * block.data, self.mentee_bits)
            out = sp.csr_matrix((data, block.indices.copy(), block.indptr.copy()), block.shape)
        else:
            entries = self._rounded_entries(weight)
            every = sp.csr_matrix((entries, self.mentee.indices, self.mentee.indptr), self.mentee.shape)
            block = every[rows]  # new arrays: the shared index arrays are never modified
            out = sp.csr_matrix((block.data.astype(np.float64), block.indices, block.indptr), block.shape)
        out.eliminate_zeros()
        return out

    def _rounded_entries(self, weight: float) -> np.ndarray:
        """The weighted, largest-remainder rounded entries of every mentee row (aligned with ``mentee.data``).

        Stored as float32, which holds them exactly (multiples of 2^-NEED_BITS below 2); made a block of rows at
        a time, so the float64 temporaries never exist for every row at once.
        """
        done = self.rounded_shares.get(weight)
        if done is not None:
            return done
        out = np.empty(self.mentee.nnz, dtype=np.float32)
        indptr = self.mentee.indptr
        for lo in range(0, self.mentee.shape[0], _FUSE_ROWS):
            hi = min(lo + _FUSE_ROWS, self.mentee.shape[0])
            block = self.mentee[lo:hi]
            out[indptr[lo] : indptr[hi]] = self._round_rows(weight, block)
        self.rounded_shares[weight] = out
        return out

    def _round_rows(self, weight: float, block: sp.csr_matrix) -> np.ndarray:
        """``quantise(weight * block.data)`` with the units each row lacks of the fallback weight handed back."""
        data = quantise(weight * block.data, self.mentee_bits)
        if not data.size:
            return data
        scale = float(1 << self.mentee_bits)
        counts = np.diff(block.indptr)
        row_of = np.repeat(np.arange(block.shape[0]), counts)
        target = self.fallback_weight(weight) * scale
        short = np.rint(target - np.bincount(row_of, weights=data * scale, minlength=block.shape[0]))
        remainder = weight * block.data * scale - data * scale
        rank = _rank_in_row(-remainder, row_of, block.indices, block.indptr, block.shape[1])
        np.add(data, 1.0 / scale, out=data, where=rank < short[row_of])
        return data

    def fallback_weight(self, weight: float) -> float:
        """The mentee-side entry of the fallback column (it meets a fixed-point ``f_j``)."""
        return float(quantise(np.float64(weight), self.mentee_bits))

    def contributions(
        self, weight: float, mentees: np.ndarray, mentors: np.ndarray, columns: np.ndarray | None = None
    ) -> np.ndarray:
        """Return the exact float64 contribution ``c_f`` of the pairs ``(mentees[e], mentors[e])``.

        These are the very numbers the fused product adds for this factor, so over all factors they sum, bit for
        bit, to the score the solver used.

        Args:
            weight: the quantised weight (:func:`quantised_weights`).
            mentees: mentee indices.
            mentors: mentor indices, aligned with ``mentees``.
            columns: an optional bool mask of the columns the score counts (the aspiration terms kept).
        """
        mentees = np.asarray(mentees, dtype=np.int64)
        mentors = np.asarray(mentors, dtype=np.int64)
        n = mentees.shape[0]
        # The products are fixed-point and their sums exact in float64, so any order of the additions gives the
        # same bits. A side with far fewer entries is read and the other looked up (a language mentee shares
        # with dozens of groups, its mentor is in one); otherwise the two sides' rows are multiplied entrywise.
        mentee_entries = int(np.diff(self.mentee.indptr)[mentees].sum())
        mentor_entries = int(np.diff(self.mentor.indptr)[mentors].sum())
        if self.fallback is None and LOOKUP_RATIO * mentor_entries < mentee_entries:
            right = self.mentor[mentors]  # weighting is entry by entry: weight the mentee entries found
            pair_of = np.repeat(np.arange(n), np.diff(right.indptr))
            cols = right.indices
            products = quantise(weight * _lookup(self.mentee, mentees[pair_of], cols), self.mentee_bits) * right.data
        else:
            left = self.mentee_side(weight, mentees)
            if LOOKUP_RATIO * left.nnz < mentor_entries:
                pair_of = np.repeat(np.arange(n), np.diff(left.indptr))
                cols = left.indices
                products = left.data * _lookup(self.mentor, mentors[pair_of], cols)
            else:
                both = left.multiply(self.mentor[mentors]).tocsr()
                pair_of = np.repeat(np.arange(n), np.diff(both.indptr))
                cols, products = both.indices, both.data
        if columns is not None:
            products = products * columns[cols]
        dots = np.bincount(pair_of, weights=products, minlength=n).astype(np.float64, copy=False)  # int when empty
        if self.fallback is not None:
            dots += self.fallback_weight(weight) * self.fallback[mentors]
        neutral = weight * NEUTRAL_VALUE
        known = self.mentee_known[mentees] & self.mentor_known[mentors]
        return np.where(known, dots, neutral)

    def values(self, mentees: np.ndarray, mentors: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """Return the factor's value in [0, 1] for the pairs (its contribution at weight 1)."""
        return self.contributions(1.0, mentees, mentors, columns)


@dataclass(frozen=True, eq=False)
class Profiles:
    """Everything the engine derives from the people, per factor plus the raw facts explanations cite.

    Attributes:
        factors: name -> :class:`Factor`, for every factor.
        skill_labels: display form of each skill column (first spelling seen).
        terms: the term of each aspiration column.
        text_mentee / text_mentor: the exact TF-IDF rows (CSR), for the evidence of shared terms.
        areas: the course area of each performance column.
        mentee_area_scores / mentor_area_scores: CSR (people x areas) holding ``score + 1`` where a score is
            known (the offset keeps a score of 0 from vanishing in the sparse structure).
        language_labels: display form of each language.
        mentee_languages / mentor_languages: CSR 0/1 (people x languages).
        mentee_hours / mentor_hours: CSR 0/1 (people x 168).
        mentor_group: language group of each mentor (-1: none given).
    """

    n_mentees: int
    n_mentors: int
    factors: Mapping[str, Factor]
    skill_labels: tuple[str, ...]
    terms: tuple[str, ...]
    text_mentee: sp.csr_matrix
    text_mentor: sp.csr_matrix
    areas: tuple[str, ...]
    mentee_area_scores: sp.csr_matrix
    mentor_area_scores: sp.csr_matrix
    language_labels: tuple[str, ...]
    mentee_languages: sp.csr_matrix
    mentor_languages: sp.csr_matrix
    mentee_hours: sp.csr_matrix
    mentor_hours: sp.csr_matrix
    mentor_group: np.ndarray


def _csr(rows: list[list[int]], values: list[list[float]] | None, n_cols: int) -> sp.csr_matrix:
    """Build a CSR matrix from per-row column lists (and values; 1.0 when ``values`` is None)."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(indptr[-1]))
    if values is None:
        data = np.ones(indices.shape[0])
    else:
        data = np.fromiter(chain.from_iterable(values), dtype=np.float64, count=int(indptr[-1]))
    out = sp.csr_matrix((data, indices, indptr), shape=(len(rows), n_cols))
    out.sum_duplicates()
    return out


class _Vocabulary:
    """Assigns column numbers to keys in first-seen order and remembers the first display form of each."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.labels: list[str] = []
        self.of_tag: dict[str, int] = {}  # raw tag -> column (-1: empty key); tags repeat a lot

    def tag(self, tag: str) -> int:
        """Return the column of a raw tag (by its normalised key), or -1 if the key is empty."""
        col = self.of_tag.get(tag)
        if col is None:
            key = normalise_tag(tag)
            col = self.of_tag[tag] = self.add(key, " ".join(tag.split())) if key else -1
        return col

    def add(self, key: str, label: str) -> int:
        col = self.index.get(key)
        if col is None:
            col = self.index[key] = len(self.labels)
            self.labels.append(label)
        return col


def _tag_matrix(people_tags: Sequence[Sequence[str]], vocab: _Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Return the (row, column) entries of each person's tags; each distinct raw tag is normalised once."""
    lengths = np.fromiter(map(len, people_tags), dtype=np.int64, count=len(people_tags))
    flat = list(chain.from_iterable(people_tags))
    column_of = {raw: vocab.tag(raw) for raw in dict.fromkeys(flat)}
    cols = np.fromiter(map(column_of.__getitem__, flat), dtype=np.int64, count=len(flat))
    rows = np.repeat(np.arange(len(people_tags)), lengths)
    keep = cols >= 0
    return rows[keep], cols[keep]


def _binary(entries: tuple[np.ndarray, np.ndarray], n_rows: int, n_cols: int) -> sp.csr_matrix:
    """A 0/1 CSR matrix from (row, column) entries; repeated entries count once."""
    rows, cols = entries
    out = sp.csr_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(n_rows, n_cols))
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


def _skills(mentees: Sequence[Mentee], mentors: Sequence[Mentor]) -> tuple[Factor, tuple[str, ...]]:
    vocab = _Vocabulary()
    wanted_entries = _tag_matrix([m.skills_wanted for m in mentees], vocab)
    offered_entries = _tag_matrix([m.skills for m in mentors], vocab)
    n_cols = len(vocab.labels)
    wanted = _binary(wanted_entries, len(mentees), n_cols)
    counts = np.diff(wanted.indptr)
    mentee = sp.csr_matrix(
        (1.0 / np.repeat(counts, counts), wanted.indices.copy(), wanted.indptr.copy()), shape=wanted.shape
    )  # each wanted skill weighs 1/|wanted|
    mentor = _binary(offered_entries, len(mentors), n_cols)
    mentee_known = counts > 0
    mentor_known = np.diff(mentor.indptr) > 0
    labels = tuple(vocab.labels)
    factor = Factor("skills", mentee_known, mentor_known, mentee, mentor, None, PRODUCT_BITS, labels)
    return factor, labels


def _aspirations(mentees: Sequence[Mentee], mentors: Sequence[Mentor]) -> tuple[Factor, sp.csr_matrix, sp.csr_matrix]:
    texts = [m.aspirations for m in mentees]
    texts += [f"{m.about}\n{' ; '.join(m.skills)}" if m.skills else m.about for m in mentors]
    tm = term_matrix(texts)
    n = len(mentees)
    mentee = tm.matrix[:n]
    mentor_exact = tm.matrix[n:]
    mentor = sp.csr_matrix(
        (quantise(mentor_exact.data, TERM_BITS), mentor_exact.indices.copy(), mentor_exact.indptr.copy()),
        mentor_exact.shape,
    )
    mentor.eliminate_zeros()
    mentee_known = np.diff(mentee.indptr) > 0
    mentor_known = np.diff(mentor_exact.indptr) > 0
    factor = Factor("aspirations", mentee_known, mentor_known, mentee, mentor, None, TEXT_BITS, tm.terms)
    return factor, mentee, mentor_exact


def _area_matrix(people: Sequence[Mentee | Mentor], index: dict[str, int], n_cols: int) -> sp.csr_matrix:
    """CSR (people x areas) of ``score + 1`` where the person has a score."""
    lengths = np.fromiter((len(p.performance) for p in people), dtype=np.int64, count=len(people))
    total = int(lengths.sum())
    cols = np.fromiter(map(index.__getitem__, chain.from_iterable(p.performance for p in people)), np.int64, total)
    vals = np.fromiter(chain.from_iterable(p.performance.values() for p in people), np.float64, total)
    indptr = np.zeros(len(people) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    out = sp.csr_matrix((vals + 1.0, cols, indptr), shape=(len(people), n_cols))
    out.sort_indices()
    return out


def _performance(
    mentees: Sequence[Mentee], mentors: Sequence[Mentor]
) -> tuple[Factor, tuple[str, ...], sp.csr_matrix, sp.csr_matrix]:
    vocab = _Vocabulary()
    n, m = len(mentees), len(mentors)
    for area in dict.fromkeys(chain.from_iterable(p.performance for p in (*mentees, *mentors))):
        vocab.add(area, area)
    n_cols = len(vocab.labels)
    # Scores stored plus one, so a score of 0 stays a stored entry (areas are unique per person: no duplicates).
    raw_mentee = _area_matrix(mentees, vocab.index, n_cols)
    raw_mentor = _area_matrix(mentors, vocab.index, n_cols)
    mentee_rows = np.repeat(np.arange(n), np.diff(raw_mentee.indptr))
    need = 2.0 - raw_mentee.data  # 1 - score
    total = np.bincount(mentee_rows, weights=need, minlength=n)
    count = np.diff(raw_mentee.indptr)
    # No areas, or a perfect score everywhere: every area counts alike.
    safe_total = np.where(total > 0, total, 1.0)[mentee_rows]
    need = np.where(total[mentee_rows] > 0, need / safe_total, 1.0 / count[mentee_rows])
    mentee = sp.csr_matrix((need, raw_mentee.indices.copy(), raw_mentee.indptr.copy()), shape=raw_mentee.shape)
    mentor_rows = np.repeat(np.arange(m), np.diff(raw_mentor.indptr))
    mentor_score = raw_mentor.data - 1.0
    area_count = np.diff(raw_mentor.indptr)
    mean = np.bincount(mentor_rows, weights=mentor_score, minlength=m) / np.maximum(area_count, 1)
    grade = np.array([NEUTRAL_VALUE if p.grade is None else p.grade for p in mentors], dtype=np.float64).reshape(m)
    has_grade = np.array([p.grade is not None for p in mentors], dtype=bool).reshape(m)
    fallback = np.where(has_grade, grade, np.where(area_count > 0, mean, NEUTRAL_VALUE))
    mentor_known = (area_count > 0) | has_grade
    # Fixed point on the mentor side; the deltas are differences of fixed-point numbers, hence exact, and the
    # value stays a convex combination of the (fixed-point) strengths.
    fallback = np.where(mentor_known, _nearest(fallback, STRENGTH_BITS), 0.0)
    delta = _nearest(mentor_score, STRENGTH_BITS) - fallback[mentor_rows]
    mentor = sp.csr_matrix((delta, raw_mentor.indices.copy(), raw_mentor.indptr.copy()), shape=raw_mentor.shape)
    mentor.eliminate_zeros()
    mentee_known = (count > 0) | np.array([p.grade is not None for p in mentees], dtype=bool).reshape(n)
    labels = tuple(vocab.labels)
    factor = Factor("performance", mentee_known, mentor_known, mentee, mentor, fallback, NEED_BITS, labels)
    return factor, labels, raw_mentee, raw_mentor


def _language(mentees: Sequence[Mentee], mentors: Sequence[Mentor]):
    vocab = _Vocabulary()
    # Mentees repeat a few language lists: each distinct list is made a row once (first-seen order, so the
    # columns are numbered as if every mentee were read) and mentees take their list's rows.
    mentee_lists = [m.languages for m in mentees]
    list_of = {langs: k for k, langs in enumerate(dict.fromkeys(mentee_lists))}
    mentee_list = np.fromiter(map(list_of.__getitem__, mentee_lists), dtype=np.int64, count=len(mentees))
    list_entries = _tag_matrix(list(list_of), vocab)
    mentor_entries = _tag_matrix([m.languages for m in mentors], vocab)
    n_langs = len(vocab.labels)
    list_bin = _binary(list_entries, len(list_of), n_langs)
    mentee_bin = list_bin[mentee_list]
    mentor_bin = _binary(mentor_entries, len(mentors), n_langs)
    groups: dict[tuple[int, ...], int] = {}
    group_sets: list[list[int]] = []
    mentor_group = np.full(len(mentors), -1, dtype=np.int64)
    bounds = mentor_bin.indptr.tolist()
    cols = mentor_bin.indices.tolist()
    for j in range(len(mentors)):
        if bounds[j + 1] > bounds[j]:
            key = tuple(cols[bounds[j] : bounds[j + 1]])
            g = groups.get(key)
            if g is None:
                g = groups[key] = len(group_sets)
                group_sets.append(list(key))
            mentor_group[j] = g
    group_bin = _csr(group_sets, None, n_langs)
    shares = (list_bin @ group_bin.T).tocsr()
    # Stored as bool (1 byte an entry instead of 8: at 100k x 10k a mentee shares a language with ~50 groups);
    # weighting it gives the same float64 numbers.
    shares = sp.csr_matrix((np.ones(shares.nnz, dtype=bool), shares.indices, shares.indptr), shape=shares.shape)
    shares = shares[mentee_list]
    mentee_known = np.diff(mentee_bin.indptr) > 0
    mentor_known = mentor_group >= 0
    known_rows = np.flatnonzero(mentor_known)
    mentor = sp.csr_matrix(
        (np.ones(known_rows.shape[0]), (known_rows, mentor_group[known_rows])), shape=(len(mentors), len(group_sets))
    )
    labels = tuple(" / ".join(vocab.labels[c] for c in s) for s in group_sets)
    factor = Factor("language", mentee_known, mentor_known, shares, mentor, None, PRODUCT_BITS, labels)
    return factor, tuple(vocab.labels), mentee_bin, mentor_bin, mentor_group


def _hours(slots: Sequence[frozenset[int] | None]) -> sp.csr_matrix:
    """CSR 0/1 (people x 168) of the hours each person is available (None: no hours)."""
    slots = [s or () for s in slots]
    lengths = np.fromiter(map(len, slots), dtype=np.int64, count=len(slots))
    hours = np.fromiter(chain.from_iterable(slots), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.zeros(len(slots) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    out = sp.csr_matrix((np.ones(hours.shape[0]), hours, indptr), shape=(len(slots), HOURS_PER_WEEK))
    out.sort_indices()
    return out


def _availability(mentees: Sequence[Mentee], mentors: Sequence[Mentor]):
    mentee_bin = _hours([m.availability for m in mentees])
    mentor_bin = _hours([m.availability for m in mentors])
    counts = np.diff(mentee_bin.indptr)
    mentee = sp.csr_matrix(
        (
            mentee_bin.data / np.repeat(np.maximum(counts, 1), counts),
            mentee_bin.indices.copy(),
            mentee_bin.indptr.copy(),
        ),
        shape=mentee_bin.shape,
    )
    mentee_known = counts > 0
    mentor_known = np.diff(mentor_bin.indptr) > 0
    labels = tuple(f"h{h}" for h in range(HOURS_PER_WEEK))
    factor = Factor("availability", mentee_known, mentor_known, mentee, mentor_bin, None, PRODUCT_BITS, labels)
    return factor, mentee_bin, mentor_bin


def build_profiles(mentees: Sequence[Mentee], mentors: Sequence[Mentor]) -> Profiles:
    """Derive every factor's features, and the facts explanations cite, from validated people.

    Args:
        mentees: the mentees (row ``i`` of every mentee matrix is ``mentees[i]``).
        mentors: the mentors.

    Returns:
        The :class:`Profiles` of the program.
    """
    skills, skill_labels = _skills(mentees, mentors)
    aspirations, text_mentee, text_mentor = _aspirations(mentees, mentors)
    performance, areas, raw_mentee, raw_mentor = _performance(mentees, mentors)
    language, language_labels, mentee_langs, mentor_langs, mentor_group = _language(mentees, mentors)
    availability, mentee_hours, mentor_hours = _availability(mentees, mentors)
    release()
    factors = {f.name: f for f in (skills, aspirations, performance, language, availability)}
    return Profiles(
        n_mentees=len(mentees),
        n_mentors=len(mentors),
        factors={name: factors[name] for name in FACTORS},
        skill_labels=skill_labels,
        terms=aspirations.labels,
        text_mentee=text_mentee,
        text_mentor=text_mentor,
        areas=areas,
        mentee_area_scores=raw_mentee,
        mentor_area_scores=raw_mentor,
        language_labels=language_labels,
        mentee_languages=mentee_langs,
        mentor_languages=mentor_langs,
        mentee_hours=mentee_hours,
        mentor_hours=mentor_hours,
        mentor_group=mentor_group,
    )


# --------------------------------------------------------------------------------------------------------------
# Fusion
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FusedFeatures:
    """Mentee and mentor vectors whose dot product is the weighted score of a pair.

    ``score(i, j) = mentee_dense[i] . mentor_dense[j] + mentee_sparse[i] . mentor_sparse[j]``. The dense part
    is computed per chunk of mentees: its first ``gemm_width`` columns by one float32 GEMM, the others (few
    mentees have them) by adding each mentee entry times the mentor column to the mentee's row of scores; the
    sparse part by a sparse product touching few pairs.

    Attributes:
        mentee_dense: CSR float32 (n x width), made dense one chunk at a time (never n x width at once).
        mentor_dense: float32 (m x width), C-contiguous.
        mentee_sparse: CSR float32 (n x r) or None.
        mentor_sparse: CSR float32 (m x r) or None.
        mentor_sparse_t: CSR float32 (r x m) or None (the same, transposed for the chunk product).
        kept_terms: bool mask of the aspiration columns the score counts.
        gemm_width: how many leading dense columns the GEMM takes (default: all).
        mentor_rare_t: float32 (width - gemm_width, m), C-contiguous: the other dense columns of
            ``mentor_dense``, transposed for the row updates (None when the GEMM takes every column).
    """

    mentee_dense: sp.csr_matrix
    mentor_dense: np.ndarray
    mentee_sparse: sp.csr_matrix | None
    mentor_sparse: sp.csr_matrix | None
    mentor_sparse_t: sp.csr_matrix | None
    kept_terms: np.ndarray
    gemm_width: int | None = None
    mentor_rare_t: np.ndarray | None = None

    @property
    def n_mentees(self) -> int:
        """Rows (mentees)."""
        return int(self.mentee_dense.shape[0])

    @property
    def n_mentors(self) -> int:
        """Columns of the score matrix (mentors)."""
        return int(self.mentor_dense.shape[0])

    @property
    def width(self) -> int:
        """The width of the dense block (the GEMM takes its first :attr:`gemm_width` columns)."""
        return int(self.mentor_dense.shape[1])

    def with_prices(self, prices: np.ndarray) -> FusedFeatures:
        """Return features whose product is the *reduced* score ``s_ij - prices[j]`` (prices fixed-point >= 0).

        Only the mentor side's price column changes (a copy of the dense mentor block; the price column is one of
        the GEMM's), so the product stays exact and costs nothing more; the mentee side is shared.
        """
        mentor_dense = self.mentor_dense.copy()
        mentor_dense[:, PRICE_COLUMN] = -np.asarray(prices, dtype=np.float32)
        return replace(self, mentor_dense=mentor_dense)

    def for_mentors(self, cols: np.ndarray) -> FusedFeatures:
        """Return the same features against the mentors ``cols`` only: their columns of the scores, bit for bit."""
        cols = np.asarray(cols, dtype=np.int64)
        sparse = None if self.mentor_sparse is None else self.mentor_sparse[cols]
        return replace(
            self,
            mentor_dense=np.ascontiguousarray(self.mentor_dense[cols]),
            mentor_sparse=sparse,
            mentor_sparse_t=None if sparse is None else sparse.T.tocsr(),
            mentor_rare_t=None if self.mentor_rare_t is None else np.ascontiguousarray(self.mentor_rare_t[:, cols]),
        )

    def with_mentee_side(self, mentee_dense: sp.csr_matrix, mentee_sparse: sp.csr_matrix | None) -> FusedFeatures:
        """Return the same mentor vectors with other mentee vectors (other weights, same columns)."""
        return replace(self, mentee_dense=mentee_dense, mentee_sparse=mentee_sparse)

    def _add_sparse(self, out: np.ndarray, left: sp.csr_matrix | None) -> None:
        """Add the sparse columns' product into ``out`` (a C-contiguous block), through flat indices."""
        if left is None or left.nnz == 0:
            return
        prod = left @ self.mentor_sparse_t
        m = out.shape[1]
        flat = np.repeat(np.arange(out.shape[0], dtype=np.int64) * m, np.diff(prod.indptr)) + prod.indices
        np.add.at(out.reshape(-1), flat, prod.data)  # numpy's fast path: ~2x a fancy-index +=

    def _dense_product(self, block: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        """``block @ mentor_dense.T`` for a dense block of mentee rows, into ``out`` (C-contiguous) if given."""
        g = self.width if self.gemm_width is None else self.gemm_width
        if out is None:
            out = np.empty((block.shape[0], self.n_mentors), dtype=np.float32)
        np.matmul(block[:, :g], self.mentor_dense[:, :g].T, out=out)
        if self.mentor_rare_t is not None and block.shape[0]:
            rare = sp.csr_matrix(block[:, g:])
            if _csr_matvecs is not None and out.flags.c_contiguous:  # out += rare @ mentor_rare_t, in place
                _csr_matvecs(
                    rare.shape[0],
                    rare.shape[1],
                    out.shape[1],
                    rare.indptr,
                    rare.indices,
                    rare.data,
                    self.mentor_rare_t.reshape(-1),
                    out.reshape(-1),
                )
            else:  # a scipy without the kernel, or an ``out`` it cannot write through (tested)
                out += rare @ self.mentor_rare_t
        return out

    def scores(self, lo: int, hi: int, out: np.ndarray | None = None) -> np.ndarray:
        """Return the float32 (hi - lo, m) scores of mentees ``lo..hi-1`` against every mentor.

        Args:
            lo: first row.
            hi: one past the last row.
            out: optional C-contiguous float32 buffer of at least ``hi - lo`` rows to write into (reusing one
                buffer across chunks spares the page faults of a fresh 20-40 MB array per chunk).
        """
        out = self._dense_product(self.mentee_dense[lo:hi].toarray(), None if out is None else out[: hi - lo])
        if self.mentee_sparse is not None:
            self._add_sparse(out, self.mentee_sparse[lo:hi])
        return out

    def rows_scores(self, rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return the float32 (len(rows), m) scores of the given mentees against every mentor.

        ``out``: as in :meth:`scores`, an optional buffer of at least ``len(rows)`` rows to write into.
        """
        out = self._dense_product(self.mentee_dense[rows].toarray(), None if out is None else out[: len(rows)])
        if self.mentee_sparse is not None:
            self._add_sparse(out, self.mentee_sparse[rows])
        return out

    def pair_scores(self, mentees: np.ndarray, mentors: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """Return the float32 scores of the pairs ``(mentees[e], mentors[e])`` without scoring whole rows."""
        out = np.empty(mentees.shape[0], dtype=np.float32)
        for lo in range(0, mentees.shape[0], chunk):
            rows, cols = mentees[lo : lo + chunk], mentors[lo : lo + chunk]
            left = self.mentee_dense[rows].toarray()
            out[lo : lo + chunk] = np.einsum("ed,ed->e", left, self.mentor_dense[cols])
            if self.mentee_sparse is not None:
                extra = self.mentee_sparse[rows].multiply(self.mentor_sparse[cols]).sum(axis=1)
                out[lo : lo + chunk] += np.asarray(extra, dtype=np.float32).ravel()
        return out


#: Dense columns that fewer than this share of mentees have are added by row updates instead of in the GEMM
#: (each such entry costs one pass over the mentors, about 6 times a GEMM column's cost per mentee: on the
#: benchmark program the pass's products take 23 instead of 33 ms a 640-row chunk, best between 3 and 10 %).
GEMM_DENSITY = 0.05
N_LEAD = 3 + len(FACTORS)  # constant, one "mentor lacks f" column per factor, performance fallback, price
#: The leading column that carries mentor prices for candidate selection (mentee side 1; mentor side 0 in the
#: score, ``-p_j`` in the price-guided copy, see :meth:`FusedFeatures.with_prices`).
PRICE_COLUMN = N_LEAD - 1


def _mentee_blocks(
    profiles: Profiles,
    weights: Mapping[str, float],
    rows: np.ndarray,
    *,
    language_penalty: bool,
) -> tuple[np.ndarray, list[sp.csr_matrix]]:
    """Return the fixed-point mentee side: leading columns (dense) and one sparse block per factor."""
    n = rows.shape[0]
    lead = np.zeros((n, N_LEAD))
    blocks = []
    quantised = quantised_weights(weights)
    for k, name in enumerate(FACTORS):
        factor = profiles.factors[name]
        w = quantised[name]
        known = factor.mentee_known[rows]
        lead[:, PRICE_COLUMN] = 1.0
        lead[:, 0] += w * NEUTRAL_VALUE * ~known
        lead[:, 1 + k] = w * known
        if factor.fallback is not None:
            lead[:, 1 + len(FACTORS)] = factor.fallback_weight(w) * known
        block = factor.mentee_side(w, rows)
        if name == "language" and language_penalty:
            # w U - P (1 - U) for mentees with languages: -P on exactly the groups they share nothing with.
            shares = factor.mentee[rows].toarray()
            block = sp.csr_matrix(w * shares - LANGUAGE_PENALTY * (1.0 - shares) * known[:, None])
            block.eliminate_zeros()
        blocks.append(block)
    return lead, blocks


def _remap(
    lead: np.ndarray | None, blocks: list[sp.csr_matrix], offsets: np.ndarray, target: np.ndarray, width: int
) -> sp.csr_matrix:
    """Build the float32 CSR (n x width) of ``[lead | block entries moved to their target columns]`` (-1: dropped).

    ``target`` numbers the kept columns 0, 1, ... (after the lead columns). They are taken in that order as runs
    of columns of one block each, and scipy's column selection and horizontal stacking (C loops) place the
    entries, in row order and with sorted indices, without the per-entry index arithmetic of a scatter.
    """
    parts = [] if lead is None else [sp.csr_matrix(lead.astype(np.float32))]
    kept = np.flatnonzero(target >= 0)
    kept = kept[np.argsort(target[kept], kind="stable")]
    block_of = np.searchsorted(offsets, kept, side="right") - 1
    for run in np.split(np.arange(kept.size), np.flatnonzero(np.diff(block_of)) + 1):
        if not run.size:
            continue
        k = int(block_of[run[0]])
        part = blocks[k][:, kept[run] - offsets[k]]
        part.sort_indices()
        parts.append(sp.csr_matrix((part.data.astype(np.float32), part.indices, part.indptr), shape=part.shape))
    if not parts:
        parts.append(sp.csr_matrix((blocks[0].shape[0] if blocks else 0, 0), dtype=np.float32))
    out = sp.hstack(parts, format="csr")
    assert out.shape[1] == width
    out.eliminate_zeros()
    return out


def fuse(
    profiles: Profiles,
    weight_sets: Sequence[Mapping[str, float]],
    mentee_rows: np.ndarray,
    mentor_rows: np.ndarray,
    *,
    language_penalty: bool,
    dense_width: int = 512,
    residual_budget: float = 2e6,
) -> list[FusedFeatures]:
    """Fold the factors and weights into mentee and mentor vectors, one mentee side per weight set.

    Args:
        profiles: the program's features.
        weight_sets: normalised weights; the first set is the score, the others (e.g. the mentor side's weights
            for the stable strategy) share its columns and mentor vectors. The language penalty applies to the
            first set only.
        mentee_rows: the mentees to score (indices into ``profiles``), in row order of the result.
        mentor_rows: the mentors to score, in column order of the result.
        language_penalty: make pairs without a shared language score below :data:`FORBIDDEN_BELOW`.
        dense_width: most columns in the dense GEMM (the leading columns included).
        residual_budget: most pair entries the sparse aspiration columns may add per full scoring pass.

    Returns:
        One :class:`FusedFeatures` per weight set, all over the same columns.
    """
    mentee_rows = np.asarray(mentee_rows, dtype=np.int64)
    mentor_rows = np.asarray(mentor_rows, dtype=np.int64)
    # The mentee side is built a block of rows at a time (every step is row-local), twice: here to count each
    # column's entries, below to remap them into the fused rows; the float64 temporaries of the weighting never
    # exist for all rows at once, nor does a second copy of the mentee side.
    widths = [profiles.factors[name].mentor.shape[1] for name in FACTORS]
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    mentee_nnz = np.zeros(offsets[-1])
    bounds = []  # entries of each weight set's mentee side (an upper bound of the fused rows' entries)
    for k, w in enumerate(weight_sets):
        bound = 0
        for block_rows in _row_blocks(mentee_rows):
            lead, blocks = _mentee_blocks(profiles, w, block_rows, language_penalty=language_penalty and k == 0)
            bound += np.count_nonzero(lead)
            for f, block in enumerate(blocks):
                mentee_nnz[offsets[f] : offsets[f + 1]] += np.bincount(block.indices, minlength=widths[f])
                bound += block.nnz
            del lead, blocks
        bounds.append(bound)
    n_lead = N_LEAD
    mentor_lead = np.ones((mentor_rows.shape[0], n_lead))
    mentor_lead[:, PRICE_COLUMN] = 0.0
    for k, name in enumerate(FACTORS):
        factor = profiles.factors[name]
        mentor_lead[:, 1 + k] = NEUTRAL_VALUE * ~factor.mentor_known[mentor_rows]
        if factor.fallback is not None:
            mentor_lead[:, 1 + len(FACTORS)] = factor.fallback[mentor_rows]
    mentor_blocks = [profiles.factors[name].mentor[mentor_rows] for name in FACTORS]

    # Rank term columns by the pairs they touch (any weight set's mentee side counts).
    mentor_nnz = np.concatenate([np.bincount(b.indices, minlength=b.shape[1]) for b in mentor_blocks])
    pairs = mentee_nnz.astype(np.float64) * mentor_nnz
    factor_of_col = np.repeat(np.arange(len(FACTORS)), widths)
    useful = np.flatnonzero(pairs > 0)
    order = useful[np.lexsort((useful, -pairs[useful]))]
    n_dense_terms = max(0, dense_width - n_lead)
    dense_cols = np.sort(order[:n_dense_terms])
    # The GEMM takes the lead columns and the dense columns many mentees have; the rarer ones are laid out last.
    common = mentee_nnz[dense_cols] >= GEMM_DENSITY * mentee_rows.shape[0] * len(weight_sets)
    gemm_width = n_lead + int(common.sum())
    dense_cols = np.concatenate([dense_cols[common], dense_cols[~common]])
    rest = order[n_dense_terms:]
    text = FACTORS.index("aspirations")
    is_text = factor_of_col[rest] == text
    exact_rest = rest[~is_text]
    text_rest = rest[is_text]
    text_rest = text_rest[np.lexsort((text_rest, pairs[text_rest]))]  # cheapest first
    fits = np.cumsum(pairs[text_rest]) <= residual_budget
    sparse_cols = np.sort(np.concatenate([exact_rest, text_rest[fits]]))
    kept = np.zeros(widths[text], dtype=bool)
    kept_global = np.concatenate([dense_cols, sparse_cols])
    kept_global = kept_global[factor_of_col[kept_global] == text] - offsets[text]
    kept[kept_global] = True

    n_cols = int(offsets[-1])
    dense_at = np.full(n_cols, -1, dtype=np.int64)
    dense_at[dense_cols] = np.arange(dense_cols.size)
    sparse_at = np.full(n_cols, -1, dtype=np.int64)
    sparse_at[sparse_cols] = np.arange(sparse_cols.size)
    n_dense = n_lead + dense_cols.size

    mentor_dense = _remap(mentor_lead, mentor_blocks, offsets, dense_at, n_dense).toarray()
    mentor_dense = np.ascontiguousarray(mentor_dense, dtype=np.float32)
    mentor_rare_t = np.ascontiguousarray(mentor_dense[:, gemm_width:].T) if gemm_width < n_dense else None
    if sparse_cols.shape[0]:
        mentor_sparse = _remap(None, mentor_blocks, offsets, sparse_at, sparse_cols.size)
        mentor_sparse_t = mentor_sparse.T.tocsr()
    else:
        mentor_sparse = mentor_sparse_t = None
    out = []
    for k, (w, bound) in enumerate(zip(weight_sets, bounds)):
        # The blocks are weighted again (cheaper than keeping them) and remapped straight into arrays sized for
        # every entry: pages past the entries kept are never touched, so they cost no memory.
        dense = _RowWriter(mentee_rows.shape[0], n_dense, bound)
        sparse = _RowWriter(mentee_rows.shape[0], sparse_cols.size, bound) if mentor_sparse is not None else None
        for block_rows in _row_blocks(mentee_rows):
            lead, blocks = _mentee_blocks(profiles, w, block_rows, language_penalty=language_penalty and k == 0)
            dense.add(_remap(lead, blocks, offsets, dense_at, n_dense))
            if sparse is not None:
                sparse.add(_remap(None, blocks, offsets, sparse_at, sparse_cols.size))
            del lead, blocks
        out.append(
            FusedFeatures(
                dense.matrix(),
                mentor_dense,
                sparse.matrix() if sparse is not None else None,
                mentor_sparse,
                mentor_sparse_t,
                kept,
                gemm_width,
                mentor_rare_t,
            )
        )
    release()
    return out


#: Mentee rows per block while fusing (bounds the float64 temporaries of the weighting and the remap).
_FUSE_ROWS = 4096


def _row_blocks(rows: np.ndarray):
    """The mentee rows a block of :data:`_FUSE_ROWS` at a time (every step of the mentee side is row-local)."""
    for lo in range(0, rows.shape[0], _FUSE_ROWS):
        yield rows[lo : lo + _FUSE_ROWS]


class _RowWriter:
    """Collects float32 CSR blocks of consecutive rows into one CSR, written in place (capacity ``bound``)."""

    def __init__(self, n: int, width: int, bound: int) -> None:
        self.n, self.width = n, width
        self.data = np.empty(bound, dtype=np.float32)
        self.indices = np.empty(bound, dtype=np.int32)
        self.counts: list[np.ndarray] = []
        self.at = 0

    def add(self, part: sp.csr_matrix) -> None:
        self.data[self.at : self.at + part.nnz] = part.data
        self.indices[self.at : self.at + part.nnz] = part.indices
        self.at += part.nnz
        self.counts.append(np.diff(part.indptr))

    def matrix(self) -> sp.csr_matrix:
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        if self.counts:
            np.cumsum(np.concatenate(self.counts), out=indptr[1:])
        return sp.csr_matrix((self.data[: self.at], self.indices[: self.at], indptr), shape=(self.n, self.width))
