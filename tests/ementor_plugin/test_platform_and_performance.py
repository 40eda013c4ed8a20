"""The LMS adapter against stand-ins of the platform modules it imports, and the performance source setting."""

import sys
import types
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal
from django.test import override_settings

from devsite.standin.models import CourseEnrollment
from ementor_plugin import api, performance
from ementor_plugin.platform import CourseGrade, get_platform
from ementor_plugin.platform.lms import LmsPlatform

from .conftest import COURSE

LABS_1, LABS_2, EXAM = "block-v1:x+labs1", "block-v1:x+labs2", "block-v1:x+exam"


def _install(monkeypatch, name, **attrs):
    """Put a stand-in module (and its parent packages) into sys.modules for the adapter's imports."""
    parts = name.split(".")
    for i in range(1, len(parts)):
        monkeypatch.setitem(sys.modules, ".".join(parts[:i]), sys.modules.get(".".join(parts[:i]))
                            or types.ModuleType(".".join(parts[:i])))
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


@pytest.fixture
def lms(monkeypatch, world):
    """Stand-ins for the platform modules LmsPlatform imports, with two learners' grades."""
    ada, bob, cyd = world.user("ada"), world.user("bob"), world.user("cyd")
    now = datetime.now(UTC)
    persisted = [
        SimpleNamespace(user_id=ada.id, percent_grade=0.9, passed_timestamp=now, modified=now),
        SimpleNamespace(user_id=bob.id, percent_grade=0.3, passed_timestamp=None, modified=now),
    ]
    subsection = {
        ada.id: {
            LABS_1: SimpleNamespace(earned_graded=9, possible_graded=10, override=None),
            LABS_2: SimpleNamespace(earned_graded=5, possible_graded=10,
                                    override=SimpleNamespace(earned_graded_override=10)),
            EXAM: SimpleNamespace(earned_graded=7, possible_graded=10, override=None),
        },
        bob.id: {LABS_1: SimpleNamespace(earned_graded=2, possible_graded=10, override=None)},
        cyd.id: {EXAM: SimpleNamespace(earned_graded=0, possible_graded=0, override=None)},
    }
    calls = []
    _install(
        monkeypatch,
        "lms.djangoapps.grades.api",
        get_recently_modified_grades=lambda keys, start, end, users: [
            row for row in persisted if row.user_id in {u.id for u in users}
        ],
        graded_subsections_for_course_id=lambda key: [
            SimpleNamespace(location=LABS_1, format="Lab"), SimpleNamespace(location=LABS_2, format="Lab"),
            SimpleNamespace(location=EXAM, format="Final Exam"), SimpleNamespace(location="x", format=None),
        ],
        prefetch_course_and_subsection_grades=lambda key, users: calls.append(("prefetch", len(users))),
        get_subsection_grades=lambda user_id, key: subsection.get(user_id, {}),
        clear_prefetched_course_and_subsection_grades=lambda key: calls.append(("clear",)),
    )
    _install(
        monkeypatch,
        "lms.djangoapps.certificates.api",
        get_recently_modified_certificates=lambda course_keys, user_ids: [
            SimpleNamespace(user_id=ada.id, status="downloadable"), SimpleNamespace(user_id=bob.id, status="notpassing")
        ],
    )
    _install(monkeypatch, "lms.djangoapps.certificates.data",
             CertificateStatuses=SimpleNamespace(is_passing_status=lambda status: status == "downloadable"))
    _install(monkeypatch, "lms.djangoapps.courseware.access",
             has_access=lambda user, action, key: action == "staff" and user.username == "ada")
    _install(monkeypatch, "common.djangoapps.student.models", CourseEnrollment=CourseEnrollment)
    _install(monkeypatch, "openedx.core.djangoapps.content.course_overviews.api",
             get_course_overview_or_none=lambda key: object() if key == COURSE else None)
    retire = Signal()
    _install(monkeypatch, "openedx.core.djangoapps.user_api.accounts.signals", USER_RETIRE_LMS_MISC=retire)
    return SimpleNamespace(ada=ada, bob=bob, cyd=cyd, calls=calls, retire=retire)


def test_lms_grades_are_read_in_bulk_with_areas_and_certificates(lms):
    grades = LmsPlatform().course_grades(COURSE, [lms.ada.id, lms.bob.id, lms.cyd.id, 999999])
    ada, bob = grades[lms.ada.id], grades[lms.bob.id]
    assert ada.percent == 0.9 and ada.passed and ada.has_certificate
    assert ada.areas == {"Lab": pytest.approx(0.95), "Final Exam": pytest.approx(0.7)}  # override counts
    assert bob.percent == 0.3 and bob.passed is False and not bob.has_certificate and bob.areas == {"Lab": 0.2}
    assert lms.cyd.id not in grades  # no persisted grade and no graded points
    assert lms.calls == [("prefetch", 3), ("clear",)]
    assert LmsPlatform().course_grades(COURSE, []) == {}


def test_lms_grades_without_course_structure_still_give_the_grade(lms, monkeypatch):
    def broken(key):
        raise RuntimeError("modulestore unavailable")

    monkeypatch.setattr(sys.modules["lms.djangoapps.grades.api"], "graded_subsections_for_course_id", broken)
    grades = LmsPlatform().course_grades(COURSE, [lms.ada.id])
    assert grades[lms.ada.id].percent == 0.9 and grades[lms.ada.id].areas == {}


def test_lms_enrollment_staff_course_and_retirement(lms, world):
    platform = LmsPlatform()
    world.enroll(lms.bob)
    assert platform.is_enrolled(lms.bob.id, COURSE) and not platform.is_enrolled(lms.ada.id, COURSE)
    assert platform.enrolled_user_ids(COURSE) == [lms.bob.id]
    assert platform.is_course_staff(lms.ada.id, COURSE) and not platform.is_course_staff(lms.bob.id, COURSE)
    assert not platform.is_course_staff(999999, COURSE)
    assert platform.course_exists(COURSE) and not platform.course_exists(COURSE.replace(run="1999"))
    assert platform.retirement_signal() is lms.retire


def test_the_lms_adapter_imports_platform_code_only_inside_methods():
    import ast
    import inspect

    import ementor_plugin.platform.lms as module

    tree = ast.parse(inspect.getsource(module))
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = [alias.name for node in top_level for alias in node.names] + [
        node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)
    ]
    assert not [name for name in names if name.split(".")[0] in ("lms", "common", "openedx", "xmodule")]
    inner = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node not in top_level]
    assert "lms.djangoapps.grades" in inner  # the platform is reached, from inside the methods


def test_get_platform_follows_the_setting():
    assert type(get_platform()).__name__ == "StandinPlatform"
    with override_settings(EMENTOR_PLATFORM_BACKEND="ementor_plugin.platform.lms.LmsPlatform"):
        assert isinstance(get_platform(), LmsPlatform)


def test_performance_sources(world, settings):
    learner = world.user()
    world.grade(learner, 0.6, {"Labs": 0.5})  # the platform's grade (stand-in table), modified now
    later = datetime.now(UTC) + timedelta(hours=1)
    api.record_course_grade(learner.id, COURSE, 0.8, source="csv", areas={"Labs": 0.9}, recorded_at=later)
    settings.EMENTOR_PERFORMANCE_SOURCE = "platform"
    assert performance.course_grade(COURSE, learner.id).percent == 0.6
    settings.EMENTOR_PERFORMANCE_SOURCE = "snapshots"
    assert performance.course_grade(COURSE, learner.id).areas == {"Labs": 0.9}
    settings.EMENTOR_PERFORMANCE_SOURCE = "combined"
    assert performance.course_grade(COURSE, learner.id).percent == 0.8  # the newer figure wins
    api.record_course_grade(learner.id, COURSE, 0.1, source="csv", recorded_at=later + timedelta(hours=1))
    assert performance.course_grade(COURSE, learner.id).percent == 0.1
    only_snapshot = world.user()
    api.record_course_grade(only_snapshot.id, COURSE, 0.7, source="csv")
    assert performance.course_grades(COURSE, [only_snapshot.id, learner.id, 424242]).keys() == {
        only_snapshot.id, learner.id}
    assert performance.course_grades(COURSE, []) == {}
    settings.EMENTOR_PERFORMANCE_SOURCE = "gradebook"
    with pytest.raises(ImproperlyConfigured):
        performance.course_grade(COURSE, learner.id)


def test_newer_of_two_grades_prefers_dated_ones():
    undated = CourseGrade(user_id=1, percent=0.1)
    dated = CourseGrade(user_id=1, percent=0.2, modified=datetime.now(UTC))
    assert performance._newer(undated, dated) is dated
    assert performance._newer(dated, undated) is dated
