"""LP-dual certificate for a max-score matching found on a pruned candidate graph, and pricing rounds.

The candidate graph keeps only each mentee's top-K mentors (plus each mentor's top-R mentees), so the optimum on
the graph may miss better pairs. Weak LP duality says how much: for any mentor prices ``p >= 0``,

    UB(p) = sum_i max(0, max_j w_ij - p_j) + sum_j c_j p_j

over ALL allowed pairs is an upper bound on every matching's total. With the prices of the solution on the graph,
``UB - total`` is the certified gap. The same pass lists every pair outside the graph whose reduced cost
``w_ij - p_j - u_i`` is positive: only those could improve the matching. Adding them and re-solving is column
generation (each mentee's most improving pairs, a bounded number per round; the re-solve starts
afresh, which is faster than warm-starting here); when no such pair is left, the gap is just the
solver's own tolerance, i.e. the matching is optimal on the full program.

Most rows need no scoring at all (given a row scorer). A pass keeps each row's best ``w_ij - p_j`` outside the
graph; a re-solve moves the prices a little, and no such pair gains more than the largest price drop, so a later
pass scores only the rows whose bound no longer stays below their best pair in the graph. The first pass starts
from what the candidate pass promises about the pairs it left out (:class:`LeftOut`): each row kept its K best
by ``s - q`` (``q``: the prices it estimated), so a left-out pair has ``s_ij - p_j <= b_i + (q_j - p_j)``; the
few mentors whose estimate overshot the most are scored exactly, and the rows still unsettled in full.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matching._auction import concat_ranges
from matching._threads import in_order, rows_each, workers
from matching.assignment import (
    EPS_FINAL_REL,
    Solution,
    _check_capacities,
    _objective_weights,
    _scale,
    _solve,
    coverage_bonus,
)
from matching.graph import CandidateGraph

__all__ = ["LeftOut", "certificate", "refine"]

# Pairs whose reduced cost exceeds this (relative to the score scale) are added: below it they cannot move the
# total by more than the solver's own tolerance.
ADD_TOL_REL = 1e-9
# A row is left unscored only when its bound outside the graph stays this far (relative to the score scale) below
# its best in the graph: far above float64 rounding, far below any reduced cost worth adding.
SCREEN_MARGIN_REL = 1e-12
# The first pass scores every mentee exactly against this share of the mentors (those whose estimated price
# overshoots the solver's the most) and bounds the rest from what the candidate pass left out (see LeftOut).
OVERSHOOT_SHARE = 0.05
# Each pricing round adds at most about this many pairs per mentee (its most violated ones, ties included).
# Adding every violated pair would bring in, for each mentee the graph left unmatched, every allowed pair to a
# mentor with spare seats: the graph doubles and the re-solve slows down, for pairs the optimum never uses.
ADD_PER_ROW = 16


@dataclass(frozen=True)
class LeftOut:
    """What the candidate pass promises about the pairs it left out of the graph, so the first pass can skip rows.

    Attributes:
        bound: per mentee, ``b_i`` with ``s_ij - shift_j <= b_i`` for every allowed pair (i, j) not in the graph
            (``matching.candidates.left_out_bounds``).
        shift: per mentor, the prices the candidates were chosen with (0 when by score alone).
        score_mentors: ``score_mentors(cols)`` returns a ``score_block``-like function of the scores of mentees
            ``lo..hi-1`` against the mentors ``cols`` only (exact outside the graph, ``-inf`` where forbidden).
    """

    bound: np.ndarray
    shift: np.ndarray
    score_mentors: Callable[[np.ndarray], Callable[[int, int], np.ndarray]]


def _first_bound(
    left_out: LeftOut,
    graph: CandidateGraph,
    caps: np.ndarray,
    prices: np.ndarray,
    *,
    base: np.ndarray,
    bonus: float,
    chunk: int,
    n_workers: int,
) -> np.ndarray:
    """Per mentee, an upper bound on ``w_ij - p_j`` over the pairs outside the graph, before any full pass.

    A pair left out has ``s_ij - p_j <= b_i + (shift_j - p_j)``: tight but for the mentors whose estimated price
    overshoots the solver's. The :data:`OVERSHOOT_SHARE` of the mentors with the largest overshoot are scored
    exactly for every mentee (a pass over that many columns); the others share their largest overshoot.
    """
    n = graph.n_mentees
    open_ = np.flatnonzero(caps > 0)
    if open_.size == 0:
        return np.full(n, -np.inf)
    overshoot = np.asarray(left_out.shift, dtype=np.float64)[open_] - prices[open_]
    order = np.argsort(-overshoot, kind="stable")
    exact = np.sort(open_[order[: max(1, math.ceil(OVERSHOOT_SHARE * open_.size))]])
    rest = overshoot[order[exact.size :]]
    if rest.size:
        bound = np.asarray(left_out.bound, dtype=np.float64) + bonus + rest.max()
    else:  # every mentor is scored exactly
        bound = np.full(n, -np.inf)
    score = left_out.score_mentors(exact)
    p_exact = prices[exact]
    no_seat = np.zeros(exact.size, dtype=bool)

    def block_of(slot: int, rows: np.ndarray) -> np.ndarray:
        block = score(int(rows[0]), int(rows[-1]) + 1)
        return _outside(block, rows, graph, p_exact, columns=exact, closed=no_seat, base=base, bonus=bonus)[2]

    scored = list(in_order(block_of, _blocks(np.arange(n), chunk), n_workers))
    return np.maximum(bound, np.concatenate(scored)) if scored else bound


def _pass(
    score: Callable[[np.ndarray], np.ndarray],
    blocks: list[np.ndarray],
    graph: CandidateGraph,
    caps: np.ndarray,
    prices: np.ndarray,
    *,
    base: np.ndarray,
    u_graph: np.ndarray,
    bonus: float,
    tol: float,
    n_workers: int,
    per_row: int = 0,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Score the blocks of mentee rows, a block on each of ``n_workers`` threads at a time.

    ``score(rows)`` returns the rows' scores against every mentor (:mod:`matching._threads` runs it with
    single-threaded BLAS). Returns, in the order of the blocks' rows, the maximum of ``w_ij - p_j`` over each
    scored row's pairs outside the graph (``-inf``: none allowed): exact where it reaches the row's ``base`` (its
    best in the graph, at least 0), elsewhere an upper bound still below it; and the pairs (mentee, mentor, score)
    whose reduced cost ``w_ij - p_j - u_graph_i`` exceeds ``tol`` (with ``per_row > 0``, only those not below each
    row's ``per_row``-th largest reduced cost: ties are all kept, so the choice does not depend on how a
    partition orders equal values).
    """
    p64 = np.asarray(prices, dtype=np.float64)

    def block_of(slot: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return _chunk_pass(
            score(rows), rows, graph, caps, p64, base=base, u_graph=u_graph, bonus=bonus, tol=tol, per_row=per_row
        )

    parts = list(in_order(block_of, blocks, n_workers))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros(0), (empty, empty, np.zeros(0))
    outside, ci, cj, cs = (np.concatenate(column) for column in zip(*parts))
    return outside, (ci, cj, cs)


def _slack(values: np.ndarray, bonus: float, dtype: np.dtype) -> np.ndarray:
    """Well above the rounding of a block's reduced values and of their float64 recomputation, in ``dtype``."""
    magnitude = np.where(np.isfinite(values), np.abs(values), 0.0)  # a row with nothing allowed: -inf
    return 8 * np.spacing(np.maximum(magnitude + bonus, 1.0).astype(dtype))


def _outside(
    block: np.ndarray,
    rows: np.ndarray,
    graph: CandidateGraph,
    p64: np.ndarray,
    *,
    columns: np.ndarray | None,
    closed: np.ndarray,
    base: np.ndarray,
    bonus: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block's reduced values outside the graph, each row's largest, and its best ``w_ij - p_j`` out there.

    ``block`` holds the scores of the mentees ``rows`` against the mentors ``columns`` (None: every mentor);
    ``p64`` and ``closed`` (mentors without seats) are over the same mentors. Returns ``s_ij - p_j`` in the block's
    precision with the graph's own pairs and closed mentors at ``-inf`` (the coverage bonus left out: a large
    constant would cost a float32 block its precision), its row maxima, and per row the maximum of
    ``(s_ij + bonus) - p_j`` in float64: exact where it could reach the row's ``base`` (its term of the bound),
    elsewhere an upper bound below it. A float32 block gives the same numbers as a float64 one.
    """
    block = np.asarray(block)
    b, width = rows.size, p64.size
    if block.shape != (b, width):
        raise ValueError(f"scores of {b} rows came with shape {block.shape}, expected {(b, width)}")
    dtype = block.dtype if block.dtype in (np.float32, np.float64) else np.float64
    red = np.subtract(block, p64.astype(dtype), dtype=dtype)
    if closed.any():
        red[:, closed] = -np.inf
    # The graph's own pairs are known exactly from the graph: what is left is outside it.
    degree = graph.indptr[rows + 1] - graph.indptr[rows]
    pair_rows = np.repeat(np.arange(b), degree)
    pair_cols = graph.mentor[concat_ranges(graph.indptr[rows], degree)].astype(np.int64)
    if columns is not None:
        position = np.full(graph.n_mentors, -1, dtype=np.int64)
        position[columns] = np.arange(columns.size)
        pair_cols = position[pair_cols]
        pair_rows, pair_cols = pair_rows[pair_cols >= 0], pair_cols[pair_cols >= 0]
    red[pair_rows, pair_cols] = -np.inf
    rowmax = red.max(axis=1) if width else np.full(b, -np.inf, dtype=dtype)
    if dtype == np.float64 and not bonus:
        return red, rowmax, rowmax  # already the exact expression
    best = rowmax.astype(np.float64) + bonus + _slack(rowmax, bonus, dtype)
    check = np.flatnonzero(best >= base[rows])
    if check.size:  # recompute every entry near the row's maximum exactly
        limit = (rowmax[check] - _slack(rowmax[check], bonus, dtype)).astype(dtype)
        near_i, near_j = np.nonzero(red[check] >= limit[:, None])
        exact = np.full(check.size, -np.inf)
        np.maximum.at(exact, near_i, block[check[near_i], near_j].astype(np.float64) + bonus - p64[near_j])
        best[check] = exact
    return red, rowmax, best


def _chunk_pass(
    block: np.ndarray,
    rows: np.ndarray,
    graph: CandidateGraph,
    caps: np.ndarray,
    p64: np.ndarray,
    *,
    base: np.ndarray,
    u_graph: np.ndarray,
    bonus: float,
    tol: float,
    per_row: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_pass` on the scores of the mentees ``rows``: their best outside the graph and their pairs to add.

    Pairs are screened in the block's precision and confirmed and ranked in float64, as ``(s_ij + bonus) - p_j``.
    """
    red, rowmax, outside = _outside(block, rows, graph, p64, columns=None, closed=caps == 0, base=base, bonus=bonus)
    block, b = np.asarray(block), rows.size
    # Pairs to add: a superset screened in the block's precision (only rows whose maximum passes can hold one),
    # confirmed exactly.
    need = u_graph[rows] + tol - bonus
    screen = (need - _slack(need, bonus, red.dtype)).astype(red.dtype)
    hot = np.flatnonzero(rowmax > screen)
    ci, cj = np.nonzero(red[hot] > screen[hot, None])
    ci = hot[ci]
    s64 = block[ci, cj].astype(np.float64)
    value = s64 + bonus - p64[cj]
    ok = value - u_graph[rows[ci]] > tol
    ci, cj, s64, value = ci[ok], cj[ok], s64[ok], value[ok]
    if per_row > 0 and ci.size > per_row:
        # A crowded row keeps the pairs reaching its per_row-th largest value (ties all kept).
        order = np.lexsort((-value, ci))  # by row, then by value, largest first
        by_row = ci[order]
        at_kth = order[np.arange(by_row.size) - np.searchsorted(by_row, by_row) == per_row - 1]
        kth = np.full(b, -np.inf)
        kth[ci[at_kth]] = value[at_kth]
        keep = value >= kth[ci]
        ci, cj, s64 = ci[keep], cj[keep], s64[keep]
    return outside, rows[ci], cj, s64


def _add_edges(graph: CandidateGraph, rows: np.ndarray, mentors: np.ndarray, scores: np.ndarray) -> CandidateGraph:
    """The graph plus new edges, rows still sorted by descending score then ascending mentor."""
    n = graph.n_mentees
    deg = np.diff(graph.indptr)
    added = np.bincount(rows, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(deg + added, out=indptr[1:])
    mentor = np.empty(int(indptr[-1]), dtype=graph.mentor.dtype)
    score = np.empty(int(indptr[-1]), dtype=np.float64)
    touched = added > 0
    # Rows without new edges move as they are, shifted by what earlier rows gained.
    shift = indptr[:-1] - graph.indptr[:-1]
    stay = np.repeat(~touched, deg)
    old_rows = graph.mentee_of_edge()
    dest = np.flatnonzero(stay) + shift[old_rows[stay]]
    mentor[dest] = graph.mentor[stay]
    score[dest] = graph.score[stay]
    # Rows with new edges are merged and re-sorted.
    rows_t = np.flatnonzero(touched)
    old = concat_ranges(graph.indptr[rows_t], deg[rows_t])
    m_rows = np.concatenate([old_rows[old].astype(np.int64), rows])
    m_mentor = np.concatenate([graph.mentor[old].astype(np.int64), mentors])
    m_score = np.concatenate([graph.score[old], scores])
    order = np.lexsort((m_mentor, -m_score, m_rows))
    dest_t = concat_ranges(indptr[rows_t], (deg + added)[rows_t])
    mentor[dest_t] = m_mentor[order]
    score[dest_t] = m_score[order]
    return CandidateGraph(n, graph.n_mentors, indptr, mentor, score)


def _primal(graph: CandidateGraph, w: np.ndarray, assignment: np.ndarray) -> tuple[float, float]:
    """(objective total, score total) of an assignment on the graph."""
    rows = graph.mentee_of_edge()
    hit = graph.mentor == assignment[rows]
    return float(w[hit].sum()), float(graph.score[hit].sum())


def _graph_values(
    graph: CandidateGraph, w: np.ndarray, prices: np.ndarray, caps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each mentee's best ``w_ij - p_j`` over its graph edges, at least 0, from one pass over the edges.

    Returns the best over all its edges (``u``: what a pair must beat to improve the matching) and over its edges
    to mentors with seats (its term of the bound); the two differ only where a mentor has no seat.
    """
    u = np.zeros(graph.n_mentees)
    rows = np.flatnonzero(np.diff(graph.indptr) > 0)
    if rows.size == 0:
        return u, u.copy()
    net = w - prices[graph.mentor]
    u[rows] = np.maximum.reduceat(net, graph.indptr[rows])
    closed = caps[graph.mentor] == 0
    if not closed.any():
        u = np.maximum(u, 0.0)
        return u, u.copy()
    base = np.zeros(graph.n_mentees)
    net[closed] = -np.inf
    base[rows] = np.maximum.reduceat(net, graph.indptr[rows])
    return np.maximum(u, 0.0), np.maximum(base, 0.0)


def _blocks(rows: np.ndarray, chunk: int) -> list[np.ndarray]:
    return [rows[lo : lo + chunk] for lo in range(0, rows.size, chunk)]


def certificate(
    graph: CandidateGraph,
    capacities: np.ndarray,
    solution: Solution,
    score_block: Callable[[int, int], np.ndarray],
    *,
    objective: str = "score",
    chunk: int | None = None,
) -> float:
    """The certified relative gap of a solution over all pairs, in one pass (no edges added).

    Returns ``(UB - total) / total`` in units of the score (for "coverage" the bonus of each match cancels).
    """
    _, _, gap = refine(graph, capacities, solution, score_block, objective=objective, max_rounds=0, chunk=chunk)
    return gap


def refine(
    graph: CandidateGraph,
    capacities: np.ndarray,
    solution: Solution,
    score_block: Callable[[int, int], np.ndarray],
    *,
    score_rows: Callable[[np.ndarray], np.ndarray] | None = None,
    left_out: LeftOut | None = None,
    objective: str = "score",
    max_rounds: int = 4,
    chunk: int | None = None,
    per_row: int = ADD_PER_ROW,
    good_enough: float = 0.0,
) -> tuple[CandidateGraph, Solution, float]:
    """Certify a solution against all pairs, adding missing edges and re-solving up to ``max_rounds`` times.

    Args:
        graph: the candidate graph the solution was computed on.
        capacities: int array (n_mentors,).
        solution: the output of :func:`matching.assignment.solve_optimal` on ``graph`` with ``objective``.
        score_block: ``score_block(lo, hi)`` returns the dense (hi - lo, n_mentors) scores of mentees lo..hi-1
            (float32 or float64), ``-inf`` for forbidden pairs. It is called from several threads at once (one
            chunk each, with single-threaded BLAS: :func:`matching._threads.workers`), so it must be safe to call
            concurrently, as ``Scorer.score_block`` and any function of its arguments only are. Only the pairs
            outside the graph are read (the graph's own come from the graph), so only those must be exact.
        score_rows: optionally, ``score_rows(rows)``: the same scores for any sorted mentee rows (same rules).
            With it, a round after the first scores only the rows a pass could still change: each row's best
            pair outside the graph, known from the last pass, gains at most the largest price drop since, so a
            row whose bound stays at or below its best pair in the graph is settled unscored (at 100k x 10k 93 %
            of the rows of the second pass). The result is the same as without it, bit for bit.
        left_out: optionally, with ``score_rows``, what the candidate pass promises about the pairs it left out
            (:class:`LeftOut`): the first pass then scores every mentee against the few mentors whose estimated
            price overshot the most, and in full only the rows that bound does not settle.
        objective: the objective the solution was computed for ("score" or "coverage").
        max_rounds: how many times edges may be added and the matching re-solved.
        chunk: mentees per ``score_block`` call (default: 1024 shared by the threads, so about 1024 rows are in
            flight whatever the cores; bounds the memory of one pass).
        per_row: at most about this many improving pairs are added per mentee and round, its most improving
            ones (0: all of them).
        good_enough: stop adding edges once the certified relative gap is at most this (0: only when no
            improving pair is left or the rounds run out). Each round costs a pass (over all pairs without
            ``score_rows``) and a re-solve, and late rounds move the total by parts per billion.

    Returns:
        The final graph (with any added edges), its solution, and the certified relative gap
        ``(UB - total) / total``: no matching of the full program beats ``total * (1 + gap)``. It is at most
        the solver's own tolerance (about 1e-9) when no improving pair is left.
    """
    n, m = graph.n_mentees, graph.n_mentors
    caps = _check_capacities(capacities, m)
    n_workers = workers()
    chunk = max(1, int(chunk)) if chunk is not None else rows_each(n_workers)
    every_row = np.arange(n)

    def score(rows: np.ndarray) -> np.ndarray:  # rows: a non-empty block, sorted
        if score_rows is None or rows[-1] - rows[0] == rows.size - 1:
            return score_block(int(rows[0]), int(rows[-1]) + 1)
        return score_rows(rows)

    # Per mentee, an upper bound on w_ij - p_j over the pairs outside the graph at the last pass's prices (exact
    # for the rows that pass scored; unknown before the first pass).
    outside = np.full(n, np.inf)
    last_prices, last_bonus = np.zeros(m), 0.0
    for round_no in range(max_rounds + 1):
        w = _objective_weights(graph, objective)
        bonus = coverage_bonus(graph.score, n) if objective == "coverage" else 0.0  # also on an empty graph
        scale = _scale(graph)
        prices = np.maximum(np.asarray(solution.prices, dtype=np.float64), 0.0)
        tol = ADD_TOL_REL * scale
        # A row's term of the bound is max(0, best pair), its best pair either in the graph or outside it.
        u_graph, base = _graph_values(graph, w, prices, caps)
        if score_rows is None:
            rows = every_row
        else:
            if round_no == 0 and left_out is not None:
                outside = _first_bound(
                    left_out, graph, caps, prices, base=base, bonus=bonus, chunk=chunk, n_workers=n_workers
                )
            elif round_no > 0:
                # No pair outside the graph gained more than the largest price drop (and the coverage bonus's
                # rise) since the last pass.
                open_ = caps > 0
                outside += float((last_prices - prices)[open_].max()) if open_.any() else 0.0
                outside += bonus - last_bonus
            # Rows whose bound stays at or below their best in the graph hold no improving pair: left unscored.
            rows = np.flatnonzero(~(outside + SCREEN_MARGIN_REL * max(scale, 1.0) <= base))
        found, (add_i, add_j, add_s) = _pass(
            score,
            _blocks(rows, chunk),
            graph,
            caps,
            prices,
            base=base,
            u_graph=u_graph,
            bonus=bonus,
            tol=tol,
            n_workers=n_workers,
            per_row=per_row,
        )
        outside[rows] = found
        terms = base.copy()
        terms[rows] = np.maximum(base[rows], found)  # a bound below the base leaves it as it is
        last_prices, last_bonus = prices, bonus
        # Summed a chunk at a time in row order, whichever rows were scored: the same bits every time (a plain
        # running sum: Python's sum() of floats is compensated since 3.12).
        total_u = 0.0
        for lo in range(0, n, chunk):
            total_u += float(terms[lo : lo + chunk].sum())
        upper = total_u + float((caps * prices).sum())
        primal, primal_score = _primal(graph, w, solution.assignment)
        gap = max(upper - primal, 0.0) / max(abs(primal_score), EPS_FINAL_REL * scale)
        if add_i.size == 0 or round_no == max_rounds or gap <= good_enough:
            return graph, solution, gap
        graph = _add_edges(graph, add_i.astype(np.int64), add_j.astype(np.int64), add_s)
        w = _objective_weights(graph, objective)
        # A cold re-solve: warm-starting from the previous prices is correct but measured far slower (20k: 3.1 s
        # instead of 0.6 s; 50k: over 8 minutes instead of 1.5 s), because the new edges to cheap mentors leave
        # many priced mentors with spare seats, and lowering those prices at the final epsilon is a long chain
        # of small reverse steps. The epsilon-scaling start repairs them in a few coarse phases.
        solution = _solve(graph, caps, w, _scale(graph))
    raise AssertionError("unreachable")  # pragma: no cover
