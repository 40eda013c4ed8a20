"""eMentor's tables. Private to the app: everything else goes through ``ementor_plugin.api``.

Two rules are enforced by the database itself, so they hold under concurrent writers on every backend
(MariaDB/MySQL has no partial unique indexes, hence the designs below):

* A mentee holds at most one *open* (proposed or active) match per program: ``Match.open_key`` is the mentee's
  participant id while the match is open and NULL otherwise, under a plain UNIQUE constraint (NULLs never
  clash), and a CHECK ties ``open_key`` to the status.
* A mentor never holds more open matches than their capacity: ``Participant.mentor_load`` counts them, under a
  CHECK ``0 <= mentor_load <= capacity``; the API changes it with ``F()`` updates inside the transaction that
  opens or closes the match, after locking the mentor's row.

The same trick keeps one queued-or-running ``MatchRun`` per program (``MatchRun.open_key``).

Free text people write about themselves is encrypted (``fields.EncryptedTextField``); nothing filters on it.
"""

from __future__ import annotations

import django
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from opaque_keys.edx.django.models import CourseKeyField

from .data import (
    ExperienceLevel,
    GoalStatus,
    MatchOrigin,
    MatchResponse,
    MatchStatus,
    NoticeKind,
    Objective,
    ParticipantStatus,
    Role,
    RunStatus,
    RunTrigger,
    Schedule,
    Strategy,
)
from .fields import EncryptedJSONField, EncryptedTextField

# Plain strings (not enum members) so migrations do not depend on data.py.
OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED.value, MatchStatus.ACTIVE.value)
OPEN_RUN_STATUSES = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)


def check_constraint(condition: Q, name: str) -> models.CheckConstraint:
    """A CHECK constraint on Django 4.2 and 5.x alike (5.1 renamed the ``check`` argument to ``condition``)."""
    keyword = "condition" if django.VERSION >= (5, 1) else "check"
    return models.CheckConstraint(**{keyword: condition}, name=name)


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("_", " ").capitalize()) for member in enum]


class TimeStampedModel(models.Model):
    """Creation and last-change times, as every eMentor table keeps them."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Program(TimeStampedModel):
    """A course's mentoring program and everything its course team configures in Studio.

    .. no_pii: Course-level configuration written by course staff; it holds no learner data.
    """

    course_key = CourseKeyField(max_length=255, unique=True)
    title = models.CharField(max_length=255, blank=True, default="")
    pitch = models.TextField(blank=True, default="")
    benefits = models.TextField(blank=True, default="")
    outcomes = models.TextField(blank=True, default="")
    enrollment_opens = models.DateTimeField(null=True, blank=True)
    enrollment_closes = models.DateTimeField(null=True, blank=True)
    strategy = models.CharField(max_length=16, choices=_choices(Strategy), default=Strategy.OPTIMAL.value)
    objective = models.CharField(max_length=16, choices=_choices(Objective), default=Objective.SCORE.value)
    #: factor name -> non-negative number (the matching library's factors); normalised when matching.
    weights = models.JSONField(default=dict, blank=True)
    min_score = models.FloatField(default=0.0)
    language_required = models.BooleanField(default=False)
    default_mentor_capacity = models.PositiveSmallIntegerField(default=2)
    max_mentor_capacity = models.PositiveSmallIntegerField(default=5)
    mentor_grade_threshold = models.FloatField(default=0.8)
    weak_area_threshold = models.FloatField(default=0.6)
    requires_approval = models.BooleanField(default=False)
    schedule = models.CharField(max_length=16, choices=_choices(Schedule), default=Schedule.MANUAL.value)
    #: the skills list offered to participants, who may add their own as free tags.
    skills = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            check_constraint(
                Q(min_score__gte=0) & Q(min_score__lte=1), name="ementor_program_min_score_unit"
            ),
            check_constraint(
                Q(mentor_grade_threshold__gte=0) & Q(mentor_grade_threshold__lte=1),
                name="ementor_program_threshold_unit",
            ),
            check_constraint(
                Q(default_mentor_capacity__lte=F("max_mentor_capacity")),
                name="ementor_program_default_capacity_le_max",
            ),
        ]

    def __str__(self):
        return f"Program {self.course_key}"


class Participant(TimeStampedModel):
    """A learner taking part in one program as mentee, mentor or both, with the profile matching uses.

    .. pii: Free-text aspirations and about (encrypted), skills, languages, weekly availability, time zone,
       experience level and the time consent was given, all linked to the user.
    .. pii_types: id, biography, location, other
    .. pii_retirement: local_api
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ementor_participations")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(max_length=8, choices=_choices(Role))
    status = models.CharField(
        max_length=12, choices=_choices(ParticipantStatus), default=ParticipantStatus.ACTIVE.value, db_index=True
    )
    #: why the status last changed, a code such as "unenrolled" (lets re-enrollment restore the participant).
    status_reason = models.CharField(max_length=32, blank=True, default="")
    skills_offered = models.JSONField(default=list, blank=True)
    skills_wanted = models.JSONField(default=list, blank=True)
    aspirations = EncryptedTextField(blank=True, default="")
    about = EncryptedTextField(blank=True, default="")
    languages = models.JSONField(default=list, blank=True)
    #: hour-of-week slots in UTC, 0 = Monday 00:00 .. 167 = Sunday 23:00.
    availability = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    capacity = models.PositiveSmallIntegerField(default=0)
    #: open (proposed or active) matches held as mentor; the CHECK below keeps it within capacity.
    mentor_load = models.PositiveSmallIntegerField(default=0)
    experience_level = models.CharField(
        max_length=16, choices=_choices(ExperienceLevel), default=ExperienceLevel.BEGINNER.value
    )
    share_performance = models.BooleanField(default=True)
    consent_version = models.CharField(max_length=32, blank=True, default="")
    consent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="ementor_participant_once_per_program"),
            check_constraint(
                Q(mentor_load__gte=0) & Q(mentor_load__lte=F("capacity")),
                name="ementor_participant_load_within_capacity",
            ),
        ]

    def __str__(self):
        return f"Participant {self.pk} ({self.role}) of {self.program.course_key}"


class Goal(TimeStampedModel):
    """A goal a participant sets for themself: what success looks like, by when, and how far they are.

    .. pii: Title and success criteria written by the learner (encrypted), linked to the participant.
    .. pii_types: other
    .. pii_retirement: local_api
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="goals")
    title = EncryptedTextField()
    success_criteria = EncryptedTextField(blank=True, default="")
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=_choices(GoalStatus), default=GoalStatus.OPEN.value)
    progress = models.PositiveSmallIntegerField(default=0)
    #: the key of the suggestion this goal was adopted from, if any (not personal: a code).
    suggestion_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            check_constraint(Q(progress__lte=100), name="ementor_goal_progress_percent"),
        ]

    def __str__(self):
        return f"Goal {self.pk} of participant {self.participant_id}"


class GoalUpdate(models.Model):
    """One progress update on a goal.

    .. pii: A note written by the learner (encrypted).
    .. pii_types: other
    .. pii_retirement: local_api
    """

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="updates")
    progress = models.PositiveSmallIntegerField()
    note = EncryptedTextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            check_constraint(Q(progress__lte=100), name="ementor_goalupdate_progress_percent"),
        ]

    def __str__(self):
        return f"Update {self.pk} of goal {self.goal_id}"


class MatchRun(models.Model):
    """One execution of matching for a program: who asked, the configuration used, progress and results.

    .. pii: The id of the staff user who requested it.
    .. pii_types: id
    .. pii_retirement: local_api
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(max_length=12, choices=_choices(RunTrigger), default=RunTrigger.STAFF.value)
    status = models.CharField(max_length=12, choices=_choices(RunStatus), default=RunStatus.QUEUED.value, db_index=True)
    #: the program's id while the run is queued or running, else NULL: one open run per program (UNIQUE).
    open_key = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    stage = models.CharField(max_length=32, default="queued")
    percent = models.PositiveSmallIntegerField(default=0)
    config = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    celery_task_id = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            check_constraint(
                (Q(status__in=OPEN_RUN_STATUSES) & Q(open_key__isnull=False))
                | (~Q(status__in=OPEN_RUN_STATUSES) & Q(open_key__isnull=True)),
                name="ementor_run_open_key_iff_open",
            ),
            check_constraint(Q(percent__lte=100), name="ementor_run_percent"),
        ]

    def __str__(self):
        return f"Run {self.pk} of {self.program.course_key} ({self.status})"


class Match(TimeStampedModel):
    """A mentee paired with a mentor, its explanation, and both sides' answers.

    The two participant links become NULL when one of them is retired, so the program keeps an anonymous
    count of matches made.

    .. pii: Links two learners; their encrypted reasons for declining; the encrypted explanation derived from
       both profiles; ids of the staff who made, approved or ended it.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="matches")
    mentee = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches_as_mentee"
    )
    mentor = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches_as_mentor"
    )
    status = models.CharField(max_length=12, choices=_choices(MatchStatus), db_index=True)
    #: the mentee's participant id while the match is open, else NULL: one open match per mentee (UNIQUE).
    open_key = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    score = models.FloatField(null=True, blank=True)
    #: ``matching.Match.to_dict()`` (factors and evidence), encrypted: the evidence quotes people's profiles.
    explanation = EncryptedJSONField(null=True, blank=True)
    origin = models.CharField(max_length=8, choices=_choices(MatchOrigin), default=MatchOrigin.RUN.value)
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="matches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    mentee_response = models.CharField(
        max_length=10, choices=_choices(MatchResponse), default=MatchResponse.PENDING.value
    )
    mentee_responded_at = models.DateTimeField(null=True, blank=True)
    mentee_reason = EncryptedTextField(blank=True, default="")
    mentor_response = models.CharField(
        max_length=10, choices=_choices(MatchResponse), default=MatchResponse.PENDING.value
    )
    mentor_responded_at = models.DateTimeField(null=True, blank=True)
    mentor_reason = EncryptedTextField(blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)
    #: a code: "declined", "staff", "reassigned", "withdrawn", "unenrolled", "retired".
    end_reason = models.CharField(max_length=16, blank=True, default="")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "matches"
        constraints = [
            check_constraint(
                (Q(status__in=OPEN_MATCH_STATUSES) & Q(open_key__isnull=False))
                | (~Q(status__in=OPEN_MATCH_STATUSES) & Q(open_key__isnull=True)),
                name="ementor_match_open_key_iff_open",
            ),
            check_constraint(
                Q(mentee__isnull=True) | Q(mentor__isnull=True) | ~Q(mentee=F("mentor")),
                name="ementor_match_not_self",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"], name="ementor_match_program_status")]

    def __str__(self):
        return f"Match {self.pk} ({self.status})"


class CoursePerformance(models.Model):
    """A learner's latest known standing in a course: grade, per-area scores, passing, certificate.

    Fed by the platform's grade events and by CSV imports; read when the platform's grades are not used.

    .. pii: A learner's course grade and per-area scores.
    .. pii_types: id, other
    .. pii_retirement: local_api
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course_key = CourseKeyField(max_length=255, db_index=True)
    grade = models.FloatField(null=True, blank=True)
    #: graded area (assignment type) -> score in [0, 1].
    areas = models.JSONField(default=dict, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    has_certificate = models.BooleanField(default=False)
    #: "openedx-events", "csv" or "lms".
    source = models.CharField(max_length=32)
    #: when the source says the figures were true (event time, import time).
    recorded_at = models.DateTimeField()
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course_key"], name="ementor_performance_once_per_course"),
        ]

    def __str__(self):
        return f"Performance of user {self.user_id} in {self.course_key}"


class Notice(models.Model):
    """An in-course notice for a learner ("you have a mentor"). The text is built when shown, from the kind.

    .. pii: Which learner is told about which match.
    .. pii_types: id
    .. pii_retirement: local_api
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=24, choices=_choices(NoticeKind))
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "program", "read_at"], name="ementor_notice_unread")]

    def __str__(self):
        return f"Notice {self.pk} ({self.kind})"


class AuditEvent(models.Model):
    """Who did what sensitive thing to which record, kept read-only once written.

    Audited: staff viewing private text, creating, approving, ending or reassigning matches, running matching,
    exporting, configuring a program, and user retirement.

    ``details`` holds ids and codes only, never text from a profile.

    .. pii: The acting user's id and the id of the user whose data was touched.
    .. pii_types: id
    .. pii_retirement: local_api
    """

    class Action(models.TextChoices):
        """The sensitive actions that are audited."""

        CONFIGURE_PROGRAM = "configure_program", _("Configure program")
        VIEW_PRIVATE_PROFILE = "view_private_profile", _("View a participant's private text")
        CREATE_MATCH = "create_match", _("Create a match")
        APPROVE_MATCH = "approve_match", _("Approve a match")
        END_MATCH = "end_match", _("End a match")
        REASSIGN_MATCH = "reassign_match", _("Reassign a match")
        REQUEST_RUN = "request_run", _("Request a matching run")
        EXPORT_MATCHES = "export_matches", _("Export matches")
        RETIRE_USER = "retire_user", _("Retire a user")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_type = models.CharField(max_length=32, blank=True, default="")
    target_id = models.BigIntegerField(null=True, blank=True)
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.action} on {self.target_type} {self.target_id} at {self.created:%Y-%m-%d %H:%M}"
