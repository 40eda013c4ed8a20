"""Free text is ciphertext in the database, read back with eMentor's own keys, and rotatable on a live DB."""

import pytest
from cryptography.fernet import InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from ementor_plugin import api
from ementor_plugin.fields import current_keys
from ementor_plugin.models import Goal, GoalUpdate, Match, Participant

from .conftest import COURSE

KEY_A, KEY_B = "first-key-for-tests", "second-key-for-tests"


def _raw(model, pk, column):
    with connection.cursor() as cursor:
        table, pk_col = connection.ops.quote_name(model._meta.db_table), model._meta.pk.column
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE {pk_col} = %s", [pk])
        return bytes(cursor.fetchone()[0])


@pytest.fixture
def populated(world, fake_engine):
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_A]):
        world.program()
        staff = world.staff()
        mentee = world.mentee(aspirations="I want to become a nurse", about="Evening learner")
        mentor = world.mentor(about="Paramedic for ten years")
        goal = api.create_goal(mentee.id, COURSE, title="Pass anatomy", success_criteria="80% in the exam")
        api.add_goal_progress(mentee.id, goal.id, progress=30, note="Flashcards help")
        match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
        api.respond_to_match(mentor.id, match.id, accept=False, reason="Too busy this month")
        yield mentee, mentor, goal, match


def test_free_text_is_ciphertext_in_the_raw_row(populated):
    mentee, _mentor, goal, match = populated
    participant = Participant.objects.get(user=mentee)
    raw = _raw(Participant, participant.pk, "aspirations")
    assert raw.startswith(b"gAAAAA") and b"nurse" not in raw
    assert b"anatomy" not in _raw(Goal, goal.id, "title")
    assert b"Flashcards" not in _raw(GoalUpdate, GoalUpdate.objects.get().pk, "note")
    assert b"busy" not in _raw(Match, match.id, "mentor_reason")
    assert _raw(Match, match.id, "explanation").startswith(b"gAAAAA")
    assert _raw(Match, match.id, "mentee_reason") == b""  # empty text hides nothing and is stored empty
    assert Match.objects.get(pk=match.id).mentee_reason == ""
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_A]):
        assert Participant.objects.get(pk=participant.pk).aspirations == "I want to become a nurse"


def test_plugin_keys_are_not_the_platform_keys(populated):
    mentee = populated[0]
    with override_settings(EMENTOR_FERNET_KEYS=None, FERNET_KEYS=[KEY_A]):
        assert current_keys() == (KEY_A,)  # falls back to the platform's keys...
        assert Participant.objects.get(user=mentee).about == "Evening learner"
    with override_settings(EMENTOR_FERNET_KEYS=None, FERNET_KEYS=None, SECRET_KEY="s3cret"):
        assert current_keys() == ("s3cret",)  # ...then to SECRET_KEY
        with pytest.raises(InvalidToken):
            Participant.objects.get(user=mentee)
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_B], FERNET_KEYS=[KEY_A]), pytest.raises(InvalidToken):
        Participant.objects.get(user=mentee)  # the plugin's own keys win over FERNET_KEYS


@pytest.mark.parametrize("bad", [[], "a-single-string", [""]])
def test_misconfigured_keys_are_refused(db, bad):
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(EMENTOR_FERNET_KEYS=bad), pytest.raises(ImproperlyConfigured):
        current_keys()


def test_encrypted_columns_cannot_be_filtered(populated):
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(Participant.objects.filter(aspirations="x"))


def test_key_rotation_on_a_populated_database(populated, capsys):
    mentee, mentor, goal, match = populated
    participant = Participant.objects.get(user=mentee)
    before = _raw(Participant, participant.pk, "aspirations")
    modified = participant.modified
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_B, KEY_A]):
        with pytest.raises(CommandError):
            call_command("ementor_rotate_keys", "--check")  # rows still need the old key
        call_command("ementor_rotate_keys", "--dry-run")
        assert _raw(Participant, participant.pk, "aspirations") == before
        call_command("ementor_rotate_keys", "--batch-size", "2")
        out = capsys.readouterr().out
        assert "rotated" in out and "0 unreadable" in out
        call_command("ementor_rotate_keys")  # nothing left to do: safe to re-run
        assert "Total: " in capsys.readouterr().out
    assert _raw(Participant, participant.pk, "aspirations") != before
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_B]):
        call_command("ementor_rotate_keys", "--check")
        fresh = Participant.objects.get(pk=participant.pk)
        assert fresh.aspirations == "I want to become a nurse" and fresh.modified == modified
        assert Goal.objects.get(pk=goal.id).title == "Pass anatomy"
        assert Match.objects.get(pk=match.id).mentor_reason == "Too busy this month"
        assert Match.objects.get(pk=match.id).explanation["factors"]
        assert api.get_profile(mentor.id, COURSE).about == "Paramedic for ten years"
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_A]), pytest.raises(InvalidToken):
        Participant.objects.get(pk=participant.pk)  # the old key alone no longer reads anything


def test_rotation_reports_values_no_key_can_read(populated):
    with override_settings(EMENTOR_FERNET_KEYS=[KEY_B]), pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("ementor_rotate_keys")
    with pytest.raises(CommandError):
        call_command("ementor_rotate_keys", "--batch-size", "0")
