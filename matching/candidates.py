"""Candidate pruning: one fused GEMM per chunk of mentees gives each mentee's top-K and each mentor's top-R.

Scoring every pair of a 100k x 10k program is 10^9 scores (4 GB in float32); solving on all of them is out of
reach. So scores are computed a chunk of mentees at a time (``chunk x m`` float32, a few tens of MB) and only
the useful pairs survive the chunk:

* each mentee's ``top_k`` best allowed mentors. The K-th largest of ~2.5K column-block maxima is a lower bound
  of the row's K-th largest score (each of those K blocks holds a score at least that high), so one cheap
  reduction and one comparison leave ~K candidates per row, sorted exactly afterwards;
* each mentor's ``reverse_top_r`` best allowed mentees over all chunks, kept as a running threshold per mentor:
  after the first chunk only scores above the mentor's current R-th best are recorded, and the records are
  merged now and then. Without these edges, mentors nobody ranks in their top-K would get no candidates and
  a tight program (capacity = demand) would leave mentees unmatched (measured in the anchors, section 2c);
* forbidden pairs are filtered in the same pass: excluded pairs are set to -inf in the chunk, pairs without a
  shared language (when required) score below zero by construction (see ``matching.features``), and the
  minimum score is the floor of both thresholds (equivalent to filtering after top-K, as the filter is
  monotone in the score).

Scores are exact (fixed-point features, see ``matching.features``): the same pair gets bitwise the same score
in every chunk shape, on every BLAS and numpy version, so candidate sets, orders and the assignment are
reproducible everywhere. Ties are broken by index (mentor index within a mentee's row, mentee index within a
mentor's column).

Small programs (``n * m <= FULL_GRAPH_PAIRS``, or ``top_k >= m``) keep every allowed pair: the solver is then
exact on the whole problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import chain
from typing import NamedTuple

import numpy as np

from matching._memory import release
from matching._threads import in_order, workers
from matching.features import PRODUCT_BITS, FusedFeatures
from matching.graph import CandidateGraph

__all__ = [
    "FULL_GRAPH_PAIRS",
    "SCORE_QUANTUM",
    "Scorer",
    "as_scores",
    "assemble",
    "build_graph",
    "forbid_below",
    "is_full",
    "left_out_bounds",
    "make_extender",
    "score_rows",
]

#: Every score is a multiple of this (see ``matching.features``).
SCORE_QUANTUM = 2.0**-PRODUCT_BITS
#: Programs with at most this many pairs keep every allowed pair (an ~80 MB float32 pass in chunks).
FULL_GRAPH_PAIRS = 20_000_000
_DTYPES = (np.int64, np.int64, np.float64, np.float64)  # of the reverse candidates while merging
# Keys order scores in [-2, 2) (reduced scores can be negative, solver scores with a bonus exceed 1): shifted by 2,
# as multiples of SCORE_QUANTUM they fit in 24 bits.
_VALUE_BITS = PRODUCT_BITS + 2
_VALUE_MAX = (1 << _VALUE_BITS) - 1
_VALUE_SHIFT = 2.0
# The reverse records are merged (and the mentors' thresholds raised) once pending records exceed this share of
# M * R plus 100k: frequent merges keep the thresholds tight, so fewer later scores are recorded at all
# (measured at 100k x 10k, 40k rows: 0.1 -> 5.9-6.4 s, 2.0 -> 6.7-7.0 s for the pass).
_MERGE_AT = 0.1
# A price-guided pass selects among reduced scores s - q at or above this (forbidden pairs sit far below; allowed ones
# above it unless an estimated price exceeds 4): what a row's bound on the pairs it left out falls back to.
_GUIDED_FLOOR = np.float32(-4.0)


def as_scores(values: np.ndarray) -> np.ndarray:
    """Return float32 scores as float64 (exactly: they are fixed-point numbers)."""
    return np.asarray(values, dtype=np.float64)


def chunk_rows(n_mentors: int, n_workers: int = 2) -> int:
    """Mentees per chunk: about 13M scores (52 MB of float32) shared by the threads of a pass, at most 2048 rows.

    So the memory in flight does not grow with the cores. At 100k x 10k (d = 512) on two threads that is 640 rows,
    and a product runs at the same rate from 512 to 1024 rows (160 rows on eight threads: still over 90 %).
    """
    return int(max(64, min(2048, (13_000_000 // max(n_workers, 1) // max(n_mentors, 1)) // 64 * 64)))


@dataclass(frozen=True, eq=False)
class Scorer:
    """Scores of a program's (free) mentees against its (available) mentors, with the hard constraints applied.

    Attributes:
        fused: the score's features.
        alt: optional second features over the same columns (the mentor side's weights, stable strategy).
        min_score: pairs scoring below it are forbidden.
        excluded_rows / excluded_cols: forbidden pairs (mentee row, mentor column), sorted by row.
        bonus_rows / bonus_cols / bonus: a tie-break bonus added to some allowed pairs' solver score (mentee
            preferences), sorted by row.
        prices: optional estimated mentor prices (``matching.prices``); when set, each mentee's top-K is chosen
            by reduced score ``s - p`` (the graph still holds true scores).
        guide: the features whose product is the reduced score (``fused.with_prices(prices)``).
    """

    fused: FusedFeatures
    alt: FusedFeatures | None
    min_score: float
    excluded_rows: np.ndarray
    excluded_cols: np.ndarray
    bonus_rows: np.ndarray
    bonus_cols: np.ndarray
    bonus: np.ndarray
    prices: np.ndarray | None = None
    guide: FusedFeatures | None = None

    def with_prices(self, prices: np.ndarray | None) -> Scorer:
        """Return the same scorer choosing candidates by reduced score with ``prices`` (None: by score)."""
        guide = None if prices is None else self.fused.with_prices(prices)
        return replace(self, prices=prices, guide=guide)

    def for_mentors(self, cols: np.ndarray) -> Scorer:
        """Return the scorer of the mentors ``cols`` only (their scores and constraints; no estimated prices)."""
        cols = np.asarray(cols, dtype=np.int64)
        position = np.full(self.n_mentors, -1, dtype=np.int64)
        position[cols] = np.arange(cols.size)
        ex = position[self.excluded_cols] >= 0
        bo = position[self.bonus_cols] >= 0
        return Scorer(
            self.fused.for_mentors(cols),
            None if self.alt is None else self.alt.for_mentors(cols),
            self.min_score,
            self.excluded_rows[ex],
            position[self.excluded_cols[ex]],
            self.bonus_rows[bo],
            position[self.bonus_cols[bo]],
            self.bonus[bo],
        )

    @property
    def n_mentees(self) -> int:
        """Rows."""
        return self.fused.n_mentees

    @property
    def n_mentors(self) -> int:
        """Columns."""
        return self.fused.n_mentors

    @property
    def floor(self) -> np.float32:
        """The largest float32 not above ``min_score``: scores below it are below the minimum."""
        floor = np.float32(self.min_score)
        return np.nextafter(floor, np.float32(-np.inf)) if float(floor) > self.min_score else floor

    def _slice(self, rows: np.ndarray, cols: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.searchsorted(rows, [lo, hi])
        return rows[a:b] - lo, cols[a:b]

    def raw(
        self,
        lo: int,
        hi: int,
        out: np.ndarray | None = None,
        alt_out: np.ndarray | None = None,
        *,
        guided: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the float32 scores (and mentor-side scores) of rows ``lo..hi-1``, excluded pairs at -inf.

        ``out`` and ``alt_out`` are optional buffers to write into (see ``FusedFeatures.scores``); ``guided``
        returns reduced scores ``s - p`` (the price-guided product) instead of scores.
        """
        s = (self.guide if guided else self.fused).scores(lo, hi, out)
        r, c = self._slice(self.excluded_rows, self.excluded_cols, lo, hi)
        s[r, c] = -np.inf
        alt = self.alt.scores(lo, hi, alt_out) if self.alt is not None else None
        return s, alt

    def bonus_block(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (local rows, cols, bonus) of the bonus pairs in rows ``lo..hi-1``."""
        a, b = np.searchsorted(self.bonus_rows, [lo, hi])
        return self.bonus_rows[a:b] - lo, self.bonus_cols[a:b], self.bonus[a:b]

    def _finish(self, s: np.ndarray, brow: np.ndarray, bcol: np.ndarray, bval: np.ndarray) -> np.ndarray:
        out = forbid_below(as_scores(s), self.min_score)
        if brow.size:
            out[brow, bcol] += bval  # -inf + bonus stays -inf
        return out

    def score_block(self, lo: int, hi: int) -> np.ndarray:
        """Return the solver's float64 (hi - lo, m) scores of mentees lo..hi-1, ``-inf`` for forbidden pairs.

        These are exactly the values the candidate graph holds for the same pairs (bonus included),
        as LP-dual certification requires.
        """
        s, _ = self.raw(lo, hi)
        return self._finish(s, *self.bonus_block(lo, hi))

    def certify_block(self, lo: int, hi: int) -> np.ndarray:
        """Return the float32 scores of mentees lo..hi-1, ``-inf`` for forbidden pairs, for ``certify.refine``.

        Half the memory traffic of :meth:`score_block`, and the same numbers except on the preference pairs
        (their bonus is left out): those are always candidates, and certification takes candidates' values from
        the graph, so it only reads these where they are exact.
        """
        s, _ = self.raw(lo, hi)
        return forbid_below(s, self._float32_minimum)

    def certify_rows(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`certify_block` for any mentee rows."""
        return forbid_below(self._raw_rows(np.asarray(rows, dtype=np.int64)), self._float32_minimum)

    @property
    def _float32_minimum(self) -> np.float32:
        """The smallest float32 not below ``min_score``: a (float32, exact) score is allowed iff it reaches it."""
        least = np.float32(self.min_score)
        return np.nextafter(least, np.float32(np.inf)) if float(least) < self.min_score else least

    def score_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the solver's scores (and mentor-side scores) of arbitrary rows against every mentor."""
        rows = np.asarray(rows, dtype=np.int64)
        s = self._raw_rows(rows)
        bo = np.isin(self.bonus_rows, rows)
        out = self._finish(s, _positions(rows, self.bonus_rows[bo]), self.bonus_cols[bo], self.bonus[bo])
        alt = as_scores(self.alt.rows_scores(rows)) if self.alt is not None else None
        return out, alt

    def _raw_rows(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`raw` for any (distinct) mentee rows: float32 scores, excluded pairs at ``-inf``."""
        s = self.fused.rows_scores(rows)
        ex = np.isin(self.excluded_rows, rows)
        s[_positions(rows, self.excluded_rows[ex]), self.excluded_cols[ex]] = -np.inf
        return s


def _positions(rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` (all among the distinct ``rows``) stands in ``rows``."""
    order = np.argsort(rows, kind="stable")
    return order[np.searchsorted(rows[order], wanted)]


def forbid_below(s: np.ndarray, limit) -> np.ndarray:
    """Set the entries of ``s`` below ``limit`` (a scalar, or one value per column) to ``-inf``, in place.

    Done as arithmetic, ``s + b + b`` with ``b`` the dtype's most negative number where forbidden and 0 elsewhere
    (the second add overflows to ``-inf``; allowed entries are unchanged, exactly): numpy's masked writes
    (copyto/where/putmask) branch on every entry and are ~4x slower on the mostly-forbidden blocks of a
    congested program (512 x 10k float32: 17 vs 4 ms).
    """
    if s.size == 0:
        return s
    add = np.less(s, limit).view(np.uint8) * -np.finfo(s.dtype).max
    with np.errstate(over="ignore"):
        np.add(s, add, out=s)
        np.add(s, add, out=s)
    return s


def _row_thresholds(s: np.ndarray, k: int) -> np.ndarray:
    """A lower bound of each row's k-th largest value (exact when the row is short): see :func:`_kth_bound`."""
    return _kth_bound(s, k, axis=1, narrowest=8)


def _column_thresholds(s: np.ndarray, r: int) -> np.ndarray:
    """A lower bound of each column's r-th largest value (exact when the block has few rows): :func:`_kth_bound`.

    A 640 x 10k block with r = 20: 3 ms, against 43 ms for ``np.partition`` down the columns of a row-major block.
    """
    return _kth_bound(s, r, axis=0, narrowest=2)


def _kth_bound(s: np.ndarray, k: int, *, axis: int, narrowest: int) -> np.ndarray:
    """A lower bound of the k-th largest value of each line of ``s`` along ``axis`` (1: rows, 0: columns).

    The k-th largest of the maxima of ``2.5 k`` blocks of the line (any partition gives the bound: each of the k
    blocks with the largest maxima holds a value at least that high). Block b holds the entries b, b + 2.5 k,
    b + 5 k, ... (the last few join the first blocks), so the maxima are an elementwise maximum of contiguous
    slices, which numpy vectorises (640 x 10k chunk, rows: 1.8 ms, against 4.5 for a reduceat over contiguous
    blocks); then a full sort of the short lines of maxima (640 x 125: 0.1 ms, against 0.7 ms for np.partition).
    Exact (``np.partition``) when the blocks would hold fewer than ``narrowest`` entries.
    """
    n = s.shape[axis]
    n_blocks = int(2.5 * k)
    size = n // n_blocks if n_blocks else 0
    if size < narrowest:
        return np.take(np.partition(s, n - k, axis=axis), n - k, axis=axis)
    whole = size * n_blocks
    if axis == 1:
        maxima = s[:, :whole].reshape(s.shape[0], size, n_blocks).max(axis=1)
        head, tail = maxima[:, : n - whole], s[:, whole:]
    else:
        maxima = s[:whole].reshape(size, n_blocks, s.shape[1]).max(axis=0)
        head, tail = maxima[: n - whole], s[whole:]
    if whole < n:
        np.maximum(head, tail, out=head)
    return np.take(np.sort(maxima, axis=axis), n_blocks - k, axis=axis)


def _keys(
    group: np.ndarray, value: np.ndarray, other: np.ndarray | None, n_group: int, n_other: int = 1
) -> np.ndarray | None:
    """One int64 per entry ordering entries by (group asc, value desc, other asc), or None if it cannot.

    The key is ``(group * 2^24 + (2^24 - 1 - (value + 2) / 2^-22)) * n_other + other``, for values on the grid in
    [-2, 2) and ``group < n_group``, ``other < n_other`` (``other`` None: no such factor); None when it would not
    fit in 63 bits or the values are off that range. Equal keys mean equal entries.
    """
    if n_group * n_other * float(1 << _VALUE_BITS) >= float(1 << 62):
        return None
    if value.size and not (value.min() >= -_VALUE_SHIFT and value.max() < _VALUE_SHIFT):
        return None
    q = np.rint((np.asarray(value, dtype=np.float64) + _VALUE_SHIFT) * (1.0 / SCORE_QUANTUM)).astype(np.int64)
    key = (np.asarray(group, dtype=np.int64) << _VALUE_BITS) | (_VALUE_MAX - q)
    return key if other is None else key * n_other + other


def _order(group: np.ndarray, value: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The order of entries by (group asc, value desc, other asc), for values on the grid in [0, 2).

    Sorts one packed int64 key (:func:`_keys`): one integer sort instead of a three-key lexsort, several times
    faster on the millions of entries of a full graph. The (group, other) pairs are distinct, so the keys are and
    the order is unique. The sort is numpy's stable one (timsort), which uses the runs of entries already grouped,
    as a block's selection lists them: 0.7 against 2.0 ms for 40k row-grouped keys, the same on shuffled ones.
    Falls back to ``lexsort`` when the key does not fit.
    """
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    key = _keys(group, value, other, int(group.max()) + 1, int(other.max()) + 1)
    if key is None:
        return np.lexsort((other, -value, group))
    return np.argsort(key, kind="stable")


def _row_order(rows: np.ndarray, value: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """:func:`_order` for entries listed by (row, column) ascending, as ``np.flatnonzero`` lists a block.

    Ties of (row, value) are then already in column order, so a stable sort of ``(row, value desc)`` alone gives
    the same order with a key that needs no column factor (measured ~20 % faster than ``_order`` on the 600k
    entries of a 2048-row chunk of a full 1k-mentor graph).
    """
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
    key = _keys(rows, value, None, int(rows.max()) + 1)
    return _order(rows, value, cols) if key is None else np.argsort(key, kind="stable")


def _top_per_group(group: np.ndarray, value: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """Indices of each group's best ``k`` entries by (value desc, other asc), ordered by (group, rank)."""
    order = _order(group, value, other)
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if g.size else np.zeros(0, dtype=np.int64)
    first = np.repeat(starts, np.diff(np.r_[starts, g.size]))
    return order[(np.arange(g.size) - first) < k]


def top_per_row(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` finite entries of each row of a dense block by (value desc, column asc): (rows, cols).

    The block holds scores: finite numbers, and ``-inf`` for forbidden pairs (never chosen).
    """
    b, m = values.shape
    if b == 0 or m == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    k = min(k, m)
    # A row with fewer than k finite entries has -inf for bound: the most negative finite number keeps just those.
    th = np.maximum(_row_thresholds(values, k), np.finfo(values.dtype).min)
    rr, cc = np.nonzero(values >= th[:, None])
    keep = _top_per_group(rr, values[rr, cc], cc, k)
    return rr[keep], cc[keep]


class _ReverseTop:
    """Each mentor's best ``r`` (row, score) over the chunks seen so far, with a running admission threshold."""

    def __init__(self, m: int, r: int, floor: np.float32, min_score: float) -> None:
        self.m, self.r, self.min_score = m, r, min_score
        # A score is recorded when it is above its mentor's threshold: just below the floor until the mentor
        # holds r scores, then its r-th best (a later row must beat it strictly; ties go to the lower row).
        self.floor = floor
        self.open = np.nextafter(floor, np.float32(-np.inf))
        self.threshold = np.full(m, self.open, dtype=np.float32)
        self.rows = np.zeros(0, dtype=np.int64)
        self.cols = np.zeros(0, dtype=np.int64)
        self.vals = np.zeros(0)
        self.alts = np.zeros(0)
        self.pending: list[tuple[np.ndarray, ...]] = []
        self.n_pending = 0

    def first(self, s: np.ndarray, alt: np.ndarray | None, lo: int) -> None:
        """Record the exact top r of every column of the first chunk (ties by row), and set the thresholds."""
        take = min(self.r, s.shape[0])
        if take == 0:
            return
        # The r-th largest of each column bounds its top r from below; only ties at it need the row order.
        kth = np.partition(s, s.shape[0] - take, axis=0)[s.shape[0] - take]
        rr, cc = np.nonzero(s >= np.maximum(kth, self.floor)[None, :])
        if rr.size > 4 * take * self.m:  # massive ties: sort the columns outright (stable: ties by row)
            top = np.argsort(-s, axis=0, kind="stable")[:take]
            cc = np.broadcast_to(np.arange(self.m), top.shape).ravel()
            rr = top.ravel()
        records = self.gather(s, alt, lo, rr, cc)
        if records is not None:
            self.add(records)
        self.merge()

    def gather(
        self,
        s: np.ndarray,
        alt: np.ndarray | None,
        lo: int,
        rr: np.ndarray,
        cc: np.ndarray,
        *,
        shift: np.ndarray | None = None,
    ) -> tuple[np.ndarray, ...] | None:
        """The block entries ``(rr, cc)`` (local rows) at or above the minimum score, as records for :meth:`add`.

        ``shift`` (per mentor) turns the block's values into scores (the block holds reduced scores when
        candidates are price-guided). None when no entry is left. Reads only constants, so the pass's threads
        call it on their own blocks.
        """
        vals = as_scores(s[rr, cc])
        if shift is not None:
            vals = vals + shift[cc]
        ok = vals >= self.min_score
        rr, cc, vals = rr[ok], cc[ok], vals[ok]
        if rr.size == 0:
            return None
        alts = as_scores(alt[rr, cc]) if alt is not None else vals
        return rr + lo, cc, vals, alts

    def add(self, records: tuple[np.ndarray, ...]) -> None:
        """Hold gathered records (rows, cols, vals, alts) until the next merge (merging when enough are held)."""
        self.pending.append(records)
        self.n_pending += records[0].size
        if self.n_pending > _MERGE_AT * self.m * self.r + 100_000:
            self.merge()

    def merge(self) -> None:
        """Keep each mentor's best r of held and pending records; raise the thresholds accordingly."""
        if not self.pending:
            return
        rows = np.concatenate([self.rows, *[p[0] for p in self.pending]])
        cols = np.concatenate([self.cols, *[p[1] for p in self.pending]])
        vals = np.concatenate([self.vals, *[p[2] for p in self.pending]])
        alts = np.concatenate([self.alts, *[p[3] for p in self.pending]])
        self.pending, self.n_pending = [], 0
        keep = _top_per_group(cols, vals, rows, self.r)
        self.rows, self.cols, self.vals, self.alts = rows[keep], cols[keep], vals[keep], alts[keep]
        full = np.bincount(self.cols, minlength=self.m) >= self.r
        # The last kept entry of a full column is its r-th best; a later row must beat it strictly.
        last = np.flatnonzero(np.r_[self.cols[1:] != self.cols[:-1], True]) if self.cols.size else np.zeros(0, int)
        rth = np.full(self.m, -np.inf)
        rth[self.cols[last]] = self.vals[last]
        raised = np.where(full, rth, self.open).astype(np.float32)
        self.threshold = np.maximum(self.threshold, raised)


def score_rows(
    scorer: Scorer,
    top_k: int,
    reverse_r: int,
    *,
    full: bool,
    lo: int = 0,
    hi: int | None = None,
    chunk: int | None = None,
) -> dict[str, np.ndarray]:
    """Score mentees ``lo..hi-1`` against every mentor, chunk by chunk, and keep their candidate edges.

    The result is a *partial* graph: those rows' top-K (or every allowed pair when ``full``), the preference
    pairs, and each mentor's top-R among those rows. :func:`assemble` merges partials of any split of the rows
    into exactly the graph one pass over all rows would give (the top-R of a union is the top-R of the parts'
    top-Rs; scores are exact, so every split sees the same numbers). Arrays are plain numeric (float32 scores are
    exact), so a partial can travel between processes (e.g. Celery chord parts) without pickling.

    Chunks are worked on by several threads at once (as many as BLAS would use, :func:`matching._threads.workers`),
    each scoring and selecting whole chunks with single-threaded BLAS; the results are taken in row order.

    Returns:
        ``{"counts", "cols", "vals", "alts"}`` (the rows' own edges, grouped by row, best first: ``counts``
        per row of ``lo..hi-1``, int32, so the 5M edges of a 100k pass need no 20 MB row index),
        ``{"row_range"}`` (``[lo, hi]``),
        ``{"pref_rows", ...}`` (preference pairs) and ``{"rev_rows", ...}`` (per-mentor top-R).
    """
    n, m = scorer.n_mentees, scorer.n_mentors
    hi = n if hi is None else min(hi, n)
    n_workers = workers()
    chunk = chunk or chunk_rows(m, n_workers)
    release()  # what the caller freed since (the profiles, once fused) before the pass's buffers
    reverse = _ReverseTop(m, 0 if full else min(reverse_r, n), scorer.floor, scorer.min_score)
    # The rows' own edges go straight into arrays sized for the most they can hold (K per row, or every pair):
    # untouched pages cost nothing, and no per-chunk pieces are left scattered over the heap.
    cap = max(hi - lo, 0) * (m if full else min(top_k, m))
    own = [np.empty(cap, np.int32), np.empty(cap, np.float32)]
    if scorer.alt is not None:
        own.append(np.empty(cap, np.float32))
    n_own = 0
    counts = np.zeros(max(hi - lo, 0), dtype=np.int32)
    left_out = np.zeros(max(hi - lo, 0), dtype=np.float32)
    prefs: list[tuple[np.ndarray, ...]] = []
    work = _ChunkWork(scorer, top_k, reverse, full=full, rows=min(chunk, max(hi - lo, 0)), n_workers=n_workers)
    starts = range(lo, hi, chunk)

    def jobs() -> Iterator[tuple[int, int, np.ndarray | None]]:
        # Read when a thread is free: the mentors' thresholds as the chunks taken so far left them (the chunk
        # still in flight may raise them further; a lower threshold only records more, never loses an edge).
        for start in starts[1:]:
            yield start, min(hi, start + chunk), work.later()

    first = [work.first(starts[0], min(hi, starts[0] + chunk))] if starts else []
    for k, done in enumerate(chain(first, in_order(work, jobs(), n_workers))):
        if done.reverse is not None:
            reverse.add(done.reverse)
        size = done.own[0].size
        for array, values in zip(own, done.own):
            array[n_own : n_own + size] = values
        n_own += size
        counts[done.start - lo : done.start - lo + done.counts.size] = done.counts
        left_out[done.start - lo : done.start - lo + done.counts.size] = done.left_out
        if done.prefs is not None:
            prefs.append(done.prefs)
        if k % 16 == 15:
            release()  # the chunks' temporaries, freed between live records
    reverse.merge()
    rev = _compact(reverse.rows, reverse.cols, reverse.vals, reverse.alts if scorer.alt is not None else None)
    out: dict[str, np.ndarray] = dict(zip(_FIELDS[1:], [a[:n_own] for a in own]))
    out["counts"], out["left_out"], out["row_range"] = counts, left_out, np.array([lo, hi], dtype=np.int64)
    for prefix, pieces in (("pref_", prefs), ("rev_", [rev])):
        for k, name in enumerate(_FIELDS):
            if name == "alts" and scorer.alt is None:
                continue
            dtype = np.int32 if k < 2 else np.float32
            arrays = [p[k] for p in pieces]
            out[prefix + name] = np.concatenate(arrays) if arrays else np.zeros(0, dtype)
    release()
    return out


class _Chunk(NamedTuple):
    """What one chunk of rows leaves to the pass: copies only, so its scores' buffer can be reused."""

    start: int
    own: tuple[np.ndarray, ...]  # the rows' own edges (cols, vals and alts), grouped by row, best first
    counts: np.ndarray  # own edges per row of the chunk
    left_out: np.ndarray  # per row, a bound on the pairs it did not keep (see _ChunkWork._left_out)
    reverse: tuple[np.ndarray, ...] | None  # records above their mentor's threshold (see _ReverseTop.gather)
    prefs: tuple[np.ndarray, ...] | None  # the chunk's preference pairs (see _compact)


class _ChunkWork:
    """Score a chunk of rows into a thread's own buffer and keep what the pass needs of it (a :class:`_Chunk`).

    Called on the pass's threads (:func:`matching._threads.in_order`) with a ``slot``: the buffers the thread may
    use until its result is taken. It only reads shared state; :meth:`first` (which sets the mentors' first
    thresholds) runs alone, before the others.
    """

    def __init__(
        self, scorer: Scorer, top_k: int, reverse: _ReverseTop, *, full: bool, rows: int, n_workers: int
    ) -> None:
        m = scorer.n_mentors
        self.scorer, self.reverse = scorer, reverse
        self.guided = not full and scorer.guide is not None
        self.shift = limit = None
        if self.guided:
            self.shift = np.asarray(scorer.prices, dtype=np.float32)  # score = reduced score + price, exactly
            # Allowed iff score >= min_score iff reduced >= min_score - p (float32, rounded down; rechecked exactly).
            limit = np.asarray(scorer.min_score - scorer.prices, dtype=np.float32)
            limit = np.where(
                limit.astype(np.float64) > scorer.min_score - scorer.prices, np.nextafter(limit, -np.inf), limit
            )
        self.pick = _Picker(
            full,
            self.guided,
            min(top_k, m),
            floor=scorer.floor,
            min_score=scorer.min_score,
            limit=limit,
            shift=self.shift,
        )
        # Per thread: one scores buffer reused chunk after chunk (a fresh 20-40 MB array per chunk would cost its
        # page faults every time) and two boolean masks of a few rows each for the selection.
        shape = (rows, m)
        self.buffers = [np.empty(shape, np.float32) for _ in range(n_workers)]
        self.alt_buffers = [np.empty(shape, np.float32) if scorer.alt is not None else None for _ in range(n_workers)]
        mask_shape = (min(rows, _SELECT_ROWS), m)
        self.masks = [[np.empty(mask_shape, dtype=bool) for _ in range(2)] for _ in range(n_workers)]

    def later(self) -> np.ndarray | None:
        """The mentors' current recording thresholds on the chunks' scale (reduced scores when guided)."""
        if not self.reverse.r:
            return None
        return self.reverse.threshold - self.shift if self.guided else self.reverse.threshold

    def first(self, start: int, stop: int) -> _Chunk:
        """The first chunk, on the calling thread; it also records each mentor's exact top-R in it."""
        if not self.reverse.r:
            return self(0, (start, stop, None))
        s, alt = self._scores(0, start, stop)
        self.reverse.first(s + self.shift[None, :] if self.guided else s, alt, start)
        return self._keep(0, s, alt, start, None)

    def __call__(self, slot: int, job: tuple[int, int, np.ndarray | None]) -> _Chunk:
        start, stop, later = job
        s, alt = self._scores(slot, start, stop)
        return self._keep(slot, s, alt, start, later)

    def _scores(self, slot: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray | None]:
        return self.scorer.raw(start, stop, self.buffers[slot], self.alt_buffers[slot], guided=self.guided)

    def _keep(self, slot: int, s: np.ndarray, alt: np.ndarray | None, start: int, later) -> _Chunk:
        scorer, shift = self.scorer, self.shift
        rr, cc, vals, rev_rr, rev_cc = self.pick(s, later, self.masks[slot])
        reverse = self.reverse.gather(s, alt, start, rev_rr, rev_cc, shift=shift) if rev_rr.size else None
        ok = vals >= scorer.min_score
        if not ok.all():
            rr, cc, vals = rr[ok], cc[ok], vals[ok]
        # Compact storage: int32 indices and float32 scores (exact: they are float32 fixed-point numbers).
        own = (cc.astype(np.int32), vals.astype(np.float32))
        if alt is not None:
            own += (alt[rr, cc],)
        counts = np.bincount(rr, minlength=s.shape[0]).astype(np.int32)
        left_out = self._left_out(rr, cc, vals, counts)
        # Preference pairs outside the top-K still become candidates.
        prefs = None
        br, bc, _ = scorer.bonus_block(start, start + s.shape[0])
        if br.size:
            bv = as_scores(s[br, bc]) + (shift[bc] if self.guided else 0.0)
            ok = bv >= scorer.min_score
            br, bc, bv = br[ok], bc[ok], bv[ok]
            prefs = _compact(br + start, bc, bv, alt[br, bc] if alt is not None else None)
        return _Chunk(start, own, counts, left_out, reverse, prefs)

    def _left_out(self, rr: np.ndarray, cc: np.ndarray, vals: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Per row, a bound on ``s_ij - q_j`` over the allowed pairs it did not keep.

        ``q``: the estimated prices when price-guided, else 0. The least kept value when the row kept its top K
        (every other pair ranks at or below them), else -inf (it kept every allowed pair) or, price-guided,
        :data:`_GUIDED_FLOOR` (below it the selection looks no further).
        """
        out = np.full(counts.size, _GUIDED_FLOOR if self.guided else -np.inf, dtype=np.float32)
        k = self.pick.k
        full_rows = np.flatnonzero(counts == k) if not self.pick.full else np.zeros(0, dtype=np.int64)
        if full_rows.size:
            reduced = vals - self.shift[cc] if self.guided else vals  # exact: fixed-point numbers
            first = (np.cumsum(counts) - counts)[full_rows]  # rows are grouped, in row order
            out[full_rows] = reduced[first[:, None] + np.arange(k)].min(axis=1)
        return out


_FIELDS = ("rows", "cols", "vals", "alts")
#: Rows of a block compared at a time when selecting: keeps each thread's two boolean masks small (2 x 2.5 MB at
#: 10k mentors instead of 2 x 6.4 MB for a 640-row block) at the cost of a few more numpy calls per block.
_SELECT_ROWS = 256


def _selected(s: np.ndarray, th: np.ndarray, later: np.ndarray | None, masks: list[np.ndarray]) -> np.ndarray:
    """Flat indices (row-major) of the entries of ``s`` reaching their row's threshold or above their column's.

    ``th`` is a scalar or one threshold per row (kept if ``>=``); ``later`` one per column (kept if ``>``), or
    None. Done in slices of ``len(masks[0])`` rows, in the two given boolean buffers.
    """
    b, m = s.shape
    step = masks[0].shape[0]
    parts = []
    for a in range(0, b, step):
        z = min(b, a + step)
        hit = np.greater_equal(s[a:z], th if np.ndim(th) == 0 else th[a:z, None], out=masks[0][: z - a])
        if later is not None:
            np.logical_or(hit, np.greater(s[a:z], later[None, :], out=masks[1][: z - a]), out=hit)
        flat = np.flatnonzero(hit)
        parts.append(flat + a * m if a else flat)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _Picker:
    """One block's candidates (rows local to the block), with the constants of the pass.

    ``__call__(s, later, masks)`` returns ``(rows, cols, values)`` of the rows' own edges, ordered by row then
    score, and ``(rows, cols)`` of the entries above their mentor's running threshold ``later`` (none when it is
    None), rows local to the block. It writes only to the block (in the rare massive-ties rows of a price-guided
    block) and to ``masks``, so two threads pick from their own blocks at once.
    """

    def __init__(self, full: bool, guided: bool, k: int, *, floor, min_score: float, limit, shift) -> None:
        self.full, self.guided, self.k = full, guided, k
        self.floor, self.min_score, self.limit, self.shift = floor, min_score, limit, shift

    def __call__(self, s: np.ndarray, later: np.ndarray | None, masks: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        b, m = s.shape
        k = self.k
        none = np.zeros(0, dtype=np.int64)
        # One pass finds both kinds of candidates: values reaching their row's threshold, and values above their
        # mentor's running threshold.
        if self.full:
            th = self.floor
        else:
            th = np.maximum(_row_thresholds(s, k), _GUIDED_FLOOR if self.guided else self.floor)
        flat = _selected(s, th, later, masks)
        rr, cc = np.divmod(flat, m)
        vals = as_scores(s.ravel()[flat])
        if self.full:  # every allowed pair: order each row, nothing to cut (no reverse records, no top-K)
            order = _row_order(rr, vals, cc)
            return rr[order], cc[order], vals[order], none, none
        in_row = vals >= th[rr]
        rev_rr = rev_cc = none
        if later is not None:
            at = ~in_row | (vals > later[cc])
            rev_rr, rev_cc = rr[at], cc[at]
        rr, cc, vals = rr[in_row], cc[in_row], vals[in_row]
        if self.guided:
            rr, cc, vals = _allowed_top(
                s, rr, cc, vals, limit=self.limit, shift=self.shift, min_score=self.min_score, k=k
            )
        if rr.size > 8 * k * b:  # massive ties: sort those rows' values outright
            if self.guided:
                forbid_below(s, self.limit[None, :])
            top = np.argsort(-s, axis=1, kind="stable")[:, :k]
            rr = np.repeat(np.arange(b), top.shape[1])
            cc = top.ravel()
            vals = as_scores(s[rr, cc])
        keep = _top_per_group(rr, vals, cc, k)
        rr, cc, vals = rr[keep], cc[keep], vals[keep]
        if self.guided:
            vals = vals + self.shift[cc]
            order = _order(rr, vals, cc)  # the graph's rows are ordered by score
            rr, cc, vals = rr[order], cc[order], vals[order]
        return rr, cc, vals, rev_rr, rev_cc


def _allowed_top(
    s: np.ndarray,
    rr: np.ndarray,
    cc: np.ndarray,
    vals: np.ndarray,
    *,
    limit: np.ndarray,
    shift: np.ndarray,
    min_score: float,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the allowed entries of those reaching their row's threshold in a price-guided block; redo short rows.

    The block holds reduced scores with the forbidden pairs (below the minimum score) still in. A row with at
    least k allowed entries at or above its threshold has its top-k allowed among them (every allowed entry
    ranking higher is above the threshold too), so only the rows left with fewer are redone, exactly, with the
    forbidden pairs masked.
    """
    b, m = s.shape
    allowed = vals + shift[cc] >= min_score  # exact: fixed-point numbers in float64
    short = np.bincount(rr[allowed], minlength=b) < k
    keep = allowed & ~short[rr]
    redo = np.flatnonzero(short)
    if redo.size == 0:
        return rr[keep], cc[keep], vals[keep]
    sub = s[redo]
    forbid_below(sub, limit[None, :])
    sub_th = np.maximum(_row_thresholds(sub, k), _GUIDED_FLOOR)
    flat = np.flatnonzero(sub >= sub_th[:, None])
    r, c = np.divmod(flat, m)
    v = as_scores(sub.ravel()[flat])
    ok = v + shift[c] >= min_score
    return (
        np.concatenate([rr[keep], redo[r[ok]]]),
        np.concatenate([cc[keep], c[ok]]),
        np.concatenate([vals[keep], v[ok]]),
    )


def _compact(rows, cols, vals, alts) -> tuple[np.ndarray, ...]:
    """Edge arrays as int32 indices and float32 scores (``alts`` may be None)."""
    return (
        np.asarray(rows, dtype=np.int32),
        np.asarray(cols, dtype=np.int32),
        np.asarray(vals, dtype=np.float32),
        None if alts is None else np.asarray(alts, dtype=np.float32),
    )


def left_out_bounds(partials: list[dict[str, np.ndarray]], n: int) -> np.ndarray:
    """Per mentee row, ``b_i`` with ``s_ij - q_j <= b_i`` for every allowed pair the candidate graph left out.

    ``q`` is the scorer's estimated prices when candidates were price-guided, else 0. Certification may assume it
    instead of scoring the row again (:func:`matching.certify.refine`). Rows no partial speaks for get ``+inf``.
    """
    out = np.full(n, np.inf)
    for p in partials:
        if "left_out" in p:
            a, b = (int(x) for x in p["row_range"])
            out[a:b] = p["left_out"]
    return out


def assemble(
    scorer: Scorer,
    top_k: int,
    reverse_r: int,
    partials: list[dict[str, np.ndarray]],
    *,
    full: bool,
) -> tuple[CandidateGraph, np.ndarray]:
    """Merge the partials of consecutive row ranges (in row order) into the candidate graph.

    Returns:
        The graph (rows sorted by descending solver score, ties by mentor index; preference bonus included) and
        the mentor-side score of each edge (the graph's scores without bonus when the scorer has no ``alt``).
    """
    n, m = scorer.n_mentees, scorer.n_mentors
    has_alt = scorer.alt is not None

    def cat(name: str, dtype) -> np.ndarray:
        if name.endswith("alts") and not has_alt:
            name = name[: -len("alts")] + "vals"
        arrays = [p[name] for p in partials if name in p]
        if len(arrays) == 1:  # one partial (a single pass): no copy
            return np.asarray(arrays[0], dtype=dtype)
        return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)

    cols, vals = cat("cols", np.int32), cat("vals", np.float32)
    alts = cat("alts", np.float32) if has_alt else None
    # Each mentor's top-R over all rows: the best R of the parts' top-Rs.
    reverse = _ReverseTop(m, 0 if full else min(reverse_r, n), scorer.floor, scorer.min_score)
    reverse.pending = [tuple(cat(f"rev_{k}", dt) for k, dt in zip(_FIELDS, _DTYPES))]
    reverse.merge()
    er = np.concatenate([cat("pref_rows", np.int64), reverse.rows])
    ec = np.concatenate([cat("pref_cols", np.int64), reverse.cols])
    ev = np.concatenate([cat("pref_vals", np.float64), reverse.vals])
    ea = np.concatenate([cat("pref_alts", np.float64), reverse.alts])
    kept_count = np.zeros(n, dtype=np.int64)
    for p in partials:
        a, b = (int(x) for x in p["row_range"])
        kept_count[a:b] = p["counts"]
    own_end = np.cumsum(kept_count)  # one past each row's last own edge
    guided = scorer.guide is not None and not full
    at = None  # where each extra goes among the own edges (default: after its row's own edges)
    resort = False
    if er.size and guided:
        # Price-guided rows are not each row's top by score, so an extra may rank anywhere in its row: drop the
        # extras already among the row's own edges and insert the others at their rank.
        _, uniq = np.unique(er * m + ec, return_index=True)
        er, ec, ev, ea = er[uniq], ec[uniq], ev[uniq], ea[uniq]
        ranked = _ranks((kept_count, vals, cols), (er, ev, ec), n, m)
        resort = ranked is None
        if resort:  # keys too wide to pack: membership by pair, then every touched row re-sorted below
            own_rows = np.repeat(np.arange(n, dtype=np.int64), kept_count)
            new = np.flatnonzero(~np.isin(er * m + ec, own_rows * m + cols))
            del own_rows
        else:
            new, at = ranked
        er, ec, ev, ea = er[new], ec[new], ev[new], ea[new]
    elif er.size and not full:
        # An extra edge is new unless its row kept all its allowed pairs or it ranks within the row's top-K.
        last_val = np.full(n, np.inf)
        last_col = np.full(n, -1, dtype=np.int64)
        has = kept_count > 0
        last_val[has] = vals[own_end[has] - 1]
        last_col[has] = cols[own_end[has] - 1]
        in_top = (kept_count[er] < top_k) | (ev > last_val[er]) | ((ev == last_val[er]) & (ec <= last_col[er]))
        er, ec, ev, ea = er[~in_top], ec[~in_top], ev[~in_top], ea[~in_top]
        _, uniq = np.unique(er * m + ec, return_index=True)  # a pair recorded twice (reverse and preference)
        er, ec, ev, ea = er[uniq], ec[uniq], ev[uniq], ea[uniq]
        order = _order(er, ev, ec)
        er, ec, ev, ea = er[order], ec[order], ev[order], ea[order]
    else:
        er = ec = np.zeros(0, dtype=np.int64)
        ev = ea = np.zeros(0)
    # Extras rank after their row's own edges: insert them at the end of their row's own edges (no sort of the
    # millions of row edges, no edge-sized index arrays). np.insert keeps the given order at equal positions.
    extra_count = np.bincount(er, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept_count + extra_count, out=indptr[1:])
    if at is None:
        at = own_end[er]
    mentor = np.insert(cols.astype(np.int32, copy=False), at, ec.astype(np.int32))
    # Scores are float32 fixed-point numbers (the extras too): inserting in float32 and widening is exact.
    score = np.insert(vals.astype(np.float32, copy=False), at, ev.astype(np.float32)).astype(np.float64)
    mentor_side = np.insert(alts, at, ea.astype(np.float32)).astype(np.float64) if has_alt else None
    del cols, vals, alts, at
    if resort and er.size:
        edge_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        touched = np.zeros(n, dtype=bool)
        touched[er] = True
        sel = np.flatnonzero(touched[edge_rows])
        resort = sel[_order(edge_rows[sel], score[sel], mentor[sel])]
        mentor[sel], score[sel] = mentor[resort], score[resort]
        if has_alt:
            mentor_side[sel] = mentor_side[resort]
    edge_rows = None
    if scorer.bonus.size:
        edge_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        plain = score.copy() if not has_alt else None
        order = _apply_bonus(scorer, edge_rows, mentor, score)
        mentor, score = mentor[order], score[order]
        if has_alt:
            mentor_side = mentor_side[order]
        else:
            mentor_side = plain[order]
    graph = CandidateGraph(n, m, indptr, mentor, score)
    release()
    return graph, (mentor_side if mentor_side is not None else score)


#: Rows whose own edges get their keys at a time in :func:`_ranks` (at K = 50, ~50k edges: temporaries that stay
#: in cache instead of a dozen edge-sized arrays, each a fresh mapping to fault in: the keys of 5M edges took
#: 0.26-0.27 s at once, 0.04-0.07 s this way).
_RANK_ROWS = 1024


def _ranks(own: tuple[np.ndarray, ...], extra: tuple[np.ndarray, ...], n: int, m: int):
    """Where the new extra edges go among a graph's own edges: (extras to insert, in order; positions), or None.

    The own edges (``own``: their count per row, their scores and columns) are grouped by row, each row by (score desc,
    column asc), so their packed keys (:func:`_keys`) are ascending and a binary search gives each extra its rank
    in its row and tells whether it is there already: no sort or set operation on the millions of own edges. The
    new extras come in key order, as ``np.insert`` needs at equal positions. None when the keys do not fit.
    """
    extra = _keys(*extra, n, m)  # (rows, scores, columns)
    if extra is None:
        return None
    own_counts, own_vals, own_cols = own
    own = np.empty(own_vals.size, dtype=np.int64)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(own_counts, out=bounds[1:])
    for lo in range(0, n, _RANK_ROWS):
        hi = min(n, lo + _RANK_ROWS)
        a, b = int(bounds[lo]), int(bounds[hi])
        rows = np.repeat(np.arange(lo, hi, dtype=np.int64), own_counts[lo:hi])
        keys = _keys(rows, own_vals[a:b], own_cols[a:b], n, m)
        if keys is None:
            return None
        own[a:b] = keys
    order = np.argsort(extra)
    at = np.searchsorted(own, extra[order])
    fresh = own[np.minimum(at, own.size - 1)] != extra[order] if own.size else np.ones(extra.size, dtype=bool)
    return order[fresh], at[fresh]


def build_graph(
    scorer: Scorer,
    top_k: int,
    reverse_r: int,
    *,
    full: bool | None = None,
    chunk: int | None = None,
) -> tuple[CandidateGraph, np.ndarray]:
    """Score every pair chunk by chunk and keep the candidate edges (:func:`score_rows` + :func:`assemble`).

    Args:
        scorer: the program's scores and constraints.
        top_k: candidates per mentee.
        reverse_r: best mentees kept per mentor (0: none).
        full: keep every allowed pair (default: when ``n * m <= FULL_GRAPH_PAIRS`` or ``top_k >= m``).
        chunk: mentees per chunk (default: :func:`chunk_rows`).

    Returns:
        The candidate graph and the mentor-side score of each edge (see :func:`assemble`).
    """
    n, m = scorer.n_mentees, scorer.n_mentors
    if full is None:
        full = is_full(n, m, top_k)
    partials = [score_rows(scorer, top_k, reverse_r, full=full, chunk=chunk)] if n and m else []
    return assemble(scorer, top_k, reverse_r, partials, full=full)


def is_full(n: int, m: int, top_k: int) -> bool:
    """Whether a program keeps every allowed pair (small enough, or K covers every mentor)."""
    return n * m <= FULL_GRAPH_PAIRS or top_k >= m


def _apply_bonus(scorer: Scorer, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """Add the preference bonus to its edges (in place) and return the order that re-sorts the rows it touches."""
    m = scorer.n_mentors
    key = rows * m + cols
    bkey = scorer.bonus_rows * m + scorer.bonus_cols
    by_key = np.argsort(bkey)
    pos = np.minimum(np.searchsorted(bkey[by_key], key), max(bkey.size - 1, 0))
    hit = bkey[by_key][pos] == key
    vals[hit] += scorer.bonus[by_key][pos[hit]]
    order = np.arange(rows.size)
    touched = np.zeros(scorer.n_mentees, dtype=bool)
    touched[rows[hit]] = True
    sel = np.flatnonzero(touched[rows])
    if sel.size:
        order[sel] = sel[_order(rows[sel], vals[sel], cols[sel])]
    return order


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def make_extender(
    scorer: Scorer, graph: CandidateGraph, per_call: int
) -> Callable[[np.ndarray], tuple[CandidateGraph, np.ndarray]]:
    """Return the stable solver's ``extend`` callback: the next candidates of given mentees.

    "Next" means the best allowed mentors (by the solver's score, ties by index) not given to that mentee
    before, in the initial graph or an earlier call. Each call gives a mentee as many more as it has been given
    so far, at least ``per_call``: a mentee that keeps running out (on the congested benchmark program, a fifth
    of them, up to 20 times at 50 a call) has its row scored a few times rather than once per ``per_call``
    mentors. The length of the lists does not change deferred acceptance's outcome, only how often it asks. The
    callback keeps what it has handed out in a closure.
    """
    given: dict[int, np.ndarray] = {}
    m = scorer.n_mentors

    def next_best(slot: int, job: tuple[np.ndarray, list[np.ndarray]]) -> tuple:
        """The next best mentors of a block of mentees (``job``: them, and what each was given before)."""
        rows, before = job
        s, alt = scorer.score_rows(rows)
        lens = np.array([b.size for b in before], dtype=np.int64)
        if lens.sum():
            s[np.repeat(np.arange(rows.size), lens), np.concatenate(before)] = -np.inf  # never hand out twice
        # Each row's next best: one selection over the block (a full sort of every 10k-wide row, one at a time,
        # took 0.3 ms a row: 27 of the 38 s of a 100k stable run), then each row cut to what it is due.
        due = np.maximum(lens, per_call)
        rr, top = top_per_row(s, int(due.max()))
        got = np.bincount(rr, minlength=rows.size)
        keep = np.arange(rr.size) - np.repeat(np.cumsum(got) - got, got) < due[rr]
        rr, top = rr[keep], top[keep]
        return before, rr, top, s[rr, top], (alt[rr, top] if alt is not None else s[rr, top])

    def extend(mentees: np.ndarray) -> tuple[CandidateGraph, np.ndarray]:
        mentees = np.asarray(mentees, dtype=np.int64)
        out_cols, out_vals, out_alts, counts = [], [], [], []
        n_workers = workers()
        # Blocks small enough that every thread gets one (a call brings a few hundred mentees).
        step = max(1, min(chunk_rows(m) // 2, -(-mentees.size // n_workers)))
        starts = range(0, mentees.size, step)

        def jobs() -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
            for lo in starts:
                rows = mentees[lo : lo + step]
                before = [given.get(i) for i in rows.tolist()]
                yield (
                    rows,
                    [
                        b if b is not None else graph.mentor[graph.indptr[i] : graph.indptr[i + 1]].astype(np.int64)
                        for b, i in zip(before, rows.tolist())
                    ],
                )

        for lo, (before, rr, top, vals, alts) in zip(starts, in_order(next_best, jobs(), n_workers)):
            rows = mentees[lo : lo + step]
            got = np.bincount(rr, minlength=rows.size)
            ends = np.cumsum(got).tolist()
            for k, i in enumerate(rows.tolist()):
                given[i] = np.concatenate([before[k], top[ends[k] - got[k] : ends[k]]])
            out_cols.append(top)
            out_vals.append(vals)
            out_alts.append(alts)
            counts.extend(got.tolist())
        indptr = np.zeros(mentees.size + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        sub = CandidateGraph(mentees.size, m, indptr, _cat(out_cols, np.int32), _cat(out_vals, np.float64))
        return sub, _cat(out_alts, np.float64)

    return extend
