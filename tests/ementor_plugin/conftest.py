"""Fixtures for the plugin tests: users, a course with a program, enrollments and grades in the stand-in tables.

The devsite's stand-in platform (``devsite.standin``) answers enrollment, staff and grade questions, so tests
set up the platform's side through its tables exactly as the LMS would hold them.
"""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey

from devsite.standin.models import (
    CourseAccessRole,
    CourseEnrollment,
    CourseOverview,
    GeneratedCertificate,
    PersistentCourseGrade,
)
from ementor_plugin import api, runs
from ementor_plugin.models import Program

COURSE = CourseKey.from_string("course-v1:eMentorX+T101+2026")
OTHER_COURSE = CourseKey.from_string("course-v1:eMentorX+T202+2026")
CONSENT = "2026-11"

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _plugin_settings():
    with override_settings(EMENTOR_PRIVACY_NOTICE_VERSION=CONSENT, EMENTOR_SEND_EMAIL=True):
        yield


class World:
    """Builds platform-side and plugin-side records for a test in a few readable calls."""

    def __init__(self):
        self.user_model = get_user_model()

    def user(self, name: str | None = None, **extra):
        name = name or f"learner{next(_counter)}"
        return self.user_model.objects.create_user(username=name, email=f"{name}@example.org", password="x", **extra)

    def course(self, key=COURSE):
        CourseOverview.objects.get_or_create(id=key, defaults={"display_name": "Test course"})
        return key

    def enroll(self, user, key=COURSE, active=True):
        self.course(key)
        CourseEnrollment.objects.update_or_create(user=user, course_id=key, defaults={"is_active": active})
        return user

    def staff(self, name: str | None = None, key=COURSE):
        user = self.user(name or f"staff{next(_counter)}")
        self.course(key)
        CourseAccessRole.objects.create(user=user, course_id=key, role="staff")
        return user

    def grade(self, user, percent, areas=None, key=COURSE, passed=None, certificate=False):
        PersistentCourseGrade.objects.update_or_create(
            user_id=user.id,
            course_id=key,
            defaults={
                "percent_grade": percent,
                "grade_breakdown": areas or {},
                "passed": percent >= 0.5 if passed is None else passed,
            },
        )
        if certificate:
            GeneratedCertificate.objects.update_or_create(user=user, course_id=key, defaults={"status": "downloadable"})
        return user

    def program(self, key=COURSE, **config) -> Program:
        self.course(key)
        defaults = {"title": "Mentoring", "mentor_grade_threshold": 0.8, "default_mentor_capacity": 2}
        defaults.update(config)
        program, _ = Program.objects.update_or_create(course_key=key, defaults=defaults)
        return program

    def mentee(self, name=None, key=COURSE, **profile):
        user = self.enroll(self.user(name), key)
        self.grade(user, profile.pop("grade", 0.4), profile.pop("areas", {"Labs": 0.3, "Homework": 0.5}), key)
        fields = {"role": "mentee", "consent_version": CONSENT, "skills_wanted": ["python"], "languages": ["en"]}
        fields.update(profile)
        api.join_program(user.id, key, **fields)
        return user

    def mentor(self, name=None, key=COURSE, **profile):
        user = self.enroll(self.user(name), key)
        self.grade(
            user,
            profile.pop("grade", 0.92),
            profile.pop("areas", {"Labs": 0.95, "Homework": 0.9}),
            key,
            certificate=profile.pop("certificate", True),
        )
        fields = {"role": "mentor", "consent_version": CONSENT, "skills_offered": ["python"], "languages": ["en"]}
        fields.update(profile)
        api.join_program(user.id, key, **fields)
        return user


@pytest.fixture
def world(db):
    return World()


def greedy_engine(mentees, mentors, config):
    """A small stand-in for ``matching.match`` with the same contract: pinned pairs kept, capacity and
    exclusions respected, mentees matched in order to the first mentor with a free place and a shared skill
    (or any mentor). Used to test the plugin's side of a run without depending on the engine's choices."""
    from matching.data import Evidence, FactorScore, Match, MatchResult, MatchStats, Unmatched

    room = {m.id: m.capacity for m in mentors}
    by_id = {m.id: m for m in mentors}
    matches, unmatched = [], []

    def make(mentee, mentor, pinned):
        shared = tuple(sorted(set(mentee.skills_wanted) & set(mentor.skills)))
        value = 1.0 if shared else 0.5
        factors = tuple(
            FactorScore(name, weight, value, weight * value, False, "stand-in")
            for name, weight in config.weights.items()
        )
        return Match(mentee.id, mentor.id, value, factors, Evidence(shared_skills=shared), pinned)

    pinned = dict(config.pinned)
    for mentee in mentees:
        if mentee.id in pinned:
            room[pinned[mentee.id]] -= 1
            matches.append(make(mentee, by_id[pinned[mentee.id]], True))
    for mentee in mentees:
        if mentee.id in pinned:
            continue
        options = [
            m for m in mentors
            if room[m.id] > 0 and m.id != mentee.id and (mentee.id, m.id) not in config.excluded
        ]
        options.sort(key=lambda m: (not set(mentee.skills_wanted) & set(m.skills), m.id))
        if not mentors:
            unmatched.append(Unmatched(mentee.id, "no_mentors", "none"))
        elif not options:
            unmatched.append(Unmatched(mentee.id, "mentors_at_capacity", "full"))
        else:
            room[options[0].id] -= 1
            matches.append(make(mentee, options[0], False))
    scores = [m.score for m in matches]
    stats = MatchStats(len(mentees), len(mentors), len(matches), len(pinned), sum(scores),
                       sum(scores) / len(scores) if scores else 0.0, min(scores) if scores else 0.0,
                       {"assignment": 0.001})
    return MatchResult(tuple(matches), tuple(unmatched), stats)


@pytest.fixture
def fake_engine(monkeypatch):
    """Run matching with ``greedy_engine``; the list records each call's (mentees, mentors, config)."""
    calls = []

    def engine(mentees, mentors, config):
        calls.append((mentees, mentors, config))
        return greedy_engine(mentees, mentors, config)

    monkeypatch.setattr(runs, "engine", lambda: engine)
    return calls


@pytest.fixture
def no_enqueue(monkeypatch):
    """Record enqueued run ids instead of handing them to Celery."""
    enqueued = []

    def enqueue(run_id):
        enqueued.append(run_id)
        return f"task-{run_id}"

    monkeypatch.setattr(runs, "run_enqueuer", lambda: enqueue)
    return enqueued
