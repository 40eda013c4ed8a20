"""The whole story over HTTP against a running devsite, as the XBlock's JavaScript and operators' scripts see it.

The devsite runs in its own process (``manage.py runserver`` on a free 127.0.0.1 port, a temporary SQLite
database, matching eagerly in its default settings; only the password hasher is swapped for a fast one). The
platform's side (a course, its staff, enrolled learners with grades) is written into the devsite's stand-in
tables first, as the LMS would hold it; everything eMentor does then happens over HTTP. Staff configure the
program; learners join as mentees and mentors with profiles and goals; staff start a run and poll it; learners
read their matches with explanations; one declines; the next run rematches them. Staff and most learners use
their session (writes carry the CSRF token); one mentor calls with a JWT, as a micro-frontend would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),  # the devsite's short demo secret
]

ROOT = Path(__file__).resolve().parents[3]
MANAGE = ROOT / "devsite" / "manage.py"
PASSWORD = "e2e-story-password"
COURSE = "course-v1:eMentorE2E+STORY+2026"
PROGRAM = f"/api/ementor/v1/programs/{COURSE}/"
MENTEES = ("mentee_ana", "mentee_ben", "mentee_cai")
MENTORS = ("mentor_dee", "mentor_eli", "mentor_fay")

#: The platform's side of the story, run inside the devsite (``manage.py shell -c``).
PLATFORM_SETUP = f"""
from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import CourseKey
from devsite.standin.models import (CourseAccessRole, CourseEnrollment, CourseOverview, GeneratedCertificate,
                                    PersistentCourseGrade)
key = CourseKey.from_string({COURSE!r})
CourseOverview.objects.create(id=key, display_name="Data analysis, end to end")
users = get_user_model().objects
CourseAccessRole.objects.create(user=users.create_user("e2e_staff", password={PASSWORD!r}), course_id=key,
                                role="staff")
for name, grade in {dict.fromkeys(MENTEES, 0.45) | dict.fromkeys(MENTORS, 0.92)!r}.items():
    user = users.create_user(name, email=name + "@example.org", password={PASSWORD!r})
    CourseEnrollment.objects.create(user=user, course_id=key)
    areas = {{"Labs": grade - 0.1, "Homework": grade + 0.05}}
    PersistentCourseGrade.objects.create(user_id=user.id, course_id=key, percent_grade=grade,
                                         grade_breakdown=areas, passed=grade >= 0.5)
    if grade > 0.9:
        GeneratedCertificate.objects.create(user=user, course_id=key)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def devsite(tmp_path_factory):
    """A devsite server of its own: migrated, the platform's side set up; yields its base URL."""
    var = tmp_path_factory.mktemp("devsite-var")
    # The devsite's own settings with a fast password hasher (the production one takes a second per login here).
    (var / "e2e_settings.py").write_text(
        "from devsite.settings.base import *  # noqa: F403\n"
        'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n'
    )
    env = {**os.environ, "DEVSITE_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "e2e_settings",
           "PYTHONPATH": os.pathsep.join([str(var), str(ROOT / "devsite"), str(ROOT)]),
           "DEVSITE_DEBUG": "0", "EMENTOR_LOG_LEVEL": "WARNING"}
    env.pop("CELERY_BROKER_URL", None)  # matching runs eagerly, in the request that starts it
    for command in (["migrate", "--noinput", "-v", "0"], ["shell", "-c", PLATFORM_SETUP]):
        subprocess.run([sys.executable, str(MANAGE), *command], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = (var / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _wait_until_up(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the devsite exited with {server.returncode}")
        try:
            if requests.get(f"{base}/api/ementor/v1/schema/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the devsite did not answer in time")


class Caller:
    """One person's HTTP session with the devsite's REST API."""

    def __init__(self, base: str, username: str, *, jwt: bool = False) -> None:
        self.base = base
        self.username = username
        self.http = requests.Session()
        if jwt:
            user = SimpleNamespace(username=username, id=0, email=f"{username}@example.com")
            self.http.headers["Authorization"] = f"JWT {generate_jwt(user)}"
        else:
            self._log_in()

    def _log_in(self) -> None:
        page = f"{self.base}/accounts/login/"
        self.http.get(page, timeout=10)
        response = self.http.post(page, timeout=10, allow_redirects=False, data={
            "username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
        })
        assert response.status_code == 302, f"{self.username} could not log in"
        self.http.headers["X-CSRFToken"] = self.http.cookies["csrftoken"]  # Django rotates it at login

    def call(self, method: str, path: str, body=None, expect: int = 200):
        response = self.http.request(method, f"{self.base}{PROGRAM}{path}", json=body, timeout=60)
        assert response.status_code == expect, (self.username, method, path, response.status_code, response.text)
        return response.json() if response.content else None


def _profile(username: str, role: str) -> dict:
    wanted = {"skills_wanted": ["python", "pandas"]} if role == "mentee" else {"skills_offered": ["python", "pandas"]}
    return {
        "role": role,
        "consent_version": "2026-11",
        "languages": ["en"],
        "availability": [18, 19, 20, 42, 43],
        "time_zone": "Europe/Paris",
        "about": f"I am {username} and I like data.",
        "aspirations": "Become a data analyst",
        "share_performance": True,
        **wanted,
    }


def _run(staff: Caller) -> dict:
    """Start a run and poll it until it finishes."""
    run = staff.call("POST", "runs/", expect=202)
    deadline = time.monotonic() + 60
    while run["is_open"] and time.monotonic() < deadline:
        time.sleep(0.2)
        run = staff.call("GET", f"runs/{run['id']}/")
    assert run["status"] == "succeeded", run
    return run


def _active(caller: Caller) -> list[dict]:
    return [m for m in caller.call("GET", "matches/me/")["results"] if m["status"] == "active"]


def test_the_whole_story_over_http(devsite):
    staff = Caller(devsite, "e2e_staff")
    configured = staff.call("PATCH", "", {
        "title": "Find a mentor, or become one",
        "pitch": "Pair up with a learner who has been there.",
        "weights": {"skills": 3, "aspirations": 1, "performance": 2, "language": 1, "availability": 1},
        "strategy": "optimal",
        "mentor_grade_threshold": 0.75,
        "default_mentor_capacity": 2,
        "max_mentor_capacity": 3,
    }, expect=201)
    assert configured["matching"]["strategy"] == "optimal" and len(configured["matching"]["factors"]) == 5

    mentees = {name: Caller(devsite, name) for name in MENTEES}
    mentors = {name: Caller(devsite, name, jwt=name == "mentor_fay") for name in MENTORS}
    for name, caller in mentees.items():
        assert caller.call("GET", "")["figures"]["waiting_mentees"] >= 0  # the recruitment panel's read
        caller.call("PUT", "participants/me/", _profile(name, "mentee"), expect=201)
        caller.call("POST", "goals/", {"title": "Pass the python labs with pandas"}, expect=201)
    for name, caller in mentors.items():
        caller.call("PUT", "participants/me/", _profile(name, "mentor"), expect=201)
        caller.call("POST", "goals/", {"title": "Help someone with python and pandas"}, expect=201)
    assert staff.call("GET", "participants/")["count"] == 6

    first = _run(staff)
    assert first["figures"]["n_matched"] == 3

    pairs = {}
    for name, caller in mentees.items():
        [match] = _active(caller)
        assert match["my_role"] == "mentee" and match["partner"]["username"] in MENTORS
        assert match["partner"]["about"].startswith("I am ")
        assert match["explanation"]["available"] is True
        assert {f["factor"] for f in match["explanation"]["factors"]} == set(configured["weights"])
        assert match["partner_goals"] and match["goal_alignment"]["score"] > 0
        pairs[name] = match
    mentor_view = _active(mentors[pairs["mentee_ana"]["partner"]["username"]])
    assert "mentee_ana" in {m["partner"]["username"] for m in mentor_view}

    declined = pairs["mentee_ana"]
    answer = mentees["mentee_ana"].call("POST", f"matches/{declined['id']}/response/",
                                    {"decision": "decline", "reason": "Our hours do not fit"})
    assert answer["status"] == "declined"
    assert _active(mentees["mentee_ana"]) == []

    _run(staff)
    [again] = _active(mentees["mentee_ana"])
    assert again["id"] != declined["id"]
    assert again["partner"]["username"] != declined["partner"]["username"]
    for name in ("mentee_ben", "mentee_cai"):
        assert [m["id"] for m in _active(mentees[name])] == [pairs[name]["id"]]  # kept their match

    statuses = [m["status"] for m in staff.call("GET", "matches/")["results"]]
    assert sorted(statuses) == ["active", "active", "active", "declined"]
