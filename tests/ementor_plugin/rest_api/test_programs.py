"""``programs/{course_id}/``: what learners read, and how course staff configure (or create) a program."""

import pytest
from opaque_keys.edx.keys import CourseKey

from ementor_plugin import api

from ..conftest import COURSE
from .conftest import url

NEW_COURSE = CourseKey.from_string("course-v1:eMentorX+NEW+2027")


def test_learners_read_the_pitch_how_matching_works_and_live_figures(scene):
    body = scene.client("learner").get(url("program")).json()
    assert body["course_key"] == str(COURSE)
    assert body["title"] == "Mentoring"
    assert body["enrollment_opens"] is None and body["is_enrollment_open"] is True
    factors = {f["factor"]: f["weight"] for f in body["matching"]["factors"]}
    assert set(factors) == set(body["weights"])
    assert sum(factors.values()) == pytest.approx(1.0, abs=1e-3)
    assert body["matching"]["strategy"] == "optimal" and body["matching"]["description"]
    assert body["figures"]["active_matches"] == 1
    assert body["figures"]["paired_learners"] == 2
    assert body["next_run_at"] is None  # runs only when staff start them


def test_staff_change_the_configuration_and_learners_see_it(scene):
    changes = {
        "pitch": "Meet someone who did it",
        "weights": {"skills": 3, "language": 1},
        "strategy": "stable",
        "enrollment_closes": "2030-01-01T00:00:00Z",
        "schedule": "weekly",
    }
    response = scene.client("staff").patch(url("program"), changes, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["pitch"] == "Meet someone who did it"
    body = scene.client("learner").get(url("program")).json()
    assert body["weights"]["skills"] == 3.0 and body["weights"]["aspirations"] == 0.0
    assert body["matching"]["strategy"] == "stable"
    assert body["enrollment_closes"] == "2030-01-01T00:00:00Z"
    assert body["next_run_at"] is not None


def test_the_first_configuration_creates_the_program(scene, world):
    world.course(NEW_COURSE)
    client = scene.client("admin")
    assert client.get(url("program", NEW_COURSE)).status_code == 404
    response = client.patch(url("program", NEW_COURSE), {"title": "Peer mentoring"}, format="json")
    assert response.status_code == 201, response.content
    assert api.get_program(NEW_COURSE).title == "Peer mentoring"
    assert client.patch(url("program", NEW_COURSE), {"title": "Again"}, format="json").status_code == 200


def test_course_staff_may_create_their_own_courses_program_only(scene, world):
    world.course(NEW_COURSE)
    assert scene.client("staff").patch(url("program", NEW_COURSE), {}, format="json").status_code == 403


def test_a_course_that_does_not_exist_gets_no_program(scene):
    response = scene.client("admin").patch(url("program", NEW_COURSE), {"title": "Ghost"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weights": {"skills": -1}}, "weights.skills"),
        ({"weights": {"skills": 0, "language": 0}}, "weights"),
        ({"weights": {"charisma": 1}}, "weights"),
        ({"weights": [1, 2]}, "weights"),
        ({"default_mentor_capacity": 0}, "default_mentor_capacity"),
        ({"max_mentor_capacity": 51}, "max_mentor_capacity"),
        ({"default_mentor_capacity": 5, "max_mentor_capacity": 3}, "default_mentor_capacity"),
        ({"enrollment_opens": "2030-02-01T00:00:00Z", "enrollment_closes": "2030-01-01T00:00:00Z"},
         "enrollment_closes"),
        ({"enrollment_opens": "next tuesday"}, "enrollment_opens"),
        ({"strategy": "random"}, "strategy"),
        ({"min_score": 1.5}, "min_score"),
        ({"requires_approval": "perhaps"}, "requires_approval"),
        ({"title": "x" * 256}, "title"),
        ({"skills": ["python", ""]}, "skills.1"),
    ],
)
def test_invalid_configuration_names_the_field_and_changes_nothing(scene, changes, field):
    before = api.get_program(COURSE)
    response = scene.client("staff").patch(url("program"), changes, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["field_errors"], body
    assert all(isinstance(message, str) and message for message in body["field_errors"][field])
    assert api.get_program(COURSE) == before


def test_a_body_that_is_not_an_object_is_invalid(scene):
    response = scene.client("staff").patch(url("program"), [1, 2], format="json")
    assert response.status_code == 400
    assert "__all__" in response.json()["field_errors"]


def test_malformed_json_is_a_parse_error(scene):
    response = scene.client("staff").generic("PATCH", url("program"), "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_forms_are_not_accepted(scene):
    response = scene.client("staff").patch(url("program"), "title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
