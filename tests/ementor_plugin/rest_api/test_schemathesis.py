"""Property tests of the REST API against its own schema (schemathesis), as an enrolled learner and as staff.

Every operation of ``schema/`` gets a bounded number of generated requests, sent over HTTP to a live devsite
server with a JWT. Path parameters are usually swapped for the scene's real course and ids, so the requests
reach the endpoints' logic rather than stopping at "no such course". A response fails the test if it is a
server error, or if its status, content type or body is not what the schema promises.
"""

import json

import hypothesis.strategies as st
import pytest
import schemathesis
from django.test import override_settings
from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ementor_plugin import runs

from ..conftest import COURSE, World, greedy_engine
from .conftest import build_scene

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),  # the devsite's short demo secret
]

EXAMPLES_PER_OPERATION = 12
PROGRAM = "/api/ementor/v1/programs/{course_id}/"
EVERYDAY = {
    "learner": [("GET", ""), ("GET", "goals/"), ("POST", "goals/"), ("GET", "matches/me/"),
                ("GET", "participants/me/")],
    "staff": [("GET", ""), ("PATCH", ""), ("GET", "participants/"), ("GET", "matches/"), ("POST", "runs/"),
              ("GET", "runs/")],
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture
def api_schema(client):
    raw = json.loads(client.get("/api/ementor/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    return schemathesis.openapi.from_dict(raw)


@pytest.mark.parametrize("role", ["learner", "staff"])
@override_settings(EMENTOR_THROTTLE_RATES={})  # hundreds of writes in seconds are the point here
def test_no_server_error_and_no_response_outside_the_schema(role, live_server, transactional_db, api_schema,
                                                            monkeypatch):
    monkeypatch.setattr(runs, "engine", lambda: greedy_engine)
    scene = build_scene(World())
    headers = {"Authorization": f"JWT {generate_jwt(scene.user(role))}"}
    real = {
        "course_id": [str(COURSE)],
        "goal_id": [scene.goal_id, scene.other_goal_id],
        "match_id": [scene.match_id],
        "run_id": [scene.run_id],
    }
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 17
    seen: dict[str, set[int]] = {}

    for operation in operations:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), data=st.data())
        def exercise(case, data):
            for name, values in real.items():
                if name in (case.path_parameters or {}) and data.draw(st.integers(0, 3), label=name) > 0:
                    case.path_parameters[name] = data.draw(st.sampled_from(values), label=f"real {name}")
            response = case.call(base_url=live_server.url, headers=headers)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        exercise()

    # The run reached the endpoints' logic: the role's everyday calls succeeded at least once.
    succeeded = {label for label, codes in seen.items() if any(200 <= code < 300 for code in codes)}
    assert succeeded >= {f"{method} {PROGRAM}{path}" for method, path in EVERYDAY[role]}, seen
