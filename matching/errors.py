"""Errors the matching library raises.

Every error is a :class:`MatchingError`, so a caller (the plugin's Celery task) can catch the library's
failures in one place without swallowing programming errors such as ``TypeError`` from its own code.
"""

from __future__ import annotations

__all__ = ["InvalidInputError", "MatchingError"]


class MatchingError(Exception):
    """Base class of every error raised on purpose by ``matching``."""


class InvalidInputError(MatchingError, ValueError):
    """An input (a person's field or a configuration option) is invalid.

    It names the person and the field, so the message can be shown to a course team as is ("mentee 'u42':
    performance['Quiz 1'] is nan, expected a number in [0, 1]") and the plugin can point at the faulty record.
    It is also a ``ValueError``, because that is what it is.

    Attributes:
        person_id: the mentee or mentor id the problem belongs to, or ``None`` for a configuration problem.
        field: the field at fault, e.g. ``"performance"``, ``"grade"``, ``"capacity"``, ``"weights"``.
        message: the problem in plain words, without the person and field.
    """

    def __init__(self, person_id: str | None, field: str, message: str) -> None:
        self.person_id = person_id
        self.field = field
        self.message = message
        where = f"{person_id!r}: {field}" if person_id is not None else field
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # keep the three fields when pickled (e.g. through Celery)
        return (type(self), (self.person_id, self.field, self.message))

    def to_dict(self) -> dict[str, str | None]:
        """Return the error as plain JSON types, for an API response or an audit record."""
        return {"person_id": self.person_id, "field": self.field, "message": self.message}
