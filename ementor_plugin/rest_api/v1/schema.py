"""The OpenAPI 3 description of REST API v1 (drf-spectacular), served at ``schema/``.

Holds what the views' ``@extend_schema`` share (path parameters, the error responses) and the security schemes
of the authentication classes drf-spectacular does not know (edx-drf-extensions' subclasses, the LMS's bearer
class). The schema covers eMentor's endpoints only, whatever else the host project (the LMS) serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import include, path
from drf_spectacular import plumbing
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from ementor_plugin.data import (
    ExperienceLevel,
    GoalStatus,
    MatchOrigin,
    MatchResponse,
    MatchStatus,
    Objective,
    ParticipantStatus,
    Role,
    RunStatus,
    RunTrigger,
    Schedule,
    Strategy,
)

from .authentication import PLATFORM_BEARER_CLASS
from .serializers import MAX_ID, ErrorSerializer

# ----------------------------------------------------------------------------------------------------------------
# Security schemes (registered with drf-spectacular when this module is imported; views.py imports it)
# ----------------------------------------------------------------------------------------------------------------


class JwtScheme(OpenApiAuthenticationExtension):
    """edx-drf-extensions' JWT: ``Authorization: JWT <token>`` (or the JWT cookies the micro-frontends send)."""

    target_class = "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        """A header scheme with the ``JWT`` prefix (OpenAPI's ``bearer`` scheme would say ``Bearer``)."""
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="JWT", bearer_format="JWT"  # noqa: S106  (a prefix, no secret)
        )


class SessionScheme(OpenApiAuthenticationExtension):
    """The LMS session cookie; writes also need the ``X-CSRFToken`` header."""

    target_class = "edx_rest_framework_extensions.auth.session.authentication.SessionAuthenticationAllowInactiveUser"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        """The session cookie, named as the host project names it."""
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The LMS session. Writes (POST, PUT, PATCH, DELETE) also need the X-CSRFToken header.",
        }


class PlatformBearerScheme(OpenApiAuthenticationExtension):
    """The LMS's OAuth2 access tokens (only inside the LMS, where the class exists)."""

    target_class = PLATFORM_BEARER_CLASS
    optional = True  # absent outside the LMS: no warning
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        """``Authorization: Bearer <token>``."""
        return {"type": "http", "scheme": "bearer"}


# ----------------------------------------------------------------------------------------------------------------
# Shared parameters and responses
# ----------------------------------------------------------------------------------------------------------------

COURSE_ID = OpenApiParameter(
    "course_id",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[^/]+$",
    description="An Open edX course key. A malformed key answers 400; a course without a program 404.",
    examples=[OpenApiExample("A course", value="course-v1:edX+DemoX+2026")],
)


def id_parameter(name: str, what: str) -> OpenApiParameter:
    """A numeric id in the path."""
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return OpenApiParameter(name, schema, OpenApiParameter.PATH, description=f"The {what}'s id.")


def filter_parameter(name: str, enum, description: str) -> OpenApiParameter:
    """An optional query filter with a fixed set of values."""
    return OpenApiParameter(name, str, OpenApiParameter.QUERY, enum=[m.value for m in enum], description=description)


_ERRORS = {
    400: "Invalid input (`field_errors` names each field) or a malformed course id.",
    401: "Not authenticated.",
    403: "Not allowed: not enrolled, not course staff, or a session write without the CSRF token.",
    404: "No program for this course, or no such record among the caller's own (other people's ids answer 404).",
    409: "The request clashes with the current state (already joined, pairing no longer active, ...).",
    429: "Too many writes; retry after the number of seconds in the Retry-After header.",
    503: "The database is unavailable; nothing was changed. Retry later.",
}


def responses(success: Mapping[int, Any], *extra: int) -> dict[int, Any]:
    """``success`` plus the error responses every endpoint can give (400, 401, 403, 404, 503) and ``extra``."""
    out: dict[int, Any] = dict(success)
    for code in sorted({400, 401, 403, 404, 503, *extra}):
        out[code] = OpenApiResponse(ErrorSerializer, description=_ERRORS[code])
    return out


def write_responses(success: Mapping[int, Any], *extra: int) -> dict[int, Any]:
    """``responses`` of a write: throttled writes answer 429."""
    return responses(success, 429, *extra)


# ----------------------------------------------------------------------------------------------------------------
# The schema view
# ----------------------------------------------------------------------------------------------------------------

_DESCRIPTION = """\
eMentor pairs mentees with mentors inside an Open edX course and explains each pairing.

Authenticate as the LMS's own APIs do: a JWT (`Authorization: JWT <token>`), the LMS session (writes need the
`X-CSRFToken` header) or, inside the LMS, an OAuth2 bearer token. Every error has the body
`{"code", "message"}`, plus `field_errors` (field -> messages) when input was invalid. Lists are paginated
(`?page=`, `?page_size=` up to 100).
"""


def _enum(enum) -> list[str]:
    return [member.value for member in enum]


#: One component name per choice set, so fields named alike (``status``) get distinct, stable enum names.
ENUM_NAMES = {
    "RoleEnum": _enum(Role),
    "ParticipantStatusEnum": _enum(ParticipantStatus),
    "ExperienceLevelEnum": _enum(ExperienceLevel),
    "StrategyEnum": _enum(Strategy),
    "ObjectiveEnum": _enum(Objective),
    "ScheduleEnum": _enum(Schedule),
    "MatchStatusEnum": _enum(MatchStatus),
    "MatchOriginEnum": _enum(MatchOrigin),
    "MatchResponseEnum": _enum(MatchResponse),
    "GoalStatusEnum": _enum(GoalStatus),
    "RunStatusEnum": _enum(RunStatus),
    "RunTriggerEnum": _enum(RunTrigger),
}


class SchemaView(SpectacularAPIView):
    """``GET schema/``: the OpenAPI 3 schema of eMentor's REST API v1, for anyone."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    custom_settings = {
        "TITLE": "eMentor REST API",
        "DESCRIPTION": _DESCRIPTION,
        "VERSION": "v1",
        "COMPONENT_SPLIT_REQUEST": True,
        "ENUM_NAME_OVERRIDES": ENUM_NAMES,
        "SCHEMA_PATH_PREFIX": r"/api/ementor/v1",
    }

    def get(self, request, *args, **kwargs):
        """Describe the endpoints mounted next to this view, under the prefix the host project gave them."""
        from .urls import api_urlpatterns  # pylint: disable=import-outside-toplevel  (urls imports this module)

        prefix = request.path_info.lstrip("/").removesuffix("schema/")
        self.urlconf = [path(prefix, include(api_urlpatterns))]
        # drf-spectacular caches enum name overrides per language, for the whole process; the host's own schema
        # views have other overrides, so neither may see the other's cached names.
        _clear_enum_name_cache()
        try:
            return super().get(request, *args, **kwargs)
        finally:
            _clear_enum_name_cache()


def _clear_enum_name_cache() -> None:
    for name in ("_load_enum_name_overrides", "load_enum_name_overrides"):
        cache_clear = getattr(getattr(plumbing, name, None), "cache_clear", None)
        if cache_clear is not None:
            cache_clear()
