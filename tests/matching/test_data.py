"""The public data classes: validation on construction, immutability, JSON and pickle round trips."""

import dataclasses
import json
import math
import pickle

import numpy as np
import pytest

from matching import (
    DEFAULT_WEIGHTS,
    FACTORS,
    AreaEvidence,
    Evidence,
    FactorScore,
    InvalidInputError,
    Match,
    MatchConfig,
    MatchingError,
    MatchResult,
    MatchStats,
    Mentee,
    Mentor,
    Qualification,
    Unmatched,
)
from matching.data import normalise_weights


def test_defaults_are_empty_and_weights_sum_to_one():
    mentee = Mentee("a")
    assert mentee.skills_wanted == () and mentee.performance == {} and mentee.availability is None
    assert Mentor("b").capacity == 1
    assert math.isclose(sum(DEFAULT_WEIGHTS.values()), 1.0)
    assert tuple(DEFAULT_WEIGHTS) == FACTORS


def test_sequences_are_stored_as_tuples_and_sets_as_frozensets():
    mentee = Mentee("a", skills_wanted=["x", "y"], languages=["en"], availability={3, 1}, preferences=["m"])
    assert mentee.skills_wanted == ("x", "y") and mentee.languages == ("en",) and mentee.preferences == ("m",)
    assert mentee.availability == frozenset({1, 3})
    mentor = Mentor("m", capacity=np.int64(3), availability=[np.int32(5)])
    assert mentor.capacity == 3 and type(mentor.capacity) is int and mentor.availability == frozenset({5})


def test_performance_is_a_private_copy():
    scores = {"Quiz": 0.5}
    mentee = Mentee("a", performance=scores)
    scores["Quiz"] = 0.9
    assert mentee.performance == {"Quiz": 0.5}


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Mentee("a").aspirations = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "person_id", "field"),
    [
        (lambda: Mentee("a", performance={"Quiz": math.nan}), "a", "performance['Quiz']"),
        (lambda: Mentee("a", performance={"Quiz": 1.5}), "a", "performance['Quiz']"),
        (lambda: Mentee("a", performance={"Quiz": -0.1}), "a", "performance['Quiz']"),
        (lambda: Mentee("a", performance={"Quiz": "high"}), "a", "performance['Quiz']"),
        (lambda: Mentee("a", performance={"": 0.5}), "a", "performance"),
        (lambda: Mentee("a", performance=[0.5]), "a", "performance"),
        (lambda: Mentor("b", performance={"Quiz": math.inf}), "b", "performance['Quiz']"),
        (lambda: Mentee("a", grade=math.nan), "a", "grade"),
        (lambda: Mentor("b", grade=1.01), "b", "grade"),
        (lambda: Mentee("a", grade=True), "a", "grade"),
        (lambda: Mentor("b", capacity=-1), "b", "capacity"),
        (lambda: Mentor("b", capacity=1.5), "b", "capacity"),
        (lambda: Mentee("a", availability={168}), "a", "availability"),
        (lambda: Mentee("a", availability={-1}), "a", "availability"),
        (lambda: Mentor("b", availability={2.5}), "b", "availability"),
        (lambda: Mentee("a", skills_wanted="python"), "a", "skills_wanted"),
        (lambda: Mentee("a", languages=[1]), "a", "languages"),
        (lambda: Mentee("a", aspirations=3), "a", "aspirations"),
        (lambda: Mentor("b", qualifications=["x"]), "b", "qualifications"),
        (lambda: Mentee(""), None, "id"),
        (lambda: Mentor(7), None, "id"),
    ],
)
def test_invalid_people_name_the_person_and_the_field(build, person_id, field):
    with pytest.raises(InvalidInputError) as caught:
        build()
    assert caught.value.person_id == person_id
    assert caught.value.field == field
    assert isinstance(caught.value, MatchingError) and isinstance(caught.value, ValueError)
    if person_id is not None:
        assert repr(person_id) in str(caught.value)


def test_qualification_validation():
    assert Qualification("course_grade", "Course grade", np.float64(0.9)).value == 0.9
    with pytest.raises(InvalidInputError):
        Qualification("", "x")
    with pytest.raises(InvalidInputError):
        Qualification("course_grade", "Course grade", math.nan)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weights": {"charisma": 1.0}}, "weights"),
        ({"weights": {"skills": -1.0}}, "weights"),
        ({"weights": {"skills": math.nan}}, "weights"),
        ({"weights": {"skills": 0.0}}, "weights"),
        ({"weights": {}}, "weights"),
        ({"mentor_weights": {"charisma": 1.0}}, "mentor_weights"),
        ({"strategy": "greedy"}, "strategy"),
        ({"objective": "fairness"}, "objective"),
        ({"min_score": 1.5}, "min_score"),
        ({"min_score": math.nan}, "min_score"),
        ({"top_k": 0}, "top_k"),
        ({"reverse_top_r": -1}, "reverse_top_r"),
        ({"excluded": [("a",)]}, "excluded"),
        ({"pinned": "ab"}, "pinned"),
        ({"pinned": [("a", 1)]}, "pinned"),
    ],
)
def test_invalid_config(kwargs, field):
    with pytest.raises(InvalidInputError) as caught:
        MatchConfig(**kwargs)
    assert caught.value.person_id is None and caught.value.field == field


def test_weights_are_normalised_over_every_factor():
    config = MatchConfig(weights={"skills": 3, "language": 1})
    assert dict(config.weights) == {
        "skills": 0.75,
        "aspirations": 0.0,
        "performance": 0.0,
        "language": 0.25,
        "availability": 0.0,
    }
    assert config.mentor_side_weights == dict(config.weights)
    assert normalise_weights({"skills": 1}) == {name: float(name == "skills") for name in FACTORS}
    mentor_side = MatchConfig(mentor_weights={"performance": 2}).mentor_side_weights
    assert mentor_side["performance"] == 1.0


def test_config_pairs_are_normalised():
    config = MatchConfig(excluded=[["a", "b"], ("a", "b")], pinned=[["c", "d"]])
    assert config.excluded == frozenset({("a", "b")})
    assert config.pinned == (("c", "d"),)


def _every_output() -> MatchResult:
    factor = FactorScore("skills", 0.3, 0.5, 0.15, False, "note")
    evidence = Evidence(("Python",), (AreaEvidence("Quiz", 0.2, 0.9),), 2, ("en",), ("data",))
    match = Match("a", "b", 0.15, (factor,), evidence, True)
    stats = MatchStats(1, 1, 1, 1, 0.15, 0.15, 0.15, {"features": 0.1}, None)
    return MatchResult((match,), (Unmatched("c", "no_mentors", "none"),), stats)


def test_everything_has_a_json_ready_to_dict():
    people = [
        Mentee("a", ["x"], "text", {"Quiz": 0.5}, 0.4, ["en"], {5, 1}, ["b"]),
        Mentor("b", ["x"], "about", {"Quiz": 0.9}, 0.9, ["en"], {1}, 2, [Qualification("certificate", "Cert")]),
        MatchConfig(excluded=[("a", "c")], pinned=[("a", "b")], mentor_weights={"skills": 1}),
        _every_output(),
        InvalidInputError("a", "grade", "bad"),
    ]
    for thing in people:
        data = thing.to_dict()
        assert json.loads(json.dumps(data)) == data
    assert people[0].to_dict()["availability"] == [1, 5]
    result = _every_output().to_dict()
    assert result["matches"][0]["evidence"]["complementary_areas"] == [
        {"area": "Quiz", "mentee_score": 0.2, "mentor_score": 0.9}
    ]


def test_pickle_round_trips():
    things = [
        Mentee("a", ["x"], "t", {"Quiz": 0.5}, 0.4, ["en"], {1}),
        Mentor("b", qualifications=[Qualification("certificate", "Cert")]),
        MatchConfig(weights={"skills": 1}, mentor_weights={"language": 1}, excluded=[("a", "b")]),
        _every_output(),
    ]
    for thing in things:
        assert pickle.loads(pickle.dumps(thing)) == thing
    error = pickle.loads(pickle.dumps(InvalidInputError("a", "grade", "bad")))
    assert (error.person_id, error.field, error.message) == ("a", "grade", "bad")
