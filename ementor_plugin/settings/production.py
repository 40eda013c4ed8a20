"""Production settings: operators set ``EMENTOR_*`` in the platform's YAML configuration; nothing else to add."""

from .common import plugin_settings as _common_plugin_settings


def plugin_settings(settings):
    """Re-apply the defaults after the platform has loaded its YAML, so only unset names get a default."""
    _common_plugin_settings(settings)
