"""Our rows: the ``matching`` package on the congested program (run with the repository on ``sys.path``).

The solver-level rows use arrays exported by :func:`export` / :func:`candidates` (our own candidate graph and
``score_block`` rows), so OR-Tools, scipy, greedy and the ``matching`` library see exactly the same edges and
scores as our solvers. Every row re-checks what it got (capacities, forbidden pairs) instead of trusting it.

The only calls into the library's internals (features, candidates) are in the three adapter functions below;
everything else uses the public contract (``matching.match``, ``matching.assignment``, ``matching.certify``).
"""

from __future__ import annotations

import pickle
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import workload

from matching import assignment
from matching.graph import CandidateGraph

STABLE_MENTOR_MIX = 0.5  # mentors rank mentees by 0.5 * score + 0.5 * engagement (asymmetric, as in the anchors)


# ---------------------------------------------------------------------------------------------------------------
# Adapters to the engine's internals (features + candidates). Kept here, in one place, so a renamed internal
# function breaks three lines, not the suite.
# ---------------------------------------------------------------------------------------------------------------


def _prepare(mentees: list[Any], mentors: list[Any], config: Any, *, full: bool | None = None) -> Any:
    """Validated inputs -> the ``candidates.Scorer`` that ``matching.match`` builds for the same call.

    Mirrors ``matching.engine.match`` (no pins, no preferences in this workload): same fused widths, residual
    budget and forbidden pairs (excluded + self pairs), so the exported graph is the one ``match`` solves on.
    ``full`` forces the small-program settings (the engine decides it from N * M and ``top_k``).
    """
    from matching import candidates, engine, features

    n, m = len(mentees), len(mentors)
    if full is None:
        full = n * m <= candidates.FULL_GRAPH_PAIRS or config.top_k >= m
    profiles = features.build_profiles(mentees, mentors)
    free, active = np.arange(n), np.arange(m)
    fused = features.fuse(
        profiles,
        [config.mentee_weights],
        free,
        active,
        language_penalty=config.language_required,
        dense_width=engine.DENSE_WIDTH_SMALL if full else engine.DENSE_WIDTH_LARGE,
        residual_budget=engine.residual_budget(n, m) if hasattr(engine, "residual_budget") else 2e6 + 20 * n,
    )[0]
    ex_rows, ex_cols = engine._forbidden(config, tuple(mentees), free, {p.id: j for j, p in enumerate(mentors)})
    none = np.zeros(0, dtype=np.int64)
    return candidates.Scorer(fused, None, config.min_score, ex_rows, ex_cols, none, none, np.zeros(0))


def _graph(prepared: Any, config: Any, k: int, r: int) -> CandidateGraph:
    """The candidate graph of top-``k`` per mentee plus top-``r`` per mentor (``k == 0``: every allowed pair)."""
    from matching import candidates

    return candidates.build_graph(prepared, k, r, full=k == 0)[0]


def _score_block(prepared: Any, config: Any) -> Callable[[int, int], np.ndarray]:
    """``score_block(lo, hi)``: dense scores of mentees lo..hi-1, ``-inf`` where the pair is forbidden."""
    return prepared.score_block


def _dim(prepared: Any) -> int:
    """Width of the fused dense feature vectors (the inner dimension of the sgemm bound)."""
    return int(prepared.fused.width)


def _gemm_dim(prepared: Any) -> int:
    """How many of those columns the scoring GEMM takes (the rarer ones are added row by row; ADR 0006)."""
    width = getattr(prepared.fused, "gemm_width", None)  # older snapshots of the library: all of them
    return int(prepared.fused.width if width is None else width)


# ---------------------------------------------------------------------------------------------------------------


def _people(io: Any, n: int, tight: bool = False, **config: Any) -> tuple[workload.Program, list, list, Any]:
    """Generate the program once per size (cached in the scratch folder) and build its ``matching`` objects."""
    path = Path(io.workdir) / f"program-{n}-{int(tight)}.pickle"
    if path.exists():
        with open(path, "rb") as f:
            program = pickle.load(f)
    else:
        program = workload.generate(n, tight=tight)
        with open(path, "wb") as f:
            pickle.dump(program, f, protocol=pickle.HIGHEST_PROTOCOL)
    mentees, mentors, match_config = workload.as_matching(program, **config)
    return program, mentees, mentors, match_config


def _graph_arrays(graph: CandidateGraph, program: workload.Program) -> dict[str, np.ndarray]:
    rows = graph.mentee_of_edge()
    return {
        "indptr": graph.indptr,
        "mentor": graph.mentor,
        "score": graph.score,
        "capacities": program.capacities,
        "mentor_score": STABLE_MENTOR_MIX * graph.score + (1 - STABLE_MENTOR_MIX) * program.engagement[rows],
    }


def _load_graph(io: Any, name: str) -> tuple[CandidateGraph, dict[str, np.ndarray]]:
    g = io.load(name)
    n = g["indptr"].size - 1
    graph = CandidateGraph(n, g["capacities"].size, g["indptr"], g["mentor"], g["score"])
    return graph, g


def _check(assignment_: np.ndarray, graph: CandidateGraph, capacities: np.ndarray) -> dict[str, Any]:
    """Total score over the graph's edges, after checking capacity and that every pair is an edge."""
    rows = graph.mentee_of_edge()
    hit = assignment_[rows] == graph.mentor
    matched = int((assignment_ >= 0).sum())
    if int(hit.sum()) != matched:
        raise AssertionError("an assigned pair is not an edge of the graph (forbidden or unknown)")
    load = np.bincount(assignment_[assignment_ >= 0], minlength=capacities.size)
    if (load > capacities).any():
        raise AssertionError("a mentor is over capacity")
    return {"total": float(graph.score[hit].sum()), "matched": matched, "n": int(assignment_.size)}


def export(params: dict[str, Any], io: Any):
    """Save our candidate graphs (``graphs``: name -> K, 0 = every allowed pair) and/or the dense matrix."""
    program, mentees, mentors, config = _people(io, int(params["n"]), bool(params.get("tight")))

    def run():
        prepared = _prepare(mentees, mentors, config)
        graphs = {
            name: _graph(prepared, config, int(k), config.reverse_top_r) for name, k in params.get("graphs", {}).items()
        }
        dense = _score_block(prepared, config)(0, len(mentees)) if params.get("dense") else None
        return prepared, graphs, dense

    def report(out):
        prepared, graphs, dense = out
        info: dict[str, Any] = {"dim": _dim(prepared)}
        for name, graph in graphs.items():
            io.save(name, **_graph_arrays(graph, program))
            info[f"{name}_edges"] = graph.n_edges
        if dense is not None:
            io.save(params["dense"], scores=np.asarray(dense, dtype=np.float64), capacities=program.capacities)
            info["forbidden_share"] = float(1.0 - np.isfinite(dense).mean())
        return info

    return run, report


def candidates(params: dict[str, Any], io: Any):
    """The candidate pass (scoring + top-K per mentee, top-R per mentor) from built features: the T1 row.

    As in the anchors' T1 (the GEMM, the masks and the top-K, from the fused vectors), the features (profiles,
    TF-IDF, fusion: their own stage of the end-to-end target) are built before the timed call; their time is
    reported as ``features_s`` (once, outside the repeats).
    """
    program, mentees, mentors, config = _people(io, int(params["n"]))
    k = int(params.get("k", config.top_k))
    started = time.perf_counter()
    prepared = _prepare(mentees, mentors, config)
    features_s = time.perf_counter() - started

    def run():
        return _graph(prepared, config, k, config.reverse_top_r)

    def report(graph):
        if params.get("save") and not io.exists(params["save"]):
            io.save(params["save"], **_graph_arrays(graph, program))
        degree = np.diff(graph.indptr)
        return {
            "dim": _dim(prepared),
            "gemm_dim": _gemm_dim(prepared),
            "edges": graph.n_edges,
            "empty_rows": int((degree == 0).sum()),
            "features_s": round(features_s, 3),
        }

    return run, report


def optimal_dense(params: dict[str, Any], io: Any):
    """``matching.assignment.optimal`` on the exported dense matrix (the same input scipy gets)."""
    d = io.load(params["dense"])
    scores, capacities = d["scores"], d["capacities"]

    def run():
        return assignment.optimal(scores, capacities)

    def report(result):
        io.save(params["out"], assignment=result)
        return _check(result, CandidateGraph.from_dense(scores), capacities)

    return run, report


def solve_graph(params: dict[str, Any], io: Any):
    """``matching.assignment.solve_optimal`` on an exported candidate graph (the OR-Tools comparison)."""
    graph, g = _load_graph(io, params["graph"])
    objective = params.get("objective", "score")

    def run():
        return assignment.solve_optimal(graph, g["capacities"], objective=objective)

    def report(solution):
        io.save(params["out"], assignment=solution.assignment)
        return {**_check(solution.assignment, graph, g["capacities"]), "edges": graph.n_edges}

    return run, report


def stable_graph(params: dict[str, Any], io: Any):
    """``matching.assignment.solve_stable`` on exported lists, mentors ranking by the asymmetric score."""
    graph, g = _load_graph(io, params["graph"])

    def run():
        return assignment.solve_stable(graph, g["mentor_score"], g["capacities"])

    def report(result):
        io.save(params["out"], assignment=result)
        return {**_check(result, graph, g["capacities"]), "edges": graph.n_edges}

    return run, report


def _pricing_pass(
    score_block: Callable[[int, int], np.ndarray],
    graph: CandidateGraph,
    prices: np.ndarray,
    capacities: np.ndarray,
    chunk: int = 2048,
    tol: float = 1e-7,
    per_row: int = 20,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over EVERY allowed pair with mentor prices ``p`` (any p >= 0 gives a valid bound).

    Returns the LP-dual upper bound of the max-score b-matching, ``sum_i max(0, max_j s_ij - p_j) + sum_j c_j p_j``,
    and the non-graph pairs whose reduced cost beats their row's best graph edge (the pairs pricing must add).
    Computed here, independently of the library's own certificate.
    """
    p = np.maximum(np.asarray(prices, dtype=np.float64), 0.0)
    bound = float(np.dot(capacities.astype(np.float64), p))
    n = graph.n_mentees
    rows_out, cols_out, vals_out = [], [], []
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        block = np.asarray(score_block(lo, hi), dtype=np.float64)
        reduced = block - p
        best = np.maximum(0.0, reduced.max(axis=1, initial=-np.inf))
        bound += float(best.sum())
        # The row's best value over its graph edges; a non-edge beating it is a violated dual constraint.
        in_graph = np.zeros(block.shape, dtype=bool)
        local = graph.mentee_of_edge()[graph.indptr[lo] : graph.indptr[hi]] - lo
        in_graph[local, graph.mentor[graph.indptr[lo] : graph.indptr[hi]]] = True
        have = np.where(in_graph, reduced, -np.inf).max(axis=1, initial=-np.inf)
        violated = np.where((reduced > np.maximum(have, 0.0)[:, None] + tol) & ~in_graph, reduced, -np.inf)
        if per_row < violated.shape[1]:
            # Column generation adds each row's most violated pairs only; later rounds add more if needed.
            top = np.argpartition(-violated, per_row - 1, axis=1)[:, :per_row]
            r = np.repeat(np.arange(hi - lo), per_row)
            c = top.ravel()
            keep = np.isfinite(violated[r, c])
            r, c = r[keep], c[keep]
        else:
            r, c = np.nonzero(np.isfinite(violated))
        rows_out.append(r + lo)
        cols_out.append(c)
        vals_out.append(block[r, c])
    return bound, np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(vals_out)


def _with_edges(graph: CandidateGraph, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> CandidateGraph:
    """The graph plus new edges, rows re-sorted by descending score then ascending mentor."""
    all_rows = np.concatenate([graph.mentee_of_edge().astype(np.int64), rows.astype(np.int64)])
    all_cols = np.concatenate([graph.mentor.astype(np.int64), cols.astype(np.int64)])
    all_vals = np.concatenate([graph.score, vals])
    order = np.lexsort((all_cols, -all_vals, all_rows))
    indptr = np.zeros(graph.n_mentees + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_rows, minlength=graph.n_mentees), out=indptr[1:])
    return CandidateGraph(graph.n_mentees, graph.n_mentors, indptr, all_cols[order].astype(np.int32), all_vals[order])


def certify(params: dict[str, Any], io: Any):
    """The certified optimum: solve on the K=50 graph, then pricing rounds until no dual constraint is violated.

    Uses ``matching.certify.refine`` when the library has it; otherwise the benchmark runs the same pricing
    rounds itself with the library's ``solve_optimal`` (``info.pricing`` says which). Either way the benchmark
    then recomputes the dual bound from the final prices over every pair (``verified_gap``), so the optimum the
    quality targets divide by does not rest on the library's own claim.
    """
    program, mentees, mentors, config = _people(io, int(params["n"]))
    graph, g = _load_graph(io, params["graph"])
    capacities = g["capacities"]
    score_block = _score_block(_prepare(mentees, mentors, config), config)
    try:
        from matching import certify as certify_mod
    except ImportError:
        certify_mod = None

    def run():
        first = assignment.solve_optimal(graph, capacities)
        if certify_mod is not None:
            return certify_mod.refine(graph, capacities, first, score_block, objective="score")
        current, solution, rounds = graph, first, 0
        while rounds < int(params.get("max_rounds", 8)):
            rounds += 1
            _, r, c, v = _pricing_pass(score_block, current, solution.prices, capacities)
            if r.size == 0:
                break
            current = _with_edges(current, r, c, v)
            solution = assignment.solve_optimal(current, capacities)
        return current, solution, {"rounds": rounds}

    def report(out):
        final_graph, solution, gap = out
        checked = _check(solution.assignment, final_graph, capacities)
        bound, r, _, _ = _pricing_pass(score_block, final_graph, solution.prices, capacities)
        io.save(params["save"], **_graph_arrays(final_graph, program))
        return {
            **checked,
            "pricing": "matching.certify.refine" if certify_mod is not None else "benchmark rounds",
            "gap": gap if certify_mod is not None else None,
            "rounds": None if certify_mod is not None else gap["rounds"],
            "violations_left": int(r.size),
            "edges": final_graph.n_edges,
            "added_edges": final_graph.n_edges - graph.n_edges,
            "dual_bound": bound,
            "verified_gap": (bound - checked["total"]) / checked["total"],
            "verified_optimum": checked["total"] if r.size == 0 else None,
        }

    return run, report


def match(params: dict[str, Any], io: Any):
    """``matching.match`` end to end (features, candidates, assignment, [certify], explanations)."""
    import matching

    program, mentees, mentors, config = _people(
        io, int(params["n"]), bool(params.get("tight")), **params.get("config", {})
    )

    def run():
        return matching.match(mentees, mentors, config)

    def report(result):
        stats = result.stats
        capacity = {m.id: m.capacity for m in mentors}
        load = Counter(x.mentor_id for x in result.matches)
        if any(load[k] > capacity[k] for k in load):
            raise AssertionError("a mentor is over capacity")
        if any((x.mentee_id, x.mentor_id) in program.excluded for x in result.matches):
            raise AssertionError("an excluded pair was matched")
        explain_error = max(
            (abs(sum(f.contribution for f in x.factors) - x.score) for x in result.matches), default=0.0
        )
        return {
            "n": stats.n_mentees,
            "matched": stats.n_matched,
            "unmatched": len(result.unmatched),
            "total": float(sum(x.score for x in result.matches)),
            "stats_total": stats.total_score,
            "gap": stats.certified_gap,
            "seconds": dict(stats.seconds),
            "unmatched_reasons": dict(Counter(u.reason for u in result.unmatched)),
            "explanation_sum_error": explain_error,
        }

    return run, report
