"""Pairing handlers: accept or decline (with a reason), pause, resume, leave, and read notices."""

import pytest

from ementor_plugin import api


@pytest.fixture
def pair(world):
    staff = world.staff()
    world.program(staff)
    mia, max_ = world.mentee("mia"), world.mentor("max")
    world.run(staff)
    match = api.list_my_matches(mia.id, "course-v1:eMentorX+XB101+2026")[0]
    return staff, mia, max_, match


def test_accept(world, unit, pair):
    _staff, mia, max_, match = pair
    status, body = unit.call(mia, "respond", {"match_id": match.id, "accept": True})
    assert status == 200 and body["message"] == "You accepted the pairing."
    assert api.get_my_match(mia.id, match.id).my_response == "accepted"
    assert api.get_my_match(max_.id, match.id).partner_response == "accepted"


def test_decline_needs_a_reason_code_and_ends_the_pairing(world, unit, pair):
    staff, mia, _max, match = pair
    status, body = unit.call(mia, "respond", {"match_id": match.id, "accept": False})
    assert status == 400 and "reason_code" in body["error"]["field_errors"]
    assert api.get_my_match(mia.id, match.id).status == "active"
    status, body = unit.call(mia, "respond", {"match_id": match.id, "accept": False, "reason_code": "schedule",
                                              "reason": "We never overlap"})
    assert status == 200
    assert api.get_my_match(mia.id, match.id).status == "declined"
    summary = next(m for m in api.list_matches(staff.id, unit.course_id) if m.id == match.id)
    assert summary.mentee_response == "declined"
    status, body = unit.call(mia, "respond", {"match_id": match.id, "accept": True})
    assert status == 409 and body["error"]["code"] == "not_active"


@pytest.mark.parametrize("payload", [
    {"accept": True},
    {"match_id": "abc", "accept": True},
    {"match_id": 1, "accept": "yes"},
    {"match_id": 1, "accept": False, "reason_code": "bored"},
    {"match_id": 1, "accept": False, "reason_code": "other", "reason": "x" * 2001},
])
def test_respond_refuses_bad_input(world, unit, pair, payload):
    _staff, mia, _max, _match = pair
    assert unit.call(mia, "respond", payload)[0] == 400


def test_nobody_answers_for_someone_else_even_naming_them(world, unit, pair):
    _staff, _mia, max_, match = pair
    outsider = world.mentee("oli")
    status, _body = unit.call(outsider, "respond", {"match_id": match.id, "accept": False, "reason_code": "other",
                                                    "user_id": max_.id})
    assert status == 404
    assert api.get_my_match(max_.id, match.id).status == "active"


def test_pause_resume_and_withdraw(world, unit, pair):
    _staff, mia, max_, match = pair
    assert unit.call(mia, "participation", {"action": "pause"})[1]["status"] == "paused"
    assert api.get_profile(mia.id, unit.course_id).status == "paused"
    assert unit.call(mia, "participation", {"action": "resume"})[1]["status"] == "active"
    status, body = unit.call(mia, "participation", {"action": "withdraw"})
    assert status == 200 and body["panel"] == "recruitment"
    assert api.get_profile(mia.id, unit.course_id).status == "withdrawn"
    assert api.get_my_match(max_.id, match.id).status == "ended"  # the partner's pairing ended too
    status, body = unit.call(mia, "participation", {"action": "pause"})
    assert status == 409 and body["error"]["code"] == "withdrawn"


def test_participation_refuses_unknown_actions_and_outsiders(world, unit, pair):
    _staff, mia, _max, _match = pair
    assert unit.call(mia, "participation", {"action": "delete_everyone"})[0] == 400
    assert unit.call(world.learner(), "participation", {"action": "pause"})[0] == 404


def test_dismiss_notices_marks_only_the_callers_notices(world, unit, pair):
    _staff, mia, max_, _match = pair
    mine = [n.id for n in api.list_notices(mia.id, unit.course_id, unread_only=True)]
    theirs = [n.id for n in api.list_notices(max_.id, unit.course_id, unread_only=True)]
    assert mine and theirs
    status, body = unit.call(mia, "dismiss_notices", {"notice_ids": mine + theirs, "user_id": max_.id})
    assert status == 200 and body["read"] == len(mine)
    assert api.list_notices(mia.id, unit.course_id, unread_only=True) == []
    assert len(api.list_notices(max_.id, unit.course_id, unread_only=True)) == len(theirs)


def test_dismiss_notices_refuses_a_bad_list(world, unit, pair):
    _staff, mia, _max, _match = pair
    assert unit.call(mia, "dismiss_notices", {"notice_ids": ["one"]})[0] == 400
    assert unit.call(mia, "dismiss_notices", {"notice_ids": []})[0] == 400
