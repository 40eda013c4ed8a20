"""Goals: each side writes its own, tracks progress, gets personalised suggestions, sees the partner's."""

from datetime import date, timedelta

import pytest

from ementor_plugin import api, errors
from ementor_plugin.data import GoalStatus
from ementor_plugin.goals import alignment, themes

from .conftest import COURSE


@pytest.fixture
def pair(world):
    world.program(weak_area_threshold=0.6, mentor_grade_threshold=0.8)
    staff = world.staff()
    mentee = world.mentee(areas={"Labs": 0.3, "Homework": 0.55, "Exam": 0.7}, grade=0.45)
    mentor = world.mentor(areas={"Labs": 0.95, "Homework": 0.85, "Exam": 0.7})
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    return mentee, mentor, match


def test_create_list_update_delete(world):
    world.program()
    user = world.mentee()
    goal = api.create_goal(user.id, COURSE, title="Pass the Labs", success_criteria="Labs at 70%",
                           target_date=date.today() + timedelta(days=30), suggestion_key="improve-labs")
    assert goal.status is GoalStatus.OPEN and goal.progress == 0 and goal.updates == ()
    assert api.list_goals(user.id, COURSE) == [goal]
    changed = api.update_goal(user.id, goal.id, title="Ace the Labs", status="in_progress")
    assert changed.title == "Ace the Labs" and changed.status is GoalStatus.IN_PROGRESS
    achieved = api.update_goal(user.id, goal.id, status="achieved")
    assert achieved.progress == 100
    api.delete_goal(user.id, goal.id)
    assert api.list_goals(user.id, COURSE) == []


def test_progress_updates_move_the_status(world):
    world.program()
    user = world.mentee()
    goal = api.create_goal(user.id, COURSE, title="Read chapter 3")
    halfway = api.add_goal_progress(user.id, goal.id, progress=50, note="Half read")
    assert halfway.status is GoalStatus.IN_PROGRESS and halfway.progress == 50
    done = api.add_goal_progress(user.id, goal.id, progress=100)
    assert done.status is GoalStatus.ACHIEVED
    assert [(u.progress, u.note) for u in done.updates] == [(50, "Half read"), (100, "")]


def test_goal_validation(world):
    world.program()
    user = world.mentee()
    for kwargs, field in [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "success_criteria": "x" * 5001}, "success_criteria"),
        ({"title": "ok", "target_date": "2030-01-01"}, "target_date"),
        ({"title": "ok", "target_date": date.today() - timedelta(days=1)}, "target_date"),
    ]:
        with pytest.raises(errors.ValidationError) as caught:
            api.create_goal(user.id, COURSE, **kwargs)
        assert field in caught.value.field_errors
    goal = api.create_goal(user.id, COURSE, title="ok")
    with pytest.raises(errors.ValidationError):
        api.update_goal(user.id, goal.id, status="finished")
    with pytest.raises(errors.ValidationError):
        api.update_goal(user.id, goal.id, progress=5)  # progress goes through add_goal_progress
    for progress in (-1, 101, 50.5, "50"):
        with pytest.raises(errors.ValidationError):
            api.add_goal_progress(user.id, goal.id, progress=progress)


def test_goals_belong_to_their_owner(world):
    world.program()
    owner, other = world.mentee(), world.mentee()
    goal = api.create_goal(owner.id, COURSE, title="Mine")
    with pytest.raises(errors.NotFound):
        api.update_goal(other.id, goal.id, title="Stolen")
    with pytest.raises(errors.NotFound):
        api.delete_goal(other.id, goal.id)
    with pytest.raises(errors.NotFound):
        api.add_goal_progress(other.id, goal.id, progress=10)
    with pytest.raises(errors.NotFound):
        api.update_goal(owner.id, 999999, title="Missing")
    assert api.list_goals(other.id, COURSE) == []


def test_goal_limits_and_membership(world):
    world.program()
    outsider = world.enroll(world.user())
    with pytest.raises(errors.NotFound):
        api.create_goal(outsider.id, COURSE, title="x")
    with pytest.raises(errors.NotFound):
        api.list_goals(outsider.id, COURSE)
    user = world.mentee()
    for i in range(20):
        api.create_goal(user.id, COURSE, title=f"Goal {i}")
    with pytest.raises(errors.Conflict) as caught:
        api.create_goal(user.id, COURSE, title="One too many")
    assert caught.value.code == "too_many_goals"
    api.withdraw(user.id, COURSE)
    with pytest.raises(errors.Conflict):
        api.create_goal(user.id, COURSE, title="After leaving")


def test_suggestions_are_personalised(pair):
    mentee, mentor, _match = pair
    mentee_keys = [s.key for s in api.suggest_goals(mentee.id, COURSE)]
    assert mentee_keys[:2] == ["improve-labs", "improve-homework"]  # weakest area first
    assert "pass-course" in mentee_keys and "study-routine" in mentee_keys
    labs = api.suggest_goals(mentee.id, COURSE)[0]
    assert "30%" in labs.reason and "Labs" in labs.title
    mentor_keys = [s.key for s in api.suggest_goals(mentor.id, COURSE)]
    assert mentor_keys[:2] == ["coach-labs", "coach-homework"]
    assert "regular-meetings" in mentor_keys and "improve-labs" not in mentor_keys
    # Adopted suggestions are not offered again.
    api.create_goal(mentee.id, COURSE, title="Labs", suggestion_key="improve-labs")
    assert "improve-labs" not in [s.key for s in api.suggest_goals(mentee.id, COURSE)]


def test_suggestions_follow_experience(world):
    world.program()
    expert = world.mentor(experience_level="expert", areas={})
    keys = [s.key for s in api.suggest_goals(expert.id, COURSE)]
    assert "share-practice" in keys
    advanced = world.mentee(experience_level="advanced", areas={}, grade=0.7)
    assert [s.key for s in api.suggest_goals(advanced.id, COURSE)] == ["apply-project"]
    with pytest.raises(errors.NotFound):
        api.suggest_goals(world.enroll(world.user()).id, COURSE)


def test_partner_goals_and_alignment(pair):
    mentee, mentor, match = pair
    api.create_goal(mentee.id, COURSE, title="Improve my Python labs", success_criteria="Debugging alone")
    api.create_goal(mentor.id, COURSE, title="Coach Python debugging", success_criteria="Weekly labs review")
    goal = api.create_goal(mentor.id, COURSE, title="Share career advice")
    api.add_goal_progress(mentor.id, goal.id, progress=10, note="private note")
    partner_goals = api.get_partner_goals(mentee.id, match.id)
    assert [g.title for g in partner_goals] == ["Coach Python debugging", "Share career advice"]
    assert all(g.updates == () for g in partner_goals)  # progress notes stay private
    aligned = api.get_goal_alignment(mentee.id, match.id)
    assert set(aligned.shared_themes) >= {"python", "labs", "debugging"}
    assert "career" in aligned.partner_themes
    assert 0 < aligned.score < 1
    assert aligned.supported_areas == ("Homework", "Labs")
    mirrored = api.get_goal_alignment(mentor.id, match.id)
    assert mirrored.shared_themes == aligned.shared_themes and mirrored.score == aligned.score


def test_alignment_hides_areas_when_someone_does_not_share(pair):
    mentee, _mentor, match = pair
    api.update_profile(mentee.id, COURSE, share_performance=False)
    assert api.get_goal_alignment(mentee.id, match.id).supported_areas == ()


def test_partner_goals_need_an_active_match_of_ones_own(world, pair):
    mentee, mentor, match = pair
    stranger = world.mentee()
    for call in (api.get_partner_goals, api.get_goal_alignment):
        with pytest.raises(errors.NotFound):
            call(stranger.id, match.id)
    api.respond_to_match(mentor.id, match.id, accept=False)
    for call in (api.get_partner_goals, api.get_goal_alignment):
        with pytest.raises(errors.Conflict) as caught:
            call(mentee.id, match.id)
        assert caught.value.code == "not_active"


def test_themes_and_alignment_helpers():
    assert themes(["Réussir les Projects!", "the projects", "a 2026 go"]) == {"reussir", "les", "project"}
    assert alignment([], ["anything"]) == (0.0, set(), set(), {"anything"})
    score, shared, mine, theirs = alignment(["python data"], ["python web"])
    assert shared == {"python"} and mine == {"data"} and theirs == {"web"} and score == pytest.approx(1 / 3)
