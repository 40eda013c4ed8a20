"""Shapes of the REST API v1: what requests may carry and what responses hold.

Output serializers read the frozen ``ementor_plugin.data`` objects ``api`` returns (attribute access, nothing
more). Input serializers check types and simple bounds so the schema tells clients the rules; ``api`` checks
everything again (vocabularies, cross-field rules, eligibility) and its per-field messages reach the client in
the same ``field_errors`` shape.
"""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ementor_plugin import validation as rules
from ementor_plugin.data import (
    ExperienceLevel,
    GoalStatus,
    MatchOrigin,
    MatchResponse,
    MatchStatus,
    Objective,
    ParticipantStatus,
    Role,
    RunStatus,
    RunTrigger,
    Schedule,
    Strategy,
)

MAX_ID = 2**63 - 1  # the largest id a database row can have; larger numbers can name nothing


def _choices(enum) -> list[str]:
    return [member.value for member in enum]


def _text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, allow_blank=True, **kwargs)


# ================================================================================================================
# Errors
# ================================================================================================================


class ErrorSerializer(serializers.Serializer):
    """Every error response: a stable code, a readable message and, for invalid input, messages per field."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`, `invalid`, `conflict`.")
    message = serializers.CharField(help_text="The problem in plain words.")
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name -> messages (only for invalid input). `__all__` holds problems of no single field.",
    )


# ================================================================================================================
# Programs
# ================================================================================================================


class FactorWeightSerializer(serializers.Serializer):
    """One factor of matching and its share of the score."""

    factor = serializers.CharField()
    weight = serializers.FloatField(help_text="Normalised: the weights of a program sum to 1.")
    description = serializers.CharField()


class MatchingOverviewSerializer(serializers.Serializer):
    """How matching works in the program, in plain words."""

    strategy = serializers.ChoiceField(choices=_choices(Strategy))
    objective = serializers.ChoiceField(choices=_choices(Objective))
    factors = FactorWeightSerializer(many=True)
    min_score = serializers.FloatField()
    language_required = serializers.BooleanField()
    requires_approval = serializers.BooleanField()
    description = serializers.CharField()


class ProgramFiguresSerializer(serializers.Serializer):
    """Live, anonymous figures for the recruitment panel."""

    participants = serializers.IntegerField()
    mentors = serializers.IntegerField()
    mentees = serializers.IntegerField()
    active_matches = serializers.IntegerField()
    paired_learners = serializers.IntegerField()
    matches_made = serializers.IntegerField()
    open_mentor_places = serializers.IntegerField()
    waiting_mentees = serializers.IntegerField()


class ProgramSerializer(serializers.Serializer):
    """A course's mentoring program: its pitch, configuration, how matching works and live figures."""

    course_key = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    pitch = serializers.CharField(allow_blank=True)
    benefits = serializers.CharField(allow_blank=True)
    outcomes = serializers.CharField(allow_blank=True)
    enrollment_opens = serializers.DateTimeField(allow_null=True)
    enrollment_closes = serializers.DateTimeField(allow_null=True)
    is_enrollment_open = serializers.BooleanField()
    strategy = serializers.ChoiceField(choices=_choices(Strategy))
    objective = serializers.ChoiceField(choices=_choices(Objective))
    weights = serializers.DictField(child=serializers.FloatField(), help_text="Factor -> weight as configured.")
    min_score = serializers.FloatField()
    language_required = serializers.BooleanField()
    default_mentor_capacity = serializers.IntegerField()
    max_mentor_capacity = serializers.IntegerField()
    mentor_grade_threshold = serializers.FloatField()
    weak_area_threshold = serializers.FloatField()
    requires_approval = serializers.BooleanField()
    schedule = serializers.ChoiceField(choices=_choices(Schedule))
    skills = serializers.ListField(child=serializers.CharField())
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    matching = MatchingOverviewSerializer()
    figures = ProgramFiguresSerializer()
    next_run_at = serializers.DateTimeField(
        allow_null=True, help_text="When the schedule runs matching next; null when staff start runs by hand."
    )


class ProgramUpdateSerializer(serializers.Serializer):
    """The configuration course staff may change; fields left out keep their value."""

    title = _text(255, required=False)
    pitch = _text(rules.MAX_PROGRAM_TEXT, required=False)
    benefits = _text(rules.MAX_PROGRAM_TEXT, required=False)
    outcomes = _text(rules.MAX_PROGRAM_TEXT, required=False)
    enrollment_opens = serializers.DateTimeField(allow_null=True, required=False)
    enrollment_closes = serializers.DateTimeField(allow_null=True, required=False)
    strategy = serializers.ChoiceField(choices=_choices(Strategy), required=False)
    objective = serializers.ChoiceField(choices=_choices(Objective), required=False)
    weights = serializers.DictField(
        child=serializers.FloatField(min_value=0),
        required=False,
        help_text="Factor -> non-negative weight (not all zero); factors left out weigh 0; `{}` restores defaults.",
    )
    min_score = serializers.FloatField(min_value=0, max_value=1, required=False)
    language_required = serializers.BooleanField(required=False)
    default_mentor_capacity = serializers.IntegerField(min_value=1, max_value=rules.MAX_CAPACITY, required=False)
    max_mentor_capacity = serializers.IntegerField(min_value=1, max_value=rules.MAX_CAPACITY, required=False)
    mentor_grade_threshold = serializers.FloatField(min_value=0, max_value=1, required=False)
    weak_area_threshold = serializers.FloatField(min_value=0, max_value=1, required=False)
    requires_approval = serializers.BooleanField(required=False)
    schedule = serializers.ChoiceField(choices=_choices(Schedule), required=False)
    skills = serializers.ListField(
        child=serializers.CharField(max_length=rules.MAX_SKILL),
        max_length=rules.MAX_PROGRAM_SKILLS,
        required=False,
        help_text="The skills participants pick from; they may also type their own.",
    )


# ================================================================================================================
# Participants
# ================================================================================================================


class ParticipantSerializer(serializers.Serializer):
    """The caller's own participation, private text included."""

    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    course_key = serializers.CharField()
    role = serializers.ChoiceField(choices=_choices(Role))
    status = serializers.ChoiceField(choices=_choices(ParticipantStatus))
    skills_offered = serializers.ListField(child=serializers.CharField())
    skills_wanted = serializers.ListField(child=serializers.CharField())
    aspirations = serializers.CharField(allow_blank=True)
    about = serializers.CharField(allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField())
    availability = serializers.ListField(child=serializers.IntegerField(), help_text="Hour-of-week slots in UTC.")
    time_zone = serializers.CharField(allow_blank=True)
    capacity = serializers.IntegerField()
    load = serializers.IntegerField()
    experience_level = serializers.ChoiceField(choices=_choices(ExperienceLevel))
    share_performance = serializers.BooleanField()
    consent_version = serializers.CharField(allow_blank=True)
    consent_at = serializers.DateTimeField(allow_null=True)
    consent_current = serializers.BooleanField()
    joined = serializers.DateTimeField()
    modified = serializers.DateTimeField()


class ParticipationSerializer(serializers.Serializer):
    """Joining (``role`` and ``consent_version`` required) or changing one's profile (any subset of fields)."""

    role = serializers.ChoiceField(choices=_choices(Role), required=False)
    consent_version = serializers.CharField(
        max_length=32, required=False, help_text="The privacy notice version accepted; must be the current one."
    )
    skills_offered = serializers.ListField(
        child=serializers.CharField(max_length=rules.MAX_SKILL), max_length=rules.MAX_SKILLS, required=False
    )
    skills_wanted = serializers.ListField(
        child=serializers.CharField(max_length=rules.MAX_SKILL), max_length=rules.MAX_SKILLS, required=False
    )
    aspirations = _text(rules.MAX_TEXT, required=False)
    about = _text(rules.MAX_TEXT, required=False)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=20), max_length=rules.MAX_LANGUAGES, required=False,
        help_text="Language codes such as `en` or `pt-br`.",
    )
    availability = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=rules.HOURS_PER_WEEK - 1),
        max_length=rules.HOURS_PER_WEEK,
        required=False,
        help_text="Hour-of-week slots in UTC: 0 is Monday 00:00, 167 is Sunday 23:00.",
    )
    time_zone = serializers.CharField(max_length=64, required=False, help_text="An IANA name such as Europe/Paris.")
    capacity = serializers.IntegerField(min_value=0, max_value=rules.MAX_CAPACITY, required=False)
    experience_level = serializers.ChoiceField(choices=_choices(ExperienceLevel), required=False)
    share_performance = serializers.BooleanField(required=False)


class ParticipantSummarySerializer(serializers.Serializer):
    """A participant as course staff see them in lists: no private text."""

    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    course_key = serializers.CharField()
    role = serializers.ChoiceField(choices=_choices(Role))
    status = serializers.ChoiceField(choices=_choices(ParticipantStatus))
    capacity = serializers.IntegerField()
    load = serializers.IntegerField()
    has_open_match_as_mentee = serializers.BooleanField()
    grade = serializers.FloatField(allow_null=True)
    joined = serializers.DateTimeField()


# ================================================================================================================
# Goals
# ================================================================================================================


class GoalUpdateSerializer(serializers.Serializer):
    """One progress update."""

    id = serializers.IntegerField()
    progress = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()


class GoalSerializer(serializers.Serializer):
    """One of the caller's goals, with its progress updates."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    success_criteria = serializers.CharField(allow_blank=True)
    target_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=_choices(GoalStatus))
    progress = serializers.IntegerField(help_text="Percent, 0 to 100.")
    suggestion_key = serializers.CharField(allow_blank=True)
    updates = GoalUpdateSerializer(many=True)
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()


class PartnerGoalSerializer(serializers.Serializer):
    """A partner's goal as the other side of an active match sees it (no progress notes)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    success_criteria = serializers.CharField(allow_blank=True)
    target_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=_choices(GoalStatus))
    progress = serializers.IntegerField()


class GoalCreateSerializer(serializers.Serializer):
    """A new goal."""

    title = serializers.CharField(max_length=rules.MAX_TITLE)
    success_criteria = _text(rules.MAX_TEXT, required=False, default="")
    target_date = serializers.DateField(allow_null=True, required=False, default=None)
    suggestion_key = _text(64, required=False, default="", help_text="The goal suggestion this goal adopts, if any.")


class GoalChangeSerializer(serializers.Serializer):
    """Changes to a goal and, optionally, a progress update (applied together or not at all)."""

    title = serializers.CharField(max_length=rules.MAX_TITLE, required=False)
    success_criteria = _text(rules.MAX_TEXT, required=False)
    target_date = serializers.DateField(allow_null=True, required=False)
    status = serializers.ChoiceField(choices=_choices(GoalStatus), required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text="Record progress.")
    note = _text(rules.MAX_TEXT, required=False, help_text="What happened; only with `progress`.")

    def validate(self, attrs):
        """A note belongs to a progress update."""
        if "note" in attrs and "progress" not in attrs:
            raise serializers.ValidationError({"note": ["Give the progress this note belongs to."]})
        return attrs


# ================================================================================================================
# Matches
# ================================================================================================================


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string"}], "nullable": True})
class QualificationValueField(serializers.Field):
    """A qualification's value: a grade (number), a label (text) or nothing."""

    def to_representation(self, value):
        """Numbers and text pass through as they are."""
        return value


class QualificationSerializer(serializers.Serializer):
    """Evidence about a mentor; ``verified`` means the platform vouches for it."""

    kind = serializers.CharField(help_text="`course_grade` or `certificate`.")
    label = serializers.CharField()
    value = QualificationValueField()
    verified = serializers.BooleanField()


class PartnerProfileSerializer(serializers.Serializer):
    """What the caller may see of their partner: the shared profile while the match is active, else the name."""

    user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_blank=True)
    role = serializers.ChoiceField(choices=_choices(Role))
    skills = serializers.ListField(child=serializers.CharField())
    about = serializers.CharField(allow_blank=True)
    aspirations = serializers.CharField(allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField())
    time_zone = serializers.CharField(allow_blank=True)
    overlapping_hours = serializers.ListField(child=serializers.IntegerField())
    qualifications = QualificationSerializer(many=True)


class FactorSerializer(serializers.Serializer):
    """One factor's part in the match's score (``contribution = weight * value``)."""

    factor = serializers.CharField()
    weight = serializers.FloatField()
    value = serializers.FloatField()
    contribution = serializers.FloatField()
    neutral = serializers.BooleanField(help_text="True when the factor could not be measured for this pair.")
    note = serializers.CharField(allow_blank=True)


class AreaEvidenceSerializer(serializers.Serializer):
    """A course area where the mentor is stronger; a score is null when its owner does not share it."""

    area = serializers.CharField()
    mentee_score = serializers.FloatField(allow_null=True)
    mentor_score = serializers.FloatField(allow_null=True)


class EvidenceSerializer(serializers.Serializer):
    """The facts behind the factors."""

    shared_skills = serializers.ListField(child=serializers.CharField())
    complementary_areas = AreaEvidenceSerializer(many=True)
    overlapping_hours = serializers.IntegerField()
    shared_languages = serializers.ListField(child=serializers.CharField())
    shared_terms = serializers.ListField(child=serializers.CharField())


class ExplanationSerializer(serializers.Serializer):
    """Why the two were paired: each factor's weight, value and contribution, and the evidence."""

    available = serializers.BooleanField()
    score = serializers.FloatField(allow_null=True)
    factors = FactorSerializer(many=True)
    evidence = EvidenceSerializer(allow_null=True)
    origin = serializers.ChoiceField(choices=_choices(MatchOrigin))
    strategy = serializers.ChoiceField(choices=_choices(Strategy))
    pinned = serializers.BooleanField()


class GoalAlignmentSerializer(serializers.Serializer):
    """How the two sides' goals line up."""

    score = serializers.FloatField(help_text="Overlap of the two sides' goal themes, 0 to 1.")
    shared_themes = serializers.ListField(child=serializers.CharField())
    my_themes = serializers.ListField(child=serializers.CharField())
    partner_themes = serializers.ListField(child=serializers.CharField())
    supported_areas = serializers.ListField(child=serializers.CharField())


class MyMatchSerializer(serializers.Serializer):
    """One of the caller's matches: the partner, the explanation and, while active, goals and their alignment."""

    id = serializers.IntegerField()
    course_key = serializers.CharField()
    status = serializers.ChoiceField(choices=_choices(MatchStatus))
    my_role = serializers.ChoiceField(choices=_choices(Role))
    partner = PartnerProfileSerializer()
    score = serializers.FloatField(allow_null=True)
    my_response = serializers.ChoiceField(choices=_choices(MatchResponse))
    partner_response = serializers.ChoiceField(choices=_choices(MatchResponse))
    created = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField(allow_blank=True)
    explanation = ExplanationSerializer()
    partner_goals = PartnerGoalSerializer(many=True)
    goal_alignment = GoalAlignmentSerializer(allow_null=True)


class MatchResponseSerializer(serializers.Serializer):
    """A side's answer to an active match."""

    decision = serializers.ChoiceField(choices=["accept", "decline"])
    reason = _text(
        rules.MAX_TEXT, required=False, default="", help_text="Why (declining); for the course team, never the partner."
    )


class MatchSummarySerializer(serializers.Serializer):
    """A match as course staff see it: no private text."""

    id = serializers.IntegerField()
    course_key = serializers.CharField()
    status = serializers.ChoiceField(choices=_choices(MatchStatus))
    mentee_participant_id = serializers.IntegerField(allow_null=True)
    mentee_user_id = serializers.IntegerField(allow_null=True)
    mentee_username = serializers.CharField(allow_blank=True)
    mentor_participant_id = serializers.IntegerField(allow_null=True)
    mentor_user_id = serializers.IntegerField(allow_null=True)
    mentor_username = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    origin = serializers.ChoiceField(choices=_choices(MatchOrigin))
    run_id = serializers.IntegerField(allow_null=True)
    mentee_response = serializers.ChoiceField(choices=_choices(MatchResponse))
    mentor_response = serializers.ChoiceField(choices=_choices(MatchResponse))
    created = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField(allow_blank=True)


class MatchActionSerializer(serializers.Serializer):
    """A staff action on a match: approve a proposed one, end an open one, or give its mentee another mentor."""

    action = serializers.ChoiceField(choices=["approve", "end", "reassign"])
    reason = serializers.RegexField(
        r"^[A-Za-z0-9_-]+$", max_length=16, required=False, default="staff",
        help_text="With `end`: a short code recorded as the end reason.",
    )
    mentor_user_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="With `reassign`: the new mentor's user id."
    )

    def validate(self, attrs):
        """Reassigning names the new mentor."""
        if attrs["action"] == "reassign" and "mentor_user_id" not in attrs:
            raise serializers.ValidationError({"mentor_user_id": ["Name the new mentor."]})
        return attrs


# ================================================================================================================
# Runs
# ================================================================================================================


class JSONObjectField(serializers.DictField):
    """A free-form JSON object; numbers JSON cannot carry (NaN, infinities) become null instead of a server error."""

    def to_representation(self, value):
        """The object with every non-finite number replaced by None."""
        return _finite(super().to_representation(value))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


class RunSerializer(serializers.Serializer):
    """A matching run: its status and progress while it works, its figures once done."""

    id = serializers.IntegerField()
    course_key = serializers.CharField()
    status = serializers.ChoiceField(choices=_choices(RunStatus))
    stage = serializers.CharField(allow_blank=True)
    percent = serializers.IntegerField(help_text="Progress, 0 to 100.")
    trigger = serializers.ChoiceField(choices=_choices(RunTrigger))
    requested_by_user_id = serializers.IntegerField(allow_null=True)
    is_open = serializers.BooleanField(help_text="Queued or running.")
    config = JSONObjectField(help_text="The program configuration the run uses.")
    figures = JSONObjectField(help_text="Results: n_mentees, n_matched, coverage, mean_score, seconds, ...")
    error = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    created = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
