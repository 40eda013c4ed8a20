"""Receivers for the openedx-events eMentor follows. Each one parses the event and makes one ``api`` call.

They are connected by the plugin framework (``plugin_app["signals_config"]`` in apps.py). In production the
platform swallows receiver exceptions, so nothing here may rely on raising to be noticed: ``api`` logs.
"""

from .. import api


def on_grade_summary_changed(signal=None, sender=None, grade=None, metadata=None, **kwargs):  # pylint: disable=unused-argument
    """Keep the learner's course-performance snapshot current when the platform persists a new course grade."""
    api.record_course_grade(
        user_id=grade.user_id,
        course_key=grade.course.course_key,
        grade=grade.percent_grade,
        passed=grade.passed_timestamp is not None,
        source="openedx-events",
        recorded_at=getattr(metadata, "time", None),
    )


def on_passing_status_updated(signal=None, sender=None, course_passing_status=None, metadata=None, **kwargs):  # pylint: disable=unused-argument
    """A learner who starts passing may now qualify to mentor: refresh their eligibility."""
    api.record_passing_status(
        user_id=course_passing_status.user.id,
        course_key=course_passing_status.course.course_key,
        is_passing=course_passing_status.is_passing,
        recorded_at=getattr(metadata, "time", None),
    )


def on_enrollment_created(signal=None, sender=None, enrollment=None, **kwargs):  # pylint: disable=unused-argument
    """A learner who re-enrolls gets a paused participation back (never an automatic new match)."""
    api.handle_enrollment(user_id=enrollment.user.id, course_key=enrollment.course.course_key)


def on_unenrollment_completed(signal=None, sender=None, enrollment=None, **kwargs):  # pylint: disable=unused-argument
    """An unenrolled learner is withdrawn, their active matches end and their partners are told."""
    api.handle_unenrollment(user_id=enrollment.user.id, course_key=enrollment.course.course_key)
