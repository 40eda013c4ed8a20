"""The platform's retirement signal removes every trace of the user's personal data from eMentor."""

import pytest
from django.apps import apps
from django.db import connection

from devsite.standin.platform import StandinPlatform
from ementor_plugin import api
from ementor_plugin.fields import EncryptedJSONField, EncryptedTextField
from ementor_plugin.models import AuditEvent, CoursePerformance, Goal, Match, MatchRun, Notice, Participant

from .conftest import COURSE

SECRETS = ("ASPIRATION-5f1c", "ABOUT-77aa", "GOAL-TITLE-91", "CRITERIA-42", "NOTE-3b3b", "REASON-d00d")


def _raw_rows():
    """Every row of every table except the user table itself (the platform retires that one), as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table == "auth_user":
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None
                    yield table, raw.decode("utf-8", "replace") if raw is not None else str(value)


def _decrypted_texts():
    """Every encrypted value in eMentor's tables, decrypted."""
    for model in apps.get_app_config("ementor_plugin").get_models():
        fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField | EncryptedJSONField)]
        for values in model.objects.values_list(*fields) if fields else ():
            yield from (str(v) for v in values)


@pytest.fixture
def retiring(world, fake_engine, django_capture_on_commit_callbacks):
    world.program()
    staff = world.staff()
    user = world.mentee(
        "retiree", aspirations=f"My {SECRETS[0]}", about=f"I am {SECRETS[1]}", languages=["en"], availability=[5]
    )
    mentor = world.mentor("helper", about="Mentor text stays")
    api.record_course_grade(user.id, COURSE, 0.35, source="csv", areas={"Labs": 0.2})
    goal = api.create_goal(user.id, COURSE, title=SECRETS[2], success_criteria=SECRETS[3])
    api.add_goal_progress(user.id, goal.id, progress=20, note=SECRETS[4])
    first = api.create_match(staff.id, COURSE, mentee_user_id=user.id, mentor_user_id=mentor.id)
    api.respond_to_match(user.id, first.id, accept=False, reason=SECRETS[5])
    second = api.create_match(staff.id, COURSE, mentee_user_id=user.id, mentor_user_id=mentor.id)
    api.get_participant_profile(staff.id, Participant.objects.get(user=user).id)
    # The learner is also staff elsewhere: runs and audit events name them as the actor.
    other_run = MatchRun.objects.create(program=world.program(), requested_by=user, status="failed")
    return staff, user, mentor, second, other_run


def test_retirement_signal_leaves_no_personal_data(retiring, django_capture_on_commit_callbacks):
    _staff, user, mentor, active_match, other_run = retiring
    identifiers = (user.username, user.email)
    assert any(secret in text for text in _decrypted_texts() for secret in SECRETS)  # the setup holds PII

    with django_capture_on_commit_callbacks(execute=True):
        StandinPlatform().retirement_signal().send(sender=None, user=user)

    leaks = [(table, value) for table, value in _raw_rows() for needle in (*SECRETS, *identifiers) if needle in value]
    assert leaks == []
    assert not [text for text in _decrypted_texts() for secret in SECRETS if secret in text]
    # Nothing links to the user any more.
    assert not Participant.objects.filter(user=user).exists()
    assert not Goal.objects.exists()
    assert not CoursePerformance.objects.filter(user=user).exists()
    assert not Notice.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(actor=user).exists()
    assert not AuditEvent.objects.filter(subject_user=user).exists()
    assert MatchRun.objects.get(pk=other_run.pk).requested_by is None
    for field in ("created_by", "approved_by", "ended_by"):
        assert not Match.objects.filter(**{field: user}).exists()
    # The partner keeps an anonymous record, the program its counts.
    ended = Match.objects.get(pk=active_match.id)
    assert ended.status == "ended" and ended.end_reason == "retired" and ended.mentee is None
    assert ended.explanation is None and ended.mentee_reason == "" and ended.open_key is None
    assert Participant.objects.get(user=mentor).mentor_load == 0
    view = api.get_my_match(mentor.id, active_match.id)
    assert view.partner.user_id is None and view.partner.username == ""
    assert api.get_program_figures(COURSE).matches_made == 2
    assert api.list_notices(mentor.id, COURSE)[0].kind == "match_ended"
    assert AuditEvent.objects.filter(action="retire_user", actor=None, subject_user=None).count() == 1


def test_retirement_is_idempotent_and_harmless_for_strangers(world, retiring):
    _staff, user, _mentor, _match, _run = retiring
    api.retire_user(user.id)
    api.retire_user(user.id)
    api.retire_user(world.user().id)  # never took part
    assert not Participant.objects.filter(user=user).exists()


def test_the_retirement_receiver_is_connected_once():
    signal = StandinPlatform().retirement_signal()
    uids = [entry[0][0] for entry in signal.receivers]  # entries are ((dispatch_uid, sender id), receiver, ...)
    assert [uid for uid in uids if uid == "ementor_plugin.retire_user"] == ["ementor_plugin.retire_user"]
