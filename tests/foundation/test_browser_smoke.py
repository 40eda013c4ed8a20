"""In a real browser: log in to the devsite and see the XBlock rendered by the workbench."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_learner_logs_in_and_sees_the_xblock(live_server, page, login, artifacts):
    get_user_model().objects.create_user("ada", "ada@example.com", "ada-pass")
    login(page, "ada", "ada-pass")
    page.goto(f"{live_server.url}/scenario/ementor.0/")
    block = page.locator(".ementor-block")
    block.wait_for()
    assert block.locator("h2").inner_text() == "Find a mentor, or become one"
    # The JS ran: it replaced the status text with the string Python translated for it.
    assert page.locator(".ementor-status").inner_text() == "Welcome to the mentoring program."
    page.screenshot(path=str(artifacts / "foundation-workbench.png"))


def test_bad_password_keeps_the_learner_out(live_server, page, login):
    get_user_model().objects.create_user("ada", "ada@example.com", "ada-pass")
    login(page, "ada", "wrong")
    assert page.locator("[role=alert]").is_visible()
    page.goto(f"{live_server.url}/scenario/ementor.0/")
    assert "/accounts/login/" in page.url
