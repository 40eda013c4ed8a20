"""Tests for matching.assignment: exact max-score b-matching and mentee-proposing deferred acceptance."""

from __future__ import annotations

import itertools
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from matching.assignment import Solution, optimal, solve_optimal, solve_stable, stable
from matching.graph import CandidateGraph

FORBIDDEN = -1e9  # stands for -inf in the slot-expanded reference problem


# ---------------------------------------------------------------------------------------------------------------
# References: slot expansion + scipy, brute force, textbook deferred acceptance


def slot_reference(scores: np.ndarray, caps: np.ndarray, bonus: float = 0.0) -> float:
    """Optimal total of ``scores + bonus`` (bonus on matched pairs) by scipy on mentors expanded into slots.

    Each mentee also gets a private "unmatched" column of value 0, so leaving a mentee unmatched is allowed.
    """
    n, m = scores.shape
    cols = np.repeat(np.arange(m), caps)
    big = np.full((n, cols.size + n), FORBIDDEN)
    sub = scores[:, cols] + bonus
    big[:, : cols.size] = np.where(np.isfinite(sub), sub, FORBIDDEN)
    big[:, cols.size :] = np.where(np.eye(n, dtype=bool), 0.0, FORBIDDEN)
    r, c = linear_sum_assignment(big, maximize=True)
    return float(big[r, c].sum())


def brute_force(scores: np.ndarray, caps: np.ndarray) -> float:
    """Best total over every assignment (tiny instances only)."""
    n, m = scores.shape
    best = 0.0
    for choice in itertools.product(range(-1, m), repeat=n):
        load = np.zeros(m, dtype=int)
        total = 0.0
        for i, j in enumerate(choice):
            if j < 0:
                continue
            if not np.isfinite(scores[i, j]):
                break
            load[j] += 1
            total += scores[i, j]
        else:
            if np.all(load <= caps):
                best = max(best, total)
    return best


def total_of(scores: np.ndarray, assignment: np.ndarray) -> float:
    matched = assignment >= 0
    return float(scores[np.flatnonzero(matched), assignment[matched]].sum())


def check_feasible(scores: np.ndarray, caps: np.ndarray, assignment: np.ndarray) -> None:
    n, m = scores.shape
    assert assignment.shape == (n,)
    assert assignment.dtype == np.int64
    assert np.all((assignment >= -1) & (assignment < m))
    matched = np.flatnonzero(assignment >= 0)
    assert np.all(np.isfinite(scores[matched, assignment[matched]])), "a forbidden pair was made"
    assert np.all(np.bincount(assignment[matched], minlength=m) <= caps), "a capacity was exceeded"


def max_cardinality(scores: np.ndarray, caps: np.ndarray) -> int:
    m = scores.shape[1]
    cols = np.repeat(np.arange(m), caps)
    if cols.size == 0:
        return 0
    adj = csr_matrix(np.isfinite(scores[:, cols]).astype(np.int8))
    return int((maximum_bipartite_matching(adj, perm_type="column") >= 0).sum())


def reference_da(mentee_scores: np.ndarray, mentor_scores: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Textbook one-proposal-at-a-time mentee-proposing deferred acceptance, ties broken by index."""
    n, m = mentee_scores.shape
    prefs = []
    for i in range(n):
        ok = [j for j in range(m) if np.isfinite(mentee_scores[i, j])]
        prefs.append(sorted(ok, key=lambda j, i=i: (-mentee_scores[i, j], j)))
    nxt = [0] * n
    held: dict[int, list[int]] = {j: [] for j in range(m)}
    free = deque(range(n))
    while free:
        i = free.popleft()
        if nxt[i] >= len(prefs[i]):
            continue
        j = prefs[i][nxt[i]]
        nxt[i] += 1
        if not np.isfinite(mentor_scores[i, j]):
            free.append(i)
            continue
        held[j].append(i)
        held[j].sort(key=lambda k, j=j: (-mentor_scores[k, j], k))
        if len(held[j]) > caps[j]:
            free.append(held[j].pop())
    out = np.full(n, -1, dtype=np.int64)
    for j, mentees in held.items():
        out[mentees] = j
    return out


def blocking_pairs(mentee_scores, mentor_scores, caps, assignment) -> list[tuple[int, int]]:
    n, m = mentee_scores.shape
    pairs = []
    for i, j in itertools.product(range(n), range(m)):
        if not (np.isfinite(mentee_scores[i, j]) and np.isfinite(mentor_scores[i, j])) or assignment[i] == j:
            continue
        a = assignment[i]
        if a >= 0 and (-mentee_scores[i, a], a) < (-mentee_scores[i, j], j):
            continue  # i prefers its own mentor
        held = np.flatnonzero(assignment == j)
        if caps[j] == 0:
            continue
        if held.size < caps[j]:
            pairs.append((i, j))
            continue
        worst = max(held, key=lambda k: (-mentor_scores[k, j], k))
        if (-mentor_scores[i, j], i) < (-mentor_scores[worst, j], worst):
            pairs.append((i, j))
    return pairs


# ---------------------------------------------------------------------------------------------------------------
# Hypothesis strategies


@st.composite
def instances(draw, max_n: int = 9, max_m: int = 5, integer: bool = False):
    n = draw(st.integers(0, max_n))
    m = draw(st.integers(0, max_m))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, (n, m)).astype(float) if integer else rng.random((n, m))
    density = draw(st.sampled_from([0.0, 0.4, 0.8, 1.0]))
    scores[rng.random((n, m)) >= density] = -np.inf
    caps = rng.integers(0, 4, m)
    return scores, caps


# ---------------------------------------------------------------------------------------------------------------
# optimal / solve_optimal


@settings(max_examples=150, deadline=None)
@given(instances())
def test_optimal_matches_scipy_on_slots(inst):
    scores, caps = inst
    assignment = optimal(scores, caps)
    check_feasible(scores, caps, assignment)
    assert total_of(scores, assignment) == pytest.approx(slot_reference(scores, caps), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(instances(max_n=5, max_m=3, integer=True))
def test_optimal_matches_brute_force_with_ties(inst):
    scores, caps = inst
    assignment = optimal(scores, caps)
    check_feasible(scores, caps, assignment)
    assert total_of(scores, assignment) == pytest.approx(brute_force(scores, caps), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_dual_certifies_optimality(inst):
    scores, caps = inst
    graph = CandidateGraph.from_dense(scores)
    sol = solve_optimal(graph, caps)
    assert isinstance(sol, Solution)
    p, u = sol.prices, sol.mentee_values
    assert np.all(p >= 0) and np.all(u >= 0)
    # Dual feasible on every edge, spare capacity costs nothing, and the duality gap closes.
    rows = graph.mentee_of_edge()
    assert np.all(u[rows] + p[graph.mentor] >= graph.score - 1e-9)
    load = np.bincount(sol.assignment[sol.assignment >= 0], minlength=graph.n_mentors)
    assert np.all(p[load < caps] <= 1e-9)
    dual = u.sum() + (caps * p).sum()
    assert dual == pytest.approx(total_of(scores, sol.assignment), abs=1e-7)


@settings(max_examples=80, deadline=None)
@given(instances())
def test_coverage_gives_maximum_cardinality_then_maximum_score(inst):
    scores, caps = inst
    sol = solve_optimal(CandidateGraph.from_dense(scores), caps, objective="coverage")
    check_feasible(scores, caps, sol.assignment)
    k = int((sol.assignment >= 0).sum())
    assert k == max_cardinality(scores, caps)
    # Among maximum-cardinality matchings, the score is maximal: compare with slot expansion + a big bonus.
    bonus = 1000.0
    assert total_of(scores, sol.assignment) + k * bonus == pytest.approx(
        slot_reference(scores, caps, bonus=bonus), abs=1e-6
    )


def test_hand_example():
    scores = np.array([[0.9, 0.8], [0.85, 0.1], [0.7, -np.inf]])
    # Mentor 0 takes one mentee: giving it mentee 1 (0.85) and mentee 0 -> mentor 1 (0.8) beats greedy.
    assert optimal(scores, np.array([1, 1])).tolist() == [1, 0, -1]
    assert optimal(scores, np.array([2, 0])).tolist() == [0, 0, -1]
    assert optimal(scores, np.array([0, 0])).tolist() == [-1, -1, -1]


def test_negative_scores_are_never_worth_matching():
    scores = np.array([[-0.5, 0.2], [-0.1, -0.3]])
    assert optimal(scores, np.array([1, 1])).tolist() == [1, -1]


def test_empty_inputs():
    assert optimal(np.zeros((0, 3)), np.array([1, 1, 1])).shape == (0,)
    assert optimal(np.zeros((4, 0)), np.zeros(0, dtype=int)).tolist() == [-1] * 4
    assert stable(np.zeros((0, 2)), np.zeros((0, 2)), np.array([1, 1])).shape == (0,)


def test_more_mentees_than_capacity():
    rng = np.random.default_rng(3)
    scores = rng.random((40, 3))
    caps = np.array([2, 3, 1])
    assignment = optimal(scores, caps)
    check_feasible(scores, caps, assignment)
    assert (assignment >= 0).sum() == 6
    assert total_of(scores, assignment) == pytest.approx(slot_reference(scores, caps), abs=1e-9)


def test_invalid_inputs_are_rejected():
    with pytest.raises(ValueError):
        optimal(np.zeros((2, 2)), np.array([1]))
    with pytest.raises(ValueError):
        optimal(np.zeros((2, 2)), np.array([1, -1]))
    with pytest.raises(ValueError):
        optimal(np.array([[np.nan, 0.0]]), np.array([1, 1]))
    with pytest.raises(ValueError):
        solve_optimal(CandidateGraph.from_dense(np.zeros((1, 1))), np.array([1]), objective="nope")


def test_deterministic():
    rng = np.random.default_rng(11)
    scores = rng.integers(0, 3, (60, 8)).astype(float)  # many ties
    caps = rng.integers(1, 5, 8)
    first = optimal(scores, caps)
    assert all(np.array_equal(first, optimal(scores.copy(), caps.copy())) for _ in range(3))


# ---------------------------------------------------------------------------------------------------------------
# stable / solve_stable


@st.composite
def two_sided(draw, max_n: int = 9, max_m: int = 5):
    scores, caps = draw(instances(max_n, max_m, integer=draw(st.booleans())))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m = scores.shape
    mentor_scores = rng.integers(0, 4, (n, m)).astype(float) if draw(st.booleans()) else rng.random((n, m))
    mentor_scores[rng.random((n, m)) < 0.15] = -np.inf
    return scores, mentor_scores, caps


@settings(max_examples=150, deadline=None)
@given(two_sided())
def test_stable_is_the_mentee_optimal_stable_matching(inst):
    mentee_scores, mentor_scores, caps = inst
    assignment = stable(mentee_scores, mentor_scores, caps)
    both = np.where(np.isfinite(mentor_scores), mentee_scores, -np.inf)
    check_feasible(both, caps, assignment)
    assert blocking_pairs(mentee_scores, mentor_scores, caps, assignment) == []
    assert assignment.tolist() == reference_da(mentee_scores, mentor_scores, caps).tolist()


@settings(max_examples=60, deadline=None)
@given(two_sided(max_n=12, max_m=6), st.integers(1, 3))
def test_lazy_extension_gives_the_same_matching(inst, step):
    mentee_scores, mentor_scores, caps = inst
    n, _ = mentee_scores.shape
    full = CandidateGraph.from_dense(mentee_scores)
    keys = mentor_scores[full.mentee_of_edge(), full.mentor]
    given_count = np.minimum(np.diff(full.indptr), step)
    calls = []

    def rows(who, lo, hi):
        starts = full.indptr[who] + lo
        stops = np.minimum(full.indptr[who] + hi, full.indptr[who + 1])
        counts = np.maximum(stops - starts, 0)
        idx = np.concatenate([np.arange(a, a + c) for a, c in zip(starts, counts)] + [np.zeros(0, int)])
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return CandidateGraph(len(who), full.n_mentors, indptr, full.mentor[idx], full.score[idx]), keys[idx]

    first, first_keys = rows(np.arange(n), 0, step)

    def extend(who):
        calls.append(who.copy())
        graph, k = rows(who, given_count[who], given_count[who] + step)
        given_count[who] += np.diff(graph.indptr)
        return graph, k

    got = solve_stable(first, first_keys, caps, extend=extend)
    assert got.tolist() == reference_da(mentee_scores, mentor_scores, caps).tolist()
    assert all(np.all(np.diff(w) > 0) for w in calls)


def test_stable_hand_example():
    # Both mentees want mentor 0 (capacity 1); mentor 0 prefers mentee 1, so mentee 0 falls back to mentor 1.
    mentee = np.array([[0.9, 0.5], [0.8, 0.1]])
    mentor = np.array([[0.2, 0.9], [0.7, 0.9]])
    assert stable(mentee, mentor, np.array([1, 1])).tolist() == [1, 0]
    # Tie on the mentor side: the lower mentee index wins.
    assert stable(mentee, np.ones((2, 2)), np.array([1, 1])).tolist() == [0, 1]
    # Mentor 0 finds mentee 1 unacceptable.
    mentor[1, 0] = -np.inf
    assert stable(mentee, mentor, np.array([1, 0])).tolist() == [0, -1]


def test_stable_with_symmetric_scores_equals_greedy():
    rng = np.random.default_rng(5)
    scores = rng.random((30, 6))
    caps = rng.integers(0, 4, 6)
    got = stable(scores, scores, caps)
    greedy = np.full(30, -1)
    load = np.zeros(6, dtype=int)
    for flat in np.argsort(-scores, axis=None, kind="stable"):
        i, j = divmod(int(flat), 6)
        if greedy[i] < 0 and load[j] < caps[j]:
            greedy[i] = j
            load[j] += 1
    assert got.tolist() == greedy.tolist()


# ---------------------------------------------------------------------------------------------------------------
# The auction's building blocks


def test_best_two_equals_a_full_row_scan_as_prices_rise():
    """Bidders read a growing prefix of their (score-sorted) rows; the answer must be the whole row's."""
    from matching._auction import Auction

    rng = np.random.default_rng(11)
    n, m = 60, 400
    scores = np.round(rng.random((n, m)) * 20) / 20  # many ties
    scores[rng.random((n, m)) < 0.3] = -np.inf
    graph = CandidateGraph.from_dense(scores)
    auction = Auction(graph.indptr, graph.mentor, graph.score, np.ones(m, dtype=np.int64))
    free = np.arange(n)
    for _ in range(12):
        auction.p += np.round(rng.random(m) * 4) / 40  # prices only rise, as in a forward phase
        v1, e1, v2 = auction._best_two(free)
        for i in range(n):
            lo, hi = graph.indptr[i], graph.indptr[i + 1]
            vals = graph.score[lo:hi] - auction.p[graph.mentor[lo:hi]]
            k = int(np.argmax(vals))
            assert v1[i] == vals[k] and e1[i] == lo + k
            rest = np.delete(vals, k)
            assert max(v2[i], 0.0) == max(rest.max(initial=-np.inf), 0.0)
    assert auction.reach.max() > 128  # the prefix did grow several times


@pytest.mark.parametrize("top", [50, 1 << 16, 1 << 20])
def test_group_order_is_group_then_key_descending_then_input_order(top):
    from matching._auction import group_order

    rng = np.random.default_rng(top)
    groups = rng.integers(0, top, 5000)
    key = np.round(rng.random(5000) * 8)  # ties
    expected = np.lexsort((np.arange(5000), -key, groups))
    assert np.array_equal(group_order(groups, key), expected)


def test_optimal_on_long_rows_matches_scipy():
    """Rows of hundreds of edges (the full-graph regime) with capacities, against slot expansion."""
    rng = np.random.default_rng(5)
    scores = np.round(rng.random((150, 300)) * 1000) / 1000
    scores[rng.random(scores.shape) < 0.2] = -np.inf
    caps = rng.integers(0, 3, 300)
    chosen = optimal(scores, caps)
    assert np.all(np.bincount(chosen[chosen >= 0], minlength=300) <= caps)
    total = float(scores[np.flatnonzero(chosen >= 0), chosen[chosen >= 0]].sum())
    assert total == pytest.approx(slot_reference(scores, caps), abs=1e-6)


def test_values_and_leading_edges_on_long_rows():
    """Mentee values read only leading edges on long rows; they must equal a full scan, bit for bit."""
    from matching._auction import Auction

    rng = np.random.default_rng(3)
    n, m = 40, 500
    scores = np.round(rng.random((n, m)) * 50) / 50
    scores[rng.random((n, m)) < 0.2] = -np.inf
    graph = CandidateGraph.from_dense(scores)
    auction = Auction(graph.indptr, graph.mentor, graph.score, np.ones(m, dtype=np.int64))
    assert auction.long_rows
    floor = rng.random(n)
    lens = auction._leading(floor)
    for i in range(n):
        row = graph.score[graph.indptr[i] : graph.indptr[i + 1]]
        assert lens[i] == np.count_nonzero(row >= floor[i])
    auction.p[:] = np.round(rng.random(m) * 10) / 40
    seated = np.arange(0, n, 2)  # some mentees hold an edge (any edge: the bound it gives is still valid)
    auction.ae[seated] = graph.indptr[seated] + 3
    auction.a[seated] = graph.mentor[auction.ae[seated]]
    full = np.maximum((graph.score - auction.p[graph.mentor]), -np.inf)
    expected = np.maximum(np.maximum.reduceat(full, graph.indptr[:-1]), 0.0)
    assert np.array_equal(auction.values(), expected)


def test_solution_values_are_the_full_scan_values_on_long_rows():
    from matching.assignment import _mentee_values

    rng = np.random.default_rng(8)
    scores = np.round(rng.random((120, 400)) * 100) / 100
    scores[rng.random(scores.shape) < 0.25] = -np.inf
    graph = CandidateGraph.from_dense(scores)
    sol = solve_optimal(graph, rng.integers(1, 3, 400))
    assert np.array_equal(sol.mentee_values, _mentee_values(graph, graph.score, sol.prices))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steps_split_over_two_threads_give_the_same_solution(monkeypatch, seed):
    """Reverse rounds' candidates and tight-edge passes done in two halves: the same assignment and prices."""
    from matching import _auction

    rng = np.random.default_rng(seed)
    n, m = 400, 60  # congested: more mentees than seats at the popular mentors, spare seats elsewhere
    scores = np.round(rng.random((n, m)) ** 3 * 200) / 200
    scores[rng.random((n, m)) < 0.5] = -np.inf
    graph = CandidateGraph.from_dense(scores)
    caps = rng.integers(0, 12, m)
    monkeypatch.setattr(_auction, "SEQUENTIAL_BELOW", 1)  # vectorised rounds even for a few bidders
    whole = solve_optimal(graph, caps)
    monkeypatch.setattr(_auction, "SPLIT_MENTORS", 1)
    monkeypatch.setattr(_auction, "SPLIT_EDGES", 1)
    calls = []
    original = _auction.Auction._candidates_of
    monkeypatch.setattr(_auction.Auction, "_candidates_of", lambda self, *a: calls.append(1) or original(self, *a))
    split = solve_optimal(graph, caps)
    assert calls  # the reverse rounds ran, in halves
    assert np.array_equal(whole.assignment, split.assignment)
    assert np.array_equal(whole.prices, split.prices)
