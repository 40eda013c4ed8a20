"""What every JSON handler shares: POST only, JSON objects only, a signed-in user, a course, no bare 500."""

import json
import re

import pytest
import webob

from ementor_plugin import api
from ementor_plugin import errors as plugin_errors

HANDLERS = (
    "save_draft", "join", "add_goal", "edit_goal", "delete_goal", "goal_progress", "respond", "participation",
    "dismiss_notices", "accept_notice", "setup_program", "start_run", "run_status", "approve", "studio_submit",
)


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_handler_refuses_get(world, unit, handler):
    user = world.learner()
    block = unit.block(user)
    response = block.handle(handler, webob.Request.blank("/", method="GET"))
    assert response.status_code == 405


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_handler_refuses_a_body_that_is_not_json(world, unit, handler):
    status, _body = unit.call(world.learner(), handler, raw=b"{not json")
    assert status == 400


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_every_handler_refuses_json_that_is_not_an_object(world, unit, handler, payload):
    status, body = unit.call(world.learner(), handler, raw=json.dumps(payload).encode())
    assert status == 400
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"]


@pytest.mark.parametrize("handler", [h for h in HANDLERS if h != "studio_submit"])
def test_anonymous_visitors_are_refused_with_a_reason(world, unit, handler):
    status, body = unit.call(None, handler, {})
    assert status == 403
    assert body["error"]["code"] == "anonymous"
    assert "Sign in" in body["error"]["message"]


def test_a_unit_outside_any_course_says_so(world, make_unit):
    lonely = make_unit(course_id=None)
    status, body = lonely.call(world.learner(), "add_goal", {"title": "x"})
    assert status == 409
    assert body["error"]["code"] == "no_course"


def test_an_unexpected_failure_becomes_a_readable_503_not_a_500(world, unit, monkeypatch, caplog):
    staff = world.staff()
    world.program(staff)
    mentee = world.mentee()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "create_goal", broken)
    status, body = unit.call(mentee, "add_goal", {"title": "Learn pandas"})
    assert status == 503
    assert body["error"]["code"] == "unavailable"
    assert "boom" not in body["error"]["message"]
    assert "add_goal failed" in caplog.text  # logged with its traceback for the operator


def test_a_database_failure_is_a_503_with_the_plugins_message(world, unit, monkeypatch):
    staff = world.staff()
    world.program(staff)
    mentee = world.mentee()

    def unavailable(*args, **kwargs):
        raise plugin_errors.TransientStorageError()

    monkeypatch.setattr(api, "create_goal", unavailable)
    status, body = unit.call(mentee, "add_goal", {"title": "Learn pandas"})
    assert status == 503
    assert body["error"]["code"] == "storage_unavailable"


def test_the_refresh_handler_renders_for_anyone_and_keeps_the_tab(world, unit):
    staff = world.staff()
    world.program(staff)
    status, body = unit.call(None, "refresh", {})
    assert status == 200 and "Sign in to join" in body["html"]
    status, body = unit.call(staff, "refresh", {"panel": "staff"})
    assert status == 200
    assert re.search(r'<button[^>]*data-panel="staff"[^>]*aria-selected="true"', body["html"])
    status, body = unit.call(staff, "refresh", {"panel": "recruitment"})
    assert re.search(r'<button[^>]*data-panel="recruitment"[^>]*aria-selected="true"', body["html"])


def test_refresh_refuses_an_unknown_panel(world, unit):
    status, body = unit.call(world.learner(), "refresh", {"panel": "admin"})
    assert status == 400
    assert "panel" in body["error"]["field_errors"]
