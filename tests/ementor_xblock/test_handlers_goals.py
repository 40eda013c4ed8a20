"""Goal handlers: add, edit, delete, progress; always on the caller's own goals, whatever the payload says."""

from datetime import date, timedelta

import pytest

from ementor_plugin import api


@pytest.fixture
def setup(world):
    staff = world.staff()
    world.program(staff)
    return world.mentee("mia"), world.mentee("noa")


def test_add_goal(world, unit, setup):
    mia, _noa = setup
    status, body = unit.call(mia, "add_goal", {"title": "Finish the labs", "success_criteria": "All above 70%",
                                               "target_date": (date.today() + timedelta(days=30)).isoformat()})
    assert status == 200 and body["message"] == "Goal added."
    goals = api.list_goals(mia.id, unit.course_id)
    assert [(g.id, g.title, g.success_criteria) for g in goals] == [(body["goal_id"], "Finish the labs",
                                                                     "All above 70%")]


def test_add_goal_from_a_suggestion_remembers_it(world, unit, setup):
    mia, _noa = setup
    suggestion = api.suggest_goals(mia.id, unit.course_id)[0]
    unit.call(mia, "add_goal", {"title": suggestion.title, "suggestion_key": suggestion.key})
    assert suggestion.key not in {s.key for s in api.suggest_goals(mia.id, unit.course_id)}


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": 42}, "title"),
    ({"title": "ok", "target_date": "next tuesday"}, "target_date"),
    ({"title": "ok", "target_date": "2001-01-01"}, "target_date"),  # the API refuses past dates
    ({"title": "ok", "success_criteria": ["a list"]}, "success_criteria"),
])
def test_add_goal_refuses_bad_input_per_field(world, unit, setup, payload, field):
    mia, _noa = setup
    status, body = unit.call(mia, "add_goal", payload)
    assert status == 400
    assert field in body["error"]["field_errors"]
    assert api.list_goals(mia.id, unit.course_id) == []


def test_a_learner_who_did_not_join_has_no_goals_to_add(world, unit, setup):
    status, _body = unit.call(world.learner(), "add_goal", {"title": "x"})
    assert status == 404


def test_edit_goal_changes_only_what_is_sent(world, unit, setup):
    mia, _noa = setup
    goal = api.create_goal(mia.id, unit.course_id, title="Old", success_criteria="Keep me")
    status, _body = unit.call(mia, "edit_goal", {"goal_id": goal.id, "title": "New", "status": "in_progress"})
    assert status == 200
    saved = api.list_goals(mia.id, unit.course_id)[0]
    assert (saved.title, saved.success_criteria, saved.status) == ("New", "Keep me", "in_progress")


def test_edit_goal_refuses_a_bad_status_and_a_missing_id(world, unit, setup):
    mia, _noa = setup
    goal = api.create_goal(mia.id, unit.course_id, title="Old")
    assert unit.call(mia, "edit_goal", {"goal_id": goal.id, "status": "abandoned-ish"})[0] == 400
    status, body = unit.call(mia, "edit_goal", {"title": "No id"})
    assert status == 400 and "goal_id" in body["error"]["field_errors"]


def test_nobody_edits_deletes_or_updates_someone_elses_goal_even_naming_the_owner(world, unit, setup):
    mia, noa = setup
    goal = api.create_goal(noa.id, unit.course_id, title="Noa's own")
    forged = {"goal_id": goal.id, "user_id": noa.id}
    assert unit.call(mia, "edit_goal", {**forged, "title": "Hacked"})[0] == 404
    assert unit.call(mia, "goal_progress", {**forged, "progress": 100})[0] == 404
    assert unit.call(mia, "delete_goal", forged)[0] == 404
    assert [(g.title, g.progress) for g in api.list_goals(noa.id, unit.course_id)] == [("Noa's own", 0)]


def test_delete_goal(world, unit, setup):
    mia, _noa = setup
    goal = api.create_goal(mia.id, unit.course_id, title="Temporary")
    assert unit.call(mia, "delete_goal", {"goal_id": goal.id}) == (200, {"message": "Goal deleted."})
    assert api.list_goals(mia.id, unit.course_id) == []
    assert unit.call(mia, "delete_goal", {"goal_id": goal.id})[0] == 404


def test_progress_updates_and_a_hundred_percent_achieves_the_goal(world, unit, setup):
    mia, _noa = setup
    goal = api.create_goal(mia.id, unit.course_id, title="Labs")
    status, body = unit.call(mia, "goal_progress", {"goal_id": goal.id, "progress": "40", "note": "Lab 3 done"})
    assert status == 200 and body["progress"] == 40
    status, body = unit.call(mia, "goal_progress", {"goal_id": goal.id, "progress": 100})
    assert body["message"] == "Goal achieved. Well done!"
    saved = api.list_goals(mia.id, unit.course_id)[0]
    assert saved.status == "achieved" and [u.note for u in saved.updates] == ["Lab 3 done", ""]


@pytest.mark.parametrize("progress", [-1, 101, "lots", 12.5, True, None])
def test_progress_must_be_a_whole_percentage(world, unit, setup, progress):
    mia, _noa = setup
    goal = api.create_goal(mia.id, unit.course_id, title="Labs")
    status, body = unit.call(mia, "goal_progress", {"goal_id": goal.id, "progress": progress})
    assert status == 400 and "progress" in body["error"]["field_errors"]
