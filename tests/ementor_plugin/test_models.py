"""The database itself refuses what the rules forbid, whatever code writes (raw ORM here, no api)."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import F

from ementor_plugin.models import Match, MatchRun, Participant, Program


def _participant(world, program, role="mentee", capacity=0):
    return Participant.objects.create(user=world.user(), program=program, role=role, capacity=capacity)


def test_migrations_match_the_models(db):
    call_command("makemigrations", "ementor_plugin", "--check", "--dry-run", verbosity=0)


def test_a_mentee_cannot_hold_two_open_matches(world):
    program = world.program()
    mentee = _participant(world, program)
    first, second = _participant(world, program, "mentor", 3), _participant(world, program, "mentor", 3)
    Match.objects.create(program=program, mentee=mentee, mentor=first, status="active", open_key=mentee.id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(program=program, mentee=mentee, mentor=second, status="proposed", open_key=mentee.id)


def test_closed_matches_do_not_block_a_new_one(world):
    program = world.program()
    mentee = _participant(world, program)
    mentor = _participant(world, program, "mentor", 3)
    for status in ("declined", "ended"):
        Match.objects.create(program=program, mentee=mentee, mentor=mentor, status=status, open_key=None)
    Match.objects.create(program=program, mentee=mentee, mentor=mentor, status="active", open_key=mentee.id)
    assert Match.objects.filter(mentee=mentee).count() == 3


@pytest.mark.parametrize(("status", "open_key"), [("active", None), ("proposed", None), ("ended", 1)])
def test_open_key_must_agree_with_status(world, status, open_key):
    program = world.program()
    mentee = _participant(world, program)
    mentor = _participant(world, program, "mentor", 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(program=program, mentee=mentee, mentor=mentor, status=status, open_key=open_key)


def test_a_participant_cannot_mentor_themself(world):
    program = world.program()
    both = _participant(world, program, "both", 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(program=program, mentee=both, mentor=both, status="ended")


def test_mentor_load_cannot_exceed_capacity(world):
    program = world.program()
    mentor = _participant(world, program, "mentor", 1)
    Participant.objects.filter(pk=mentor.pk).update(mentor_load=F("mentor_load") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.filter(pk=mentor.pk).update(mentor_load=F("mentor_load") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.filter(pk=mentor.pk).update(capacity=0)


def test_one_open_run_per_program(world):
    program = world.program()
    MatchRun.objects.create(program=program, status="queued", open_key=program.id)
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchRun.objects.create(program=program, status="running", open_key=program.id)
    MatchRun.objects.create(program=program, status="failed", open_key=None)


def test_one_program_per_course_and_one_participation_per_user(world):
    program = world.program()
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.create(course_key=program.course_key)
    user = world.user()
    Participant.objects.create(user=user, program=program, role="mentee")
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(user=user, program=program, role="mentor", capacity=1)


def test_program_checks(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        world.program(default_mentor_capacity=6, max_mentor_capacity=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        world.program(min_score=1.5)


def test_string_forms_name_ids_only(world):
    program = world.program()
    person = _participant(world, program)
    assert str(program.course_key) in str(program)
    assert person.user.username not in str(person)
