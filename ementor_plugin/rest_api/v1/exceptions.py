"""One error body for every failure: ``{"code", "message"}``, plus ``field_errors`` when input was invalid.

``ementor_plugin.errors`` types map to HTTP statuses here; DRF's own errors (authentication, CSRF, throttling,
malformed JSON, an invalid page) are reshaped into the same body so clients parse one format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ementor_plugin import errors

#: Checked in order: subclasses (NotEnrolled, EnrollmentClosed, TransientStorageError) come with their parent.
STATUS_OF_ERROR: tuple[tuple[type[errors.EmentorError], int], ...] = (
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.PermissionDenied, status.HTTP_403_FORBIDDEN),
    (errors.ValidationError, status.HTTP_400_BAD_REQUEST),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.StorageError, status.HTTP_503_SERVICE_UNAVAILABLE),
)
RETRY_AFTER_SECONDS = 5
NON_FIELD = "__all__"  # the key errors.ValidationError uses for problems of no single field


def handle_exception(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF exception handler of the eMentor views (``APIView.get_exception_handler``).

    Returns None for anything unexpected, so it surfaces as a server error and is logged, never hidden.
    """
    if isinstance(exc, errors.EmentorError):
        return _ementor_response(exc)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)  # keeps DRF's headers: WWW-Authenticate, Retry-After
    if response is not None and isinstance(exc, drf.APIException):
        response.data = _drf_body(exc)
    return response


def _ementor_response(exc: errors.EmentorError) -> Response:
    code = next((status_ for kind, status_ in STATUS_OF_ERROR if isinstance(exc, kind)), 500)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(exc, errors.TransientStorageError) else None
    return Response(exc.to_dict(), status=code, headers=headers)


def _drf_body(exc: drf.APIException) -> dict[str, Any]:
    if isinstance(exc, drf.ValidationError):
        field_errors = flatten(exc.detail)
        return {"code": "invalid", "message": _summary(field_errors), "field_errors": field_errors}
    codes = exc.get_codes()
    return {"code": codes if isinstance(codes, str) else exc.default_code, "message": str(exc.detail)}


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"field": [messages]}``; nested places become ``"field.0"``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = NON_FIELD if key in ("non_field_errors", NON_FIELD) and not prefix else f"{prefix}{key}"
            for field, messages in flatten(value, f"{name}.").items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, Sequence) and not isinstance(detail, str):
        for index, value in enumerate(detail):
            if isinstance(value, Mapping | list):
                for field, messages in flatten(value, f"{prefix}{index}.").items():
                    out.setdefault(field, []).extend(messages)
            else:
                out.setdefault(prefix.rstrip(".") or NON_FIELD, []).append(str(value))
    else:
        out.setdefault(prefix.rstrip(".") or NON_FIELD, []).append(str(detail))
    return out


def _summary(field_errors: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in field_errors.items()) or _("Invalid input.")
