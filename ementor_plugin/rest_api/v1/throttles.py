"""Rate limits on writes, from ``settings.EMENTOR_THROTTLE_RATES`` (read on every request, never at import).

Reads are not throttled: they are cheap and the XBlock polls them. A scope missing from the setting (or set to
None) is not limited, so operators can switch a limit off.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle


class WriteThrottle(UserRateThrottle):
    """Every write of one user (``ementor_write``)."""

    scope = "ementor_write"

    def get_rate(self) -> str | None:
        """This scope's rate from the setting, or None (no limit).

        DRF asks once per throttle instance, and instances live for one request, so a changed setting applies.
        """
        rates = getattr(settings, "EMENTOR_THROTTLE_RATES", None) or {}
        return rates.get(self.scope)

    def allow_request(self, request, view) -> bool:
        """Count unsafe methods only."""
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class RunThrottle(WriteThrottle):
    """Starting matching runs (``ementor_run``), the costliest write."""

    scope = "ementor_run"
