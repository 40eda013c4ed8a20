"""``runs/`` and ``runs/{id}/``: staff start matching (one open run at a time) and poll it."""

from ementor_plugin import api

from ..conftest import OTHER_COURSE
from .conftest import url


def test_starting_returns_the_open_run_instead_of_a_second_one(scene):
    client = scene.client("staff")
    first = client.post(url("runs"))
    assert first.status_code == 202
    assert first.json()["id"] == scene.run_id and first.json()["is_open"] is True
    assert client.post(url("runs")).json()["id"] == scene.run_id
    assert client.get(url("runs")).json()["count"] == 1


def test_polling_shows_status_progress_and_figures(scene):
    client = scene.client("staff")
    queued = client.get(url("run", run_id=scene.run_id)).json()
    assert queued["status"] == "queued" and queued["trigger"] == "staff"
    assert queued["requested_by_user_id"] == scene.user("staff").id
    assert queued["config"]["strategy"] == "optimal"

    api.execute_run(scene.run_id)
    done = client.get(url("run", run_id=scene.run_id)).json()
    assert done["status"] == "succeeded" and done["percent"] == 100 and done["is_open"] is False
    assert done["figures"]["n_mentees"] == 2 and done["figures"]["n_matched"] == 2

    second = client.post(url("runs")).json()
    assert second["id"] != scene.run_id and second["status"] == "queued"
    assert [r["id"] for r in client.get(url("runs")).json()["results"]] == [second["id"], scene.run_id]


def test_a_run_of_another_course_is_not_found(scene, world):
    world.program(OTHER_COURSE)
    elsewhere = api.request_run(scene.user("admin").id, OTHER_COURSE)
    assert scene.client("admin").get(url("run", run_id=elsewhere.id)).status_code == 404
    assert scene.client("staff").get(url("run", run_id=elsewhere.id)).status_code == 404
    assert scene.client("admin").get(url("run", OTHER_COURSE, run_id=elsewhere.id)).status_code == 200


def test_an_unknown_run_is_not_found(scene):
    response = scene.client("staff").get(url("run", run_id=scene.run_id + 100))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
