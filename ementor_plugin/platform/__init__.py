"""The one place eMentor asks the platform questions (enrollment, course roles, grades, retirement).

``get_platform()`` returns an instance of the class named by ``settings.EMENTOR_PLATFORM_BACKEND``: the LMS
implementation by default (``lms.LmsPlatform``, platform imports inside its methods only), or a stand-in with
the same interface where the LMS cannot run (the devsite, tests).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import CourseGrade, Platform

__all__ = ["CourseGrade", "Platform", "get_platform"]


def get_platform() -> Platform:
    """Return the configured platform adapter (one instance per backend path)."""
    return _load(getattr(settings, "EMENTOR_PLATFORM_BACKEND", "ementor_plugin.platform.lms.LmsPlatform"))


@cache
def _load(path: str) -> Platform:
    return import_string(path)()
