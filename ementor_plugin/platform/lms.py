"""``LmsPlatform``: eMentor's questions answered by the Open edX LMS itself.

Every platform import sits inside a method. This module is imported by ``get_platform()`` when the settings
name it, which in the LMS happens after the platform is fully loaded; importing platform modules at the top
would break the plugin wherever the platform is absent (Studio's early import, tests, the devsite).

The grade read is built for matching a whole course at once: the persisted course grades in one query per
chunk of learners, subsection grades prefetched into the platform's request cache, and the course's graded
subsections read once to turn subsection scores into per-assignment-type ("Homework", "Lab") areas.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model

from .base import CourseGrade, Platform

log = logging.getLogger(__name__)

# pylint: disable=import-outside-toplevel


class LmsPlatform(Platform):
    """The platform adapter used inside the LMS (the default ``EMENTOR_PLATFORM_BACKEND``)."""

    def course_exists(self, course_key):
        """Whether the LMS has a course overview for the key."""
        from openedx.core.djangoapps.content.course_overviews.api import get_course_overview_or_none

        return get_course_overview_or_none(course_key) is not None

    def is_enrolled(self, user_id, course_key):
        """Whether the user holds an active enrollment."""
        from common.djangoapps.student.models import CourseEnrollment

        return CourseEnrollment.objects.filter(user_id=user_id, course_id=course_key, is_active=True).exists()

    def is_course_staff(self, user_id, course_key):
        """Whether the user has staff access to the course (course roles or global staff)."""
        from lms.djangoapps.courseware.access import has_access

        user = get_user_model().objects.filter(id=user_id, is_active=True).first()
        if user is None:
            return False
        # has_access(..., "staff", course_key) covers course staff, instructors and global staff.
        return bool(has_access(user, "staff", course_key))

    def enrolled_user_ids(self, course_key):
        """Ids of the actively enrolled users."""
        from common.djangoapps.student.models import CourseEnrollment

        return list(
            CourseEnrollment.objects.filter(course_id=course_key, is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )

    def course_grades(self, course_key, user_ids):
        """Persisted grades, per-assignment-type areas and certificates of the users, in bulk."""
        from lms.djangoapps.grades import api as grades_api

        users = list(get_user_model().objects.filter(id__in=list(user_ids)))
        if not users:
            return {}
        rows = grades_api.get_recently_modified_grades([course_key], None, None, users)
        persisted = {row.user_id: row for row in rows}
        areas = self._area_scores(course_key, users, grades_api)
        certified = self._certified_user_ids(course_key, [user.id for user in users])
        grades = {}
        for user in users:
            row = persisted.get(user.id)
            if row is None and user.id not in areas:
                continue
            grades[user.id] = CourseGrade(
                user_id=user.id,
                percent=None if row is None else float(row.percent_grade),
                areas=areas.get(user.id, {}),
                passed=None if row is None else row.passed_timestamp is not None,
                has_certificate=user.id in certified,
                modified=None if row is None else row.modified,
            )
        return grades

    @staticmethod
    def _area_scores(course_key, users, grades_api) -> dict[int, dict[str, float]]:
        """Per learner, the share of graded points earned in each assignment type of the course."""
        try:
            formats = {
                subsection.location: subsection.format
                for subsection in grades_api.graded_subsections_for_course_id(course_key)
                if getattr(subsection, "format", None)
            }
        except Exception:
            log.warning("eMentor could not read the graded subsections of %s; matching without areas", course_key)
            return {}
        if not formats:
            return {}
        grades_api.prefetch_course_and_subsection_grades(course_key, users)
        try:
            result = {}
            for user in users:
                earned: dict[str, float] = defaultdict(float)
                possible: dict[str, float] = defaultdict(float)
                for usage_key, grade in grades_api.get_subsection_grades(user.id, course_key).items():
                    area = formats.get(usage_key)
                    if area is None or not grade.possible_graded:
                        continue
                    earned[area] += _earned_graded(grade)
                    possible[area] += float(grade.possible_graded)
                scores = {area: min(1.0, earned[area] / possible[area]) for area in possible if possible[area] > 0}
                if scores:
                    result[user.id] = scores
            return result
        finally:
            grades_api.clear_prefetched_course_and_subsection_grades(course_key)

    @staticmethod
    def _certified_user_ids(course_key, user_ids: Iterable[int]) -> set[int]:
        from lms.djangoapps.certificates.api import get_recently_modified_certificates
        from lms.djangoapps.certificates.data import CertificateStatuses

        certificates = get_recently_modified_certificates(course_keys=[course_key], user_ids=list(user_ids))
        return {cert.user_id for cert in certificates if CertificateStatuses.is_passing_status(cert.status)}

    def retirement_signal(self):
        """The LMS's ``USER_RETIRE_LMS_MISC`` signal."""
        from openedx.core.djangoapps.user_api.accounts.signals import USER_RETIRE_LMS_MISC

        return USER_RETIRE_LMS_MISC


def _earned_graded(grade) -> float:
    """The graded points earned in a subsection, honouring a staff override when there is one."""
    override = getattr(grade, "override", None)
    value = getattr(override, "earned_graded_override", None) if override is not None else None
    return float(grade.earned_graded if value is None else value)
