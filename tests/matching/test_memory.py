"""matching._memory: handing freed heap memory back never fails and never changes a result."""

import numpy as np

from matching import _memory, match
from tests.matching.people import program


def test_release_is_safe_to_call_anywhere():
    _memory.release()
    _memory.release()


def test_results_do_not_depend_on_releasing_memory(monkeypatch):
    mentees, mentors = program(120, 30, seed=3)
    with_release = match(mentees, mentors).to_dict()
    monkeypatch.setattr(_memory, "_TRIM", None)
    without = match(mentees, mentors).to_dict()
    for d in (with_release, without):
        d["stats"].pop("seconds", None)
    assert with_release == without
    assert np.isfinite(with_release["stats"]["total_score"])
