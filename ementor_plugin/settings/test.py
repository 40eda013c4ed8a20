"""Settings for the platform's own test runs: no e-mail from eMentor."""


def plugin_settings(settings):
    """Keep tests quiet and self-contained."""
    settings.EMENTOR_SEND_EMAIL = False
