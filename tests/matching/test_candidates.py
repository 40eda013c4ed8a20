"""Candidate pruning against brute force: top-K per mentee, top-R per mentor, constraints, order, rounding."""

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.candidates import (
    SCORE_QUANTUM,
    Scorer,
    as_scores,
    assemble,
    build_graph,
    left_out_bounds,
    make_extender,
    score_rows,
)
from matching.data import DEFAULT_WEIGHTS, Mentee, Mentor
from matching.features import build_profiles, fuse, quantise
from tests.matching.people import program


def _scorer(n, m, seed, *, min_score=0.0, penalty=False, n_excluded=0, n_bonus=0, alt=False):
    mentees, mentors = program(n, m, seed=seed)
    profiles = build_profiles(mentees, mentors)
    weight_sets = [DEFAULT_WEIGHTS] + ([{"performance": 0.7, "availability": 0.3}] if alt else [])
    fused = fuse(profiles, weight_sets, np.arange(n), np.arange(m), language_penalty=penalty)
    rng = np.random.default_rng(seed)
    ex = np.unique(rng.integers(0, [n, m], size=(n_excluded, 2)), axis=0).reshape(-1, 2)
    bo = np.unique(rng.integers(0, [n, m], size=(n_bonus, 2)), axis=0).reshape(-1, 2)
    bonus = quantise(rng.random(bo.shape[0]) * 1e-3, 22)
    return Scorer(fused[0], fused[1] if alt else None, min_score, ex[:, 0], ex[:, 1], bo[:, 0], bo[:, 1], bonus)


def _expected_edges(scorer, k, r):
    n, m = scorer.n_mentees, scorer.n_mentors
    solver = scorer.score_block(0, n)
    raw = solver.copy()
    raw[scorer.bonus_rows, scorer.bonus_cols] -= scorer.bonus
    edges = set()
    for i in range(n):
        order = np.lexsort((np.arange(m), -raw[i]))
        edges |= {(i, int(j)) for j in order[np.isfinite(raw[i, order])][:k]}
    for j in range(m):
        order = np.lexsort((np.arange(n), -raw[:, j]))
        edges |= {(int(i), j) for i in order[np.isfinite(raw[order, j])][:r]}
    for i, j in zip(scorer.bonus_rows.tolist(), scorer.bonus_cols.tolist()):
        if np.isfinite(raw[i, j]):
            edges.add((i, j))
    return edges, solver, raw


def _check_graph(graph, scorer, solver):
    rows = graph.mentee_of_edge()
    pairs = list(zip(rows.tolist(), graph.mentor.tolist()))
    assert len(pairs) == len(set(pairs))
    assert np.array_equal(graph.score, solver[rows, graph.mentor])
    assert np.all(np.isfinite(graph.score))
    for i in range(graph.n_mentees):
        cols, vals = graph.row(i)
        assert list(zip((-vals).tolist(), cols.tolist())) == sorted(zip((-vals).tolist(), cols.tolist()))
    return set(pairs)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 160),
    m=st.integers(1, 90),
    k=st.integers(1, 12),
    r=st.integers(0, 6),
    chunk=st.integers(1, 64),
    min_score=st.sampled_from([0.0, 0.3, 0.5, 0.9]),
    penalty=st.booleans(),
)
def test_pruned_graph_is_exactly_top_k_plus_top_r_plus_preferences(seed, n, m, k, r, chunk, min_score, penalty):
    scorer = _scorer(n, m, seed, min_score=min_score, penalty=penalty, n_excluded=n // 2, n_bonus=n // 3)
    graph, mentor_scores = build_graph(scorer, k, r, full=False, chunk=chunk)
    expected, solver, raw = _expected_edges(scorer, k, r)
    assert _check_graph(graph, scorer, solver) == expected
    assert graph.score.min(initial=1) >= min_score
    # Without a second weight set, the mentor side sees the same scores, without the preference bonus.
    assert np.allclose(mentor_scores, raw[graph.mentee_of_edge(), graph.mentor], rtol=0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), m=st.integers(1, 60), chunk=st.integers(1, 50))
def test_full_graph_keeps_every_allowed_pair(seed, n, m, chunk):
    scorer = _scorer(n, m, seed, min_score=0.4, penalty=True, n_excluded=n, n_bonus=n // 2)
    graph, _ = build_graph(scorer, 5, 3, full=True, chunk=chunk)
    solver = scorer.score_block(0, n)
    pairs = _check_graph(graph, scorer, solver)
    assert pairs == {(int(i), int(j)) for i, j in zip(*np.nonzero(np.isfinite(solver)))}


def test_excluded_and_forbidden_pairs_are_absent():
    scorer = _scorer(100, 40, 3, min_score=0.35, penalty=True, n_excluded=300)
    graph, _ = build_graph(scorer, 10, 5, full=False, chunk=17)
    pairs = set(zip(graph.mentee_of_edge().tolist(), graph.mentor.tolist()))
    assert not pairs & set(zip(scorer.excluded_rows.tolist(), scorer.excluded_cols.tolist()))
    raw = scorer.fused.scores(0, 100)
    for i, j in pairs:
        assert raw[i, j] >= 0.35


def test_mentor_side_scores_come_from_the_second_weights():
    scorer = _scorer(80, 30, 8, alt=True)
    graph, mentor_scores = build_graph(scorer, 6, 4, full=False, chunk=9)
    rows = graph.mentee_of_edge()
    expected = as_scores(scorer.alt.scores(0, 80))[rows, graph.mentor]
    assert np.array_equal(mentor_scores, expected)
    assert not np.array_equal(mentor_scores, graph.score)


@pytest.mark.parametrize("chunk", [7, 64])
def test_full_graph_rows_are_ordered_and_carry_both_scores(chunk):
    """The full graph's own pass: every allowed pair, rows best first (ties by mentor), bonus and mentor side."""
    scorer = _scorer(90, 40, 12, min_score=0.3, penalty=True, n_excluded=90, n_bonus=30, alt=True)
    graph, mentor_scores = build_graph(scorer, 5, 3, full=True, chunk=chunk)
    solver = scorer.score_block(0, 90)
    rows = graph.mentee_of_edge()
    assert np.array_equal(graph.score, solver[rows, graph.mentor])
    for i in range(90):
        cols, vals = graph.row(i)
        assert list(zip(-vals, cols)) == sorted(zip(-vals, cols))
        assert set(cols.tolist()) == set(np.flatnonzero(np.isfinite(solver[i])).tolist())
    assert np.array_equal(mentor_scores, as_scores(scorer.alt.scores(0, 90))[rows, graph.mentor])


def test_identical_people_tie_by_index_and_never_blow_up():
    mentees = [Mentee(f"e{i}") for i in range(300)]
    mentors = [Mentor(f"r{j}") for j in range(50)]
    profiles = build_profiles(mentees, mentors)
    (fused,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(300), np.arange(50), language_penalty=False)
    empty = np.zeros(0, dtype=np.int64)
    scorer = Scorer(fused, None, 0.0, empty, empty, empty, empty, np.zeros(0))
    graph, _ = build_graph(scorer, 4, 2, full=False, chunk=64)
    assert np.all(graph.score == 0.5)
    for i in range(300):
        extra = [0, 1] if i < 2 else []  # mentors 2.. take mentees 0 and 1 as their top 2
        cols = graph.row(i)[0].tolist()
        assert cols[:4] == [0, 1, 2, 3]
        assert sorted(cols[4:]) == list(range(4, 50)) * bool(extra)
    assert graph.n_edges == 300 * 4 + 2 * 46


def test_scores_are_exact_fixed_point_numbers_whatever_the_blocking():
    scorer = _scorer(130, 45, 13, penalty=True)
    whole = scorer.fused.scores(0, 130).astype(np.float64)
    assert np.array_equal(whole, np.round(whole / SCORE_QUANTUM) * SCORE_QUANTUM)
    pieces = np.vstack([scorer.fused.scores(lo, min(130, lo + 7)) for lo in range(0, 130, 7)])
    assert np.array_equal(pieces, whole)
    rows = np.array([129, 0, 64, 3])
    assert np.array_equal(scorer.fused.rows_scores(rows), whole[rows])
    buffer = np.full((6, 45), np.nan, dtype=np.float32)  # larger than needed: only its first rows are written
    assert np.array_equal(scorer.fused.rows_scores(rows, buffer), whole[rows])
    assert np.array_equal(buffer[:4], whole[rows]) and np.isnan(buffer[4:]).all()
    cols = np.array([44, 0, 17, 3])
    assert np.array_equal(scorer.fused.pair_scores(rows, cols), whole[rows, cols])


def test_score_block_equals_graph_and_rows():
    scorer = _scorer(90, 35, 11, min_score=0.2, penalty=True, n_excluded=50, n_bonus=40)
    block = scorer.score_block(20, 50)
    full = scorer.score_block(0, 90)
    assert np.array_equal(block, full[20:50])
    rows = np.array([49, 3, 20])
    solver_rows, _ = scorer.score_rows(rows)
    assert np.array_equal(solver_rows, full[rows])


@pytest.mark.parametrize("seed", [11, 12])
def test_certify_scores_are_the_solver_scores_in_float32_but_for_the_preference_bonus(seed):
    scorer = _scorer(90, 35, seed, min_score=0.2, penalty=True, n_excluded=50, n_bonus=40)
    solver = scorer.score_block(0, 90)
    solver[scorer.bonus_rows, scorer.bonus_cols] -= scorer.bonus  # exact: fixed-point numbers
    block = scorer.certify_block(20, 50)
    assert block.dtype == np.float32
    assert np.array_equal(block.astype(np.float64), solver[20:50])
    rows = np.array([3, 20, 49, 88])
    assert np.array_equal(scorer.certify_rows(rows), scorer.certify_block(0, 90)[rows])


def test_certify_scores_forbid_exactly_the_pairs_below_the_minimum():
    scorer = _scorer(40, 20, 5)
    scores = scorer.score_block(0, 40)
    allowed = np.unique(scores[np.isfinite(scores)])
    s = float(allowed[allowed.size // 2])  # a score some pair has, exactly
    for minimum, kept in ((s, True), (s + 1e-9, False), (np.nextafter(s, -1.0), True)):
        block = replace(scorer, min_score=minimum).certify_block(0, 40)
        assert np.isfinite(block[scores == s]).all() == kept
        assert np.array_equal(np.isfinite(block), np.isfinite(scores) & (scores >= minimum))


def test_extender_gives_the_next_best_candidates_once_doubling_what_each_had():
    scorer = _scorer(60, 40, 21, min_score=0.1, n_excluded=40)
    graph, _ = build_graph(scorer, 3, 0, full=False, chunk=16)
    extend = make_extender(scorer, graph, 4)
    solver = scorer.score_block(0, 60)
    who = np.array([2, 7, 59])
    given_so_far = {i: list(graph.row(i)[0]) for i in who.tolist()}
    for _ in range(12):
        sub, mentor_side = extend(who)
        assert sub.n_mentees == who.size and np.array_equal(mentor_side, sub.score)
        for k, i in enumerate(who.tolist()):
            cols, vals = sub.row(k)
            assert not set(cols.tolist()) & set(given_so_far[i])
            remaining = [j for j in np.lexsort((np.arange(40), -solver[i])) if j not in given_so_far[i]]
            remaining = [j for j in remaining if np.isfinite(solver[i, j])]
            due = max(4, len(given_so_far[i]))  # as many more as given so far, at least per_call
            assert cols.tolist() == remaining[:due]
            assert np.array_equal(vals, solver[i, cols])
            given_so_far[i] += cols.tolist()
    for i in who.tolist():
        assert set(given_so_far[i]) == set(np.flatnonzero(np.isfinite(solver[i])).tolist())


def test_empty_sides():
    empty = np.zeros(0, dtype=np.int64)
    profiles = build_profiles([Mentee("a")], [])
    (fused,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(1), empty, language_penalty=False)
    graph, mentor_scores = build_graph(Scorer(fused, None, 0.0, empty, empty, empty, empty, np.zeros(0)), 5, 2)
    assert graph.n_mentees == 1 and graph.n_mentors == 0 and graph.n_edges == 0 and mentor_scores.size == 0


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.integers(1, 99), max_size=4), full=st.booleans())
def test_any_split_of_the_rows_assembles_to_the_same_graph(seed, cuts, full):
    scorer = _scorer(100, 40, seed, min_score=0.2, penalty=True, n_excluded=60, n_bonus=30, alt=True)
    whole, whole_alts = build_graph(scorer, 5, 3, full=full, chunk=13)
    bounds = [0, *sorted(set(cuts)), 100]
    partials = [score_rows(scorer, 5, 3, full=full, lo=a, hi=b, chunk=7) for a, b in pairwise(bounds)]
    for partial in partials:
        assert all(value.dtype != object for value in partial.values())
    graph, alts = assemble(scorer, 5, 3, partials, full=full)
    assert np.array_equal(graph.indptr, whole.indptr)
    assert np.array_equal(graph.mentor, whole.mentor)
    assert np.array_equal(graph.score, whole.score)
    assert np.array_equal(alts, whole_alts)


def _reference_tatonnement(rows, cols, vals, supply, iterations):
    """The tatonnement written plainly, one sampled mentee at a time."""
    from matching.prices import STEP

    prices = np.zeros(supply.size)
    for step in range(iterations):
        demand = np.zeros(supply.size)
        for i in np.unique(rows).tolist():
            at = np.flatnonzero(rows == i)
            at = at[np.argsort(cols[at], kind="stable")]
            reduced = vals[at] - prices[cols[at]]
            best = int(np.argmax(reduced))
            if reduced[best] > 0:
                demand[cols[at][best]] += 1
        prices = np.maximum(0.0, prices + STEP / np.sqrt(1.0 + step) * (demand - supply) / np.maximum(supply, 1.0))
    return prices


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 120),
    m=st.integers(1, 50),
    per_row=st.integers(1, 12),
    min_score=st.sampled_from([0.0, 0.3, 0.6]),
    priced=st.booleans(),
)
def test_price_sample_is_each_rows_top_by_reduced_score(seed, n, m, per_row, min_score, priced):
    from matching.prices import _sample_edges

    scorer = _scorer(n, m, seed, min_score=min_score, penalty=True, n_excluded=n // 2, n_bonus=n // 3)
    rng = np.random.default_rng(seed)
    prices = quantise(rng.random(m) * 0.3, 22) if priced else None
    rows = np.arange(0, n, 3)
    got_rows, got_cols, got_vals = _sample_edges(scorer, rows, per_row, prices)
    solver = scorer.score_block(0, n)[rows]
    key = solver - (prices if priced else 0.0)
    expected = []
    for k in range(rows.size):
        order = np.lexsort((np.arange(m), -key[k]))
        order = order[np.isfinite(key[k, order])][:per_row]
        expected += [(k, int(j), float(solver[k, j])) for j in order]
    assert list(zip(got_rows.tolist(), got_cols.tolist(), got_vals.tolist())) == expected


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), m=st.integers(1, 15))
def test_tatonnement_matches_its_plain_statement(seed, n, m):
    from matching.prices import _tatonnement

    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, [n, m], size=(3 * n, 2)), axis=0)
    pairs = pairs[rng.permutation(pairs.shape[0])]
    vals = quantise(rng.random(pairs.shape[0]), 22)
    vals[: pairs.shape[0] // 4] = 0.5  # ties
    supply = rng.random(m) * 3
    got = _tatonnement(pairs[:, 0], pairs[:, 1], vals, supply, 20)
    assert np.array_equal(got, _reference_tatonnement(pairs[:, 0], pairs[:, 1], vals, supply, 20))


def test_estimated_prices_are_fixed_point_and_deterministic():
    from matching.prices import estimate_prices

    scorer = _scorer(200, 12, 5, min_score=0.2)
    capacities = np.full(12, 3)  # 36 seats for 200 mentees: the popular mentors get a price
    prices = estimate_prices(scorer, capacities)
    assert prices is not None and prices.min() >= 0 and prices.max() > 0
    assert np.array_equal(prices, quantise(prices, 22))
    assert np.array_equal(prices, estimate_prices(scorer, capacities))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 160),
    m=st.integers(1, 90),
    k=st.integers(1, 12),
    r=st.integers(0, 6),
    chunk=st.integers(1, 64),
    min_score=st.sampled_from([0.0, 0.3, 0.5, 0.9]),
    penalty=st.booleans(),
)
def test_price_guided_graph_is_top_k_by_reduced_score_plus_top_r(seed, n, m, k, r, chunk, min_score, penalty):
    scorer = _scorer(n, m, seed, min_score=min_score, penalty=penalty, n_excluded=n // 2, n_bonus=n // 3)
    prices = quantise(np.random.default_rng(seed).random(m) * 0.4, 22)
    guided = scorer.with_prices(prices)
    graph, _ = build_graph(guided, k, r, full=False, chunk=chunk)
    solver = scorer.score_block(0, n)
    raw = solver.copy()
    raw[scorer.bonus_rows, scorer.bonus_cols] -= scorer.bonus
    reduced = raw - prices
    expected = set()
    for i in range(n):
        order = np.lexsort((np.arange(m), -reduced[i]))
        expected |= {(i, int(j)) for j in order[np.isfinite(reduced[i, order])][:k]}
    for j in range(m):
        order = np.lexsort((np.arange(n), -raw[:, j]))
        expected |= {(int(i), j) for i in order[np.isfinite(raw[order, j])][:r]}
    expected |= {
        (i, j) for i, j in zip(scorer.bonus_rows.tolist(), scorer.bonus_cols.tolist()) if np.isfinite(raw[i, j])
    }
    assert _check_graph(graph, scorer, solver) == expected


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 120),
    m=st.integers(1, 60),
    k=st.integers(1, 12),
    chunk=st.integers(1, 64),
    min_score=st.sampled_from([0.0, 0.3, 0.6]),
    priced=st.booleans(),
)
def test_left_out_bound_is_each_rows_kth_kept_value(seed, n, m, k, chunk, min_score, priced):
    """Every allowed pair the graph leaves out has s - q at or below its row's bound, the row's k-th value."""
    scorer = _scorer(n, m, seed, min_score=min_score, penalty=True, n_excluded=n // 2, n_bonus=n // 3)
    prices = quantise(np.random.default_rng(seed).random(m) * 0.4, 22) if priced else np.zeros(m)
    if priced:
        scorer = scorer.with_prices(prices)
    partial = score_rows(scorer, k, 2, full=False, chunk=chunk)
    graph, _ = assemble(scorer, k, 2, [partial], full=False)
    bound = left_out_bounds([partial], n)
    raw = scorer.score_block(0, n)
    raw[scorer.bonus_rows, scorer.bonus_cols] -= scorer.bonus
    reduced = raw - prices
    in_graph = np.zeros((n, m), dtype=bool)
    in_graph[graph.mentee_of_edge(), graph.mentor] = True
    for i in range(n):
        allowed = np.sort(reduced[i][np.isfinite(reduced[i])])[::-1]
        kept = min(k, m)  # a pass keeps at most every mentor
        expected = allowed[kept - 1] if allowed.size >= kept else (-4.0 if priced else -np.inf)
        assert bound[i] == expected
        left_out = np.isfinite(reduced[i]) & ~in_graph[i]
        assert np.all(reduced[i][left_out] <= bound[i])


@pytest.mark.parametrize("seed", [3, 8])
def test_a_scorer_for_some_mentors_gives_their_columns(seed):
    scorer = _scorer(70, 30, seed, min_score=0.2, penalty=True, n_excluded=70, n_bonus=20)
    cols = np.array([0, 4, 5, 17, 29])
    some = scorer.for_mentors(cols)
    assert np.array_equal(some.score_block(0, 70), scorer.score_block(0, 70)[:, cols])
    assert np.array_equal(some.certify_block(10, 40), scorer.certify_block(10, 40)[:, cols])


def test_row_order_equals_the_three_key_order_on_block_listings():
    from matching.candidates import _order, _row_order

    rng = np.random.default_rng(4)
    block = (rng.integers(0, 40, (300, 120)) * SCORE_QUANTUM * 1000).astype(np.float32)  # many ties
    rr, cc = np.nonzero(block > block.mean())  # listed by (row, column), as a chunk's pass lists them
    vals = as_scores(block[rr, cc])
    assert np.array_equal(_row_order(rr, vals, cc), _order(rr, vals, cc))
    assert _row_order(rr[:0], vals[:0], cc[:0]).size == 0


@pytest.mark.parametrize(("full", "guided"), [(False, False), (False, True), (True, False)])
def test_chunks_on_two_threads_give_the_graph_of_one_thread(monkeypatch, full, guided):
    """Two or three chunks in flight (each selected with thresholds a chunk or two stale) give the graph of one
    at a time. Also with the selection's row slices shrunk to 2 rows (many slices per chunk).
    """
    from matching import candidates

    scorer = _scorer(90, 30, 11, min_score=0.2, penalty=True, n_excluded=40, n_bonus=30, alt=True)
    if guided:
        scorer = scorer.with_prices(quantise(np.random.default_rng(1).random(30) * 0.3, 22))
    monkeypatch.setattr(candidates, "workers", lambda: 2)
    two, two_side = build_graph(scorer, 5, 3, full=full, chunk=8)
    monkeypatch.setattr(candidates, "workers", lambda: 1)
    one, one_side = build_graph(scorer, 5, 3, full=full, chunk=8)
    monkeypatch.setattr(candidates, "workers", lambda: 3)
    three, three_side = build_graph(scorer, 5, 3, full=full)  # and the chunk size three threads get
    monkeypatch.setattr(candidates, "_SELECT_ROWS", 2)
    sliced, sliced_side = build_graph(scorer, 5, 3, full=full, chunk=8)
    assert two.n_edges > 0
    for graph, side in ((one, one_side), (three, three_side), (sliced, sliced_side)):
        for a, b in ((two.indptr, graph.indptr), (two.mentor, graph.mentor), (two.score, graph.score)):
            assert np.array_equal(a, b)
        assert np.array_equal(two_side, side)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    shape=st.tuples(st.integers(0, 7), st.integers(0, 9)),
    dtype=st.sampled_from([np.float32, np.float64]),
    per_column=st.booleans(),
)
def test_forbid_below_is_a_masked_write(seed, shape, dtype, per_column):
    from matching.candidates import forbid_below

    rng = np.random.default_rng(seed)
    s = quantise(rng.random(shape) * 2 - 0.5, 22).astype(dtype)
    s[rng.random(shape) < 0.2] = -np.inf
    limit = (rng.random(shape[1]) if per_column else rng.random()) * 0.8
    limit = np.asarray(limit, dtype=dtype)
    expected = np.where(s < limit, -np.inf, s).astype(dtype)
    got = forbid_below(s, limit)
    assert got is s and got.dtype == dtype
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))  # an allowed 0.0 stays +0.0


def test_graph_is_the_same_when_keys_cannot_be_packed(monkeypatch):
    """Programs too large for one int64 key fall back to lexsort and set membership: the same graphs."""
    from matching import candidates

    scorer = _scorer(90, 30, 13, min_score=0.2, penalty=True, n_excluded=40, n_bonus=30)
    guided = scorer.with_prices(quantise(np.random.default_rng(2).random(30) * 0.3, 22))
    expected = [build_graph(s, 5, 3, full=False, chunk=32)[0] for s in (scorer, guided)]
    monkeypatch.setattr(candidates, "_keys", lambda *args: None)
    for graph, want in zip((build_graph(s, 5, 3, full=False, chunk=32)[0] for s in (scorer, guided)), expected):
        assert np.array_equal(graph.indptr, want.indptr)
        assert np.array_equal(graph.mentor, want.mentor)
        assert np.array_equal(graph.score, want.score)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 6),
    cols=st.integers(1, 400),
    k=st.integers(1, 25),
    ties=st.booleans(),
    forbidden=st.sampled_from([0.0, 0.5, 0.95]),
)
def test_row_and_column_thresholds_are_lower_bounds_of_the_kth_largest(seed, rows, cols, k, ties, forbidden):
    """Each row's bound on a block, and each column's bound on the same block transposed (few columns, many rows)."""
    from matching.candidates import _column_thresholds, _row_thresholds

    k = min(k, cols)
    rng = np.random.default_rng(seed)
    s = (rng.integers(0, 4, (rows, cols)) if ties else rng.random((rows, cols))).astype(np.float32)
    s[rng.random(s.shape) < forbidden] = -np.inf
    kth = -np.sort(-s, axis=1)[:, k - 1]
    for th, exact in (
        (_row_thresholds(s, k), cols // int(2.5 * k) < 8),
        (_column_thresholds(np.ascontiguousarray(s.T), k), cols // int(2.5 * k) < 2),
    ):
        assert np.all(th <= kth)
        assert np.all((s >= th[:, None]).sum(axis=1) >= k)  # every line keeps at least its top k
        if exact:  # short lines: the k-th largest itself
            assert np.array_equal(th, kth)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 8),
    cols=st.integers(1, 300),
    k=st.integers(1, 40),
    ties=st.booleans(),
    forbidden=st.sampled_from([0.0, 0.5, 0.97, 1.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_top_per_row_is_each_rows_best_finite_entries(seed, rows, cols, k, ties, forbidden, dtype):
    from matching.candidates import top_per_row

    rng = np.random.default_rng(seed)
    values = (rng.integers(0, 5, (rows, cols)) / 4 if ties else rng.random((rows, cols))).astype(dtype)
    values[rng.random(values.shape) < forbidden] = -np.inf
    rr, cc = top_per_row(values, k)
    expected_r, expected_c = [], []
    for i in range(rows):
        order = np.argsort(-values[i], kind="stable")[:k]  # value desc, then column
        order = order[np.isfinite(values[i, order])]
        expected_r += [i] * order.size
        expected_c += order.tolist()
    assert rr.tolist() == expected_r and cc.tolist() == expected_c
