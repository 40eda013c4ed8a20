"""``participants/me/`` (join, change, withdraw, rejoin) and the staff list of ``participants/``."""

import pytest

from ementor_plugin import api

from ..conftest import COURSE
from .conftest import join_body, url


@pytest.fixture
def newcomer(scene, world):
    """An enrolled learner who has not joined yet, with a mentor-level grade."""
    user = world.enroll(world.user())
    world.grade(user, 0.95, {"Labs": 0.95})
    client = scene.client("learner")
    client.force_login(user)
    return user, client


def test_join_change_withdraw_and_rejoin(newcomer):
    user, client = newcomer
    assert client.get(url("my-participation")).status_code == 404

    joined = client.put(url("my-participation"), join_body("mentor", about="I love SQL", capacity=2), format="json")
    assert joined.status_code == 201, joined.content
    assert joined.json()["role"] == "mentor" and joined.json()["about"] == "I love SQL"
    assert joined.json()["user_id"] == user.id and joined.json()["consent_current"] is True

    changed = client.put(url("my-participation"), {"availability": [3, 1, 2], "capacity": 3}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["availability"] == [1, 2, 3] and changed.json()["about"] == "I love SQL"

    assert client.delete(url("my-participation")).status_code == 204
    assert client.get(url("my-participation")).json()["status"] == "withdrawn"

    rejoined = client.put(url("my-participation"), join_body("mentee"), format="json")
    assert rejoined.status_code == 201
    assert rejoined.json()["status"] == "active" and rejoined.json()["role"] == "mentee"


def test_joining_needs_a_role_and_consent(newcomer):
    _user, client = newcomer
    response = client.put(url("my-participation"), {"about": "Hi"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {"role", "consent_version"}
    assert client.get(url("my-participation")).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consent_version": "2019-01"}, "consent_version"),
        ({"role": "guru"}, "role"),
        ({"availability": [200]}, "availability.0"),
        ({"availability": "mornings"}, "availability"),
        ({"languages": ["english!"]}, "languages"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"capacity": 99}, "capacity"),
        ({"about": "x" * 5001}, "about"),
        ({"about": "nul \x00 byte"}, "about"),
        ({"share_performance": "sometimes"}, "share_performance"),
        ({"skills_wanted": ["python", "x" * 65]}, "skills_wanted.1"),
    ],
)
def test_invalid_profiles_name_the_field(newcomer, changes, field):
    _user, client = newcomer
    response = client.put(url("my-participation"), join_body(**changes), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"], response.json()
    assert client.get(url("my-participation")).status_code == 404  # nothing half-joined


def test_mentoring_needs_the_programs_grade(scene, world):
    weak = world.enroll(world.user())
    world.grade(weak, 0.3)
    client = scene.client("learner")
    client.force_login(weak)
    response = client.put(url("my-participation"), join_body("mentor"), format="json")
    assert response.status_code == 400
    assert "role" in response.json()["field_errors"]


def test_outside_the_enrollment_window_joining_is_a_conflict(newcomer, scene):
    _user, client = newcomer
    scene.client("staff").patch(url("program"), {"enrollment_closes": "2001-01-01T00:00:00Z"}, format="json")
    response = client.put(url("my-participation"), join_body(), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "enrollment_closed"


def test_joining_a_course_without_a_program_is_not_found(newcomer):
    _user, client = newcomer
    response = client.put(url("my-participation", "course-v1:eMentorX+NONE+2026"), {}, format="json")
    assert response.status_code == 404


def test_staff_list_participants_without_private_text_with_filters_and_pages(scene):
    client = scene.client("staff")
    body = client.get(url("participants")).json()
    assert body["count"] == 3 and body["num_pages"] == 1 and body["current_page"] == 1
    assert [p["username"] for p in body["results"]] == ["learner", "partner", "other"]
    assert "about" not in body["results"][0] and "aspirations" not in body["results"][0]
    learner = body["results"][0]
    assert learner["has_open_match_as_mentee"] is True and learner["grade"] == pytest.approx(0.4)

    mentors = client.get(url("participants"), {"role": "mentor"}).json()
    assert [p["username"] for p in mentors["results"]] == ["partner"]
    assert client.get(url("participants"), {"status": "paused"}).json()["count"] == 0

    page = client.get(url("participants"), {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and page["num_pages"] == 2 and page["start"] == 2
    assert [p["username"] for p in page["results"]] == ["other"]
    assert page["next"] is None and "page_size=2" in page["previous"]


@pytest.mark.parametrize(("query", "status", "field"), [
    ({"role": "guru"}, 400, "role"),
    ({"status": "asleep"}, 400, "status"),
    ({"page": 9}, 404, None),
    ({"page": "x"}, 404, None),
])
def test_bad_list_queries(scene, query, status, field):
    response = scene.client("staff").get(url("participants"), query)
    assert response.status_code == status
    if field:
        assert field in response.json()["field_errors"]
    else:
        assert response.json()["code"] == "not_found"


def test_withdrawing_ends_the_match_for_both(scene):
    assert scene.client("partner").delete(url("my-participation")).status_code == 204
    mine = scene.client("learner").get(url("my-matches")).json()["results"]
    assert mine[0]["status"] == "ended"
    assert api.get_profile(scene.user("partner").id, COURSE).status == "withdrawn"
