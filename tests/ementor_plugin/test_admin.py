"""The Django admin: every model listed, course filters, search, audited private text, staff actions."""

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from ementor_plugin import api
from ementor_plugin.models import (
    AuditEvent,
    CoursePerformance,
    Goal,
    GoalUpdate,
    Match,
    MatchRun,
    Notice,
    Participant,
    Program,
)

from .conftest import COURSE, OTHER_COURSE

MODELS = (Program, Participant, Goal, GoalUpdate, Match, MatchRun, CoursePerformance, Notice, AuditEvent)


@pytest.fixture
def scene(world, fake_engine, no_enqueue, admin_user):
    world.program()
    world.program(OTHER_COURSE)
    mentee = world.mentee("mina", aspirations="Secret plan to become a pilot", about="Quiet person")
    mentor = world.mentor("mark")
    goal = api.create_goal(mentee.id, COURSE, title="Private goal title")
    api.add_goal_progress(mentee.id, goal.id, progress=10, note="Private note")
    match = api.create_match(admin_user.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    api.record_course_grade(mentee.id, COURSE, 0.4, source="csv")
    api.request_run(admin_user.id, COURSE)
    return mentee, mentor, match


def _changelist(model):
    return reverse(f"admin:ementor_plugin_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_lists_filters_and_searches(admin_client, scene, model):
    response = admin_client.get(_changelist(model))
    assert response.status_code == 200
    assert admin_client.get(_changelist(model), {"q": "mina"}).status_code == 200
    if model not in (Program, CoursePerformance):
        filtered = admin_client.get(_changelist(model), {"course": str(OTHER_COURSE)})
        assert filtered.status_code == 200
        assert filtered.context["cl"].result_count == 0
    body = response.content.decode()
    for secret in ("Secret plan", "Private goal title", "Private note", "Quiet person"):
        assert secret not in body


def test_search_by_username_and_email(admin_client, scene):
    response = admin_client.get(_changelist(Participant), {"q": "mina@example.org"})
    assert response.context["cl"].result_count == 1
    response = admin_client.get(_changelist(Match), {"q": "mark"})
    assert response.context["cl"].result_count == 1


def test_private_text_needs_its_own_page_which_is_audited(admin_client, admin_user, scene):
    mentee = scene[0]
    participant = Participant.objects.get(user=mentee)
    change = admin_client.get(reverse("admin:ementor_plugin_participant_change", args=[participant.pk]))
    assert change.status_code == 200 and "Secret plan" not in change.content.decode()
    assert not AuditEvent.objects.filter(action="view_private_profile").exists()
    private = admin_client.get(reverse("admin:ementor_plugin_participant_private", args=[participant.pk]))
    body = private.content.decode()
    assert private.status_code == 200
    assert "Secret plan to become a pilot" in body and "Private goal title" in body and "Private note" in body
    event = AuditEvent.objects.get(action="view_private_profile")
    assert (event.actor_id, event.subject_user_id) == (admin_user.id, mentee.id)
    missing = admin_client.get(reverse("admin:ementor_plugin_participant_private", args=[999999]))
    assert missing.status_code == 404


def test_records_cannot_be_added_changed_or_deleted_here(admin_client, scene):
    match = scene[2]
    event = AuditEvent.objects.first()
    assert admin_client.get(reverse("admin:ementor_plugin_auditevent_add")).status_code == 403
    assert admin_client.get(reverse("admin:ementor_plugin_auditevent_delete", args=[event.pk])).status_code == 403
    assert admin_client.post(reverse("admin:ementor_plugin_match_change", args=[match.id]),
                             {"status": "ended"}).status_code == 403
    assert Match.objects.get(pk=match.id).status == "active"


def _act(client, model, action, ids):
    return client.post(_changelist(model), {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids]},
                       follow=True)


def test_program_actions(admin_client, scene, no_enqueue):
    program = Program.objects.get(course_key=COURSE)
    MatchRun.objects.update(status="succeeded", open_key=None)
    response = _act(admin_client, Program, "run_matching", [program.pk])
    assert response.status_code == 200
    assert MatchRun.objects.filter(status="queued").count() == 1
    assert _act(admin_client, Program, "approve_proposed", [program.pk]).status_code == 200
    export = admin_client.post(_changelist(Program), {"action": "export_matches", ACTION_CHECKBOX_NAME: [program.pk]})
    assert export["Content-Type"].startswith("text/csv")
    assert "ementor-matches-course-v1_eMentorX_T101_2026.csv" in export["Content-Disposition"]
    assert "mina" in export.content.decode()
    assert AuditEvent.objects.filter(action="export_matches").exists()
    both = [p.pk for p in Program.objects.all()]
    refused = _act(admin_client, Program, "export_matches", both)
    assert "exactly one" in refused.content.decode()


def test_match_actions(admin_client, scene):
    match = scene[2]
    refused = _act(admin_client, Match, "approve_selected", [match.id])  # not proposed: reported, unchanged
    assert "not awaiting approval" in refused.content.decode()
    _act(admin_client, Match, "end_selected", [match.id])
    assert Match.objects.get(pk=match.id).status == "ended"
    assert AuditEvent.objects.filter(action="end_match", target_id=match.id).exists()


def test_run_again_action(admin_client, scene):
    run = MatchRun.objects.get()
    MatchRun.objects.update(status="failed", open_key=None)
    _act(admin_client, MatchRun, "run_again", [run.pk])
    assert MatchRun.objects.filter(status="queued").count() == 1
    detail = admin_client.get(reverse("admin:ementor_plugin_matchrun_change", args=[run.pk]))
    assert detail.status_code == 200


def test_program_admin_creates_and_validates_through_the_api(admin_client, world, admin_user):
    key = "course-v1:eMentorX+NEW+2026"
    world.course(api._course_key(key))
    form = {
        "course_key": key, "title": "New program", "pitch": "", "benefits": "", "outcomes": "",
        "strategy": "optimal", "objective": "score", "weights": json.dumps({"skills": 1}), "min_score": "0",
        "default_mentor_capacity": "2", "max_mentor_capacity": "3", "mentor_grade_threshold": "0.8",
        "weak_area_threshold": "0.6", "schedule": "manual", "skills": json.dumps(["Python"]),
    }
    bad = admin_client.post(reverse("admin:ementor_plugin_program_add"), {**form, "weights": json.dumps({"x": 1})})
    assert bad.status_code == 200 and "is not a factor" in bad.content.decode()
    capacity = admin_client.post(reverse("admin:ementor_plugin_program_add"), {**form, "default_mentor_capacity": "9"})
    assert "cannot exceed" in capacity.content.decode()
    unknown = admin_client.post(reverse("admin:ementor_plugin_program_add"),
                                {**form, "course_key": "course-v1:Nobody+X+1"})
    assert "does not exist" in unknown.content.decode()
    created = admin_client.post(reverse("admin:ementor_plugin_program_add"), form)
    assert created.status_code == 302
    program = Program.objects.get(course_key=key)
    assert program.title == "New program" and program.weights["skills"] == 1.0
    event = AuditEvent.objects.get(action="configure_program")
    assert event.actor_id == admin_user.id and event.details["created"] is True
    changed = admin_client.post(reverse("admin:ementor_plugin_program_change", args=[program.pk]),
                                {**form, "title": "Renamed"})
    assert changed.status_code == 302
    assert Program.objects.get(pk=program.pk).title == "Renamed"
    assert AuditEvent.objects.filter(action="configure_program").count() == 2
