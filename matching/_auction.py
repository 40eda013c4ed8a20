"""The max-score b-matching engine: an epsilon-scaling forward/reverse auction in numpy.

Private to :mod:`matching.assignment`, which validates inputs and wraps the result. The maths is in
``matching/README.md``; in short, mentees bid for mentors, mentor ``j`` sells ``c_j`` identical seats, and the
mentor prices that come out are the dual variables of the b-matching LP, so the answer carries its own proof.

Why this shape:

* Capacities stay capacities. A mentor's seats live in one block of a flat array (``offset[j]``...), never as
  ``c_j`` copies of the mentor in the graph, so the work follows the number of edges, not edges times capacity.
* Rounds are vectorised while many mentees are bidding (the first rounds touch every edge). Long displacement
  chains at the end of a phase have only a handful of bidders; numpy's per-call overhead would then dominate, so
  those tails are processed one bid at a time (each bid still a vector operation over one row).
* Epsilon scaling keeps price wars short. Because there are more seats than mentees, a phase can end with a
  mentor that has a spare seat and a positive price; reverse steps (the mentor lowers its price just enough to
  attract someone) restore "spare seats cost nothing" before the next phase.
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np
from scipy import sparse

# Bidder counts below this run one bid at a time (measured break-even with vectorised rounds; 32 was ~10 % faster
# on a 10k x 1k full graph but ends some programs with a dual gap above 1e-9 of the total, within the solver's
# n * 1e-9 tolerance yet looser than the certificate promises).
SEQUENTIAL_BELOW = 64
# Reverse steps look at edges whose reduced cost is within CORE_WIDTH * eps of tight; others are bounded.
CORE_WIDTH = 128.0
# A phase that ends with mentees just outside the invariant (rounding) is re-run at most this often.
MAX_REPEATS = 20
# Mentees first look at this many of their best edges; exact whenever the rest cannot matter (see _best_two).
PREFIX = 8
# A row whose first edges were not enough is scanned this many times further from then on.
REACH_GROWTH = 4
# Edge passes read only each row's leading edges above a bound when that is under 1/LEADING_SHARE of all edges.
LEADING_SHARE = 3
# ... and only on graphs whose rows hold more than this many edges on average (measured: a 10k x 1k full graph,
# ~300 per row, gains a third of the solve; the 100k K=50 graph, ~50 per row, loses 5 % to the bisections).
LONG_ROWS = 100
# Reverse rounds over at least twice this many spare mentors gather their candidates on two threads.
SPLIT_MENTORS = 256
# ... and the reverse steps' pass over every edge runs on two threads from this many edges.
SPLIT_EDGES = 1 << 20


def concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices ``starts[k] .. starts[k] + lengths[k] - 1`` for every k, concatenated (no Python loop)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


def group_order(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Order by group ascending, then key descending; equal keys keep their input order (deterministic).

    Two single-key sorts are several times faster than one three-key ``np.lexsort`` on these sizes. Groups below
    2^16 (mentor ids of programs up to 65,536 mentors) are sorted as uint16, which numpy's stable sort does by
    radix (linear, about 3x faster than the int64 merge sort at 100k entries); the order is the same.
    """
    by_key = np.argsort(-key, kind="stable")
    g = groups[by_key]
    if g.size and g.min() >= 0 and g.max() < 1 << 16:
        g = g.astype(np.uint16)
    return by_key[np.argsort(g, kind="stable")]


def top_in_groups(values: np.ndarray, counts: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of each group's ``min(need, count)`` largest values, largest first, and how many per group.

    Groups are consecutive runs of ``values`` of sizes ``counts``. Equal values keep their order, so the result is
    the head of each group after a stable sort by descending value, found by ``need`` rounds of segmented maxima
    (the groups still needing more are compacted) instead of a sort of every value.
    """
    take = np.minimum(counts, need)
    out_first = np.cumsum(take) - take
    out = np.empty(int(take.sum()), dtype=np.int64)
    gid = np.flatnonzero(take > 0)
    lens = counts[gid]
    pos = concat_ranges((np.cumsum(counts) - counts)[gid], lens)
    vals = values[pos]
    r = 0
    while gid.size:
        seg = np.cumsum(lens) - lens
        v = np.maximum.reduceat(vals, seg)
        hit = np.minimum.reduceat(np.where(vals == np.repeat(v, lens), np.arange(vals.size), vals.size), seg)
        out[out_first[gid] + r] = pos[hit]
        vals[hit] = -np.inf
        r += 1
        live = take[gid] > r
        if not live.all():
            sel = concat_ranges(seg[live], lens[live])
            gid, lens, pos, vals = gid[live], lens[live], pos[sel], vals[sel]
    return out, take


class Auction:
    """State and moves of the auction on one graph.

    Mentee ``i`` holds mentor ``a[i]`` through edge ``ae[i]`` at bid ``bid[i]``; mentor ``j``'s holders occupy
    seats ``offset[j] .. offset[j] + held[j] - 1`` (in no particular order). The price ``p[j]`` is the lowest
    held bid when ``j`` is full and its reserve ``r[j]`` otherwise.

    Invariant (epsilon-complementary slackness): every holder is within ``eps`` of its best alternative at its
    own bid, ``w_ij - bid_i >= max(0, max_{k != j} w_ik - p_k) - eps``, and every mentee that is neither seated
    nor bidding has ``max_k w_ik - p_k <= eps``. Forward moves only raise prices and reverse moves only lower
    them; both keep the invariant.
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
        # Leading-edge passes (see _leading) pay off on long rows only: short rows are read whole in less time.
        self.long_rows = self.w.size > LONG_ROWS * max(int(np.count_nonzero(self.deg)), 1)
        self.reach = np.minimum(self.deg, PREFIX)  # each row's leading edges a bidder scans (see _best_two)
        self._mark = np.zeros(self.m, dtype=bool)
        # Python lists for the scalar-heavy sequential paths (list indexing is several times cheaper).
        self._indptr_list: list[int] = indptr.tolist()
        self._offset_list: list[int] = self.offset.tolist()
        self._caps_list: list[int] = caps.tolist()
        self._rows: np.ndarray | None = None
        # During reverse moves: (core edges by mentor, their mentees, column pointers as array and list, bounds).
        self._core: tuple[np.ndarray, np.ndarray, np.ndarray, list[int], np.ndarray] | None = None
        self._columns: tuple[np.ndarray, np.ndarray, list[int]] | None = None
        self._pool: Executor | None = None  # a second thread for the largest vectorised steps, while running

    def warm_start(self, prices: np.ndarray, assignment: np.ndarray) -> bool:
        """Seed prices and seats from a previous solution; returns False (changing nothing) if it does not fit.

        The invariant needs nothing from a seed: ``run`` starts by sending every mentee that breaks it back to
        bidding, so any seed is correct and a good one saves most of the work.
        """
        prices = np.asarray(prices, dtype=np.float64)
        assignment = np.asarray(assignment)
        if prices.shape != (self.m,) or assignment.shape != (self.n,) or not np.all(np.isfinite(prices)):
            return False
        rows = self.rows()
        hit = np.flatnonzero(self.mentor == assignment[rows])
        edge_of = np.full(self.n, -1, dtype=np.int64)
        edge_of[rows[hit]] = hit
        seated = np.flatnonzero(edge_of >= 0)
        mentors = assignment[seated].astype(np.int64)
        load = np.bincount(mentors, minlength=self.m)
        if np.any(load > self.caps):
            return False
        prices = np.maximum(prices, 0.0)
        order = np.argsort(mentors, kind="stable")
        seated, mentors = seated[order], mentors[order]
        rank = np.arange(seated.size) - np.repeat(np.cumsum(load) - load, load)
        self.seat_mentee[self.offset[mentors] + rank] = seated
        self.seat_bid[self.offset[mentors] + rank] = prices[mentors]
        self.held[:] = load
        self.p[:] = prices
        self.r[:] = prices
        self.a[seated] = mentors
        self.ae[seated] = edge_of[seated]
        self.bid[seated] = prices[mentors]
        return True

    # -- forward: mentees bid -----------------------------------------------------------------------------------

    def _best_two_rows(self, free: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best value, its edge (first in row order on ties) and second-best value over each row's first ``lens``."""
        idx = concat_ranges(self.indptr[free], lens)
        vals = self.w[idx] - self.p[self.mentor[idx]]
        seg = np.cumsum(lens) - lens
        v1 = np.maximum.reduceat(vals, seg)
        first = np.minimum.reduceat(np.where(vals == np.repeat(v1, lens), np.arange(vals.size), vals.size), seg)
        vals[first] = -np.inf
        return v1, idx[first], np.maximum.reduceat(vals, seg)

    def _best_two(self, free: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best value, best edge and second-best value of each free mentee.

        Rows are sorted by descending score and prices are never negative, so no edge past position ``r`` is
        worth more than that edge's score. When the second-best value among the first ``r`` edges already reaches
        it, the rest of the row cannot change the answer. Each mentee scans its first ``reach[i]`` edges
        (``PREFIX`` at first); when that is not enough, its reach grows ``REACH_GROWTH``-fold (for good: prices
        only rise, so the answer only moves down the row) and it scans again.
        """
        v1 = np.empty(free.size)
        e1 = np.empty(free.size, dtype=np.int64)
        v2 = np.empty(free.size)
        reach = self.reach[free]
        deg = self.deg[free]
        narrow = (reach == PREFIX) & (deg > PREFIX)
        pos = np.flatnonzero(narrow)
        if pos.size:  # the common first look: a dense (bidders x PREFIX) block, no segmented reductions
            base = self.indptr[free[pos]]
            idx = base[:, None] + np.arange(PREFIX)
            vals = self.w[idx] - self.p[self.mentor[idx]]
            best = vals.argmax(axis=1)
            rows = np.arange(pos.size)
            v1[pos] = vals[rows, best]
            e1[pos] = base + best
            vals[rows, best] = -np.inf
            v2[pos] = vals.max(axis=1)
        rest = np.flatnonzero(~narrow)
        if rest.size:
            v1[rest], e1[rest], v2[rest] = self._best_two_rows(free[rest], reach[rest])
        check = np.flatnonzero(reach < deg)
        while check.size:
            short = np.maximum(v2[check], 0.0) < self.w[self.indptr[free[check]] + reach[check]]
            check = check[short]
            if check.size == 0:
                break
            reach[check] = np.minimum(reach[check] * REACH_GROWTH, deg[check])
            self.reach[free[check]] = reach[check]
            v1[check], e1[check], v2[check] = self._best_two_rows(free[check], reach[check])
            check = check[reach[check] < deg[check]]
        return v1, e1, v2

    def forward(self, free: np.ndarray, eps: float) -> None:
        """Bid until every mentee holds a seat or prefers staying unmatched."""
        while free.size:
            if free.size < SEQUENTIAL_BELOW:
                self._forward_one_by_one(free.tolist(), eps)
                return
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
            free = self.seat(free, j, bids)

    def _forward_one_by_one(self, stack: list[int], eps: float) -> None:
        """Gauss-Seidel bidding for the few mentees left; a displaced holder bids next."""
        w, mentor, p, indptr = self.w, self.mentor, self.p, self._indptr_list
        offset, caps = self._offset_list, self._caps_list
        seat_mentee, seat_bid, held = self.seat_mentee, self.seat_bid, self.held
        a, ae, bid = self.a, self.ae, self.bid
        while stack:
            i = stack.pop()
            lo, hi = indptr[i], indptr[i + 1]
            if lo == hi:
                continue
            vals = w[lo:hi] - p[mentor[lo:hi]]
            k = int(vals.argmax())
            v1 = vals[k]
            if v1 <= 0:
                continue
            v2 = 0.0
            if hi - lo > 1:
                vals[k] = -np.inf
                v2 = max(vals.max(), 0.0)
            j = int(mentor[lo + k])
            b = p[j] + (v1 - v2) + eps
            o, cj, hj = offset[j], caps[j], int(held[j])
            if hj < cj:
                seat_mentee[o + hj] = i
                seat_bid[o + hj] = b
                held[j] = hj + 1
                if hj + 1 == cj:
                    p[j] = seat_bid[o : o + cj].min()
            else:
                block = seat_bid[o : o + cj]
                q = o + int(block.argmin())
                loser = int(seat_mentee[q])
                seat_mentee[q] = i
                seat_bid[q] = b
                a[loser] = -1
                stack.append(loser)
                p[j] = block.min()
            a[i] = j
            ae[i] = lo + k
            bid[i] = b

    def seat(self, who: np.ndarray, j: np.ndarray, bids: np.ndarray) -> np.ndarray:
        """Each mentor keeps its best ``c_j`` of held and new bids; returns the mentees left without a seat."""
        self._mark[j] = True
        act = np.flatnonzero(self._mark)
        self._mark[act] = False
        held = self.held[act]
        seats = concat_ranges(self.offset[act], held)
        cm = np.concatenate([np.repeat(act, held), j])
        ci = np.concatenate([self.seat_mentee[seats], who])
        cb = np.concatenate([self.seat_bid[seats], bids])
        order = group_order(cm, cb)
        cm, ci, cb = cm[order], ci[order], cb[order]
        count = np.bincount(cm, minlength=self.m)[act]
        first = np.cumsum(count) - count
        rank = np.arange(cm.size) - np.repeat(first, count)
        kept = rank < self.caps[cm]
        keep = np.flatnonzero(kept)
        km, kmentee, kbid = cm[keep], ci[keep], cb[keep]
        slot = self.offset[km] + rank[keep]
        self.seat_mentee[slot] = kmentee
        self.seat_bid[slot] = kbid
        caps = self.caps[act]
        now = np.minimum(count, caps)
        self.held[act] = now
        # A full mentor's price is its lowest held bid (its last kept entry); otherwise its reserve.
        self.p[act] = np.where(now == caps, cb[np.maximum(first + now - 1, 0)], self.r[act])
        self.a[kmentee] = km
        self.bid[kmentee] = kbid
        out = ci[~kept]
        self.a[out] = -1
        out.sort()
        return out

    # -- bookkeeping --------------------------------------------------------------------------------------------

    def _leading(self, floor: np.ndarray) -> np.ndarray:
        """How many leading edges of each row weigh at least ``floor[i]`` (rows are sorted by descending weight).

        A vectorised bisection over all rows at once: about log2(longest row) steps of O(n) work.
        """
        lo = self.indptr[:-1].copy()
        hi = self.indptr[1:].copy()
        last = max(self.w.size - 1, 0)
        act = np.flatnonzero(lo < hi)
        while act.size:
            mid = (lo[act] + hi[act]) // 2
            above = self.w[np.minimum(mid, last)] >= floor[act]
            lo[act[above]] = mid[above] + 1
            hi[act[~above]] = mid[~above]
            act = act[lo[act] < hi[act]]
        return lo - self.indptr[:-1]

    def _scan_lengths(self, floor: np.ndarray, at_least: int = 0) -> np.ndarray | None:
        """How many leading edges of each row a pass must read, or None when one plain pass is cheaper.

        The edges weighing at least ``floor[i]`` (no fewer than ``at_least``, no more than the row); None for short
        rows, or when those leading edges are most of the edges anyway.
        """
        if not self.long_rows:
            return None
        lens = self._leading(floor)
        if at_least:
            lens = np.minimum(np.maximum(lens, at_least), self.deg)
        return None if LEADING_SHARE * int(lens.sum()) > self.w.size else lens

    def values(self) -> np.ndarray:
        """``u_i = max(0, max_j w_ij - p_j)``: each mentee's best net value at the current prices.

        Only the leading edges that weigh at least a lower bound of ``u_i`` (the net value at the held mentor, or
        0) can attain it, since ``w_ij - p_j <= w_ij``; those are a few percent of a full graph's edges at the
        end of a phase. The maximum over them is the same number as over the whole row.
        """
        u = np.zeros(self.n, dtype=np.float64)
        matched = np.flatnonzero(self.a >= 0)
        low = np.zeros(self.n, dtype=np.float64)
        low[matched] = self.w[self.ae[matched]] - self.p[self.a[matched]]
        lens = self._scan_lengths(low, at_least=1)
        if lens is None:
            rows = np.flatnonzero(self.deg > 0)
            if rows.size:
                net = self.p[self.mentor]  # one edge-sized temporary: w - p computed in place
                np.subtract(self.w, net, out=net)
                u[rows] = np.maximum.reduceat(net, self.indptr[rows])
            return np.maximum(u, 0.0)
        rows = np.flatnonzero(lens > 0)
        if rows.size:
            lens = lens[rows]
            idx = concat_ranges(self.indptr[rows], lens)
            net = self.w[idx]
            net -= self.p[self.mentor[idx]]
            u[rows] = np.maximum.reduceat(net, np.cumsum(lens) - lens)
        return np.maximum(u, 0.0)

    def profits(self) -> np.ndarray:
        """Each mentee's profit at its held bid (0 when unmatched)."""
        return np.where(self.a >= 0, self.w[self.ae] - self.bid, 0.0)

    def normalize_bids(self) -> None:
        """Lower every held bid to its mentor's price.

        This only strengthens the invariant, and afterwards a mentee's profit at its bid equals its profit at
        the dual prices.
        """
        seats = concat_ranges(self.offset[:-1], self.held)
        self.seat_bid[seats] = np.repeat(self.p, self.held)
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
        seats = concat_ranges(self.offset[act], held)
        gone = np.zeros(self.n, dtype=bool)
        gone[who] = True
        keep = ~gone[self.seat_mentee[seats]]
        cm = np.repeat(act, held)[keep]
        kmentee, kbid = self.seat_mentee[seats][keep], self.seat_bid[seats][keep]
        count = np.bincount(cm, minlength=self.m)[act]
        rank = np.arange(cm.size) - np.repeat(np.cumsum(count) - count, count)
        slot = self.offset[cm] + rank
        self.seat_mentee[slot] = kmentee
        self.seat_bid[slot] = kbid
        self.held[act] = count
        self.a[who] = -1

    def rows(self) -> np.ndarray:
        """The mentee of every edge (int32), built once."""
        if self._rows is None:
            self._rows = np.repeat(np.arange(self.n, dtype=np.int32), self.deg)
        return self._rows

    def columns(self) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Edges grouped by mentor: (edge ids, mentee of each, column pointers), via scipy's C CSR->CSC."""
        if self._columns is None:
            edges = np.arange(self.mentor.size, dtype=np.int32 if self.mentor.size < 2**31 else np.int64)
            csc = sparse.csr_matrix((edges, self.mentor, self.indptr), shape=(self.n, self.m)).tocsc()
            self._columns = (csc.data, csc.indices, csc.indptr.tolist())
        return self._columns

    # -- reverse: mentors with spare seats lower their price ----------------------------------------------------

    def reverse(self, eps: float) -> None:
        """Mentors with spare seats and a positive price lower it until they fill up or it reaches zero.

        Mentor ``j`` with ``f`` free seats ranks the mentees it could attract by ``beta_i = w_ij - profit_i`` and
        sets its price to ``max(0, beta_(f+1) - eps)``: the ``f`` best gain at least ``eps`` by moving and nobody
        else gains more than ``eps``, so the invariant survives. A moved mentee frees a seat elsewhere, which may
        continue the chain; a reverse move never leaves a mentee without a seat.

        Only a "core" of nearly tight edges (reduced cost within ``CORE_WIDTH * eps``) is scanned. Profits only
        grow during reverse moves, so ``beta`` of an edge outside the core stays below the mentor's price at the
        start minus that width; a mentor whose ranking reaches that bound rescans all its edges.
        """
        if not np.any((self.held < self.caps) & (self.p > 0)):
            return
        self.normalize_bids()
        width = CORE_WIDTH * eps
        # A core edge has w_ij >= profit_i + p_j - width >= profit_i - width (prices are non-negative), so only
        # each row's leading edges above profit_i - 2 width (slack against rounding) need the exact test.
        profit = self.profits()
        lens = self._scan_lengths(profit - 2.0 * width)
        if lens is None:
            lens = self.deg
        if lens is self.deg:
            core, core_rows = self._tight_edges(profit, width)
        else:
            owner = np.repeat(np.arange(self.n, dtype=np.int32), lens)
            idx = concat_ranges(self.indptr[:-1], lens)
            tight = self._reduced(idx, owner, profit) <= width
            core, core_rows = idx[tight], owner[tight].astype(np.int64)
            del idx, tight, owner
        cols = self.mentor[core]
        if self.m <= 1 << 16:
            cols = cols.astype(np.uint16)  # numpy sorts 16-bit keys by radix (stable, same order)
        order = np.argsort(cols, kind="stable")
        del cols
        core, core_rows = core[order], core_rows[order]
        colptr = np.zeros(self.m + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.mentor[core], minlength=self.m), out=colptr[1:])
        self._core = (core, core_rows, colptr, colptr.tolist(), self.p - width)
        while True:
            spare = np.flatnonzero((self.held < self.caps) & (self.p > 0))
            if spare.size == 0:
                self._core = None
                return
            if spare.size < SEQUENTIAL_BELOW:
                self._reverse_one_by_one(spare.tolist(), eps)
            else:
                self._reverse_round(spare, eps)

    def _tight_edges(self, profit: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
        """Every edge with ``profit_i + p_j - w_ij <= width``: (edge ids, their rows), in edge order.

        One pass over all edges; on large graphs its two halves (by rows) run on two threads.
        """
        n = self.n
        if self._pool is None or self.w.size < SPLIT_EDGES:
            return self._tight_rows(profit, width, 0, n)
        other = self._pool.submit(self._tight_rows, profit, width, n // 2, n)
        core, rows = self._tight_rows(profit, width, 0, n // 2)
        core2, rows2 = other.result()
        return np.concatenate([core, core2]), np.concatenate([rows, rows2])

    def _tight_rows(self, profit: np.ndarray, width: float, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_tight_edges` of rows ``lo..hi-1``."""
        a, b = int(self.indptr[lo]), int(self.indptr[hi])
        owner = np.repeat(np.arange(lo, hi, dtype=np.int32), self.deg[lo:hi])
        tight = np.flatnonzero(self._reduced(slice(a, b), owner, profit) <= width)
        return tight + a, owner[tight].astype(np.int64)

    def _reduced(self, edges: slice | np.ndarray, owner: np.ndarray, profit: np.ndarray) -> np.ndarray:
        """The reduced cost ``profit_i + p_j - w_ij`` of the given edges (``owner``: their rows), in one temporary."""
        reduced = self.p[self.mentor[edges]]
        reduced -= self.w[edges]
        reduced += profit[owner]
        return reduced

    def _candidates(
        self, spare: np.ndarray, edges: np.ndarray, cand: np.ndarray, colptr: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """The mentees each spare mentor could attract: (mentee, edge, beta, how many per mentor).

        Grouped by mentor in the order of ``spare``, in column order within a mentor (not ranked).
        """
        lens = colptr[spare + 1] - colptr[spare]
        if self._pool is not None and spare.size >= 2 * SPLIT_MENTORS:
            # Two halves of the mentors at once (numpy's gathers release the GIL); the halves' candidates,
            # concatenated, are in the same order as one call's.
            half = spare.size // 2
            other = self._pool.submit(self._candidates_of, spare[half:], lens[half:], edges, cand, colptr)
            first = self._candidates_of(spare[:half], lens[:half], edges, cand, colptr)
            second = other.result()
            return tuple(np.concatenate([a, b]) for a, b in zip(first, second))
        return self._candidates_of(spare, lens, edges, cand, colptr)

    def _candidates_of(
        self, spare: np.ndarray, lens: np.ndarray, edges: np.ndarray, cand: np.ndarray, colptr: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """:meth:`_candidates` of the given spare mentors (``lens``: their column lengths)."""
        idx = concat_ranges(colptr[spare], lens)
        owner = np.repeat(spare, lens)
        mentee = cand[idx].astype(np.int64)
        edge = edges[idx].astype(np.int64)
        beta = self.w[edge] - np.where(self.a[mentee] >= 0, self.w[self.ae[mentee]] - self.bid[mentee], 0.0)
        keep = (beta > 0) & (self.a[mentee] != owner)
        count = np.bincount(np.repeat(np.arange(spare.size), lens)[keep], minlength=spare.size)
        return mentee[keep], edge[keep], beta[keep], count

    def _reverse_round(self, spare: np.ndarray, eps: float) -> None:
        """One vectorised reverse round for many spare mentors at once.

        Only each mentor's ``need`` best candidates matter (its ``free`` offers and the next one, which sets the
        price), so they are selected per mentor (:func:`top_in_groups`) instead of sorting every candidate.
        """
        core, core_rows, colptr, _, bound = self._core
        need = self.caps[spare] - self.held[spare] + 1
        mentee, edge, beta, count = self._candidates(spare, core, core_rows, colptr)
        top, take = top_in_groups(beta, count, need)
        first = np.cumsum(take) - take
        kth = np.full(spare.size, -np.inf)
        full = count >= need
        kth[full] = beta[top[first[full] + need[full] - 1]]
        unsure = (kth < bound[spare]) & (bound[spare] > eps)
        if unsure.any():
            edges, cand, ptr = self.columns()
            m2, e2, b2, c2 = self._candidates(spare[unsure], edges, cand, np.asarray(ptr))
            top2, take2 = top_in_groups(b2, c2, need[unsure])
            sure = ~unsure
            keep = np.repeat(sure, take)
            parts = np.concatenate([np.repeat(spare[sure], take[sure]), np.repeat(spare[unsure], take2)])
            order = np.argsort(parts, kind="stable")
            mentee = np.concatenate([mentee[top[keep]], m2[top2]])[order]
            edge = np.concatenate([edge[top[keep]], e2[top2]])[order]
            beta = np.concatenate([beta[top[keep]], b2[top2]])[order]
            take[unsure] = take2
            first = np.cumsum(take) - take
        else:
            mentee, edge, beta = mentee[top], edge[top], beta[top]
        owner = np.repeat(spare, take)
        count = take  # only the selected candidates from here on (ranks below need)
        rank = np.arange(owner.size) - np.repeat(first, count)
        free = need - 1
        beta_next = np.full(spare.size, -np.inf)
        more = count > free
        beta_next[more] = beta[first[more] + free[more]]
        price = np.maximum(0.0, beta_next - eps)
        self.p[spare] = price
        self.r[spare] = price
        seats = concat_ranges(self.offset[spare], self.held[spare])
        self.seat_bid[seats] = np.minimum(self.seat_bid[seats], np.repeat(price, self.held[spare]))
        self.bid[self.seat_mentee[seats]] = self.seat_bid[seats]
        half = 0.5 * eps  # slack against rounding in the comparisons below
        offer = (rank < np.repeat(free, count)) & (beta >= np.repeat(price, count) + half)
        oi, oj, oe = mentee[offer], owner[offer], edge[offer]
        if oi.size == 0:
            return
        # A mentee offered several seats takes the best; it moves only if that beats where it sits.
        val = self.w[oe] - self.p[oj]
        order = group_order(oi, val)
        oi, oj, oe, val = oi[order], oj[order], oe[order], val[order]
        best = np.ones(oi.size, dtype=bool)
        best[1:] = oi[1:] != oi[:-1]
        oi, oj, oe, val = oi[best], oj[best], oe[best], val[best]
        now = np.where(self.a[oi] >= 0, self.w[self.ae[oi]] - self.p[np.maximum(self.a[oi], 0)], 0.0)
        go = val >= now + half
        oi, oj, oe = oi[go], oj[go], oe[go]
        self.unseat(oi)
        self.ae[oi] = oe
        self.seat(oi, oj, self.p[oj])

    def _reverse_one_by_one(self, stack: list[int], eps: float) -> None:
        """Reverse steps for the few spare mentors left; a mentor that loses a mentee goes next."""
        core, core_rows, _, colptr, bound = self._core
        w, p, r, a, ae, bid = self.w, self.p, self.r, self.a, self.ae, self.bid
        seat_mentee, seat_bid, held = self.seat_mentee, self.seat_bid, self.held
        offset, caps = self._offset_list, self._caps_list
        half = 0.5 * eps
        while stack:
            j = stack.pop()
            hj, cj = int(held[j]), caps[j]
            if hj >= cj or p[j] <= 0:
                continue
            free = cj - hj
            edge = core[colptr[j] : colptr[j + 1]]
            mentee = core_rows[colptr[j] : colptr[j + 1]]
            am = a[mentee]
            beta = w[edge] - np.where(am >= 0, w[ae[mentee]] - bid[mentee], 0.0)
            keep = (beta > 0) & (am != j)
            beta = beta[keep]
            order = np.argsort(-beta, kind="stable")
            if (order.size <= free or beta[order[free]] < bound[j]) and bound[j] > eps:
                edges, cand, ptr = self.columns()
                edge = edges[ptr[j] : ptr[j + 1]]
                mentee = cand[ptr[j] : ptr[j + 1]]
                am = a[mentee]
                beta = w[edge] - np.where(am >= 0, w[ae[mentee]] - bid[mentee], 0.0)
                keep = (beta > 0) & (am != j)
                beta = beta[keep]
                order = np.argsort(-beta, kind="stable")
            edge, mentee = edge[keep], mentee[keep]
            price = max(beta[order[free]] - eps, 0.0) if order.size > free else 0.0
            p[j] = r[j] = price
            o = offset[j]
            if hj:
                block = seat_bid[o : o + hj]
                np.minimum(block, price, out=block)
                bid[seat_mentee[o : o + hj]] = block
            for t in order[:free].tolist():
                if beta[t] < price + half:
                    break
                i = int(mentee[t])
                k = int(a[i])
                if k >= 0:  # leave the old seat: the last seat of the block fills the hole
                    ok, hk = offset[k], int(held[k])
                    q = ok + int(np.flatnonzero(seat_mentee[ok : ok + hk] == i)[0])
                    seat_mentee[q] = seat_mentee[ok + hk - 1]
                    seat_bid[q] = seat_bid[ok + hk - 1]
                    held[k] = hk - 1
                    r[k] = p[k]
                    if p[k] > 0:
                        stack.append(k)
                hj = int(held[j])
                seat_mentee[o + hj] = i
                seat_bid[o + hj] = price
                held[j] = hj + 1
                a[i], ae[i], bid[i] = j, edge[t], price
            if held[j] == cj:
                p[j] = seat_bid[o : o + cj].min()

    # -- driver -------------------------------------------------------------------------------------------------

    def loose(self, eps: float, u: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mentees that break the invariant for ``eps`` (they must bid again), and the values ``u``.

        ``u`` may pass the values at the current prices when they are known (they depend on the prices only).
        """
        self.normalize_bids()
        if u is None:
            u = self.values()
        matched = np.flatnonzero(self.a >= 0)
        tol = eps * (1.0 + 1e-6)  # the invariant holds to rounding; do not chase rounding noise
        slack = u[matched] - (self.w[self.ae[matched]] - self.bid[matched])
        idle = np.flatnonzero((self.a < 0) & (self.deg > 0) & (u > tol))
        return np.union1d(matched[slack > tol], idle), u

    def dual_gap(self, u: np.ndarray) -> float:
        """Dual objective minus primal total at the current prices (normalised bids)."""
        matched = self.a >= 0
        return float(u.sum() + (self.caps * self.p).sum() - self.w[self.ae[matched]].sum())

    def run(self, eps: float, eps_final: float, factor: float, gap_target: float) -> float:
        """Scaling phases: solve with ``eps``, shrink it, re-bid only the mentees that broke the tighter invariant.

        Stops as soon as the dual gap is within ``gap_target`` (at the latest once ``eps <= eps_final``, where
        the gap is at most ``n * eps_final``). Returns the final dual gap.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ementor-auction") as pool:
            self._pool = pool
            try:
                return self._run(eps, eps_final, factor, gap_target)
            finally:
                self._pool = None

    def _run(self, eps: float, eps_final: float, factor: float, gap_target: float) -> float:
        free, _ = self.loose(eps)
        repeats = 0
        while True:
            self.unseat(free)
            self.forward(free, eps)
            self.reverse(eps)
            free, u = self.loose(eps)
            if free.size and repeats < MAX_REPEATS:
                repeats += 1  # rounding left someone just outside the invariant: let it bid again
                continue
            gap = self.dual_gap(u)
            if gap <= gap_target or eps <= eps_final:
                return gap
            eps = max(eps / factor, eps_final)
            free, _ = self.loose(eps, u)  # same prices: the same values, no edge pass
