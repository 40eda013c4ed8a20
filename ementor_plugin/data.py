"""The public data of ``ementor_plugin``: what ``api`` functions return and accept.

Stdlib only (frozen dataclasses and string enums), so the XBlock, REST serializers and tasks can use these
types without touching models. Course keys are strings (``str(course_key)``); times are aware datetimes in UTC.
Free text is returned decrypted only to whom it may be shown; objects meant for staff lists carry none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

__all__ = [
    "AreaEvidenceData",
    "AreaScore",
    "EvidenceData",
    "ExperienceLevel",
    "ExplanationData",
    "FactorData",
    "FactorWeight",
    "GoalAlignment",
    "GoalData",
    "GoalStatus",
    "GoalSuggestion",
    "GoalUpdateData",
    "MatchOrigin",
    "MatchResponse",
    "MatchStatus",
    "MatchSummary",
    "MatchView",
    "MatchingOverview",
    "NoticeData",
    "NoticeKind",
    "Objective",
    "ParticipantData",
    "ParticipantStatus",
    "ParticipantSummary",
    "PartnerProfile",
    "ProgramData",
    "ProgramFigures",
    "QualificationData",
    "Role",
    "RunData",
    "RunStatus",
    "RunTrigger",
    "Schedule",
    "Strategy",
    "ViewerData",
]


# ----------------------------------------------------------------------------------------------------------------
# Enumerations (string values are what the database, JSON and REST use)
# ----------------------------------------------------------------------------------------------------------------


class Role(StrEnum):
    """What a participant does in a program."""

    MENTEE = "mentee"
    MENTOR = "mentor"
    BOTH = "both"

    @property
    def mentors(self) -> bool:
        """Whether this role takes mentees."""
        return self in (Role.MENTOR, Role.BOTH)

    @property
    def wants_mentor(self) -> bool:
        """Whether this role is looking for a mentor."""
        return self in (Role.MENTEE, Role.BOTH)


class ParticipantStatus(StrEnum):
    """Whether a participant takes part in matching."""

    ACTIVE = "active"  #: matched in the next run
    PAUSED = "paused"  #: keeps current matches, gets no new ones
    WITHDRAWN = "withdrawn"  #: left the program (or the course); matches ended


class ExperienceLevel(StrEnum):
    """How experienced a participant says they are in the course's subject."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    EXPERT = "expert"


class Strategy(StrEnum):
    """How matching chooses pairs (see ``matching.MatchConfig``)."""

    OPTIMAL = "optimal"  #: the largest total suitability
    STABLE = "stable"  #: no mentee and mentor would both rather be together


class Objective(StrEnum):
    """What the optimal strategy maximises first."""

    SCORE = "score"
    COVERAGE = "coverage"


class Schedule(StrEnum):
    """When matching runs by itself."""

    MANUAL = "manual"
    DAILY = "daily"
    WEEKLY = "weekly"


class MatchStatus(StrEnum):
    """The life of a match. Proposed and active matches are *open*: they hold the mentee and a mentor's place."""

    PROPOSED = "proposed"  #: made by a run, waiting for staff approval; learners do not see it yet
    ACTIVE = "active"  #: visible to both learners
    DECLINED = "declined"  #: one side declined it
    ENDED = "ended"  #: ended by staff, by withdrawal, unenrollment or retirement


class MatchOrigin(StrEnum):
    """What made a match."""

    RUN = "run"
    STAFF = "staff"


class MatchResponse(StrEnum):
    """One side's answer to an active match."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class GoalStatus(StrEnum):
    """Where a goal stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class RunStatus(StrEnum):
    """The life of a matching run. Queued and running runs are *open*: at most one per program."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STALE = "stale"  #: its worker stopped reporting; a new run may be requested


class RunTrigger(StrEnum):
    """Who or what asked for a run."""

    STAFF = "staff"
    SCHEDULE = "schedule"


class NoticeKind(StrEnum):
    """In-course notices a learner is shown."""

    MATCH_PROPOSED = "match_proposed"  #: a pairing awaits staff review (no partner named yet)
    MATCH_MADE = "match_made"
    MATCH_ENDED = "match_ended"
    MATCH_DECLINED = "match_declined"  #: the partner declined
    INVITED_TO_MENTOR = "invited_to_mentor"  #: the course grade reached the program's threshold


# ----------------------------------------------------------------------------------------------------------------
# Programs
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramData:
    """A course's mentoring program and the configuration its course team chose.

    Attributes:
        weights: factor -> non-negative weight as configured (not normalised); factors are those of ``matching``.
        mentor_grade_threshold: course grade in [0, 1] from which a learner is invited to mentor.
        weak_area_threshold: an area scored below this (in [0, 1]) counts as weak; a learner whose course
            grade is below it is invited to get a mentor.
        skills: the skills list offered; participants pick from it and may add their own skills as free text.
        is_enrollment_open: whether learners may join now (inside the enrollment window).
    """

    course_key: str
    title: str
    pitch: str
    benefits: str
    outcomes: str
    enrollment_opens: datetime | None
    enrollment_closes: datetime | None
    is_enrollment_open: bool
    strategy: Strategy
    objective: Objective
    weights: Mapping[str, float]
    min_score: float
    language_required: bool
    default_mentor_capacity: int
    max_mentor_capacity: int
    mentor_grade_threshold: float
    weak_area_threshold: float
    requires_approval: bool
    schedule: Schedule
    skills: tuple[str, ...]
    created: datetime
    modified: datetime


@dataclass(frozen=True)
class ProgramFigures:
    """Live figures for the recruitment panel ("38 learners already paired").

    Attributes:
        participants: active and paused participants.
        paired_learners: distinct learners (mentees and mentors) in an active match now.
        matches_made: matches ever made active in the program, including those of since-retired learners.
        open_mentor_places: free places of active mentors.
        waiting_mentees: active mentees without an open match.
    """

    course_key: str
    participants: int
    mentors: int
    mentees: int
    active_matches: int
    paired_learners: int
    matches_made: int
    open_mentor_places: int
    waiting_mentees: int


@dataclass(frozen=True)
class FactorWeight:
    """One factor of matching with its share of the score and what it measures."""

    factor: str
    weight: float  #: normalised: the weights of a program sum to 1
    description: str


@dataclass(frozen=True)
class MatchingOverview:
    """How matching works in a program, in plain words, for every participant to read."""

    course_key: str
    strategy: Strategy
    objective: Objective
    factors: tuple[FactorWeight, ...]
    min_score: float
    language_required: bool
    requires_approval: bool
    description: str


# ----------------------------------------------------------------------------------------------------------------
# Participants
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaScore:
    """A learner's score in one graded area of the course."""

    area: str
    score: float


@dataclass(frozen=True)
class ParticipantData:
    """A participant's full profile, for the participant themself (or audited staff access).

    Attributes:
        availability: hour-of-week slots in UTC (0 = Monday 00:00 UTC .. 167).
        time_zone: the learner's IANA time zone, to show the slots in local time.
        load: open matches the participant holds as mentor (never above ``capacity``).
        consent_current: whether the consent given is for the current privacy notice version.
    """

    id: int
    user_id: int
    course_key: str
    role: Role
    status: ParticipantStatus
    skills_offered: tuple[str, ...]
    skills_wanted: tuple[str, ...]
    aspirations: str
    about: str
    languages: tuple[str, ...]
    availability: tuple[int, ...]
    time_zone: str
    capacity: int
    load: int
    experience_level: ExperienceLevel
    share_performance: bool
    consent_version: str
    consent_at: datetime | None
    consent_current: bool
    joined: datetime
    modified: datetime


@dataclass(frozen=True)
class ParticipantSummary:
    """A participant as course staff see them in lists: no private text."""

    id: int
    user_id: int
    username: str
    course_key: str
    role: Role
    status: ParticipantStatus
    capacity: int
    load: int
    has_open_match_as_mentee: bool
    grade: float | None
    joined: datetime


@dataclass(frozen=True)
class ViewerData:
    """Who the current user is with respect to a course's program: what the XBlock shows first.

    Attributes:
        program_exists: whether the course has a mentoring program at all.
        enrolled: whether the user is actively enrolled in the course.
        is_staff: whether the user is course staff (sees the staff panel).
        participant: the user's own profile, or None when they have not joined.
        grade: the user's course grade in [0, 1] when known.
        eligible_to_mentor: whether the grade reaches the program's mentor threshold.
        invited_as: the roles the program invites this learner to take, most fitting first.
        weak_areas / strong_areas: areas below the program's weak-area threshold / at or above the mentor
            threshold, weakest / strongest first.
        can_join: whether ``join_program`` would be allowed now (enrolled, enrollment window open, not joined).
        join_blocked_reason: a stable code when ``can_join`` is False (``"no_program"``, ``"not_enrolled"``,
            ``"enrollment_closed"``, ``"already_joined"``).
    """

    user_id: int
    course_key: str
    program_exists: bool
    enrolled: bool
    is_staff: bool
    participant: ParticipantData | None
    grade: float | None
    eligible_to_mentor: bool
    invited_as: tuple[Role, ...]
    weak_areas: tuple[AreaScore, ...]
    strong_areas: tuple[AreaScore, ...]
    can_join: bool
    join_blocked_reason: str | None
    privacy_notice_version: str
    consent_current: bool
    unread_notices: int


# ----------------------------------------------------------------------------------------------------------------
# Goals
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalUpdateData:
    """One progress update on a goal."""

    id: int
    progress: int  #: percent 0..100 after this update
    note: str
    created: datetime


@dataclass(frozen=True)
class GoalData:
    """A goal a participant set for themself."""

    id: int
    participant_id: int
    title: str
    success_criteria: str
    target_date: date | None
    status: GoalStatus
    progress: int
    suggestion_key: str
    updates: tuple[GoalUpdateData, ...]
    created: datetime
    modified: datetime


@dataclass(frozen=True)
class GoalSuggestion:
    """A goal the learner might adopt, personalised from their course performance and experience.

    Attributes:
        key: stable id of the suggestion (pass it to ``create_goal`` to remember where a goal came from).
        reason: why it is suggested, in plain words ("your Labs score is 45%").
    """

    key: str
    title: str
    success_criteria: str
    reason: str


@dataclass(frozen=True)
class GoalAlignment:
    """How the goals of the two people in a match line up.

    Attributes:
        score: Jaccard overlap of the two sides' goal themes, in [0, 1].
        shared_themes: themes found in both sides' goals, alphabetical.
        my_themes / partner_themes: themes found only on one side.
        supported_areas: the mentee's weak areas the mentor is strong in, when both shared their performance.
    """

    match_id: int
    score: float
    shared_themes: tuple[str, ...]
    my_themes: tuple[str, ...]
    partner_themes: tuple[str, ...]
    supported_areas: tuple[str, ...]


# ----------------------------------------------------------------------------------------------------------------
# Matches and explanations
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualificationData:
    """Evidence about a person the partner is shown; ``verified`` means the platform vouches for it."""

    kind: str  #: "course_grade" or "certificate"
    label: str
    value: float | str | None
    verified: bool


@dataclass(frozen=True)
class PartnerProfile:
    """What a participant may see of their partner.

    Text and schedule fields are filled only while the match is active; afterwards only the identity stays.

    Attributes:
        role: the partner's side of the match (``mentor`` or ``mentee``).
        overlapping_hours: hour-of-week slots (UTC) both are available.
        qualifications: the partner's course grade and certificate, if they chose to share their performance.
    """

    user_id: int | None
    username: str
    role: Role
    skills: tuple[str, ...]
    about: str
    aspirations: str
    languages: tuple[str, ...]
    time_zone: str
    overlapping_hours: tuple[int, ...]
    qualifications: tuple[QualificationData, ...]


@dataclass(frozen=True)
class FactorData:
    """One factor's part in a match's score (``contribution = weight * value``; contributions sum to the score)."""

    factor: str
    weight: float
    value: float
    contribution: float
    neutral: bool
    note: str


@dataclass(frozen=True)
class AreaEvidenceData:
    """A course area where the mentor is stronger. A score is None when its owner did not share it."""

    area: str
    mentee_score: float | None
    mentor_score: float | None


@dataclass(frozen=True)
class EvidenceData:
    """The facts behind the factors."""

    shared_skills: tuple[str, ...]
    complementary_areas: tuple[AreaEvidenceData, ...]
    overlapping_hours: int
    shared_languages: tuple[str, ...]
    shared_terms: tuple[str, ...]


@dataclass(frozen=True)
class ExplanationData:
    """Why two people were paired: the per-factor breakdown with its evidence, as seen by one of them.

    Attributes:
        available: False when no breakdown was stored (e.g. the explanation of an anonymised match).
    """

    match_id: int
    available: bool
    score: float | None
    factors: tuple[FactorData, ...]
    evidence: EvidenceData | None
    origin: MatchOrigin
    strategy: Strategy
    pinned: bool


@dataclass(frozen=True)
class MatchView:
    """A match as one of its two participants sees it."""

    id: int
    course_key: str
    status: MatchStatus
    my_role: Role
    partner: PartnerProfile
    score: float | None
    my_response: MatchResponse
    partner_response: MatchResponse
    created: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    end_reason: str


@dataclass(frozen=True)
class MatchSummary:
    """A match as course staff see it in lists: no private text."""

    id: int
    course_key: str
    status: MatchStatus
    mentee_participant_id: int | None
    mentee_user_id: int | None
    mentee_username: str
    mentor_participant_id: int | None
    mentor_user_id: int | None
    mentor_username: str
    score: float | None
    origin: MatchOrigin
    run_id: int | None
    mentee_response: MatchResponse
    mentor_response: MatchResponse
    created: datetime
    activated_at: datetime | None
    ended_at: datetime | None
    end_reason: str


# ----------------------------------------------------------------------------------------------------------------
# Runs and notices
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunData:
    """One execution of matching for a program.

    Attributes:
        stage: what the run is doing (``queued``, ``loading``, ``matching``, ``storing``, ``done``).
        percent: progress 0..100 for a progress bar.
        config: the program configuration the run used (a snapshot taken when it was requested).
        figures: results: ``n_mentees``, ``n_mentors``, ``n_matched``, ``n_new``, ``coverage``, ``mean_score``,
            ``min_score``, ``unmatched_reasons`` (code -> count), ``seconds`` (stage -> seconds) and more.
        error: a readable message when the run failed (no personal data).
    """

    id: int
    course_key: str
    status: RunStatus
    stage: str
    percent: int
    trigger: RunTrigger
    requested_by_user_id: int | None
    config: Mapping[str, object]
    figures: Mapping[str, object]
    error: str
    created: datetime
    started_at: datetime | None
    finished_at: datetime | None
    celery_task_id: str
    attempts: int = 0
    is_open: bool = field(default=False)


@dataclass(frozen=True)
class NoticeData:
    """An in-course notice for a learner (the XBlock shows unread ones)."""

    id: int
    course_key: str
    kind: NoticeKind
    match_id: int | None
    message: str
    created: datetime
    read: bool
