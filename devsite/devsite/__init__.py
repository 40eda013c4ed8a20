"""A small Django project that hosts eMentor the way the LMS does, for the demo and the end-to-end tests."""

from .celery import app as celery_app

__all__ = ["celery_app"]
