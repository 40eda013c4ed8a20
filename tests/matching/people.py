"""Random but realistic mentees and mentors for the engine's tests (seeded, so every run is the same)."""

from __future__ import annotations

import numpy as np

from matching.data import Mentee, Mentor, Qualification

SKILLS = [
    "Python",
    "machine learning",
    "Statistics",
    "writing",
    "Résumé",
    "public speaking",
    "SQL",
    "design",
    "C++",
    "project management",
    "data visualisation",
    "research",
]
WORDS = [
    "learn",
    "career",
    "data",
    "science",
    "teaching",
    "research",
    "startup",
    "python",
    "design",
    "health",
    "policy",
    "writing",
    "music",
    "engineering",
    "finance",
    "robotics",
    "ethics",
    "language",
    "medicine",
]
FOREIGN = [
    "機械学習を勉強したい",
    "我想学习数据科学",
    "Хочу изучать машинное обучение",
    "أريد تعلم البيانات",
    "मुझे डेटा विज्ञान सीखना है",
    "데이터 과학을 배우고 싶어요",
]
AREAS = ["Homework", "Quiz", "Exam", "Lab", "Project", "Unit 1", "Unit 2"]
LANGS = ["en", "fr", "es", "de", "ja", "zh"]


def _text(rng: np.random.Generator) -> str:
    if rng.random() < 0.1:
        return ""
    words = list(rng.choice(WORDS, size=int(rng.integers(2, 12))))
    if rng.random() < 0.2:
        words.append(str(rng.choice(FOREIGN)))
    return " ".join(words)


def _perf(rng: np.random.Generator) -> dict[str, float]:
    if rng.random() < 0.15:
        return {}
    areas = rng.choice(AREAS, size=int(rng.integers(1, 5)), replace=False)
    return {str(a): float(np.round(rng.random(), 3)) for a in areas}


def _hours(rng: np.random.Generator) -> frozenset[int] | None:
    if rng.random() < 0.15:
        return None
    start = int(rng.integers(0, 168))
    return frozenset(int(h) % 168 for h in range(start, start + int(rng.integers(1, 30))))


def _langs(rng: np.random.Generator) -> tuple[str, ...]:
    if rng.random() < 0.1:
        return ()
    return tuple(
        str(x)
        for x in rng.choice(LANGS, size=int(rng.integers(1, 3)), replace=False, p=[0.5, 0.15, 0.15, 0.1, 0.05, 0.05])
    )


def _skills(rng: np.random.Generator) -> tuple[str, ...]:
    if rng.random() < 0.1:
        return ()
    picked = rng.choice(SKILLS, size=int(rng.integers(1, 5)), replace=False)
    return tuple(str(s).upper() if rng.random() < 0.2 else str(s) for s in picked)


def program(n: int, m: int, seed: int = 0, capacity: tuple[int, int] = (1, 3)):
    """Return (mentees, mentors) of a random program."""
    rng = np.random.default_rng(seed)
    mentees = [
        Mentee(
            id=f"e{i}",
            skills_wanted=_skills(rng),
            aspirations=_text(rng),
            performance=_perf(rng),
            grade=None if rng.random() < 0.3 else float(np.round(rng.random(), 2)),
            languages=_langs(rng),
            availability=_hours(rng),
        )
        for i in range(n)
    ]
    mentors = [
        Mentor(
            id=f"r{j}",
            skills=_skills(rng),
            about=_text(rng),
            performance=_perf(rng),
            grade=None if rng.random() < 0.3 else float(np.round(0.5 + rng.random() / 2, 2)),
            languages=_langs(rng),
            availability=_hours(rng),
            capacity=int(rng.integers(capacity[0], capacity[1] + 1)),
            qualifications=(Qualification("course_grade", "Course grade", 0.9),),
        )
        for j in range(m)
    ]
    return mentees, mentors
