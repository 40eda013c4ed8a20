"""Course-team handlers: create the program, start a matching run and follow it, approve proposed pairings.

Staff status is never taken from the runtime alone: every call goes to an API function that checks the
user's course role itself (the API raises ``PermissionDenied``, which becomes a 403).
"""

from __future__ import annotations

from ementor_plugin import api
from ementor_plugin import errors as plugin_errors

from ..handlers import Caller, Payload, json_action
from ..views import ViewContext
from ..views.common import Words, dom_id
from ..views.staff import run_dict, run_progress_text


class StaffMixin:
    """Handlers of the course-team panel."""

    def _run_json(self, caller: Caller, run) -> dict:
        words = Words(self.runtime.service(self, "i18n"))
        ctx = ViewContext(block=self, caller=caller, words=words, uid=dom_id(self.scope_ids.usage_id))
        data = run_dict(ctx, run)
        data["text"] = run_progress_text(ctx, run)
        return {"run": data}

    @json_action()
    def setup_program(self, payload: Payload, caller: Caller) -> dict:
        """Create the course's program from this block's settings (course staff)."""
        api.configure_program(caller.user_id, caller.course_key, **self.program_settings())
        return {"message": payload._("The mentoring program is open.")}

    @json_action()
    def start_run(self, payload: Payload, caller: Caller) -> dict:
        """Ask for a matching run (or get the one already under way). Returns ``{"run": {...}}`` to poll."""
        run = api.request_run(caller.user_id, caller.course_key)
        return self._run_json(caller, run)

    @json_action()
    def run_status(self, payload: Payload, caller: Caller) -> dict:
        """A run's progress. Payload: ``run_id``. Returns ``{"run": {id, status, percent, open, text, ...}}``."""
        run_id = payload.integer("run_id", low=1)
        payload.check()
        run = api.get_run(caller.user_id, run_id)
        if run.course_key != caller.course_key:
            raise plugin_errors.NotFound(payload._("This matching run does not exist."))
        return self._run_json(caller, run)

    @json_action()
    def approve(self, payload: Payload, caller: Caller) -> dict:
        """Approve proposed pairings. Payload: ``all`` (bool) or ``match_ids`` (list of ids)."""
        _ = payload._
        if payload.data.get("all") is True:
            count = api.approve_proposed_matches(caller.user_id, caller.course_key)
            return {"approved": count, "message": _("{count} pairings approved.").format(count=count)}
        ids = payload.ids("match_ids")
        payload.check()
        approved, skipped = 0, 0
        for match_id in ids:
            try:
                api.approve_match(caller.user_id, match_id)  # checks the caller is staff of the match's course
            except plugin_errors.Conflict:
                skipped += 1  # approved meanwhile by someone else, or ended: nothing to do
                continue
            approved += 1
        message = _("{count} pairings approved.").format(count=approved)
        if skipped:
            message += " " + _("{count} were no longer waiting.").format(count=skipped)
        return {"approved": approved, "message": message}
