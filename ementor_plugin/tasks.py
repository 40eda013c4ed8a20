"""eMentor's Celery tasks: thin shells around ``ementor_plugin.api`` (ids in, one api call).

The platform's Celery app finds this module by itself (``autodiscover_tasks``): every task is a
``shared_task``, and eMentor never creates a Celery app. Tasks are safe to deliver twice (``api`` re-checks the
run's state under a row lock), acknowledge their message only when done (``acks_late``), and retry transient
database and broker errors with exponential backoff. Matching tasks go to ``EMENTOR_MATCHING_QUEUE`` (the
platform's default queue when unset), so an operator can route them to dedicated workers.

Periodic work (``enqueue_scheduled_runs``, ``recover_stale_runs``) is declared in the plugin's settings
(``BEAT_SCHEDULE`` in ``settings/common.py``). It needs a Celery beat process, which Tutor does not run by
default: either add ``--beat`` to one LMS worker, or call ``manage.py lms ementor_run_schedules`` from cron.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import chord, current_app, group, shared_task
from celery.backends.base import DisabledBackend
from django.conf import settings
from edx_django_utils.monitoring import set_code_owner_attribute
from kombu.exceptions import OperationalError as BrokerError

from . import api, errors

log = logging.getLogger(__name__)

#: Errors worth retrying: the database or the broker was briefly unavailable (lost connection, lock wait
#: timeout, deadlock). Everything else is recorded on the run and not retried.
TRANSIENT_ERRORS = (errors.TransientStorageError, BrokerError)

#: Backoff for transient errors: 5 s, 10 s, 20 s ... at most 5 minutes apart, with jitter, 6 tries.
RETRY_OPTIONS: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}

#: Broker retry policy when publishing (a Redis blip while enqueueing).
PUBLISH_RETRY_POLICY = {"max_retries": 5, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 5.0}

#: How often a redelivered run whose earlier worker may still hold it is looked at again (seconds, at most).
WATCH_INTERVAL = 300


def routing() -> dict[str, Any]:
    """Publishing options of matching tasks: the configured queue (read at call time) and broker retries."""
    options: dict[str, Any] = {"retry": True, "retry_policy": PUBLISH_RETRY_POLICY}
    queue = getattr(settings, "EMENTOR_MATCHING_QUEUE", None)
    if queue:
        options["queue"] = queue
    return options


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, **RETRY_OPTIONS)
@set_code_owner_attribute
def run_matching(self, run_id: int, watch: bool = False) -> None:
    """Do matching run ``run_id`` (``api.execute_run``); a duplicate delivery does nothing.

    A redelivered message (its worker died, or the run outlived the broker's visibility timeout) may find the
    run still marked running. The task then keeps watching (``watch``): it comes back later, and
    ``execute_run`` takes the run over once it has gone without a heartbeat for
    ``EMENTOR_RUN_STALE_AFTER_SECONDS``; a run that finished meanwhile ends the watch.
    """
    watch = watch or bool((self.request.delivery_info or {}).get("redelivered"))
    run = api.execute_run(run_id)
    if watch and run.is_open:
        stale_after = int(getattr(settings, "EMENTOR_RUN_STALE_AFTER_SECONDS", 1800))
        raise self.retry(args=(run_id,), kwargs={"watch": True}, max_retries=None,
                         countdown=max(1, min(WATCH_INTERVAL, stale_after // 2 + 1)))


def enqueue_matching_run(run_id: int) -> str:
    """Send ``run_matching`` for a queued run (``runs.enqueue_run`` calls this on commit); returns the task id."""
    return run_matching.apply_async((run_id,), **routing()).id


def chords_supported() -> bool:
    """Whether chord results can be collected: eager mode, or any result backend (Redis, django-cache, ...)."""
    app = current_app
    if app.conf.task_always_eager:
        return True
    return not isinstance(app.backend, DisabledBackend)


def dispatch_chunked_scoring(run_id: int, attempt: int, n_chunks: int) -> str | None:
    """Send the chord of a chunked run: ``n_chunks`` scoring parts, then the combining task; its id.

    None when the configured result backend cannot carry chord results or the broker stays unreachable (then
    the run matches in one task).
    The combining task's error callback marks the run failed if a part fails for good.
    """
    if not chords_supported():
        log.warning("eMentor run %s: no Celery result backend, so no chunked scoring", run_id)
        return None
    options = routing()
    header = group(score_matching_chunk.signature((run_id, attempt, index, n_chunks), **options)
                   for index in range(n_chunks))
    body = combine_matching_chunks.signature((run_id, attempt), **options)
    body.link_error(fail_chunked_matching_run.si(run_id, attempt).set(**options))
    try:
        return chord(header)(body).id
    except BrokerError:
        log.exception("eMentor run %s: could not send the scoring chord; matching in one task", run_id)
        return None


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=False, **RETRY_OPTIONS)
@set_code_owner_attribute
def score_matching_chunk(self, run_id: int, attempt: int, index: int, n_chunks: int) -> dict[str, Any]:
    """Score one chunk of a large program (``api.score_run_chunk``); the result feeds the chord's body."""
    return api.score_run_chunk(run_id, attempt, index, n_chunks)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, **RETRY_OPTIONS)
@set_code_owner_attribute
def combine_matching_chunks(self, parts: list[dict[str, Any]], run_id: int, attempt: int) -> None:
    """Combine a chunked run's scored parts, solve and store (``api.finish_chunked_run``)."""
    api.finish_chunked_run(run_id, attempt, parts)


@shared_task(bind=True, acks_late=True, ignore_result=True, **RETRY_OPTIONS)
@set_code_owner_attribute
def fail_chunked_matching_run(self, run_id: int, attempt: int) -> None:
    """Mark a chunked run failed after one of its parts failed for good (``api.fail_chunked_run``)."""
    api.fail_chunked_run(run_id, attempt)


@shared_task(bind=True, acks_late=True, ignore_result=True, **RETRY_OPTIONS)
@set_code_owner_attribute
def request_scheduled_run(self, course_key: str) -> None:
    """Queue the run a program's schedule calls for (``api.request_scheduled_run``; an open run is kept)."""
    api.request_scheduled_run(course_key)


@shared_task(bind=True, acks_late=True, ignore_result=True, **RETRY_OPTIONS)
@set_code_owner_attribute
def enqueue_scheduled_runs(self) -> None:
    """Periodic: one ``request_scheduled_run`` per program whose schedule is due, spread across the workers."""
    for course_key in api.programs_due_for_run():
        request_scheduled_run.apply_async((course_key,), **routing())


@shared_task(bind=True, acks_late=True, ignore_result=True, **RETRY_OPTIONS)
@set_code_owner_attribute
def recover_stale_runs(self) -> None:
    """Periodic: close runs whose worker stopped reporting, so their program can run again (``api``)."""
    api.recover_stale_runs()
