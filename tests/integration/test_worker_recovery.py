"""A worker SIGKILLed in the middle of a run: the run is taken over by the next worker and completes once."""

import pytest

from .test_worker import _check_matching

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def test_a_worker_killed_mid_run_is_recovered_by_the_next_worker(agent, start_worker, faults):
    # Short stale and visibility timeouts so the recovery happens within the test (defaults: 30 min, 1 h). The
    # message comes back before the run counts as abandoned, so the next worker first watches it, then takes over.
    settings = {"EMENTOR_IT_STALE_AFTER": "6", "EMENTOR_IT_VISIBILITY_TIMEOUT": "2"}
    course = "course-v1:IT+Killed+2026"
    people = agent("make_program", course=course, n_mentees=8, n_mentors=4, capacity=2)
    first = start_worker(**settings)
    faults["sleep"] = 60
    calls = faults.count("engine-calls")
    run_id = agent("request_run", course=course, staff=people["staff"])
    running = agent.wait_run(run_id, until=lambda run: run["stage"] == "matching")
    assert running["status"] == "running" and running["attempts"] == 1
    first.kill()
    del faults["sleep"]
    assert agent("run", run_id=run_id)["status"] == "running"  # abandoned, not finished
    start_worker(**settings)
    done = agent.wait_run(run_id, timeout=45)
    assert done["status"] == "succeeded" and done["attempts"] == 2, done
    assert faults.count("engine-calls") == calls + 2
    _check_matching(agent("state", course=course), 8)
