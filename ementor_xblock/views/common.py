"""Helpers every panel uses: translation through the runtime's i18n service, number/date/language formatting.

Templates are Django templates rendered by ``ResourceLoader.render_django_template`` (autoescaped), so any
learner-written text placed in a context is escaped when rendered; nothing here marks text as safe except the
HTML of panels this package rendered itself.
"""

from __future__ import annotations

import re
import zlib
import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.conf.locale import LANG_INFO
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from xblock.utils.resources import ResourceLoader

from .. import labels
from ..availability import is_time_zone, local_ranges

loader = ResourceLoader("ementor_xblock")


class Words:
    """Translation for one render: the runtime's i18n service, with shortcuts for the label tables."""

    def __init__(self, i18n) -> None:
        self.i18n = i18n
        self.gettext = i18n.gettext

    def __call__(self, text: str) -> str:
        """Translate ``text``."""
        return self.gettext(text)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        """Plural-aware translation (the LMS and the workbench services both provide ``ngettext``)."""
        ngettext = getattr(self.i18n, "ngettext", None)
        if ngettext is None:
            return singular if number == 1 else plural
        return ngettext(singular, plural, number)

    def label(self, table: Mapping[str, str], code: object, default: str = "") -> str:
        """Translate the label of ``code`` in one of the ``labels`` tables (unknown codes show as themselves)."""
        text = table.get(str(code))
        return self.gettext(text) if text else (default or str(code))

    def factor(self, code: str) -> tuple[str, str]:
        """A matching factor's translated (name, description)."""
        name, description = labels.FACTORS.get(code, (code, ""))
        return self.gettext(name), self.gettext(description) if description else ""

    def weekday(self, index: int) -> str:
        """A translated weekday name, 0 = Monday."""
        return self.gettext(labels.WEEKDAYS[index % 7])


def render(template: str, context: dict, words: Words) -> SafeString:
    """Render one of this package's templates; the result is safe to nest in another template."""
    html = loader.render_django_template(f"templates/{template}", dict(context), i18n_service=words.i18n)
    return mark_safe(html)  # noqa: S308  (rendered by an autoescaping Django template above)


def percent(value: float | None) -> str:
    """A share in [0, 1] as a whole percentage ("48%"); an em dash when unknown."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100)}%"


def percent_int(value: float | None) -> int:
    """A share in [0, 1] as an integer 0..100 (for progress bars and widths)."""
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


def format_date(value: date | None) -> str:
    """A date in the active language's format."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def format_datetime(value: datetime | None, tz_name: str = "UTC") -> str:
    """A moment in ``tz_name`` (the learner's zone), in the active language's format, with the zone's name."""
    if value is None:
        return ""
    zone = zoneinfo.ZoneInfo(tz_name if is_time_zone(tz_name) else "UTC")
    local = value.astimezone(zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone.key.replace('_', ' ')})"


def language_name(code: str) -> str:
    """A language's own name ("español") for a code; the code itself when unknown."""
    info = LANG_INFO.get(code) or LANG_INFO.get(code.split("-", maxsplit=1)[0]) or {}
    while "fallback" in info:
        info = LANG_INFO.get(info["fallback"][0], {})
    return info.get("name_local") or code


def language_names(codes: Iterable[str]) -> list[str]:
    """Own names of several languages, in the given order."""
    return [language_name(code) for code in codes]


def hours_label(words: Words, slots: Iterable[int], tz_name: str) -> list[str]:
    """Hour slots (UTC) as readable local ranges: ["Monday 18:00-21:00", ...] (with an en dash)."""
    out = []
    for day, first, last in local_ranges(list(slots), tz_name):
        out.append(f"{words.weekday(day)} {first:02d}:00\u2013{last:02d}:00")
    return out


def paragraphs(text: str) -> list[str]:
    """Split author text into paragraphs at blank lines (each is escaped by the template)."""
    return [block.strip() for block in re.split(r"\n\s*\n", text or "") if block.strip()]


def bullet_lines(text: str) -> tuple[list[str], list[str]]:
    """Split author text into (bullets, paragraphs): lines starting with "-" or "*" become list items."""
    bullets, rest = [], []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped[:1] in ("-", "*", "•") and stripped[1:].strip():
            bullets.append(stripped[1:].strip())
        elif stripped:
            rest.append(stripped)
    return bullets, rest


def dom_id(usage_id: object) -> str:
    """A short id prefix unique to one block on a page (several eMentor units may share a page)."""
    text = str(usage_id)
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-")[-24:] or "block"
    return f"ementor-{slug}-{zlib.crc32(text.encode()) % 10000:04d}"
