"""Tests for matching.certify: the LP-dual certificate and the pricing rounds that complete a pruned graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.assignment import optimal, solve_optimal
from matching.certify import LeftOut, certificate, refine
from matching.graph import CandidateGraph

from .test_assignment import check_feasible, max_cardinality, slot_reference, total_of


def pruned(scores: np.ndarray, keep: int) -> CandidateGraph:
    """Each mentee's ``keep`` best allowed mentors only: a deliberately incomplete candidate graph."""
    full = CandidateGraph.from_dense(scores)
    position = np.arange(full.n_edges) - np.repeat(full.indptr[:-1], np.diff(full.indptr))
    mask = position < keep
    rows = full.mentee_of_edge()[mask]
    indptr = np.zeros(full.n_mentees + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=full.n_mentees), out=indptr[1:])
    return CandidateGraph(full.n_mentees, full.n_mentors, indptr, full.mentor[mask], full.score[mask])


def pruned_by(scores: np.ndarray, shift: np.ndarray, keep: int) -> tuple[CandidateGraph, LeftOut]:
    """Each mentee's ``keep`` best allowed mentors by ``s - shift`` (as price-guided candidates are chosen), and
    the promise that makes about the pairs left out (the row's keep-th value; -inf when it kept every one)."""
    n, m = scores.shape
    key = scores - shift
    order = np.lexsort((np.tile(np.arange(m), (n, 1)), -key), axis=1)
    kept = [row[np.isfinite(key[i, row])][:keep] for i, row in enumerate(order)]
    bound = np.full(n, np.inf)  # nothing kept, nothing promised
    if keep:
        bound = np.array([key[i, row[-1]] if row.size == keep else -np.inf for i, row in enumerate(kept)])
    rows = np.repeat(np.arange(n), [row.size for row in kept])
    cols = np.concatenate(kept) if n else np.zeros(0, dtype=np.int64)
    dense = np.full((n, m), -np.inf)
    dense[rows, cols] = scores[rows, cols]
    graph = CandidateGraph.from_dense(dense)
    return graph, LeftOut(bound, shift, lambda cols: lambda lo, hi: scores[lo:hi][:, cols])


def blocks(scores: np.ndarray, dtype=np.float64):
    return lambda lo, hi: scores[lo:hi].astype(dtype)


@st.composite
def programs(draw):
    n = draw(st.integers(1, 30))
    m = draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scores = rng.random((n, m)) if draw(st.booleans()) else rng.integers(0, 5, (n, m)) / 4.0
    scores[rng.random((n, m)) < draw(st.sampled_from([0.0, 0.3, 0.6]))] = -np.inf
    caps = rng.integers(0, 4, m)
    return scores, caps, draw(st.integers(0, 2)), draw(st.integers(1, 9))


def congested(seed: int):
    """Mentees crowding the same mentors, so prices move between rounds (what later passes must allow for)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(5, 80)), int(rng.integers(2, 10))
    scores = rng.random((n, m)) * 0.5 + np.linspace(0.5, 0.0, m) * rng.random()
    scores[rng.random((n, m)) < rng.choice([0.0, 0.3, 0.6])] = -np.inf
    caps = rng.integers(0, max(2, 2 * n // m), m)
    return scores, caps, int(rng.integers(1, 3)), int(rng.integers(1, 40))


@settings(max_examples=120, deadline=None)
@given(programs(), st.sampled_from([np.float64, np.float32]))
def test_refine_reaches_the_dense_optimum(program, dtype):
    scores, caps, keep, chunk = program
    truth = scores.astype(dtype).astype(np.float64)  # what score_block reports is the truth
    graph = pruned(truth, keep)
    first = solve_optimal(graph, caps)
    final_graph, sol, gap = refine(graph, caps, first, blocks(scores, dtype), chunk=chunk, max_rounds=10)
    check_feasible(truth, caps, sol.assignment)
    best = total_of(truth, optimal(truth, caps))
    assert total_of(truth, sol.assignment) == pytest.approx(best, abs=1e-7)
    assert 0.0 <= gap <= 1e-7
    # The final graph still satisfies the graph's contract: rows sorted by descending score, then mentor.
    for i in range(final_graph.n_mentees):
        mentors, row_scores = final_graph.row(i)
        assert np.all(np.isfinite(row_scores))
        key = list(zip(-row_scores, mentors))
        assert key == sorted(key)
        assert len(set(mentors.tolist())) == mentors.size


@settings(max_examples=80, deadline=None)
@given(programs(), st.sampled_from([1, 2]))
def test_refine_adding_few_pairs_per_row_still_reaches_the_optimum(program, per_row):
    scores, caps, keep, chunk = program
    graph = pruned(scores, keep)
    first = solve_optimal(graph, caps)
    rounds = scores.size + 1  # every round that continues adds at least one pair
    _, sol, gap = refine(graph, caps, first, blocks(scores), chunk=chunk, max_rounds=rounds, per_row=per_row)
    check_feasible(scores, caps, sol.assignment)
    assert total_of(scores, sol.assignment) == pytest.approx(total_of(scores, optimal(scores, caps)), abs=1e-7)
    assert 0.0 <= gap <= 1e-7


def rows_of(scores: np.ndarray, dtype=np.float64, seen: list | None = None):
    def score_rows(rows):
        assert np.all(np.diff(rows) > 0)
        if seen is not None:
            seen.append(rows.size)
        return scores[rows].astype(dtype)

    return score_rows


def assert_same(a, b):
    (graph_a, sol_a, gap_a), (graph_b, sol_b, gap_b) = a, b
    for name in ("indptr", "mentor", "score"):
        assert np.array_equal(getattr(graph_a, name), getattr(graph_b, name))
    assert np.array_equal(sol_a.assignment, sol_b.assignment)
    assert gap_a == gap_b


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(programs(), st.integers(0, 2**32 - 1).map(congested)),
    st.sampled_from([np.float64, np.float32]),
    st.sampled_from(["score", "coverage"]),
)
def test_scoring_only_the_rows_a_pass_could_change_gives_the_same_result_bit_for_bit(program, dtype, objective):
    """With a row scorer, later passes skip the rows their bound settles; float32 blocks are recomputed exactly."""
    scores, caps, keep, chunk = program
    truth = scores.astype(dtype).astype(np.float64)
    graph = pruned(truth, keep)
    first = solve_optimal(graph, caps, objective=objective)
    every_row = refine(graph, caps, first, blocks(truth), objective=objective, chunk=chunk, max_rounds=10)
    screened = refine(
        graph,
        caps,
        first,
        blocks(truth, dtype),
        score_rows=rows_of(truth, dtype),
        objective=objective,
        chunk=chunk,
        max_rounds=10,
    )
    assert_same(every_row, screened)


@pytest.mark.parametrize("objective", ["score", "coverage"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_later_passes_allow_for_the_prices_that_dropped(dtype, objective):
    """In about one program in ten of these, a re-solve lowers a price (or raises the coverage bonus) enough for a
    row settled before to gain an improving pair: a bound that ignored it would miss the pair."""
    for seed in range(30):
        scores, caps, keep, chunk = congested(seed)
        truth = scores.astype(dtype).astype(np.float64)
        graph = pruned(truth, keep)
        first = solve_optimal(graph, caps, objective=objective)
        args = {"objective": objective, "chunk": chunk, "max_rounds": 10}
        every_row = refine(graph, caps, first, blocks(truth), **args)
        screened = refine(graph, caps, first, blocks(truth, dtype), score_rows=rows_of(truth, dtype), **args)
        assert_same(every_row, screened)


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(programs(), st.integers(0, 2**32 - 1).map(congested)),
    st.sampled_from([0.0, 0.1, 0.5]),
    st.sampled_from(["score", "coverage"]),
)
def test_a_first_pass_from_what_the_candidates_left_out_gives_the_same_result_bit_for_bit(program, spread, objective):
    scores, caps, keep, chunk = program
    shift = np.random.default_rng(scores.size).random(scores.shape[1]) * spread  # estimated prices, off either way
    graph, left_out = pruned_by(scores, shift, keep)
    first = solve_optimal(graph, caps, objective=objective)
    args = {"objective": objective, "chunk": chunk, "max_rounds": 10}
    every_row = refine(graph, caps, first, blocks(scores), **args)
    screened = refine(graph, caps, first, blocks(scores), score_rows=rows_of(scores), left_out=left_out, **args)
    assert_same(every_row, screened)


def test_the_first_pass_allows_for_every_overshooting_price():
    """Mentors scored exactly or not, a left-out pair's bound must allow for how far its price estimate is off."""
    for seed in range(40):
        scores, caps, keep, chunk = congested(seed)
        shift = np.random.default_rng(seed).random(scores.shape[1]) * 0.3
        graph, left_out = pruned_by(scores, shift, keep)
        first = solve_optimal(graph, caps)
        every_row = refine(graph, caps, first, blocks(scores), chunk=chunk, max_rounds=10)
        screened = refine(
            graph,
            caps,
            first,
            blocks(scores),
            score_rows=rows_of(scores),
            left_out=left_out,
            chunk=chunk,
            max_rounds=10,
        )
        assert_same(every_row, screened)


def test_later_passes_score_only_the_rows_their_bound_does_not_settle(monkeypatch):
    from matching import certify as certify_module

    rng = np.random.default_rng(4)
    scores = rng.random((400, 20)) * 0.5 + np.linspace(0.5, 0.0, 20)  # popular mentors first: congestion
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    caps = rng.integers(18, 26, 20)
    graph = pruned(scores, 3)
    first = solve_optimal(graph, caps)
    every_row = refine(graph, caps, first, blocks(scores), chunk=50, max_rounds=10)
    passes = []
    blocks_of = certify_module._blocks

    def counted(rows, chunk):
        passes.append(rows.size)
        return blocks_of(rows, chunk)

    monkeypatch.setattr(certify_module, "_blocks", counted)
    screened = refine(graph, caps, first, blocks(scores), score_rows=rows_of(scores), chunk=50, max_rounds=10)
    assert_same(screened, every_row)
    assert passes[0] == 400 and len(passes) > 1  # the first pass scores every row and adds pairs
    assert min(passes[1:]) < 400  # a later one settles rows unscored


def test_a_round_adds_each_rows_most_improving_pairs_only():
    # Mentee 0 sits alone on a graph of one poor edge; six better mentors with free seats are outside it.
    scores = np.array([[0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]])
    caps = np.ones(7, dtype=np.int64)
    graph = CandidateGraph(1, 7, np.array([0, 1]), np.array([0], dtype=np.int32), np.array([0.1]))
    first = solve_optimal(graph, caps)
    g1, sol, _ = refine(graph, caps, first, blocks(scores), max_rounds=1, per_row=2)
    assert sorted(g1.row(0)[0].tolist()) == [0, 1, 2]  # the two best outside pairs joined the graph
    assert sol.assignment.tolist() == [1]


@settings(max_examples=60, deadline=None)
@given(programs())
def test_refine_with_coverage_objective(program):
    scores, caps, keep, chunk = program
    graph = pruned(scores, keep)
    first = solve_optimal(graph, caps, objective="coverage")
    _, sol, gap = refine(graph, caps, first, blocks(scores), objective="coverage", chunk=chunk, max_rounds=10)
    check_feasible(scores, caps, sol.assignment)
    k = int((sol.assignment >= 0).sum())
    assert k == max_cardinality(scores, caps)
    bonus = 1000.0
    assert total_of(scores, sol.assignment) + k * bonus == pytest.approx(
        slot_reference(scores, caps, bonus=bonus), abs=1e-6
    )
    assert gap <= 1e-7


def test_certificate_measures_the_gap_of_a_pruned_solution():
    # Mentee 0's only candidate is mentor 0, which mentee 1 values much more; the best matching needs the
    # pruned pair (0, 1).
    scores = np.array([[0.9, 0.8], [1.0, -np.inf]])
    caps = np.array([1, 1])
    graph = pruned(scores, 1)
    sol = solve_optimal(graph, caps)
    assert sol.assignment.tolist() == [-1, 0]
    gap = certificate(graph, caps, sol, blocks(scores))
    assert gap > 0.5  # the bound knows 1.8 may be possible while the solution has 1.0
    # Good enough already: no round, the same graph and solution, the same gap.
    same_graph, same, same_gap = refine(graph, caps, sol, blocks(scores), good_enough=gap)
    assert same_graph is graph and same is sol and same_gap == gap
    final_graph, final, final_gap = refine(graph, caps, sol, blocks(scores), good_enough=gap / 2)
    assert final.assignment.tolist() == [1, 0]
    assert final_gap == pytest.approx(0.0, abs=1e-9)
    assert final_graph.n_edges == 3


def test_full_graph_needs_no_round_and_mentors_without_seats_are_ignored():
    rng = np.random.default_rng(2)
    scores = rng.random((50, 6))
    caps = np.array([3, 0, 5, 2, 0, 4])
    graph = CandidateGraph.from_dense(scores)
    sol = solve_optimal(graph, caps)
    calls = []

    def block(lo, hi):
        calls.append((lo, hi))
        return scores[lo:hi]

    final_graph, final, gap = refine(graph, caps, sol, block, chunk=16)
    assert final_graph is graph and final is sol
    assert sorted(calls) == [(0, 16), (16, 32), (32, 48), (48, 50)]  # two chunks at a time, on two threads
    assert gap <= 1e-9
    assert not np.isin(final.assignment, [1, 4]).any()


def test_refine_is_deterministic():
    rng = np.random.default_rng(9)
    scores = rng.integers(0, 4, (80, 10)) / 3.0  # ties everywhere
    caps = rng.integers(1, 6, 10)
    graph = pruned(scores, 2)
    runs = [refine(graph, caps, solve_optimal(graph, caps), blocks(scores)) for _ in range(3)]
    for g, sol, gap in runs[1:]:
        assert np.array_equal(sol.assignment, runs[0][1].assignment)
        assert np.array_equal(g.mentor, runs[0][0].mentor)
        assert gap == runs[0][2]


def test_chunks_on_two_threads_give_what_one_thread_gives(monkeypatch):
    from matching import certify as certify_module

    rng = np.random.default_rng(5)
    scores = rng.random((300, 12))
    scores[rng.random(scores.shape) < 0.4] = -np.inf
    caps = rng.integers(1, 30, 12)
    graph = pruned(scores, 1)
    first = solve_optimal(graph, caps)
    monkeypatch.setattr(certify_module, "workers", lambda: 2)
    two = refine(graph, caps, first, blocks(scores, np.float32), chunk=7, max_rounds=1)
    monkeypatch.setattr(certify_module, "workers", lambda: 1)
    one = refine(graph, caps, first, blocks(scores, np.float32), chunk=7, max_rounds=1)
    assert two[0].n_edges > graph.n_edges  # the round added pairs
    assert np.array_equal(two[0].mentor, one[0].mentor) and np.array_equal(two[0].score, one[0].score)
    assert np.array_equal(two[1].assignment, one[1].assignment)
    assert two[2] == one[2]  # the bound's sum is taken in row order either way


def test_bad_block_shape_is_rejected():
    scores = np.ones((3, 2))
    graph = CandidateGraph.from_dense(scores)
    sol = solve_optimal(graph, np.array([1, 1]))
    with pytest.raises(ValueError):
        refine(graph, np.array([1, 1]), sol, lambda lo, hi: np.ones((hi - lo, 3)))
