"""Blocks of scores worked on by several threads at once, each computing its own block's product on one core.

Why. A scoring pass alternates a matrix product (BLAS) with numpy selection on the product. Left to itself,
BLAS spreads each product over every core and then its idle workers spin for a while (OpenBLAS: about 0.1 s
after each call), competing with the selection that follows: on a 2-core box a third of the pass's time was
that contention. Instead, each of as many threads as BLAS would use takes whole blocks, product and selection,
with BLAS limited to one thread per call (through ``threadpoolctl``, for the duration of the pass), so every core
stays busy with useful work and nothing spins.

The limit is process-wide while a pass runs (BLAS has no per-thread setting); BLAS calls made meanwhile by other
threads of the process also use one thread. Without ``threadpoolctl`` the blocks run on two threads and the
results are the same; BLAS then serialises the two threads' products (100k x 10k pass: 8.1 s instead of 7.0).
See ``docs/decisions/0005-scoring-threads-use-one-blas-thread-each.rst``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice

__all__ = ["MAX_WORKERS", "in_order", "rows_each", "single_threaded_blas", "workers"]

#: Most threads a pass uses, however many cores there are: each keeps a block of scores in flight.
MAX_WORKERS = 8


def workers() -> int:
    """Threads for a pass: as many as BLAS would use on its own, at least 2 and at most :data:`MAX_WORKERS`.

    BLAS's own thread count is the machine's cores unless the operator set ``OPENBLAS_NUM_THREADS`` (or
    ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``), so the passes use the cores the products used to, and the usual
    setting still bounds them. Without ``threadpoolctl`` (BLAS cannot be limited): 2.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency of the plugin and the test suite
        return 2
    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return min(max(max(counts, default=2), 2), MAX_WORKERS)


def rows_each(n_workers: int, in_flight: int = 1024) -> int:
    """Rows per block when ``in_flight`` rows are shared out among the pass's threads (at least 64).

    So the memory of a pass stays the same whatever the cores.
    """
    return max(64, in_flight // n_workers)


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread per call while the block runs (no-op without ``threadpoolctl``)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency of the plugin and the test suite
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def in_order[Job, Result](work: Callable[[int, Job], Result], jobs: Iterable[Job], n_workers: int) -> Iterator[Result]:
    """Run ``work(slot, job)`` for every job on ``n_workers`` threads; yield the results in job order.

    At most ``n_workers`` jobs are in flight, and a job's ``slot`` (``0 .. n_workers - 1``: its buffers) is not
    handed out again until its result has been taken, so ``work`` may reuse per-slot buffers. ``jobs`` is read
    lazily, one job after each result taken: a job may depend on everything the consumer did with the results
    before it but the last ``n_workers - 1``.
    """
    jobs = iter(jobs)
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="ementor-score") as pool, single_threaded_blas():
        running: deque[tuple[int, Future]] = deque()
        for slot, job in zip(range(n_workers), jobs):  # range first: no job is read beyond the first n_workers
            running.append((slot, pool.submit(work, slot, job)))
        while running:
            slot, future = running.popleft()
            yield future.result()
            for job in islice(jobs, 1):
                running.append((slot, pool.submit(work, slot, job)))
