"""``schema/``: a valid OpenAPI 3 document of exactly eMentor's endpoints, generated without warnings."""

import json

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

PREFIX = "/api/ementor/v1/programs/{course_id}/"
OPERATIONS = {
    ("", "get"), ("", "patch"),
    ("participants/me/", "get"), ("participants/me/", "put"), ("participants/me/", "delete"),
    ("participants/", "get"),
    ("goals/", "get"), ("goals/", "post"), ("goals/{goal_id}/", "patch"), ("goals/{goal_id}/", "delete"),
    ("matches/me/", "get"), ("matches/{match_id}/response/", "post"),
    ("matches/", "get"), ("matches/{match_id}/", "patch"),
    ("runs/", "post"), ("runs/", "get"), ("runs/{run_id}/", "get"),
}
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def schema(client, db):
    GENERATOR_STATS.reset()
    response = client.get("/api/ementor/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = json.loads(response.content)
    document["_warnings"] = dict(GENERATOR_STATS._warn_cache)
    document["_errors"] = dict(GENERATOR_STATS._error_cache)
    return document


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_is_valid_openapi_3_and_generated_without_warnings(schema):
    assert schema.pop("_warnings") == {}
    assert schema.pop("_errors") == {}
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "eMentor REST API" and schema["info"]["version"] == "v1"


def test_it_describes_exactly_the_endpoints_of_the_issue(schema):
    found = {(path.removeprefix(PREFIX), method) for path, method, _op in _operations(schema)}
    assert found == OPERATIONS


def test_every_operation_names_its_authentication_and_its_errors(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "apiKey", "in": "header", "name": "Authorization",
                                  "description": 'Token-based authentication with required prefix "JWT"'}
    assert schemes["sessionAuth"]["in"] == "cookie"
    ids = set()
    for path, method, operation in _operations(schema):
        assert {next(iter(s)) for s in operation["security"]} == {"jwtAuth", "sessionAuth"}, path
        codes = set(operation["responses"])
        assert {"400", "401", "403", "404", "503"} <= codes, (path, method)
        assert ("429" in codes) == (method in WRITES), (path, method)
        error = operation["responses"]["404"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
        assert operation["operationId"] not in ids
        ids.add(operation["operationId"])


def test_lists_are_paginated(schema):
    for path, method, operation in _operations(schema):
        if method == "get" and path.endswith(("participants/", "goals/", "matches/", "matches/me/", "runs/")):
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            assert ok.split("/")[-1].startswith("Paginated"), path
            names = {p["name"] for p in operation["parameters"]}
            assert {"page", "page_size"} <= names


def test_status_fields_get_distinct_enum_names(schema):
    components = schema["components"]["schemas"]
    assert components["Participant"]["properties"]["status"]["$ref"].endswith("ParticipantStatusEnum")
    assert components["Goal"]["properties"]["status"]["$ref"].endswith("GoalStatusEnum")
    assert components["Run"]["properties"]["status"]["$ref"].endswith("RunStatusEnum")
    assert components["MatchSummary"]["properties"]["status"]["$ref"].endswith("MatchStatusEnum")


def test_the_schema_view_leaves_the_hosts_enum_names_alone(schema, client):
    from drf_spectacular.plumbing import load_enum_name_overrides

    assert load_enum_name_overrides() == {}
