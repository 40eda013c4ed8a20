"""Chunked scoring through a real chord: identical matches with the Redis and the django-cache result backends."""

import pytest

from .test_worker import _check_matching

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

CHUNKED = {"EMENTOR_IT_CHUNK_THRESHOLD": "40", "EMENTOR_IT_CHUNK_SIZE": "16"}


def _pairs(state):
    return sorted((mentee, mentor) for mentee, mentor, _status, _run in state["matches"])


def test_chunked_and_single_task_runs_give_identical_matches(agent, start_worker, faults):
    course = "course-v1:IT+Chunked+2026"
    people = agent("make_program", course=course, n_mentees=60, n_mentors=12, capacity=4)
    single_worker = start_worker()  # the default threshold (20000 mentees): one task
    single = agent.wait_run(agent("request_run", course=course, staff=people["staff"]))
    assert single["status"] == "succeeded" and "chunks" not in single["figures"]
    expected = _pairs(agent("state", course=course))
    assert len(expected) == 48
    single_worker.stop()
    for backend in ("redis", "django-cache"):
        agent("reset_matches", course=course)
        chunked_worker = start_worker(EMENTOR_IT_RESULT_BACKEND=backend, **CHUNKED)
        scored = faults.count("chunks")
        run = agent.wait_run(agent("request_run", course=course, staff=people["staff"]))
        assert run["status"] == "succeeded", (backend, run)
        assert run["figures"]["chunks"] == 4 and run["figures"]["chunks_combined"] is True
        assert faults.count("chunks") == scored + 4  # 60 mentees in chunks of 15
        state = agent("state", course=course)
        assert _pairs(state) == expected, backend
        _check_matching(state, 48)
        # A part that fails for good fails the run through the chord's error callback; nothing is stored.
        agent("reset_matches", course=course)
        faults["chunk-error"] = 1
        failed = agent.wait_run(agent("request_run", course=course, staff=people["staff"]))
        del faults["chunk-error"]
        assert failed["status"] == "failed" and "Scoring a part" in failed["error"], (backend, failed)
        assert agent("state", course=course)["matches"] == []
        chunked_worker.stop()
