"""Assignment solvers: who is paired with whom, given the scores.

Two strategies, each on a dense matrix (small programs, tests) and on the sparse candidate graph (everything
else):

* ``optimal`` / ``solve_optimal``: the maximum-total-score b-matching (each mentee at most once, mentor ``j`` at
  most ``capacities[j]`` times). Mentor capacities are kept as capacities: mentors are never expanded into
  identical slots, which would multiply the work by the mean capacity.
* ``stable`` / ``solve_stable``: mentee-proposing deferred acceptance with capacities, the mentee-optimal stable
  matching.

Everything is deterministic: ties are broken by index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matching._auction import Auction, concat_ranges
from matching.graph import CandidateGraph

__all__ = ["Solution", "optimal", "solve_optimal", "solve_stable", "stable"]

OBJECTIVES = ("score", "coverage")
# Deferred acceptance looks this many edges ahead at once when skipping proposals that would be rejected.
STABLE_WINDOW = 8


@dataclass(frozen=True, eq=False)
class Solution:
    """A b-matching with the dual prices that prove it optimal.

    Attributes:
        assignment: int64 array (n_mentees,), the mentor index of each mentee or -1.
        prices: float64 array (n_mentors,), the mentor dual prices ``p_j >= 0`` (0 for a mentor with spare
            capacity). They are in the units of the solved objective (for "coverage" that includes the bonus).
        mentee_values: float64 array (n_mentees,), ``u_i = max(0, max_j w_ij - p_j)`` over the graph's edges.
    """

    assignment: np.ndarray
    prices: np.ndarray
    mentee_values: np.ndarray


def _check_capacities(capacities: np.ndarray, m: int) -> np.ndarray:
    caps = np.asarray(capacities)
    if caps.shape != (m,):
        raise ValueError(f"capacities must have shape ({m},), got {caps.shape}")
    caps = caps.astype(np.int64)
    if np.any(caps < 0):
        raise ValueError("capacities must be non-negative")
    return caps


def _objective_weights(graph: CandidateGraph, objective: str) -> np.ndarray:
    """Edge weights of the solved objective; "coverage" adds a bonus larger than any score trade-off."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    w = np.asarray(graph.score, dtype=np.float64)
    if objective == "score" or w.size == 0:
        return w
    return w + coverage_bonus(w, graph.n_mentees)


def coverage_bonus(scores: np.ndarray, n_mentees: int) -> float:
    """The per-edge bonus that makes one more match worth more than any change of total score.

    An augmenting path that matches one more mentee adds ``t + 1`` edges and removes ``t <= n_mentees - 1``,
    so it changes the score by less than ``n_mentees * (max - min) + |max|``; a bonus above that makes
    "maximum cardinality, then maximum score" the same as "maximum score of the shifted weights".
    """
    if scores.size == 0:
        return 1.0
    hi, lo = float(scores.max()), float(scores.min())
    return float(n_mentees) * (hi - lo) + abs(hi) + abs(lo) + 1.0


# --------------------------------------------------------------------------------------------------------------
# Maximum-score b-matching (the auction itself lives in matching._auction)

# The solver stops once the dual gap is at most n * EPS_FINAL_REL * scale (scale: the largest |score|), and
# epsilon never goes below EPS_FINAL_REL * scale, so that bound always holds at the end.
EPS_FINAL_REL = 1e-9
# A coarse first phase: on congested programs its price war (crowded mentees bidding in steps of epsilon) is most
# of the work, and the reverse steps of the next phase repair the coarse prices cheaply (100k K=50 graph: 1e-3/16
# 10-11 s, 2e-2/32 6.7-7 s; 10k full graph the same within noise). With these numbers a solve that runs to
# EPS_FINAL_REL has 6 phases, as before: exact ties (identical mentees) then still go to the lower index.
EPS_START_REL = 2e-2
EPS_WARM_REL = 1e-5
EPS_FACTOR = 32.0


def _mentee_values(graph: CandidateGraph, w: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """``u_i = max(0, max_j w_ij - p_j)`` over each mentee's edges."""
    u = np.zeros(graph.n_mentees, dtype=np.float64)
    rows = np.flatnonzero(np.diff(graph.indptr) > 0)
    if rows.size:
        net = prices[graph.mentor]  # one edge-sized temporary: w - p computed in place
        np.subtract(w, net, out=net)
        u[rows] = np.maximum.reduceat(net, graph.indptr[rows])
    return np.maximum(u, 0.0)


def _solve(
    graph: CandidateGraph, caps: np.ndarray, w: np.ndarray, scale: float, warm: Solution | None = None
) -> Solution:
    """Run the auction on edges of weight ``w`` (the solved objective), optionally warm-started.

    Args:
        graph: the candidate graph (its scores are not used; ``w`` is).
        caps: validated capacities.
        w: the objective weight of every edge.
        scale: the size of a score (the tolerance is relative to it).
        warm: a previous solution on a subgraph (certification re-solves): its prices and assignment seed the
            auction, which then only repairs what the new edges changed.
    """
    n, m = graph.n_mentees, graph.n_mentors
    # Edges that can never pay (weight <= 0: staying unmatched is as good) or lead to a mentor without seats are
    # left out; they stay dual-feasible (see the prices of closed mentors below).
    keep = w > 0
    closed = caps == 0
    if closed.any():
        keep &= ~closed[graph.mentor]
    if keep.all():
        indptr, mentor, sub_w = graph.indptr, graph.mentor, w
    else:
        rows = graph.mentee_of_edge()[keep]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        mentor, sub_w = graph.mentor[keep], w[keep]
    auction = Auction(indptr.astype(np.int64, copy=False), mentor, sub_w, caps)
    if sub_w.size:
        eps_final = EPS_FINAL_REL * scale
        eps = EPS_START_REL * scale
        if warm is not None and auction.warm_start(warm.prices, warm.assignment):
            eps = max(EPS_WARM_REL * scale, eps_final)
        active = int(np.count_nonzero(auction.deg))
        auction.run(eps, eps_final, EPS_FACTOR, gap_target=active * eps_final)
    p = auction.p.copy()
    # Mentors that take nobody (capacity 0) get a price no edge can beat, so their edges stay dual-feasible.
    closed = caps == 0
    if closed.any() and w.size:
        top_w = np.zeros(m, dtype=np.float64)
        np.maximum.at(top_w, graph.mentor, w)
        p[closed] = top_w[closed]
    if sub_w is w and not closed.any():
        # The auction ran on every edge with these very prices: its values are the same numbers (its passes
        # read only the edges that can attain each maximum).
        u = auction.values()
    else:
        u = _mentee_values(graph, w, p)
    return Solution(auction.a.copy(), p, u)


def _scale(graph: CandidateGraph) -> float:
    """The size of one score: tolerances are relative to it."""
    if graph.n_edges == 0:
        return 1.0
    top = max(float(graph.score.max()), -float(graph.score.min()))  # max |score| without an edge-sized temporary
    return top if top > 0 else 1.0


def solve_optimal(graph: CandidateGraph, capacities: np.ndarray, *, objective: str = "score") -> Solution:
    """Maximum-total-score b-matching on the candidate graph.

    Args:
        graph: the allowed edges and their scores.
        capacities: int array (n_mentors,), how many mentees each mentor can take.
        objective: "score" maximises the total score; "coverage" maximises the number of matched mentees
            first, then the total score.

    Returns:
        The assignment with its mentor prices and mentee values (the LP dual, in the units of the solved
        objective: for "coverage" each edge weighs its score plus :func:`coverage_bonus`).
    """
    caps = _check_capacities(capacities, graph.n_mentors)
    return _solve(graph, caps, _objective_weights(graph, objective), _scale(graph))


def optimal(scores: np.ndarray, capacities: np.ndarray) -> np.ndarray:
    """Maximum-total-score assignment on a dense (mentees x mentors) matrix; ``-inf`` marks a forbidden pair.

    Returns:
        int64 array (n_mentees,): the mentor index of each mentee, or -1 when unmatched.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError("scores must be a 2-D (mentees x mentors) matrix")
    if np.isnan(scores).any() or np.isposinf(scores).any():
        raise ValueError("scores must be finite or -inf")
    return solve_optimal(CandidateGraph.from_dense(scores), capacities).assignment


# --------------------------------------------------------------------------------------------------------------
# Stable matching: deferred acceptance


class _Lists:
    """Each mentee's remaining preference list, extendable when the mentee runs out.

    Edges live in growable flat arrays; a mentee's current list is ``pos[i]:end[i]``. An extension appends a
    fresh block and points the mentee at it (its old list is exhausted by then).
    """

    def __init__(self, graph: CandidateGraph, mentor_keys: np.ndarray, caps: np.ndarray) -> None:
        self.caps = caps
        keys = np.asarray(mentor_keys, dtype=np.float64)
        keep = self._acceptable(graph.mentor, keys)
        if keep is None:  # every edge is acceptable: use the graph's arrays as they are (no copies)
            self.mentor, self.key = graph.mentor, keys
            self.end = graph.indptr[1:].astype(np.int64)
            self.pos = graph.indptr[:-1].astype(np.int64)
            return
        counts = np.bincount(graph.mentee_of_edge()[keep], minlength=graph.n_mentees).astype(np.int64)
        self.mentor = graph.mentor[keep]
        self.key = keys[keep]
        self.end = np.cumsum(counts)
        self.pos = self.end - counts

    def _acceptable(self, mentor: np.ndarray, keys: np.ndarray) -> np.ndarray | None:
        """Edges worth proposing along (None: all of them).

        A proposal the mentor would reject outright (unacceptable, or no capacity) is never worth making.
        """
        keep = np.isfinite(keys)
        closed = self.caps == 0
        if closed.any():
            keep &= ~closed[mentor]
        return None if keep.all() else keep

    def next_beating(
        self, who: np.ndarray, thr_key: np.ndarray, thr_mentee: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Advance each mentee of ``who`` to its first remaining edge whose mentor would hold it now.

        Mentor ``j`` holds a proposal ``(key, i)`` iff it beats its worst held one, ``(thr_key[j], thr_mentee[j])``
        (``-inf`` while ``j`` has a free seat). Thresholds only rise during deferred acceptance, so an edge that
        fails now would be rejected later too: skipping it changes nothing but the work. Returns the mentees
        that found such an edge and the edge; the others have exhausted their lists.
        """
        found_i: list[np.ndarray] = []
        found_e: list[np.ndarray] = []
        if self.mentor.size == 0:
            who = who[:0]
        last = max(self.mentor.size - 1, 0)
        window = np.arange(STABLE_WINDOW)
        while who.size:
            pos, end = self.pos[who], self.end[who]
            idx = pos[:, None] + window
            inside = idx < end[:, None]
            np.minimum(idx, last, out=idx)
            mj = self.mentor[idx]
            k = self.key[idx]
            tk = thr_key[mj]
            beats = (k > tk) | ((k == tk) & (who[:, None] < thr_mentee[mj]))
            beats &= inside
            first = beats.argmax(axis=1)
            hit = beats[np.arange(who.size), first]
            e = pos[hit] + first[hit]
            found_i.append(who[hit])
            found_e.append(e)
            self.pos[who[hit]] = e + 1
            miss = ~hit
            who, pos = who[miss], np.minimum(pos[miss] + STABLE_WINDOW, end[miss])
            self.pos[who] = pos
            who = who[pos < end[miss]]
        if not found_i:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(found_i), np.concatenate(found_e)

    def extend(self, who: np.ndarray, graph: CandidateGraph, keys: np.ndarray) -> None:
        """Append the new candidates of mentees ``who`` (rows of ``graph``, in the order of ``who``)."""
        keys = np.asarray(keys, dtype=np.float64)
        keep = self._acceptable(graph.mentor, keys)
        if keep is None:
            keep = np.ones(graph.n_edges, dtype=bool)
        counts = np.diff(graph.indptr)
        rows = np.repeat(np.arange(graph.n_mentees), counts)[keep]
        new_counts = np.bincount(rows, minlength=graph.n_mentees).astype(np.int64)
        base = self.mentor.size
        self.mentor = np.concatenate([self.mentor, graph.mentor[keep]])
        self.key = np.concatenate([self.key, keys[keep]])
        ends = base + np.cumsum(new_counts)
        self.pos[who] = ends - new_counts
        self.end[who] = ends


def _call_extend(extend: Callable[[np.ndarray], object], who: np.ndarray, n: int) -> tuple[CandidateGraph, np.ndarray]:
    """Call the user's ``extend`` and normalise its answer to (graph with one row per ``who``, mentor keys)."""
    answer = extend(who)
    if isinstance(answer, tuple):
        graph, keys = answer
    else:
        graph, keys = answer, answer.score
    keys = np.asarray(keys, dtype=np.float64)
    if graph.n_mentees == who.size:
        return graph, keys
    if graph.n_mentees == n:  # a full-height graph: keep only the rows asked for
        lo, hi = graph.indptr[who], graph.indptr[who + 1]
        idx = concat_ranges(lo, hi - lo)
        indptr = np.zeros(who.size + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=indptr[1:])
        sub = CandidateGraph(who.size, graph.n_mentors, indptr, graph.mentor[idx], graph.score[idx])
        return sub, keys[idx]
    raise ValueError(f"extend returned a graph with {graph.n_mentees} rows; expected {who.size} or {n}")


def solve_stable(
    graph: CandidateGraph,
    mentor_scores: np.ndarray,
    capacities: np.ndarray,
    *,
    extend: Callable[[np.ndarray], object] | None = None,
) -> np.ndarray:
    """Mentee-proposing deferred acceptance with capacities on the candidate graph.

    Mentees rank mentors by the graph's row order (descending score, ties by mentor index); mentor ``j`` ranks
    the mentees proposing to it by ``mentor_scores`` (descending, ties by mentee index) and finds a mentee with
    ``-inf`` unacceptable. All free mentees propose at once and every mentor keeps its best ``c_j`` of held and
    new proposals; the order of proposals does not change deferred acceptance's outcome, so this is the
    mentee-optimal stable matching. A mentee skips, in one vectorised look-ahead, every mentor whose worst held
    proposal it cannot beat (that mentor would reject it now and later: a full mentor's bar only rises), so
    rounds carry only proposals that are held at least for now.

    Args:
        graph: each mentee's acceptable mentors, best first.
        mentor_scores: float array (n_edges,), the mentor-side score of each edge.
        capacities: int array (n_mentors,).
        extend: optional; ``extend(mentee_indices)`` (sorted int64) returns the NEXT candidates of those
            mentees, either a :class:`CandidateGraph` (one row per requested mentee, in order, or one row per
            mentee of the program; mentor-side scores are then its scores) or a ``(graph, mentor_scores)``
            pair. It is called whenever mentees run out of candidates, until it returns no new edges.

    Returns:
        int64 array (n_mentees,): the mentor of each mentee or -1.
    """
    n, m = graph.n_mentees, graph.n_mentors
    caps = _check_capacities(capacities, m)
    mentor_scores = np.asarray(mentor_scores, dtype=np.float64)
    if mentor_scores.shape != (graph.n_edges,):
        raise ValueError("mentor_scores must have one entry per graph edge")
    lists = _Lists(graph, mentor_scores, caps)
    # Mentor j's held proposals live in slots offset[j] .. offset[j] + held[j] - 1, best first.
    offset = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(caps, out=offset[1:])
    slot_mentee = np.full(int(offset[-1]), -1, dtype=np.int64)
    slot_key = np.zeros(int(offset[-1]), dtype=np.float64)
    held = np.zeros(m, dtype=np.int64)
    assignment = np.full(n, -1, dtype=np.int64)
    free = np.arange(n, dtype=np.int64)
    touched = np.zeros(m, dtype=bool)
    # How many candidates each mentee has been given; a mentee cannot have more than m, which bounds the
    # number of extensions even if ``extend`` misbehaves.
    given = np.diff(graph.indptr).astype(np.int64)
    # The worst held proposal of each full mentor; a mentor with a free seat holds any acceptable proposal.
    thr_key = np.full(m, -np.inf)
    thr_mentee = np.full(m, n, dtype=np.int64)
    while True:
        free, e = lists.next_beating(free, thr_key, thr_mentee)
        if free.size == 0:
            if extend is None:
                break
            exhausted = np.flatnonzero((assignment < 0) & (lists.pos >= lists.end) & (given < m))
            if exhausted.size == 0:
                break
            new_graph, new_keys = _call_extend(extend, exhausted, n)
            if new_graph.n_edges == 0:
                break
            given[exhausted] += np.diff(new_graph.indptr)
            lists.extend(exhausted, new_graph, new_keys)
            free = exhausted
            continue
        j = lists.mentor[e].astype(np.int64)
        touched[j] = True
        active = np.flatnonzero(touched)
        touched[active] = False
        # Candidates: what the active mentors hold, plus the new proposals.
        hs = concat_ranges(offset[active], held[active])
        cand_mentor = np.concatenate([np.repeat(active, held[active]), j])
        cand_mentee = np.concatenate([slot_mentee[hs], free])
        cand_key = np.concatenate([slot_key[hs], lists.key[e]])
        order = np.lexsort((cand_mentee, -cand_key, cand_mentor))
        cand_mentor, cand_mentee, cand_key = cand_mentor[order], cand_mentee[order], cand_key[order]
        count = np.bincount(cand_mentor, minlength=m)[active]
        first = np.cumsum(count) - count
        rank = np.arange(cand_mentor.size) - np.repeat(first, count)
        kept = rank < caps[cand_mentor]
        km = cand_mentor[kept]
        slot = offset[km] + rank[kept]
        slot_mentee[slot] = cand_mentee[kept]
        slot_key[slot] = cand_key[kept]
        held[active] = np.minimum(count, caps[active])
        full = active[held[active] == caps[active]]
        worst = offset[full] + caps[full] - 1
        thr_key[full] = slot_key[worst]
        thr_mentee[full] = slot_mentee[worst]
        assignment[cand_mentee[kept]] = km
        rejected = cand_mentee[~kept]
        assignment[rejected] = -1
        free = np.sort(rejected)
    return assignment


def stable(mentee_scores: np.ndarray, mentor_scores: np.ndarray, capacities: np.ndarray) -> np.ndarray:
    """Mentee-proposing deferred acceptance on dense (mentees x mentors) matrices.

    ``mentee_scores[i, j]`` is how much mentee ``i`` wants mentor ``j``; ``mentor_scores[i, j]`` how much mentor
    ``j`` wants mentee ``i``; ``-inf`` on either side makes the pair unacceptable. Ties are broken by index.

    Returns:
        int64 array (n_mentees,): the mentor of each mentee in the mentee-optimal stable matching, or -1.
    """
    mentee_scores = np.asarray(mentee_scores, dtype=np.float64)
    mentor_scores = np.asarray(mentor_scores, dtype=np.float64)
    if mentee_scores.ndim != 2 or mentee_scores.shape != mentor_scores.shape:
        raise ValueError("mentee_scores and mentor_scores must be 2-D matrices of the same shape")
    if np.isnan(mentee_scores).any() or np.isnan(mentor_scores).any():
        raise ValueError("scores must not be NaN")
    graph = CandidateGraph.from_dense(mentee_scores)
    keys = mentor_scores[graph.mentee_of_edge(), graph.mentor]
    return solve_stable(graph, keys, capacities)
