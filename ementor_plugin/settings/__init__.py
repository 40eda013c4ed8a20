"""eMentor's settings, applied to the host project by ``plugin_settings`` (see common.py for every default)."""
