"""The learner-facing HTML: which panels a person sees and the tabs between them.

Everyone sees the program (recruitment) panel; a participant also sees their pairing and goals; course staff
also see the course-team panel. The same function renders the first view and every refresh after an action,
so what a learner sees after saving is exactly what they would see on reloading the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from ementor_plugin import api
from ementor_plugin.data import ParticipantData, ParticipantStatus, ProgramData, ViewerData

from .. import labels
from ..handlers import Caller
from .common import Words, dom_id, render

PANEL_ORDER = ("match", "goals", "recruitment", "staff")


@dataclass
class ViewContext:
    """Everything a panel renderer needs: the block (settings, draft), who is looking, what the API said."""

    block: object
    caller: Caller
    words: Words
    uid: str
    viewer: ViewerData | None = None
    program: ProgramData | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def participant(self) -> ParticipantData | None:
        """The viewer's profile, if they ever joined (withdrawn included)."""
        return self.viewer.participant if self.viewer is not None else None

    @property
    def joined(self) -> bool:
        """Whether the viewer takes part now (active or paused)."""
        participant = self.participant
        return participant is not None and participant.status != ParticipantStatus.WITHDRAWN

    @property
    def time_zone(self) -> str:
        """The zone to show times in: the learner's own when they told us, else UTC."""
        participant = self.participant
        return participant.time_zone if participant is not None and participant.time_zone else "UTC"


def load(block, caller: Caller, words: Words) -> ViewContext:
    """Ask the API who the viewer is and what the program looks like."""
    ctx = ViewContext(block=block, caller=caller, words=words, uid=dom_id(block.scope_ids.usage_id))
    if caller.course_key is None:
        return ctx
    ctx.viewer = api.get_viewer(caller.user_id, caller.course_key)
    if ctx.viewer.program_exists:
        ctx.program = api.get_program(caller.course_key)
    return ctx


def panels_for(ctx: ViewContext) -> list[str]:
    """The panels this viewer may open, in tab order."""
    keys = ["match", "goals", "recruitment"] if ctx.joined else ["recruitment"]
    if ctx.viewer is not None and ctx.viewer.is_staff:
        keys.append("staff")
    return keys


def choose_panel(keys: list[str], requested: str | None, preferred: str) -> str:
    """The panel to show first: the one asked for (a refresh keeps the tab), the author's choice, or the first."""
    for candidate in (requested, preferred):
        if candidate in keys:
            return candidate
    return keys[0]


def render_content(block, caller: Caller, words: Words, requested: str | None = None) -> SafeString:
    """The block's whole inner HTML for this viewer: title, notices, tabs and panels."""
    # Imported here: each panel module imports ViewContext from this package.
    from . import goals, pairing, recruitment, staff

    ctx = load(block, caller, words)
    keys = panels_for(ctx)
    selected = choose_panel(keys, requested, block.initial_panel)
    renderers = {"recruitment": recruitment.render, "goals": goals.render, "match": pairing.render,
                 "staff": staff.render}
    tabs = [
        {
            "key": key,
            "label": words.label(labels.PANELS, key),
            "html": renderers[key](ctx),
            "selected": key == selected,
        }
        for key in keys
    ]
    notices = []
    if ctx.joined and ctx.viewer.unread_notices:
        notices = [
            {"id": notice.id, "message": notice.message}
            for notice in api.list_notices(caller.user_id, caller.course_key, unread_only=True, limit=5)
        ]
    consent = ""
    if ctx.joined and not ctx.viewer.consent_current:
        consent = render("panels/consent.html", {"uid": ctx.uid, "legal_html": recruitment.legal_html(ctx, 4)}, words)
    title = (ctx.program.title if ctx.program is not None and ctx.program.title else "") or block.title
    return render(
        "content.html",
        {"uid": ctx.uid, "title": title, "tabs": tabs, "notices": notices, "consent_html": consent,
         "notice_ids": ",".join(str(n["id"]) for n in notices)},
        words,
    )
