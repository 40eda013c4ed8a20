"""Pairing handlers: answer a pairing, pause/resume/leave the program, mark notices read."""

from __future__ import annotations

from ementor_plugin import api

from .. import labels
from ..handlers import Caller, Payload, json_action


class PairingMixin:
    """Handlers of the pairing panel."""

    @json_action()
    def respond(self, payload: Payload, caller: Caller) -> dict:
        """Accept or decline a pairing.

        Payload: ``match_id``, ``accept`` (bool); when declining, ``reason_code`` (one of
        ``labels.DECLINE_REASONS``) and an optional ``reason`` for the course team.
        """
        match_id = payload.integer("match_id", low=1)
        accept = payload.boolean("accept")
        reason = ""
        if accept is False:
            code = payload.choice("reason_code", labels.DECLINE_REASONS)
            details = payload.text("reason", max_length=2000)
            reason = f"[{code}] {details}".strip()
        payload.check()
        api.respond_to_match(caller.user_id, match_id, accept=accept, reason=reason)
        if accept:
            return {"message": payload._("You accepted the pairing.")}
        return {"message": payload._("You declined the pairing. You will be considered in the next matching run.")}

    @json_action()
    def participation(self, payload: Payload, caller: Caller) -> dict:
        """Pause, resume or leave the program. Payload: ``action`` ("pause", "resume" or "withdraw")."""
        action = payload.choice("action", ("pause", "resume", "withdraw"))
        payload.check()
        _ = payload._
        if action == "pause":
            api.pause_participation(caller.user_id, caller.course_key)
            return {"message": _("Paused: you keep your pairings but get no new ones."), "status": "paused"}
        if action == "resume":
            api.resume_participation(caller.user_id, caller.course_key)
            return {"message": _("Welcome back: you take part in the next matching run."), "status": "active"}
        api.withdraw(caller.user_id, caller.course_key)
        self.draft = {}
        return {"message": _("You left the mentoring program."), "status": "withdrawn", "panel": "recruitment"}

    @json_action()
    def dismiss_notices(self, payload: Payload, caller: Caller) -> dict:
        """Mark notices read. Payload: ``notice_ids`` (list of ids); all of the learner's when absent."""
        ids = payload.ids("notice_ids", required=False) if payload.has("notice_ids") else None
        payload.check()
        changed = api.mark_notices_read(caller.user_id, caller.course_key, ids)
        return {"read": changed}
