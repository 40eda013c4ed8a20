"""Edge and error paths: database failures, races handled in code, odd inputs to the event entry points."""

from types import SimpleNamespace

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError

from ementor_plugin import api, errors, notices, pairing, runs
from ementor_plugin.data import MatchOrigin, MatchStatus, RunStatus
from ementor_plugin.models import CoursePerformance, Match, Participant, Program

from .conftest import COURSE, greedy_engine


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(OperationalError("gone away"), errors.TransientStorageError), (IntegrityError("boom"), errors.StorageError)],
)
def test_database_failures_become_storage_errors(world, monkeypatch, raised, expected):
    world.program()

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(api, "_program", fail)
    with pytest.raises(expected) as caught:
        api.get_program(COURSE)
    assert caught.value.code in ("storage_error", "storage_unavailable")
    assert isinstance(caught.value.__cause__, DatabaseError)


def test_error_objects_serialise():
    error = errors.ValidationError({"title": ["Too long."]})
    expected = {"code": "invalid", "message": "title: Too long.", "field_errors": {"title": ["Too long."]}}
    assert error.to_dict() == expected
    assert errors.NotFound().to_dict()["message"].startswith("The requested record")
    assert errors.Conflict("x", code="special").code == "special"


def test_record_course_grade_validates(world):
    user = world.user()
    for kwargs, field in [
        ({"grade": 1.2}, "grade"),
        ({"grade": 0.5, "areas": ["Labs"]}, "areas"),
        ({"grade": 0.5, "areas": {"": 0.5}}, "areas"),
        ({"grade": 0.5, "areas": {"Labs": 2}}, "areas"),
        ({"grade": 0.5, "source": ""}, "source"),
    ]:
        kwargs.setdefault("source", "csv")
        with pytest.raises(errors.ValidationError) as caught:
            api.record_course_grade(user.id, COURSE, **kwargs)
        assert field in caught.value.field_errors
    assert api.record_course_grade(user.id, COURSE, None, source="csv") is True
    assert CoursePerformance.objects.get(user=user).grade is None


def test_passing_status_for_unknown_users_and_existing_rows(world):
    assert api.record_passing_status(424242, COURSE, True) is False
    user = world.user()
    api.record_course_grade(user.id, COURSE, 0.7, source="csv", areas={"Labs": 0.7})
    assert api.record_passing_status(user.id, COURSE, False) is True
    row = CoursePerformance.objects.get(user=user)
    assert (row.grade, row.passed, row.areas) == (0.7, False, {"Labs": 0.7})


def test_mentors_are_not_invited_again(world):
    world.program(mentor_grade_threshold=0.8)
    mentor = world.mentor()
    api.record_course_grade(mentor.id, COURSE, 0.95, source="csv")
    assert api.list_notices(mentor.id, COURSE) == []


def test_list_participants_by_role_both(world):
    world.program()
    staff = world.staff()
    both = world.mentor(role="both", skills_wanted=["python"])
    world.mentee()
    assert [p.user_id for p in api.list_participants(staff.id, COURSE, role="both")] == [both.id]
    assert len(api.list_participants(staff.id, COURSE, role="mentee")) == 2


def test_pairing_refuses_self_and_reports_a_lost_race(world):
    program = world.program()
    both = Participant.objects.get(user=world.mentor(role="both"))
    with pytest.raises(errors.Conflict) as caught:
        pairing.open_match(program, both, both, status=MatchStatus.ACTIVE, origin=MatchOrigin.STAFF)
    assert caught.value.code == "same_person"
    mentee = Participant.objects.get(user=world.mentee())
    mentor = Participant.objects.get(user=world.mentor(capacity=3))
    Match.objects.create(program=program, mentee=mentee, mentor=mentor, status="active", open_key=mentee.id)
    # The mentee's match appeared without passing through open_match: the UNIQUE constraint is what refuses.
    with pytest.raises(errors.Conflict) as caught:
        pairing.open_match(program, mentee, mentor, status=MatchStatus.ACTIVE, origin=MatchOrigin.STAFF)
    assert caught.value.code == "already_matched"


def test_reassign_needs_a_mentee(world, fake_engine):
    world.program()
    staff = world.staff()
    mentee, mentor = world.mentee(), world.mentor()
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    Match.objects.filter(pk=match.id).update(mentee=None, status="ended", open_key=None)
    with pytest.raises(errors.Conflict):
        api.reassign_match(staff.id, match.id, mentor_user_id=world.mentor().id)


def test_run_results_that_no_longer_fit_are_skipped(world, monkeypatch, no_enqueue,
                                                    django_capture_on_commit_callbacks):
    world.program()
    staff = world.staff()
    mentees = [world.mentee() for _ in range(2)]
    mentor = world.mentor(capacity=2)
    other = world.mentor(capacity=1)

    def engine(mentee_inputs, mentor_inputs, config):
        result = greedy_engine(mentee_inputs, mentor_inputs, config)
        if len(mentee_inputs) > 1:  # the run itself, not the explanation of the staff pairing below
            # While the engine computed, staff paired the first mentee by hand and the mentor lowered capacity.
            api.create_match(staff.id, COURSE, mentee_user_id=mentees[0].id, mentor_user_id=other.id)
            Participant.objects.filter(user=mentor).update(capacity=0)
        return result

    monkeypatch.setattr(runs, "engine", lambda: engine)
    with django_capture_on_commit_callbacks(execute=True):
        run = api.request_run(staff.id, COURSE)
    done = api.execute_run(run.id)
    assert done.status is RunStatus.SUCCEEDED
    assert done.figures["n_conflicts"] == 2 and done.figures["n_new"] == 0
    assert Match.objects.filter(run_id=run.id).count() == 0


def test_a_concurrent_run_insert_returns_the_winner(world, monkeypatch, no_enqueue):
    program = world.program()
    staff = world.staff()
    winner = runs.MatchRun.objects.create(program=program, status="queued", open_key=program.id)

    class Missed:
        """The check before the insert does not see the other request's run (it committed just after)."""

        def filter(self, **kwargs):
            return SimpleNamespace(first=lambda: None)

    monkeypatch.setattr(runs.MatchRun.objects, "select_for_update", Missed)
    run = api.request_run(staff.id, COURSE)
    assert run.id == winner.id and runs.MatchRun.objects.filter(program=program).count() == 1


def test_mail_failures_are_logged_not_raised(world, monkeypatch, caplog):
    user = world.user()

    class Broken:
        def send_messages(self, messages):
            raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notices, "get_connection", lambda fail_silently: Broken())
    assert notices.send_emails([(user.id, "match_made")]) == 0
    assert "could not send 1 notice" in caplog.text and user.email not in caplog.text
    assert notices.send_emails([(424242, "match_made")]) == 0


def test_program_string_and_default_weights(world):
    program = Program.objects.create(course_key=world.course())
    assert sum(runs.program_weights(program).values()) == pytest.approx(1.0)
    assert api.get_program(COURSE).weights == runs.program_weights(program)
