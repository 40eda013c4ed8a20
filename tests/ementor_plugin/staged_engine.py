"""A small stand-in for the engine's staged API (``prepare``, ``score_chunk``, ``combine``) and ``match``.

It keeps the contract the plugin relies on, ``match(...) == combine(prepare(...), [score_chunk(...) ...])``,
with a real dependence on every part: each chunk returns its rows' top-K candidates, and the assignment is a
greedy pass over all candidate edges (best first), so a missing, repeated or misplaced chunk changes the
matches. Pinned pairs are kept, excluded pairs and full mentors are respected. Used by the task tests (eager)
and by the integration worker when the real engine has no staged API yet.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from matching.data import Evidence, FactorScore, Match, MatchResult, MatchStats, Unmatched

TOP_K = 3


@dataclass(frozen=True)
class Problem:
    mentees: tuple
    mentors: tuple
    config: object
    free: tuple  # indices (into mentees) of the mentees to match: the rows chunks split
    n_rows: int


def prepare(mentees, mentors, config) -> Problem:
    pinned = {mentee for mentee, _mentor in config.pinned}
    free = tuple(i for i, mentee in enumerate(mentees) if mentee.id not in pinned)
    return Problem(tuple(mentees), tuple(mentors), config, free, len(free))


def _score(mentee, mentor) -> float:
    wanted = set(mentee.skills_wanted)
    overlap = len(wanted & set(mentor.skills)) / len(wanted) if wanted else 0.5
    jitter = (zlib.crc32(f"{mentee.id}:{mentor.id}".encode()) % 1000) / 100000.0
    return round(0.5 * overlap + 0.4 + jitter, 6)


def score_chunk(problem: Problem, lo: int, hi: int) -> dict[str, np.ndarray]:
    rows, cols, vals = [], [], []
    excluded = problem.config.excluded
    for row in range(lo, hi):
        mentee = problem.mentees[problem.free[row]]
        options = [
            (-_score(mentee, mentor), j) for j, mentor in enumerate(problem.mentors)
            if mentor.id != mentee.id and (mentee.id, mentor.id) not in excluded
        ]
        for negative, j in sorted(options)[:TOP_K]:
            rows.append(row)
            cols.append(j)
            vals.append(-negative)
    return {
        "rows": np.asarray(rows, dtype=np.int64),
        "cols": np.asarray(cols, dtype=np.int32),
        "scores": np.asarray(vals, dtype=np.float64),
        "span": np.asarray([lo, hi], dtype=np.int64),
    }


def _match(mentee, mentor, score, config, pinned) -> Match:
    factors = tuple(
        FactorScore(name, weight, score, weight * score, False, "stand-in") for name, weight in config.weights.items()
    )
    shared = tuple(sorted(set(mentee.skills_wanted) & set(mentor.skills)))
    return Match(mentee.id, mentor.id, score, factors, Evidence(shared_skills=shared), pinned)


def combine(problem: Problem, partials) -> MatchResult:
    spans = [tuple(int(v) for v in part["span"]) for part in partials]
    expected = 0
    for lo, hi in spans:  # the parts must tile 0..n_rows in order
        if lo != expected:
            raise ValueError(f"partials do not tile the rows: {spans}")
        expected = hi
    if expected != problem.n_rows:
        raise ValueError(f"partials cover {expected} of {problem.n_rows} rows")
    rows = np.concatenate([part["rows"] for part in partials]) if partials else np.zeros(0, np.int64)
    cols = np.concatenate([part["cols"] for part in partials]) if partials else np.zeros(0, np.int32)
    vals = np.concatenate([part["scores"] for part in partials]) if partials else np.zeros(0)
    config = problem.config
    room = [mentor.capacity for mentor in problem.mentors]
    index = {mentor.id: j for j, mentor in enumerate(problem.mentors)}
    matches = []
    for mentee_id, mentor_id in config.pinned:
        j = index[mentor_id]
        room[j] -= 1
        mentee = next(m for m in problem.mentees if m.id == mentee_id)
        matches.append(_match(mentee, problem.mentors[j], 1.0, config, True))
    taken = set()
    for edge in np.lexsort((cols, rows, -vals)):
        row, j = int(rows[edge]), int(cols[edge])
        if row in taken or room[j] <= 0:
            continue
        taken.add(row)
        room[j] -= 1
        matches.append(_match(problem.mentees[problem.free[row]], problem.mentors[j], float(vals[edge]), config, False))
    unmatched = tuple(
        Unmatched(problem.mentees[problem.free[row]].id, "mentors_at_capacity" if problem.mentors else "no_mentors",
                  "stand-in")
        for row in range(problem.n_rows) if row not in taken
    )
    scores = [m.score for m in matches]
    stats = MatchStats(len(problem.mentees), len(problem.mentors), len(matches), len(config.pinned), sum(scores),
                       sum(scores) / len(scores) if scores else 0.0, min(scores) if scores else 0.0,
                       {"assignment": 0.0})
    return MatchResult(tuple(matches), unmatched, stats)


def match(mentees, mentors, config) -> MatchResult:
    problem = prepare(mentees, mentors, config)
    return combine(problem, [score_chunk(problem, 0, problem.n_rows)])
