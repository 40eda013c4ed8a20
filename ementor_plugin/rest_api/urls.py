"""Versioned REST API: each version keeps its own views, serializers and permissions."""

from django.urls import include, path

urlpatterns = [
    path("v1/", include(("ementor_plugin.rest_api.v1.urls", "v1"), namespace="v1")),
]
