"""eMentor is found and wired by the platform's own plugin loader (edx-django-utils), for the LMS and Studio.

These tests call the same functions the platform's settings and URL modules call, on the installed
distribution's entry points: if ``apps.py`` failed to import, or ``plugin_app`` lost a key, the plugin would
silently vanish from the platform, and these tests would fail instead.
"""

import sys
import types
from importlib.metadata import entry_points

import pytest
from django.urls import reverse
from edx_django_utils.plugins import (
    add_plugins,
    connect_plugin_receivers,
    get_plugin_apps,
    get_plugin_url_patterns,
)
from openedx_events.learning import signals as events

from ementor_plugin.settings.common import DEFAULTS

PROJECT_TYPES = ["lms.djangoapp", "cms.djangoapp"]
APP_CONFIG = "ementor_plugin.apps.EmentorPluginConfig"


def _receiver_uids(signal):
    return {key[0][0] for key in signal.receivers}


@pytest.mark.parametrize("project_type", PROJECT_TYPES)
def test_entry_point_is_registered(project_type):
    names = {ep.name: ep.value for ep in entry_points(group=project_type)}
    assert names.get("ementor_plugin") == "ementor_plugin.apps:EmentorPluginConfig"


@pytest.mark.parametrize("project_type", PROJECT_TYPES)
def test_loader_finds_the_app(project_type):
    assert APP_CONFIG in get_plugin_apps(project_type)


@pytest.mark.parametrize("project_type", PROJECT_TYPES)
def test_loader_mounts_the_rest_api_under_api_ementor(project_type):
    patterns = [p for p in get_plugin_url_patterns(project_type) if getattr(p, "namespace", None) == "ementor_plugin"]
    assert len(patterns) == 1
    assert patterns[0].pattern.regex.pattern == r"^api/ementor/"
    assert patterns[0].app_name == "ementor_plugin"


def test_the_devsite_serves_the_plugin_urls_as_the_lms_does(client):
    assert reverse("ementor_plugin:v1:schema") == "/api/ementor/v1/schema/"
    response = client.get("/api/ementor/v1/schema/")
    assert response.status_code == 200
    assert b"openapi" in response.content


@pytest.mark.parametrize("project_type", PROJECT_TYPES)
@pytest.mark.parametrize("settings_type", ["common", "production", "test"])
def test_loader_applies_every_setting_default(project_type, settings_type, monkeypatch):
    host = types.ModuleType(f"fake_{project_type.split('.')[0]}_envs_{settings_type}")
    host.EMENTOR_MATCHING_QUEUE = "mentoring"  # an operator's own value must survive
    monkeypatch.setitem(sys.modules, host.__name__, host)

    add_plugins(host.__name__, project_type, "common")
    if settings_type != "common":
        add_plugins(host.__name__, project_type, settings_type)

    assert host.EMENTOR_MATCHING_QUEUE == "mentoring"
    for name in DEFAULTS:
        assert hasattr(host, name), name
    if settings_type == "test":
        assert host.EMENTOR_SEND_EMAIL is False


def test_every_setting_is_annotated():
    source = sys.modules["ementor_plugin.settings.common"].__file__
    with open(source, encoding="utf-8") as handle:
        text = handle.read()
    for name in DEFAULTS:
        assert f".. setting_name: {name}" in text, name
    assert text.count(".. setting_default:") == len(DEFAULTS)
    assert text.count(".. setting_description:") == len(DEFAULTS)


def test_lms_receivers_are_connected_to_the_real_openedx_events():
    connect_plugin_receivers("lms.djangoapp")  # idempotent: the devsite already did this at start-up
    expected = {
        events.PERSISTENT_GRADE_SUMMARY_CHANGED: "ementor_plugin.on_grade_summary_changed",
        events.COURSE_PASSING_STATUS_UPDATED: "ementor_plugin.on_passing_status_updated",
        events.COURSE_ENROLLMENT_CREATED: "ementor_plugin.on_enrollment_created",
        events.COURSE_UNENROLLMENT_COMPLETED: "ementor_plugin.on_unenrollment_completed",
    }
    for signal, uid in expected.items():
        assert uid in _receiver_uids(signal), signal.event_type


def test_studio_connects_no_learner_event_receivers():
    # Studio has no learners: its signals config is empty, and connecting it must not fail.
    connect_plugin_receivers("cms.djangoapp")
    from ementor_plugin.apps import EmentorPluginConfig

    assert "cms.djangoapp" not in EmentorPluginConfig.plugin_app["signals_config"]


def test_retirement_receiver_is_connected_from_ready():
    from ementor_plugin.platform import get_platform

    signal = get_platform().retirement_signal()
    assert "ementor_plugin.retire_user" in _receiver_uids(signal)


def test_apps_module_imports_nothing_from_the_platform():
    with open(sys.modules["ementor_plugin.apps"].__file__, encoding="utf-8") as handle:
        source = handle.read()
    for platform_package in ("lms", "common", "openedx", "cms", "xmodule"):
        assert f"import {platform_package}" not in source
        assert f"from {platform_package}" not in source


def test_readme_documents_every_setting():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in DEFAULTS if f"`{name}`" not in readme]
    assert missing == []
