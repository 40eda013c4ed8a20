"""Platform-shaped tables: just the fields eMentor's adapter reads in the LMS."""

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField


class CourseOverview(models.Model):
    """A course, as the LMS's CourseOverview knows it.

    .. no_pii:
    """

    id = CourseKeyField(max_length=255, primary_key=True)
    display_name = models.CharField(max_length=255)

    def __str__(self):
        return f"{self.display_name} ({self.id})"


class CourseEnrollment(models.Model):
    """A user's enrollment in a course, like ``common.djangoapps.student.models.CourseEnrollment``.

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    mode = models.CharField(max_length=100, default="audit")
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("user", "course_id")]

    def __str__(self):
        return f"{self.user_id} in {self.course_id} ({'active' if self.is_active else 'inactive'})"


class CourseAccessRole(models.Model):
    """A course role, like ``common.djangoapps.student.models.CourseAccessRole`` ("staff", "instructor").

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    role = models.CharField(max_length=64, choices=[("staff", "Staff"), ("instructor", "Instructor")])

    class Meta:
        unique_together = [("user", "course_id", "role")]

    def __str__(self):
        return f"{self.user_id} {self.role} of {self.course_id}"


class PersistentCourseGrade(models.Model):
    """A learner's persisted course grade with its per-assignment-type breakdown.

    The LMS keeps the breakdown in the grader result; here it is stored beside the percent.

    .. no_pii:
    """

    user_id = models.IntegerField(db_index=True)
    course_id = CourseKeyField(max_length=255, db_index=True)
    percent_grade = models.FloatField()
    grade_breakdown = models.JSONField(default=dict, blank=True)
    passed = models.BooleanField(default=False)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        unique_together = [("user_id", "course_id")]

    def __str__(self):
        return f"{self.user_id} in {self.course_id}: {self.percent_grade:.0%}"


class GeneratedCertificate(models.Model):
    """A certificate, like ``lms.djangoapps.certificates.models.GeneratedCertificate``.

    .. no_pii:
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course_id = CourseKeyField(max_length=255, db_index=True)
    status = models.CharField(max_length=32, default="downloadable")

    class Meta:
        unique_together = [("user", "course_id")]

    def __str__(self):
        return f"{self.user_id} in {self.course_id}: {self.status}"
