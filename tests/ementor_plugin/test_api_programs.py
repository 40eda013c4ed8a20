"""Programs: reading, configuring (staff only, per-field validation), figures, the matching overview, viewer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from ementor_plugin import api, errors
from ementor_plugin.data import Objective, Role, Schedule, Strategy
from ementor_plugin.models import AuditEvent, Participant

from .conftest import COURSE, OTHER_COURSE


def test_get_program_returns_data_not_models(world):
    world.program(title="Mentors for all", skills=["Python", "SQL"])
    program = api.get_program(str(COURSE))
    assert program.title == "Mentors for all"
    assert program.course_key == str(COURSE)
    assert program.skills == ("Python", "SQL")
    assert program.strategy is Strategy.OPTIMAL
    assert set(program.weights) == {"skills", "aspirations", "performance", "language", "availability"}
    assert program.is_enrollment_open


def test_get_program_errors(world):
    with pytest.raises(errors.NotFound):
        api.get_program(COURSE)
    with pytest.raises(errors.ValidationError) as caught:
        api.get_program("not a course key")
    assert "course_key" in caught.value.field_errors


def test_staff_configures_a_new_program_and_it_is_audited(world):
    staff = world.staff()
    program = api.configure_program(
        staff.id,
        COURSE,
        title="Peer mentoring",
        strategy="stable",
        objective="coverage",
        weights={"skills": 2, "language": 1},
        schedule="weekly",
        skills=["python", "Python ", "SQL"],
        requires_approval=True,
        default_mentor_capacity=3,
        max_mentor_capacity=4,
    )
    assert program.strategy is Strategy.STABLE and program.objective is Objective.COVERAGE
    assert program.schedule is Schedule.WEEKLY and program.requires_approval
    assert program.weights == {"skills": 2.0, "aspirations": 0.0, "performance": 0.0, "language": 1.0,
                               "availability": 0.0}
    assert program.skills == ("python", "SQL")  # de-duplicated ignoring case and spacing
    event = AuditEvent.objects.get(action="configure_program")
    assert event.actor_id == staff.id
    assert event.details["created"] is True
    # A second change keeps what it does not name.
    again = api.configure_program(staff.id, COURSE, title="Renamed")
    assert again.title == "Renamed" and again.strategy is Strategy.STABLE


def test_empty_weights_mean_the_default_weights(world):
    staff = world.staff()
    program = api.configure_program(staff.id, COURSE, weights={})
    assert sum(program.weights.values()) == pytest.approx(1.0)
    assert all(value > 0 for value in program.weights.values())


def test_only_course_staff_may_configure(world):
    learner = world.enroll(world.user())
    with pytest.raises(errors.PermissionDenied):
        api.configure_program(learner.id, COURSE, title="Mine now")
    other_staff = world.staff(key=OTHER_COURSE)
    with pytest.raises(errors.PermissionDenied):
        api.configure_program(other_staff.id, COURSE, title="Not my course")
    superuser = world.user(is_staff=True)
    assert api.configure_program(superuser.id, COURSE, title="Global staff may").title == "Global staff may"


def test_configure_unknown_course_is_not_found(world):
    superuser = world.user(is_staff=True)
    with pytest.raises(errors.NotFound):
        api.configure_program(superuser.id, CourseKey.from_string("course-v1:Nope+N1+2026"), title="x")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("strategy", "random"),
        ("objective", "speed"),
        ("weights", {"skills": -1}),
        ("weights", {"charisma": 1}),
        ("weights", {"skills": 0, "language": 0}),
        ("weights", {"skills": float("nan")}),
        ("weights", ["skills"]),
        ("weights", {"skills": True}),
        ("min_score", 1.5),
        ("min_score", "high"),
        ("mentor_grade_threshold", -0.1),
        ("weak_area_threshold", True),
        ("default_mentor_capacity", 0),
        ("max_mentor_capacity", 51),
        ("max_mentor_capacity", 2.5),
        ("requires_approval", "yes"),
        ("language_required", 1),
        ("schedule", "hourly"),
        ("skills", "python"),
        ("skills", ["x" * 65]),
        ("skills", [""]),
        ("title", "x" * 256),
        ("pitch", 42),
        ("enrollment_opens", timezone.now().replace(tzinfo=None)),
        ("enrollment_closes", "tomorrow"),
    ],
)
def test_configure_reports_each_invalid_field(world, field, value):
    staff = world.staff()
    with pytest.raises(errors.ValidationError) as caught:
        api.configure_program(staff.id, COURSE, **{field: value})
    assert list(caught.value.field_errors) == [field]
    assert caught.value.to_dict()["code"] == "invalid"


def test_configure_reports_all_fields_at_once_and_unknown_ones(world):
    staff = world.staff()
    with pytest.raises(errors.ValidationError) as caught:
        api.configure_program(staff.id, COURSE, strategy="x", min_score=9)
    assert set(caught.value.field_errors) == {"strategy", "min_score"}
    with pytest.raises(errors.ValidationError) as caught:
        api.configure_program(staff.id, COURSE, colour="blue")
    assert caught.value.field_errors == {"colour": ["This field is not known."]}


def test_configure_cross_field_rules(world):
    staff = world.staff()
    with pytest.raises(errors.ValidationError) as caught:
        api.configure_program(staff.id, COURSE, default_mentor_capacity=5, max_mentor_capacity=3)
    assert "default_mentor_capacity" in caught.value.field_errors
    now = timezone.now()
    with pytest.raises(errors.ValidationError) as caught:
        api.configure_program(staff.id, COURSE, enrollment_opens=now, enrollment_closes=now - timedelta(days=1))
    assert "enrollment_closes" in caught.value.field_errors


def test_enrollment_window(world):
    staff = world.staff()
    now = timezone.now()
    later = api.configure_program(staff.id, COURSE, enrollment_opens=now + timedelta(days=1))
    assert not later.is_enrollment_open
    closed = api.configure_program(staff.id, COURSE, enrollment_opens=now - timedelta(days=2),
                                   enrollment_closes=now - timedelta(days=1))
    assert not closed.is_enrollment_open


def test_figures_count_people_and_pairs(world):
    world.program()
    staff = world.staff()
    mentees = [world.mentee() for _ in range(3)]
    mentor = world.mentor(capacity=2)
    world.mentor(capacity=1)
    api.create_match(staff.id, COURSE, mentee_user_id=mentees[0].id, mentor_user_id=mentor.id)
    figures = api.get_program_figures(COURSE)
    assert figures.participants == 5
    assert figures.mentors == 2 and figures.mentees == 3
    assert figures.active_matches == 1
    assert figures.paired_learners == 2
    assert figures.matches_made == 1
    assert figures.open_mentor_places == 2
    assert figures.waiting_mentees == 2
    api.withdraw(mentees[1].id, COURSE)
    assert api.get_program_figures(COURSE).participants == 4


def test_figures_and_overview_need_a_program(world):
    with pytest.raises(errors.NotFound):
        api.get_program_figures(COURSE)
    with pytest.raises(errors.NotFound):
        api.get_matching_overview(COURSE)


@pytest.mark.parametrize(
    ("strategy", "objective", "words"),
    [("optimal", "score", "best total fit"), ("optimal", "coverage", "as many mentees"), ("stable", "score", "rather")],
)
def test_matching_overview_explains_factors_and_strategy(world, strategy, objective, words):
    world.program(strategy=strategy, objective=objective, weights={"skills": 3, "language": 1})
    overview = api.get_matching_overview(COURSE)
    weights = {f.factor: f.weight for f in overview.factors}
    assert weights["skills"] == pytest.approx(0.75) and weights["language"] == pytest.approx(0.25)
    assert weights["availability"] == 0
    assert all(f.description for f in overview.factors)
    assert words in overview.description


def test_viewer_without_program_or_user(world):
    anonymous = api.get_viewer(None, COURSE)
    assert not anonymous.program_exists and not anonymous.enrolled and not anonymous.is_staff
    assert anonymous.join_blocked_reason == "no_program" and not anonymous.can_join
    world.program()
    assert api.get_viewer(None, COURSE).join_blocked_reason == "not_enrolled"


def test_viewer_invites_a_strong_learner_to_mentor_and_names_strong_areas(world):
    world.program(mentor_grade_threshold=0.8, weak_area_threshold=0.6)
    learner = world.enroll(world.user())
    world.grade(learner, 0.85, {"Labs": 0.95, "Homework": 0.5, "Exam": 0.82})
    viewer = api.get_viewer(learner.id, COURSE)
    assert viewer.enrolled and viewer.can_join and viewer.join_blocked_reason is None
    assert viewer.eligible_to_mentor and viewer.invited_as == (Role.MENTOR, Role.BOTH)
    assert viewer.grade == pytest.approx(0.85)
    assert [a.area for a in viewer.strong_areas] == ["Labs", "Exam"]
    assert [a.area for a in viewer.weak_areas] == ["Homework"]
    assert viewer.participant is None and viewer.privacy_notice_version == "2026-11"


def test_viewer_invites_a_struggling_learner_to_get_a_mentor(world):
    world.program()
    learner = world.enroll(world.user())
    world.grade(learner, 0.4, {"Labs": 0.2, "Homework": 0.45})
    viewer = api.get_viewer(learner.id, COURSE)
    assert not viewer.eligible_to_mentor and viewer.invited_as == (Role.MENTEE,)
    assert [a.area for a in viewer.weak_areas] == ["Labs", "Homework"]  # weakest first


def test_viewer_for_participant_staff_and_closed_enrollment(world):
    world.program()
    mentee = world.mentee()
    viewer = api.get_viewer(mentee.id, COURSE)
    assert viewer.participant is not None and viewer.participant.role is Role.MENTEE
    assert viewer.join_blocked_reason == "already_joined" and viewer.consent_current
    staff = world.staff()
    assert api.get_viewer(staff.id, COURSE).is_staff
    learner = world.enroll(world.user())
    world.program(enrollment_closes=timezone.now() - timedelta(minutes=1))
    assert api.get_viewer(learner.id, COURSE).join_blocked_reason == "enrollment_closed"
    # A withdrawn participant may join again.
    world.program(enrollment_closes=None)
    api.withdraw(mentee.id, COURSE)
    assert api.get_viewer(mentee.id, COURSE).can_join
    assert Participant.objects.get(user=mentee).status == "withdrawn"
