"""Telling learners what happened: in-course notices (rows the XBlock shows) and, optionally, e-mail.

A notice row stores only who is told, which match and what kind of news; the words are built when shown, in
the reader's language. E-mail goes through Django's mail backend after the transaction commits, so a rolled
back change never mails anyone; it names no partner (the learner reads the details in the course).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

from .data import NoticeKind
from .models import Notice

log = logging.getLogger(__name__)

#: Kinds that are also e-mailed (the others are only shown in the course).
EMAILED_KINDS = (NoticeKind.MATCH_PROPOSED, NoticeKind.MATCH_MADE, NoticeKind.MATCH_ENDED, NoticeKind.MATCH_DECLINED)


def message(kind: str) -> str:
    """The text of a notice of this kind, in the active language."""
    messages = {
        NoticeKind.MATCH_PROPOSED: _("You have been paired. The course team is reviewing the pairing; you will be "
                                     "told as soon as it is confirmed."),
        NoticeKind.MATCH_MADE: _("You have a new mentoring partner. Open the mentoring unit to see who and why."),
        NoticeKind.MATCH_ENDED: _("One of your mentoring pairings has ended."),
        NoticeKind.MATCH_DECLINED: _("Your partner declined the pairing. You will be considered in the next round of "
                                     "matching."),
        NoticeKind.INVITED_TO_MENTOR: _("Your course grade qualifies you to mentor other learners. Consider joining "
                                        "the mentoring program as a mentor."),
    }
    return messages.get(NoticeKind(kind), "")


def notify(notices: Iterable[tuple[int, int, str, int | None]]) -> list[Notice]:
    """Create notices and schedule their e-mail for after the commit.

    Args:
        notices: (user_id, program_id, kind, match_id) tuples.

    Returns:
        The created rows.
    """
    rows = [Notice(user_id=user, program_id=program, kind=str(kind), match_id=match) for user, program, kind, match
            in notices]
    if not rows:
        return []
    created = Notice.objects.bulk_create(rows, batch_size=500)
    mail = [(row.user_id, row.kind) for row in rows if row.kind in EMAILED_KINDS]
    if mail and getattr(settings, "EMENTOR_SEND_EMAIL", True):
        transaction.on_commit(lambda: send_emails(mail))
    return created


def send_emails(items: Iterable[tuple[int, str]]) -> int:
    """E-mail each (user_id, kind); return how many were sent. Failures are logged by user id, never raised."""
    items = list(items)
    wanted = sorted({user_id for user_id, _kind in items})
    addresses: dict[int, str] = {}
    for start in range(0, len(wanted), 500):  # a large run tells thousands: stay under every backend's limit
        users = get_user_model().objects.filter(id__in=wanted[start : start + 500], is_active=True).exclude(email="")
        addresses.update(users.values_list("id", "email"))
    messages = [
        EmailMessage(subject=_("News from your course's mentoring program"), body=message(kind), to=[addresses[user]])
        for user, kind in items
        if user in addresses
    ]
    if not messages:
        return 0
    try:
        return get_connection(fail_silently=False).send_messages(messages) or 0
    except Exception:
        log.exception("eMentor could not send %d notice e-mails", len(messages))
        return 0
