"""Fixtures for the XBlock tests: a runtime with the LMS's services, a course world, and handler calls.

The runtime gives the block what the LMS gives it: a ``user`` service (``edx-platform.user_id``), an ``i18n``
service that loads the block's own compiled catalog (the LMS's fallback) and a ``settings`` service naming the
course. Handlers are called through ``block.handle`` with a real webob request, so the JSON decoding, the
``JsonHandlerError`` mapping and the status codes are the ones the LMS would return. The plugin side is real:
its API, its models and the devsite's stand-in platform tables.
"""

from __future__ import annotations

import gettext
import itertools
import json
from pathlib import Path

import pytest
import webob
from django.contrib.auth import get_user_model
from django.utils import translation
from opaque_keys.edx.keys import CourseKey
from xblock.fields import ScopeIds
from xblock.reference.user_service import UserService, XBlockUser
from xblock.runtime import DictKeyValueStore, KvsFieldData
from xblock.test.tools import TestRuntime

import ementor_xblock
from devsite.standin.models import (
    CourseAccessRole,
    CourseEnrollment,
    CourseOverview,
    GeneratedCertificate,
    PersistentCourseGrade,
)
from ementor_plugin import api
from ementor_xblock.block import EmentorXBlock

COURSE = "course-v1:eMentorX+XB101+2026"
OTHER_COURSE = "course-v1:eMentorX+XB202+2026"
TRANSLATIONS = Path(ementor_xblock.__file__).parent / "translations"
_counter = itertools.count(1)


class CatalogI18n:
    """Like the LMS's XBlockI18nService fallback: the block's own ``text`` catalog for one language."""

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self.translator = gettext.translation("text", str(TRANSLATIONS), [language], fallback=True)

    def __getattr__(self, name):
        return getattr(self.translator, name)

    def gettext(self, message):
        return self.translator.gettext(message)

    def ngettext(self, singular, plural, number):
        return self.translator.ngettext(singular, plural, number)


class FakeUserService(UserService):
    """The LMS's user service for one user (or an anonymous visitor when ``user_id`` is None)."""

    def __init__(self, user_id, *, is_staff=False):
        user = XBlockUser(is_current_user=True, emails=[], full_name="")
        user.opt_attrs["edx-platform.user_id"] = user_id
        user.opt_attrs["edx-platform.is_authenticated"] = user_id is not None
        user.opt_attrs["edx-platform.user_is_staff"] = is_staff
        super().__init__(user=user)
        self._user = user

    def get_current_user(self):
        return self._user


class FakeSettingsService:
    """The settings service, with the course named in the block's bucket (as the devsite does)."""

    def __init__(self, course_id):
        self.course_id = course_id

    def get_settings_bucket(self, block, default=None):
        return {"course_id": self.course_id} if self.course_id else (default or {})


class Unit:
    """One eMentor unit in a course, seen by different users (they share its settings, not their state)."""

    def __init__(self, course_id=COURSE, language="en", usage_id="ementor-unit-1"):
        self.kvs = DictKeyValueStore()
        self.course_id = course_id
        self.language = language
        self.usage_id = usage_id
        self.settings = {}

    def block(self, user=None, *, user_id=None, language=None) -> EmentorXBlock:
        """The block as ``user`` sees it (anonymous when both are None)."""
        uid = user.id if user is not None else user_id
        runtime = TestRuntime(services={
            "field-data": KvsFieldData(self.kvs),
            "user": FakeUserService(uid),
            "i18n": CatalogI18n(language or self.language),
            "settings": FakeSettingsService(self.course_id),
        })
        scope_ids = ScopeIds(str(uid) if uid is not None else "anonymous", "ementor", "def-1", self.usage_id)
        block = EmentorXBlock(runtime, scope_ids=scope_ids)
        for name, value in self.settings.items():
            setattr(block, name, value)
        return block

    def call(self, user, handler, data=None, *, raw=None):
        """POST to a handler as ``user``; returns (status, parsed JSON body)."""
        block = self.block(user) if user is not None else self.block(user_id=None)
        body = raw if raw is not None else json.dumps(data if data is not None else {}).encode()
        request = webob.Request.blank("/", method="POST", body=body)
        request.content_type = "application/json"
        response = block.handle(handler, request)
        block.save()
        return response.status_code, json.loads(response.body or b"{}")

    def html(self, user=None, *, language=None):
        """The student view's HTML as ``user`` sees it."""
        block = self.block(user, language=language) if user is not None else self.block(user_id=None)
        return block.student_view().body_html()


class World:
    """Platform-side and plugin-side records for a test, in a few readable calls."""

    def __init__(self):
        self.users = get_user_model()

    def user(self, name=None):
        name = name or f"user{next(_counter)}"
        return self.users.objects.create_user(username=name, email=f"{name}@example.org", password="pw")

    def course(self, key=COURSE):
        CourseOverview.objects.get_or_create(id=CourseKey.from_string(key), defaults={"display_name": "XB course"})
        return key

    def enroll(self, user, key=COURSE):
        self.course(key)
        CourseEnrollment.objects.update_or_create(user=user, course_id=CourseKey.from_string(key),
                                                  defaults={"is_active": True})
        return user

    def grade(self, user, percent, areas=None, key=COURSE, certificate=False):
        PersistentCourseGrade.objects.update_or_create(
            user_id=user.id, course_id=CourseKey.from_string(key),
            defaults={"percent_grade": percent, "grade_breakdown": areas or {}, "passed": percent >= 0.5},
        )
        if certificate:
            GeneratedCertificate.objects.update_or_create(user=user, course_id=CourseKey.from_string(key),
                                                          defaults={"status": "downloadable"})
        return user

    def staff(self, name=None, key=COURSE):
        user = self.user(name)
        self.course(key)
        CourseAccessRole.objects.create(user=user, course_id=CourseKey.from_string(key), role="staff")
        return user

    def program(self, staff, key=COURSE, **config):
        values = {"title": "Peer mentoring", "skills": ["Python", "Statistics", "Plotting"],
                  "mentor_grade_threshold": 0.8}
        values.update(config)
        return api.configure_program(staff.id, key, **values)

    def learner(self, name=None, grade=0.55, areas=None, key=COURSE, certificate=False):
        user = self.enroll(self.user(name), key)
        return self.grade(user, grade, areas if areas is not None else {"Labs": 0.45, "Homework": 0.7}, key,
                          certificate)

    def mentee(self, name=None, key=COURSE, **profile):
        user = self.learner(name, key=key)
        values = {"role": "mentee", "skills_wanted": ["Python"], "languages": ["en"], "availability": [40, 41, 42],
                  "time_zone": "UTC", "aspirations": "I want to get better at data labs"}
        values.update(profile)
        api.join_program(user.id, key, consent_version=api.get_viewer(user.id, key).privacy_notice_version, **values)
        return user

    def mentor(self, name=None, key=COURSE, **profile):
        user = self.learner(name, grade=0.93, areas={"Labs": 0.95, "Homework": 0.9}, key=key, certificate=True)
        values = {"role": "mentor", "skills_offered": ["Python"], "languages": ["en"], "availability": [40, 41, 42],
                  "time_zone": "UTC", "about": "I enjoy data labs and teaching", "capacity": 2}
        values.update(profile)
        api.join_program(user.id, key, consent_version=api.get_viewer(user.id, key).privacy_notice_version, **values)
        return user

    def run(self, staff, key=COURSE):
        """Request a run and execute it now (whatever the task wiring), returning the finished run."""
        run = api.request_run(staff.id, key)
        return api.execute_run(run.id)


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def unit():
    return Unit()


@pytest.fixture
def make_unit():
    """Build other units: another course, another language, another usage id."""
    return Unit


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def stand_in_engine(mentees, mentors, config):
    """A small greedy matcher over ``matching``'s public data classes, used only while ``matching.match`` is
    not installed, so the XBlock's panels can be exercised end to end with explanations shaped like the engine's.
    """
    from matching.data import (
        AreaEvidence,
        Evidence,
        FactorScore,
        Match,
        MatchResult,
        MatchStats,
        Unmatched,
        normalise_weights,
    )

    weights = normalise_weights(config.weights)
    places = {mentor.id: mentor.capacity for mentor in mentors}
    by_id = {mentor.id: mentor for mentor in mentors}

    def explain(mentee, mentor, pinned=False):
        shared = tuple(sorted(set(mentee.skills_wanted) & set(mentor.skills)))
        languages = tuple(sorted(set(mentee.languages) & set(mentor.languages)))
        hours = len((mentee.availability or frozenset()) & (mentor.availability or frozenset()))
        areas = tuple(
            AreaEvidence(area, mentee.performance[area], mentor.performance[area])
            for area in sorted(set(mentee.performance) & set(mentor.performance))
            if mentor.performance[area] > mentee.performance[area]
        )
        terms = tuple(sorted(set(mentee.aspirations.lower().split()) & set(mentor.about.lower().split())
                             - {"i", "and", "to", "the", "a", "in", "at"}))[:5]
        values = {
            "skills": len(shared) / max(1, len(set(mentee.skills_wanted) | set(mentor.skills))),
            "aspirations": min(1.0, len(terms) / 3),
            "performance": min(1.0, sum(a.mentor_score - a.mentee_score for a in areas)),
            "language": 1.0 if languages else 0.0,
            "availability": min(1.0, hours / 3),
        }
        factors = tuple(
            FactorScore(name, weights[name], values[name], weights[name] * values[name], False, f"{name} fit")
            for name in weights
        )
        evidence = Evidence(shared, areas, hours, languages, terms)
        return Match(mentee.id, mentor.id, sum(f.contribution for f in factors), factors, evidence, pinned)

    matches, unmatched = [], []
    pinned = dict(config.pinned)
    for mentee in mentees:
        if mentee.id in pinned and pinned[mentee.id] in by_id:
            places[pinned[mentee.id]] -= 1
            matches.append(explain(mentee, by_id[pinned[mentee.id]], pinned=True))
            continue
        speakers = [mentor for mentor in mentors
                    if not config.language_required or set(mentee.languages) & set(mentor.languages)]
        options = [explain(mentee, mentor) for mentor in speakers
                   if places[mentor.id] > 0 and (mentee.id, mentor.id) not in config.excluded]
        options = [m for m in options if m.score >= config.min_score]
        if not options:
            reason = "no_mentors" if not mentors else "no_shared_language" if not speakers else "mentors_at_capacity"
            unmatched.append(Unmatched(mentee.id, reason, ""))
            continue
        best = max(options, key=lambda m: (m.score, m.mentor_id))
        places[best.mentor_id] -= 1
        matches.append(best)
    scores = [m.score for m in matches]
    stats = MatchStats(len(mentees), len(mentors), len(matches), len(pinned), sum(scores),
                       sum(scores) / len(scores) if scores else 0.0, min(scores) if scores else 0.0,
                       {"assignment": 0.001})
    return MatchResult(tuple(matches), tuple(unmatched), stats)


@pytest.fixture(autouse=True)
def _engine(monkeypatch):
    """Use the real ``matching.match`` when it is installed, the stand-in otherwise."""
    import matching

    if getattr(matching, "match", None) is None:
        monkeypatch.setattr(matching, "match", stand_in_engine, raising=False)
