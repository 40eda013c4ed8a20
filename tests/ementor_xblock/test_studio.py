"""The Studio editor: bad values are refused with a message per field; saving updates the program."""

import pytest
from xblock.validation import Validation

from ementor_plugin import api

GOOD = {
    "display_name": "Mentoring", "title": "Study buddies", "pitch": "Join!", "benefits": "- Help\n- Friends",
    "outcomes": "Better grades", "skills": "Python\nStatistics\npython\n\nPlotting", "initial_panel": "auto",
    "enrollment_opens": "2026-01-01T09:00", "enrollment_closes": "2030-01-01T09:00",
    "mentor_grade_threshold": 85, "weak_area_threshold": "55", "default_mentor_capacity": 2,
    "max_mentor_capacity": 4, "strategy": "stable", "objective": "coverage", "min_score": 10,
    "language_required": True, "requires_approval": True, "schedule": "weekly",
    "weights": {"skills": 40, "aspirations": 10, "performance": 30, "language": 10, "availability": 10},
}


def submit(unit, user, **changes):
    return unit.call(user, "studio_submit", {"values": {**GOOD, **changes}})


def test_saving_updates_the_block_and_the_program_the_next_run_uses(world, unit):
    staff = world.staff()
    status, body = submit(unit, staff)
    assert status == 200 and body == {"saved": True, "synced": True}
    block = unit.block(staff)
    assert block.skills == ["Python", "Statistics", "Plotting"]
    assert block.mentor_grade_threshold == 0.85 and block.weak_area_threshold == 0.55
    program = api.get_program(unit.course_id)
    assert program.strategy == "stable" and program.objective == "coverage" and program.schedule == "weekly"
    assert program.requires_approval and program.language_required and program.min_score == 0.1
    assert program.max_mentor_capacity == 4 and program.enrollment_opens.isoformat() == "2026-01-01T09:00:00+00:00"
    assert program.weights["skills"] == 40
    run = api.request_run(staff.id, unit.course_id)
    assert run.config["strategy"] == "stable" and run.config["requires_approval"] is True


BAD = [
    ({"display_name": ""}, "display_name"),
    ({"title": "x" * 300}, "title"),
    ({"strategy": "bogus"}, "strategy"),
    ({"objective": "happiness"}, "objective"),
    ({"schedule": "hourly"}, "schedule"),
    ({"initial_panel": "admin"}, "initial_panel"),
    ({"mentor_grade_threshold": 150}, "mentor_grade_threshold"),
    ({"weak_area_threshold": "lots"}, "weak_area_threshold"),
    ({"min_score": -5}, "min_score"),
    ({"default_mentor_capacity": 0}, "default_mentor_capacity"),
    ({"max_mentor_capacity": 51}, "max_mentor_capacity"),
    ({"default_mentor_capacity": 5, "max_mentor_capacity": 3}, "default_mentor_capacity"),
    ({"enrollment_opens": "tomorrow"}, "enrollment_opens"),
    ({"enrollment_closes": "2025-01-01T09:00"}, "enrollment_closes"),
    ({"weights": {"skills": 0, "aspirations": 0, "performance": 0, "language": 0, "availability": 0}}, "weights"),
    ({"weights": {**GOOD["weights"], "skills": -1}}, "weight_skills"),
    ({"weights": {**GOOD["weights"], "charisma": 5}}, "weights"),
    ({"skills": "y" * 65}, "skills"),
    ({"language_required": "yes"}, "language_required"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_a_bad_value_is_refused_with_a_message_on_its_field_and_nothing_is_saved(world, unit, change, field):
    staff = world.staff()
    status, body = submit(unit, staff, **change)
    assert status == 400
    errors = body["error"]["field_errors"]
    assert field in errors and errors[field][0]
    assert unit.block(staff).title == "Find a mentor, or become one"  # the block is untouched
    assert api.get_viewer(staff.id, unit.course_id).program_exists is False  # and no program was made


def test_every_bad_field_is_reported_at_once(world, unit):
    status, body = submit(unit, world.staff(), strategy="bogus", min_score=500, schedule="never")
    assert status == 400
    assert set(body["error"]["field_errors"]) == {"strategy", "min_score", "schedule"}


def test_only_course_staff_can_save(world, unit):
    status, _body = submit(unit, world.learner())
    assert status == 403
    assert unit.block(world.learner()).title == "Find a mentor, or become one"


def test_the_api_refuses_what_only_it_knows_and_its_fields_come_back(world, unit, monkeypatch):
    from ementor_plugin import errors

    def refuse(*args, **kwargs):
        raise errors.ValidationError({"skills": ["Too many skills for this platform."]})

    monkeypatch.setattr(api, "configure_program", refuse)
    status, body = submit(unit, world.staff())
    assert status == 400 and body["error"]["field_errors"] == {"skills": ["Too many skills for this platform."]}


def test_the_editor_shows_the_programs_current_settings(world, unit):
    staff = world.staff()
    world.program(staff, title="Set elsewhere", weights={"skills": 1, "aspirations": 1, "performance": 2,
                                                         "language": 0, "availability": 0})
    html = unit.block(staff).studio_view().body_html()
    assert 'value="Set elsewhere"' in html
    assert 'name="weight_performance"' in html and 'value="50"' in html
    assert "xblock-actions" in html and "onclick" not in html


def test_validate_field_data_flags_values_studio_saved_without_checking(world, unit):
    block = unit.block(world.staff())
    block.strategy = "bogus"
    block.max_mentor_capacity = 0
    validation = block.validate()
    assert isinstance(validation, Validation) and not validation.empty
    texts = [message.text for message in validation.messages]
    assert any(text.startswith("Strategy:") for text in texts)
    assert any(text.startswith("Maximum mentees per mentor:") for text in texts)


def test_a_valid_block_validates_cleanly(world, unit):
    assert unit.block(world.staff()).validate().empty
