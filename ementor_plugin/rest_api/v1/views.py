"""REST API v1 views: plumbing between HTTP and ``ementor_plugin.api``.

Each view parses the course in the URL (malformed: 400), checks the caller's role where the endpoint is for a
role (course staff, enrolled learners), validates the body, makes one ``api`` call (two, in one transaction, for
a goal change with progress) and serialises the ``data`` object it gets back. ``api`` raises ``errors`` types;
``exceptions.handle_exception`` turns them into statuses and the shared error body. Records are always looked
up among the caller's own (or, for staff, among the course's), so another person's id answers 404.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ementor_plugin import api, errors
from ementor_plugin.data import MatchStatus, MatchSummary, MatchView, ParticipantStatus, ProgramData, Role

from . import serializers as s
from .authentication import authentication_classes
from .exceptions import handle_exception
from .pagination import Pagination, paginate
from .permissions import IsCourseStaff, IsCourseStaffOrNewProgram, IsEnrolledOrCourseStaff
from .schema import COURSE_ID, filter_parameter, id_parameter, responses, write_responses
from .throttles import RunThrottle, WriteThrottle

_JOIN_FIELDS = ("role", "consent_version")
_GOAL_FIELDS = ("title", "success_criteria", "target_date", "status")


class EmentorView(APIView):
    """What every eMentor endpoint shares: authentication, JSON in and out, write throttling, the error body."""

    parser_classes = (JSONParser,)
    renderer_classes = (JSONRenderer,)
    permission_classes = (IsAuthenticated,)
    throttle_classes = (WriteThrottle,)

    def get_authenticators(self):
        """JWT, the platform's bearer tokens (inside the LMS) and the session, resolved per request."""
        return [auth() for auth in authentication_classes()]

    def get_exception_handler(self):
        """Map ``errors`` types and DRF's errors to statuses with one body shape."""
        return handle_exception

    @property
    def user_id(self) -> int:
        """The caller's user id (the permission classes have already required authentication)."""
        return self.request.user.id

    @cached_property
    def course_key(self) -> str:
        """The course key in the URL, normalised.

        Raises:
            errors.ValidationError: the key is malformed (400, on ``course_id``).
        """
        try:
            return str(CourseKey.from_string(self.kwargs["course_id"]))
        except InvalidKeyError:
            raise errors.ValidationError({"course_id": [_("This is not a valid course id.")]}) from None

    def get_program(self) -> ProgramData:
        """The course's program, read once per request.

        Raises:
            errors.NotFound: the course has no program (or does not exist).
        """
        if not hasattr(self, "_program"):
            self._program = api.get_program(self.course_key)
        return self._program

    def valid(self, serializer_class: type[s.serializers.Serializer]) -> dict[str, Any]:
        """The request body checked by ``serializer_class``; only the fields the client sent.

        Raises:
            rest_framework.exceptions.ValidationError: the body is invalid (400 with ``field_errors``).
        """
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _object_id(value: int) -> int:
    # The URL converter takes any digits; a number no row can have names nothing (and would overflow the DB).
    if value > s.MAX_ID:
        raise errors.NotFound(_("This record does not exist."))
    return value


def _with(obj: Any, **extra: Any) -> dict[str, Any]:
    """A data object's fields plus ``extra``, for serialisers that add related data to it."""
    return {**vars(obj), **extra}


# ================================================================================================================
# Programs
# ================================================================================================================


class ProgramView(EmentorView):
    """``programs/{course_id}/``: the program as learners read it; its configuration for course staff."""

    def get_permissions(self):
        """Reading is for enrolled learners and staff; configuring for staff (and may create the program)."""
        if self.request.method == "PATCH":
            return [IsAuthenticated(), IsCourseStaffOrNewProgram()]
        return [IsAuthenticated(), IsEnrolledOrCourseStaff()]

    @extend_schema(
        operation_id="program_read",
        tags=["programs"],
        parameters=[COURSE_ID],
        responses=responses({200: s.ProgramSerializer}),
    )
    def get(self, request, course_id):
        """The program: title, pitch, enrollment window, how matching works (factors, weights, strategy), figures.

        **Example Request**: ``GET /api/ementor/v1/programs/course-v1:edX+DemoX+2026/``
        """
        return Response(self._detail(self.get_program()))

    @extend_schema(
        operation_id="program_configure",
        tags=["programs"],
        parameters=[COURSE_ID],
        request=s.ProgramUpdateSerializer,
        responses=write_responses({200: s.ProgramSerializer, 201: s.ProgramSerializer}),
    )
    def patch(self, request, course_id):
        """Configure the program (course staff); the first configuration creates it (201). Omitted fields stay.

        **Example Request**: ``PATCH .../programs/{course_id}/`` ``{"weights": {"skills": 2, "language": 1},
        "strategy": "stable"}``
        """
        changes = self.valid(s.ProgramUpdateSerializer)
        try:
            self.get_program()
            created = False
        except errors.NotFound:
            created = True
        program = api.configure_program(self.user_id, self.course_key, **changes)
        return Response(self._detail(program), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _detail(self, program: ProgramData) -> dict[str, Any]:
        key = self.course_key
        return s.ProgramSerializer(_with(
            program,
            matching=api.get_matching_overview(key),
            figures=api.get_program_figures(key),
            next_run_at=api.get_next_run_at(key),
        )).data


# ================================================================================================================
# Participants
# ================================================================================================================


class MyParticipationView(EmentorView):
    """``programs/{course_id}/participants/me/``: the caller's own participation."""

    @extend_schema(
        operation_id="participation_read",
        tags=["participants"],
        parameters=[COURSE_ID],
        responses=responses({200: s.ParticipantSerializer}),
    )
    def get(self, request, course_id):
        """The caller's role(s), profile and consent; 404 until they join."""
        return Response(s.ParticipantSerializer(api.get_profile(self.user_id, self.course_key)).data)

    @extend_schema(
        operation_id="participation_write",
        tags=["participants"],
        parameters=[COURSE_ID],
        request=s.ParticipationSerializer,
        responses=write_responses({200: s.ParticipantSerializer, 201: s.ParticipantSerializer}, 409),
    )
    def put(self, request, course_id):
        """Join the program, rejoin after withdrawing, or change one's profile.

        Joining answers 201 and needs ``role`` and ``consent_version``; a change answers 200, and fields left out
        keep their value.

        **Example Request**: ``PUT .../participants/me/`` ``{"role": "mentee", "consent_version": "2026-11",
        "skills_wanted": ["python"], "languages": ["en"], "availability": [18, 19, 42]}``
        """
        values = self.valid(s.ParticipationSerializer)
        try:
            current = api.get_profile(self.user_id, self.course_key)
        except errors.NotFound:
            current = None
        if current is not None and current.status != ParticipantStatus.WITHDRAWN:
            participant = api.update_profile(self.user_id, self.course_key, **values)
            return Response(s.ParticipantSerializer(participant).data)
        missing = {name: [_("This field is required to join.")] for name in _JOIN_FIELDS if name not in values}
        if missing:
            self.get_program()  # a course without a program answers 404, not a missing field
            raise errors.ValidationError(missing)
        participant = api.join_program(self.user_id, self.course_key, **values)
        return Response(s.ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="participation_withdraw",
        tags=["participants"],
        parameters=[COURSE_ID],
        responses=write_responses({204: None}),
    )
    def delete(self, request, course_id):
        """Withdraw: open matches end and partners are told; the profile stays for a possible rejoin."""
        api.withdraw(self.user_id, self.course_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ParticipantListView(EmentorView):
    """``programs/{course_id}/participants/``: the program's participants, for course staff."""

    pagination_class = Pagination  # lists answer one page (the schema learns the envelope from this)

    permission_classes = (IsAuthenticated, IsCourseStaff)

    @extend_schema(
        operation_id="participants_list",
        tags=["participants"],
        parameters=[
            COURSE_ID,
            filter_parameter("role", Role, "Only this role (`mentor` and `mentee` include those who are both)."),
            filter_parameter("status", ParticipantStatus, "Only participants with this status."),
        ],
        responses=responses({200: s.ParticipantSummarySerializer(many=True)}),
    )
    def get(self, request, course_id):
        """Participants, oldest first, without private text; filter by ``role`` and ``status``."""
        rows = api.list_participants(
            self.user_id, self.course_key, role=request.query_params.get("role"),
            status=request.query_params.get("status"),
        )
        return paginate(request, self, rows, lambda page: s.ParticipantSummarySerializer(page, many=True).data)


# ================================================================================================================
# Goals
# ================================================================================================================


class GoalListView(EmentorView):
    """``programs/{course_id}/goals/``: the caller's own goals."""

    pagination_class = Pagination  # lists answer one page (the schema learns the envelope from this)

    @extend_schema(
        operation_id="goals_list",
        tags=["goals"],
        parameters=[COURSE_ID],
        responses=responses({200: s.GoalSerializer(many=True)}),
    )
    def get(self, request, course_id):
        """The caller's goals, oldest first, with their progress updates."""
        rows = api.list_goals(self.user_id, self.course_key)
        return paginate(request, self, rows, lambda page: s.GoalSerializer(page, many=True).data)

    @extend_schema(
        operation_id="goals_create",
        tags=["goals"],
        parameters=[COURSE_ID],
        request=s.GoalCreateSerializer,
        responses=write_responses({201: s.GoalSerializer}, 409),
    )
    def post(self, request, course_id):
        """Add a goal (mentors and mentees each write their own).

        **Example Request**: ``POST .../goals/`` ``{"title": "Finish the labs", "target_date": "2026-12-20"}``
        """
        values = self.valid(s.GoalCreateSerializer)
        goal = api.create_goal(self.user_id, self.course_key, **values)
        return Response(s.GoalSerializer(goal).data, status=status.HTTP_201_CREATED)


class GoalDetailView(EmentorView):
    """``programs/{course_id}/goals/{goal_id}/``: one of the caller's goals."""

    def _own_goal(self, goal_id: int):
        goal_id = _object_id(goal_id)
        for goal in api.list_goals(self.user_id, self.course_key):
            if goal.id == goal_id:
                return goal
        raise errors.NotFound(_("This goal does not exist."))

    @extend_schema(
        operation_id="goals_update",
        tags=["goals"],
        parameters=[COURSE_ID, id_parameter("goal_id", "goal")],
        request=s.GoalChangeSerializer,
        responses=write_responses({200: s.GoalSerializer}),
    )
    def patch(self, request, course_id, goal_id):
        """Change the goal and/or record progress (``progress`` 0-100 with an optional ``note``), all or nothing.

        **Example Request**: ``PATCH .../goals/7/`` ``{"progress": 60, "note": "Lab 3 done"}``
        """
        goal = self._own_goal(goal_id)
        values = self.valid(s.GoalChangeSerializer)
        changes = {name: values[name] for name in _GOAL_FIELDS if name in values}
        with transaction.atomic():
            if changes:
                goal = api.update_goal(self.user_id, goal.id, **changes)
            if "progress" in values:
                goal = api.add_goal_progress(self.user_id, goal.id, progress=values["progress"],
                                             note=values.get("note", ""))
        return Response(s.GoalSerializer(goal).data)

    @extend_schema(
        operation_id="goals_delete",
        tags=["goals"],
        parameters=[COURSE_ID, id_parameter("goal_id", "goal")],
        responses=write_responses({204: None}),
    )
    def delete(self, request, course_id, goal_id):
        """Delete the goal and its progress updates."""
        goal = self._own_goal(goal_id)
        api.delete_goal(self.user_id, goal.id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ================================================================================================================
# Matches, as a participant
# ================================================================================================================


def my_match(user_id: int, match: MatchView) -> dict[str, Any]:
    """A match with its explanation and, while it is active, the partner's goals and the goals' alignment."""
    goals: list[Any] = []
    alignment = None
    if match.status == MatchStatus.ACTIVE:
        try:
            goals = api.get_partner_goals(user_id, match.id)
            alignment = api.get_goal_alignment(user_id, match.id)
        except errors.Conflict:
            pass  # the match ended a moment ago: shown as it now is, without the partner's goals
    explanation = api.get_match_explanation(user_id, match.id)
    return _with(match, explanation=explanation, partner_goals=goals, goal_alignment=alignment)


class MyMatchListView(EmentorView):
    """``programs/{course_id}/matches/me/``: the caller's matches."""

    pagination_class = Pagination  # lists answer one page (the schema learns the envelope from this)

    @extend_schema(
        operation_id="my_matches_list",
        tags=["matches"],
        parameters=[COURSE_ID],
        responses=responses({200: s.MyMatchSerializer(many=True)}),
    )
    def get(self, request, course_id):
        """The caller's matches, active first, then past ones.

        Each holds the partner's shared profile and qualifications, the partner's goals, the explanation (factors,
        weights, contributions, evidence) and how the two sides' goals align.
        """
        rows = api.list_my_matches(self.user_id, self.course_key)

        def serialize(page):
            return s.MyMatchSerializer([my_match(self.user_id, match) for match in page], many=True).data

        return paginate(request, self, rows, serialize)


class MatchResponseView(EmentorView):
    """``programs/{course_id}/matches/{match_id}/response/``: a side's answer to its match."""

    @extend_schema(
        operation_id="my_matches_respond",
        tags=["matches"],
        parameters=[COURSE_ID, id_parameter("match_id", "match")],
        request=s.MatchResponseSerializer,
        responses=write_responses({200: s.MyMatchSerializer}, 409),
    )
    def post(self, request, course_id, match_id):
        """Accept, or decline with a reason: declining ends the match and frees the slot for the next run.

        **Example Request**: ``POST .../matches/12/response/`` ``{"decision": "decline", "reason": "No overlap"}``
        """
        match = api.get_my_match(self.user_id, _object_id(match_id))
        if match.course_key != self.course_key:
            raise errors.NotFound(_("This pairing does not exist."))
        values = self.valid(s.MatchResponseSerializer)
        match = api.respond_to_match(self.user_id, match.id, accept=values["decision"] == "accept",
                                     reason=values["reason"])
        return Response(s.MyMatchSerializer(my_match(self.user_id, match)).data)


# ================================================================================================================
# Matches, for course staff
# ================================================================================================================


class MatchListView(EmentorView):
    """``programs/{course_id}/matches/``: the program's matches, for course staff."""

    pagination_class = Pagination  # lists answer one page (the schema learns the envelope from this)

    permission_classes = (IsAuthenticated, IsCourseStaff)

    @extend_schema(
        operation_id="matches_list",
        tags=["matches"],
        parameters=[COURSE_ID, filter_parameter("status", MatchStatus, "Only matches with this status.")],
        responses=responses({200: s.MatchSummarySerializer(many=True)}),
    )
    def get(self, request, course_id):
        """Matches, newest first, without private text; filter by ``status``."""
        rows = api.list_matches(self.user_id, self.course_key, status=request.query_params.get("status"))
        return paginate(request, self, rows, lambda page: s.MatchSummarySerializer(page, many=True).data)


class MatchDetailView(EmentorView):
    """``programs/{course_id}/matches/{match_id}/``: staff actions on one match."""

    permission_classes = (IsAuthenticated, IsCourseStaff)

    @extend_schema(
        operation_id="matches_update",
        tags=["matches"],
        parameters=[COURSE_ID, id_parameter("match_id", "match")],
        request=s.MatchActionSerializer,
        responses=write_responses({200: s.MatchSummarySerializer}, 409),
    )
    def patch(self, request, course_id, match_id):
        """Approve a proposed match, end an open one, or give its mentee another mentor.

        ``action`` is ``approve``, ``end`` (with a ``reason`` code) or ``reassign`` (with ``mentor_user_id``; the
        answer is then the new match).

        **Example Request**: ``PATCH .../matches/12/`` ``{"action": "reassign", "mentor_user_id": 42}``
        """
        match = self._course_match(_object_id(match_id))
        values = self.valid(s.MatchActionSerializer)
        if values["action"] == "approve":
            result = api.approve_match(self.user_id, match.id)
        elif values["action"] == "end":
            result = api.end_match(self.user_id, match.id, reason=values["reason"])
        else:
            result = api.reassign_match(self.user_id, match.id, mentor_user_id=values["mentor_user_id"])
        return Response(s.MatchSummarySerializer(result).data)

    def _course_match(self, match_id: int) -> MatchSummary:
        try:
            match = api.get_match(self.user_id, match_id)
        except errors.PermissionDenied:
            match = None  # another course's match: as good as absent from this one
        if match is None or match.course_key != self.course_key:
            raise errors.NotFound(_("This pairing does not exist."))
        return match


# ================================================================================================================
# Runs
# ================================================================================================================


class RunListView(EmentorView):
    """``programs/{course_id}/runs/``: matching runs, for course staff."""

    pagination_class = Pagination  # lists answer one page (the schema learns the envelope from this)

    permission_classes = (IsAuthenticated, IsCourseStaff)
    throttle_classes = (WriteThrottle, RunThrottle)

    @extend_schema(
        operation_id="runs_start",
        tags=["runs"],
        parameters=[COURSE_ID],
        request=None,
        responses=write_responses({202: s.RunSerializer}),
    )
    def post(self, request, course_id):
        """Start matching (202 with the run). A run already queued or running is returned, not duplicated."""
        run = api.request_run(self.user_id, self.course_key)
        return Response(s.RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="runs_list",
        tags=["runs"],
        parameters=[COURSE_ID],
        responses=responses({200: s.RunSerializer(many=True)}),
    )
    def get(self, request, course_id):
        """The program's most recent runs (up to 200), newest first."""
        rows = api.list_runs(self.user_id, self.course_key, limit=200)
        return paginate(request, self, rows, lambda page: s.RunSerializer(page, many=True).data)


class RunDetailView(EmentorView):
    """``programs/{course_id}/runs/{run_id}/``: one run, polled while it works."""

    permission_classes = (IsAuthenticated, IsCourseStaff)

    @extend_schema(
        operation_id="runs_read",
        tags=["runs"],
        parameters=[COURSE_ID, id_parameter("run_id", "run")],
        responses=responses({200: s.RunSerializer}),
    )
    def get(self, request, course_id, run_id):
        """Status, stage, progress and, once done, the figures."""
        try:
            run = api.get_run(self.user_id, _object_id(run_id))
        except errors.PermissionDenied:
            run = None  # another course's run
        if run is None or run.course_key != self.course_key:
            raise errors.NotFound(_("This matching run does not exist."))
        return Response(s.RunSerializer(run).data)
