"""The synthetic congested mentoring program every benchmark row runs on.

Issue 7 asks for ours and the peers to be compared "on the same synthetic congested program": mentees crowd
into a few popular topics (Zipf 0.9 over 48 topics) while mentor supply is flatter (Zipf 0.3), there is one
mentor per ten mentees with capacities 10-12 (so slots are about 1.1 N), a minimum score forbids most pairs,
some mentees exclude a few mentors of their own topic and some people are on both sides (a person never
mentors themself). Congestion is the point: it is what separates max-score from greedy and stable matching.

Generation is deterministic from ``seed`` and needs only numpy, so the program can be built in any process.
It is returned as plain records (``Program``); :func:`as_matching` turns them into ``matching.Mentee`` /
``Mentor`` / ``MatchConfig`` objects (imported lazily, since peers run in virtualenvs without our package).
The score matrix the solver-level rows use is not built here: it comes from our own ``matching.candidates``
(see ``tasks/ours.py``) so every solver sees exactly the same edges.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

N_TOPICS = 48
DEMAND_ZIPF = 0.9  # mentees crowd into popular topics
SUPPLY_ZIPF = 0.3  # mentor supply is much flatter
SKILLS_PER_TOPIC = 8
GENERAL_SKILLS = 16  # skills every topic uses (e.g. writing, statistics): what makes cross-topic pairs useful
WORDS_PER_TOPIC = 40
AREAS = ("quizzes", "homework", "labs", "projects", "midterm", "final exam", "unit 1", "unit 2", "unit 3", "unit 4")
LANGUAGES = ("en", "es", "fr", "de", "pt", "zh", "ar", "ru")
LANGUAGE_SHARE = (0.45, 0.15, 0.10, 0.08, 0.07, 0.06, 0.05, 0.04)
UTC_OFFSETS = (-8, -5, -3, 0, 1, 2, 3, 5, 8, 9)
EXCLUDING_SHARE = 0.05  # share of mentees who exclude 1-3 mentors of their own topic
BOTH_SIDES_SHARE = 0.03  # share of mentors who are also mentees (the self pair is excluded)
VOCAB_SEED = 20261128  # the topic vocabularies do not depend on the program seed

# Calibrated once against matching's fused scores with the default weights so that, as in the anchors (68 % there),
# about 70 % of pairs are forbidden; the export row measures and reports the forbidden share on every run.
MIN_SCORE = 0.31

_SYLLABLES = "ka ro mi tes lan vor pe du shi nal cor ben tra fi zo mel gar is qua ux ple sen dor ra vi ta ny ko lum rex"
_SYLLABLES += " sol mar pri bel ter gon das fel hu"
_COMMON_WORDS = "learn improve career goal understand skills project team work build practice confidence help want"
_COMMON_WORDS += " become better experience field industry future job grow knowledge mentor guidance study"


@dataclass(frozen=True)
class Program:
    """A generated program as plain records (library-independent).

    Attributes:
        seed: the generator seed.
        mentees: one dict per mentee with the ``matching.Mentee`` field names.
        mentors: one dict per mentor with the ``matching.Mentor`` field names (qualifications as tuples).
        excluded: (mentee id, mentor id) pairs that must never be matched.
        min_score: the minimum score of an allowed pair.
        mentee_topic: primary topic per mentee (for diagnostics).
        mentor_topic: topic per mentor.
        engagement: a per-mentee number in [0, 1] mentors also value (asymmetric stable preferences).
    """

    seed: int
    mentees: list[dict[str, Any]]
    mentors: list[dict[str, Any]]
    excluded: frozenset[tuple[str, str]]
    min_score: float
    mentee_topic: np.ndarray
    mentor_topic: np.ndarray
    engagement: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def capacities(self) -> np.ndarray:
        """Mentor capacities as an int64 array, in mentor order."""
        return np.array([m["capacity"] for m in self.mentors], dtype=np.int64)


def _zipf_probabilities(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return weights / weights.sum()


@lru_cache(maxsize=1)
def _vocabularies() -> tuple[list[list[str]], list[list[str]]]:
    """Per-topic skill tags and text words, fixed across seeds so programs of every size share them."""
    rng = np.random.default_rng(VOCAB_SEED)
    used: set[str] = set(_COMMON_WORDS.split())

    def fresh_word(lo: int, hi: int) -> str:
        while True:
            word = "".join(rng.choice(_SYLLABLES.split(), size=int(rng.integers(lo, hi + 1))))
            if word not in used:
                used.add(word)
                return word

    skills = [[f"{fresh_word(2, 3)} {fresh_word(1, 2)}" for _ in range(SKILLS_PER_TOPIC)] for _ in range(N_TOPICS)]
    skills.append([fresh_word(3, 4) for _ in range(GENERAL_SKILLS)])  # the general skills, after the topics
    words = [[fresh_word(2, 4) for _ in range(WORDS_PER_TOPIC)] for _ in range(N_TOPICS)]
    return skills, words


def _styled(tags: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Write tags the way people do (case, extra spaces, accents) so the library's normalisation is exercised."""
    roll = rng.random(tags.size)
    out = []
    for tag, r in zip(tags.tolist(), roll.tolist(), strict=True):
        if r < 0.2:
            out.append(tag.title())
        elif r < 0.3:
            out.append("  " + tag.upper() + " ")
        elif r < 0.35:
            out.append(tag.replace("a", "\u00e1", 1))
        else:
            out.append(tag)
    return out


def _pick(rng: np.random.Generator, n: int, width: int, counts: np.ndarray) -> list[np.ndarray]:
    """For each of ``n`` rows, ``counts[row]`` distinct column indices out of ``width`` (uniform, vectorised)."""
    order = np.argsort(rng.random((n, width)), axis=1)
    return [order[i, : counts[i]] for i in range(n)]


def _texts(rng: np.random.Generator, topic: np.ndarray, second: np.ndarray, lo: int, hi: int) -> list[str]:
    """Bags of words: mostly the person's topic vocabulary, some of a second topic, some common filler."""
    _, words = _vocabularies()
    flat = np.array([w for topic_words in words for w in topic_words] + _COMMON_WORDS.split(), dtype=object)
    lengths = rng.integers(lo, hi + 1, size=topic.size)
    owner = np.repeat(np.arange(topic.size), lengths)
    roll = rng.random(owner.size)
    k = rng.integers(WORDS_PER_TOPIC, size=owner.size)
    index = np.where(roll < 0.65, topic[owner] * WORDS_PER_TOPIC + k, second[owner] * WORDS_PER_TOPIC + k)
    common = N_TOPICS * WORDS_PER_TOPIC + rng.integers(len(_COMMON_WORDS.split()), size=owner.size)
    index = np.where(roll >= 0.8, common, index)
    tokens = flat[index].tolist()
    bounds = np.concatenate(([0], np.cumsum(lengths))).tolist()
    return [" ".join(tokens[a:b]) for a, b in itertools.pairwise(bounds)]


def _availabilities(rng: np.random.Generator, n: int, lo: int, hi: int) -> list[frozenset[int] | None]:
    """Evening blocks in each person's timezone, as UTC hour-of-week slots; 5% unknown (None)."""
    unknown = rng.random(n) < 0.05
    offset = np.array(UTC_OFFSETS)[rng.integers(len(UTC_OFFSETS), size=n)]
    blocks = rng.integers(lo, hi + 1, size=n)
    days = np.argsort(rng.random((n, 7)), axis=1)
    start = rng.integers(17, 21, size=(n, 7))
    length = rng.integers(2, 4, size=(n, 7))
    out: list[frozenset[int] | None] = []
    for i in range(n):
        if unknown[i]:
            out.append(None)
            continue
        hours = set()
        for b in range(blocks[i]):
            d = int(days[i, b])
            base = d * 24 + int(start[i, d]) - int(offset[i])
            hours.update((base + h) % 168 for h in range(int(length[i, d])))
        out.append(frozenset(hours))
    return out


def _languages(rng: np.random.Generator, counts: np.ndarray, english_first: np.ndarray) -> list[tuple[str, ...]]:
    """Distinct languages drawn by share (Gumbel top-k = sampling without replacement by weight)."""
    keys = np.log(np.array(LANGUAGE_SHARE)) + rng.gumbel(size=(counts.size, len(LANGUAGES)))
    order = np.argsort(-keys, axis=1)
    out = []
    for i in range(counts.size):
        chosen = set(order[i, : counts[i]].tolist())
        if english_first[i]:
            chosen.add(0)
        out.append(tuple(LANGUAGES[k] for k in sorted(chosen)))
    return out


def _performances(rng: np.random.Generator, n: int, a: float, b: float, weak: np.ndarray) -> list[dict[str, float]]:
    """Per-area scores (80% of areas known); ``weak`` is the area each person is weakest in (-1: none)."""
    known = rng.random((n, len(AREAS))) < 0.8
    values = rng.beta(a, b, size=(n, len(AREAS)))
    rows = np.arange(n)[weak >= 0]
    values[rows, weak[weak >= 0]] *= 0.5
    values = np.round(values, 4)
    return [
        {area: float(v) for area, v, ok in zip(AREAS, values[i].tolist(), known[i].tolist(), strict=True) if ok}
        for i in range(n)
    ]


def generate(n_mentees: int, n_mentors: int | None = None, *, seed: int = 7, tight: bool = False) -> Program:
    """Generate the congested program.

    Args:
        n_mentees: N.
        n_mentors: M; defaults to N / 10 as in the issue.
        seed: generator seed; the same arguments always give the same program.
        tight: every capacity is exactly N / M (so total capacity equals demand): the no-slack stress case where
            top-K candidates alone starve mentors nobody ranks highly.

    Returns:
        The program as plain records.
    """
    n = n_mentees
    m = n_mentors if n_mentors is not None else max(1, n // 10)
    rng = np.random.default_rng(seed)
    skills, _ = _vocabularies()
    skill_names = np.array([s for topic_skills in skills for s in topic_skills], dtype=object)
    demand = _zipf_probabilities(N_TOPICS, DEMAND_ZIPF)
    supply = _zipf_probabilities(N_TOPICS, SUPPLY_ZIPF)
    mentee_topic = rng.choice(N_TOPICS, size=n, p=demand)
    mentee_second = rng.choice(N_TOPICS, size=n, p=demand)
    mentor_topic = rng.choice(N_TOPICS, size=m, p=supply)
    mentor_second = rng.choice(N_TOPICS, size=m, p=supply)
    engagement = rng.random(n)
    if tight:
        if n % m:
            raise ValueError("the tight program needs N divisible by M")
        capacities = np.full(m, n // m, dtype=np.int64)
    else:
        capacities = rng.integers(10, 13, size=m)

    # Mentees: 2-4 skills of their topic, sometimes one of their second topic, often one general skill.
    wanted = _pick(rng, n, SKILLS_PER_TOPIC, rng.integers(2, 5, size=n))
    extra = np.where(rng.random(n) < 0.3, mentee_second * SKILLS_PER_TOPIC + rng.integers(SKILLS_PER_TOPIC, size=n), -1)
    general_base = N_TOPICS * SKILLS_PER_TOPIC
    general = np.where(rng.random(n) < 0.6, general_base + rng.integers(GENERAL_SKILLS, size=n), -1)
    aspirations = _texts(rng, mentee_topic, mentee_second, 12, 30)
    perf = _performances(rng, n, 2.0, 2.0, mentee_topic % len(AREAS))
    has_grade = rng.random(n) < 0.9
    languages = _languages(rng, np.where(rng.random(n) < 0.7, 1, 2), np.zeros(n, dtype=bool))
    hours = _availabilities(rng, n, 2, 4)
    mentees = []
    for i in range(n):
        tags = mentee_topic[i] * SKILLS_PER_TOPIC + wanted[i]
        tags = np.concatenate((tags, [x for x in (extra[i], general[i]) if x >= 0])).astype(np.int64)
        p = perf[i]
        mentees.append(
            {
                "id": f"u{i}",
                "skills_wanted": tuple(_styled(skill_names[tags], rng)),
                "aspirations": aspirations[i],
                "performance": p,
                "grade": round(float(np.mean(list(p.values()))), 4) if p and has_grade[i] else None,
                "languages": languages[i],
                "availability": hours[i],
            }
        )

    # Mentors: 4-8 skills of their topic, 0-2 of a second one and 2-4 general ones; stronger performance; mostly
    # English.
    offered = _pick(rng, m, SKILLS_PER_TOPIC, rng.integers(4, 9, size=m))
    offered2 = _pick(rng, m, SKILLS_PER_TOPIC, rng.integers(0, 3, size=m))
    offered_general = _pick(rng, m, GENERAL_SKILLS, rng.integers(2, 5, size=m))
    about = _texts(rng, mentor_topic, mentor_second, 20, 40)
    mperf = _performances(rng, m, 5.0, 2.0, np.full(m, -1))
    mlanguages = _languages(rng, rng.integers(1, 4, size=m), rng.random(m) < 0.8)
    mhours = _availabilities(rng, m, 3, 6)
    certificate = rng.random(m) < 0.3
    # A few mentors are also mentees: they reuse that person's id, and the self pair is excluded below.
    both = rng.choice(n, size=min(n, round(BOTH_SIDES_SHARE * m)), replace=False)
    both_of = dict(zip(rng.choice(m, size=both.size, replace=False).tolist(), both.tolist(), strict=True))
    mentors = []
    for j in range(m):
        tags = np.concatenate(
            (
                mentor_topic[j] * SKILLS_PER_TOPIC + offered[j],
                mentor_second[j] * SKILLS_PER_TOPIC + offered2[j],
                general_base + offered_general[j],
            )
        )
        tags = np.array(list(dict.fromkeys(tags.tolist())), dtype=np.int64)
        p = mperf[j]
        grade = round(float(np.mean(list(p.values()))), 4) if p else None
        quals: list[tuple[str, str, Any, bool]] = []
        if grade is not None:
            quals.append(("course_grade", "Course grade", grade, True))
        if certificate[j]:
            quals.append(("certificate", "Verified certificate", None, True))
        mentors.append(
            {
                "id": f"u{both_of[j]}" if j in both_of else f"m{j}",
                "skills": tuple(_styled(skill_names[tags], rng)),
                "about": about[j],
                "performance": p,
                "grade": grade,
                "languages": mlanguages[j],
                "availability": mhours[j],
                "capacity": int(capacities[j]),
                "qualifications": tuple(quals),
            }
        )

    # 5% of mentees exclude 1-3 mentors of their own topic; people on both sides never get themselves.
    excluded: set[tuple[str, str]] = {(f"u{i}", f"u{i}") for i in both.tolist()}
    by_topic = [np.flatnonzero(mentor_topic == t) for t in range(N_TOPICS)]
    excluders = np.flatnonzero(rng.random(n) < EXCLUDING_SHARE)
    how_many = rng.integers(1, 4, size=excluders.size)
    for i, k in zip(excluders.tolist(), how_many.tolist(), strict=True):
        pool = by_topic[int(mentee_topic[i])]
        for j in rng.choice(pool, size=min(pool.size, k), replace=False).tolist():
            excluded.add((f"u{i}", mentors[j]["id"]))
    return Program(
        seed=seed,
        mentees=mentees,
        mentors=mentors,
        excluded=frozenset(excluded),
        min_score=MIN_SCORE,
        mentee_topic=mentee_topic,
        mentor_topic=mentor_topic,
        engagement=engagement,
        meta={"n": n, "m": m, "tight": tight, "slots": int(capacities.sum()), "n_excluded": len(excluded)},
    )


def as_matching(program: Program, **config: Any) -> tuple[list[Any], list[Any], Any]:
    """Express the program as ``matching`` objects (our package must be importable in this process).

    Args:
        program: the generated program.
        **config: ``MatchConfig`` fields overriding the program's (e.g. ``strategy="stable"``, ``certify=False``).

    Returns:
        ``(mentees, mentors, config)`` ready for ``matching.match``.
    """
    from matching import data as matching  # lazy: peers import this module without our package on sys.path

    mentees = [matching.Mentee(**rec) for rec in program.mentees]
    mentors = []
    for rec in program.mentors:
        quals = tuple(
            matching.Qualification(kind=k, label=label, value=v, verified=ok)
            for k, label, v, ok in rec["qualifications"]
        )
        mentors.append(matching.Mentor(**{**rec, "qualifications": quals}))
    return mentees, mentors, match_config(program, **config)


def match_config(program: Program, **config: Any) -> Any:
    """The program's ``matching.MatchConfig`` (minimum score, excluded pairs), with ``config`` overrides."""
    from matching import data as matching

    return matching.MatchConfig(**{"min_score": program.min_score, "excluded": program.excluded, **config})
