"""Explanations: contributions sum to the solver's score exactly; evidence comes from the people's own data."""

from itertools import pairwise

import numpy as np

from matching.data import DEFAULT_WEIGHTS, FACTORS, AreaEvidence, Evidence, FactorScore, Mentee, Mentor
from matching.engine import prepare
from matching.explain import MAX_AREAS, MAX_TERMS, _instances, explain
from matching.features import build_profiles
from matching.text import normalise_tag, tokenize
from tests.matching.people import program


def _explained(n=200, m=40, seed=6, weights=DEFAULT_WEIGHTS):
    mentees, mentors = program(n, m, seed=seed)
    rng = np.random.default_rng(seed)
    rows = np.arange(n)
    cols = rng.integers(0, m, size=n)
    profiles = build_profiles(mentees, mentors)
    matches = explain(
        profiles, weights, mentees, mentors, mentee_idx=rows, mentor_idx=cols, pinned=np.zeros(n, dtype=bool)
    )
    return mentees, mentors, rows, cols, matches


def test_contributions_sum_exactly_to_the_solvers_score():
    mentees, mentors = program(150, 30, seed=2)
    problem = prepare(mentees, mentors)
    rows = np.arange(150)
    cols = np.random.default_rng(2).integers(0, 30, size=150)
    solver = problem.fused[0].pair_scores(rows, cols).astype(np.float64)
    matches = explain(
        problem.profiles,
        problem.config.mentee_weights,
        mentees,
        mentors,
        mentee_idx=rows,
        mentor_idx=cols,
        pinned=np.zeros(150, dtype=bool),
        kept_terms=problem.fused[0].kept_terms,
    )
    for match, score in zip(matches, solver.tolist()):
        assert match.score == score
        assert sum(f.contribution for f in match.factors) == match.score
        assert [f.factor for f in match.factors] == list(FACTORS)
        for f in match.factors:
            assert 0 <= f.value <= 1
            assert abs(f.contribution - f.weight * f.value) < 5e-7
            assert f.neutral == (f.value == 0.5 and "neutral" in f.note)


def test_evidence_comes_from_the_people():
    mentees, mentors, rows, cols, matches = _explained()
    for i, j, match in zip(rows.tolist(), cols.tolist(), matches):
        mentee, mentor = mentees[i], mentors[j]
        assert (match.mentee_id, match.mentor_id) == (mentee.id, mentor.id)
        wanted = {normalise_tag(s) for s in mentee.skills_wanted}
        offered = {normalise_tag(s) for s in mentor.skills}
        assert {normalise_tag(s) for s in match.evidence.shared_skills} == wanted & offered
        mentee_terms = set(tokenize(mentee.aspirations))
        mentor_terms = set(tokenize(mentor.about)) | set(tokenize(" ; ".join(mentor.skills)))
        shared = mentee_terms & mentor_terms
        assert set(match.evidence.shared_terms) <= shared
        assert len(match.evidence.shared_terms) == min(len(shared), MAX_TERMS)
        assert match.evidence.overlapping_hours == len((mentee.availability or set()) & (mentor.availability or set()))
        assert set(match.evidence.shared_languages) == {normalise_tag(x) for x in mentee.languages} & {
            normalise_tag(x) for x in mentor.languages
        }
        areas = match.evidence.complementary_areas
        assert len(areas) <= MAX_AREAS
        stronger = {a for a, v in mentee.performance.items() if a in mentor.performance and mentor.performance[a] > v}
        if len(stronger) <= MAX_AREAS:
            assert {a.area for a in areas} == stronger
        else:
            assert {a.area for a in areas} < stronger and len(areas) == MAX_AREAS
        for a in areas:
            assert a.mentee_score == mentee.performance[a.area] and a.mentor_score == mentor.performance[a.area]
        usefulness = [(1 - a.mentee_score) * a.mentor_score for a in areas]
        assert usefulness == sorted(usefulness, reverse=True)


def test_notes_say_why():
    mentees = [Mentee("a", skills_wanted=("python", "sql"), languages=("en",), availability={1, 2})]
    mentors = [Mentor("x", skills=("Python",), languages=("en", "fr"), availability={2, 3}, about="x")]
    profiles = build_profiles(mentees, mentors)
    (match,) = explain(
        profiles,
        DEFAULT_WEIGHTS,
        mentees,
        mentors,
        mentee_idx=np.array([0]),
        mentor_idx=np.array([0]),
        pinned=np.array([True]),
    )
    notes = {f.factor: f.note for f in match.factors}
    assert notes["skills"] == "The mentor offers 1 of the 2 skills the mentee wants."
    assert notes["language"] == "They share en."
    assert notes["availability"] == "They are both available 1 of the mentee's 2 weekly hours."
    assert notes["aspirations"].startswith("The mentee wrote no aspirations")
    assert notes["performance"].startswith("The mentee has no course performance yet")
    assert match.pinned


def test_fast_construction_builds_equal_objects():
    made = _instances(
        FactorScore,
        2,
        factor=["a", "b"],
        weight=[0.1, 0.2],
        value=[1.0, 0.0],
        contribution=[0.1, 0.0],
        neutral=[False, True],
        note=["x", "y"],
    )
    assert made == [FactorScore("a", 0.1, 1.0, 0.1, False, "x"), FactorScore("b", 0.2, 0.0, 0.0, True, "y")]
    (evidence,) = _instances(
        Evidence,
        1,
        shared_skills=[("s",)],
        complementary_areas=[(AreaEvidence("q", 0, 1),)],
        overlapping_hours=[3],
        shared_languages=[()],
        shared_terms=[("t",)],
    )
    assert evidence == Evidence(("s",), (AreaEvidence("q", 0, 1),), 3, (), ("t",))
    assert hash(evidence) == hash(Evidence(("s",), (AreaEvidence("q", 0, 1),), 3, (), ("t",)))


def test_nothing_to_explain():
    profiles = build_profiles([], [])
    empty = np.zeros(0, dtype=np.int64)
    assert explain(profiles, DEFAULT_WEIGHTS, [], [], mentee_idx=empty, mentor_idx=empty, pinned=empty) == []


def test_grouping_is_by_exact_bits_and_keeps_first_positions():
    from matching.explain import _bits, _group

    floats = np.array([0.5, -0.0, 0.5, 0.0, 0.5, np.nan, np.nan])
    notes = np.array([1, 0, 2, 0, 1, 3, 3])
    firsts, inverse = _group(_bits(floats), notes)
    keys = [(f.hex(), n) for f, n in zip(floats.tolist(), notes.tolist())]
    expected = list(dict.fromkeys(keys))  # first-seen order
    assert sorted(firsts.tolist()) == [keys.index(k) for k in expected]
    for k, group in zip(keys, inverse.tolist()):
        assert keys[firsts[group]] == k  # every pair maps to a group holding exactly its key
    assert len(set(inverse.tolist())) == len(expected) == 5  # -0.0 and 0.0 apart, NaN with NaN


def test_language_sets_are_shared_and_any_number_of_labels_works():
    import scipy.sparse as sp

    from matching.explain import _languages

    rng = np.random.default_rng(4)
    for n_labels in (5, 52, 53, 70):
        labels = tuple(f"l{k}" for k in range(n_labels))
        dense = rng.random((300, n_labels)) < 3 / n_labels
        dense[:40] = dense[40:80]  # repeated sets
        shared, (ids, texts) = _languages(sp.csr_matrix(dense.astype(float)), labels)
        assert shared == [tuple(labels[c] for c in np.flatnonzero(row)) for row in dense]
        assert [texts[k] for k in ids.tolist()] == [
            f"They share {', '.join(x)}." if x else "They share no language." for x in shared
        ]


def test_terms_note_cites_the_first_three_shared_terms():
    from matching.explain import _terms_notes

    labels = ("a", "b", "c", "d", "e")
    rows = [[], [3], [4, 0], [2, 1, 0], [1, 2, 3, 4, 0], [3]]
    cols = np.array([c for row in rows for c in row], dtype=np.int64)
    ptr = np.cumsum([0] + [len(row) for row in rows])
    ids, texts = _terms_notes(cols, ptr, labels)
    got = [texts[k] for k in ids.tolist()]
    head = "The mentee's aspirations and the mentor's profile"
    assert got == [
        f"{head} have no words in common.",
        f"{head} share terms such as d.",
        f"{head} share terms such as e, a.",
        f"{head} share terms such as c, b, a.",
        f"{head} share terms such as b, c, d.",
        f"{head} share terms such as d.",
    ]
    assert ids[1] == ids[5]


def test_area_evidence_ties_and_performance_notes():
    mentees = [
        Mentee("tie", performance={"Lab": 0.5, "Exam": 0.5, "Quiz": 0.9}),
        Mentee("strong", performance={"Lab": 1.0, "Exam": 0.95}),
        Mentee("apart", performance={"Project": 0.2}),
        Mentee("grade", grade=0.5),
    ]
    mentors = [Mentor("x", performance={"Exam": 0.9, "Lab": 0.9, "Quiz": 0.8, "Project": 0.0}, about="x")]
    profiles = build_profiles(mentees, [mentors[0]])
    matches = explain(
        profiles,
        DEFAULT_WEIGHTS,
        mentees,
        mentors,
        mentee_idx=np.arange(4),
        mentor_idx=np.zeros(4, dtype=np.int64),
        pinned=np.zeros(4, dtype=bool),
    )
    tie, strong, apart, _ = matches
    # Equal usefulness: the area seen first (the mentee's "Lab") comes first.
    assert [(a.area, a.mentee_score, a.mentor_score) for a in tie.evidence.complementary_areas] == [
        ("Lab", 0.5, 0.9),
        ("Exam", 0.5, 0.9),
    ]
    notes = {m.mentee_id: m.factors[FACTORS.index("performance")].note for m in matches}
    assert notes["tie"] == (
        "The mentor is stronger in 2 of the 3 areas they both have scores for, most usefully in Lab."
    )
    assert notes["strong"] == "The mentor is not stronger than the mentee in the 2 areas they both have scores for."
    assert notes["apart"] == "The mentor is not stronger than the mentee in the 1 areas they both have scores for."
    assert notes["grade"] == "The mentee has only an overall grade, so the mentor's overall strength counts."
    assert strong.evidence.complementary_areas == apart.evidence.complementary_areas == ()


def test_equal_factor_scores_are_one_object():
    *_, matches = _explained()
    for k in range(len(FACTORS)):
        seen = {}
        for match in matches:
            score = match.factors[k]
            assert seen.setdefault(score, score) is score


def test_dense_and_sparse_area_evidence_agree():
    from matching.explain import _areas

    rng = np.random.default_rng(11)
    areas = [f"area {k}" for k in range(12)]
    grid = np.round(np.linspace(0, 1, 6), 2)  # coarse scores: many ties, zeros and ones

    def performance():
        chosen = rng.choice(areas, size=int(rng.choice([0, 3, 10, 12])), replace=False)
        return {a: float(rng.choice(grid)) for a in chosen}

    mentees = [Mentee(f"e{i}", performance=performance(), grade=0.5 if i % 7 == 0 else None) for i in range(300)]
    mentors = [Mentor(f"r{j}", performance=performance(), about="x") for j in range(30)]
    profiles = build_profiles(mentees, mentors)
    rows = np.arange(300)
    cols = rng.integers(0, 30, size=300)
    dense = _areas(profiles, rows, cols, dense=True)
    sparse = _areas(profiles, rows, cols, dense=False)
    assert dense[0] == sparse[0]
    assert any(len(x) == 5 for x in dense[0]) and any(len(x) == 0 for x in dense[0])
    for a, b in zip(dense[1:], sparse[1:]):
        assert a.tolist() == b.tolist()


def test_top_entries_per_row_by_value_then_column():
    import scipy.sparse as sp

    from matching.explain import _row_entries

    rng = np.random.default_rng(5)
    dense = rng.choice([0.0, 0.0, 0.0, 0.25, 0.5, 0.75], size=(400, 30))  # ties everywhere
    dense[:50, :] = rng.choice([0.5, 1.0], size=(50, 30))  # long rows
    dense[50:60] = 0.0
    matrix = sp.csr_matrix(dense)
    expected = []
    for row in dense:
        cols = sorted(np.flatnonzero(row).tolist(), key=lambda c: (-row[c], c))
        expected.append(cols[:8])
    for bucketed in (True, False, None):
        cols, ptr = _row_entries(matrix.copy(), 8, bucketed=bucketed)
        got = [cols[a:b].tolist() for a, b in pairwise(ptr.tolist())]
        assert got == expected
    cols, ptr = _row_entries(matrix.copy())
    assert [cols[a:b].tolist() for a, b in pairwise(ptr.tolist())] == [np.flatnonzero(r).tolist() for r in dense]


def test_packed_grouping_matches_the_lexsort():
    from matching.explain import _float_key, _group, _packed

    rng = np.random.default_rng(2)
    a = rng.integers(-3, 4, 500)
    b = rng.integers(0, 2, 500).astype(bool)
    c = rng.integers(0, 1000, 500)
    packed = _packed((a, b, c))
    assert packed is not None
    firsts, inverse = _group(a, b, c)
    tuples = list(zip(a.tolist(), b.tolist(), c.tolist()))
    assert sorted(firsts.tolist()) == [tuples.index(t) for t in dict.fromkeys(tuples)]
    for t, g in zip(tuples, inverse.tolist()):
        assert tuples[firsts[g]] == t
    assert _packed((a, np.arange(500) << 40, np.arange(500) << 40)) is None  # too wide: lexsort
    # Fixed-point floats become integers; anything else, and -0.0, keeps its bits (grouped apart from 0.0).
    grid = np.array([0.25, 0.0, 3 * 2.0**-22, 0.25])
    assert _float_key(grid).tolist() == [1 << 20, 0, 3, 1 << 20]
    for odd in ([0.1, 0.2], [0.0, -0.0], [np.nan, 0.5], [2.0**50, 0.0]):
        values = np.array(odd)
        assert np.array_equal(_float_key(values), values.view(np.int64))
