"""Chunked scoring through a Celery chord (eager): same matches as one task, safe when things change or fail."""

import itertools

import numpy as np
import pytest
from django.test import override_settings

from ementor_plugin import api, chunked, runs, tasks
from ementor_plugin.data import RunStatus
from ementor_plugin.models import Match, MatchRun, Notice, Participant

from . import staged_engine
from .conftest import COURSE

SKILLS = ("python", "sql", "statistics", "writing")


@pytest.fixture
def staged(monkeypatch):
    """The stand-in engine, staged and whole; the list records each chunk scored as (lo, hi)."""
    scored = []

    def score_chunk(problem, lo, hi):
        scored.append((lo, hi))
        return staged_engine.score_chunk(problem, lo, hi)

    stages = chunked.Stages(prepare=staged_engine.prepare, rows=lambda problem: problem.n_rows,
                            score_chunk=score_chunk, combine=staged_engine.combine)
    monkeypatch.setattr(chunked, "engine_stages", lambda: stages)
    monkeypatch.setattr(runs, "engine", lambda: staged_engine.match)
    return scored


@pytest.fixture
def program(world):
    world.program()
    staff = world.staff()
    for i in range(11):
        world.mentee(skills_wanted=[SKILLS[i % 4], SKILLS[(i * 3 + 1) % 4]])
    for i in range(4):
        world.mentor(skills_offered=[SKILLS[i], SKILLS[(i + 2) % 4]], capacity=2)
    return staff


def _pairs(run_id):
    return sorted(Match.objects.filter(run_id=run_id).values_list("mentee_id", "mentor_id", "score"))


def _forget(run_id):
    """Undo a run's results so the same program can be matched again from the same state."""
    Notice.objects.all().delete()
    Match.objects.filter(run_id=run_id).delete()
    Participant.objects.update(mentor_load=0)


def _run(staff):
    run = api.request_run(staff.id, COURSE)
    tasks.run_matching.apply((run.id,))
    return MatchRun.objects.get(pk=run.id)


def test_the_chunk_plan_covers_every_row_once():
    with override_settings(EMENTOR_CHUNKED_SCORING_THRESHOLD=10, EMENTOR_SCORING_CHUNK_SIZE=4):
        assert chunked.chunk_count(9) == 1 and chunked.chunk_count(10) == 3 and chunked.chunk_count(13) == 4
    with override_settings(EMENTOR_CHUNKED_SCORING_THRESHOLD=0):
        assert chunked.chunk_count(10**6) == 1  # 0 turns chunking off
    for n_rows in (0, 1, 7, 100):
        for n_chunks in (1, 3, 8):
            spans = [chunked.bounds(n_rows, i, n_chunks) for i in range(n_chunks)]
            assert spans[0][0] == 0 and spans[-1][1] == n_rows
            assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_partials_survive_the_trip_through_json_without_pickle():
    partial = {"rows": np.arange(5, dtype=np.int64), "scores": np.linspace(0, 1, 5), "cols": np.int32([3, 1, 2, 0, 4])}
    text = chunked.encode_partial(partial)
    assert isinstance(text, str) and text.isascii()
    back = chunked.decode_partial(text)
    assert set(back) == set(partial)
    for name, value in partial.items():
        assert back[name].dtype == value.dtype and np.array_equal(back[name], value)
    with pytest.raises(ValueError):
        chunked.decode_partial(chunked.encode_partial({"bad": np.array([object()], dtype=object)}))


def test_chunked_and_single_task_runs_store_identical_matches(program, staged, no_enqueue):
    staff = program
    single = _run(staff)
    assert single.status == RunStatus.SUCCEEDED and "chunks" not in single.figures and staged == []
    expected = _pairs(single.id)
    assert len(expected) == 8  # 4 mentors x 2 places for 11 mentees
    _forget(single.id)
    with override_settings(EMENTOR_CHUNKED_SCORING_THRESHOLD=10, EMENTOR_SCORING_CHUNK_SIZE=4):
        split = _run(staff)
    assert split.status == RunStatus.SUCCEEDED, split.error
    assert staged == [(0, 3), (3, 7), (7, 11)]
    assert split.figures["chunks"] == 3 and split.figures["chunks_combined"] is True
    assert {"load", "score_chunks", "match", "store"} <= set(split.figures["seconds"])
    assert [(a, b) for a, b, _s in _pairs(split.id)] == [(a, b) for a, b, _s in expected]
    assert [s for _a, _b, s in _pairs(split.id)] == pytest.approx([s for _a, _b, s in expected])
    assert split.figures["n_new"] == single.figures["n_new"] and split.percent == 100


def test_a_program_changed_while_scoring_is_matched_in_one_pass(program, staged, no_enqueue, monkeypatch):
    staff = program
    real = chunked.score

    def score_then_change(run_id, attempt, index, n_chunks):
        part = real(run_id, attempt, index, n_chunks)
        if index == 0:  # a learner edits their profile after the first chunk was scored
            mentee = Participant.objects.filter(role="mentee").order_by("id").first()
            mentee.skills_wanted = ["writing"]
            mentee.save()
        return part

    monkeypatch.setattr(chunked, "score", score_then_change)
    with override_settings(EMENTOR_CHUNKED_SCORING_THRESHOLD=10, EMENTOR_SCORING_CHUNK_SIZE=4):
        run = _run(staff)
    assert run.status == RunStatus.SUCCEEDED and run.figures["chunks_combined"] is False
    assert Match.objects.filter(run_id=run.id).count() == 8


def test_a_failing_chunk_fails_the_run_and_stores_nothing(program, staged, no_enqueue, monkeypatch):
    staff = program

    def broken(problem, lo, hi):
        raise MemoryError("chunk too large")

    monkeypatch.setattr(chunked, "engine_stages", lambda: chunked.Stages(
        prepare=staged_engine.prepare, rows=lambda p: p.n_rows, score_chunk=broken, combine=staged_engine.combine))
    with override_settings(EMENTOR_CHUNKED_SCORING_THRESHOLD=10, EMENTOR_SCORING_CHUNK_SIZE=4):
        run = _run(staff)
    assert run.status == RunStatus.FAILED and run.error and run.open_key is None
    assert not Match.objects.exists() and not Notice.objects.exists()
    chunked.fail(run.id, run.attempts)  # the chord's error callback on a closed run changes nothing
    assert MatchRun.objects.get(pk=run.id).error == run.error


def test_parts_of_a_superseded_attempt_are_discarded(program, staged, no_enqueue):
    staff = program
    run = api.request_run(staff.id, COURSE)
    runs.claim(run.id, force_takeover=False)
    stale_part = chunked.score(run.id, 99, 0, 2)
    assert stale_part == {"index": 0, "superseded": True}
    part = api.score_run_chunk(run.id, 1, 0, 1)
    runs.claim(run.id, force_takeover=True)  # another worker took the run over (attempt 2)
    assert api.finish_chunked_run(run.id, 1, [part]) is None
    assert not Match.objects.exists() and MatchRun.objects.get(pk=run.id).status == RunStatus.RUNNING
    done = api.finish_chunked_run(run.id, 2, [api.score_run_chunk(run.id, 2, 0, 1)])
    assert done.status is RunStatus.SUCCEEDED and Match.objects.count() == 8


def test_without_a_staged_engine_or_result_backend_the_run_stays_in_one_task(program, no_enqueue, monkeypatch):
    staff = program
    monkeypatch.setattr(runs, "engine", lambda: staged_engine.match)
    monkeypatch.setattr(chunked, "engine_stages", lambda: None)
    with override_settings(EMENTOR_CHUNKED_SCORING_THRESHOLD=10, EMENTOR_SCORING_CHUNK_SIZE=4):
        run = _run(staff)
    assert run.status == RunStatus.SUCCEEDED and "chunks" not in run.figures
    from celery.backends.base import DisabledBackend

    class App:
        conf = type("Conf", (), {"task_always_eager": False})()
        backend = DisabledBackend(app=tasks.current_app)

    monkeypatch.setattr(tasks, "current_app", App())
    assert tasks.chords_supported() is False and tasks.dispatch_chunked_scoring(run.id, 1, 3) is None
    App.backend = object()  # any real backend (Redis, django-cache) carries chord results
    assert tasks.chords_supported() is True


@pytest.mark.skipif(chunked.engine_stages() is None, reason="matching has no staged API (prepare/score_chunk/combine)")
@pytest.mark.parametrize("pruned", [False, True])
@pytest.mark.parametrize("n_chunks", [1, 2, 5])
def test_the_real_engine_combines_chunks_into_exactly_its_single_pass_result(n_chunks, pruned, monkeypatch):
    """The promise chunked runs rely on, checked on the library itself when it offers the staged API.

    ``pruned`` makes the engine keep only top-K and reverse top-R candidates, as it does for large programs.
    """
    import matching
    import matching.candidates
    from matching.data import MatchConfig, Mentee, Mentor

    if pruned:
        monkeypatch.setattr(matching.candidates, "FULL_GRAPH_PAIRS", 0)

    mentees = [Mentee(id=f"e{i}", skills_wanted=(SKILLS[i % 4], SKILLS[(i * 3 + 1) % 4]), grade=0.3 + (i % 7) / 20,
                      languages=("en",)) for i in range(300)]
    mentors = [Mentor(id=f"m{j}", skills=(SKILLS[j % 4], SKILLS[(j + 2) % 4]), grade=0.9, languages=("en",),
                      capacity=3) for j in range(60)]
    config = MatchConfig(top_k=5, reverse_top_r=3, pinned=(("e0", "m0"),), excluded=frozenset({("e1", "m1")}),
                         certify=False)
    stages = chunked.engine_stages()
    problem = stages.prepare(mentees, mentors, config)
    assert problem.full is not pruned
    rows = stages.rows(problem)
    parts = [chunked.decode_partial(chunked.encode_partial(
        stages.score_chunk(problem, *chunked.bounds(rows, i, n_chunks)))) for i in range(n_chunks)]
    combined = stages.combine(problem, parts)
    single = matching.match(mentees, mentors, config)
    assert [m.to_dict() for m in combined.matches] == [m.to_dict() for m in single.matches]
    assert [u.to_dict() for u in combined.unmatched] == [u.to_dict() for u in single.unmatched]
