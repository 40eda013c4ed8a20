"""Celery tasks, run eagerly (no broker): thin, enqueued on commit, routed, idempotent, retried, watched, periodic."""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from ementor_plugin import api, errors, runs, tasks
from ementor_plugin.data import RunStatus, RunTrigger
from ementor_plugin.models import Match, MatchRun, Program
from ementor_plugin.settings.common import BEAT_SCHEDULE, add_beat_schedule

from .conftest import COURSE, OTHER_COURSE


@pytest.fixture
def crowd(world):
    world.program()
    staff = world.staff()
    mentees = [world.mentee(skills_wanted=[skill]) for skill in ("python", "sql", "python")]
    mentors = [world.mentor(skills_offered=["sql"], capacity=1), world.mentor(skills_offered=["python"], capacity=1)]
    return staff, mentees, mentors


def test_a_requested_run_is_sent_on_commit_and_done_by_the_task(crowd, fake_engine,
                                                                django_capture_on_commit_callbacks):
    staff, _mentees, _mentors = crowd
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = api.request_run(staff.id, COURSE)
    assert len(fake_engine) == 0  # nothing runs before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    done = api.get_run(staff.id, run.id)
    assert done.status is RunStatus.SUCCEEDED and done.celery_task_id
    assert Match.objects.filter(run_id=run.id).count() == 2 and len(fake_engine) == 1


def test_a_run_delivered_twice_does_the_work_once(crowd, fake_engine, no_enqueue):
    staff, _mentees, _mentors = crowd
    run = api.request_run(staff.id, COURSE)
    first = tasks.run_matching.apply((run.id,))
    second = tasks.run_matching.apply((run.id,))
    assert first.successful() and second.successful()
    assert len(fake_engine) == 1 and Match.objects.filter(run_id=run.id).count() == 2
    assert MatchRun.objects.get(pk=run.id).attempts == 1


def test_the_queue_is_a_setting_read_when_sending(monkeypatch):
    sent = []

    def apply_async(args, **options):
        sent.append((args, options))
        return type("Result", (), {"id": "task-1"})()

    monkeypatch.setattr(tasks.run_matching, "apply_async", apply_async)
    assert tasks.enqueue_matching_run(7) == "task-1"
    with override_settings(EMENTOR_MATCHING_QUEUE="ementor.matching"):
        tasks.enqueue_matching_run(8)
    assert "queue" not in sent[0][1] and sent[1][1]["queue"] == "ementor.matching"
    assert sent[1][0] == (8,) and sent[1][1]["retry"] is True  # broker hiccups are retried while publishing


def test_tasks_are_late_acked_retry_transient_errors_with_backoff_and_report_their_code_owner(db, monkeypatch):
    for task in (tasks.run_matching, tasks.score_matching_chunk, tasks.combine_matching_chunks,
                 tasks.enqueue_scheduled_runs, tasks.recover_stale_runs, tasks.request_scheduled_run):
        assert task.acks_late is True
        assert set(task.autoretry_for) == {errors.TransientStorageError, BrokerError}
        assert task.retry_backoff and task.retry_jitter and task.max_retries == 6
    assert tasks.run_matching.reject_on_worker_lost and tasks.run_matching.ignore_result
    assert tasks.score_matching_chunk.ignore_result is False  # the chord needs the parts' results
    owners = []
    monkeypatch.setattr("edx_django_utils.monitoring.internal.code_owner.utils.set_code_owner_attribute_from_module",
                        owners.append)
    tasks.recover_stale_runs.apply()
    assert owners == ["ementor_plugin.tasks"]


def test_a_transient_database_error_is_retried_and_the_run_completes(crowd, no_enqueue, monkeypatch):
    staff, _mentees, _mentors = crowd
    from .conftest import greedy_engine

    calls = []

    def flaky(mentees, mentors, config):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("lost connection to MySQL server during query")
        return greedy_engine(mentees, mentors, config)

    monkeypatch.setattr(runs, "engine", lambda: flaky)
    run = api.request_run(staff.id, COURSE)
    # Eagerly (and without propagating), Celery runs the retry at once.
    assert tasks.run_matching.apply((run.id,), throw=False).successful()
    done = MatchRun.objects.get(pk=run.id)
    assert done.status == RunStatus.SUCCEEDED and done.attempts == 2 and len(calls) == 2


def test_a_redelivered_run_is_watched_until_stale_then_taken_over(crowd, fake_engine, no_enqueue, monkeypatch):
    staff, _mentees, _mentors = crowd
    run = api.request_run(staff.id, COURSE)
    runs.claim(run.id, force_takeover=False)  # a worker took it, then (say) died
    retries = []

    def retry(**options):
        retries.append(options)
        raise Retry("watching", when=options.get("countdown"))

    monkeypatch.setattr(tasks.run_matching, "retry", retry)
    with override_settings(EMENTOR_RUN_STALE_AFTER_SECONDS=60):
        watched = tasks.run_matching.apply((run.id,), {"watch": True}, throw=False)
        assert watched.state == "RETRY" and fake_engine == []
        assert retries[0]["kwargs"] == {"watch": True} and retries[0]["countdown"] == 31
        assert retries[0]["max_retries"] is None
        # A plain duplicate delivery leaves the live run alone and does not watch.
        assert tasks.run_matching.apply((run.id,)).successful() and len(retries) == 1
        MatchRun.objects.filter(pk=run.id).update(heartbeat_at=timezone.now() - timedelta(seconds=120))
        taken = tasks.run_matching.apply((run.id,), {"watch": True})
    assert taken.successful() and len(retries) == 1
    done = MatchRun.objects.get(pk=run.id)
    assert done.status == RunStatus.SUCCEEDED and done.attempts == 2


def test_a_run_whose_workers_keep_dying_is_failed_not_handed_on_forever(crowd, fake_engine, no_enqueue):
    staff, _mentees, _mentors = crowd
    run = api.request_run(staff.id, COURSE)
    for _ in range(3):  # three workers took it and died
        assert runs.claim(run.id, force_takeover=True) is not None
    with override_settings(EMENTOR_RUN_STALE_AFTER_SECONDS=60):
        MatchRun.objects.filter(pk=run.id).update(heartbeat_at=timezone.now() - timedelta(seconds=120))
        assert tasks.run_matching.apply((run.id,), {"watch": True}).successful()
    failed = MatchRun.objects.get(pk=run.id)
    assert failed.status == RunStatus.FAILED and failed.open_key is None and "after 3 attempts" in failed.error
    assert fake_engine == [] and not Match.objects.exists()


def test_the_beat_schedule_is_added_to_both_setting_names_without_clobbering():
    from django.conf import settings

    for name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        assert set(BEAT_SCHEDULE) <= set(getattr(settings, name))
    for spec in BEAT_SCHEDULE.values():
        assert spec["task"] in tasks.run_matching.app.tasks

    class Host:
        CELERYBEAT_SCHEDULE = {"platform-task": {"task": "x", "schedule": 60},
                               "ementor-recover-stale-runs": {"task": "custom", "schedule": 5}}

    add_beat_schedule(Host)
    add_beat_schedule(Host)  # production re-applies the common settings: still one entry each
    assert Host.CELERYBEAT_SCHEDULE["platform-task"] == {"task": "x", "schedule": 60}
    assert Host.CELERYBEAT_SCHEDULE["ementor-recover-stale-runs"]["task"] == "custom"  # the operator's wins
    assert Host.CELERYBEAT_SCHEDULE["ementor-enqueue-scheduled-runs"]["task"].endswith("enqueue_scheduled_runs")
    assert set(Host.CELERY_BEAT_SCHEDULE) == set(BEAT_SCHEDULE)


def test_the_periodic_task_queues_one_run_per_due_program(world, no_enqueue):
    world.program(schedule="daily")
    world.program(key=OTHER_COURSE, schedule="manual")
    tasks.enqueue_scheduled_runs.apply()
    tasks.enqueue_scheduled_runs.apply()  # already open: no second run
    runs_made = list(MatchRun.objects.all())
    assert len(runs_made) == 1 and runs_made[0].program.course_key == COURSE
    assert runs_made[0].trigger == RunTrigger.SCHEDULE and runs_made[0].status == RunStatus.QUEUED


def test_the_periodic_recovery_closes_abandoned_runs(crowd, no_enqueue):
    staff, _mentees, _mentors = crowd
    run = api.request_run(staff.id, COURSE)
    runs.claim(run.id, force_takeover=False)
    MatchRun.objects.filter(pk=run.id).update(heartbeat_at=timezone.now() - timedelta(hours=2))
    tasks.recover_stale_runs.apply()
    stale = MatchRun.objects.get(pk=run.id)
    assert stale.status == RunStatus.STALE and stale.open_key is None and "No progress" in stale.error
    assert api.request_run(staff.id, COURSE).id != run.id  # the program can run again


def test_the_cron_command_does_the_beat_work(world, crowd, no_enqueue, capsys):
    Program.objects.filter(course_key=COURSE).update(schedule="weekly")
    call_command("ementor_run_schedules")
    assert "runs queued: 1" in capsys.readouterr().out
    assert MatchRun.objects.get().trigger == RunTrigger.SCHEDULE


def test_a_missing_run_is_not_retried(db):
    result = tasks.run_matching.apply((424242,), throw=False)
    assert result.failed() and isinstance(result.result, errors.NotFound) and result.traceback
