"""Matching runs: one per program, enqueued on commit, executed once, all-or-nothing, recoverable."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from ementor_plugin import api, errors, runs
from ementor_plugin.data import MatchStatus, NoticeKind, RunStatus, RunTrigger
from ementor_plugin.models import AuditEvent, Match, MatchRun, Notice, Participant

from .conftest import COURSE, OTHER_COURSE


@pytest.fixture
def crowd(world):
    world.program()
    staff = world.staff()
    mentees = [world.mentee(skills_wanted=[skill]) for skill in ("python", "sql", "python")]
    mentors = [world.mentor(skills_offered=["sql"], capacity=1), world.mentor(skills_offered=["python"], capacity=1)]
    return staff, mentees, mentors


def _run(staff, no_enqueue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = api.request_run(staff.id, COURSE)
    return run


def test_request_run_queues_once_and_enqueues_on_commit(crowd, no_enqueue, django_capture_on_commit_callbacks):
    staff, _mentees, _mentors = crowd
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = api.request_run(staff.id, COURSE)
        second = api.request_run(staff.id, COURSE)
    assert first.status is RunStatus.QUEUED and first.is_open and first.trigger is RunTrigger.STAFF
    assert second.id == first.id  # the open run is returned, not a second one
    assert no_enqueue == []  # nothing is enqueued before the commit
    for callback in callbacks:
        callback()
    assert no_enqueue == [first.id]
    assert api.get_run(staff.id, first.id).celery_task_id == f"task-{first.id}"
    assert first.config["strategy"] == "optimal" and set(first.config["weights"]) >= {"skills", "language"}
    assert AuditEvent.objects.filter(action="request_run").count() == 1


def test_run_requests_need_staff_and_a_program(world, crowd):
    _staff, mentees, _mentors = crowd
    with pytest.raises(errors.PermissionDenied):
        api.request_run(mentees[0].id, COURSE)
    with pytest.raises(errors.NotFound):
        api.request_run(world.user(is_staff=True).id, OTHER_COURSE)
    with pytest.raises(errors.NotFound):
        api.request_scheduled_run(OTHER_COURSE)
    with pytest.raises(errors.NotFound):
        api.get_run(mentees[0].id, 999999)
    run = api.request_scheduled_run(COURSE)
    assert run.trigger is RunTrigger.SCHEDULE and run.requested_by_user_id is None
    with pytest.raises(errors.PermissionDenied):
        api.get_run(mentees[0].id, run.id)
    with pytest.raises(errors.PermissionDenied):
        api.list_runs(mentees[0].id, COURSE)


def test_execute_stores_matches_notices_and_figures(crowd, fake_engine, no_enqueue,
                                                    django_capture_on_commit_callbacks, mailoutbox):
    staff, mentees, mentors = crowd
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        done = api.execute_run(run.id)
    assert done.status is RunStatus.SUCCEEDED and done.percent == 100 and done.stage == "done"
    assert not done.is_open and done.finished_at is not None and done.attempts == 1
    pairs = {(m.mentee.user_id, m.mentor.user_id) for m in Match.objects.filter(run_id=run.id)}
    assert pairs == {(mentees[0].id, mentors[1].id), (mentees[1].id, mentors[0].id)}
    assert all(m.status == "active" and m.explanation["factors"] for m in Match.objects.filter(run_id=run.id))
    figures = done.figures
    assert figures["n_new"] == 2 and figures["n_mentees"] == 3 and figures["n_unmatched"] == 1
    assert figures["unmatched_reasons"] == {"mentors_at_capacity": 1}
    assert figures["coverage"] == pytest.approx(2 / 3, abs=1e-4) and figures["new_match_status"] == "active"
    assert {"load", "match", "store"} <= set(figures["seconds"])
    assert Notice.objects.filter(kind=NoticeKind.MATCH_MADE).count() == 4
    assert len(mailoutbox) == 4
    assert set(Participant.objects.filter(role="mentor").values_list("mentor_load", flat=True)) == {1}
    # The engine was given the configuration snapshot and the profiles.
    mentee_inputs, mentor_inputs, config = fake_engine[0]
    assert [m.skills_wanted for m in mentee_inputs] == [("python",), ("sql",), ("python",)]
    assert all(m.capacity == 1 and {q.kind for q in m.qualifications} == {"course_grade", "certificate"}
               for m in mentor_inputs)
    assert config.strategy == "optimal" and config.pinned == ()
    assert api.list_runs(staff.id, COURSE)[0].id == run.id


def test_execute_twice_does_the_work_once(crowd, fake_engine, no_enqueue, django_capture_on_commit_callbacks):
    staff, _mentees, _mentors = crowd
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    api.execute_run(run.id)
    again = api.execute_run(run.id)
    assert again.status is RunStatus.SUCCEEDED and again.attempts == 1
    assert len(fake_engine) == 1 and Match.objects.count() == 2
    with pytest.raises(errors.NotFound):
        api.execute_run(999999)


def test_open_matches_are_pinned_and_past_pairs_excluded(world, crowd, fake_engine, no_enqueue,
                                                          django_capture_on_commit_callbacks):
    staff, mentees, mentors = crowd
    kept = api.create_match(staff.id, COURSE, mentee_user_id=mentees[0].id, mentor_user_id=mentors[1].id)
    declined = api.create_match(staff.id, COURSE, mentee_user_id=mentees[1].id, mentor_user_id=mentors[0].id)
    api.respond_to_match(mentees[1].id, declined.id, accept=False)
    fake_engine.clear()
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    done = api.execute_run(run.id)
    _mentees, _mentors, config = fake_engine[0]
    ids = {p.user_id: str(p.id) for p in Participant.objects.all()}
    assert config.pinned == ((ids[mentees[0].id], ids[mentors[1].id]),)
    assert (ids[mentees[1].id], ids[mentors[0].id]) in config.excluded
    assert Match.objects.get(pk=kept.id).status == "active"  # untouched
    new = Match.objects.get(run_id=run.id)
    assert (new.mentee.user_id, new.mentor.user_id) == (mentees[2].id, mentors[0].id)
    assert done.figures["n_new"] == 1 and done.figures["n_pinned"] == 1


def test_paused_and_withdrawn_people_get_no_new_matches(world, crowd, fake_engine, no_enqueue,
                                                        django_capture_on_commit_callbacks):
    staff, mentees, mentors = crowd
    api.pause_participation(mentors[0].id, COURSE)
    api.withdraw(mentees[0].id, COURSE)
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    api.execute_run(run.id)
    mentee_inputs, mentor_inputs, _config = fake_engine[0]
    assert len(mentee_inputs) == 2 and len(mentor_inputs) == 1
    assert Match.objects.filter(mentor__user=mentors[0]).count() == 0


def test_approval_required_makes_proposed_matches(world, crowd, fake_engine, no_enqueue,
                                                  django_capture_on_commit_callbacks):
    staff, mentees, _mentors = crowd
    api.configure_program(staff.id, COURSE, requires_approval=True)
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    done = api.execute_run(run.id)
    assert done.figures["new_match_status"] == "proposed"
    assert set(Match.objects.values_list("status", flat=True)) == {"proposed"}
    assert {n.kind for n in api.list_notices(mentees[0].id, COURSE)} == {NoticeKind.MATCH_PROPOSED}
    assert api.list_my_matches(mentees[0].id, COURSE) == []
    assert api.approve_proposed_matches(staff.id, COURSE) == 2
    assert len(api.list_my_matches(mentees[0].id, COURSE)) == 1


def test_a_failing_run_leaves_everything_as_it_was(crowd, monkeypatch, fake_engine, no_enqueue,
                                                   django_capture_on_commit_callbacks):
    staff, mentees, mentors = crowd
    kept = api.create_match(staff.id, COURSE, mentee_user_id=mentees[0].id, mentor_user_id=mentors[1].id)
    before = sorted(Match.objects.values_list("id", "status", "mentor_id"))
    loads = sorted(Participant.objects.values_list("id", "mentor_load"))
    original = Notice.objects.bulk_create

    def broken(rows, **kwargs):  # the last write of the transaction fails
        original(rows, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Notice.objects, "bulk_create", broken)
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    failed = api.execute_run(run.id)
    assert failed.status is RunStatus.FAILED and not failed.is_open
    assert "RuntimeError" in failed.error and "disk on fire" not in failed.error
    assert sorted(Match.objects.values_list("id", "status", "mentor_id")) == before
    assert sorted(Participant.objects.values_list("id", "mentor_load")) == loads
    assert Match.objects.get(pk=kept.id).status == "active"
    # The program is free for a new run.
    assert api.request_run(staff.id, COURSE).id != run.id


def test_a_matching_input_error_is_reported_readably(crowd, monkeypatch, no_enqueue,
                                                     django_capture_on_commit_callbacks):
    from matching.errors import InvalidInputError

    def engine(mentees, mentors, config):
        raise InvalidInputError("17", "performance", "nan is not a number")

    monkeypatch.setattr(runs, "engine", lambda: engine)
    staff = crowd[0]
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    failed = api.execute_run(run.id)
    assert failed.status is RunStatus.FAILED
    assert failed.error == "Matching could not run: '17': performance: nan is not a number"


def test_a_missing_engine_fails_the_run(crowd, monkeypatch, no_enqueue, django_capture_on_commit_callbacks):
    import matching

    monkeypatch.delattr(matching, "match", raising=False)
    staff = crowd[0]
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    assert "RuntimeError" in api.execute_run(run.id).error


def test_a_transient_database_error_requeues_and_raises(crowd, monkeypatch, no_enqueue,
                                                        django_capture_on_commit_callbacks):
    def engine(mentees, mentors, config):
        raise OperationalError("server has gone away")

    monkeypatch.setattr(runs, "engine", lambda: engine)
    staff = crowd[0]
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    with pytest.raises(errors.TransientStorageError):
        api.execute_run(run.id)
    requeued = api.get_run(staff.id, run.id)
    assert requeued.status is RunStatus.QUEUED and requeued.is_open and "retrying" in requeued.error


def test_a_running_run_is_left_to_its_worker_unless_stale_or_taken_over(crowd, fake_engine, no_enqueue,
                                                                        django_capture_on_commit_callbacks):
    staff = crowd[0]
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    MatchRun.objects.filter(pk=run.id).update(status="running", heartbeat_at=timezone.now(), attempts=1)
    assert api.execute_run(run.id).status is RunStatus.RUNNING  # a duplicate delivery does nothing
    assert fake_engine == []
    taken = api.execute_run(run.id, force_takeover=True)
    assert taken.status is RunStatus.SUCCEEDED and taken.attempts == 2


def test_a_superseded_attempt_stores_nothing(crowd, monkeypatch, no_enqueue, django_capture_on_commit_callbacks):
    staff = crowd[0]
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)

    def engine(mentees, mentors, config):
        # While this worker computes, another takes the run over.
        MatchRun.objects.filter(pk=run.id).update(attempts=5)
        from .conftest import greedy_engine

        return greedy_engine(mentees, mentors, config)

    monkeypatch.setattr(runs, "engine", lambda: engine)
    result = api.execute_run(run.id)
    assert result.status is RunStatus.RUNNING and Match.objects.count() == 0


def test_stale_runs_are_recovered(crowd, settings, no_enqueue, django_capture_on_commit_callbacks):
    settings.EMENTOR_RUN_STALE_AFTER_SECONDS = 60
    staff = crowd[0]
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    MatchRun.objects.filter(pk=run.id).update(status="running", heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert api.recover_stale_runs() == [run.id]
    stale = api.get_run(staff.id, run.id)
    assert stale.status is RunStatus.STALE and "worker" in stale.error and not stale.is_open
    assert api.recover_stale_runs() == []
    # A request while the open run is stale replaces it at once.
    fresh = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    MatchRun.objects.filter(pk=fresh.id).update(created=timezone.now() - timedelta(minutes=5))
    newer = api.request_run(staff.id, COURSE)
    assert newer.id != fresh.id and api.get_run(staff.id, fresh.id).status is RunStatus.STALE
    # A stale run delivered late does nothing.
    assert api.execute_run(fresh.id).status is RunStatus.STALE


def test_programs_due_for_run(world, crowd, no_enqueue, django_capture_on_commit_callbacks):
    staff = crowd[0]
    now = timezone.now()
    assert api.programs_due_for_run(now) == []  # manual schedule
    api.configure_program(staff.id, COURSE, schedule="daily")
    assert api.programs_due_for_run(now) == [str(COURSE)]  # never ran
    run = _run(staff, no_enqueue, django_capture_on_commit_callbacks)
    assert api.programs_due_for_run(now) == []  # a run is open
    MatchRun.objects.filter(pk=run.id).update(status="succeeded", open_key=None)
    assert api.programs_due_for_run(now) == []
    assert api.programs_due_for_run(now + timedelta(days=1, minutes=1)) == [str(COURSE)]
    world.program(OTHER_COURSE, schedule="weekly")
    due = api.programs_due_for_run(now + timedelta(days=2))
    assert due == [str(COURSE), str(OTHER_COURSE)]


def test_enqueue_failure_leaves_the_run_queued(crowd, monkeypatch, django_capture_on_commit_callbacks):
    def enqueue(run_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(runs, "run_enqueuer", lambda: enqueue)
    staff = crowd[0]
    with django_capture_on_commit_callbacks(execute=True):
        run = api.request_run(staff.id, COURSE)
    assert api.get_run(staff.id, run.id).status is RunStatus.QUEUED


def test_run_enqueuer_finds_the_tasks_module_or_nothing(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert runs.run_enqueuer() is None
    runs.enqueue_run(1)  # logs and returns when there is no task module


def test_staff_pairing_is_explained_with_the_engine(crowd, fake_engine):
    staff, mentees, mentors = crowd
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentees[0].id, mentor_user_id=mentors[0].id)
    _mentees, _mentors, config = fake_engine[-1]
    assert len(config.pinned) == 1 and config.excluded == frozenset()
    explanation = api.get_match_explanation(mentees[0].id, match.id)
    assert explanation.available and explanation.pinned and explanation.score == match.score
    assert MatchStatus(api.get_my_match(mentees[0].id, match.id).status) is MatchStatus.ACTIVE
