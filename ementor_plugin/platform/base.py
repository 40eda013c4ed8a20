"""The interface every platform adapter implements: the questions eMentor asks of Open edX."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.dispatch import Signal
from opaque_keys.edx.keys import CourseKey


@dataclass(frozen=True)
class CourseGrade:
    """A learner's standing in a course, as the platform records it.

    Attributes:
        user_id: the platform user id.
        percent: overall course grade in [0, 1], or None when the platform has none yet.
        areas: score in [0, 1] per graded area (assignment type such as "Homework", "Labs", "Final Exam").
        passed: whether the learner currently passes, when known.
        has_certificate: whether the learner earned a certificate in this course.
        modified: when the platform last changed this grade.
    """

    user_id: int
    percent: float | None
    areas: Mapping[str, float] = field(default_factory=dict)
    passed: bool | None = None
    has_certificate: bool = False
    modified: datetime | None = None


class Platform(ABC):
    """What eMentor needs to know from the platform, and nothing more."""

    @abstractmethod
    def course_exists(self, course_key: CourseKey) -> bool:
        """Whether the course exists (unknown courses answer 404)."""

    @abstractmethod
    def is_enrolled(self, user_id: int, course_key: CourseKey) -> bool:
        """Whether the user holds an active enrollment in the course."""

    @abstractmethod
    def is_course_staff(self, user_id: int, course_key: CourseKey) -> bool:
        """Whether the user is staff of the course (course staff or instructor; global staff and superusers too)."""

    @abstractmethod
    def enrolled_user_ids(self, course_key: CourseKey) -> list[int]:
        """Ids of every user actively enrolled in the course."""

    @abstractmethod
    def course_grades(self, course_key: CourseKey, user_ids: Iterable[int]) -> dict[int, CourseGrade]:
        """The grades of the given users in the course, read in bulk; users without a grade are left out."""

    @abstractmethod
    def retirement_signal(self) -> Signal | None:
        """The signal the platform sends when it retires a user (kwarg ``user``), or None if it has none."""
