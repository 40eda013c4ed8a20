"""REST API v1 URLs, under ``/api/ementor/v1/`` (the platform's plugin loader mounts ``^api/ementor/``).

``{course_id}`` takes any path segment, so a malformed course key reaches the view and answers 400 (not an
HTML 404 from the router).
"""

from django.urls import path

from . import views
from .schema import SchemaView

_PROGRAM = "programs/<str:course_id>/"

#: The endpoints (what the schema describes).
api_urlpatterns = [
    path(_PROGRAM, views.ProgramView.as_view(), name="program"),
    path(f"{_PROGRAM}participants/me/", views.MyParticipationView.as_view(), name="my-participation"),
    path(f"{_PROGRAM}participants/", views.ParticipantListView.as_view(), name="participants"),
    path(f"{_PROGRAM}goals/", views.GoalListView.as_view(), name="goals"),
    path(f"{_PROGRAM}goals/<int:goal_id>/", views.GoalDetailView.as_view(), name="goal"),
    path(f"{_PROGRAM}matches/me/", views.MyMatchListView.as_view(), name="my-matches"),
    path(f"{_PROGRAM}matches/<int:match_id>/response/", views.MatchResponseView.as_view(), name="match-response"),
    path(f"{_PROGRAM}matches/", views.MatchListView.as_view(), name="matches"),
    path(f"{_PROGRAM}matches/<int:match_id>/", views.MatchDetailView.as_view(), name="match"),
    path(f"{_PROGRAM}runs/", views.RunListView.as_view(), name="runs"),
    path(f"{_PROGRAM}runs/<int:run_id>/", views.RunDetailView.as_view(), name="run"),
]

urlpatterns = [
    *api_urlpatterns,
    path("schema/", SchemaView.as_view(), name="schema"),
]
