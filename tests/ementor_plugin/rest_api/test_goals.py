"""``goals/`` and ``goals/{id}/``: a participant's own goals and progress, all or nothing."""

import datetime

import pytest

from ementor_plugin import api, errors

from ..conftest import COURSE, OTHER_COURSE
from .conftest import url


def test_create_progress_and_delete(scene):
    client = scene.client("learner")
    created = client.post(url("goals"), {"title": "Read chapter 4", "target_date": "2099-05-01"}, format="json")
    assert created.status_code == 201, created.content
    goal = created.json()
    assert goal["status"] == "open" and goal["progress"] == 0 and goal["target_date"] == "2099-05-01"

    progressed = client.patch(url("goal", goal_id=goal["id"]), {"progress": 60, "note": "Half way"}, format="json")
    assert progressed.status_code == 200, progressed.content
    assert progressed.json()["status"] == "in_progress"
    assert [(u["progress"], u["note"]) for u in progressed.json()["updates"]] == [(60, "Half way")]

    renamed = client.patch(url("goal", goal_id=goal["id"]), {"title": "Read chapters 4-5", "status": "achieved"},
                           format="json")
    assert renamed.json()["title"] == "Read chapters 4-5" and renamed.json()["progress"] == 100

    assert client.patch(url("goal", goal_id=goal["id"]), {}, format="json").json()["title"] == "Read chapters 4-5"
    assert client.delete(url("goal", goal_id=goal["id"])).status_code == 204
    assert client.delete(url("goal", goal_id=goal["id"])).status_code == 404
    assert [g["id"] for g in client.get(url("goals")).json()["results"]] == [scene.goal_id]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Ok", "target_date": "2001-01-01"}, "target_date"),
        ({"title": "Ok", "target_date": "soon"}, "target_date"),
        ({"title": "Ok", "suggestion_key": "k" * 65}, "suggestion_key"),
    ],
)
def test_invalid_new_goals_name_the_field(scene, body, field):
    response = scene.client("learner").post(url("goals"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"note": "Without progress"}, "note"),
        ({"status": "forgotten"}, "status"),
        ({"title": ""}, "title"),
        ({"title": "New title", "progress": 500}, "progress"),
    ],
)
def test_invalid_changes_name_the_field_and_change_nothing(scene, body, field):
    before = api.list_goals(scene.user("learner").id, COURSE)
    response = scene.client("learner").patch(url("goal", goal_id=scene.goal_id), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]
    assert api.list_goals(scene.user("learner").id, COURSE) == before


def test_a_change_with_progress_is_all_or_nothing(scene, monkeypatch):
    def broken(*args, **kwargs):
        raise errors.StorageError()

    monkeypatch.setattr(api, "add_goal_progress", broken)
    response = scene.client("learner").patch(url("goal", goal_id=scene.goal_id),
                                              {"title": "Renamed", "progress": 10}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "storage_error"
    assert api.list_goals(scene.user("learner").id, COURSE)[0].title == "Finish the python labs"


def test_a_goal_of_the_same_learner_in_another_course_is_not_found_here(scene, world):
    learner = scene.user("learner")
    world.enroll(learner, OTHER_COURSE)
    api.join_program(learner.id, OTHER_COURSE, role="mentee", consent_version="2026-11")
    elsewhere = api.create_goal(learner.id, OTHER_COURSE, title="Other course goal")
    client = scene.client("learner")
    assert client.patch(url("goal", goal_id=elsewhere.id), {"progress": 5}, format="json").status_code == 404
    assert client.delete(url("goal", goal_id=elsewhere.id)).status_code == 404
    there = client.patch(url("goal", OTHER_COURSE, goal_id=elsewhere.id), {"progress": 5}, format="json")
    assert there.status_code == 200


def test_ids_no_row_can_have_are_not_found(scene):
    response = scene.client("learner").patch(url("goal", goal_id=2**70), {"progress": 5}, format="json")
    assert response.status_code == 404


def test_a_withdrawn_learner_cannot_add_goals(scene):
    client = scene.client("other")
    client.delete(url("my-participation"))
    response = client.post(url("goals"), {"title": "Late"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "withdrawn"


def test_goal_dates_round_trip(scene):
    target = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    client = scene.client("learner")
    client.patch(url("goal", goal_id=scene.goal_id), {"target_date": target}, format="json")
    assert client.get(url("goals")).json()["results"][0]["target_date"] == target
    cleared = client.patch(url("goal", goal_id=scene.goal_id), {"target_date": None}, format="json")
    assert cleared.json()["target_date"] is None
