"""The real openedx-events signals, sent with their real data classes, reach eMentor through the plugin wiring.

``OpenEdxEventsTestMixin`` enables just these events and makes receiver errors raise (in production the
platform swallows them), so a broken receiver fails the test instead of passing silently.
"""

from datetime import UTC, datetime, timedelta

from django.test import TestCase, override_settings
from openedx_events.learning.data import (
    CourseData,
    CourseEnrollmentData,
    CoursePassingStatusData,
    PersistentCourseGradeData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import (
    COURSE_ENROLLMENT_CREATED,
    COURSE_PASSING_STATUS_UPDATED,
    COURSE_UNENROLLMENT_COMPLETED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)
from openedx_events.testing import OpenEdxEventsTestMixin

from ementor_plugin import api
from ementor_plugin.data import NoticeKind, ParticipantStatus
from ementor_plugin.models import CoursePerformance, Match

from .conftest import CONSENT, COURSE, World


def _user_data(user):
    return UserData(id=user.id, is_active=True, pii=UserPersonalData(username=user.username, email=user.email))


def _grade(user, percent, when=None, passed=True):
    now = datetime.now(UTC)
    return PersistentCourseGradeData(
        user_id=user.id,
        course=CourseData(course_key=COURSE),
        course_edited_timestamp=now,
        course_version="v1",
        grading_policy_hash="hash",
        percent_grade=percent,
        letter_grade="Pass" if passed else "",
        passed_timestamp=now if passed else None,
    )


def _enrollment(user, active=True):
    return CourseEnrollmentData(
        user=_user_data(user),
        course=CourseData(course_key=COURSE),
        mode="audit",
        is_active=active,
        creation_date=datetime.now(UTC),
    )


@override_settings(EMENTOR_PRIVACY_NOTICE_VERSION=CONSENT, EMENTOR_SEND_EMAIL=False)
class EventHandlerTests(OpenEdxEventsTestMixin, TestCase):
    ENABLED_OPENEDX_EVENTS = [
        "org.openedx.learning.course.persistent_grade_summary.changed.v1",
        "org.openedx.learning.course.passing.status.updated.v1",
        "org.openedx.learning.course.enrollment.created.v1",
        "org.openedx.learning.course.unenrollment.completed.v1",
    ]

    def setUp(self):
        self.world = World()
        self.world.program(mentor_grade_threshold=0.8)

    def test_grade_event_keeps_the_snapshot_current(self):
        learner = self.world.enroll(self.world.user())
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=_grade(learner, 0.55))
        row = CoursePerformance.objects.get(user=learner, course_key=COURSE)
        assert (row.grade, row.passed, row.source) == (0.55, True, "openedx-events")
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=_grade(learner, 0.6, passed=False))
        row.refresh_from_db()
        assert (row.grade, row.passed) == (0.6, False)

    def test_an_older_grade_never_overwrites_a_newer_one(self):
        learner = self.world.enroll(self.world.user())
        api.record_course_grade(learner.id, COURSE, 0.9, source="csv", recorded_at=datetime.now(UTC) + timedelta(1))
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=_grade(learner, 0.2))
        assert CoursePerformance.objects.get(user=learner).grade == 0.9

    def test_reaching_the_threshold_invites_to_mentor_once(self):
        learner = self.world.enroll(self.world.user())
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=_grade(learner, 0.5))
        assert api.list_notices(learner.id, COURSE) == []
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=_grade(learner, 0.85))
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=_grade(learner, 0.9))
        assert [n.kind for n in api.list_notices(learner.id, COURSE)] == [NoticeKind.INVITED_TO_MENTOR]
        viewer = api.get_viewer(learner.id, COURSE)
        assert viewer.eligible_to_mentor  # the combined source sees the newer snapshot

    def test_a_grade_for_an_unknown_user_is_ignored(self):
        ghost = self.world.user()
        data = _grade(ghost, 0.5)
        ghost.delete()
        PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=data)
        assert not CoursePerformance.objects.exists()

    def test_passing_status_event(self):
        learner = self.world.enroll(self.world.user())
        COURSE_PASSING_STATUS_UPDATED.send_event(
            course_passing_status=CoursePassingStatusData(
                is_passing=True, course=CourseData(course_key=COURSE), user=_user_data(learner)
            )
        )
        row = CoursePerformance.objects.get(user=learner)
        assert row.passed is True and row.grade is None

    def test_unenrollment_withdraws_ends_the_match_and_tells_the_partner(self):
        staff = self.world.staff()
        mentee, mentor = self.world.mentee(), self.world.mentor()
        match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
        self.world.enroll(mentee, active=False)
        COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=_enrollment(mentee, active=False))
        assert api.get_profile(mentee.id, COURSE).status is ParticipantStatus.WITHDRAWN
        ended = Match.objects.get(pk=match.id)
        assert (ended.status, ended.end_reason) == ("ended", "unenrolled")
        assert api.list_notices(mentor.id, COURSE, unread_only=True)[0].kind is NoticeKind.MATCH_ENDED
        assert api.get_program_figures(COURSE).active_matches == 0
        # Sent twice (the event bus retries): nothing more happens.
        COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=_enrollment(mentee, active=False))
        assert len(api.list_notices(mentor.id, COURSE)) == 2

    def test_reenrollment_restores_a_paused_participation(self):
        mentee = self.world.mentee()
        COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=_enrollment(mentee, active=False))
        COURSE_ENROLLMENT_CREATED.send_event(enrollment=_enrollment(mentee))
        assert api.get_profile(mentee.id, COURSE).status is ParticipantStatus.PAUSED
        # Someone who withdrew on purpose stays withdrawn when they enroll again.
        other = self.world.mentee()
        api.withdraw(other.id, COURSE)
        COURSE_ENROLLMENT_CREATED.send_event(enrollment=_enrollment(other))
        assert api.get_profile(other.id, COURSE).status is ParticipantStatus.WITHDRAWN

    def test_events_for_courses_without_a_program_are_ignored(self):
        learner = self.world.user()
        other = CourseData(course_key=COURSE.replace(course="OTHER"))
        data = CourseEnrollmentData(user=_user_data(learner), course=other, mode="audit", is_active=False,
                                    creation_date=datetime.now(UTC))
        COURSE_UNENROLLMENT_COMPLETED.send_event(enrollment=data)
        COURSE_ENROLLMENT_CREATED.send_event(enrollment=data)
        assert not api.handle_unenrollment(learner.id, COURSE)  # not a participant
        assert not api.handle_enrollment(learner.id, COURSE)
