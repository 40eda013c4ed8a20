"""The eMentor XBlock. It holds author settings and UI state only; mentoring data lives in ementor_plugin.

The block is assembled from one mixin per concern (joining, goals, pairing, course team, Studio); each
handler there is a few lines that check the payload and call ``ementor_plugin.api``. Rendering lives in
``views``, words in ``labels`` and the templates.
"""

from __future__ import annotations

from django.conf import settings
from web_fragments.fragment import Fragment
from xblock.core import XBlock

from .context import course_key_of, current_user_id
from .handlers import Caller, Payload, json_action
from .mixins.goals import GoalsMixin
from .mixins.pairing import PairingMixin
from .mixins.recruitment import RecruitmentMixin
from .mixins.staff import StaffMixin
from .mixins.studio import StudioMixin
from .views import PANEL_ORDER, render_content
from .views.common import Words, dom_id, loader

#: How often the course-team panel asks for a running match's progress, and for how long at most.
RUN_POLL_MILLISECONDS = 1000
RUN_POLL_LIMIT_SECONDS = 900


@XBlock.needs("i18n")
@XBlock.wants("user")
@XBlock.wants("settings")
class EmentorXBlock(RecruitmentMixin, GoalsMixin, PairingMixin, StaffMixin, StudioMixin, XBlock):
    """A course unit that invites learners into the course's mentoring program and shows their pairing."""

    i18n_js_namespace = "EmentorXBlockI18N"
    block_settings_key = "EmentorXBlock"

    def _caller(self) -> Caller:
        return Caller(current_user_id(self), course_key_of(self))

    def student_view(self, context=None):  # pylint: disable=unused-argument
        """The learner's (and the course team's) view of the program."""
        words = Words(self.runtime.service(self, "i18n"))
        uid = dom_id(self.scope_ids.usage_id)
        content = render_content(self, self._caller(), words)
        html = f'<div class="ementor-block" id="{uid}" data-ementor-root>' \
               f'<p class="ementor-status ementor-live" role="status" aria-live="polite" data-status></p>' \
               f'<div class="ementor-content" data-content>{content}</div></div>'
        fragment = Fragment(html)
        fragment.add_css(loader.load_unicode("public/css/ementor.css"))
        fragment.add_javascript(loader.load_unicode("public/js/ementor_student.js"))
        fragment.initialize_js("EmentorStudentView", {
            "strings": self._student_strings(words),
            "csrfCookie": getattr(settings, "CSRF_COOKIE_NAME", "csrftoken"),
            "pollMs": RUN_POLL_MILLISECONDS,
            "pollLimitSeconds": RUN_POLL_LIMIT_SECONDS,
        })
        return fragment

    @staticmethod
    def _student_strings(words: Words) -> dict[str, str]:
        """Every string the learner's JavaScript shows, translated here (the JS holds none of its own)."""
        return {
            "welcome": words.gettext("Welcome to the mentoring program."),
            "saving": words.gettext("Saving…"),
            "saved": words.gettext("Saved."),
            "loading": words.gettext("Loading…"),
            "fix": words.gettext("Some answers need your attention."),
            "network": words.gettext("The server could not be reached. Check your connection and try again."),
            "failed": words.gettext("That did not work. Please try again."),
            "draftSaved": words.gettext("Your answers are saved."),
            "runStarted": words.gettext("Matching run started."),
            "runSlow": words.gettext("The run is taking long. Reload this page later to see its result."),
            "timeZoneDetected": words.gettext("We chose your device's time zone; change it if it is wrong."),
        }

    @json_action(needs_user=False, needs_course=False)
    def refresh(self, payload: Payload, caller: Caller) -> dict:
        """The panels as they stand now. Payload: ``panel`` (the tab to keep open). Returns ``{"html"}``."""
        panel = payload.choice("panel", PANEL_ORDER, required=False)
        payload.check()
        words = Words(self.runtime.service(self, "i18n"))
        return {"html": str(render_content(self, caller, words, requested=panel))}

    @staticmethod
    def workbench_scenarios():
        """Scenarios for the xblock-sdk workbench (and the devsite): one unit per point of view.

        Which panels appear depends on who is signed in (a learner, a mentor, course staff); each scenario
        opens the panel that point of view is about.
        """
        return [
            ("eMentor: learner view", '<ementor display_name="Mentoring" initial_panel="auto"/>'),
            ("eMentor: mentor view", '<ementor display_name="Meet your mentee" initial_panel="match"/>'),
            ("eMentor: staff view", '<ementor display_name="Mentoring program (course team)" initial_panel="staff"/>'),
        ]
