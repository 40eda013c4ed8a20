"""``matching.match``: a worked example, constraints as properties, validation, edge cases, determinism."""

import json
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import matching
from matching import (
    FACTORS,
    InvalidInputError,
    MatchConfig,
    Mentee,
    Mentor,
    combine,
    match,
    prepare,
    score_chunk,
)
from matching import engine as engine_module
from tests.matching.people import program

# --------------------------------------------------------------------------------------------------------------
# A worked example, checked by hand
# --------------------------------------------------------------------------------------------------------------

ALICE = Mentee(
    "alice",
    skills_wanted=("Python", "SQL"),
    performance={"Quiz": 0.25, "Exam": 0.75},
    languages=("en",),
    availability={10, 11, 12, 13},
)
BORIS = Mentee("boris", skills_wanted=("sql",), languages=("de", "en"))
XENA = Mentor(
    "xena",
    skills=("python", "Statistics"),
    performance={"Quiz": 1.0, "Exam": 0.5},
    grade=0.75,
    languages=("EN", "fr"),
    availability={12, 13, 14},
)
YVES = Mentor("yves", skills=("SQL", "Python"), languages=("de",))

# Weights that are exact in binary, so every number below is exact (with the default weights the aspiration and
# performance values carry a fixed-point error of about 1e-4, see matching.features).
WEIGHTS = {"skills": 0.25, "aspirations": 0.125, "performance": 0.25, "language": 0.125, "availability": 0.25}
# alice-xena: skills 1/2 (Python), aspirations neutral .5 (no text), performance: needs .75/.25 -> 3/4, 1/4 of
#   strengths 1.0 (Quiz) and .5 (Exam) = .875, language 1 (en), availability 2/4 = .5
#   = .125 + .0625 + .21875 + .125 + .125 = .65625
# alice-yves: skills 1, aspirations .5, performance neutral (yves has none), language 0, availability neutral
#   = .25 + .0625 + .125 + 0 + .125 = .5625
# boris-xena: skills 0, aspirations .5, performance neutral (boris has none), language 1, availability neutral
#   = 0 + .0625 + .125 + .125 + .125 = .4375
# boris-yves: skills 1, .5, .5, language 1 (de), .5 = .25 + .0625 + .125 + .125 + .125 = .6875
# Optimal: alice-xena + boris-yves = 1.34375 beats alice-yves + boris-xena = 1.0.
HAND = {("alice", "xena"): 0.65625, ("alice", "yves"): 0.5625, ("boris", "xena"): 0.4375, ("boris", "yves"): 0.6875}


def _pairs(result):
    return {(m.mentee_id, m.mentor_id) for m in result.matches}


def test_worked_example_by_hand():
    result = match([ALICE, BORIS], [XENA, YVES], MatchConfig(weights=WEIGHTS))
    assert _pairs(result) == {("alice", "xena"), ("boris", "yves")}
    by_pair = {(m.mentee_id, m.mentor_id): m for m in result.matches}
    alice = by_pair["alice", "xena"]
    assert alice.score == HAND["alice", "xena"]
    values = {f.factor: f.value for f in alice.factors}
    assert values == {"skills": 0.5, "aspirations": 0.5, "performance": 0.875, "language": 1.0, "availability": 0.5}
    assert [f.contribution for f in alice.factors] == [0.125, 0.0625, 0.21875, 0.125, 0.125]
    neutral = {f.factor for f in alice.factors if f.neutral}
    assert neutral == {"aspirations"}
    assert [f.factor for f in alice.factors] == list(FACTORS)
    assert alice.evidence.shared_skills == ("Python",)
    assert alice.evidence.shared_languages == ("en",)
    assert alice.evidence.overlapping_hours == 2
    assert [(a.area, a.mentee_score, a.mentor_score) for a in alice.evidence.complementary_areas] == [
        ("Quiz", 0.25, 1.0)
    ]
    assert alice.evidence.shared_terms == ()
    boris = by_pair["boris", "yves"]
    assert boris.score == HAND["boris", "yves"]
    assert {f.factor for f in boris.factors if f.neutral} == {"aspirations", "performance", "availability"}
    assert result.stats.total_score == 1.34375
    assert result.stats.n_matched == 2 and result.stats.min_score == 0.65625
    assert result.stats.certified_gap == 0.0
    assert set(result.stats.seconds) == {"features", "candidates", "assignment", "certify", "explain"}


def test_worked_example_with_default_weights():
    result = match([ALICE, BORIS], [XENA, YVES])
    assert _pairs(result) == {("alice", "xena"), ("boris", "yves")}
    # .3 x .5 + .2 x .5 + .2 x .875 + .15 + .15 x .5 = .65 and .3 + .1 + .1 + .15 + .075 = .725 (to ~1e-4)
    assert {m.mentee_id: m.score for m in result.matches} == pytest.approx({"alice": 0.65, "boris": 0.725}, abs=2e-4)
    for m in result.matches:
        assert sum(f.contribution for f in m.factors) == m.score


def test_worked_example_constraints():
    # Alice shares no language with yves; both optimal pairs share one, so requiring it changes nothing.
    result = match([ALICE, BORIS], [XENA, YVES], MatchConfig(weights=WEIGHTS, language_required=True))
    assert _pairs(result) == {("alice", "xena"), ("boris", "yves")}
    # A minimum score of .66 leaves only boris-yves; alice's best possible score is .65625.
    result = match([ALICE, BORIS], [XENA, YVES], MatchConfig(weights=WEIGHTS, min_score=0.66))
    assert _pairs(result) == {("boris", "yves")}
    (unmatched,) = result.unmatched
    assert unmatched.mentee_id == "alice" and unmatched.reason == "below_min_score"
    assert "0.656" in unmatched.detail
    # Excluding the best pair and pinning the worst.
    config = MatchConfig(weights=WEIGHTS, excluded=[("boris", "yves")], pinned=[("alice", "yves")])
    result = match([ALICE, BORIS], [XENA, YVES], config)
    assert _pairs(result) == {("alice", "yves"), ("boris", "xena")}
    assert [m.pinned for m in result.matches] == [True, False]
    assert result.stats.n_pinned == 1
    pinned = result.matches[0]
    assert pinned.score == HAND["alice", "yves"]
    assert result.matches[1].score == HAND["boris", "xena"]
    assert next(f for f in pinned.factors if f.factor == "language").note == "They share no language."


def test_weights_change_the_choice():
    # With language alone counting, both pairs share a language with xena, boris also with yves.
    result = match([ALICE, BORIS], [XENA, YVES], MatchConfig(weights={"language": 1.0}))
    assert _pairs(result) == {("alice", "xena"), ("boris", "yves")}
    match_ = next(iter(result.matches))
    assert [f.weight for f in match_.factors] == [0.0, 0.0, 0.0, 1.0, 0.0]
    assert all(f.contribution == 0 for f in match_.factors if f.factor != "language")


# --------------------------------------------------------------------------------------------------------------
# Constraints as properties, on random programs
# --------------------------------------------------------------------------------------------------------------


def _random_config(draw, mentees, mentors):
    ids_e = [m.id for m in mentees]
    ids_r = [m.id for m in mentors]
    pairs = st.tuples(st.sampled_from(ids_e), st.sampled_from(ids_r)) if ids_e and ids_r else st.nothing()
    excluded = draw(st.lists(pairs, max_size=10)) if ids_e and ids_r else []
    pinned = []
    if ids_e and ids_r:
        load = dict.fromkeys(ids_r, 0)
        caps = {m.id: m.capacity for m in mentors}
        for mentee_id, mentor_id in draw(st.lists(pairs, max_size=3)):
            if mentee_id in {p[0] for p in pinned} or (mentee_id, mentor_id) in excluded:
                continue
            if load[mentor_id] < caps[mentor_id]:
                load[mentor_id] += 1
                pinned.append((mentee_id, mentor_id))
    return MatchConfig(
        strategy=draw(st.sampled_from(["optimal", "stable"])),
        objective=draw(st.sampled_from(["score", "coverage"])),
        min_score=draw(st.sampled_from([0.0, 0.3, 0.5])),
        language_required=draw(st.booleans()),
        excluded=excluded,
        pinned=pinned,
        mentor_weights=draw(st.sampled_from([None, {"performance": 1.0}])),
    )


@st.composite
def programs(draw):
    n = draw(st.integers(0, 40))
    m = draw(st.integers(0, 12))
    mentees, mentors = program(n, m, seed=draw(st.integers(0, 10_000)), capacity=(0, 4))
    return mentees, mentors, _random_config(draw, mentees, mentors)


def _check_result(mentees, mentors, config, result):
    capacity = {m.id: m.capacity for m in mentors}
    load = dict.fromkeys(capacity, 0)
    seen = set()
    for m in result.matches:
        assert m.mentee_id not in seen  # each mentee at most once
        seen.add(m.mentee_id)
        load[m.mentor_id] += 1
        assert (m.mentee_id, m.mentor_id) not in config.excluded
        assert m.mentee_id != m.mentor_id
        assert sum(f.contribution for f in m.factors) == pytest.approx(m.score, abs=1e-12)
        assert sum(f.weight for f in m.factors) == pytest.approx(1.0)
        for f in m.factors:
            assert 0.0 <= f.value <= 1.0
            assert f.contribution == pytest.approx(f.weight * f.value, abs=1e-6)
        if not m.pinned:
            assert m.score >= config.min_score
            if config.language_required:
                lang = next(f for f in m.factors if f.factor == "language")
                assert lang.neutral or lang.value == 1.0
    assert all(load[j] <= capacity[j] for j in capacity)  # capacities never exceeded
    pinned = {(m.mentee_id, m.mentor_id) for m in result.matches if m.pinned}
    assert pinned == set(config.pinned)
    unmatched = {u.mentee_id for u in result.unmatched}
    assert unmatched | seen == {m.id for m in mentees} and not unmatched & seen
    for u in result.unmatched:
        assert u.reason in matching.UNMATCHED_REASONS and u.detail
    assert result.stats.n_matched == len(result.matches)
    assert result.stats.total_score == pytest.approx(sum(m.score for m in result.matches))
    json.dumps(result.to_dict())


@settings(max_examples=40, deadline=None)
@given(programs())
def test_constraints_hold_on_random_programs(case):
    mentees, mentors, config = case
    _check_result(mentees, mentors, config, match(mentees, mentors, config))


def _dense_scores(mentees, mentors, config):
    """The solver's score of every pair (-inf when forbidden), from the engine's own scorer."""
    problem = prepare(mentees, mentors, config)
    return problem, problem.scorer.score_block(0, problem.n_rows)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), m=st.integers(1, 8), min_score=st.sampled_from([0, 0.4]))
def test_optimal_total_equals_scipy_on_slots(seed, n, m, min_score):
    mentees, mentors = program(n, m, seed=seed, capacity=(0, 3))
    config = MatchConfig(min_score=min_score)
    problem, scores = _dense_scores(mentees, mentors, config)
    caps = problem.remaining[problem.active]
    slots = np.repeat(np.arange(caps.size), caps)
    # Slot expansion, only here as a cross-check: unmatched = a dummy column of value 0 per mentee.
    gain = np.where(np.isfinite(scores), scores, -1e9)[:, slots]
    gain = np.hstack([gain, np.zeros((n, n))])
    rows, cols = linear_sum_assignment(-gain)
    best = gain[rows, cols].sum()
    result = match(mentees, mentors, config)
    assert result.stats.total_score == pytest.approx(best, abs=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), m=st.integers(1, 8))
def test_stable_has_no_blocking_pair(seed, n, m):
    mentees, mentors = program(n, m, seed=seed, capacity=(1, 3))
    config = MatchConfig(strategy="stable", mentor_weights={"performance": 0.6, "skills": 0.4})
    result = match(mentees, mentors, config)
    problem = prepare(mentees, mentors, config)
    mentee_side = problem.scorer.score_block(0, problem.n_rows)
    mentor_side = problem.scorer.alt.scores(0, problem.n_rows).astype(np.float64)
    row = {mentees[i].id: r for r, i in enumerate(problem.free.tolist())}
    col = {mentors[j].id: c for c, j in enumerate(problem.active.tolist())}
    assigned = {row[m.mentee_id]: col[m.mentor_id] for m in result.matches}
    held = {c: [] for c in col.values()}
    for r, c in assigned.items():
        held[c].append(r)
    caps = problem.remaining[problem.active]
    for r in range(problem.n_rows):
        mine = assigned.get(r)
        for c in range(caps.size):
            if not np.isfinite(mentee_side[r, c]) or c == mine:
                continue
            wants = mine is None or (mentee_side[r, c], -c) > (mentee_side[r, mine], -mine)
            if not wants:
                continue
            # Mentor c would take r if it has room or prefers r to someone it holds (ties by index).
            worst = min(held[c], key=lambda x: (mentor_side[x, c], -x), default=None)
            room = len(held[c]) < caps[c]
            prefers = worst is not None and (mentor_side[r, c], -r) > (mentor_side[worst, c], -worst)
            assert not (room or prefers), ("blocking pair", r, c)


def test_pruned_graph_path(monkeypatch):
    # Force the top-K path on a small program (the full graph is used up to FULL_GRAPH_PAIRS pairs).
    monkeypatch.setattr(matching.candidates, "FULL_GRAPH_PAIRS", 0)
    mentees, mentors = program(300, 30, seed=3, capacity=(5, 12))
    config = MatchConfig(top_k=3, reverse_top_r=2, certify=False, min_score=0.2)
    problem = prepare(mentees, mentors, config)
    assert not problem.full
    result = match(mentees, mentors, config)
    _check_result(mentees, mentors, config, result)
    assert result.stats.certified_gap is None
    stable = MatchConfig(strategy="stable", top_k=2, reverse_top_r=1, min_score=0.2)
    _check_result(mentees, mentors, stable, match(mentees, mentors, stable))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), top_k=st.integers(1, 4), ranked=st.booleans())
def test_stable_with_lazily_extended_lists_is_the_full_lists_matching(seed, top_k, ranked):
    """Deferred acceptance's outcome does not depend on how the lists grow: short top-K lists extended on demand
    (each extension doubling what a mentee had) give the matching of the full lists, with mentees' own rankings
    (proposed to first) or without."""
    mentees, mentors = program(120, 12, seed=seed, capacity=(1, 8))
    if ranked:  # a third of the mentees rank two or three mentors
        rng = np.random.default_rng(seed)
        ids = [p.id for p in mentors]
        mentees = [
            replace(p, preferences=tuple(rng.choice(ids, size=int(rng.integers(2, 4)), replace=False).tolist()))
            if rng.random() < 1 / 3
            else p
            for p in mentees
        ]
    config = MatchConfig(
        strategy="stable", top_k=top_k, reverse_top_r=1, mentor_weights={"performance": 0.7, "skills": 0.3}
    )
    full = match(mentees, mentors, config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching.candidates, "FULL_GRAPH_PAIRS", 0)
        assert not prepare(mentees, mentors, config).full
        lazy = match(mentees, mentors, config)
    assert _pairs(lazy) == _pairs(full)
    assert [m.score for m in lazy.matches] == [m.score for m in full.matches]


def test_certification_stops_once_the_total_is_proven_close_enough(monkeypatch):
    """On a pruned program whose top-K graph misses better pairs, certification adds them until the certified
    gap is within ``CERTIFIED_GAP``; with any gap good enough, it only measures it."""
    from matching import certify, engine

    monkeypatch.setattr(matching.candidates, "FULL_GRAPH_PAIRS", 0)
    monkeypatch.setattr(engine, "PRICE_GUIDED", False)  # the plain top-K graph: far from the optimum
    mentees, mentors = program(300, 30, seed=3, capacity=(5, 12))
    config = MatchConfig(top_k=2, reverse_top_r=1, min_score=0.2)
    rounds = []
    solve = certify._solve
    monkeypatch.setattr(certify, "_solve", lambda *a: rounds.append(1) or solve(*a))
    closed = match(mentees, mentors, config)
    good_enough = engine.CERTIFIED_GAP
    assert rounds and 0.0 <= closed.stats.certified_gap <= good_enough
    rounds.clear()
    monkeypatch.setattr(engine, "CERTIFIED_GAP", float("inf"))
    measured = match(mentees, mentors, config)
    assert not rounds
    assert measured.stats.certified_gap > good_enough * 1000  # a real gap, measured, not closed
    assert measured.stats.total_score < closed.stats.total_score
    plain = match(mentees, mentors, MatchConfig(top_k=2, reverse_top_r=1, min_score=0.2, certify=False))
    assert plain.to_dict()["matches"] == measured.to_dict()["matches"]


# --------------------------------------------------------------------------------------------------------------
# Unmatched reasons
# --------------------------------------------------------------------------------------------------------------


def _reason(mentees, mentors, config=None):
    result = match(mentees, mentors, config)
    return {u.mentee_id: u.reason for u in result.unmatched}


def test_unmatched_reasons():
    mentee = Mentee("a", languages=("en",))
    assert _reason([mentee], []) == {"a": "no_mentors"}
    assert _reason([mentee], [Mentor("x")], MatchConfig(excluded=[("a", "x")])) == {"a": "all_excluded"}
    assert _reason([mentee], [Mentor("a")]) == {"a": "all_excluded"}  # the same person on both sides
    german = Mentor("x", languages=("de",))
    assert _reason([mentee], [german], MatchConfig(language_required=True)) == {"a": "no_shared_language"}
    assert _reason([mentee], [german]) == {}  # not required: matched anyway
    assert _reason([mentee], [german], MatchConfig(min_score=0.9)) == {"a": "below_min_score"}
    assert _reason([mentee], [Mentor("x", capacity=0)]) == {"a": "mentors_at_capacity"}
    two = [mentee, Mentee("b", languages=("en",))]
    assert _reason(two, [Mentor("x", languages=("en",))]) == {"b": "mentors_at_capacity"}


def test_unmatched_after_pinning_fills_the_mentor():
    config = MatchConfig(pinned=[("b", "x")])
    result = match([Mentee("a"), Mentee("b")], [Mentor("x")], config)
    assert _pairs(result) == {("b", "x")}
    assert [(u.mentee_id, u.reason) for u in result.unmatched] == [("a", "mentors_at_capacity")]


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentees", "mentors", "config", "person", "field"),
    [
        ([Mentee("a"), Mentee("a")], [], None, "a", "id"),
        ([], [Mentor("x"), Mentor("x")], None, "x", "id"),
        ([Mentee("a")], [Mentor("x")], MatchConfig(pinned=[("zz", "x")]), "zz", "pinned"),
        ([Mentee("a")], [Mentor("x")], MatchConfig(pinned=[("a", "zz")]), "zz", "pinned"),
        ([Mentee("a")], [Mentor("x", capacity=2)], MatchConfig(pinned=[("a", "x"), ("a", "x")]), "a", "pinned"),
        (
            [Mentee("a")],
            [Mentor("x")],
            MatchConfig(pinned=[("a", "x")], excluded=[("a", "x")]),
            "a",
            "pinned",
        ),
        ([Mentee("a")], [Mentor("a")], MatchConfig(pinned=[("a", "a")]), "a", "pinned"),
        ([Mentee("a"), Mentee("b")], [Mentor("x")], MatchConfig(pinned=[("a", "x"), ("b", "x")]), "x", "capacity"),
        (["a"], [], None, None, "mentees"),
        ([], [Mentee("a")], None, None, "mentors"),
    ],
)
def test_invalid_inputs(mentees, mentors, config, person, field):
    with pytest.raises(InvalidInputError) as caught:
        match(mentees, mentors, config)
    assert caught.value.person_id == person and caught.value.field == field


def test_invalid_config_type():
    with pytest.raises(InvalidInputError):
        match([], [], {"strategy": "optimal"})


# --------------------------------------------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------------------------------------------


def test_no_mentees_no_mentors():
    for mentees, mentors in (([], []), ([], [Mentor("x")]), ([Mentee("a")], [])):
        for strategy in ("optimal", "stable"):
            result = match(mentees, mentors, MatchConfig(strategy=strategy))
            assert result.matches == ()
            assert len(result.unmatched) == len(mentees)
            assert result.stats.mean_score == 0.0 and result.stats.total_score == 0.0


def test_all_capacities_zero_and_one_mentor():
    mentees, mentors = program(20, 5, seed=1)
    zero = [Mentor(m.id, capacity=0, skills=m.skills) for m in mentors]
    result = match(mentees, zero)
    assert result.matches == () and {u.reason for u in result.unmatched} == {"mentors_at_capacity"}
    one = [Mentor("solo", capacity=3, skills=("python",))]
    for strategy in ("optimal", "stable"):
        result = match(mentees, one, MatchConfig(strategy=strategy))
        assert result.stats.n_matched == 3 and len(result.unmatched) == 17


def test_empty_profiles_are_neutral_everywhere():
    result = match([Mentee("a")], [Mentor("x")])
    (m,) = result.matches
    assert m.score == 0.5 and all(f.neutral and f.value == 0.5 for f in m.factors)
    assert all("neutral" in f.note for f in m.factors)


def test_long_and_non_latin_texts():
    long_text = ("machine learning for climate science " * 300)[:10_000]
    mentees = [
        Mentee("a", aspirations=long_text),
        Mentee("b", aspirations="Хочу изучать машинное обучение и анализ данных"),
        Mentee("c", aspirations="我想学习机器学习和数据分析"),
        Mentee("d", aspirations="أريد تعلم تحليل البيانات"),
    ]
    mentors = [
        Mentor("w", about="Climate scientist, machine learning practitioner"),
        Mentor("x", about="Преподаю машинное обучение"),
        Mentor("y", about="我教机器学习"),
        Mentor("z", about="خبير في تحليل البيانات"),
    ]
    result = match(mentees, mentors, MatchConfig(weights={"aspirations": 1.0}))
    assert _pairs(result) == {("a", "w"), ("b", "x"), ("c", "y"), ("d", "z")}
    by_mentee = {m.mentee_id: m for m in result.matches}
    assert "машинное" in by_mentee["b"].evidence.shared_terms
    assert "机器" in by_mentee["c"].evidence.shared_terms
    assert "تحليل" in by_mentee["d"].evidence.shared_terms
    assert all(m.score > 0 for m in result.matches)


def test_preferences_break_near_ties():
    mentees = [Mentee("a", preferences=("y", "unknown-id"))]
    mentors = [Mentor("x"), Mentor("y")]  # identical: a tie
    assert _pairs(match(mentees, mentors)) == {("a", "y")}
    assert _pairs(match([Mentee("a")], mentors)) == {("a", "x")}  # without preferences, ties go to the index
    assert _pairs(match(mentees, mentors, MatchConfig(strategy="stable"))) == {("a", "y")}
    # The bonus never shows in the reported score.
    assert match(mentees, mentors).matches[0].score == 0.5


def test_preferences_do_not_override_clear_differences():
    mentees = [Mentee("a", skills_wanted=("python",), preferences=("y",))]
    mentors = [Mentor("x", skills=("python",)), Mentor("y", skills=("cooking",))]
    assert _pairs(match(mentees, mentors)) == {("a", "x")}
    assert _pairs(match(mentees, mentors, MatchConfig(strategy="stable"))) == {("a", "y")}  # its own ranking


# --------------------------------------------------------------------------------------------------------------
# Determinism and staging
# --------------------------------------------------------------------------------------------------------------


def _comparable(result):
    data = result.to_dict()
    data["stats"].pop("seconds")
    return data


def test_same_input_same_output():
    mentees, mentors = program(120, 20, seed=8, capacity=(1, 5))
    for strategy in ("optimal", "stable"):
        config = MatchConfig(strategy=strategy, min_score=0.3, language_required=True)
        first = match(mentees, mentors, config)
        again = match(list(mentees), tuple(mentors), config)
        assert _comparable(first) == _comparable(again)


def test_identical_people_are_matched_in_input_order():
    mentees = [Mentee(f"e{i}") for i in range(6)]
    mentors = [Mentor("x", capacity=2), Mentor("y", capacity=2)]
    result = match(mentees, mentors)
    assert [m.mentee_id for m in result.matches] == ["e0", "e1", "e2", "e3"]
    assert [u.mentee_id for u in result.unmatched] == ["e4", "e5"]


@pytest.mark.parametrize("strategy", ["optimal", "stable"])
def test_staged_scoring_equals_match(strategy, monkeypatch):
    monkeypatch.setattr(matching.candidates, "FULL_GRAPH_PAIRS", 0)
    mentees, mentors = program(200, 25, seed=4, capacity=(4, 10))
    config = MatchConfig(strategy=strategy, top_k=4, reverse_top_r=2, certify=False, min_score=0.25)
    problem = prepare(mentees, mentors, config)
    cuts = [0, 37, 38, 120, problem.n_rows]
    partials = [score_chunk(problem, lo, hi) for lo, hi in pairwise(cuts)]
    assert _comparable(combine(problem, partials)) == _comparable(match(mentees, mentors, config))


def test_combine_leaves_the_callers_partials_intact():
    """``match`` lets the solver free the scored chunks; ``combine`` must not touch the caller's list."""
    mentees, mentors = program(120, 15, seed=6, capacity=(4, 10))
    problem = prepare(mentees, mentors, MatchConfig())
    partials = [score_chunk(problem, 0, 50), score_chunk(problem, 50, problem.n_rows)]
    sizes = [{k: v.size for k, v in p.items()} for p in partials]
    first = _comparable(combine(problem, partials))
    assert [{k: v.size for k, v in p.items()} for p in partials] == sizes
    assert _comparable(combine(problem, partials)) == first == _comparable(match(mentees, mentors, MatchConfig()))


def test_gc_state_is_restored():
    import gc

    gc.disable()
    try:
        match([Mentee("a")], [Mentor("x")])
        assert not gc.isenabled()
    finally:
        gc.enable()
    match([Mentee("a")], [Mentor("x")])
    assert gc.isenabled()


def test_public_api():
    for name in ("match", "prepare", "score_chunk", "combine", "Mentee", "Mentor", "MatchConfig", "MatchResult"):
        assert name in matching.__all__ and hasattr(matching, name)
    assert engine_module.PREFERENCE_BONUS < 0.01
