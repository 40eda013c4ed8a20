"""Goal suggestions and goal alignment: pure functions over plain values (no database).

Suggestions are personalised from what the platform measured (weak and strong graded areas) and what the
learner said (experience level), so a mentee weak in "Labs" is offered a Labs goal and a mentor strong in it
is offered to coach it. Alignment compares the themes (meaningful words) of both sides' goals.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from .data import AreaScore, ExperienceLevel, GoalSuggestion

# Words too common in goal statements to say anything about a theme (English; other languages simply keep
# their words, which only makes themes a little noisier, never wrong).
_STOPWORD_TEXT = """
    about above after again also and any are around because been before being better between both but can could
    each every for from get gets getting goal goals have having help how into its just learn learning like make more
    most much my myself need not now off once only other our out over own per really should some such than that the
    their them then there these they this those through to too under until very want was way week weekly well were
    what when where which while who why will with would you your course class able
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"\w+", re.UNICODE)


def themes(texts: Iterable[str]) -> set[str]:
    """Return the themes of some texts: case- and accent-folded words of 3+ letters that are not stopwords.

    A trailing plural "s" is dropped so "projects" and "project" meet.
    """
    found: set[str] = set()
    for text in texts:
        folded = unicodedata.normalize("NFKD", text.casefold())
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
        for word in _WORD.findall(folded):
            if len(word) < 3 or word.isdigit() or word in _STOPWORDS:
                continue
            plural = len(word) > 4 and word.endswith("s") and not word.endswith("ss")
            found.add(word[:-1] if plural else word)
    return found


def alignment(mine: Iterable[str], theirs: Iterable[str]) -> tuple[float, set[str], set[str], set[str]]:
    """Compare two sides' goal texts.

    Returns:
        (score, shared, mine_only, theirs_only): the Jaccard overlap of the two theme sets in [0, 1] (0 when
        either side has no themes) and the three theme sets.
    """
    my_themes, their_themes = themes(mine), themes(theirs)
    shared = my_themes & their_themes
    union = my_themes | their_themes
    score = len(shared) / len(union) if my_themes and their_themes else 0.0
    return score, shared, my_themes - shared, their_themes - shared


def _slug(area: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", area.casefold()).strip("-")[:40] or "area"


def suggestions(
    *,
    wants_mentor: bool,
    mentors: bool,
    experience: ExperienceLevel,
    weak_areas: Sequence[AreaScore],
    strong_areas: Sequence[AreaScore],
    grade: float | None,
    target: float,
) -> list[GoalSuggestion]:
    """Return goal suggestions for one learner, most specific first.

    Args:
        wants_mentor: whether the learner is looking for a mentor.
        mentors: whether the learner mentors.
        experience: the experience level the learner gave.
        weak_areas: graded areas below the weak threshold, weakest first.
        strong_areas: graded areas at or above the mentor threshold, strongest first.
        grade: the learner's course grade in [0, 1], if known.
        target: the score worth reaching in an area (the program's weak-area threshold).
    """
    out: list[GoalSuggestion] = []
    if wants_mentor:
        for area in weak_areas[:3]:
            goal = max(target, min(1.0, area.score + 0.2))
            out.append(
                GoalSuggestion(
                    key=f"improve-{_slug(area.area)}",
                    title=_("Raise my {area} score to {target:.0%}").format(area=area.area, target=goal),
                    success_criteria=_("My {area} score reaches {target:.0%} by the next graded assignment.").format(
                        area=area.area, target=goal
                    ),
                    reason=_("Your {area} score is {score:.0%}.").format(area=area.area, score=area.score),
                )
            )
        if grade is not None and grade < target:
            out.append(
                GoalSuggestion(
                    key="pass-course",
                    title=_("Reach a passing course grade"),
                    success_criteria=_("My course grade is above {target:.0%} at the end of the course.").format(
                        target=target
                    ),
                    reason=_("Your course grade is {grade:.0%}.").format(grade=grade),
                )
            )
        if experience in (ExperienceLevel.BEGINNER, ExperienceLevel.INTERMEDIATE):
            out.append(
                GoalSuggestion(
                    key="study-routine",
                    title=_("Keep a weekly study routine"),
                    success_criteria=_("I study on the same two days every week for a month."),
                    reason=_("A routine helps most early on."),
                )
            )
        else:
            out.append(
                GoalSuggestion(
                    key="apply-project",
                    title=_("Apply the course to a project of my own"),
                    success_criteria=_("I finish a small project that uses what the course teaches."),
                    reason=_("You said you are already experienced."),
                )
            )
    if mentors:
        for area in strong_areas[:2]:
            out.append(
                GoalSuggestion(
                    key=f"coach-{_slug(area.area)}",
                    title=_("Help my mentee improve in {area}").format(area=area.area),
                    success_criteria=_("My mentee's {area} score goes up over our time together.").format(
                        area=area.area
                    ),
                    reason=_("Your {area} score is {score:.0%}.").format(area=area.area, score=area.score),
                )
            )
        out.append(
            GoalSuggestion(
                key="regular-meetings",
                title=_("Meet my mentee every two weeks"),
                success_criteria=_("We hold at least four conversations this term."),
                reason=_("Regular contact is what makes mentoring work."),
            )
        )
        if experience in (ExperienceLevel.ADVANCED, ExperienceLevel.EXPERT):
            out.append(
                GoalSuggestion(
                    key="share-practice",
                    title=_("Share how I apply this subject in practice"),
                    success_criteria=_("I show my mentee one real example from my work or studies."),
                    reason=_("You said you are experienced in this subject."),
                )
            )
    # Both roles can suggest the same key (none today); keep the first so keys stay unique.
    unique: dict[str, GoalSuggestion] = {}
    for suggestion in out:
        unique.setdefault(suggestion.key, suggestion)
    return list(unique.values())
