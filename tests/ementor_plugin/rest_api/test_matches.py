"""``matches/me/`` and ``matches/{id}/response/`` for participants; ``matches/`` and ``matches/{id}/`` for staff."""

import pytest

from ementor_plugin import api

from ..conftest import COURSE, OTHER_COURSE
from .conftest import url


def test_a_learner_reads_the_partner_explanation_goals_and_alignment(scene):
    match = scene.client("learner").get(url("my-matches")).json()["results"][0]
    assert match["status"] == "active" and match["my_role"] == "mentee"
    partner = match["partner"]
    assert partner["username"] == "partner" and partner["role"] == "mentor"
    assert partner["about"] == "Analyst, ten years"
    assert partner["skills"] == ["python", "pandas"]
    assert partner["overlapping_hours"] == [21, 22]
    assert {q["kind"] for q in partner["qualifications"]} == {"course_grade", "certificate"}
    assert all(q["verified"] for q in partner["qualifications"])

    explanation = match["explanation"]
    assert explanation["available"] is True and explanation["origin"] == "staff"
    assert {f["factor"] for f in explanation["factors"]} >= {"skills", "language"}
    assert sum(f["contribution"] for f in explanation["factors"]) == pytest.approx(explanation["score"], abs=1e-6)
    assert "python" in explanation["evidence"]["shared_skills"]

    assert [g["title"] for g in match["partner_goals"]] == ["Help with python labs"]
    assert "updates" not in match["partner_goals"][0]
    assert "python" in match["goal_alignment"]["shared_themes"]


def test_the_mentor_sees_the_mentee_without_a_grade_as_qualification(scene):
    match = scene.client("partner").get(url("my-matches")).json()["results"][0]
    assert match["my_role"] == "mentor"
    assert match["partner"]["about"] == "I study at night"
    assert match["partner"]["qualifications"] == []


def test_nobody_else_reads_private_text(scene):
    for role in ("other", "staff", "admin"):
        for path in (url("my-matches"), url("participants"), url("matches")):
            assert b"I study at night" not in scene.client(role).get(path).content
    staff_list = scene.client("staff").get(url("matches")).json()["results"]
    assert b"Private words of other" not in scene.client("learner").get(url("my-matches")).content
    assert set(staff_list[0]) >= {"mentee_username", "mentor_username", "score"} and "explanation" not in staff_list[0]


def test_declining_frees_the_slot_and_tells_the_partner(scene):
    learner, partner = scene.client("learner"), scene.client("partner")
    response = learner.post(url("match-response", match_id=scene.match_id),
                            {"decision": "decline", "reason": "Our hours do not fit"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "declined" and body["my_response"] == "declined"
    assert body["partner"]["about"] == "" and body["partner_goals"] == [] and body["goal_alignment"] is None

    seen = partner.get(url("my-matches")).json()["results"][0]
    assert seen["status"] == "declined" and seen["partner_response"] == "declined"
    assert b"Our hours do not fit" not in partner.get(url("my-matches")).content
    assert api.get_program_figures(COURSE).waiting_mentees == 2

    again = learner.post(url("match-response", match_id=scene.match_id), {"decision": "accept"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "not_active"


def test_accepting_records_the_answer(scene):
    body = scene.client("partner").post(url("match-response", match_id=scene.match_id), {"decision": "accept"},
                                        format="json").json()
    assert body["status"] == "active" and body["my_response"] == "accepted" and body["partner_response"] == "pending"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "decision"),
    ({"decision": "maybe"}, "decision"),
    ({"decision": "decline", "reason": "x" * 5001}, "reason"),
])
def test_invalid_responses_name_the_field(scene, body, field):
    response = scene.client("learner").post(url("match-response", match_id=scene.match_id), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["field_errors"]


def test_a_match_is_answered_only_through_its_own_course(scene, world):
    world.course(OTHER_COURSE)
    response = scene.client("learner").post(url("match-response", OTHER_COURSE, match_id=scene.match_id),
                                            {"decision": "accept"}, format="json")
    assert response.status_code == 404


def test_staff_list_matches_with_a_status_filter(scene):
    client = scene.client("staff")
    assert [m["id"] for m in client.get(url("matches"), {"status": "active"}).json()["results"]] == [scene.match_id]
    assert client.get(url("matches"), {"status": "ended"}).json()["count"] == 0
    assert "status" in client.get(url("matches"), {"status": "lost"}).json()["field_errors"]


def test_staff_end_a_match(scene):
    response = scene.client("staff").patch(url("match", match_id=scene.match_id), {"action": "end", "reason": "moved"},
                                           format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ended" and response.json()["end_reason"] == "moved"
    again = scene.client("staff").patch(url("match", match_id=scene.match_id), {"action": "end"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_open"


def test_staff_reassign_a_mentee(scene, world):
    new_mentor = world.mentor()
    response = scene.client("staff").patch(url("match", match_id=scene.match_id),
                                           {"action": "reassign", "mentor_user_id": new_mentor.id}, format="json")
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["id"] != scene.match_id and new["mentor_user_id"] == new_mentor.id and new["status"] == "active"
    statuses = {m["id"]: m["status"] for m in scene.client("staff").get(url("matches")).json()["results"]}
    assert statuses == {scene.match_id: "ended", new["id"]: "active"}


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"action": "reassign"}, 400, "mentor_user_id"),
    ({"action": "reassign", "mentor_user_id": 0}, 400, "mentor_user_id"),
    ({"action": "teleport"}, 400, "action"),
    ({"action": "end", "reason": "not a code!"}, 400, "reason"),
    ({"action": "approve"}, 409, None),
])
def test_invalid_staff_actions(scene, body, status, field):
    response = scene.client("staff").patch(url("match", match_id=scene.match_id), body, format="json")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["field_errors"]
    else:
        assert response.json()["code"] == "not_proposed"


def test_reassigning_to_someone_who_does_not_mentor_is_invalid(scene):
    response = scene.client("staff").patch(url("match", match_id=scene.match_id),
                                           {"action": "reassign", "mentor_user_id": scene.user("other").id},
                                           format="json")
    assert response.status_code == 400
    assert "mentor_user_id" in response.json()["field_errors"]


def test_staff_approve_a_proposed_match(scene, world):
    api.execute_run(scene.run_id)  # the queued run took its configuration before approval was required
    api.configure_program(scene.user("staff").id, COURSE, requires_approval=True)
    mentee, mentor = world.mentee(), world.mentor()
    run = api.request_run(scene.user("staff").id, COURSE)
    api.execute_run(run.id)
    proposed = scene.client("staff").get(url("matches"), {"status": "proposed"}).json()["results"]
    assert [(m["mentee_user_id"], m["mentor_user_id"]) for m in proposed] == [(mentee.id, mentor.id)]
    response = scene.client("staff").patch(url("match", match_id=proposed[0]["id"]), {"action": "approve"},
                                           format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_a_match_of_another_course_is_not_found_for_staff_of_both(scene, world):
    world.program(OTHER_COURSE)
    mentee, mentor = world.mentee(key=OTHER_COURSE), world.mentor(key=OTHER_COURSE)
    admin = scene.user("admin")
    elsewhere = api.create_match(admin.id, OTHER_COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    response = scene.client("admin").patch(url("match", match_id=elsewhere.id), {"action": "end"}, format="json")
    assert response.status_code == 404
    staff = scene.client("staff")  # staff of this course only: another course's id is just as unknown
    assert staff.patch(url("match", match_id=elsewhere.id), {"action": "end"}, format="json").status_code == 404
    assert api.get_match(admin.id, elsewhere.id).status == "active"
