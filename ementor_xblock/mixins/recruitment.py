"""Joining the program: the draft saved step by step (in the learner's XBlock state) and the final join."""

from __future__ import annotations

import logging
from typing import Any

from xblock.fields import Dict, Scope

from ementor_plugin import api
from ementor_plugin import errors as plugin_errors

from .. import onboarding
from ..handlers import Caller, InputError, Payload, json_action

log = logging.getLogger(__name__)

_MAX_DRAFT_TEXT = 6000
_MAX_DRAFT_ITEMS = 100


def _storable(value: Any) -> Any:
    """Keep a draft value only if it is a small JSON scalar or list of strings (user_state is not a dump)."""
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, str):
        return value[:_MAX_DRAFT_TEXT]
    if isinstance(value, list):
        return [item[:200] for item in value[:_MAX_DRAFT_ITEMS] if isinstance(item, str)]
    return None


class RecruitmentMixin:
    """Handlers of the joining form. The draft is UI state only: nothing reaches the plugin before "Join"."""

    draft = Dict(
        help="The learner's unfinished joining form: {'step': <step>, 'values': {<field>: <value>}}.",
        scope=Scope.user_state,
        default={},
    )

    def _joining_context(self, caller: Caller) -> onboarding.StepContext:
        """The program and viewer a step is checked against; refuses learners who cannot join now."""
        _ = self.runtime.service(self, "i18n").gettext
        viewer = api.get_viewer(caller.user_id, caller.course_key)
        reason = viewer.join_blocked_reason
        if reason == "no_program":
            raise plugin_errors.NotFound(_("The course team has not opened the mentoring program yet."))
        if reason == "not_enrolled":
            raise plugin_errors.NotEnrolled(_("Enroll in the course to join its mentoring program."))
        if reason == "enrollment_closed":
            raise plugin_errors.EnrollmentClosed(_("The mentoring program is not taking new participants right now."))
        if reason == "already_joined":
            raise plugin_errors.Conflict(_("You have already joined this mentoring program."), code="already_joined")
        return onboarding.StepContext(program=api.get_program(caller.course_key), viewer=viewer, gettext=_)

    def _merged_values(self, payload: Payload, step: str) -> dict[str, Any]:
        """The draft's values with this step's fields replaced by what the learner just sent."""
        values = dict((self.draft or {}).get("values") or {})
        for name in onboarding.step_inputs(step):
            if payload.has(name):
                values[name] = _storable(payload.data[name])
        return values

    @json_action()
    def save_draft(self, payload: Payload, caller: Caller) -> dict:
        """Save the current step of the joining form; with ``intent`` "next", check it and move on.

        Payload: ``step`` (the step shown), ``intent`` ("next", "back" or "stay": an autosave), and the step's
        fields. Returns ``{"step": <the step to show now>}``; 400 with ``field_errors`` when the step is invalid
        (the values are saved anyway, so nothing typed is lost).
        """
        step = payload.choice("step", onboarding.STEPS)
        intent = payload.choice("intent", ("next", "back", "stay"), required=False) or "next"
        payload.check()
        ctx = self._joining_context(caller)
        saved_step = (self.draft or {}).get("step") or onboarding.STEPS[0]
        if intent == "stay" and saved_step != step:
            # A late autosave of a step the learner already left: keeping it would move the form back.
            return {"step": saved_step}
        values = self._merged_values(payload, step)
        index = onboarding.STEPS.index(step)
        if intent == "back":
            index = max(0, index - 1)
        elif intent == "next":
            _clean, problems = onboarding.check_step(step, values, ctx)
            if problems:
                self.draft = {"step": step, "values": values}
                raise InputError(problems, step=step)
            index = min(len(onboarding.STEPS) - 1, index + 1)
        self.draft = {"step": onboarding.STEPS[index], "values": values}
        return {"step": onboarding.STEPS[index]}

    @json_action()
    def accept_notice(self, payload: Payload, caller: Caller) -> dict:
        """Accept the current privacy notice and code of conduct (after they changed). Payload: ``consent``."""
        _ = payload._
        if payload.data.get("consent") is not True:
            payload.add_error("consent", _("Accept the privacy notice and the code of conduct to keep taking part."))
        payload.check()
        version = api.get_viewer(caller.user_id, caller.course_key).privacy_notice_version
        api.update_profile(caller.user_id, caller.course_key, consent_version=version)
        return {"message": _("Thank you. You keep taking part in the program.")}

    @json_action()
    def join(self, payload: Payload, caller: Caller) -> dict:
        """Join the program with the whole draft (plus the consent step just sent), then add the first goals.

        Returns ``{"joined": true, "panel": "match", "message"}``. A 400 names the fields and the ``step`` to go
        back to; the draft then opens at that step.
        """
        _ = self.runtime.service(self, "i18n").gettext
        ctx = self._joining_context(caller)
        values = self._merged_values(payload, "consent")
        clean, problems, first_bad = onboarding.check_all(values, ctx)
        if problems:
            self.draft = {"step": first_bad, "values": values}
            raise InputError(problems, step=first_bad)
        try:
            api.join_program(caller.user_id, caller.course_key,
                             consent_version=ctx.viewer.privacy_notice_version, **onboarding.join_arguments(clean))
        except plugin_errors.ValidationError as exc:
            step = next((onboarding.FIELD_STEP[name] for name in exc.field_errors if name in onboarding.FIELD_STEP),
                        "consent")
            self.draft = {"step": step, "values": values}
            raise InputError(exc.field_errors, step=step) from None
        kept = 0
        for goal in onboarding.goals_of(clean):
            try:
                api.create_goal(caller.user_id, caller.course_key, **goal)
                kept += 1
            except plugin_errors.EmentorError:
                log.warning("eMentor could not save a first goal for user %s", caller.user_id, exc_info=True)
        self.draft = {}
        message = _("Welcome to the mentoring program! You will be told here as soon as you are paired.")
        if kept < len(onboarding.goals_of(clean)):
            message += " " + _("Some of your goals could not be saved; add them again in My goals.")
        return {"joined": True, "panel": "match", "message": message}
