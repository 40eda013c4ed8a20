"""eMentor's URLs, mounted by the platform under ``^api/ementor/`` (see ``plugin_app`` in apps.py)."""

from django.urls import include, path

urlpatterns = [
    path("", include("ementor_plugin.rest_api.urls")),
]
