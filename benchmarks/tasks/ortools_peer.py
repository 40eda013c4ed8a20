"""Peer rows run with OR-Tools (``benchmarks/.venvs/ortools``): C++ min-cost flow with capacities.

OR-Tools' ``SimpleMinCostFlow`` (Goldberg's cost-scaling push-relabel) takes mentor capacities natively, so it
is the fair "no slot expansion" peer for our max-score solver. The network: one unit of supply per mentee, an
arc per candidate edge (capacity 1, cost -score), an arc per mentor to the sink (capacity c_j) and a bypass arc
per mentee to the sink (unmatched). For objective "score" the bypass costs 0, so the flow maximises the total
score; for "coverage" it costs more than any total score, so cardinality comes first. Scores are scaled to
integers (1e-7 resolution, far below the 1e-5 quality threshold compared).

Loaded by ``worker.py`` from its file path; it must not import anything from the repository.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

SCALE = 10_000_000


def solve_mcf(
    indptr: np.ndarray, mentor: np.ndarray, score: np.ndarray, capacities: np.ndarray, objective: str
) -> tuple[np.ndarray, dict[str, float]]:
    """Max-score (or coverage-first) capacitated assignment on a CSR candidate graph.

    Returns:
        The mentor index per mentee (-1 unmatched) and the split of the time (build / solve).
    """
    import time

    t0 = time.perf_counter()
    n = indptr.size - 1
    m = capacities.size
    n_edges = mentor.size
    sink = n + m
    tails = np.concatenate(
        (np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)), n + np.arange(m, dtype=np.int64), np.arange(n))
    )
    heads = np.concatenate((n + mentor.astype(np.int64), np.full(m, sink, np.int64), np.full(n, sink, np.int64)))
    caps = np.concatenate((np.ones(n_edges, np.int64), capacities.astype(np.int64), np.ones(n, np.int64)))
    unmatched_cost = 0 if objective == "score" else (n + 1) * SCALE
    costs = np.concatenate(
        (-np.rint(score * SCALE).astype(np.int64), np.zeros(m, np.int64), np.full(n, unmatched_cost, np.int64))
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + m + 1, np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(n + m + 1), supplies)
    t1 = time.perf_counter()
    status = flow.solve()
    t2 = time.perf_counter()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow status {status}")
    used = flow.flows(np.arange(n_edges)) > 0
    assignment = np.full(n, -1, dtype=np.int64)
    rows = tails[:n_edges][used]
    assignment[rows] = mentor[used]
    return assignment, {"build_s": t1 - t0, "solve_s": t2 - t1}


def _summary(assignment: np.ndarray, indptr: np.ndarray, mentor: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    """Total score, matched count, recomputed from the graph so every solver is scored the same way."""
    n = indptr.size - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    hit = assignment[rows] == mentor
    return {"total": float(score[hit].sum()), "matched": int(hit.sum()), "n": int(n)}


def mcf_graph(params: dict[str, Any], io: Any):
    """SimpleMinCostFlow on a saved CSR graph (the K=50 candidate graph, or every allowed pair)."""
    g = io.load(params["graph"])
    objective = params.get("objective", "score")

    def run():
        return solve_mcf(g["indptr"], g["mentor"], g["score"], g["capacities"], objective)

    def report(out):
        assignment, split = out
        io.save(params["out"], assignment=assignment)
        return {**_summary(assignment, g["indptr"], g["mentor"], g["score"]), **split, "edges": int(g["mentor"].size)}

    return run, report


def mcf_dense(params: dict[str, Any], io: Any):
    """SimpleMinCostFlow on every allowed pair of a saved dense matrix (-inf = forbidden); building the arc
    list from the matrix is part of the measured call, as it would be for a caller holding the matrix."""
    d = io.load(params["dense"])
    scores, capacities = d["scores"], d["capacities"]
    objective = params.get("objective", "score")

    def run():
        allowed = np.isfinite(scores)
        indptr = np.concatenate(([0], np.cumsum(allowed.sum(axis=1))))
        mentor = np.nonzero(allowed)[1]
        return solve_mcf(indptr, mentor, scores[allowed], capacities, objective), indptr, mentor

    def report(out):
        (assignment, split), indptr, mentor = out
        io.save(params["out"], assignment=assignment)
        allowed = np.isfinite(scores)
        summary = _summary(assignment, indptr, mentor, scores[allowed])
        return {**summary, **split, "edges": int(mentor.size)}

    return run, report
