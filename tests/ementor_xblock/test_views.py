"""What each person sees: the panels for visitors, learners, mentees, mentors and staff; escaping; translation."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.utils import translation

from ementor_plugin import api


class TextNodes(HTMLParser):
    """Collects visible text and the attributes screen readers read, with the tag each sits in."""

    SPOKEN_ATTRIBUTES = ("aria-label", "aria-valuetext", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.texts = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        for name, value in attrs:
            if name in self.SPOKEN_ATTRIBUTES and value:
                self.texts.append(value)
        if tag in ("input", "br", "meta", "link"):
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("script", "style", "option", "textarea"):
            return
        if data.strip():
            self.texts.append(data.strip())


def texts(html):
    parser = TextNodes()
    parser.feed(html)
    return parser.texts


@pytest.fixture
def course(world):
    staff = world.staff("sam")
    world.program(staff, pitch="Learn together.", benefits="- A partner\n- Weekly talks", outcomes="Better labs")
    return staff


def test_a_visitor_is_asked_to_sign_in(world, unit, course):
    html = unit.html()
    assert "Sign in to join the mentoring program." in html
    assert "Join the program" not in html


def test_without_a_program_learners_are_told_and_staff_are_offered_to_create_it(world, unit):
    staff = world.staff()
    assert "has not opened the mentoring program yet" in unit.html(world.learner())
    html = unit.html(staff)
    assert "Create the program" in html and 'data-handler="setup_program"' in html


def test_a_learner_not_enrolled_is_told_to_enroll(world, unit, course):
    assert "Enroll in the course to join" in unit.html(world.user())


def test_a_learner_who_can_join_sees_the_invitation_figures_and_the_first_step(world, unit, course):
    world.mentee("mia")
    html = unit.html(world.learner("lea", grade=0.55, areas={"Labs": 0.45}))
    assert "Learn together." in html and "<li>A partner</li>" in html and "Better labs" in html
    assert "A mentor can help with Labs, where you are at 45%." in html
    assert re.search(r'<dd class="ementor-figure-value">1</dd>', html)  # one participant so far
    assert "Step 1 of 5" in html and 'name="role"' in html
    assert re.search(r'value="mentor"[^>]*disabled', html)  # 55% is below the 80% threshold


def test_a_strong_learner_is_invited_to_mentor(world, unit, course):
    html = unit.html(world.learner("ace", grade=0.91, areas={"Labs": 0.95}))
    assert "Your course grade of 91% qualifies you to mentor other learners." in html
    assert not re.search(r'value="mentor"[^>]*disabled', html)


def test_the_wizard_opens_at_the_saved_step_with_the_saved_values(world, unit, course):
    lea = world.learner()
    unit.call(lea, "save_draft", {"step": "role", "intent": "next", "role": "mentee"})
    unit.call(lea, "save_draft", {"step": "profile", "intent": "stay", "aspirations": "Master <b>pandas</b>"})
    html = unit.html(lea)
    assert "Step 2 of 5" in html and "Your answers are saved as you go" in html
    assert "Master &lt;b&gt;pandas&lt;/b&gt;" in html  # escaped, never markup


def test_the_goal_step_offers_ideas_from_the_learners_results(world, unit, course):
    lea = world.learner(grade=0.5, areas={"Labs": 0.3})
    unit.block(lea).draft = {}
    block = unit.block(lea)
    block.draft = {"step": "goals", "values": {"role": "mentee", "experience_level": "beginner"}}
    block.save()
    html = unit.html(lea)
    assert "Raise my Labs score" in html and "data-use-idea" in html


def test_the_availability_step_lists_time_zones_and_a_week_grid(world, unit, course):
    lea = world.learner()
    block = unit.block(lea)
    block.draft = {"step": "availability", "values": {"role": "mentee", "time_zone": "Asia/Tokyo",
                                                      "availability": ["1-morning"]}}
    block.save()
    html = unit.html(lea)
    assert '<option value="Asia/Tokyo" selected>' in html
    assert re.search(r'value="1-morning"[^>]*checked', html)
    assert html.count('name="availability"') == 28


def test_a_mentee_waiting_for_a_match_sees_when_and_how_matching_works(world, unit, course):
    html = unit.html(world.mentee("mia"))
    assert "You are not paired with a mentor yet" in html
    assert "The course team starts matching runs." in html
    assert "How matching works in this course" in html and "Skills" in html and "30%" in html


def test_a_scheduled_program_says_when_the_next_run_is(world, unit):
    staff = world.staff()
    world.program(staff, schedule="weekly")
    html = unit.html(world.mentee())
    assert "The next matching run is due on" in html


def test_after_a_run_the_mentee_sees_the_mentor_the_evidence_and_can_answer(world, unit, course):
    mia = world.mentee("mia")
    world.mentor("max")
    world.run(course)
    html = unit.html(mia)
    assert "Your mentor: max" in html
    assert "Course grade" in html and "93%" in html and "verified" in html
    assert "Why you were paired" in html and "Overall fit:" in html
    assert "Your mentor offers skills you asked for: Python." in html
    assert "You both speak English." in html
    assert "Labs: you 45%, your partner 95%" in html
    assert 'data-handler="respond"' in html and 'name="reason_code"' in html


def test_a_mentor_sees_each_mentee(world, unit, course):
    max_ = world.mentor("max", capacity=2)
    world.mentee("mia")
    world.mentee("noa")
    world.run(course)
    html = unit.html(max_)
    assert "Your mentee: mia" in html and "Your mentee: noa" in html
    assert "You offer skills your mentee asked for: Python." in html


def test_partners_goals_appear_side_by_side_with_their_alignment(world, unit, course):
    mia = world.mentee("mia")
    max_ = world.mentor("max")
    world.run(course)
    api.create_goal(mia.id, unit.course_id, title="Improve my lab reports")
    api.create_goal(max_.id, unit.course_id, title="Help with lab reports every week")
    html = unit.html(mia)
    assert "You and your mentor max" in html and "max's goals" in html
    assert "Help with lab reports every week" in html
    assert "Shared themes:" in html and "report" in html


def test_learner_text_is_escaped_everywhere_it_appears(world, unit, course):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    mia = world.mentee("mia", aspirations=attack)
    max_ = world.mentor("max", about=attack)
    world.run(course)
    api.create_goal(mia.id, unit.course_id, title=attack, success_criteria=attack)
    for viewer in (mia, max_):
        html = unit.html(viewer)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_staff_see_the_course_team_tab_and_learners_do_not(world, unit, course):
    lea = world.mentee("mia")
    assert 'data-panel="staff"' not in unit.html(lea)
    html = unit.html(course)
    assert 'data-panel="staff"' in html and "Start a matching run" in html


def test_staff_panel_lists_proposed_pairings_and_waiting_mentees_with_reasons(world, unit):
    staff = world.staff()
    world.program(staff, requires_approval=True)
    world.mentee("mia")
    world.mentee("noa")
    world.mentor("max", capacity=1)
    world.run(staff)
    world.mentee("late")
    html = unit.html(staff)
    assert "1 proposed pairing" in html and 'name="match_ids"' in html
    assert "Joined after the last run" in html  # "late"
    assert "Every suitable mentor was full" in html or "See the last run" in html


def test_tabs_follow_the_aria_pattern_and_the_author_picks_the_first(world, unit, course):
    mia = world.mentee("mia")
    html = unit.html(mia)
    assert html.count('role="tab"') == 3 and html.count('role="tabpanel"') == 3
    assert re.search(r'data-panel="match"\s+aria-selected="true"', html)
    unit.settings = {"initial_panel": "goals"}
    assert re.search(r'data-panel="goals"\s+aria-selected="true"', unit.html(mia))


def test_no_inline_event_handlers_or_inline_scripts(world, unit, course):
    mia = world.mentee("mia")
    world.mentor("max")
    world.run(course)
    for html in (unit.html(mia), unit.html(course), unit.block(course).studio_view().body_html()):
        assert not re.search(r"\son[a-z]+\s*=", html)
        assert "<script" not in html.replace("&lt;script", "")


def test_ids_are_unique_within_a_view(world, unit, course):
    mia = world.mentee("mia")
    world.mentor("max")
    world.run(course)
    api.create_goal(mia.id, unit.course_id, title="One")
    api.create_goal(mia.id, unit.course_id, title="Two")
    for html in (unit.html(mia), unit.html(course)):
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids))


def test_every_string_is_translated_in_the_pseudo_locale(world, make_unit, course):
    """Under "eo", every string the panels show comes out accented; untranslated text would stay plain."""
    eo_unit = make_unit(language="eo")
    mia = world.mentee("mia")
    world.mentor("max")
    world.run(course)
    api.create_goal(mia.id, eo_unit.course_id, title="Goal one")
    data = {"mia", "max", "sam", "Python", "English", "UTC", "Peer mentoring", "Learn together.", "A partner",
            "Weekly talks", "Better labs", "Goal one", "I want to get better at data labs",
            "I enjoy data labs and teaching", "Labs", "Homework", "eMentor", "data", "labs", "·", "—", ":",
            "Statistics", "Plotting", "Python, Statistics, Plotting"}
    with translation.override("eo"):
        pages = [eo_unit.block(user, language="eo").student_view() for user in (mia, course)]
        pages.append(eo_unit.block(world.learner(), language="eo").student_view())
        pages.append(eo_unit.block(course, language="eo").studio_view())
    untranslated = []
    for fragment in pages:
        for node in texts(fragment.body_html()):
            text = node.lstrip(": ")  # visually hidden ": <goal title>" after a button's label
            if text in data or not re.search(r"[A-Za-z]{3,}", text) or re.search(r"\b20\d\d\b", text):
                continue  # learner or author data, numbers, and dates (formatted by Django in the locale)
            if not re.search(r"[àáâäåèéêëìíîïòóôöùúûüýÿßçñ]|Ⱡ", text):
                untranslated.append(text)
        strings = json.loads(fragment.json_init_args) if isinstance(fragment.json_init_args, str) else \
            fragment.json_init_args
        for value in (strings or {}).get("strings", {}).values():  # what the JavaScript shows
            if not re.search(r"Ⱡ|[éöüäï]", value):
                untranslated.append(value)
    assert untranslated == [], "\n".join(untranslated)
