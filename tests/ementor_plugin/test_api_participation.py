"""Joining, profiles, pausing and withdrawing: every rule and every error path."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ementor_plugin import api, errors
from ementor_plugin.data import ExperienceLevel, ParticipantStatus, Role
from ementor_plugin.models import Match, Participant

from .conftest import CONSENT, COURSE, OTHER_COURSE


def _learner(world, grade=0.5, areas=None):
    user = world.enroll(world.user())
    world.grade(user, grade, areas or {})
    return user


def test_join_as_mentee_with_a_full_profile(world):
    world.program(skills=["Python", "Statistics"])
    user = _learner(world)
    data = api.join_program(
        user.id,
        COURSE,
        role="mentee",
        consent_version=CONSENT,
        skills_wanted=["python", "STATISTICS"],
        aspirations="  Become a data analyst  ",
        about="Career changer",
        languages=["EN", "pt-BR", "en"],
        availability=[30, 10, 10, 167],
        time_zone="Europe/Lisbon",
        experience_level="beginner",
        share_performance=False,
    )
    assert data.role is Role.MENTEE and data.status is ParticipantStatus.ACTIVE
    assert data.skills_wanted == ("Python", "Statistics")  # the program's spelling
    assert data.aspirations == "Become a data analyst"
    assert data.languages == ("en", "pt-br")
    assert data.availability == (10, 30, 167)
    assert data.time_zone == "Europe/Lisbon" and data.experience_level is ExperienceLevel.BEGINNER
    assert data.capacity == 0 and not data.share_performance
    assert data.consent_current and data.consent_at is not None
    assert api.get_profile(user.id, COURSE) == data


def test_join_as_mentor_needs_the_grade_and_gets_the_default_capacity(world):
    world.program(mentor_grade_threshold=0.8, default_mentor_capacity=3)
    weak = _learner(world, grade=0.7)
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(weak.id, COURSE, role="mentor", consent_version=CONSENT)
    assert "role" in caught.value.field_errors
    ungraded = world.enroll(world.user())
    with pytest.raises(errors.ValidationError):
        api.join_program(ungraded.id, COURSE, role="both", consent_version=CONSENT)
    strong = _learner(world, grade=0.8)
    mentor = api.join_program(strong.id, COURSE, role="both", consent_version=CONSENT)
    assert mentor.capacity == 3 and mentor.load == 0


def test_join_errors(world):
    with pytest.raises(errors.NotFound):
        api.join_program(world.user().id, COURSE, role="mentee", consent_version=CONSENT)
    world.program()
    outsider = world.user()
    with pytest.raises(errors.NotEnrolled) as caught:
        api.join_program(outsider.id, COURSE, role="mentee", consent_version=CONSENT)
    assert caught.value.code == "not_enrolled" and isinstance(caught.value, errors.PermissionDenied)
    other = world.enroll(world.user(), OTHER_COURSE)
    with pytest.raises(errors.NotEnrolled):
        api.join_program(other.id, COURSE, role="mentee", consent_version=CONSENT)
    user = _learner(world)
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(user.id, COURSE, role="mentee", consent_version="2020-01")
    assert list(caught.value.field_errors) == ["consent_version"]
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(user.id, COURSE, role="coach", consent_version=CONSENT)
    assert list(caught.value.field_errors) == ["role"]
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT, favourite_colour="red")
    assert "favourite_colour" in caught.value.field_errors
    api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT)
    with pytest.raises(errors.Conflict) as caught:
        api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT)
    assert caught.value.code == "already_joined"


def test_join_outside_the_window_is_refused(world):
    world.program(enrollment_opens=timezone.now() + timedelta(hours=1))
    user = _learner(world)
    with pytest.raises(errors.EnrollmentClosed) as caught:
        api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT)
    assert isinstance(caught.value, errors.Conflict)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("skills_wanted", "python"),
        ("skills_wanted", [3]),
        ("skills_wanted", [f"skill {i}" for i in range(31)]),
        ("aspirations", "x" * 5001),
        ("aspirations", "nul\x00byte"),
        ("about", ["list"]),
        ("languages", ["english"]),
        ("languages", [f"l{chr(97 + i)}" for i in range(11)]),
        ("availability", [168]),
        ("availability", [-1]),
        ("availability", ["9"]),
        ("availability", [True]),
        ("time_zone", "Mars/Olympus"),
        ("time_zone", None),
        ("capacity", -1),
        ("experience_level", "guru"),
        ("share_performance", "yes"),
    ],
)
def test_profile_fields_are_validated(world, field, value):
    world.program()
    user = _learner(world)
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT, **{field: value})
    assert field in caught.value.field_errors
    assert not Participant.objects.filter(user=user).exists()


def test_own_skills_are_kept_beside_the_programs_list(world):
    world.program(skills=["Python", "Machine Learning", "Résumé writing"])
    user = _learner(world)
    data = api.join_program(
        user.id, COURSE, role="mentee", consent_version=CONSENT,
        skills_wanted=["  Cobol  ", "machine-learning", "RESUME   Writing", "cobol", "Public  speaking"],
    )
    # Program skills take the program's spelling (case, accents, spacing and hyphens ignored); the learner's own
    # are trimmed, their inner spacing collapsed, and kept as first typed.
    assert data.skills_wanted == ("Cobol", "Machine Learning", "Résumé writing", "Public speaking")


def test_own_skills_keep_the_limits(world):
    world.program(skills=["Python"])
    user = _learner(world)
    too_many = ["Python"] + [f"own skill {i}" for i in range(30)]
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT,
                         skills_wanted=too_many, skills_offered=["x" * 65])
    assert "30" in caught.value.field_errors["skills_wanted"][0]
    assert "64" in caught.value.field_errors["skills_offered"][0]
    # Duplicates (of a program skill or of an own one) do not count twice against the limit.
    data = api.join_program(user.id, COURSE, role="mentee", consent_version=CONSENT,
                            skills_wanted=[*too_many[:29], "PYTHON", "Own  skill 3", "x" * 64])
    assert len(data.skills_wanted) == 30 and data.skills_wanted[0] == "Python"
    assert data.skills_wanted[-1] == "x" * 64  # 64 characters is still allowed


def test_mentor_capacity_is_bounded_by_the_program(world):
    world.program(max_mentor_capacity=3, default_mentor_capacity=2)
    user = _learner(world, grade=0.95)
    with pytest.raises(errors.ValidationError) as caught:
        api.join_program(user.id, COURSE, role="mentor", consent_version=CONSENT, capacity=4)
    assert "capacity" in caught.value.field_errors
    with pytest.raises(errors.ValidationError):
        api.join_program(user.id, COURSE, role="mentor", consent_version=CONSENT, capacity=0)


def test_update_profile_changes_only_what_is_given(world):
    world.program()
    user = world.mentee(aspirations="Data science", time_zone="Asia/Tokyo")
    updated = api.update_profile(user.id, COURSE, about="I like puzzles", availability=[1, 2])
    assert updated.about == "I like puzzles" and updated.availability == (1, 2)
    assert updated.aspirations == "Data science" and updated.time_zone == "Asia/Tokyo"


def test_update_profile_errors(world):
    world.program()
    with pytest.raises(errors.NotFound):
        api.update_profile(world.user().id, COURSE, about="x")
    user = world.mentee()
    with pytest.raises(errors.ValidationError):
        api.update_profile(user.id, COURSE, languages="en")
    with pytest.raises(errors.ValidationError):
        api.update_profile(user.id, COURSE, user_id=3)
    with pytest.raises(errors.ValidationError) as caught:
        api.update_profile(user.id, COURSE, role="mentor")  # grade 0.4 is below the mentor threshold
    assert "role" in caught.value.field_errors
    api.withdraw(user.id, COURSE)
    with pytest.raises(errors.Conflict) as caught:
        api.update_profile(user.id, COURSE, about="x")
    assert caught.value.code == "withdrawn"


def test_a_mentor_cannot_drop_below_their_load_or_stop_mentoring_while_mentoring(world):
    world.program()
    staff = world.staff()
    mentor = world.mentor(capacity=2)
    mentee = world.mentee()
    api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    with pytest.raises(errors.ValidationError) as caught:
        api.update_profile(mentor.id, COURSE, capacity=0)
    assert "capacity" in caught.value.field_errors
    with pytest.raises(errors.ValidationError) as caught:
        api.update_profile(mentor.id, COURSE, role="mentee")
    assert "role" in caught.value.field_errors
    assert api.update_profile(mentor.id, COURSE, capacity=1).capacity == 1
    # A mentee with a mentor cannot turn into a mentor-only participant.
    world.grade(mentee, 0.95)
    with pytest.raises(errors.ValidationError):
        api.update_profile(mentee.id, COURSE, role="mentor")
    assert api.update_profile(mentee.id, COURSE, role="both").role is Role.BOTH


def test_consent_renewal(world, settings):
    world.program()
    user = world.mentee()
    settings.EMENTOR_PRIVACY_NOTICE_VERSION = "2027-01"
    assert not api.get_profile(user.id, COURSE).consent_current
    assert not api.get_viewer(user.id, COURSE).consent_current
    with pytest.raises(errors.ValidationError):
        api.update_profile(user.id, COURSE, consent_version=CONSENT)
    renewed = api.update_profile(user.id, COURSE, consent_version="2027-01")
    assert renewed.consent_current


def test_pause_resume_withdraw_and_rejoin(world):
    world.program()
    staff = world.staff()
    mentee = world.mentee()
    mentor = world.mentor()
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    assert api.pause_participation(mentor.id, COURSE).status is ParticipantStatus.PAUSED
    assert Match.objects.get(pk=match.id).status == "active"  # a pause keeps current matches
    assert api.resume_participation(mentor.id, COURSE).status is ParticipantStatus.ACTIVE
    withdrawn = api.withdraw(mentee.id, COURSE)
    assert withdrawn.status is ParticipantStatus.WITHDRAWN
    ended = Match.objects.get(pk=match.id)
    assert ended.status == "ended" and ended.end_reason == "withdrawn" and ended.open_key is None
    assert Participant.objects.get(user=mentor).mentor_load == 0
    assert [n.kind for n in api.list_notices(mentor.id, COURSE)][:1] == ["match_ended"]
    with pytest.raises(errors.Conflict):
        api.pause_participation(mentee.id, COURSE)
    with pytest.raises(errors.Conflict):
        api.resume_participation(mentee.id, COURSE)
    rejoined = api.join_program(mentee.id, COURSE, role="mentee", consent_version=CONSENT, about="Back again")
    assert rejoined.status is ParticipantStatus.ACTIVE and rejoined.about == "Back again"
    assert rejoined.id == withdrawn.id


def test_status_changes_need_a_participation(world):
    world.program()
    user = world.enroll(world.user())
    for change in (api.pause_participation, api.resume_participation, api.withdraw):
        with pytest.raises(errors.NotFound):
            change(user.id, COURSE)
    with pytest.raises(errors.NotFound):
        api.get_profile(user.id, COURSE)


def test_resume_needs_an_enrollment(world):
    world.program()
    user = world.mentee()
    api.pause_participation(user.id, COURSE)
    world.enroll(user, active=False)
    with pytest.raises(errors.NotEnrolled):
        api.resume_participation(user.id, COURSE)
