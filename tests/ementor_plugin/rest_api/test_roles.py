"""Every endpoint, called by every role: the status each role gets, and that errors keep the shared body shape.

401 for anonymous callers; 403 where the endpoint is for a role the caller lacks (course staff, enrolled
learners); 404 for records that are not the caller's (so ids leak nothing) and for learners' own records when
they have none.
"""

import pytest

from .conftest import CONSENT, ROLES, url

# Shorthands for rows of the table below.
STAFF_ONLY = {"anonymous": 401, "unenrolled": 403, "learner": 403, "partner": 403, "other": 403,
              "other_staff": 403, "staff": 200, "admin": 200}
OWN_RECORDS = {"anonymous": 401, "unenrolled": 404, "learner": 200, "partner": 200, "other": 200,
               "other_staff": 404, "staff": 404, "admin": 404}


def _with(table, **changes):
    return {**table, **changes}


def _ok(table, code):
    return {role: code if status == 200 else status for role, status in table.items()}


# (name, method, path(scene), body, {role: status})
ENDPOINTS = [
    ("program-read", "get", lambda sc: url("program"), None,
     _with(STAFF_ONLY, learner=200, partner=200, other=200)),
    ("program-configure", "patch", lambda sc: url("program"), {"pitch": "Meet a mentor"}, STAFF_ONLY),
    ("participation-read", "get", lambda sc: url("my-participation"), None, OWN_RECORDS),
    # Joined learners update their profile; the partner mentors someone, so cannot become a mentee only (400);
    # people who have not joined try to join and are not enrolled (403).
    ("participation-write", "put", lambda sc: url("my-participation"),
     {"role": "mentee", "consent_version": CONSENT, "about": "Hello"},
     _with(OWN_RECORDS, unenrolled=403, partner=400, other_staff=403, staff=403, admin=403)),
    ("participation-withdraw", "delete", lambda sc: url("my-participation"), None, _ok(OWN_RECORDS, 204)),
    ("participants-list", "get", lambda sc: url("participants"), None, STAFF_ONLY),
    ("goals-list", "get", lambda sc: url("goals"), None, OWN_RECORDS),
    ("goals-create", "post", lambda sc: url("goals"), {"title": "Read chapter 4"}, _ok(OWN_RECORDS, 201)),
    ("goals-update", "patch", lambda sc: url("goal", goal_id=sc.goal_id), {"progress": 40},
     _with(OWN_RECORDS, partner=404, other=404)),
    ("goals-delete", "delete", lambda sc: url("goal", goal_id=sc.goal_id), None,
     _with(_ok(OWN_RECORDS, 204), partner=404, other=404)),
    ("my-matches-list", "get", lambda sc: url("my-matches"), None, OWN_RECORDS),
    ("my-matches-respond", "post", lambda sc: url("match-response", match_id=sc.match_id), {"decision": "accept"},
     _with(OWN_RECORDS, other=404)),
    ("matches-list", "get", lambda sc: url("matches"), None, STAFF_ONLY),
    ("matches-update", "patch", lambda sc: url("match", match_id=sc.match_id), {"action": "end"}, STAFF_ONLY),
    ("runs-start", "post", lambda sc: url("runs"), None, _ok(STAFF_ONLY, 202)),
    ("runs-list", "get", lambda sc: url("runs"), None, STAFF_ONLY),
    ("runs-read", "get", lambda sc: url("run", run_id=sc.run_id), None, STAFF_ONLY),
    ("schema", "get", lambda sc: "/api/ementor/v1/schema/", None, dict.fromkeys(ROLES, 200)),
]


def test_the_table_covers_every_role_of_every_endpoint():
    assert all(set(table) == set(ROLES) for *_rest, table in ENDPOINTS)
    assert len({name for name, *_rest in ENDPOINTS}) == len(ENDPOINTS)


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "expected"),
    [
        pytest.param(role, method, path, body, table[role], id=f"{name}-{role}")
        for name, method, path, body, table in ENDPOINTS
        for role in ROLES
    ],
)
def test_endpoint_answers_each_role(scene, role, method, path, body, expected):
    response = getattr(scene.client(role), method)(path(scene), body, format="json")
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) >= {"code", "message"}
        assert set(response.json()) <= {"code", "message", "field_errors"}
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("JWT")


@pytest.mark.parametrize("role", ["learner", "partner"])
def test_each_side_sees_the_match_and_no_one_else_does(scene, role):
    matches = scene.client(role).get(url("my-matches")).json()["results"]
    assert [m["id"] for m in matches] == [scene.match_id]
    assert scene.client("other").get(url("my-matches")).json()["results"] == []


@pytest.mark.parametrize("role", ["learner", "partner", "other"])
def test_goal_lists_hold_only_ones_own_goals(scene, role):
    own = {"learner": scene.goal_id, "partner": scene.partner_goal_id, "other": scene.other_goal_id}[role]
    goals = scene.client(role).get(url("goals")).json()["results"]
    assert [goal["id"] for goal in goals] == [own]
