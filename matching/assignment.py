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

from matching.graph import CandidateGraph

__all__ = ["Solution", "optimal", "solve_optimal", "solve_stable", "stable"]

OBJECTIVES = ("score", "coverage")


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


def _concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices ``starts[k] .. starts[k] + lengths[k] - 1`` for every k, concatenated (no Python loop)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(starts - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift


def _group_rank(sorted_groups: np.ndarray, groups: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For entries sorted by group: (count per group of ``groups``, first position per group, rank in group)."""
    count = np.bincount(sorted_groups, minlength=m)[groups]
    first = np.cumsum(count) - count
    rank = np.arange(sorted_groups.size) - np.repeat(first, count)
    return count, first, rank


# --------------------------------------------------------------------------------------------------------------
# Maximum-score b-matching: epsilon-scaling forward auction with reverse steps

# Final epsilon, relative to the largest edge weight: the total is within n * EPS_FINAL_REL * max(w) of the optimum
# (usually far closer; the dual gap reported by the prices is the real figure).
EPS_FINAL_REL = 1e-9
EPS_START_REL = 0.05
EPS_FACTOR = 8.0


class _Auction:
    """Bertsekas-style auction for the b-matching: mentees bid for mentors, mentor j sells c_j identical seats.

    State: mentee ``i`` holds mentor ``a[i]`` (edge ``ae[i]``) at bid ``bid[i]``; mentor ``j`` keeps its
    holders in seats ``offset[j] .. offset[j] + held[j] - 1``. Its price ``p[j]`` is the lowest held bid when
    it is full, else its reserve ``r[j]``. The invariant (epsilon-complementary slackness) is that every holder
    is within ``eps`` of its best alternative at its own bid: ``w_ij - bid_i >= max(0, max_k!=j w_ik - p_k) - eps``.
    Forward rounds (free mentees bid) only raise prices; reverse rounds (a mentor with spare seats and a positive
    price lowers it just enough to attract mentees) only lower them. Together they end with the invariant and
    "spare seats cost nothing", which is complementary slackness for the b-matching LP up to ``eps`` per mentee.
    """

    def __init__(self, indptr: np.ndarray, mentor: np.ndarray, w: np.ndarray, caps: np.ndarray) -> None:
        self.n = indptr.size - 1
        self.m = caps.size
        self.indptr, self.mentor, self.w, self.caps = indptr, mentor, w, caps
        self.deg = np.diff(indptr)
        self.offset = np.zeros(self.m + 1, dtype=np.int64)
        np.cumsum(caps, out=self.offset[1:])
        seats = int(self.offset[-1])
        self.seat_mentee = np.full(seats, -1, dtype=np.int64)
        self.seat_bid = np.zeros(seats, dtype=np.float64)
        self.held = np.zeros(self.m, dtype=np.int64)
        self.p = np.zeros(self.m, dtype=np.float64)
        self.r = np.zeros(self.m, dtype=np.float64)
        self.a = np.full(self.n, -1, dtype=np.int64)
        self.ae = np.full(self.n, -1, dtype=np.int64)
        self.bid = np.zeros(self.n, dtype=np.float64)
        self._mark = np.zeros(self.m, dtype=bool)
        self._csc: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # -- forward ------------------------------------------------------------------------------------------------

    def _best_two(self, free: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per free mentee: best value, its edge (first in row order on ties) and the second-best value."""
        lens = self.deg[free]
        idx = _concat_ranges(self.indptr[free], lens)
        vals = self.w[idx] - self.p[self.mentor[idx]]
        seg = np.cumsum(lens) - lens
        v1 = np.maximum.reduceat(vals, seg)
        first = np.minimum.reduceat(np.where(vals == np.repeat(v1, lens), np.arange(vals.size), vals.size), seg)
        vals[first] = -np.inf
        v2 = np.maximum.reduceat(vals, seg)
        return v1, idx[first], v2

    def forward(self, free: np.ndarray, eps: float) -> None:
        """Jacobi bidding rounds until every mentee holds a seat or prefers staying unmatched."""
        while free.size:
            v1, e1, v2 = self._best_two(free)
            go = v1 > 0
            if not go.all():
                free, v1, e1, v2 = free[go], v1[go], e1[go], v2[go]
                if free.size == 0:
                    return
            j = self.mentor[e1].astype(np.int64)
            # Bid so that the mentee ends eps worse off than with its second-best option (or staying unmatched).
            bids = self.p[j] + (v1 - np.maximum(v2, 0.0)) + eps
            self.ae[free] = e1
            free = self._seat(free, j, bids)

    def _seat(self, who: np.ndarray, j: np.ndarray, bids: np.ndarray) -> np.ndarray:
        """Offer seats: each mentor keeps its best c_j of held and new bids (ties: lower mentee). Returns the losers."""
        self._mark[j] = True
        act = np.flatnonzero(self._mark)
        self._mark[act] = False
        held = self.held[act]
        seats = _concat_ranges(self.offset[act], held)
        cm = np.concatenate([np.repeat(act, held), j])
        ci = np.concatenate([self.seat_mentee[seats], who])
        cb = np.concatenate([self.seat_bid[seats], bids])
        order = np.lexsort((ci, -cb, cm))
        cm, ci, cb = cm[order], ci[order], cb[order]
        count, first, rank = _group_rank(cm, act, self.m)
        kept = rank < self.caps[cm]
        km = cm[kept]
        seat = self.offset[km] + rank[kept]
        self.seat_mentee[seat] = ci[kept]
        self.seat_bid[seat] = cb[kept]
        caps = self.caps[act]
        now = np.minimum(count, caps)
        self.held[act] = now
        # A full mentor's price is its lowest held bid (the last kept entry); otherwise its reserve.
        self.p[act] = np.where(now == caps, cb[np.maximum(first + now - 1, 0)], self.r[act])
        self.a[ci[kept]] = km
        self.bid[ci[kept]] = cb[kept]
        losers = ci[~kept]
        self.a[losers] = -1
        return np.sort(losers)

    # -- bookkeeping --------------------------------------------------------------------------------------------

    def values(self) -> np.ndarray:
        """``u_i = max(0, max_j w_ij - p_j)``: each mentee's best net value at the current prices."""
        u = np.zeros(self.n, dtype=np.float64)
        rows = np.flatnonzero(self.deg > 0)
        if rows.size:
            u[rows] = np.maximum.reduceat(self.w - self.p[self.mentor], self.indptr[rows])
        return np.maximum(u, 0.0)

    def _held_seats(self) -> tuple[np.ndarray, np.ndarray]:
        seats = _concat_ranges(self.offset[:-1], self.held)
        return seats, np.repeat(np.arange(self.m), self.held)

    def normalize_bids(self) -> None:
        """Lower every held bid to its mentor's price.

        This only strengthens the invariant, and afterwards a mentee's profit at its bid equals its profit at
        the dual prices.
        """
        seats, owner = self._held_seats()
        self.seat_bid[seats] = self.p[owner]
        matched = self.a >= 0
        self.bid[matched] = self.p[self.a[matched]]

    def unseat(self, who: np.ndarray) -> None:
        """Take mentees out of their seats; each mentor keeps its current price as its reserve."""
        who = who[self.a[who] >= 0]
        if who.size == 0:
            return
        act = np.unique(self.a[who])
        self.r[act] = self.p[act]
        held = self.held[act]
        seats = _concat_ranges(self.offset[act], held)
        gone = np.zeros(self.n, dtype=bool)
        gone[who] = True
        keep = ~gone[self.seat_mentee[seats]]
        cm = np.repeat(act, held)[keep]
        ki, kb = self.seat_mentee[seats][keep], self.seat_bid[seats][keep]
        count, _, rank = _group_rank(cm, act, self.m)
        seat = self.offset[cm] + rank
        self.seat_mentee[seat] = ki
        self.seat_bid[seat] = kb
        self.held[act] = count
        self.a[who] = -1

    # -- reverse ------------------------------------------------------------------------------------------------

    def _columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges grouped by mentor (computed once, only if a reverse step is needed)."""
        if self._csc is None:
            order = np.argsort(self.mentor, kind="stable")
            colptr = np.zeros(self.m + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.mentor, minlength=self.m), out=colptr[1:])
            rows = np.repeat(np.arange(self.n, dtype=np.int32), self.deg)[order]
            self._csc = (order, colptr, rows)
        return self._csc

    def reverse(self, eps: float) -> None:
        """Mentors with spare seats and a positive price lower it until they fill up or it reaches zero.

        Mentor j with f free seats ranks the mentees it could attract by ``beta_i = w_ij - profit_i`` and sets
        its price to ``max(0, beta_(f+1) - eps)``: the f best gain at least eps by moving, nobody else gains
        more than eps, so the invariant survives. A moved mentee frees a seat elsewhere, which may continue the
        chain; reverse steps never leave a mentee without a seat.
        """
        if not np.any((self.held < self.caps) & (self.p > 0)):
            return
        order, colptr, crow = self._columns()
        self.normalize_bids()
        half = 0.5 * eps  # slack against rounding in the comparisons below
        while True:
            spare = np.flatnonzero((self.held < self.caps) & (self.p > 0))
            if spare.size == 0:
                return
            lens = colptr[spare + 1] - colptr[spare]
            cidx = _concat_ranges(colptr[spare], lens)
            edge, owner, mentee = order[cidx], np.repeat(spare, lens), crow[cidx].astype(np.int64)
            profit = np.where(self.a >= 0, self.w[self.ae] - self.bid, 0.0)
            beta = self.w[edge] - profit[mentee]
            keep = (self.a[mentee] != owner) & (beta > 0)
            edge, owner, mentee, beta = edge[keep], owner[keep], mentee[keep], beta[keep]
            o = np.lexsort((mentee, -beta, owner))
            edge, owner, mentee, beta = edge[o], owner[o], mentee[o], beta[o]
            count, first, rank = _group_rank(owner, spare, self.m)
            free_seats = self.caps[spare] - self.held[spare]
            nxt = np.where(count > free_seats, first + free_seats, -1)
            beta_next = np.where(nxt >= 0, beta[np.maximum(nxt, 0)] if beta.size else 0.0, -np.inf)
            price = np.maximum(0.0, beta_next - eps)
            self.p[spare] = price
            self.r[spare] = price
            seats = _concat_ranges(self.offset[spare], self.held[spare])
            self.seat_bid[seats] = np.minimum(self.seat_bid[seats], np.repeat(price, self.held[spare]))
            self.bid[self.seat_mentee[seats]] = self.seat_bid[seats]
            offer = (rank < np.repeat(free_seats, count)) & (beta >= np.repeat(price, count) + half)
            oi, oj, oe = mentee[offer], owner[offer], edge[offer]
            if oi.size == 0:
                continue
            # A mentee offered several seats takes the best; it moves only if that beats where it sits.
            val = self.w[oe] - self.p[oj]
            o = np.lexsort((oj, -val, oi))
            oi, oj, oe, val = oi[o], oj[o], oe[o], val[o]
            best = np.ones(oi.size, dtype=bool)
            best[1:] = oi[1:] != oi[:-1]
            oi, oj, oe, val = oi[best], oj[best], oe[best], val[best]
            now = np.where(self.a[oi] >= 0, self.w[self.ae[oi]] - self.p[np.maximum(self.a[oi], 0)], 0.0)
            go = val >= now + half
            oi, oj, oe = oi[go], oj[go], oe[go]
            self.unseat(oi)
            self.ae[oi] = oe
            self._seat(oi, oj, self.p[oj])

    # -- driver -------------------------------------------------------------------------------------------------

    def run(self, eps: float, eps_final: float, free: np.ndarray) -> None:
        """Scaling phases: solve with eps, shrink it, re-bid only the mentees that broke the tighter invariant."""
        while True:
            self.forward(free, eps)
            self.reverse(eps)
            if eps <= eps_final:
                return
            eps = max(eps / EPS_FACTOR, eps_final)
            self.normalize_bids()
            u = self.values()
            matched = np.flatnonzero(self.a >= 0)
            loose = matched[u[matched] - (self.w[self.ae[matched]] - self.bid[matched]) > eps]
            self.unseat(loose)
            idle = np.flatnonzero((self.a < 0) & (self.deg > 0) & (u > eps))
            free = np.union1d(loose, idle)


def _mentee_values(graph: CandidateGraph, w: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """``u_i = max(0, max_j w_ij - p_j)`` over each mentee's edges."""
    u = np.zeros(graph.n_mentees, dtype=np.float64)
    rows = np.flatnonzero(np.diff(graph.indptr) > 0)
    if rows.size:
        u[rows] = np.maximum.reduceat(w - prices[graph.mentor], graph.indptr[rows])
    return np.maximum(u, 0.0)


def _solve(graph: CandidateGraph, caps: np.ndarray, w: np.ndarray, prices: np.ndarray | None = None) -> Solution:
    """Run the auction on edges of weight ``w`` (the solved objective), optionally warm-started from prices."""
    n, m = graph.n_mentees, graph.n_mentors
    # Edges that can never pay (weight <= 0: staying unmatched is as good) or lead to a full-from-the-start
    # mentor (capacity 0) are left out; they stay dual-feasible below.
    keep = (w > 0) & (caps[graph.mentor] > 0)
    rows = graph.mentee_of_edge()[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    sub_mentor = graph.mentor[keep].astype(np.int64)
    sub_w = w[keep]
    auction = _Auction(indptr, sub_mentor, sub_w, caps)
    assignment = np.full(n, -1, dtype=np.int64)
    if sub_w.size:
        top = float(sub_w.max())
        eps_final = EPS_FINAL_REL * top
        start = EPS_START_REL * top
        if prices is not None:
            # Warm start: prices near the optimum need only the last phases, and spare seats must start free.
            auction.p[:] = np.maximum(np.asarray(prices, dtype=np.float64), 0.0)
            auction.r[:] = auction.p
            start = max(eps_final, EPS_START_REL * top * 1e-3)
        auction.run(start, eps_final, np.flatnonzero(auction.deg > 0))
        assignment = auction.a.copy()
    p = auction.p.copy()
    # Mentors that take nobody (capacity 0) get a price no edge can beat, so their edges stay dual-feasible.
    closed = caps == 0
    if closed.any() and w.size:
        top_w = np.zeros(m, dtype=np.float64)
        np.maximum.at(top_w, graph.mentor, w)
        p[closed] = top_w[closed]
    return Solution(assignment, p, _mentee_values(graph, w, p))


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
    return _solve(graph, caps, _objective_weights(graph, objective))


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
        keep = self._acceptable(graph.mentor, mentor_keys)
        counts = np.bincount(graph.mentee_of_edge()[keep], minlength=graph.n_mentees).astype(np.int64)
        self.mentor = graph.mentor[keep].astype(np.int64)
        self.key = np.asarray(mentor_keys, dtype=np.float64)[keep]
        self.end = np.cumsum(counts)
        self.pos = self.end - counts

    def _acceptable(self, mentor: np.ndarray, keys: np.ndarray) -> np.ndarray:
        # A proposal the mentor would reject outright (unacceptable, or no capacity) is never worth making.
        return np.isfinite(keys) & (self.caps[mentor] > 0)

    def extend(self, who: np.ndarray, graph: CandidateGraph, keys: np.ndarray) -> None:
        """Append the new candidates of mentees ``who`` (rows of ``graph``, in the order of ``who``)."""
        keep = self._acceptable(graph.mentor, keys)
        counts = np.diff(graph.indptr)
        rows = np.repeat(np.arange(graph.n_mentees), counts)[keep]
        new_counts = np.bincount(rows, minlength=graph.n_mentees).astype(np.int64)
        base = self.mentor.size
        self.mentor = np.concatenate([self.mentor, graph.mentor[keep].astype(np.int64)])
        self.key = np.concatenate([self.key, np.asarray(keys, dtype=np.float64)[keep]])
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
        idx = _concat_ranges(lo, hi - lo)
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
    mentee-optimal stable matching.

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
    while True:
        free = free[lists.pos[free] < lists.end[free]]
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
        e = lists.pos[free]
        lists.pos[free] += 1
        j = lists.mentor[e]
        touched[j] = True
        active = np.flatnonzero(touched)
        touched[active] = False
        # Candidates: what the active mentors hold, plus the new proposals.
        hs = _concat_ranges(offset[active], held[active])
        cand_mentor = np.concatenate([np.repeat(active, held[active]), j])
        cand_mentee = np.concatenate([slot_mentee[hs], free])
        cand_key = np.concatenate([slot_key[hs], lists.key[e]])
        order = np.lexsort((cand_mentee, -cand_key, cand_mentor))
        cand_mentor, cand_mentee, cand_key = cand_mentor[order], cand_mentee[order], cand_key[order]
        first = np.searchsorted(cand_mentor, active)
        rank = np.arange(cand_mentor.size) - np.repeat(first, np.diff(np.append(first, cand_mentor.size)))
        kept = rank < caps[cand_mentor]
        km = cand_mentor[kept]
        slot = offset[km] + rank[kept]
        slot_mentee[slot] = cand_mentee[kept]
        slot_key[slot] = cand_key[kept]
        held[active] = np.minimum(np.bincount(cand_mentor, minlength=m)[active], caps[active])
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
