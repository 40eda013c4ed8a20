"""The errors ``ementor_plugin.api`` raises. Callers catch these, never database or model exceptions.

Every error carries a stable ``code`` (for REST responses and XBlock JSON) and a message written for the
person who caused it; messages never contain another person's data. The REST API maps them to HTTP statuses:
``NotFound`` 404, ``PermissionDenied`` 403, ``ValidationError`` 400, ``Conflict`` 409, ``StorageError`` 503.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "CapacityReached",
    "Conflict",
    "EmentorError",
    "EnrollmentClosed",
    "NotEnrolled",
    "NotFound",
    "PermissionDenied",
    "StorageError",
    "TransientStorageError",
    "ValidationError",
]


class EmentorError(Exception):
    """Base class of every error the API raises on purpose.

    Attributes:
        code: a stable machine-readable code, e.g. ``"not_found"``.
        message: the problem in plain words.
    """

    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        self.message = message or self.__class__.__doc__.splitlines()[0]
        if code is not None:
            self.code = code
        super().__init__(self.message)

    def to_dict(self) -> dict:
        """Return the error as plain JSON types."""
        return {"code": self.code, "message": self.message}


class NotFound(EmentorError):  # noqa: N818  (the OEP-49 names callers expect)
    """The requested record does not exist, or the caller may not know that it exists."""

    code = "not_found"


class PermissionDenied(EmentorError):  # noqa: N818
    """The caller may not do this."""

    code = "permission_denied"


class NotEnrolled(PermissionDenied):
    """The learner is not enrolled in the course."""

    code = "not_enrolled"


class ValidationError(EmentorError):
    """Some input is invalid; ``field_errors`` says which field and why.

    Attributes:
        field_errors: field name -> messages. ``"__all__"`` holds problems that belong to no single field.
    """

    code = "invalid"

    def __init__(self, field_errors: Mapping[str, Sequence[str]], message: str = "") -> None:
        self.field_errors: dict[str, list[str]] = {name: list(msgs) for name, msgs in field_errors.items()}
        if not message:
            message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.field_errors.items())
        super().__init__(message)

    def to_dict(self) -> dict:
        """Return the error as plain JSON types, with the per-field messages."""
        return {"code": self.code, "message": self.message, "field_errors": self.field_errors}


class Conflict(EmentorError):  # noqa: N818
    """The request clashes with the current state (e.g. the learner already has a mentor)."""

    code = "conflict"


class EnrollmentClosed(Conflict):
    """The program is not taking new participants right now."""

    code = "enrollment_closed"


class CapacityReached(Conflict):
    """The mentor has no free place for another mentee."""

    code = "capacity_reached"


class StorageError(EmentorError):
    """The database failed; nothing was changed."""

    code = "storage_error"


class TransientStorageError(StorageError):
    """The database is temporarily unavailable (lost connection, lock timeout, deadlock): retrying may work."""

    code = "storage_unavailable"
