"""The small api functions the REST layer asks before acting: is_enrolled, is_course_staff and get_match."""

import pytest

from ementor_plugin import api, errors

from ..conftest import COURSE, OTHER_COURSE


def test_is_enrolled_follows_the_platform(world):
    learner = world.enroll(world.user())
    gone = world.enroll(world.user(), active=False)
    assert api.is_enrolled(learner.id, COURSE)
    assert not api.is_enrolled(learner.id, OTHER_COURSE)
    assert not api.is_enrolled(gone.id, COURSE)
    assert not api.is_enrolled(None, COURSE)


def test_is_course_staff_counts_course_roles_and_global_staff(world):
    staff = world.staff()
    admin = world.user(is_staff=True)
    learner = world.enroll(world.user())
    assert api.is_course_staff(staff.id, COURSE)
    assert not api.is_course_staff(staff.id, OTHER_COURSE)
    assert api.is_course_staff(admin.id, OTHER_COURSE)
    assert not api.is_course_staff(learner.id, COURSE)
    assert not api.is_course_staff(None, COURSE)


@pytest.mark.parametrize("function", [api.is_enrolled, api.is_course_staff])
def test_a_malformed_course_key_is_a_validation_error(world, function):
    with pytest.raises(errors.ValidationError) as caught:
        function(1, "not a course")
    assert "course_key" in caught.value.field_errors


def test_get_match_shows_staff_the_summary_of_a_match_in_their_course(world):
    world.program()
    world.program(OTHER_COURSE)
    staff, other_staff = world.staff(), world.staff(key=OTHER_COURSE)
    mentee, mentor = world.mentee(), world.mentor()
    made = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)

    summary = api.get_match(staff.id, made.id)
    assert summary == made
    assert summary.course_key == str(COURSE)
    with pytest.raises(errors.PermissionDenied):
        api.get_match(other_staff.id, made.id)
    with pytest.raises(errors.PermissionDenied):
        api.get_match(mentee.id, made.id)
    with pytest.raises(errors.NotFound):
        api.get_match(staff.id, made.id + 1000)
