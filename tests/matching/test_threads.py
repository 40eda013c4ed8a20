"""The scoring passes' threads: results in order, buffers never shared, BLAS on one thread meanwhile."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import threadpoolctl
from threadpoolctl import threadpool_info

from matching._threads import MAX_WORKERS, in_order, single_threaded_blas, workers


def _blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


@pytest.mark.parametrize("n_workers", [2, 3])
def test_results_come_in_job_order_whatever_finishes_first(n_workers):
    def work(slot, job):
        time.sleep(0.02 if job % 2 == 0 else 0.0)  # even jobs finish after the odd job started beside them
        return job, slot

    results = list(in_order(work, range(9), n_workers))
    assert [job for job, _ in results] == list(range(9))
    assert {slot for _, slot in results} == set(range(n_workers))


@pytest.mark.parametrize("n_workers", [2, 3])
def test_a_slot_is_never_in_two_jobs_at_once_and_jobs_are_read_lazily(n_workers):
    busy: set[int] = set()
    lock = threading.Lock()
    taken: list[int] = []
    read: list[int] = []

    def work(slot, job):
        with lock:
            assert slot not in busy
            busy.add(slot)
        time.sleep(0.005)
        with lock:
            busy.discard(slot)
        return job

    def jobs():
        for job in range(12):
            read.append(job)
            # A job is read only once the results before it, but the last n_workers - 1, have been taken.
            assert len(taken) >= job - n_workers + 1
            yield job

    for result in in_order(work, jobs(), n_workers):
        taken.append(result)
    assert taken == read == list(range(12))


def test_an_error_in_a_job_reaches_the_caller_and_blas_is_restored():
    before = _blas_threads()

    def work(slot, job):
        if job == 3:
            raise ValueError("job 3 failed")
        return job

    with pytest.raises(ValueError, match="job 3 failed"):
        list(in_order(work, range(8), 2))
    assert _blas_threads() == before


def test_blas_runs_on_one_thread_during_a_pass_only():
    if not _blas_threads():
        pytest.skip("numpy's BLAS is not one threadpoolctl knows")
    before = _blas_threads()
    with single_threaded_blas():
        assert set(_blas_threads()) == {1}
        # The product is still right (and on two threads at once, as the passes do it).
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        seen = list(in_order(lambda slot, k: float(((a * k) @ a.T).sum()), range(4), 2))
        assert seen == [float(((a * k) @ a.T).sum()) for k in range(4)]
    assert _blas_threads() == before


def test_one_worker_runs_the_jobs_one_after_another():
    assert list(in_order(lambda slot, job: (slot, job), range(4), 1)) == [(0, 0), (0, 1), (0, 2), (0, 3)]


@pytest.mark.parametrize(
    ("blas", "expected"),
    [([16], MAX_WORKERS), ([4], 4), ([1], 2), ([], 2), ([3, 6], 6)],
)
def test_a_pass_uses_as_many_threads_as_blas_would_within_bounds(monkeypatch, blas, expected):
    infos = [{"user_api": "blas", "num_threads": n} for n in blas] + [{"user_api": "openmp", "num_threads": 32}]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: infos)
    assert workers() == expected


def test_the_machines_blas_gives_the_threads():
    counts = _blas_threads()
    assert workers() == min(max(max(counts, default=2), 2), MAX_WORKERS)
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert workers() == 2  # an operator's OPENBLAS_NUM_THREADS=1 still leaves the two threads of before
