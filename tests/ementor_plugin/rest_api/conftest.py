"""A course scene for the REST tests: one person per role, a program, goals, a match and a run.

The scene is built once per test module inside an outer transaction (as Django's ``setUpTestData`` does); each
test runs in its own savepoint on top of it, so what a test changes is undone before the next one.

Roles: ``anonymous``, ``unenrolled``, ``learner`` (an enrolled mentee), ``partner`` (the learner's mentor in an
active match), ``other`` (another enrolled mentee, not matched with the learner), ``other_staff`` (staff of
another course), ``staff`` (course staff) and ``admin`` (global staff).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from ementor_plugin import api, runs

from ..conftest import CONSENT, COURSE, OTHER_COURSE, World, greedy_engine

ROLES = ("anonymous", "unenrolled", "learner", "partner", "other", "other_staff", "staff", "admin")


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Throttle counts live in the cache, keyed by user id; ids repeat between tests, counts must not.
    cache.clear()
    yield
    cache.clear()


@dataclass
class Scene:
    """Who is who, and the ids of the records the tests act on."""

    users: dict
    goal_id: int  # the learner's goal
    partner_goal_id: int
    other_goal_id: int
    match_id: int  # learner (mentee) <-> partner (mentor), active
    run_id: int

    def client(self, role: str) -> APIClient:
        """A client logged in (session) as ``role``; anonymous has no session."""
        client = APIClient()
        if role != "anonymous":
            client.force_login(self.users[role])
        return client

    def user(self, role: str):
        return self.users[role]


def url(name: str, course=COURSE, **kwargs) -> str:
    """The path of a v1 endpoint for ``course`` (a key or any string, to test malformed ones)."""
    return reverse(f"ementor_plugin:v1:{name}", kwargs={"course_id": str(course), **kwargs})


def build_scene(world: World) -> Scene:
    """Create the course, its program, one user per role, goals, the learner's match and a queued run."""
    world.program(skills=[])
    world.program(OTHER_COURSE)
    staff = world.staff("staff")
    learner = world.mentee("learner", about="I study at night", aspirations="A data job", availability=[20, 21, 22],
                           share_performance=True)
    partner = world.mentor("partner", about="Analyst, ten years", availability=[21, 22, 23], share_performance=True,
                           skills_offered=["python", "pandas"])
    other = world.mentee("other", about="Private words of other")
    users = {
        "unenrolled": world.user("unenrolled"),
        "learner": learner,
        "partner": partner,
        "other": other,
        "other_staff": world.staff("other_staff", key=OTHER_COURSE),
        "staff": staff,
        "admin": world.user("admin", is_staff=True),
    }
    goal = api.create_goal(learner.id, COURSE, title="Finish the python labs")
    partner_goal = api.create_goal(partner.id, COURSE, title="Help with python labs")
    other_goal = api.create_goal(other.id, COURSE, title="Secret goal of other")
    match = api.create_match(staff.id, COURSE, mentee_user_id=learner.id, mentor_user_id=partner.id)
    run = api.request_run(staff.id, COURSE)
    return Scene(users, goal.id, partner_goal.id, other_goal.id, match.id, run.id)


@pytest.fixture(scope="module")
def shared_scene(django_db_setup, django_db_blocker):
    """The module's scene, in a transaction rolled back after the module's last test."""
    with (
        django_db_blocker.unblock(),
        override_settings(EMENTOR_PRIVACY_NOTICE_VERSION=CONSENT),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(runs, "engine", lambda: greedy_engine)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_scene(World())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def scene(shared_scene, db):
    """The scene, with this test's changes undone afterwards (``db`` opens a savepoint over it)."""
    return shared_scene


def join_body(role: str = "mentee", **extra) -> dict:
    """A body that joins the program."""
    return {"role": role, "consent_version": CONSENT, "languages": ["en"], **extra}
