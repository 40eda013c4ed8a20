"""Runs and staff pairings through the real matching engine (``matching.match``), end to end in the plugin."""

import pytest

from ementor_plugin import api
from ementor_plugin.data import RunStatus
from ementor_plugin.models import Match, Participant
from matching import FACTORS

from .conftest import COURSE


@pytest.fixture
def program(world, no_enqueue):
    world.program(weights={"skills": 3, "performance": 2, "language": 1, "availability": 1, "aspirations": 1})
    staff = world.staff()
    mentees = {
        "ana": world.mentee("ana", skills_wanted=["python"], languages=["es"], availability=[10, 11, 12],
                           aspirations="data analysis with python", areas={"Labs": 0.2, "Exam": 0.6}),
        "ben": world.mentee("ben", skills_wanted=["statistics"], languages=["en"], availability=[40, 41],
                           aspirations="understand statistics", areas={"Labs": 0.7, "Exam": 0.3}),
    }
    mentors = {
        "pia": world.mentor("pia", skills_offered=["python"], languages=["es", "en"], availability=[10, 11],
                            about="I analyse data with python", capacity=1, areas={"Labs": 0.95, "Exam": 0.8}),
        "sam": world.mentor("sam", skills_offered=["statistics"], languages=["en"], availability=[40, 41],
                            about="statistics tutor", capacity=1, areas={"Labs": 0.8, "Exam": 0.95}),
    }
    return staff, mentees, mentors


def _execute(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = api.request_run(staff.id, COURSE)
    return api.execute_run(run.id)


def test_a_run_pairs_by_suitability_and_explains_each_pair(program, django_capture_on_commit_callbacks):
    staff, mentees, _mentors = program
    done = _execute(staff, django_capture_on_commit_callbacks)
    assert done.status is RunStatus.SUCCEEDED, done.error
    pairs = {(m.mentee.user.username, m.mentor.user.username) for m in Match.objects.filter(run_id=done.id)}
    assert pairs == {("ana", "pia"), ("ben", "sam")}
    assert done.figures["n_matched"] == 2 and done.figures["coverage"] == 1.0
    view = api.list_my_matches(mentees["ana"].id, COURSE)[0]
    explanation = api.get_match_explanation(mentees["ana"].id, view.id)
    assert tuple(f.factor for f in explanation.factors) == FACTORS
    assert sum(f.contribution for f in explanation.factors) == pytest.approx(explanation.score, abs=1e-6)
    assert explanation.evidence.shared_skills == ("python",)
    assert "es" in explanation.evidence.shared_languages and explanation.evidence.overlapping_hours == 2
    assert [a.area for a in explanation.evidence.complementary_areas][:1] == ["Labs"]
    assert {q.kind for q in view.partner.qualifications} == {"course_grade", "certificate"}


def test_a_second_run_keeps_the_first_runs_matches(world, program, django_capture_on_commit_callbacks):
    staff, _mentees, _mentors = program
    first = _execute(staff, django_capture_on_commit_callbacks)
    kept = set(Match.objects.filter(run_id=first.id).values_list("id", "mentor_id"))
    newcomer = world.mentee("cy", skills_wanted=["python"], languages=["en"])
    world.mentor("dee", skills_offered=["python"], languages=["en"], capacity=2)
    second = _execute(staff, django_capture_on_commit_callbacks)
    assert second.status is RunStatus.SUCCEEDED, second.error
    assert set(Match.objects.filter(run_id=first.id).values_list("id", "mentor_id")) == kept
    assert second.figures["n_pinned"] == 2 and second.figures["n_new"] == 1
    new = Match.objects.get(run_id=second.id)
    assert new.mentee.user_id == newcomer.id and new.mentor.user.username == "dee"
    assert Participant.objects.get(user__username="dee").mentor_load == 1


def test_stable_strategy_and_required_language(world, program, django_capture_on_commit_callbacks):
    staff, _mentees, _mentors = program
    api.configure_program(staff.id, COURSE, strategy="stable", language_required=True)
    world.mentee("eve", skills_wanted=["python"], languages=["fr"])
    done = _execute(staff, django_capture_on_commit_callbacks)
    assert done.status is RunStatus.SUCCEEDED, done.error
    assert done.config["strategy"] == "stable"
    assert not Match.objects.filter(mentee__user__username="eve").exists()
    assert done.figures["unmatched_reasons"] == {"no_shared_language": 1}
    eve = Participant.objects.get(user__username="eve")
    assert done.figures["unmatched_by_participant"] == {str(eve.id): "no_shared_language"}


def test_a_staff_pairing_is_explained_by_the_engine(program):
    staff, mentees, mentors = program
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentees["ben"].id, mentor_user_id=mentors["pia"].id)
    explanation = api.get_match_explanation(mentees["ben"].id, match.id)
    assert explanation.available and explanation.pinned
    assert tuple(f.factor for f in explanation.factors) == FACTORS
    assert match.score == pytest.approx(explanation.score)
