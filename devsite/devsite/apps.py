"""Stands in for the LMS's own plugins app: connects every plugin's signal receivers once apps are ready."""

from django.apps import AppConfig


class DevsiteHostConfig(AppConfig):
    """Does what openedx.core.djangoapps.plugins.apps.PluginsConfig does in the LMS."""

    name = "devsite"
    label = "devsite_host"

    def ready(self):
        from edx_django_utils.plugins import connect_plugin_receivers  # pylint: disable=import-outside-toplevel

        from .settings.base import PROJECT_TYPE  # pylint: disable=import-outside-toplevel

        connect_plugin_receivers(PROJECT_TYPE)
