"""App configuration: how the LMS and Studio find and wire eMentor through the platform's plugin loader.

This module imports nothing from the platform: stevedore drops a plugin whose ``apps.py`` fails to import,
and the platform is not importable outside the LMS (tests, the devsite).
"""

from django.apps import AppConfig
from edx_django_utils.plugins.constants import PluginSettings, PluginSignals, PluginURLs

LMS = "lms.djangoapp"
CMS = "cms.djangoapp"

_EVENTS = "openedx_events.learning.signals"
_RECEIVERS = [
    ("on_grade_summary_changed", "PERSISTENT_GRADE_SUMMARY_CHANGED"),
    ("on_passing_status_updated", "COURSE_PASSING_STATUS_UPDATED"),
    ("on_enrollment_created", "COURSE_ENROLLMENT_CREATED"),
    ("on_unenrollment_completed", "COURSE_UNENROLLMENT_COMPLETED"),
]


def _settings_config(*settings_types):
    return {kind: {PluginSettings.RELATIVE_PATH: f"settings.{kind}"} for kind in settings_types}


class EmentorPluginConfig(AppConfig):
    """The eMentor Django app, loaded into the LMS and Studio by edx-django-utils' plugin framework."""

    name = "ementor_plugin"
    verbose_name = "eMentor"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_app = {
        PluginURLs.CONFIG: {
            project: {
                PluginURLs.NAMESPACE: "ementor_plugin",
                PluginURLs.REGEX: r"^api/ementor/",
                PluginURLs.RELATIVE_PATH: "urls",
            }
            for project in (LMS, CMS)
        },
        PluginSettings.CONFIG: {
            LMS: _settings_config("common", "production", "test"),
            CMS: _settings_config("common", "production", "test"),
        },
        PluginSignals.CONFIG: {
            # Grades and enrollments happen in the LMS only; Studio has no learners to follow.
            LMS: {
                PluginSignals.RELATIVE_PATH: "signals.handlers",
                PluginSignals.RECEIVERS: [
                    {
                        PluginSignals.RECEIVER_FUNC_NAME: receiver,
                        PluginSignals.SIGNAL_PATH: f"{_EVENTS}.{signal}",
                        PluginSignals.DISPATCH_UID: f"ementor_plugin.{receiver}",
                    }
                    for receiver, signal in _RECEIVERS
                ],
            },
        },
    }

    def ready(self):
        """Connect the receivers that cannot be declared in ``plugin_app``."""
        # The retirement receiver is connected here, not through PluginSignals: its signal lives in the platform,
        # which only the platform adapter may import (the devsite's stand-in supplies its own signal).
        from .signals.retirement import connect_retirement_receiver  # pylint: disable=import-outside-toplevel

        connect_retirement_receiver()
