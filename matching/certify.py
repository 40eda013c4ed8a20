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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matching._auction import concat_ranges
from matching._threads import in_order, rows_each, workers
from matching.assignment import (
    EPS_FINAL_REL,
    Solution,
    _check_capacities,
    _mentee_values,
    _objective_weights,
    _scale,
    _solve,
    coverage_bonus,
)
from matching.graph import CandidateGraph

__all__ = ["certificate", "refine"]

# Pairs whose reduced cost exceeds this (relative to the score scale) are added: below it they cannot move the
# total by more than the solver's own tolerance.
ADD_TOL_REL = 1e-9
# Each pricing round adds at most about this many pairs per mentee (its most violated ones, ties included).
# Adding every violated pair would bring in, for each mentee the graph left unmatched, every allowed pair to a
# mentor with spare seats: the graph doubles and the re-solve slows down, for pairs the optimum never uses.
ADD_PER_ROW = 16


def _pass(
    score_block: Callable[[int, int], np.ndarray],
    n: int,
    caps: np.ndarray,
    prices: np.ndarray,
    *,
    u_graph: np.ndarray,
    bonus: float,
    tol: float,
    chunk: int,
    n_workers: int,
    per_row: int = 0,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """One chunked pass over all pairs, a chunk on each of ``n_workers`` threads at a time (:mod:`matching._threads`).

    Returns ``sum_i max(0, max_j w_ij - p_j)`` (exact in float64 even for float32 blocks; summed in row order)
    and the pairs (mentee, mentor, score) whose reduced cost ``w_ij - p_j - u_graph_i`` exceeds ``tol`` (with
    ``per_row > 0``, only those not below each row's ``per_row``-th largest reduced cost: ties are all kept, so
    the choice does not depend on how a partition orders equal values).
    """
    p64 = np.asarray(prices, dtype=np.float64)

    def chunk_of(slot: int, lo: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        hi = min(n, lo + chunk)
        return _chunk_pass(
            score_block(lo, hi), lo, hi, caps, p64, u_graph=u_graph, bonus=bonus, tol=tol, per_row=per_row
        )

    total = 0.0
    found_i, found_j, found_s = [], [], []
    for part, ci, cj, cs in in_order(chunk_of, range(0, n, chunk), n_workers):
        total += part
        found_i.append(ci)
        found_j.append(cj)
        found_s.append(cs)
    if found_i:
        return total, np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)
    empty = np.zeros(0, dtype=np.int64)
    return total, empty, empty, np.zeros(0, dtype=np.float64)


def _chunk_pass(
    block: np.ndarray,
    lo: int,
    hi: int,
    caps: np.ndarray,
    p64: np.ndarray,
    *,
    u_graph: np.ndarray,
    bonus: float,
    tol: float,
    per_row: int,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_pass` on the scores of mentees ``lo..hi-1``: their part of the sum and their pairs to add."""
    block = np.asarray(block)
    if block.shape != (hi - lo, caps.size):
        raise ValueError(f"score_block({lo}, {hi}) returned shape {block.shape}, expected {(hi - lo, caps.size)}")
    closed = caps == 0
    dtype = block.dtype if block.dtype in (np.float32, np.float64) else np.float64
    # Reduced value w_ij - p_j in the block's precision; mentors without seats never count.
    if bonus:
        red = block.astype(dtype, copy=True)
        red += dtype.type(bonus)
        red -= p64.astype(dtype)
    else:  # the same values in one pass over the block
        red = np.subtract(block, p64.astype(dtype), dtype=dtype)
    if closed.any():
        red[:, closed] = -np.inf
    rowmax = red.max(axis=1) if caps.size else np.full(hi - lo, -np.inf, dtype=dtype)
    if dtype == np.float64:
        exact = rowmax
    else:
        # float32 rounding could pick the wrong maximum: recompute in float64 every entry near the row max.
        ulp = np.spacing(np.maximum(np.abs(rowmax), np.float32(1.0))) * 4
        near_i, near_j = np.nonzero(red >= (rowmax - ulp)[:, None])
        vals = block[near_i, near_j].astype(np.float64) + bonus - p64[near_j]
        exact = np.full(hi - lo, -np.inf)
        np.maximum.at(exact, near_i, vals)
    part = float(np.maximum(exact, 0.0).sum())
    # Candidates to add: a superset found in the block's precision, each confirmed in float64.
    thresh = u_graph[lo:hi] + tol
    if dtype != np.float64:
        thresh = thresh - 8 * np.spacing(np.maximum(np.abs(thresh), 1.0).astype(dtype)).astype(np.float64)
    thresh = thresh.astype(dtype)
    # Only rows whose maximum passes the threshold can hold a candidate (few, after the first round).
    hot = np.flatnonzero(rowmax > thresh)
    ci, cj = np.nonzero(red[hot] > thresh[hot, None])
    ci = hot[ci]
    if per_row > 0 and ci.size > per_row:
        count = np.bincount(ci, minlength=hi - lo)
        crowded = np.flatnonzero(count > per_row)
        if crowded.size:
            kth = np.full(hi - lo, -np.inf, dtype=dtype)
            kth[crowded] = np.partition(red[crowded], caps.size - per_row, axis=1)[:, caps.size - per_row]
            keep = red[ci, cj] >= kth[ci]
            ci, cj = ci[keep], cj[keep]
    s64 = block[ci, cj].astype(np.float64)
    ok = s64 + bonus - p64[cj] - u_graph[lo + ci] > tol
    return part, ci[ok] + lo, cj[ok], s64[ok]


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
            concurrently, as ``Scorer.score_block`` and any function of its arguments only are.
        objective: the objective the solution was computed for ("score" or "coverage").
        max_rounds: how many times edges may be added and the matching re-solved.
        chunk: mentees per ``score_block`` call (default: 1024 shared by the threads, so about 1024 rows are in
            flight whatever the cores; bounds the memory of one pass).
        per_row: at most about this many improving pairs are added per mentee and round, its most improving
            ones (0: all of them).
        good_enough: stop adding edges once the certified relative gap is at most this (0: only when no
            improving pair is left or the rounds run out). Each round costs a pass over all pairs and a re-solve,
            and late rounds move the total by parts per billion.

    Returns:
        The final graph (with any added edges), its solution, and the certified relative gap
        ``(UB - total) / total``: no matching of the full program beats ``total * (1 + gap)``. It is at most
        the solver's own tolerance (about 1e-9) when no improving pair is left.
    """
    n, m = graph.n_mentees, graph.n_mentors
    caps = _check_capacities(capacities, m)
    n_workers = workers()
    chunk = max(1, int(chunk)) if chunk is not None else rows_each(n_workers)
    for round_no in range(max_rounds + 1):
        w = _objective_weights(graph, objective)
        bonus = coverage_bonus(graph.score, n) if objective == "coverage" else 0.0  # also on an empty graph
        scale = _scale(graph)
        prices = np.maximum(np.asarray(solution.prices, dtype=np.float64), 0.0)
        u_graph = _mentee_values(graph, w, prices)
        tol = ADD_TOL_REL * scale
        total_u, add_i, add_j, add_s = _pass(
            score_block,
            n,
            caps,
            prices,
            u_graph=u_graph,
            bonus=bonus,
            tol=tol,
            chunk=chunk,
            n_workers=n_workers,
            per_row=per_row,
        )
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
