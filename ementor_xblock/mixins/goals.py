"""Goal handlers: add, edit, delete and record progress, always on the caller's own goals (the API checks)."""

from __future__ import annotations

from datetime import date

from ementor_plugin import api

from .. import labels
from ..handlers import Caller, Payload, json_action


def _date(payload: Payload, name: str) -> date | None:
    """An ISO date ("2026-12-31", what ``<input type="date">`` sends) or None when left empty."""
    text = payload.text(name, max_length=10)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        payload.add_error(name, payload._("Enter a date such as 2026-12-31."))
        return None


class GoalsMixin:
    """Handlers of the goals panel."""

    @json_action()
    def add_goal(self, payload: Payload, caller: Caller) -> dict:
        """Add a goal. Payload: ``title``, ``success_criteria``, ``target_date``, ``suggestion_key``."""
        values = {
            "title": payload.text("title", max_length=200, required=True),
            "success_criteria": payload.text("success_criteria"),
            "target_date": _date(payload, "target_date"),
            "suggestion_key": payload.text("suggestion_key", max_length=64),
        }
        payload.check()
        goal = api.create_goal(caller.user_id, caller.course_key, **values)
        return {"goal_id": goal.id, "message": payload._("Goal added.")}

    @json_action()
    def edit_goal(self, payload: Payload, caller: Caller) -> dict:
        """Change a goal. Payload: ``goal_id``, any of ``title``, ``success_criteria``, ``target_date``, ``status``."""
        goal_id = payload.integer("goal_id", low=1)
        changes = {}
        if payload.has("title"):
            changes["title"] = payload.text("title", max_length=200, required=True)
        if payload.has("success_criteria"):
            changes["success_criteria"] = payload.text("success_criteria")
        if payload.has("target_date"):
            changes["target_date"] = _date(payload, "target_date")
        if payload.has("status"):
            changes["status"] = payload.choice("status", labels.GOAL_STATUSES)
        payload.check()
        goal = api.update_goal(caller.user_id, goal_id, **changes)
        return {"goal_id": goal.id, "message": payload._("Goal saved.")}

    @json_action()
    def delete_goal(self, payload: Payload, caller: Caller) -> dict:
        """Delete a goal. Payload: ``goal_id``."""
        goal_id = payload.integer("goal_id", low=1)
        payload.check()
        api.delete_goal(caller.user_id, goal_id)
        return {"message": payload._("Goal deleted.")}

    @json_action()
    def goal_progress(self, payload: Payload, caller: Caller) -> dict:
        """Record progress. Payload: ``goal_id``, ``progress`` (0..100), ``note``."""
        goal_id = payload.integer("goal_id", low=1)
        progress = payload.integer("progress", low=0, high=100)
        note = payload.text("note")
        payload.check()
        goal = api.add_goal_progress(caller.user_id, goal_id, progress=progress, note=note)
        message = payload._("Goal achieved. Well done!") if goal.progress >= 100 else payload._("Progress saved.")
        return {"goal_id": goal.id, "progress": goal.progress, "message": message}
