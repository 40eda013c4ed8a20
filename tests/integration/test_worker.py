"""Matching runs through a real Celery worker (concurrency 2), the real Redis broker and real MariaDB."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _check_matching(state, n_matches):
    """Every mentee matched at most once, no mentor over capacity, the loads equal to the open matches."""
    mentees = [m[0] for m in state["matches"]]
    assert len(mentees) == len(set(mentees)) == n_matches
    per_mentor = {}
    for _mentee, mentor, _status, _run in state["matches"]:
        per_mentor[mentor] = per_mentor.get(mentor, 0) + 1
    assert {name: load for name, load in state["loads"].items() if load} == per_mentor


def test_a_run_completes_with_matches_notices_and_mail(agent, worker, faults, mail_dir):
    course = "course-v1:IT+Complete+2026"
    people = agent("make_program", course=course, n_mentees=10, n_mentors=4, capacity=2)
    calls = faults.count("engine-calls")
    run_id = agent("request_run", course=course, staff=people["staff"])
    run = agent.wait_run(run_id)
    assert run["status"] == "succeeded" and run["percent"] == 100 and run["attempts"] == 1, run
    assert run["figures"]["n_new"] == 8 and run["figures"]["coverage"] == pytest.approx(0.8)
    state = agent("state", course=course)
    _check_matching(state, 8)
    assert {m[2] for m in state["matches"]} == {"active"} and {m[3] for m in state["matches"]} == {run_id}
    assert state["notices"] == 16  # mentee and mentor of each match
    assert faults.count("engine-calls") == calls + 1
    mails = "".join(path.read_text() for path in mail_dir.iterdir())
    assert mails.count("Subject: News from your course's mentoring program") == 16


def test_two_requests_at_once_yield_one_run_and_a_second_delivery_does_nothing(agent, worker, faults):
    course = "course-v1:IT+Twice+2026"
    people = agent("make_program", course=course, n_mentees=6, n_mentors=3, capacity=2)
    calls = faults.count("engine-calls")
    ids = agent("request_runs_at_once", course=course, staff=people["staff"], n=2)
    assert len(ids) == 2 and ids[0] == ids[1]
    agent("send", run_id=ids[0])  # and the same run id delivered a second time, to the other pool process
    assert agent("runs_of", course=course) == [ids[0]]
    run = agent.wait_run(ids[0])
    assert run["status"] == "succeeded" and run["attempts"] == 1
    assert faults.count("engine-calls") == calls + 1
    _check_matching(agent("state", course=course), 6)


def test_several_programs_run_in_parallel(agent, worker, faults):
    faults["sleep"] = 1.5
    courses = [f"course-v1:IT+Parallel{i}+2026" for i in range(4)]
    staff = [agent("make_program", course=course, n_mentees=5, n_mentors=2, capacity=2)["staff"] for course in courses]
    ids = [agent("request_run", course=course, staff=who) for course, who in zip(courses, staff)]
    done = [agent.wait_run(run_id) for run_id in ids]
    assert [run["status"] for run in done] == ["succeeded"] * 4
    # Two pool processes: at some moment two runs were in progress together, and four 1.5 s runs took about
    # two rounds rather than four.
    spans = sorted((run["started"], run["finished"]) for run in done)
    overlapping = max(sum(1 for s, f in spans if s <= start < f) for start, _f in spans)
    assert overlapping == 2
    assert spans[-1][1] - spans[0][0] < 4 * 1.5
    for course in courses:
        _check_matching(agent("state", course=course), 4)


def test_a_database_error_while_storing_leaves_nothing_and_the_program_can_run_again(agent, worker, faults, mail_dir):
    course = "course-v1:IT+DbError+2026"
    people = agent("make_program", course=course, n_mentees=6, n_mentors=3, capacity=2)
    faults["db-error"] = 1
    run_id = agent("request_run", course=course, staff=people["staff"])
    failed = agent.wait_run(run_id)
    assert failed["status"] == "failed" and not failed["open"]
    assert "ProgrammingError while storing" in failed["error"]
    before = agent("state", course=course)
    assert before["matches"] == [] and before["notices"] == 0 and set(before["loads"].values()) == {0}
    assert list(mail_dir.iterdir()) == []  # nothing was mailed for a rolled-back run
    del faults["db-error"]
    again = agent.wait_run(agent("request_run", course=course, staff=people["staff"]))
    assert again["status"] == "succeeded"
    _check_matching(agent("state", course=course), 6)
