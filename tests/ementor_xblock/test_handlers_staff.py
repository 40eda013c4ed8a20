"""Course-team handlers: create the program, start and follow runs, approve pairings; staff only."""

import pytest

from ementor_plugin import api


def test_staff_create_the_program_from_the_units_settings(world, unit):
    staff = world.staff()
    unit.settings = {"title": "Buddy program", "skills": ["Python", "SQL"], "requires_approval": True}
    status, _body = unit.call(staff, "setup_program", {})
    assert status == 200
    program = api.get_program(unit.course_id)
    assert (program.title, program.skills, program.requires_approval) == ("Buddy program", ("Python", "SQL"), True)


def test_learners_cannot_create_the_program(world, unit):
    status, body = unit.call(world.learner(), "setup_program", {})
    assert status == 403 and body["error"]["code"] == "permission_denied"


@pytest.fixture
def crowd(world):
    staff = world.staff()
    world.program(staff)
    people = [world.mentee(f"mentee{i}") for i in range(3)] + [world.mentor("mentor0")]
    return staff, people


def test_start_a_run_and_follow_it_to_the_end(world, unit, crowd, django_capture_on_commit_callbacks):
    staff, _people = crowd
    with django_capture_on_commit_callbacks(execute=True):
        status, body = unit.call(staff, "start_run", {})
    assert status == 200
    run = body["run"]
    assert set(run) >= {"id", "status", "percent", "open", "text", "stage_label"}
    api.execute_run(run["id"])  # what the worker does (a no-op when the task already ran eagerly)
    status, body = unit.call(staff, "run_status", {"run_id": run["id"]})
    assert status == 200
    assert body["run"]["status"] == "succeeded" and body["run"]["percent"] == 100 and body["run"]["open"] is False
    assert body["run"]["text"].startswith("Matching finished")


def test_starting_twice_returns_the_run_under_way(world, unit, crowd):
    staff, _people = crowd
    first = unit.call(staff, "start_run", {})[1]["run"]
    second = unit.call(staff, "start_run", {})[1]["run"]
    assert first["id"] == second["id"] and second["open"] is True


def test_learners_cannot_start_or_read_runs(world, unit, crowd):
    staff, people = crowd
    run = api.request_run(staff.id, unit.course_id)
    assert unit.call(people[0], "start_run", {})[0] == 403
    assert unit.call(people[0], "run_status", {"run_id": run.id})[0] == 403
    assert unit.call(people[0], "run_status", {"run_id": run.id, "user_id": staff.id})[0] == 403


def test_run_status_refuses_bad_ids_and_other_courses_runs(world, unit, crowd, make_unit):
    staff, _people = crowd
    assert unit.call(staff, "run_status", {})[0] == 400
    assert unit.call(staff, "run_status", {"run_id": 0})[0] == 400
    assert unit.call(staff, "run_status", {"run_id": 999999})[0] == 404
    other = "course-v1:eMentorX+XB202+2026"
    other_staff = world.staff(key=other)
    world.program(other_staff, key=other)
    from opaque_keys.edx.keys import CourseKey

    from devsite.standin.models import CourseAccessRole  # the same person is staff of both courses

    CourseAccessRole.objects.create(user=staff, course_id=CourseKey.from_string(other), role="staff")
    foreign = api.request_run(other_staff.id, other)
    status, _body = unit.call(staff, "run_status", {"run_id": foreign.id})
    assert status == 404


def test_approve_selected_and_all(world, unit):
    staff = world.staff()
    world.program(staff, requires_approval=True)
    mentees = [world.mentee(f"m{i}") for i in range(3)]
    world.mentor("mentor", capacity=3)
    world.run(staff)
    proposed = api.list_matches(staff.id, unit.course_id, status="proposed")
    assert len(proposed) == 3
    status, body = unit.call(staff, "approve", {"match_ids": [proposed[0].id]})
    assert status == 200 and body["approved"] == 1
    status, body = unit.call(staff, "approve", {"match_ids": [proposed[0].id, proposed[1].id]})
    assert body["approved"] == 1 and "no longer waiting" in body["message"]
    status, body = unit.call(staff, "approve", {"all": True})
    assert body["approved"] == 1
    assert api.list_matches(staff.id, unit.course_id, status="proposed") == []
    assert all(api.list_my_matches(m.id, unit.course_id) for m in mentees)


def test_approve_refuses_learners_and_empty_selections(world, unit):
    staff = world.staff()
    world.program(staff, requires_approval=True)
    mia = world.mentee("mia")
    world.mentor("max")
    world.run(staff)
    match = api.list_matches(staff.id, unit.course_id, status="proposed")[0]
    assert unit.call(mia, "approve", {"match_ids": [match.id]})[0] == 403
    assert unit.call(mia, "approve", {"all": True})[0] == 403
    assert unit.call(staff, "approve", {"match_ids": []})[0] == 400
    assert unit.call(staff, "approve", {"match_ids": [True]})[0] == 400
    assert api.list_matches(staff.id, unit.course_id, status="proposed")[0].id == match.id
