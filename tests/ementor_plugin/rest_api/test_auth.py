"""Authentication as the LMS does it (session with CSRF, JWT, the platform's bearer class), and write throttling."""

import sys
import types

import pytest
from django.test import override_settings
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt, generate_jwt_token
from rest_framework.authentication import BaseAuthentication
from rest_framework.test import APIClient

from ementor_plugin.rest_api.v1 import authentication

from .conftest import url

# The devsite's JWT secret is a short demo value; PyJWT warns about its length on every token.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def _csrf_client(user):
    """A browser-like client: logged in, CSRF enforced, holding the CSRF cookie a page gave it."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/login/")  # any page rendering a form sets the csrftoken cookie
    return client, client.cookies["csrftoken"].value


@pytest.mark.parametrize(
    ("method", "name", "body"),
    [
        ("patch", "program", {"pitch": "New"}),
        ("put", "my-participation", {"about": "New"}),
        ("post", "goals", {"title": "New"}),
        ("post", "runs", None),
    ],
)
def test_session_writes_need_the_csrf_token(scene, method, name, body):
    role = "staff" if name in ("program", "runs") else "learner"
    client, token = _csrf_client(scene.user(role))
    refused = getattr(client, method)(url(name), body, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied" and "CSRF" in refused.json()["message"]
    accepted = getattr(client, method)(url(name), body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code in (200, 201, 202), accepted.content


def test_session_reads_need_no_csrf_token(scene):
    client, _token = _csrf_client(scene.user("learner"))
    assert client.get(url("program")).status_code == 200


def test_a_failed_csrf_check_writes_nothing(scene):
    client, _token = _csrf_client(scene.user("learner"))
    client.post(url("goals"), {"title": "Sneaky"}, format="json")
    titles = [g["title"] for g in scene.client("learner").get(url("goals")).json()["results"]]
    assert "Sneaky" not in titles


def test_a_jwt_authenticates_reads_and_writes_without_csrf(scene):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"JWT {generate_jwt(scene.user('learner'))}")
    assert client.get(url("program")).status_code == 200
    created = client.post(url("goals"), {"title": "Via JWT"}, format="json")
    assert created.status_code == 201, created.content


def test_a_jwt_for_staff_starts_a_run(scene):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {generate_jwt(scene.user('staff'))}")
    assert client.post(url("runs")).status_code == 202


@pytest.mark.parametrize("header", ["JWT not-a-token", "JWT "])
def test_a_bad_jwt_is_unauthenticated(scene, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(url("program"))
    assert response.status_code == 401
    assert response.json()["code"] in ("authentication_failed", "not_authenticated")


def test_a_jwt_signed_with_another_key_is_unauthenticated(scene):
    from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_latest_version_payload

    token = generate_jwt_token(generate_latest_version_payload(scene.user("staff")), signing_key="someone-else-" * 4)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
    assert client.get(url("program")).status_code == 401


class FakePlatformBearer(BaseAuthentication):
    """Stands in for the LMS's BearerAuthenticationAllowInactiveUser."""

    def authenticate(self, request):
        return None


def test_the_platform_bearer_class_is_used_inside_the_lms(monkeypatch):
    module = types.ModuleType("openedx.core.lib.api.authentication")
    module.BearerAuthenticationAllowInactiveUser = FakePlatformBearer
    for name in ("openedx", "openedx.core", "openedx.core.lib", "openedx.core.lib.api"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    authentication.platform_bearer_class.cache_clear()
    try:
        classes = authentication.authentication_classes()
    finally:
        authentication.platform_bearer_class.cache_clear()
    assert [cls.__name__ for cls in classes] == [
        "JwtAuthentication", "FakePlatformBearer", "SessionAuthenticationAllowInactiveUser"
    ]


def test_outside_the_lms_there_is_no_bearer_class():
    assert authentication.platform_bearer_class() is None
    assert len(authentication.authentication_classes()) == 2


@override_settings(EMENTOR_THROTTLE_RATES={"ementor_write": "2/hour", "ementor_run": "100/hour"})
def test_writes_are_throttled_and_reads_are_not(scene):
    client = scene.client("learner")
    for title in ("One", "Two"):
        assert client.post(url("goals"), {"title": title}, format="json").status_code == 201
    refused = client.post(url("goals"), {"title": "Three"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    for _ in range(5):
        assert client.get(url("goals")).status_code == 200
    assert scene.client("other").post(url("goals"), {"title": "Mine"}, format="json").status_code == 201


@override_settings(EMENTOR_THROTTLE_RATES={"ementor_write": "100/hour", "ementor_run": "1/hour"})
def test_starting_runs_has_its_own_limit(scene):
    client = scene.client("staff")
    assert client.post(url("runs")).status_code == 202
    assert client.post(url("runs")).status_code == 429
    assert client.patch(url("program"), {"pitch": "Still allowed"}, format="json").status_code == 200


@override_settings(EMENTOR_THROTTLE_RATES={})
def test_an_operator_may_switch_limits_off(scene):
    client = scene.client("staff")
    assert all(client.post(url("runs")).status_code == 202 for _ in range(40))
