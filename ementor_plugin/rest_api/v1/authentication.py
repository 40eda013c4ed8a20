"""Who is calling: the authentication classes the LMS's own REST APIs accept, in the LMS's order.

JWT first (the micro-frontends and server-to-server callers), then the platform's OAuth2 bearer tokens when
eMentor runs inside the LMS, then the browser session (the XBlock's JavaScript), whose writes need the CSRF
token. JWT coming first also makes an anonymous call answer ``401`` with a ``WWW-Authenticate`` header.
"""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.auth.session.authentication import SessionAuthenticationAllowInactiveUser
from rest_framework.authentication import BaseAuthentication

#: The LMS's bearer class for its own django-oauth-toolkit tokens (edx-drf-extensions' BearerAuthentication
#: asks a remote user-info URL instead, which is meant for other services).
PLATFORM_BEARER_CLASS = "openedx.core.lib.api.authentication.BearerAuthenticationAllowInactiveUser"


def authentication_classes() -> tuple[type[BaseAuthentication], ...]:
    """The classes every eMentor view authenticates with, the platform's bearer class included when present."""
    bearer = platform_bearer_class()
    return (JwtAuthentication, *((bearer,) if bearer is not None else ()), SessionAuthenticationAllowInactiveUser)


@cache
def platform_bearer_class() -> type[BaseAuthentication] | None:
    """The LMS's bearer authentication class, or None where the platform is absent (the devsite, tests).

    Imported on first use, never at module level: plugin modules load before the platform is ready, and the
    platform cannot be imported at all outside the LMS.
    """
    try:
        return import_string(PLATFORM_BEARER_CLASS)
    except ImportError:
        return None
