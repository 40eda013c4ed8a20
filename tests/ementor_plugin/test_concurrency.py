"""Two writers at once, on a real database server: capacity and one-open-match rules still hold.

Each round starts two threads behind a barrier so their transactions overlap. The API serialises writers
on the participants' row locks; the raw-ORM tests take the locks away and show the database constraints
alone refuse the second write. SQLite serialises all writers by itself, so these run on MariaDB and
PostgreSQL (``EMENTOR_TEST_DB=mariadb`` / ``postgresql``).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import F

from ementor_plugin import api, errors
from ementor_plugin.models import Match, MatchRun, Participant

from .conftest import COURSE, World

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; needs MariaDB/PostgreSQL"),
]
ROUNDS = 8


@pytest.fixture
def tworld(transactional_db, fake_engine):
    world = World()
    world.program()
    return world


def _race(*calls):
    """Run the calls in parallel threads that start together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        except Exception as exc:
            return exc
        finally:
            connections.close_all()  # each thread has its own connection

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_staff_cannot_overfill_a_mentor(tworld):
    staff = tworld.staff()
    for _ in range(ROUNDS):
        mentor = tworld.mentor(capacity=1)
        first, second = tworld.mentee(), tworld.mentee()
        outcomes = _race(
            lambda m=first, t=mentor: api.create_match(staff.id, COURSE, mentee_user_id=m.id, mentor_user_id=t.id),
            lambda m=second, t=mentor: api.create_match(staff.id, COURSE, mentee_user_id=m.id, mentor_user_id=t.id),
        )
        failures = [o for o in outcomes if isinstance(o, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], errors.CapacityReached), outcomes
        assert Participant.objects.get(user=mentor).mentor_load == 1
        assert Match.objects.filter(mentor__user=mentor, open_key__isnull=False).count() == 1


def test_a_mentee_cannot_get_two_mentors_at_once(tworld):
    staff = tworld.staff()
    for _ in range(ROUNDS):
        mentee = tworld.mentee()
        one, two = tworld.mentor(), tworld.mentor()
        outcomes = _race(
            lambda m=mentee, t=one: api.create_match(staff.id, COURSE, mentee_user_id=m.id, mentor_user_id=t.id),
            lambda m=mentee, t=two: api.create_match(staff.id, COURSE, mentee_user_id=m.id, mentor_user_id=t.id),
        )
        failures = [o for o in outcomes if isinstance(o, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], errors.Conflict), outcomes
        assert Match.objects.filter(mentee__user=mentee, open_key__isnull=False).count() == 1
        loads = Participant.objects.filter(user__in=[one, two]).values_list("mentor_load", flat=True)
        assert sorted(loads) == [0, 1]


def test_decline_and_staff_end_of_one_match_free_the_place_once(tworld):
    staff = tworld.staff()
    for _ in range(ROUNDS):
        mentee, mentor = tworld.mentee(), tworld.mentor(capacity=1)
        match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
        outcomes = _race(
            lambda m=mentee, x=match: api.respond_to_match(m.id, x.id, accept=False),
            lambda x=match: api.end_match(staff.id, x.id),
        )
        assert sum(isinstance(o, errors.Conflict) for o in outcomes) == 1, outcomes
        assert Participant.objects.get(user=mentor).mentor_load == 0


def test_two_run_requests_yield_one_run(tworld, no_enqueue):
    staff = tworld.staff()
    for _ in range(ROUNDS):
        outcomes = _race(lambda: api.request_run(staff.id, COURSE), lambda: api.request_run(staff.id, COURSE))
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert outcomes[0].id == outcomes[1].id
        assert MatchRun.objects.filter(open_key__isnull=False).count() == 1
        MatchRun.objects.update(status="succeeded", open_key=None)


def test_the_database_alone_refuses_a_second_load_beyond_capacity(tworld):
    mentor = tworld.mentor(capacity=1)
    pk = Participant.objects.get(user=mentor).pk

    def add_one():
        with transaction.atomic():
            Participant.objects.filter(pk=pk).update(mentor_load=F("mentor_load") + 1)
        return "ok"

    for _ in range(ROUNDS):
        Participant.objects.filter(pk=pk).update(mentor_load=0)
        outcomes = _race(add_one, add_one)
        assert sorted(map(type, outcomes), key=str) == sorted([str, IntegrityError], key=str), outcomes
        assert Participant.objects.get(pk=pk).mentor_load == 1


def test_the_database_alone_refuses_a_second_open_match(tworld):
    mentee = Participant.objects.get(user=tworld.mentee())
    mentors = [Participant.objects.get(user=tworld.mentor(capacity=2)) for _ in range(2)]

    def insert(mentor):
        with transaction.atomic():
            Match.objects.create(program=mentee.program, mentee=mentee, mentor=mentor, status="active",
                                 open_key=mentee.id)
        return "ok"

    for _ in range(ROUNDS):
        Match.objects.filter(mentee=mentee).delete()
        outcomes = _race(lambda: insert(mentors[0]), lambda: insert(mentors[1]))
        assert sorted(map(type, outcomes), key=str) == sorted([str, IntegrityError], key=str), outcomes
        assert Match.objects.filter(mentee=mentee, open_key__isnull=False).count() == 1
