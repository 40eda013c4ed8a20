"""``StandinPlatform``: the platform adapter of the devsite and tests, answering from the stand-in tables."""

from django.contrib.auth import get_user_model
from django.dispatch import Signal

from ementor_plugin.platform.base import CourseGrade, Platform

from .models import CourseAccessRole, CourseEnrollment, CourseOverview, GeneratedCertificate, PersistentCourseGrade

# The LMS sends USER_RETIRE_LMS_MISC(user=...) from its retirement pipeline; the devsite sends this one.
USER_RETIRE_LMS_MISC = Signal()


class StandinPlatform(Platform):
    """Answers eMentor's questions the way the LMS would, from the devsite's own tables."""

    def course_exists(self, course_key):
        return CourseOverview.objects.filter(id=course_key).exists()

    def is_enrolled(self, user_id, course_key):
        return CourseEnrollment.objects.filter(user_id=user_id, course_id=course_key, is_active=True).exists()

    def is_course_staff(self, user_id, course_key):
        user = get_user_model().objects.filter(id=user_id, is_active=True).first()
        if user is None:
            return False
        if user.is_staff or user.is_superuser:
            return True
        return CourseAccessRole.objects.filter(
            user_id=user_id, course_id=course_key, role__in=("staff", "instructor")
        ).exists()

    def enrolled_user_ids(self, course_key):
        return list(
            CourseEnrollment.objects.filter(course_id=course_key, is_active=True)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )

    def course_grades(self, course_key, user_ids):
        user_ids = list(user_ids)
        certified = set(
            GeneratedCertificate.objects.filter(course_id=course_key, user_id__in=user_ids, status="downloadable")
            .values_list("user_id", flat=True)
        )
        rows = PersistentCourseGrade.objects.filter(course_id=course_key, user_id__in=user_ids).values_list(
            "user_id", "percent_grade", "grade_breakdown", "passed", "modified"
        )
        return {
            user_id: CourseGrade(
                user_id=user_id,
                percent=percent,
                areas={area: float(score) for area, score in (breakdown or {}).items()},
                passed=passed,
                has_certificate=user_id in certified,
                modified=modified,
            )
            for user_id, percent, breakdown, passed, modified in rows
        }

    def retirement_signal(self):
        return USER_RETIRE_LMS_MISC
