"""Output serialisers: what JSON cannot carry never reaches the renderer."""

import datetime
import json
import math

from rest_framework.renderers import JSONRenderer

from ementor_plugin.data import RunData, RunStatus, RunTrigger
from ementor_plugin.rest_api.v1.serializers import RunSerializer


def test_run_figures_with_non_finite_numbers_render_as_null():
    now = datetime.datetime(2026, 11, 28, tzinfo=datetime.UTC)
    run = RunData(
        id=1, course_key="course-v1:A+B+C", status=RunStatus.SUCCEEDED, stage="done", percent=100,
        trigger=RunTrigger.STAFF, requested_by_user_id=None, config={"weights": {"skills": 1.0}},
        figures={"mean_score": math.nan, "seconds": {"assign": math.inf}, "scores": [1.0, -math.inf], "n": 3},
        error="", created=now, started_at=now, finished_at=now, celery_task_id="", attempts=1,
    )
    body = json.loads(JSONRenderer().render(RunSerializer(run).data))
    assert body["figures"] == {"mean_score": None, "seconds": {"assign": None}, "scores": [1.0, None], "n": 3}
    assert body["config"] == {"weights": {"skills": 1.0}}
    assert body["status"] == "succeeded" and body["finished_at"] == "2026-11-28T00:00:00Z"
