"""Matches: staff pairing, approval, ending, reassigning, export; learners' views, explanations, responses."""

import csv
import io

import pytest

from ementor_plugin import api, errors, runs
from ementor_plugin.data import MatchOrigin, MatchResponse, MatchStatus, NoticeKind, Role
from ementor_plugin.models import AuditEvent, Match, Participant

from .conftest import COURSE, OTHER_COURSE


@pytest.fixture
def people(world, fake_engine):
    world.program()
    staff = world.staff()
    mentee = world.mentee(about="Night owl", aspirations="Data job", availability=[1, 2, 3],
                          time_zone="America/Lima", areas={"Labs": 0.3})
    mentor = world.mentor(about="Analyst at a bank", availability=[2, 3, 4], capacity=2, areas={"Labs": 0.9})
    return staff, mentee, mentor


def _proposed(world, mentee, mentor):
    """A proposed match as a run with staff approval would leave it."""
    program = world.program()
    ids = {p.user_id: p for p in Participant.objects.filter(user__in=[mentee, mentor])}
    match = Match.objects.create(program=program, mentee=ids[mentee.id], mentor=ids[mentor.id], status="proposed",
                                 open_key=ids[mentee.id].id, score=0.7, origin="run")
    Participant.objects.filter(pk=ids[mentor.id].pk).update(mentor_load=1)
    return match


def test_staff_creates_a_match_both_learners_see_it(people, mailoutbox):
    staff, mentee, mentor = people
    summary = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    assert summary.status is MatchStatus.ACTIVE and summary.origin is MatchOrigin.STAFF
    assert summary.mentee_username == mentee.username and summary.mentor_user_id == mentor.id
    assert summary.score is not None  # explained with the program's configuration
    assert AuditEvent.objects.filter(action="create_match", target_id=summary.id, actor=staff).exists()
    assert Participant.objects.get(user=mentor).mentor_load == 1
    # Each learner gets a notice and (after commit) an e-mail naming no partner.
    for user in (mentee, mentor):
        assert [n.kind for n in api.list_notices(user.id, COURSE)] == [NoticeKind.MATCH_MADE]
    view = api.list_my_matches(mentee.id, COURSE)[0]
    assert view.my_role is Role.MENTEE and view.partner.username == mentor.username
    assert view.partner.about == "Analyst at a bank" and view.partner.overlapping_hours == (2, 3)
    kinds = {q.kind for q in view.partner.qualifications}
    assert kinds == {"course_grade", "certificate"}
    mentor_view = api.get_my_match(mentor.id, summary.id)
    assert mentor_view.partner.aspirations == "Data job" and mentor_view.partner.time_zone == "America/Lima"
    assert mentor_view.partner.qualifications == ()  # mentees' grades are not qualifications


def test_create_match_emails_after_commit(people, django_capture_on_commit_callbacks, mailoutbox):
    staff, mentee, mentor = people
    with django_capture_on_commit_callbacks(execute=True):
        api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([mentee.email, mentor.email])
    assert all(mentor.username not in m.body and mentee.username not in m.body for m in mailoutbox)


def test_no_email_when_disabled(people, settings, django_capture_on_commit_callbacks, mailoutbox):
    settings.EMENTOR_SEND_EMAIL = False
    staff, mentee, mentor = people
    with django_capture_on_commit_callbacks(execute=True):
        api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    assert mailoutbox == []


def test_create_match_errors(world, people):
    staff, mentee, mentor = people
    learner = world.enroll(world.user())
    with pytest.raises(errors.PermissionDenied):
        api.create_match(mentee.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    with pytest.raises(errors.NotFound):
        api.create_match(world.user(is_staff=True).id, OTHER_COURSE, mentee_user_id=mentee.id,
                         mentor_user_id=mentor.id)
    with pytest.raises(errors.ValidationError) as caught:
        api.create_match(staff.id, COURSE, mentee_user_id=learner.id, mentor_user_id=mentee.id)
    assert set(caught.value.field_errors) == {"mentee_user_id", "mentor_user_id"}
    with pytest.raises(errors.ValidationError):
        api.create_match(staff.id, COURSE, mentee_user_id=mentor.id, mentor_user_id=mentor.id)
    api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    with pytest.raises(errors.Conflict) as caught:
        api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    assert caught.value.code == "already_matched"
    other = world.mentee()
    api.create_match(staff.id, COURSE, mentee_user_id=other.id, mentor_user_id=mentor.id)
    third = world.mentee()
    with pytest.raises(errors.CapacityReached):
        api.create_match(staff.id, COURSE, mentee_user_id=third.id, mentor_user_id=mentor.id)


def test_a_both_participant_cannot_be_paired_with_themself(world, people):
    staff, _mentee, _mentor = people
    both = world.mentor(role="both", skills_wanted=["python"])
    with pytest.raises(errors.ValidationError):
        api.create_match(staff.id, COURSE, mentee_user_id=both.id, mentor_user_id=both.id)


def test_proposed_matches_are_hidden_until_approved(world, people):
    staff, mentee, mentor = people
    match = _proposed(world, mentee, mentor)
    assert api.list_my_matches(mentee.id, COURSE) == []
    with pytest.raises(errors.NotFound):
        api.get_my_match(mentee.id, match.id)
    with pytest.raises(errors.NotFound):
        api.respond_to_match(mentee.id, match.id, accept=True)
    approved = api.approve_match(staff.id, match.id)
    assert approved.status is MatchStatus.ACTIVE and approved.activated_at is not None
    assert api.get_my_match(mentee.id, match.id).status is MatchStatus.ACTIVE
    assert AuditEvent.objects.filter(action="approve_match", target_id=match.id).exists()
    with pytest.raises(errors.Conflict) as caught:
        api.approve_match(staff.id, match.id)
    assert caught.value.code == "not_proposed"


def test_approve_all_proposed(world, people):
    staff, mentee, mentor = people
    _proposed(world, mentee, mentor)
    assert api.approve_proposed_matches(staff.id, COURSE) == 1
    assert api.approve_proposed_matches(staff.id, COURSE) == 0
    with pytest.raises(errors.PermissionDenied):
        api.approve_proposed_matches(mentee.id, COURSE)


def test_staff_actions_are_course_scoped(world, people):
    staff, mentee, mentor = people
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    outsider = world.staff(key=OTHER_COURSE)
    for call in (
        lambda: api.approve_match(outsider.id, match.id),
        lambda: api.end_match(outsider.id, match.id),
        lambda: api.reassign_match(outsider.id, match.id, mentor_user_id=mentor.id),
        lambda: api.list_matches(outsider.id, COURSE),
        lambda: api.list_participants(outsider.id, COURSE),
        lambda: api.export_matches_csv(outsider.id, COURSE),
        lambda: api.get_participant_profile(outsider.id, Participant.objects.get(user=mentee).id),
    ):
        with pytest.raises(errors.PermissionDenied):
            call()
    for call in (
        lambda: api.approve_match(staff.id, 999999),
        lambda: api.end_match(staff.id, 999999),
        lambda: api.reassign_match(staff.id, 999999, mentor_user_id=mentor.id),
        lambda: api.get_participant_profile(staff.id, 999999),
    ):
        with pytest.raises(errors.NotFound):
            call()


def test_end_match_frees_the_place_and_tells_both(people):
    staff, mentee, mentor = people
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    ended = api.end_match(staff.id, match.id, reason="conduct")
    assert ended.status is MatchStatus.ENDED and ended.end_reason == "conduct"
    assert Participant.objects.get(user=mentor).mentor_load == 0
    for user in (mentee, mentor):
        assert api.list_notices(user.id, COURSE, unread_only=True)[0].kind is NoticeKind.MATCH_ENDED
    view = api.get_my_match(mentee.id, match.id)
    assert view.status is MatchStatus.ENDED and view.partner.about == ""  # shared profile only while active
    with pytest.raises(errors.Conflict) as caught:
        api.end_match(staff.id, match.id)
    assert caught.value.code == "not_open"
    with pytest.raises(errors.ValidationError):
        api.end_match(staff.id, match.id, reason="not a code!")


def test_ending_a_proposed_match_tells_no_one(world, people):
    staff, mentee, mentor = people
    match = _proposed(world, mentee, mentor)
    api.end_match(staff.id, match.id)
    assert api.list_notices(mentee.id, COURSE) == []


def test_reassign_moves_the_mentee_in_one_step(world, people):
    staff, mentee, mentor = people
    other_mentor = world.mentor()
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    new = api.reassign_match(staff.id, match.id, mentor_user_id=other_mentor.id)
    assert new.mentor_user_id == other_mentor.id and new.mentee_user_id == mentee.id
    assert Match.objects.get(pk=match.id).end_reason == "reassigned"
    loads = dict(Participant.objects.filter(user__in=[mentor, other_mentor]).values_list("user_id", "mentor_load"))
    assert loads == {mentor.id: 0, other_mentor.id: 1}
    assert AuditEvent.objects.get(action="reassign_match").details == {"previous_match": match.id}
    with pytest.raises(errors.Conflict):
        api.reassign_match(staff.id, match.id, mentor_user_id=mentor.id)
    with pytest.raises(errors.ValidationError):
        api.reassign_match(staff.id, new.id, mentor_user_id=other_mentor.id)


def test_reassign_to_a_full_mentor_changes_nothing(world, people):
    staff, mentee, mentor = people
    full = world.mentor(capacity=1)
    api.create_match(staff.id, COURSE, mentee_user_id=world.mentee().id, mentor_user_id=full.id)
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    with pytest.raises(errors.CapacityReached):
        api.reassign_match(staff.id, match.id, mentor_user_id=full.id)
    assert Match.objects.get(pk=match.id).status == "active"
    assert Participant.objects.get(user=mentor).mentor_load == 1


def test_decline_frees_the_slot_and_tells_the_partner(people):
    staff, mentee, mentor = people
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    accepted = api.respond_to_match(mentor.id, match.id, accept=True, reason="Happy to help")
    assert accepted.my_response is MatchResponse.ACCEPTED and accepted.partner_response is MatchResponse.PENDING
    again = api.respond_to_match(mentor.id, match.id, accept=True)
    assert again.my_response is MatchResponse.ACCEPTED
    declined = api.respond_to_match(mentee.id, match.id, accept=False, reason="Schedules clash")
    assert declined.status is MatchStatus.DECLINED and declined.my_response is MatchResponse.DECLINED
    assert Participant.objects.get(user=mentor).mentor_load == 0
    assert Match.objects.get(pk=match.id).mentee_reason == "Schedules clash"
    assert api.list_notices(mentor.id, COURSE)[0].kind is NoticeKind.MATCH_DECLINED
    with pytest.raises(errors.Conflict) as caught:
        api.respond_to_match(mentor.id, match.id, accept=True)
    assert caught.value.code == "not_active"


def test_respond_errors(world, people):
    staff, mentee, mentor = people
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    with pytest.raises(errors.NotFound):
        api.respond_to_match(world.mentee().id, match.id, accept=True)
    with pytest.raises(errors.ValidationError):
        api.respond_to_match(mentee.id, match.id, accept="yes")
    with pytest.raises(errors.ValidationError):
        api.respond_to_match(mentee.id, match.id, accept=False, reason="x" * 5001)


def test_explanation_shows_factors_and_hides_unshared_scores(world, people):
    staff, mentee, mentor = people
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    raw = Match.objects.get(pk=match.id)
    raw.explanation = {
        "score": 0.8, "pinned": True,
        "factors": [{"factor": "skills", "weight": 1.0, "value": 0.8, "contribution": 0.8, "neutral": False,
                     "note": "1 shared skill"}],
        "evidence": {"shared_skills": ["python"], "overlapping_hours": 2, "shared_languages": ["en"],
                     "shared_terms": ["data"],
                     "complementary_areas": [{"area": "Labs", "mentee_score": 0.3, "mentor_score": 0.9}]},
    }
    raw.save()
    seen_by_mentee = api.get_match_explanation(mentee.id, match.id)
    assert seen_by_mentee.available and [f.factor for f in seen_by_mentee.factors] == ["skills"]
    assert seen_by_mentee.evidence.shared_skills == ("python",)
    assert seen_by_mentee.evidence.complementary_areas[0].mentor_score == 0.9
    api.update_profile(mentor.id, COURSE, share_performance=False)
    area = api.get_match_explanation(mentee.id, match.id).evidence.complementary_areas[0]
    assert area.mentee_score == 0.3 and area.mentor_score is None
    assert api.get_my_match(mentee.id, match.id).partner.qualifications == ()
    area = api.get_match_explanation(mentor.id, match.id).evidence.complementary_areas[0]
    assert area.mentor_score == 0.9  # one's own score is always shown
    with pytest.raises(errors.NotFound):
        api.get_match_explanation(world.mentee().id, match.id)


def test_explanation_missing_is_reported_not_invented(people, monkeypatch):
    staff, mentee, mentor = people
    monkeypatch.setattr(runs, "engine", lambda: (_ for _ in ()).throw(RuntimeError("no engine")))
    match = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    explanation = api.get_match_explanation(mentee.id, match.id)
    assert not explanation.available and explanation.factors == () and explanation.origin is MatchOrigin.STAFF


def test_list_my_matches_orders_active_first(world, people):
    staff, mentee, mentor = people
    first = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    api.end_match(staff.id, first.id)
    second = api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=world.mentor().id)
    assert [v.id for v in api.list_my_matches(mentee.id, COURSE)] == [second.id, first.id]
    with pytest.raises(errors.NotFound):
        api.list_my_matches(world.enroll(world.user()).id, COURSE)


def test_staff_lists_and_private_profile_is_audited(world, people):
    staff, mentee, mentor = people
    api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    everyone = api.list_participants(staff.id, COURSE)
    assert [p.username for p in everyone] == [mentee.username, mentor.username]
    assert everyone[0].has_open_match_as_mentee and everyone[1].load == 1
    assert everyone[1].grade == pytest.approx(0.92)
    assert [p.user_id for p in api.list_participants(staff.id, COURSE, role="mentor")] == [mentor.id]
    assert api.list_participants(staff.id, COURSE, status="paused") == []
    with pytest.raises(errors.ValidationError):
        api.list_participants(staff.id, COURSE, role="coach")
    with pytest.raises(errors.ValidationError):
        api.list_participants(staff.id, COURSE, status="gone")
    assert len(api.list_matches(staff.id, COURSE, status="active")) == 1
    assert api.list_matches(staff.id, COURSE, status="declined") == []
    with pytest.raises(errors.ValidationError):
        api.list_matches(staff.id, COURSE, status="maybe")
    participant_id = everyone[0].id
    assert not AuditEvent.objects.filter(action="view_private_profile").exists()
    profile = api.get_participant_profile(staff.id, participant_id)
    assert profile.aspirations == "Data job"
    event = AuditEvent.objects.get(action="view_private_profile")
    assert (event.actor_id, event.subject_user_id, event.target_id) == (staff.id, mentee.id, participant_id)


def test_export_csv_is_audited_and_safe(world, people):
    staff, mentee, mentor = people
    sneaky = world.mentee("=HYPERLINK")
    api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    api.create_match(staff.id, COURSE, mentee_user_id=sneaky.id, mentor_user_id=mentor.id)
    rows = list(csv.DictReader(io.StringIO(api.export_matches_csv(staff.id, COURSE))))
    assert [row["mentee_username"] for row in rows] == [mentee.username, "'=HYPERLINK"]
    assert rows[0]["status"] == "active" and rows[0]["mentor_user_id"] == str(mentor.id)
    assert "Data job" not in str(rows)
    assert AuditEvent.objects.get(action="export_matches").details == {"rows": 2}


def test_notices_read_and_scoped(world, people):
    staff, mentee, mentor = people
    api.create_match(staff.id, COURSE, mentee_user_id=mentee.id, mentor_user_id=mentor.id)
    notices = api.list_notices(mentee.id, COURSE)
    assert len(notices) == 1 and not notices[0].read and "mentoring" in notices[0].message
    assert api.get_viewer(mentee.id, COURSE).unread_notices == 1
    assert api.mark_notices_read(mentor.id, COURSE, [notices[0].id]) == 0  # not the mentor's notice
    assert api.mark_notices_read(mentee.id, COURSE, [notices[0].id]) == 1
    assert api.list_notices(mentee.id, COURSE, unread_only=True) == []
    assert api.mark_notices_read(mentor.id, COURSE) == 1
    with pytest.raises(errors.NotFound):
        api.list_notices(mentee.id, OTHER_COURSE)
