"""Per-factor features and their fusion: the fused product equals the weighted sum of the factor values."""

from itertools import chain

import numpy as np
import pytest

from matching import features
from matching.data import DEFAULT_WEIGHTS, FACTORS, NEUTRAL_VALUE, Mentee, Mentor
from matching.features import FORBIDDEN_BELOW, N_LEAD, build_profiles, fuse, quantised_weights
from tests.matching.people import program


def _all_pairs(n, m):
    rows, cols = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return rows.ravel(), cols.ravel()


def _reference(profiles, weights, kept_terms, n, m):
    """The score as the sum of the factors' exact contributions (float64)."""
    rows, cols = _all_pairs(n, m)
    quantised = quantised_weights(weights)
    total = np.zeros(n * m)
    for name in FACTORS:
        columns = kept_terms if name == "aspirations" else None
        total += profiles.factors[name].contributions(quantised[name], rows, cols, columns)
    return total.reshape(n, m)


@pytest.mark.parametrize(("dense_width", "budget"), [(512, 2e6), (24, 0), (12, 300), (7, 1e9)])
@pytest.mark.parametrize(
    ("gemm_density", "in_place"),
    [(0.0, True), (features.GEMM_DENSITY, True), (features.GEMM_DENSITY, False), (1.0, True), (1.0, False)],
)
def test_fused_product_is_the_weighted_sum_of_factor_values(dense_width, budget, gemm_density, in_place, monkeypatch):
    # gemm_density 0: every dense column in the GEMM; 1: only the lead columns, the rest added row by row
    # (in place through scipy's kernel, or by the public product when that kernel is missing).
    monkeypatch.setattr(features, "GEMM_DENSITY", gemm_density)
    if not in_place:
        monkeypatch.setattr(features, "_csr_matvecs", None)
    mentees, mentors = program(120, 40, seed=5)
    profiles = build_profiles(mentees, mentors)
    weights = {"skills": 0.1, "aspirations": 0.4, "performance": 0.2, "language": 0.1, "availability": 0.2}
    (fused,) = fuse(
        profiles,
        [weights],
        np.arange(120),
        np.arange(40),
        language_penalty=False,
        dense_width=dense_width,
        residual_budget=budget,
    )
    assert fused.width <= max(dense_width, N_LEAD)
    density = np.diff(fused.mentee_dense.tocsc().indptr) / 120
    assert np.all(density[N_LEAD : fused.gemm_width] >= gemm_density)
    assert np.all(density[fused.gemm_width :] < gemm_density)
    if gemm_density == 1.0:
        assert fused.gemm_width == N_LEAD < fused.width or fused.width == N_LEAD
    scores = fused.scores(0, 120)
    assert scores.dtype == np.float32
    # Exact: the float32 product equals the float64 sum of the contributions, bit for bit.
    assert np.array_equal(scores, _reference(profiles, weights, fused.kept_terms, 120, 40))
    assert scores.min() >= 0 and scores.max() <= 1
    rows, cols = _all_pairs(120, 40)
    assert np.array_equal(fused.pair_scores(rows, cols), scores.ravel())
    assert np.array_equal(fused.rows_scores(np.array([7, 3])), scores[[7, 3]])
    strided = np.zeros((2, 80), dtype=np.float32)[:, ::2]  # a buffer the in-place kernel cannot write through
    assert np.array_equal(fused.rows_scores(np.array([7, 3]), strided), scores[[7, 3]])


def test_text_budget_only_drops_aspiration_terms():
    mentees, mentors = program(150, 50, seed=2)
    profiles = build_profiles(mentees, mentors)
    (wide,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(150), np.arange(50), language_penalty=False)
    (narrow,) = fuse(
        profiles,
        [DEFAULT_WEIGHTS],
        np.arange(150),
        np.arange(50),
        language_penalty=False,
        dense_width=8,
        residual_budget=0,
    )
    assert narrow.kept_terms.sum() < wide.kept_terms.sum()
    # Dropping terms can only lower the cosine; every other factor stays exact.
    assert np.all(narrow.scores(0, 150) <= wide.scores(0, 150))
    assert np.array_equal(narrow.scores(0, 150), _reference(profiles, DEFAULT_WEIGHTS, narrow.kept_terms, 150, 50))


def test_language_required_sinks_exactly_the_pairs_without_a_shared_language():
    mentees, mentors = program(200, 60, seed=9)
    profiles = build_profiles(mentees, mentors)
    (fused,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(200), np.arange(60), language_penalty=True)
    scores = fused.scores(0, 200)
    language = profiles.factors["language"]
    rows, cols = _all_pairs(200, 60)
    shares = language.values(rows, cols).reshape(200, 60)
    both_known = language.mentee_known[:, None] & language.mentor_known[None, :]
    forbidden = both_known & (shares == 0)
    assert forbidden.any() and (~forbidden).any()
    assert np.all(scores[forbidden] < FORBIDDEN_BELOW)
    assert np.all(scores[~forbidden] >= 0)


def test_second_weight_set_shares_the_columns():
    mentees, mentors = program(80, 30, seed=4)
    profiles = build_profiles(mentees, mentors)
    mentor_side = {"skills": 0.0, "aspirations": 0.0, "performance": 1.0, "language": 0.0, "availability": 0.0}
    first, second = fuse(profiles, [{"skills": 1.0}, mentor_side], np.arange(80), np.arange(30), language_penalty=True)
    assert first.mentor_dense is second.mentor_dense
    rows, cols = _all_pairs(80, 30)
    expected = profiles.factors["performance"].values(rows, cols).reshape(80, 30)
    assert np.array_equal(second.scores(0, 80), expected)


def test_subsets_of_mentees_and_mentors():
    mentees, mentors = program(60, 20, seed=1)
    profiles = build_profiles(mentees, mentors)
    rows, cols = np.array([5, 0, 59]), np.array([3, 19])
    (sub,) = fuse(profiles, [DEFAULT_WEIGHTS], rows, cols, language_penalty=False)
    (full,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(60), np.arange(20), language_penalty=False)
    assert np.array_equal(sub.scores(0, 3), full.scores(0, 60)[np.ix_(rows, cols)])


def _values(mentee, mentor):
    profiles = build_profiles([mentee], [mentor])
    return {name: float(profiles.factors[name].values(np.array([0]), np.array([0]))[0]) for name in FACTORS}


def test_factor_values_by_hand():
    mentee = Mentee(
        "a",
        skills_wanted=("Python", "SQL", "sql "),
        performance={"Quiz": 0.2, "Exam": 0.6},
        languages=("en",),
        availability={10, 11, 12, 13},
    )
    mentor = Mentor(
        "x",
        skills=("python", "Statistics"),
        performance={"Quiz": 0.9, "Exam": 0.5},
        grade=0.8,
        languages=("EN", "fr"),
        availability={12, 13, 14},
    )
    values = _values(mentee, mentor)
    assert values["skills"] == 1 / 2  # "SQL" and "sql " are one skill
    assert values["aspirations"] == NEUTRAL_VALUE  # no text on either side
    # need: Quiz 0.8, Exam 0.4 -> 2/3, 1/3; strength: 0.9, 0.5 (fixed point: within 2^-10)
    assert values["performance"] == pytest.approx(2 / 3 * 0.9 + 1 / 3 * 0.5, abs=2**-10)
    assert values["language"] == 1.0
    assert values["availability"] == 2 / 4


def test_performance_falls_back_to_the_mentors_grade_and_mean():
    mentee = Mentee("a", performance={"Quiz": 0.0, "Lab": 0.5})
    with_grade = Mentor("x", performance={"Quiz": 1.0}, grade=0.4)
    without_grade = Mentor("y", performance={"Quiz": 1.0, "Exam": 0.6})
    # need: Quiz 1.0, Lab 0.5 -> 2/3, 1/3; the mentor has no Lab score: its grade, else its mean area score
    close = {"abs": 2**-10}
    assert _values(mentee, with_grade)["performance"] == pytest.approx(2 / 3 * 1.0 + 1 / 3 * 0.4, **close)
    assert _values(mentee, without_grade)["performance"] == pytest.approx(2 / 3 * 1.0 + 1 / 3 * 0.8, **close)
    # A mentee with only a grade gets the mentor's overall strength; a perfect mentee weighs areas alike.
    assert _values(Mentee("b", grade=0.3), with_grade)["performance"] == pytest.approx(0.4, **close)
    perfect = Mentee("c", performance={"Quiz": 1.0, "Lab": 1.0})
    assert _values(perfect, with_grade)["performance"] == pytest.approx((1.0 + 0.4) / 2, **close)


def test_weights_in_the_arithmetic_keep_their_sum():
    quantised = quantised_weights(DEFAULT_WEIGHTS)
    assert sum(quantised.values()) == 1.0
    for name in FACTORS:
        assert abs(quantised[name] - DEFAULT_WEIGHTS[name]) < 2**-21
        assert quantised[name] * 2**21 == int(quantised[name] * 2**21)
    assert quantised_weights({"skills": 1.0}) == {name: float(name == "skills") for name in FACTORS}


@pytest.mark.parametrize("name", FACTORS)
def test_missing_inputs_are_neutral_on_either_side(name):
    full_mentee = Mentee("a", ("python",), "data science", {"Quiz": 0.3}, 0.5, ("en",), frozenset({1, 2, 3}))
    full_mentor = Mentor("x", ("python",), "data science", {"Quiz": 0.9}, 0.9, ("en",), frozenset({1}))
    empty_mentee, empty_mentor = Mentee("b"), Mentor("y")
    assert _values(empty_mentee, full_mentor)[name] == NEUTRAL_VALUE
    assert _values(full_mentee, empty_mentor)[name] == NEUTRAL_VALUE
    assert _values(empty_mentee, empty_mentor)[name] == NEUTRAL_VALUE
    assert _values(full_mentee, full_mentor)[name] != NEUTRAL_VALUE


def test_empty_availability_counts_as_unknown():
    assert _values(Mentee("a", availability=frozenset()), Mentor("x", availability={1}))["availability"] == 0.5


def test_aspirations_compare_with_the_mentors_skills_too():
    mentee = Mentee("a", aspirations="I dream of robotics")
    assert _values(mentee, Mentor("x", skills=("Robotics",)))["aspirations"] > 0.5
    assert _values(mentee, Mentor("y", about="gardening"))["aspirations"] == 0.0


def test_no_people():
    profiles = build_profiles([], [])
    (fused,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(0), np.arange(0), language_penalty=True)
    assert fused.scores(0, 0).shape == (0, 0)
    profiles = build_profiles([Mentee("a")], [])
    (fused,) = fuse(profiles, [DEFAULT_WEIGHTS], np.arange(1), np.arange(0), language_penalty=False)
    assert fused.scores(0, 1).shape == (1, 0)


def test_profiles_keep_every_raw_score():
    # Regression: derived matrices once shared index arrays with the raw ones and eliminate_zeros() broke both.
    mentees, mentors = program(200, 40, seed=6)
    profiles = build_profiles(mentees, mentors)
    for people, matrix in ((mentees, profiles.mentee_area_scores), (mentors, profiles.mentor_area_scores)):
        for k, person in enumerate(people):
            row = matrix[k]
            got = {profiles.areas[c]: round(v - 1, 12) for c, v in zip(row.indices, row.data)}
            assert got == dict(person.performance)
    text = profiles.text_mentor
    assert np.allclose(np.asarray(text.multiply(text).sum(axis=1)).ravel()[np.diff(text.indptr) > 0], 1.0)


@pytest.mark.parametrize("rows_per_block", [1, 7, 64])
def test_fusing_in_blocks_of_rows_gives_the_same_features(monkeypatch, rows_per_block):
    import matching.features as features_module

    mentees, mentors = program(150, 40, seed=9)
    profiles = build_profiles(mentees, mentors)
    mentor_side = {"skills": 0.1, "aspirations": 0.2, "performance": 0.5, "language": 0.1, "availability": 0.1}
    rows = np.r_[np.arange(149, 60, -1), np.arange(60)]  # any row order

    def fused():
        return fuse(
            profiles, [DEFAULT_WEIGHTS, mentor_side], rows, np.arange(40), language_penalty=True, dense_width=24
        )

    monkeypatch.setattr(features_module, "_FUSE_ROWS", 1 << 20)
    whole = fused()
    monkeypatch.setattr(features_module, "_FUSE_ROWS", rows_per_block)
    blocks = fused()
    for a, b in zip(whole, blocks):
        assert a.mentee_sparse is not None and a.mentee_sparse.nnz  # the sparse part is exercised too
        for x, y in ((a.mentee_dense, b.mentee_dense), (a.mentee_sparse, b.mentee_sparse)):
            assert x.shape == y.shape and x.dtype == y.dtype == np.float32
            for name in ("data", "indices", "indptr"):
                assert np.array_equal(getattr(x, name), getattr(y, name)), name
        assert np.array_equal(a.mentor_dense, b.mentor_dense)
        assert np.array_equal(a.kept_terms, b.kept_terms)
        assert np.array_equal(a.scores(0, 150), b.scores(0, 150))


def test_ranks_within_rows_agree_dense_and_sorted(monkeypatch):
    import matching.features as features_module

    rng = np.random.default_rng(3)
    present = rng.random((300, 12)) < 0.6
    row_of, indices = np.nonzero(present)
    indptr = np.r_[0, np.cumsum(present.sum(axis=1))]
    key = rng.choice([-0.5, -0.25, -0.0, 0.0, -0.75], size=row_of.size)  # many ties, both zeros
    dense = features_module._rank_in_row(key, row_of, indices, indptr, 12)
    monkeypatch.setattr(features_module, "DENSE_RANK_COLUMNS", 0)
    assert np.array_equal(dense, features_module._rank_in_row(key, row_of, indices, indptr, 12))
    for r in range(300):  # each row's entries ranked 0, 1, ... by (key, column)
        at = np.flatnonzero(row_of == r)
        expected = sorted(range(at.size), key=lambda k: (key[at[k]], indices[at[k]]))
        assert dense[at[expected]].tolist() == list(range(at.size))


@pytest.mark.parametrize("ratio", [0, 4, 10**9])  # look up from either side / merge both sides' rows
def test_contributions_are_the_products_of_the_weighted_rows(monkeypatch, ratio):
    import matching.features as features_module

    monkeypatch.setattr(features_module, "LOOKUP_RATIO", ratio)
    mentees, mentors = program(90, 30, seed=4)
    profiles = build_profiles(mentees, mentors)
    rng = np.random.default_rng(8)
    rows, cols = rng.integers(0, 90, 500), rng.integers(0, 30, 500)  # repeated mentees and mentors
    kept = rng.random(profiles.factors["aspirations"].mentee.shape[1]) < 0.7
    for name, weight in chain(zip(FACTORS, (0.25, 0.3, 0.2, 0.0, 0.25)), zip(FACTORS, (0.0, 0.0, 0.0, 0.5, 0.0))):
        factor = profiles.factors[name]
        left = factor.mentee_side(weight, rows)
        if name == "aspirations":
            left = left.multiply(kept[None, :]).tocsr()
        dots = np.asarray(left.multiply(factor.mentor[cols]).sum(axis=1)).ravel()
        if factor.fallback is not None:
            dots += factor.fallback_weight(weight) * factor.fallback[cols]
        known = factor.mentee_known[rows] & factor.mentor_known[cols]
        expected = np.where(known, dots, weight * NEUTRAL_VALUE)
        got = factor.contributions(weight, rows, cols, kept if name == "aspirations" else None)
        assert np.array_equal(got, expected), name


@pytest.mark.parametrize("rows_per_block", [1, 5, 4096])
def test_rounded_need_shares_keep_each_rows_sum(monkeypatch, rows_per_block):
    import matching.features as features_module

    monkeypatch.setattr(features_module, "_FUSE_ROWS", rows_per_block)
    mentees, mentors = program(80, 10, seed=12)
    factor = build_profiles(mentees, mentors).factors["performance"]
    weight = quantised_weights(DEFAULT_WEIGHTS)["performance"]
    rows = np.r_[np.arange(79, 30, -1), np.arange(31), 7]  # any order, repeats
    side = factor.mentee_side(weight, rows)
    scale = 2.0**features_module.NEED_BITS
    assert np.array_equal(side.data * scale, np.rint(side.data * scale))  # fixed point
    has_areas = np.diff(factor.mentee.indptr)[rows] > 0
    sums = np.asarray(side.sum(axis=1)).ravel()
    assert np.array_equal(sums[has_areas], np.full(has_areas.sum(), factor.fallback_weight(weight)))
    # Each row rounds on its own: a subset of rows reads what the whole program's rows hold.
    whole = factor.mentee_side(weight, np.arange(80))
    assert (side != whole[rows]).nnz == 0
    assert list(factor.rounded_shares) == [weight]  # made once for this weight
