"""Where learners' course performance comes from: the platform's grades, eMentor's own snapshots, or both.

``settings.EMENTOR_PERFORMANCE_SOURCE`` chooses:

* ``"platform"``: the platform adapter's bulk grade read (in the LMS: the persisted course grades).
* ``"snapshots"``: ``CoursePerformance`` rows, kept current by the grade events and the CSV import command.
  This is what serves the interface where the LMS is absent.
* ``"combined"`` (default): both, the most recent figure winning per learner, so an imported or event-fed
  snapshot fills in for learners the platform has no grade for.

Everything here works in bulk: matching a program reads every participant's grade in a few queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from opaque_keys.edx.keys import CourseKey

from .models import CoursePerformance
from .platform import CourseGrade, get_platform

__all__ = ["SOURCES", "course_grade", "course_grades"]

SOURCES = ("platform", "snapshots", "combined")
_CHUNK = 500  # ids per IN (...) query: well inside every backend's parameter limit


def _source() -> str:
    source = getattr(settings, "EMENTOR_PERFORMANCE_SOURCE", "combined")
    if source not in SOURCES:
        raise ImproperlyConfigured(f"EMENTOR_PERFORMANCE_SOURCE must be one of {', '.join(SOURCES)}")
    return source


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _from_snapshots(course_key: CourseKey, user_ids: list[int]) -> dict[int, CourseGrade]:
    grades: dict[int, CourseGrade] = {}
    for chunk in _chunks(user_ids):
        rows = CoursePerformance.objects.filter(course_key=course_key, user_id__in=chunk).values_list(
            "user_id", "grade", "areas", "passed", "has_certificate", "recorded_at"
        )
        for user_id, grade, areas, passed, certificate, recorded_at in rows:
            grades[user_id] = CourseGrade(
                user_id=user_id,
                percent=grade,
                areas={str(area): float(score) for area, score in (areas or {}).items()},
                passed=passed,
                has_certificate=certificate,
                modified=recorded_at,
            )
    return grades


def _from_platform(course_key: CourseKey, user_ids: list[int]) -> dict[int, CourseGrade]:
    platform = get_platform()
    grades: dict[int, CourseGrade] = {}
    for chunk in _chunks(user_ids):
        grades.update(platform.course_grades(course_key, chunk))
    return grades


def _newer(first: CourseGrade, second: CourseGrade) -> CourseGrade:
    """The more recent of two grades of one learner; an undated one loses to a dated one."""
    if first.modified is None:
        return second
    if second.modified is None:
        return first
    return second if second.modified > first.modified else first


def course_grades(course_key: CourseKey, user_ids: Iterable[int]) -> dict[int, CourseGrade]:
    """Return the known grades of the given users in a course, read in bulk from the configured source.

    Args:
        course_key: the course.
        user_ids: platform user ids; duplicates are fine.

    Returns:
        user id -> ``CourseGrade``; users without any grade are left out.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    source = _source()
    if source == "platform":
        return _from_platform(course_key, ids)
    if source == "snapshots":
        return _from_snapshots(course_key, ids)
    merged = _from_platform(course_key, ids)
    for user_id, snapshot in _from_snapshots(course_key, ids).items():
        merged[user_id] = _newer(merged[user_id], snapshot) if user_id in merged else snapshot
    return merged


def course_grade(course_key: CourseKey, user_id: int) -> CourseGrade | None:
    """Return one learner's grade in a course, or None when nothing is known."""
    return course_grades(course_key, [user_id]).get(user_id)


def is_newer(recorded_at: datetime, current: datetime | None) -> bool:
    """Whether a figure recorded at ``recorded_at`` should replace one recorded at ``current``.

    Events can arrive out of order (the event bus retries); an older event must not overwrite a newer figure.
    """
    return current is None or recorded_at >= current
