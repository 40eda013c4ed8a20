"""Peer rows that need only numpy/scipy, run with the project's interpreter but without our package.

* ``sgemm``: the float32 matrix-product rate for the shapes our scoring pass multiplies, i.e. the lower bound
  of any exact scoring of every pair (the fused GEMM of ``matching.candidates`` cannot beat it).
* ``lsa_slots``: scipy ``linear_sum_assignment`` on the slot-expanded matrix (each mentor repeated c_j times),
  the textbook exact method the issue measures our dense solver against.
* ``greedy``: take edges best-first while the mentee is free and the mentor has room; the baseline that
  max-score must beat.

Loaded by ``worker.py`` from its file path.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def sgemm(params: dict[str, Any], io: Any):
    """Time an (n x d) @ (d x m) float32 product done in row chunks into a reused buffer, as a scorer would.

    The same random chunk is multiplied n / chunk times, so memory stays one chunk while the FLOP count and
    the cache behaviour are those of the full pass. The best chunk size among ``chunks`` is the bound.
    """
    n, m, d = int(params["n"]), int(params["m"]), int(params["d"])
    chunks = [int(c) for c in params.get("chunks", (1024, 2048))]
    rng = np.random.default_rng(0)
    right = np.asfortranarray(rng.random((d, m), dtype=np.float32))
    lefts = {c: rng.random((c, d), dtype=np.float32) for c in chunks}
    outs = {c: np.empty((c, m), dtype=np.float32) for c in chunks}
    square = rng.random((2048, 2048), dtype=np.float32)
    np.matmul(square, square)  # warm the BLAS threads up

    def run():
        times = {}
        for c in chunks:
            full, rest = divmod(n, c)
            t0 = time.perf_counter()
            for _ in range(full):
                np.matmul(lefts[c], right, out=outs[c])
            if rest:
                np.matmul(lefts[c][:rest], right)
            times[c] = time.perf_counter() - t0
        t0 = time.perf_counter()
        reps = 5
        for _ in range(reps):
            np.matmul(square, square)
        square_rate = reps * 2 * 2048**3 / (time.perf_counter() - t0) / 1e9
        return times, square_rate

    def report(out):
        times, square_rate = out
        best = min(times, key=times.get)
        flops = 2.0 * n * m * d
        return {
            "flops": flops,
            "seconds_by_chunk": {str(c): t for c, t in times.items()},
            "best_chunk": best,
            "bound_s": times[best],
            "gflops": flops / times[best] / 1e9,
            "square_2048_gflops": square_rate,
        }

    return run, report


def _total(assignment: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    hit = assignment >= 0
    values = scores[np.flatnonzero(hit), assignment[hit]]
    if not np.isfinite(values).all():
        raise RuntimeError("a forbidden pair was assigned")
    return {"total": float(values.sum()), "matched": int(hit.sum()), "n": int(assignment.size)}


def lsa_slots(params: dict[str, Any], io: Any):
    """scipy ``linear_sum_assignment`` on the (n x sum(c)) slot-expanded matrix.

    For objective "score" an allowed pair costs -score and a forbidden one 0 (= leaving the mentee unmatched),
    which is exactly the max-score problem; for "coverage" allowed pairs cost 1 - score and forbidden ones 10
    (cardinality first, as in the anchors). Building the expanded matrix is timed separately from the solve.
    """
    from scipy.optimize import linear_sum_assignment

    d = io.load(params["dense"])
    scores, capacities = d["scores"], d["capacities"]
    objective = params.get("objective", "score")

    def run():
        t0 = time.perf_counter()
        slot_owner = np.repeat(np.arange(capacities.size), capacities)
        expanded = scores[:, slot_owner]
        forbidden = ~np.isfinite(expanded)
        if objective == "score":
            np.negative(expanded, out=expanded)
            expanded[forbidden] = 0.0
        else:
            np.subtract(1.0, expanded, out=expanded)
            expanded[forbidden] = 10.0
        del forbidden
        t1 = time.perf_counter()
        rows, cols = linear_sum_assignment(expanded)
        t2 = time.perf_counter()
        assignment = np.full(scores.shape[0], -1, dtype=np.int64)
        mentor = slot_owner[cols]
        ok = np.isfinite(scores[rows, mentor])
        assignment[rows[ok]] = mentor[ok]
        return assignment, {"build_s": t1 - t0, "solve_s": t2 - t1, "slots": int(slot_owner.size)}

    def report(out):
        assignment, split = out
        io.save(params["out"], assignment=assignment)
        return {**_total(assignment, scores), **split}

    return run, report


def greedy_assign(indptr: np.ndarray, mentor: np.ndarray, score: np.ndarray, capacities: np.ndarray) -> np.ndarray:
    """Best edge first (ties: lower mentee, then lower mentor), if the mentee is free and the mentor has room."""
    n = indptr.size - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    order = np.lexsort((mentor, rows, -score))
    left = capacities.astype(np.int64).tolist()
    assignment = [-1] * n
    free = n
    for i, j in zip(rows[order].tolist(), mentor[order].tolist(), strict=True):
        if assignment[i] < 0 and left[j] > 0:
            assignment[i] = j
            left[j] -= 1
            free -= 1
            if free == 0:
                break
    return np.array(assignment, dtype=np.int64)


def greedy(params: dict[str, Any], io: Any):
    """Greedy on a saved CSR graph."""
    g = io.load(params["graph"])

    def run():
        return greedy_assign(g["indptr"], g["mentor"], g["score"], g["capacities"])

    def report(assignment):
        io.save(params["out"], assignment=assignment)
        n = assignment.size
        rows = np.repeat(np.arange(n), np.diff(g["indptr"]))
        hit = assignment[rows] == g["mentor"]
        return {"total": float(g["score"][hit].sum()), "matched": int(hit.sum()), "n": int(n)}

    return run, report
