"""The development site: real login, the admin, and the XBlock rendered by the workbench for the logged-in user."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("operator", "operator@example.com", "operator-pass")


@pytest.fixture
def learner():
    return get_user_model().objects.create_user("learner", "learner@example.com", "learner-pass")


def test_admin_login_with_username_and_password(client, admin_user):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "operator", "password": "operator-pass", "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_wrong_password_is_refused(client, admin_user):
    response = client.post("/accounts/login/", {"username": "operator", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert "_auth_user_id" not in client.session


def test_workbench_requires_login(client):
    response = client.get("/scenario/ementor.0/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/scenario/ementor.0/")


def test_workbench_renders_the_xblock_for_the_logged_in_user(client, learner):
    client.login(username="learner", password="learner-pass")
    response = client.get("/scenario/ementor.0/?student=someone-else")
    assert response.status_code == 200
    assert b"ementor-block" in response.content
    assert b"EmentorStudentView" in response.content


def test_scenario_list_offers_the_ementor_scenarios(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"/scenario/ementor.0/" in response.content


def test_forged_student_parameter_is_replaced_by_the_logged_in_user(rf, learner):
    from devsite.middleware import WorkbenchLoginMiddleware

    seen = {}

    def view(request):
        seen["student"] = request.GET["student"]
        return None

    request = rf.get("/handler/some-usage/some_handler/?student=victim")
    request.user = learner
    WorkbenchLoginMiddleware(view)(request)
    assert seen["student"] == str(learner.id)
