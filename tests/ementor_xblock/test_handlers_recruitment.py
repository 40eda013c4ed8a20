"""Joining through the XBlock: each step is checked before the next, the draft survives leaving, join works."""

import pytest

from ementor_plugin import api
from ementor_plugin.data import Role
from ementor_xblock import onboarding

PROFILE = {"skills_wanted": ["Python"], "aspirations": "Pass the labs", "experience_level": "beginner",
           "languages": ["en"], "other_languages": "", "share_performance": True}
WEEK = {"time_zone": "Europe/Paris", "availability": ["0-evening", "2-evening"]}
GOALS = {"goal_title_1": "Finish every lab", "goal_criteria_1": "All labs above 70%", "goal_key_1": ""}


def step(unit, user, name, values, intent="next"):
    return unit.call(user, "save_draft", {"step": name, "intent": intent, **values})


def join(unit, user, role="mentee", profile=None, week=None, goals=None):
    for name, values in (("role", {"role": role}), ("profile", profile or PROFILE), ("availability", week or WEEK),
                         ("goals", goals or GOALS)):
        status, body = step(unit, user, name, values)
        assert status == 200, body
    return unit.call(user, "join", {"step": "consent", "consent": True})


@pytest.fixture
def program(world):
    staff = world.staff()
    world.program(staff)
    return staff


def test_a_valid_step_moves_on_and_is_kept_in_the_learners_own_state(world, unit, program):
    lea, other = world.learner(), world.learner()
    status, body = step(unit, lea, "role", {"role": "mentee"})
    assert status == 200 and body == {"step": "profile"}
    assert unit.block(lea).draft == {"step": "profile", "values": {"role": "mentee"}}
    assert unit.block(other).draft == {}  # user_state: nobody else sees it


def test_an_invalid_step_is_refused_with_a_message_per_field_and_still_saved(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    status, body = step(unit, lea, "profile", {"aspirations": "Learn", "experience_level": "wizard", "languages": []})
    assert status == 400
    errors = body["error"]["field_errors"]
    assert set(errors) == {"experience_level", "languages"}
    assert body["error"]["step"] == "profile"
    draft = unit.block(lea).draft
    assert draft["step"] == "profile" and draft["values"]["aspirations"] == "Learn"  # nothing typed is lost


def test_a_learner_below_the_threshold_cannot_choose_to_mentor(world, unit, program):
    lea = world.learner(grade=0.55)
    status, body = step(unit, lea, "role", {"role": "mentor"})
    assert status == 400
    assert "80%" in body["error"]["field_errors"]["role"][0]


def test_an_eligible_learner_may_choose_both(world, unit, program):
    ace = world.learner(grade=0.92, areas={"Labs": 0.95})
    assert step(unit, ace, "role", {"role": "both"}) == (200, {"step": "profile"})


def test_back_and_autosave_do_not_check_the_step(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    assert step(unit, lea, "profile", {"aspirations": ""}, intent="stay") == (200, {"step": "profile"})
    assert step(unit, lea, "profile", {"aspirations": "half-written"}, intent="back") == (200, {"step": "role"})
    draft = unit.block(lea).draft
    assert draft == {"step": "role", "values": {"role": "mentee", "aspirations": "half-written"}}


def test_a_step_only_takes_its_own_fields(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee", "consent": True, "time_zone": "UTC"})
    assert unit.block(lea).draft["values"] == {"role": "mentee"}


def test_ticked_skills_must_come_from_the_programs_list(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    status, body = step(unit, lea, "profile", {**PROFILE, "skills_wanted": ["Knitting"], "aspirations": ""})
    assert status == 400 and "skills_wanted" in body["error"]["field_errors"]


def test_own_skills_are_typed_beside_the_programs_list(world, unit, program):
    lea = world.learner()
    join(unit, lea, profile={**PROFILE, "skills_wanted": ["Python"],
                             "other_skills_wanted": " Knitting,  public   speaking ; STATISTICS, python, knitting"})
    # A typed skill that is on the list takes its spelling; the learner's own skills are kept, once each.
    assert api.get_profile(lea.id, unit.course_id).skills_wanted == ("Python", "Knitting", "public speaking",
                                                                    "Statistics")


def test_own_skills_alone_are_enough_and_show_again_in_the_form(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    typed = {"skills_wanted": [], "other_skills_wanted": "Knitting", "aspirations": ""}
    assert step(unit, lea, "profile", {**PROFILE, **typed}, intent="stay") == (200, {"step": "profile"})
    assert unit.block(lea).draft["values"]["other_skills_wanted"] == "Knitting"  # the draft keeps the typed text
    html = unit.html(lea)
    assert 'name="other_skills_wanted"' in html and 'value="Knitting"' in html
    assert "Other skills (comma-separated)" in html
    assert step(unit, lea, "profile", {**PROFILE, **typed})[0] == 200


def test_problems_with_own_skills_are_reported_on_their_field(world, unit, program):
    ace = world.learner(grade=0.95)
    step(unit, ace, "role", {"role": "both"})
    too_long = {"other_skills_wanted": "x" * 65, "skills_offered": ["Python"],
                "other_skills_offered": ", ".join(f"skill {i}" for i in range(30)), "about": "TA"}
    status, body = step(unit, ace, "profile", {**PROFILE, **too_long})
    assert status == 400
    errors = body["error"]["field_errors"]
    assert set(errors) == {"other_skills_wanted", "other_skills_offered"}
    assert "64" in errors["other_skills_wanted"][0] and "30" in errors["other_skills_offered"][0]
    assert unit.block(ace).draft["values"]["other_skills_wanted"] == "x" * 65  # still saved as typed


def test_a_rejoining_learner_finds_own_skills_in_the_text_field(world, unit, program):
    lea = world.learner()
    join(unit, lea, profile={**PROFILE, "other_skills_wanted": "Knitting, plotting"})
    draft = onboarding.draft_from_profile(api.get_profile(lea.id, unit.course_id), api.get_program(unit.course_id))
    assert draft["skills_wanted"] == ["Python", "Plotting"] and draft["other_skills_wanted"] == "Knitting"


def test_skills_are_free_text_when_the_program_has_no_list(world, unit):
    staff = world.staff()
    world.program(staff, skills=[])
    lea = world.learner()
    join(unit, lea, profile={**PROFILE, "skills_wanted": "pandas, plotting"})
    assert api.get_profile(lea.id, unit.course_id).skills_wanted == ("pandas", "plotting")


def test_availability_needs_a_known_time_zone_and_a_tick(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    step(unit, lea, "profile", PROFILE)
    status, body = step(unit, lea, "availability", {"time_zone": "Mars/Olympus", "availability": []})
    assert status == 400
    assert set(body["error"]["field_errors"]) == {"time_zone", "availability"}
    status, body = step(unit, lea, "availability", {"time_zone": "UTC", "availability": ["9-dawn"]})
    assert status == 400 and "availability" in body["error"]["field_errors"]


def test_a_mentor_gives_a_capacity_within_the_programs_maximum(world, unit, program):
    ace = world.learner(grade=0.95)
    step(unit, ace, "role", {"role": "mentor"})
    step(unit, ace, "profile", {**PROFILE, "skills_offered": ["Python"], "about": "TA last year"})
    status, body = step(unit, ace, "availability", {**WEEK, "capacity": 99})
    assert status == 400 and "capacity" in body["error"]["field_errors"]
    assert step(unit, ace, "availability", {**WEEK, "capacity": 3})[0] == 200


def test_goals_need_at_least_one_title(world, unit, program):
    lea = world.learner()
    status, body = step(unit, lea, "goals", {"goal_title_1": "", "goal_criteria_2": "without a title"})
    assert status == 400
    assert set(body["error"]["field_errors"]) == {"goal_title_1", "goal_title_2"}


def test_joining_creates_the_participant_with_utc_hours_and_the_first_goals(world, unit, program):
    lea = world.learner()
    status, body = join(unit, lea)
    assert status == 200 and body["joined"] is True and body["panel"] == "match"
    profile = api.get_profile(lea.id, unit.course_id)
    assert profile.role == Role.MENTEE and profile.time_zone == "Europe/Paris"
    assert profile.skills_wanted == ("Python",) and profile.languages == ("en",)
    assert len(profile.availability) == 12  # two evenings of six hours, stored in UTC
    assert [goal.title for goal in api.list_goals(lea.id, unit.course_id)] == ["Finish every lab"]
    assert unit.block(lea).draft == {}


def test_joining_without_consent_goes_back_to_the_consent_step(world, unit, program):
    lea = world.learner()
    join(unit, lea)  # a first learner joins fine
    other = world.learner()
    for name, values in (("role", {"role": "mentee"}), ("profile", PROFILE), ("availability", WEEK),
                         ("goals", GOALS)):
        step(unit, other, name, values)
    status, body = unit.call(other, "join", {"step": "consent", "consent": False})
    assert status == 400
    assert body["error"]["step"] == "consent" and "consent" in body["error"]["field_errors"]
    assert api.get_viewer(other.id, unit.course_id).participant is None


def test_joining_with_an_incomplete_draft_names_the_step_to_fix(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    status, body = unit.call(lea, "join", {"step": "consent", "consent": True})
    assert status == 400
    assert body["error"]["step"] == "profile"
    assert unit.block(lea).draft["step"] == "profile"


def test_a_forged_user_id_in_the_payload_is_ignored(world, unit, program):
    lea, victim = world.learner("lea"), world.learner("victim")
    for name, values in (("role", {"role": "mentee"}), ("profile", PROFILE), ("availability", WEEK),
                         ("goals", GOALS)):
        assert unit.call(lea, "save_draft", {"step": name, "intent": "next", "user_id": victim.id, **values})[0] == 200
    status, _body = unit.call(lea, "join", {"step": "consent", "consent": True, "user_id": victim.id})
    assert status == 200
    assert api.get_viewer(lea.id, unit.course_id).participant is not None
    assert api.get_viewer(victim.id, unit.course_id).participant is None


def test_a_learner_not_enrolled_cannot_start(world, unit, program):
    stranger = world.user()
    status, body = step(unit, stranger, "role", {"role": "mentee"})
    assert status == 403 and body["error"]["code"] == "not_enrolled"


def test_no_program_means_nothing_to_join(world, unit):
    lea = world.learner()
    status, _body = step(unit, lea, "role", {"role": "mentee"})
    assert status == 404


def test_a_closed_program_refuses_new_participants(world, unit):
    from datetime import UTC, datetime, timedelta

    staff = world.staff()
    world.program(staff, enrollment_closes=datetime.now(UTC) - timedelta(days=1),
                  enrollment_opens=datetime.now(UTC) - timedelta(days=9))
    status, body = step(unit, world.learner(), "role", {"role": "mentee"})
    assert status == 409 and body["error"]["code"] == "enrollment_closed"


def test_joining_twice_is_a_conflict(world, unit, program):
    lea = world.learner()
    join(unit, lea)
    status, body = step(unit, lea, "role", {"role": "mentee"})
    assert status == 409 and body["error"]["code"] == "already_joined"


def test_an_unknown_step_or_intent_is_refused(world, unit, program):
    lea = world.learner()
    assert unit.call(lea, "save_draft", {"step": "payment", "intent": "next"})[0] == 400
    assert unit.call(lea, "save_draft", {"step": "role", "intent": "skip"})[0] == 400


def test_oversized_draft_values_are_trimmed_not_stored_whole(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    step(unit, lea, "profile", {"aspirations": "x" * 100000, "languages": ["en"] * 1000}, intent="stay")
    values = unit.block(lea).draft["values"]
    assert len(values["aspirations"]) == 6000 and len(values["languages"]) == 100


def test_a_changed_privacy_notice_is_shown_and_accepted_again(world, unit, program, settings):
    mia = world.mentee("mia")
    assert "Please read the updated privacy notice" not in unit.html(mia)
    settings.EMENTOR_PRIVACY_NOTICE_VERSION = "2027-01"
    html = unit.html(mia)
    assert "Please read the updated privacy notice" in html and "Version 2027-01" in html
    status, body = unit.call(mia, "accept_notice", {"consent": False})
    assert status == 400 and "consent" in body["error"]["field_errors"]
    status, body = unit.call(mia, "accept_notice", {"consent": True, "user_id": 1})
    assert status == 200
    assert api.get_viewer(mia.id, unit.course_id).consent_current
    assert "Please read the updated privacy notice" not in unit.html(mia)
    assert unit.call(world.learner(), "accept_notice", {"consent": True})[0] == 404


def test_a_late_autosave_of_an_earlier_step_does_not_move_the_form_back(world, unit, program):
    lea = world.learner()
    step(unit, lea, "role", {"role": "mentee"})
    step(unit, lea, "profile", PROFILE)  # now at "availability"
    assert step(unit, lea, "profile", {"aspirations": "typed just before Next"}, intent="stay") == \
        (200, {"step": "availability"})
    draft = unit.block(lea).draft
    assert draft["step"] == "availability" and draft["values"]["aspirations"] == PROFILE["aspirations"]
