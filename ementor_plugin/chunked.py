"""Chunked scoring: a large program's scoring split across workers (a Celery chord), combined for the assignment.

Scoring is the part of matching that grows with mentees x mentors; the assignment and the explanations work on
the few candidate pairs scoring keeps. So when a program has at least ``EMENTOR_CHUNKED_SCORING_THRESHOLD``
mentees, the run's task hands the scoring to ``n`` chunk tasks (one per ``EMENTOR_SCORING_CHUNK_SIZE`` mentees),
and a final task combines their partial candidate graphs, solves, explains and stores, exactly as the single
task would have. The result is identical because the engine's staged functions promise
``combine(prepare(...), [score_chunk(...) for each chunk]) == match(...)`` (see :class:`Stages`).

Each worker rebuilds the program's inputs from the database rather than receiving them in the message (20k
profiles would make every message megabytes). Participants may change while the chunks run, so every part
carries a fingerprint of the inputs it scored; when the final task's own inputs differ from any part's, it
matches in one pass instead, so a run never mixes two versions of a program.

Partials travel through the Celery result backend as compressed ``.npz`` bytes in base64 (plain JSON, no
pickle), which works with the Redis backend and the platform's ``django-cache`` backend alike.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import math
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import errors, runs
from .data import RunStatus
from .models import MatchRun

if TYPE_CHECKING:  # numpy is imported where it is used: request handlers import this module through api
    import numpy as np

log = logging.getLogger(__name__)

#: The stages a chunked run goes through after loading (a run in one of them is driven by the chord).
SCORING, COMBINING = "scoring", "combining"


@dataclass(frozen=True)
class Stages:
    """The staged form of ``matching.match`` that chunked scoring needs from the engine.

    Attributes:
        prepare: ``(mentees, mentors, config) -> problem``: validation, pinned and excluded pairs, features.
            Deterministic, so every worker that prepares the same inputs gets the same problem.
        rows: ``problem -> int``: how many mentee rows scoring covers (the chunks split ``0..rows``).
        score_chunk: ``(problem, lo, hi) -> {name: ndarray}``: the partial candidate graph of rows ``lo..hi``.
        combine: ``(problem, partials in row order) -> MatchResult``: merge, solve, certify and explain;
            identical to ``match(mentees, mentors, config)``.
    """

    prepare: Callable[..., Any]
    rows: Callable[[Any], int]
    score_chunk: Callable[[Any, int, int], Mapping[str, np.ndarray]]
    combine: Callable[[Any, Sequence[Mapping[str, np.ndarray]]], Any]


def engine_stages() -> Stages | None:
    """The engine's staged functions (``matching.prepare``, ``score_chunk``, ``combine``), or None without them."""
    import matching

    prepare = getattr(matching, "prepare", None)
    score_chunk = getattr(matching, "score_chunk", None)
    combine = getattr(matching, "combine", None)
    if prepare is None or score_chunk is None or combine is None:
        return None
    return Stages(prepare=prepare, rows=lambda problem: int(problem.n_rows), score_chunk=score_chunk,
                  combine=combine)


def chunk_count(n_mentees: int) -> int:
    """How many chunks a program with ``n_mentees`` mentees is scored in (1: in the run's own task)."""
    threshold = int(getattr(settings, "EMENTOR_CHUNKED_SCORING_THRESHOLD", 20000))
    size = max(1, int(getattr(settings, "EMENTOR_SCORING_CHUNK_SIZE", 5000)))
    if threshold <= 0 or n_mentees < threshold:
        return 1
    return max(1, math.ceil(n_mentees / size))


def bounds(n_rows: int, index: int, n_chunks: int) -> tuple[int, int]:
    """Rows ``lo..hi`` of chunk ``index`` of ``n_chunks`` (even split, every row in exactly one chunk)."""
    return n_rows * index // n_chunks, n_rows * (index + 1) // n_chunks


def fingerprint(inputs: runs.MatchingInputs) -> str:
    """A digest of exactly what the engine is given, to tell whether two workers scored the same program."""
    digest = hashlib.sha256()
    config = inputs.config().to_dict()
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    for person in (*inputs.mentees, *inputs.mentors):
        digest.update(json.dumps(person.to_dict(), sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def encode_partial(arrays: Mapping[str, np.ndarray]) -> str:
    """Pack a partial (named numpy arrays) as base64 text: JSON-safe, no pickle, zlib-compressed."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(value) for name, value in arrays.items()})
    return base64.b64encode(zlib.compress(buffer.getvalue(), 1)).decode("ascii")


def decode_partial(text: str) -> dict[str, np.ndarray]:
    """Unpack :func:`encode_partial` (object arrays are refused: nothing is unpickled)."""
    import numpy as np

    raw = zlib.decompress(base64.b64decode(text.encode("ascii")))
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _dispatcher() -> Callable[[int, int, int], Any] | None:
    """The tasks module's ``dispatch_chunked_scoring(run_id, attempt, n_chunks)``, or None without tasks."""
    try:
        from . import tasks
    except ImportError:
        return None
    return getattr(tasks, "dispatch_chunked_scoring", None)


def touch(run_id: int, attempt: int, stage: str, percent: int) -> None:
    """Heartbeat and progress from a chord part; parts finish in any order, so the percent only grows."""
    MatchRun.objects.filter(pk=run_id, attempts=attempt, status=RunStatus.RUNNING).update(
        stage=stage, percent=Greatest(F("percent"), percent), heartbeat_at=timezone.now()
    )


def dispatch(run_id: int, attempt: int, inputs: runs.MatchingInputs) -> bool:
    """Hand the run's scoring to a chord when the program is large enough; False to match in this task.

    Called by the run's task once it owns the run (claimed, committed). What prevents the chord (no staged
    engine, no result backend, a broker that stays unreachable) leaves the run to the single-task path.
    """
    n_chunks = chunk_count(len(inputs.mentees))
    if n_chunks <= 1:
        return False
    if engine_stages() is None:
        log.info("eMentor run %s: the engine has no staged scoring; matching in one task", run_id)
        return False
    send = _dispatcher()
    if send is None:
        return False
    runs.progress(run_id, attempt, SCORING, 20)
    task_id = send(run_id, attempt, n_chunks)
    if task_id is None:
        return False
    log.info("eMentor run %s: scoring split into %s chunks (%s)", run_id, n_chunks, task_id)
    return True


def _owned(run_id: int, attempt: int) -> MatchRun | None:
    """The run if this attempt still owns it (running, not taken over), else None."""
    run = MatchRun.objects.select_related("program").filter(pk=run_id).first()
    if run is None:
        raise errors.NotFound(_("This matching run does not exist."))
    if run.status != RunStatus.RUNNING or run.attempts != attempt:
        return None
    return run


def score(run_id: int, attempt: int, index: int, n_chunks: int) -> dict[str, Any]:
    """Score chunk ``index`` of ``n_chunks`` of a run: the chord part's whole body (pure, safe to repeat).

    Returns:
        ``{"index", "fingerprint", "partial", "seconds"}``, or ``{"index", "superseded": True}`` when the run
        was closed or taken over meanwhile (the combining task then discards the chord).
    """
    run = _owned(run_id, attempt)
    if run is None:
        return {"index": index, "superseded": True}
    started = time.perf_counter()
    stages = engine_stages()
    if stages is None:
        raise RuntimeError("The matching engine has no staged scoring (matching.prepare/score_chunk/combine).")
    inputs = runs.MatchingInputs.build(run.program, run.config or runs.config_snapshot(run.program))
    problem = stages.prepare(inputs.mentees, inputs.mentors, inputs.config())
    lo, hi = bounds(stages.rows(problem), index, n_chunks)
    partial = stages.score_chunk(problem, lo, hi)
    packed = encode_partial(partial)
    seconds = time.perf_counter() - started
    touch(run_id, attempt, SCORING, 20 + (60 * (index + 1)) // n_chunks)
    return {"index": index, "fingerprint": fingerprint(inputs), "partial": packed, "seconds": round(seconds, 4)}


def finish(run_id: int, attempt: int, parts: Sequence[Mapping[str, Any]]) -> MatchRun | None:
    """Combine the chord's parts, solve, explain and store: the chord body. None when the run moved on.

    Failures are handled as in the single-task path: nothing is stored and the run is marked failed with a
    readable error, except transient database errors, which leave the run running and raise
    ``TransientStorageError`` so the task retries the combination.
    """
    run = _owned(run_id, attempt)
    if run is None or any(part.get("superseded") for part in parts):
        log.warning("eMentor run %s attempt %s was superseded while scoring; parts discarded", run_id, attempt)
        return None
    stage = COMBINING
    timings: dict[str, float] = {}
    parts = sorted(parts, key=lambda part: part["index"])
    try:
        started = time.perf_counter()
        runs.progress(run_id, attempt, stage, 85)
        inputs = runs.MatchingInputs.build(run.program, run.config or runs.config_snapshot(run.program))
        config = inputs.config()
        timings["load"] = time.perf_counter() - started
        timings["score_chunks"] = max(float(part.get("seconds", 0.0)) for part in parts) if parts else 0.0
        started = time.perf_counter()
        stages = engine_stages()
        mine = fingerprint(inputs)
        same = stages is not None and all(part.get("fingerprint") == mine for part in parts)
        if same:
            problem = stages.prepare(inputs.mentees, inputs.mentors, config)
            result = stages.combine(problem, [decode_partial(part["partial"]) for part in parts])
        else:
            log.warning("eMentor run %s: the program changed while it was scored; matching in one pass", run_id)
            result = runs.engine()(inputs.mentees, inputs.mentors, config)
        timings["match"] = time.perf_counter() - started
        stage = "storing"
        runs.progress(run_id, attempt, stage, 90)
        runs.store(run_id, attempt, inputs, result, timings=timings, started=time.perf_counter(),
                   extra_figures={"chunks": len(parts), "chunks_combined": bool(same)})
    except runs.SupersededError:
        log.warning("eMentor run %s attempt %s was superseded; results discarded", run_id, attempt)
        return None
    except (OperationalError, InterfaceError) as exc:
        # The run stays running under this attempt; the task retries the combination with the same parts.
        raise errors.TransientStorageError() from exc
    except Exception as exc:
        log.exception("eMentor run %s failed while %s", run_id, stage)
        runs.finish_failed(run_id, attempt, runs.readable_error(exc, stage), requeue=False)
    return MatchRun.objects.select_related("program").get(pk=run_id)


def fail(run_id: int, attempt: int) -> None:
    """Mark the run failed because a chord part failed for good (the chord's error callback)."""
    runs.finish_failed(
        run_id, attempt, "Scoring a part of the program failed. The worker log for this run has the details.",
        requeue=False,
    )
