"""Plumbing every JSON handler shares: reading the payload, naming the user and course, mapping errors.

A handler decorated with :func:`json_action` receives a :class:`Payload` (typed accessors that collect a
message per bad field) and a :class:`Caller` (the user id from the runtime's ``user`` service and the course),
and returns plain JSON. Whatever goes wrong becomes a ``JsonHandlerError`` with a readable message:

* 400 ``invalid``: bad input, with ``field_errors`` (field -> messages);
* 403 ``permission_denied`` / ``not_enrolled`` / ``anonymous``; 404 ``not_found``; 409 ``conflict`` and its kinds;
* 503 ``storage_error`` / ``unavailable``: the database or something unexpected failed (logged with its
  traceback); a learner never sees a bare 500.

The body of an error is ``{"error": {"code", "message", "field_errors"?}}``. A ``user_id`` (or any other key)
in the payload is never read unless a handler asks for it by name; no handler asks for a user id.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError

from ementor_plugin import errors as plugin_errors

from .context import course_key_of, current_user_id

log = logging.getLogger(__name__)


class InputError(Exception):
    """The payload is invalid; ``field_errors`` names each bad field."""

    def __init__(self, field_errors: Mapping[str, list[str]], message: str = "", **extra: Any) -> None:
        self.field_errors = {name: list(messages) for name, messages in field_errors.items()}
        self.message = message
        self.extra = extra
        super().__init__(message or "; ".join(self.field_errors))


@dataclass(frozen=True)
class Caller:
    """The user and course a request is about, from the runtime (never from the payload)."""

    user_id: int | None
    course_key: str | None


def _status_of(error: plugin_errors.EmentorError) -> int:
    if isinstance(error, plugin_errors.ValidationError):
        return 400
    if isinstance(error, plugin_errors.PermissionDenied):
        return 403
    if isinstance(error, plugin_errors.NotFound):
        return 404
    if isinstance(error, plugin_errors.Conflict):
        return 409
    return 503


def error_body(code: str, message: str, field_errors: Mapping[str, list[str]] | None = None, **extra: Any) -> dict:
    """The JSON an error response carries under ``"error"``."""
    body = {"code": code, "message": message, **extra}
    if field_errors is not None:
        body["field_errors"] = {name: list(messages) for name, messages in field_errors.items()}
    return body


def json_action(*, needs_user: bool = True, needs_course: bool = True) -> Callable:
    """Make a method a JSON handler with eMentor's payload checks, caller resolution and error mapping.

    Args:
        needs_user: refuse anonymous visitors (403 ``anonymous``) before the handler runs.
        needs_course: refuse when the block cannot tell its course (409 ``no_course``).

    The handler is called as ``handler(self, payload, caller)``.
    """

    def decorate(func: Callable[..., Any]) -> Callable:
        @XBlock.json_handler
        @functools.wraps(func)
        def wrapper(self, data, suffix=""):  # pylint: disable=unused-argument
            gettext = self.runtime.service(self, "i18n").gettext
            if not isinstance(data, dict):
                raise JsonHandlerError(400, error_body("invalid", gettext("The request must be a JSON object.")))
            caller = Caller(current_user_id(self), course_key_of(self))
            if needs_user and caller.user_id is None:
                raise JsonHandlerError(403, error_body("anonymous", gettext("Sign in to use the mentoring program.")))
            if needs_course and caller.course_key is None:
                raise JsonHandlerError(
                    409, error_body("no_course", gettext("This unit is not part of a course, so it has no program."))
                )
            try:
                return func(self, Payload(data, gettext), caller)
            except JsonHandlerError:
                raise
            except InputError as exc:
                message = exc.message or gettext("Some answers need your attention.")
                raise JsonHandlerError(400, error_body("invalid", message, exc.field_errors, **exc.extra)) from None
            except plugin_errors.ValidationError as exc:
                message = gettext("Some answers need your attention.")
                raise JsonHandlerError(400, error_body(exc.code, message, exc.field_errors)) from None
            except plugin_errors.EmentorError as exc:
                raise JsonHandlerError(_status_of(exc), error_body(exc.code, exc.message)) from None
            except Exception:
                log.exception("eMentor handler %s failed for user %s", func.__name__, caller.user_id)
                message = gettext("Something went wrong on our side. Please try again in a moment.")
                raise JsonHandlerError(503, error_body("unavailable", message)) from None

        return wrapper

    return decorate


class Payload:
    """Typed, validated access to a handler's JSON object; bad fields are collected, then raised together."""

    def __init__(self, data: Mapping[str, Any], gettext: Callable[[str], str]) -> None:
        self.data = data
        self._ = gettext
        self.errors: dict[str, list[str]] = {}

    def add_error(self, name: str, message: str) -> None:
        """Record a problem with field ``name``."""
        self.errors.setdefault(name, []).append(message)

    def check(self) -> None:
        """Raise :class:`InputError` with every problem recorded so far."""
        if self.errors:
            raise InputError(self.errors)

    def has(self, name: str) -> bool:
        """Whether the payload holds ``name`` (with any value)."""
        return name in self.data

    def integer(self, name: str, *, low: int | None = None, high: int | None = None, required: bool = True
                ) -> int | None:
        """A whole number (JSON integer, or digits in a string as HTML forms send them) within bounds."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.add_error(name, self._("This field is required."))
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.add_error(name, self._("Enter a whole number."))
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.add_error(name, self._("Enter a number from {low} to {high}.").format(low=low, high=high))
            return None
        return value

    def text(self, name: str, *, max_length: int = 5000, required: bool = False) -> str:
        """Free text, stripped; at most ``max_length`` characters."""
        value = self.data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add_error(name, self._("Enter text."))
            return ""
        value = value.strip()
        if required and not value:
            self.add_error(name, self._("This field is required."))
        elif len(value) > max_length:
            self.add_error(name, self._("Keep this under {limit} characters.").format(limit=max_length))
        return value

    def boolean(self, name: str, *, default: bool | None = None) -> bool | None:
        """A JSON boolean (a checkbox's ``true``/``false``)."""
        value = self.data.get(name, default)
        if value is None and default is None:
            self.add_error(name, self._("This field is required."))
            return None
        if not isinstance(value, bool):
            self.add_error(name, self._("Choose yes or no."))
            return None
        return value

    def choice(self, name: str, choices: Mapping[str, Any] | tuple[str, ...], *, required: bool = True
               ) -> str | None:
        """One of ``choices`` (a string)."""
        value = self.data.get(name)
        if value in (None, "") and not required:
            return None
        if not isinstance(value, str) or value not in choices:
            self.add_error(name, self._("Choose one of the options."))
            return None
        return value

    def strings(self, name: str, *, max_items: int = 50, max_length: int = 200) -> list[str]:
        """A list of short strings (checkbox groups), stripped, empty ones dropped, duplicates removed."""
        value = self.data.get(name)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.add_error(name, self._("Choose from the list."))
            return []
        out: list[str] = []
        for raw in value:
            item = " ".join(raw.split())
            if item and item not in out:
                out.append(item)
        if len(out) > max_items:
            self.add_error(name, self._("Choose at most {limit}.").format(limit=max_items))
        if any(len(item) > max_length for item in out):
            self.add_error(name, self._("Keep each entry under {limit} characters.").format(limit=max_length))
        return out

    def ids(self, name: str, *, required: bool = True) -> list[int]:
        """A non-empty list of positive record ids."""
        value = self.data.get(name)
        if not isinstance(value, list) or not value:
            if required or value is not None:
                self.add_error(name, self._("Choose at least one."))
            return []
        out = []
        for raw in value:
            item = int(raw) if isinstance(raw, str) and raw.isdigit() else raw
            if not isinstance(item, int) or isinstance(item, bool) or item <= 0:
                self.add_error(name, self._("This list holds an invalid entry."))
                return []
            out.append(item)
        return sorted(set(out))

    def mapping(self, name: str) -> dict[str, Any]:
        """A JSON object (nested values are checked by the caller)."""
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add_error(name, self._("This field has the wrong shape."))
            return {}
        return value
