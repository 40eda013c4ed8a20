"""`make demo`'s seeding: a program with 60 learners (56 of them mentees) and 12 mentors, matched through the API."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ementor_plugin import api

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_demo_seeds_a_matched_program_and_prints_the_logins(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    key = settings.DEVSITE_COURSE_ID
    figures = api.get_program_figures(key)
    assert (figures.participants, figures.mentors, figures.mentees) == (68, 12, 56)
    assert figures.active_matches > 20
    for login in ("mentee", "mentor", "staff", "newcomer"):
        assert f"  {login} " in out
    users = get_user_model().objects
    mentee, newcomer = users.get(username="mentee"), users.get(username="newcomer")
    viewer = api.get_viewer(mentee.id, key)
    assert viewer.participant is not None and viewer.weak_areas[0].area == "Labs"
    match = api.list_my_matches(mentee.id, key)[0]
    assert api.get_match_explanation(mentee.id, match.id).available
    assert api.get_viewer(newcomer.id, key).can_join
    profiles = [api.get_profile(u.id, key) for u in users.filter(username__startswith="learner")[:40]
                if api.get_viewer(u.id, key).participant]
    assert len({p.time_zone for p in profiles}) >= 4 and len({p.languages for p in profiles}) >= 4
    assert all(p.availability and (p.aspirations or p.skills_wanted) for p in profiles)
    runs = api.list_runs(users.get(username="staff").id, key)
    assert runs[0].status == "succeeded"

    call_command("load_demo")  # idempotent: nobody joins twice
    assert api.get_program_figures(key).participants == 68
