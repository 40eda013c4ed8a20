"""Loaded into the integration worker (``CELERY_IMPORTS``): the stand-in engine and faults switched from Redis.

The integration tests check the plugin's Celery plumbing, so the worker matches with the stand-in engine of the
unit tests (``staged_engine``: deterministic, whole and staged), not with the matching library; the benchmark
(``benchmarks/e2e_worker.py``) uses the real engine. A test switches a fault on by setting a key in the
dedicated Redis database, under this test run's prefix (``EMENTOR_IT_PREFIX``, shown here as ``ementor-it:``):

* ``ementor-it:sleep`` = seconds: matching waits that long first (a run to kill, runs that overlap);
* ``ementor-it:db-error`` = 1: storing a run's results hits a real database error after its matches and the
  mentors' loads were written, inside the run's transaction.

* ``ementor-it:chunk-error`` = 1: every scoring chunk but the first fails (not a transient error).

``ementor-it:engine-calls`` counts the single-task matchings and ``ementor-it:chunks`` the scored chunks.
"""

from __future__ import annotations

import os
import time

import redis
import staged_engine
from django.conf import settings
from django.db import connection

from ementor_plugin import chunked, notices, runs

_client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
_prefix = os.environ.get("EMENTOR_IT_PREFIX", "ementor-it:")


def _flag(name: str) -> str | None:
    value = _client.get(f"{_prefix}{name}")
    return None if value is None else value.decode()


def _match(mentees, mentors, config):
    _client.incr(f"{_prefix}engine-calls")
    time.sleep(float(_flag("sleep") or 0))
    return staged_engine.match(mentees, mentors, config)


def _score_chunk(problem, lo, hi):
    _client.incr(f"{_prefix}chunks")
    if _flag("chunk-error") and lo > 0:
        raise RuntimeError("forced failure of a scoring chunk")
    return staged_engine.score_chunk(problem, lo, hi)


_notify = notices.notify


def _notify_or_fail(items):
    if _flag("db-error"):
        with connection.cursor() as cursor:  # a genuine error from MariaDB, mid-transaction
            cursor.execute("UPDATE ementor_it_no_such_table SET x = 1")
    return _notify(items)


runs.engine = lambda: _match
chunked.engine_stages = lambda: chunked.Stages(
    prepare=staged_engine.prepare, rows=lambda problem: problem.n_rows, score_chunk=_score_chunk,
    combine=staged_engine.combine,
)
notices.notify = _notify_or_fail
