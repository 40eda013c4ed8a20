"""The whole story in Debian's Chromium, through the devsite (the XBlock workbench behind a real login).

A learner joins step by step (each step checked, leaving midway keeps the answers), sets goals, is paired by a
run the course team starts and follows on a progress bar, reads why, and declines with a reason; a mentor
sees their mentees; the course team edits the Studio settings (bad values refused). Every panel is checked
with axe-core (no serious or critical violation), at desktop and phone width, and inside an iframe as the
learning micro-frontend shows units. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from playwright.sync_api import expect

from devsite.standin.models import CourseAccessRole
from ementor_plugin import api
from ementor_plugin.models import MatchRun  # only to play the worker's progress reports

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "story-pass"
LEARNER, STAFF, MENTOR = "/scenario/ementor.0/", "/scenario/ementor.2/", "/scenario/ementor.1/"
SERIOUS = ("serious", "critical")


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------


def axe_violations(page_or_frame, selector=".ementor-block"):
    """Run axe-core on the block and return its serious and critical violations (with their nodes)."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing: run `npm ci` in {AXE.parents[2]}")
    if not page_or_frame.evaluate("() => typeof window.axe !== 'undefined'"):
        page_or_frame.add_script_tag(path=str(AXE))
    result = page_or_frame.evaluate(
        """async (selector) => {
            const results = await axe.run(document.querySelector(selector), {resultTypes: ["violations"]});
            return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                 nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }""",
        selector,
    )
    return [violation for violation in result if violation["impact"] in SERIOUS]


def assert_accessible(page_or_frame, what):
    violations = axe_violations(page_or_frame)
    assert violations == [], f"{what}: {violations}"


def shot(page, artifacts, name, selector=".ementor-block"):
    # The workbench's fixed banner would cover the top of element screenshots (a reload drops earlier styles).
    page.add_style_tag(content=".view-workbench header.banner { display: none !important; }")
    page.locator(selector).first.screenshot(path=str(artifacts / f"ementor-{name}.png"), animations="disabled")


def fits(page, selector=".ementor-block"):
    """Whether the block needs no horizontal scrolling (phone width)."""
    return page.locator(selector).first.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def says(page, text):
    """Wait until the block's live region announces ``text``."""
    expect(page.locator("[data-status]")).to_contain_text(text)


class Story:
    """The demo-like course the browser walks through."""

    def __init__(self, world, live_server, browser):
        self.world = world
        self.url = live_server.url
        self.browser = browser
        self.key = settings.DEVSITE_COURSE_ID
        self.contexts = []

    def person(self, user):
        user.set_password(PASSWORD)
        user.save()
        return user

    def open(self, username, path, *, width=1280, height=900, timezone="Europe/Paris"):
        context = self.browser.new_context(viewport={"width": width, "height": height}, timezone_id=timezone,
                                           locale="en-US")
        self.contexts.append(context)
        page = context.new_page()
        page.goto(f"{self.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{self.url}{path}")
        page.locator(".ementor-block").wait_for()
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def story(world, live_server, browser):
    # The workbench keeps each scenario's settings in the database, which every test empties: parse them again.
    from workbench.scenarios import init_scenarios

    init_scenarios()
    story = Story(world, live_server, browser)
    key = story.key
    story.staff = story.person(world.staff("sam", key=key))
    world.program(story.staff, key=key, title="Data Analysis buddies",
                  pitch="Pair up with a learner who is strong where you want to improve.",
                  benefits="- A partner for the labs\n- Thirty minutes a week, at times that suit you both",
                  outcomes="Learners with a mentor finish more labs.",
                  skills=["Python", "Statistics", "Plotting", "SQL"], language_required=True)
    evenings = list(range(17, 23)) + list(range(65, 71))  # Monday and Wednesday evenings in Paris, in UTC
    story.mentor = story.person(world.mentor("max", key=key, skills_offered=["Python", "Statistics"],
                                             availability=evenings, languages=["en", "fr"],
                                             about="I did the labs last year and enjoy explaining pandas."))
    story.learner = story.person(world.learner("lea", grade=0.58, areas={"Labs": 0.48, "Homework": 0.7}, key=key))
    for index in range(2):
        world.mentee(f"mentee{index}", key=key, skills_wanted=["SQL"], languages=["de"], availability=[100])
    yield story
    story.close()


# ---------------------------------------------------------------------------------------------------------------
# the learner's story
# ---------------------------------------------------------------------------------------------------------------


def join_step_by_step(page, artifacts):
    """Walk the joining form, checking that each step refuses bad answers and that nothing typed is lost."""
    wizard = page.locator(".ementor-wizard")
    assert "Step 1 of 5" in wizard.inner_text()
    # Step 1: no role chosen -> the step says so, on the field, and focus goes there.
    page.get_by_role("button", name="Next").click()
    error = page.locator('[data-error-for="role"]')
    error.wait_for(state="visible")
    assert "Choose one of the options" in error.inner_text()
    assert page.get_by_label("Be a mentor").is_disabled()  # 58% is below the 80% threshold
    page.get_by_label("Get a mentor").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 2 of 5").wait_for()
    assert page.evaluate("document.activeElement.classList.contains('ementor-step-title')")

    # Step 2: an empty profile is refused field by field.
    page.get_by_label("English").uncheck()
    page.get_by_role("button", name="Next").click()
    page.locator('[data-error-for="languages"]').wait_for(state="visible")
    assert page.locator('[data-error-for="skills_wanted"]').is_visible()
    assert page.locator('[data-error-for="experience_level"]').is_visible()
    assert page.locator('input[name="experience_level"][aria-invalid="true"]').count() == 4
    shot(page, artifacts, "recruitment-step-errors", ".ementor-wizard")
    page.get_by_label("Python").check()
    page.get_by_label("Statistics").check()
    page.get_by_label("What do you hope to achieve with a mentor?").fill("Get my labs above 70% & understand pandas <3")
    page.get_by_label("Beginner: new to the subject").check()
    page.get_by_label("English").check()
    page.get_by_label("Other languages").fill("pt-br")
    # Own skills beside the list: a problem is shown on that field, which is tied to its message.
    other_skills = page.get_by_label("Other skills (comma-separated)")
    other_skills.fill("x" * 65)
    page.get_by_role("button", name="Next").click()
    page.locator('[data-error-for="other_skills_wanted"]').wait_for(state="visible")
    assert other_skills.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == "other_skills_wanted"
    error_id = page.locator('[data-error-for="other_skills_wanted"]').get_attribute("id")
    assert error_id in other_skills.get_attribute("aria-describedby").split()
    assert_accessible(page, "profile step with the skills list and own skills")
    other_skills.fill("Public speaking, statistics")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 3 of 5").wait_for()

    # Leaving midway keeps what was entered: reload, the form reopens at step 3; back to step 2 shows the answers.
    page.reload()
    page.get_by_text("Step 3 of 5").wait_for()
    assert "Your answers are saved as you go" in page.locator(".ementor-wizard").inner_text()
    page.get_by_role("button", name="Back").click()
    page.get_by_text("Step 2 of 5").wait_for()
    assert page.get_by_label("What do you hope to achieve with a mentor?").input_value() == \
        "Get my labs above 70% & understand pandas <3"
    assert page.get_by_label("Statistics").is_checked()
    assert page.get_by_label("Other skills (comma-separated)").input_value() == "Public speaking, statistics"
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 3 of 5").wait_for()

    # Step 3: the browser's time zone is chosen for the learner; periods are in local time.
    assert page.locator("select[name=time_zone]").input_value() == "Europe/Paris"
    page.get_by_role("button", name="Next").click()
    page.locator('[data-error-for="availability"]').wait_for(state="visible")
    page.get_by_label("Monday, Evening (18:00\u201324:00)").check()
    page.get_by_label("Wednesday, Evening (18:00\u201324:00)").check()
    shot(page, artifacts, "recruitment-week", ".ementor-wizard")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 4 of 5").wait_for()

    # Step 4: a suggestion from the learner's results fills the first goal.
    ideas = page.locator("[data-use-idea]")
    assert ideas.count() >= 1
    assert "Labs" in page.locator(".ementor-ideas").inner_text()
    ideas.first.click()
    assert page.locator('input[name="goal_title_1"]').input_value() != ""
    page.locator('input[name="goal_title_2"]').fill("Ask for help within a day when stuck")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 5 of 5").wait_for()

    # Step 5: consent is required.
    page.get_by_role("button", name="Join the program").click()
    page.locator('[data-error-for="consent"]').wait_for(state="visible")
    page.get_by_label("I have read the privacy notice and I agree to the code of conduct.").check()
    page.get_by_role("button", name="Join the program").click()
    page.get_by_role("tab", name="My pairing").wait_for()


@pytest.fixture
def worker(monkeypatch):
    """Stand in for the Celery worker: runs handed to Celery are recorded; the test does the work, step by step."""
    from ementor_plugin import tasks

    queued = []
    monkeypatch.setattr(tasks, "enqueue_matching_run", lambda run_id: queued.append(run_id) or f"task-{run_id}")
    return queued


def test_the_learner_story(story, artifacts, worker):
    page = story.open("lea", LEARNER)
    assert page.locator(".ementor-status").inner_text() == "Welcome to the mentoring program."
    block = page.locator(".ementor-block")
    assert "A mentor can help with Labs, where you are at 48%." in block.inner_text()
    assert_accessible(page, "recruitment panel")
    shot(page, artifacts, "recruitment")

    join_step_by_step(page, artifacts)
    says(page, "Welcome to the mentoring program!")
    assert page.get_by_role("tab", name="My pairing").get_attribute("aria-selected") == "true"
    assert "You are not paired with a mentor yet" in block.inner_text()
    assert_accessible(page, "pairing panel before a match")
    shot(page, artifacts, "pairing-waiting")
    profile = api.get_profile(story.learner.id, story.key)
    assert profile.languages == ("en", "pt-br") and profile.time_zone == "Europe/Paris"
    assert profile.skills_wanted == ("Python", "Statistics", "Public speaking")
    assert len(profile.availability) == 12 and len(api.list_goals(story.learner.id, story.key)) == 2

    # Goals: the keyboard moves between tabs (arrow keys), progress is recorded.
    page.get_by_role("tab", name="My pairing").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name="My goals").get_attribute("aria-selected") == "true"
    goal = page.locator(".ementor-goal").nth(1)
    goal.get_by_role("button", name=re.compile("^Update progress")).click()
    goal.get_by_label("Progress (percent done)").fill("40")
    goal.get_by_label("What happened? (optional)").fill("Asked in the forum twice this week")
    goal.get_by_role("button", name="Save progress").click()
    page.locator(".ementor-goal").nth(1).locator('[role="progressbar"][aria-valuenow="40"]').wait_for()
    says(page, "Progress saved.")
    add = page.get_by_role("form", name="Add a goal")
    add.get_by_label("Goal", exact=True).fill("Finish lab 4 before the deadline")
    add.get_by_role("button", name="Add the goal").click()
    page.get_by_role("heading", name="Finish lab 4 before the deadline").wait_for()
    assert_accessible(page, "goals panel")

    # The course team starts a run and watches its progress bar.
    api.create_goal(story.mentor.id, story.key, title="Help my mentee finish the labs with pandas")
    staff = story.open("sam", STAFF)
    assert staff.get_by_role("tab", name="Course team").get_attribute("aria-selected") == "true"
    assert_accessible(staff, "course-team panel")
    staff.get_by_role("button", name="Start a matching run").click()
    bar = staff.locator("[data-run-bar]")
    bar.wait_for(state="visible")
    expect(staff.locator("[data-run-text]")).to_have_text("Waiting for a worker: 0%")
    assert len(worker) == 1  # handed to Celery once the request committed
    # The worker reports progress while it works: the bar follows it without a reload.
    MatchRun.objects.filter(pk=worker[0]).update(status="running", stage="matching", percent=45,
                                                 heartbeat_at=timezone.now())
    expect(bar).to_have_attribute("aria-valuenow", "45")
    expect(staff.locator("[data-run-text]")).to_have_text("Finding the best pairs: 45%")
    shot(staff, artifacts, "staff-run-progress")
    api.execute_run(worker[0], force_takeover=True)  # the worker finishes
    staff.get_by_text(re.compile("^Matching finished")).first.wait_for(timeout=15000)
    says(staff, "Matching finished")
    assert staff.locator(".ementor-panel-staff").get_by_role("heading", name="Last run").is_visible()
    assert_accessible(staff, "course-team panel after a run")
    shot(staff, artifacts, "staff")

    # The learner sees the pairing explained, with the mentor's goals side by side with hers.
    page.reload()
    page.get_by_role("heading", name="Your mentor: max").wait_for()
    text = page.locator(".ementor-panel-match").inner_text()
    assert "Why you were paired" in text and "Overall fit:" in text
    assert "verified" in text and "Course grade" in text
    assert "Your mentor offers skills you asked for: Python" in text
    assert re.search(r"(Monday|Wednesday) 18:00\u20132\d:00", text)  # common hours, in her own time zone
    assert_accessible(page, "pairing panel with a match")
    shot(page, artifacts, "pairing")
    page.get_by_role("tab", name="My goals").click()
    assert "You and your mentor max" in page.locator(".ementor-panel-goals").inner_text()
    assert "Help my mentee finish the labs with pandas" in page.locator(".ementor-panel-goals").inner_text()
    assert_accessible(page, "goals panel side by side")
    shot(page, artifacts, "goals")

    # She declines, with a reason; the pairing ends and the course team can read why.
    page.get_by_role("tab", name="My pairing").click()
    page.get_by_role("button", name="Decline…").click()
    page.get_by_label("Our schedules or time zones do not fit").check()
    page.get_by_label("Anything the course team should know? (optional)").fill("I moved to night shifts.")
    page.get_by_role("button", name="Decline the pairing").click()
    page.get_by_text("You will be considered in the next matching run.").wait_for()
    assert "Earlier pairings" in page.locator(".ementor-panel-match").inner_text()
    match = api.list_matches(story.staff.id, story.key, status="declined")[0]
    assert match.mentee_username == "lea" and match.mentee_response == "declined"


def test_a_mentor_sees_each_mentee_and_the_phone_layout_fits(story, artifacts):
    key = story.key
    second = story.world.mentee("noa", key=key, skills_wanted=["Statistics"], languages=["en"],
                                availability=list(range(17, 20)))
    story.world.mentee("ines", key=key, skills_wanted=["Python"], languages=["en", "fr"],
                       availability=list(range(65, 68)))
    assert second is not None
    story.world.run(story.staff, key=key)
    page = story.open("max", MENTOR, width=375, height=800)
    assert page.get_by_role("tab", name="My pairing").get_attribute("aria-selected") == "true"
    names = page.locator(".ementor-match h4").all_inner_texts()
    assert len(names) == 2 and all(name.startswith("Your mentee:") for name in names)
    assert "You offer skills your mentee asked for" in page.locator(".ementor-panel-match").inner_text()
    assert fits(page)
    assert_accessible(page, "mentor's pairing panel at phone width")
    shot(page, artifacts, "mentor-phone")
    page.get_by_role("tab", name="Program").click()
    assert fits(page)
    shot(page, artifacts, "program-phone")


def test_the_joining_form_fits_a_phone(story, artifacts):
    page = story.open("lea", LEARNER, width=375, height=800)
    page.get_by_label("Get a mentor").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 2 of 5").wait_for()
    page.get_by_label("Python").check()
    page.get_by_label("Beginner: new to the subject").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 3 of 5").wait_for()
    assert fits(page)
    assert_accessible(page, "joining form at phone width")
    shot(page, artifacts, "recruitment-phone")
    # The check can fail: an unlabelled field and an image without text are caught.
    page.evaluate("""() => document.querySelector('.ementor-block').insertAdjacentHTML(
        'beforeend', '<input type="text"><img src="data:,">')""")
    assert {v["id"] for v in axe_violations(page)} >= {"label", "image-alt"}


def test_the_course_team_edits_the_studio_settings_and_bad_values_are_refused(story, artifacts):
    page = story.open("sam", f"{LEARNER}studio_view/", timezone="UTC")
    editor = page.locator(".ementor-studio")
    editor.wait_for()
    assert page.get_by_label("Program title").input_value() == "Data Analysis buddies"
    assert_accessible(page, "Studio editor")
    page.get_by_label("Maximum mentees per mentor").fill("0")
    page.get_by_label("Minimum fit for a pairing (%)").fill("150")
    page.get_by_label("Joining opens (UTC)").fill("2026-12-10T09:00")
    page.get_by_label("Joining closes (UTC)").fill("2026-12-01T09:00")
    for factor in ("Skills", "Aspirations", "Course performance", "Language", "Availability"):
        page.get_by_label(factor, exact=True).fill("0")
    page.get_by_role("button", name="Save").click()
    page.locator('[data-error-for="max_mentor_capacity"]').wait_for(state="visible")
    for field in ("max_mentor_capacity", "min_score", "enrollment_closes", "weights"):
        assert page.locator(f'[data-error-for="{field}"]').is_visible(), field
    assert page.locator('[name="max_mentor_capacity"]').get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == "enrollment_closes"  # the first, in reading order
    assert page.locator(".ementor-form-errors li").count() == 4
    assert_accessible(page, "Studio editor with errors")
    shot(page, artifacts, "studio-errors", ".ementor-studio")
    assert api.get_program(story.key).max_mentor_capacity == 5  # nothing was saved

    page.get_by_label("Maximum mentees per mentor").fill("3")
    page.get_by_label("Minimum fit for a pairing (%)").fill("20")
    page.get_by_label("Joining closes (UTC)").fill("2027-01-31T18:00")
    page.get_by_label("Skills", exact=True).fill("50")
    page.get_by_label("Course performance", exact=True).fill("50")
    assert "50% of the fit" in page.locator('[data-share-for="skills"]').inner_text()
    page.get_by_label("Stable pairs").check()
    page.get_by_label("The course team approves pairings before learners see them").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved. The next matching run uses these settings.").wait_for()
    program = api.get_program(story.key)
    assert (program.max_mentor_capacity, program.min_score, program.strategy) == (3, 0.2, "stable")
    assert program.requires_approval and program.weights["skills"] == 50 and program.weights["language"] == 0
    shot(page, artifacts, "studio", ".ementor-studio")
    # The next run uses the new settings.
    assert api.request_run(story.staff.id, story.key).config["strategy"] == "stable"


def test_staff_approve_proposed_pairings_and_see_who_waits(story, artifacts):
    api.configure_program(story.staff.id, story.key, requires_approval=True)
    story.world.mentee("noa", key=story.key, skills_wanted=["Python"], languages=["en"], availability=[17, 18])
    story.world.run(story.staff, key=story.key)
    page = story.open("sam", STAFF)
    panel = page.locator(".ementor-panel-staff")
    assert "proposed pairing" in panel.inner_text()
    assert "Mentees without a mentor" in panel.inner_text()
    shot(page, artifacts, "staff-approvals")
    page.locator('input[name="match_ids"]').first.check()
    page.get_by_role("button", name="Approve selected").click()
    page.get_by_text(re.compile(r"^1 pairings approved")).wait_for()
    assert api.list_matches(story.staff.id, story.key, status="active")
    assert_accessible(page, "course-team panel with approvals")


def test_the_block_works_inside_an_iframe_like_the_learning_mfe(story, artifacts):
    page = story.open("lea", LEARNER)
    shell = f"{story.url}/learning-shell/"
    page.route(shell, lambda route: route.fulfill(
        content_type="text/html",
        body=f'<!doctype html><html lang="en"><head><title>Learning</title></head><body><main>'
             f'<iframe title="Mentoring unit" src="{story.url}{LEARNER}" style="width:375px;height:1400px;border:0">'
             f"</iframe></main></body></html>",
    ))
    page.goto(shell)
    frame = page.frame_locator("iframe")
    frame.locator(".ementor-block").wait_for()
    frame.get_by_label("Get a mentor").check()
    frame.get_by_role("button", name="Next").click()
    frame.get_by_text("Step 2 of 5").wait_for()
    inner = next(f for f in page.frames if f.url.startswith(f"{story.url}{LEARNER}"))
    assert inner.evaluate("() => document.querySelector('.ementor-block').scrollWidth <= 375")
    assert_accessible(inner, "joining form inside an iframe")
    page.locator("iframe").screenshot(path=str(artifacts / "ementor-iframe.png"))
    course_role = CourseAccessRole.objects.filter(course_id=CourseKey.from_string(story.key)).count()
    assert course_role == 1  # only sam is staff: the learner in the iframe stays a learner
