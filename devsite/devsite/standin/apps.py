"""The stand-in platform app of the devsite."""

from django.apps import AppConfig


class StandinConfig(AppConfig):
    """Platform stand-in tables for the devsite and tests."""

    name = "devsite.standin"
    label = "standin"
    verbose_name = "Platform stand-in (devsite only)"
    default_auto_field = "django.db.models.AutoField"
