"""Course ids in the path, and how every kind of failure maps to a status with the shared error body."""

import pytest

from ementor_plugin import api, errors
from ementor_plugin.rest_api.v1.exceptions import flatten

from .conftest import url

MALFORMED = ["not-a-course", "course-v1:only+two", "course-v1:", "a b c", "💥"]


@pytest.mark.parametrize("course", MALFORMED)
@pytest.mark.parametrize("name", ["program", "my-participation", "participants", "goals", "my-matches", "matches",
                                  "runs"])
def test_a_malformed_course_id_is_a_400_naming_it(scene, name, course):
    response = scene.client("staff").get(url(name, course))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert list(response.json()["field_errors"]) == ["course_id"]


def test_anonymous_callers_get_401_before_any_course_check(scene):
    assert scene.client("anonymous").get(url("program", "not-a-course")).status_code == 401


@pytest.mark.parametrize("role", ["learner", "staff", "admin"])
@pytest.mark.parametrize("name", ["program", "my-participation", "goals", "my-matches"])
def test_an_unknown_course_is_a_404(scene, role, name):
    response = scene.client(role).get(url(name, "course-v1:Nobody+NOPE+2000"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("name", ["participants", "matches", "runs"])
def test_an_unknown_course_is_a_404_for_staff_lists_too(scene, name):
    assert scene.client("admin").get(url(name, "course-v1:Nobody+NOPE+2000")).status_code == 404
    assert scene.client("learner").get(url(name, "course-v1:Nobody+NOPE+2000")).status_code == 404


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (errors.NotFound("gone"), 404, False),
        (errors.PermissionDenied("no"), 403, False),
        (errors.NotEnrolled("enroll"), 403, False),
        (errors.ValidationError({"title": ["Too long."]}), 400, False),
        (errors.Conflict("clash"), 409, False),
        (errors.EnrollmentClosed("closed"), 409, False),
        (errors.StorageError(), 503, False),
        (errors.TransientStorageError(), 503, True),
    ],
)
def test_api_errors_map_to_statuses(scene, monkeypatch, error, status, retry_after):
    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(api, "list_goals", failing)
    response = scene.client("learner").get(url("goals"))
    assert response.status_code == status
    assert response.json() == error.to_dict()
    assert ("Retry-After" in response) == retry_after


def test_unexpected_exceptions_are_not_hidden(scene, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(api, "list_goals", broken)
    with pytest.raises(RuntimeError):
        scene.client("learner").get(url("goals"))


def test_flatten_names_nested_fields():
    detail = {"weights": {"skills": ["Too small."]}, "skills": {1: ["Blank."]}, "non_field_errors": ["Both."],
              "title": ["Required."]}
    assert flatten(detail) == {"weights.skills": ["Too small."], "skills.1": ["Blank."], "__all__": ["Both."],
                               "title": ["Required."]}
    assert flatten(["Bad."]) == {"__all__": ["Bad."]}
    assert flatten({"items": [{"a": ["x"]}, {"a": ["y"]}]}) == {"items.0.a": ["x"], "items.1.a": ["y"]}
