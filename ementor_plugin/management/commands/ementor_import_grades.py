"""Import learners' course grades from a CSV file into eMentor's performance snapshots.

For sites where eMentor cannot read the LMS's grades (the devsite, an external gradebook), this fills the
same ``CoursePerformance`` rows the grade events keep current; set ``EMENTOR_PERFORMANCE_SOURCE`` to
``"snapshots"`` or ``"combined"`` for matching to use them.

The file has a header row. Columns:

* one of ``user_id``, ``username`` or ``email``: who the row is about (required);
* ``grade``: the course grade, a number in [0, 1] or a percentage such as ``82%`` (required, may be empty);
* ``course_id``: the course, unless ``--course`` names it for every row;
* ``passed``, ``certificate``: ``true``/``false`` (also ``yes``/``no``, ``1``/``0``), optional;
* ``recorded_at``: when the figures were true (ISO 8601), default now; an older row never replaces newer data;
* any other column: a graded area ("Homework", "Labs") with the learner's score in it, like ``grade``.

Rows are imported one by one; invalid rows are reported by line number (never by content) and the command
exits with an error status if there were any, after importing the valid ones.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from ementor_plugin import api, errors

IDENTITY_COLUMNS = ("user_id", "username", "email")
KNOWN_COLUMNS = (*IDENTITY_COLUMNS, "grade", "course_id", "passed", "certificate", "recorded_at")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


def parse_score(text: str) -> float | None:
    """A score from a cell: "" -> None, "0.82" -> 0.82, "82%" -> 0.82. Raises ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    if text.endswith("%"):
        return float(text[:-1].strip()) / 100
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError("a score must be in [0, 1] or written as a percentage")
    return value


def parse_flag(text: str) -> bool | None:
    """A yes/no cell: "" -> None."""
    text = text.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true or false")


class Command(BaseCommand):
    """Import course grades from CSV into CoursePerformance snapshots."""

    help = "Import learners' course grades (and per-area scores) from a CSV file into eMentor's snapshots."

    def add_arguments(self, parser):
        """The file, and options."""
        parser.add_argument("csv_path", help="Path of the CSV file (UTF-8, header row).")
        parser.add_argument("--course", help="Course id for every row (otherwise each row's course_id).")
        parser.add_argument("--delimiter", default=",", help="Field delimiter (default ',').")
        parser.add_argument("--dry-run", action="store_true", help="Check the file; import nothing.")

    def handle(self, *args, **options):
        """Read, validate and import each row; report counts and invalid line numbers."""
        try:
            default_course = self._course(options["course"]) if options["course"] else None
        except ValueError as exc:
            raise CommandError(f"--course: {exc}") from None
        try:
            with open(options["csv_path"], encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle, delimiter=options["delimiter"])
                rows = list(reader)
                header = [name.strip() for name in reader.fieldnames or ()]
        except OSError as exc:
            raise CommandError(f"Cannot read {options['csv_path']}: {exc.strerror}") from exc
        identity = next((name for name in IDENTITY_COLUMNS if name in header), None)
        if identity is None or "grade" not in header:
            raise CommandError("The header needs a grade column and one of: user_id, username, email.")
        if default_course is None and "course_id" not in header:
            raise CommandError("Give --course or a course_id column.")
        areas = [name for name in header if name and name not in KNOWN_COLUMNS]
        users = self._user_ids(identity, [row.get(identity, "") for row in rows])
        imported = unchanged = 0
        problems: list[str] = []
        for line, raw in enumerate(rows, start=2):
            row = {(key or "").strip(): (value or "") for key, value in raw.items()}
            try:
                parsed = self._parse(row, identity, users, areas, default_course)
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            if options["dry_run"]:
                imported += 1
                continue
            try:
                changed = api.record_course_grade(source="csv", **parsed)
            except errors.ValidationError as exc:
                problems.append(f"line {line}: {'; '.join(f'{k}: {v[0]}' for k, v in exc.field_errors.items())}")
                continue
            imported += changed
            unchanged += not changed
        verb = "valid" if options["dry_run"] else "imported"
        self.stdout.write(f"{imported} rows {verb}, {unchanged} unchanged (older than what is stored), "
                          f"{len(problems)} invalid")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} rows were invalid and skipped.")

    @staticmethod
    def _course(text: str) -> CourseKey:
        try:
            return CourseKey.from_string(text.strip())
        except InvalidKeyError:
            raise ValueError("not a valid course id") from None

    @staticmethod
    def _user_ids(identity: str, values: list[str]) -> dict[str, int]:
        """Map each identity cell to a user id in a few queries (usernames and e-mails are not case-folded)."""
        wanted = {value.strip() for value in values if value.strip()}
        if identity == "user_id":
            numeric = {value for value in wanted if value.isdigit()}
            found = get_user_model().objects.filter(id__in=[int(value) for value in numeric])
            return {str(pk): pk for pk in found.values_list("id", flat=True)}
        lookup = "username" if identity == "username" else "email"
        users = get_user_model().objects.filter(**{f"{lookup}__in": list(wanted)}).values_list(lookup, "id")
        return dict(users)

    def _parse(self, row, identity, users, areas, default_course):
        user_id = users.get(row.get(identity, "").strip())
        if user_id is None:
            raise ValueError(f"unknown {identity}")
        try:
            course = self._course(row["course_id"]) if row.get("course_id", "").strip() else default_course
        except ValueError:
            raise ValueError("course_id is not a valid course id") from None
        if course is None:
            raise ValueError("no course id")
        try:
            grade = parse_score(row.get("grade", ""))
        except ValueError as exc:
            raise ValueError(f"grade: {exc}") from None
        scores = {}
        for area in areas:
            try:
                score = parse_score(row.get(area, ""))
            except ValueError as exc:
                raise ValueError(f"{area}: {exc}") from None
            if score is not None:
                scores[area] = score
        try:
            passed = parse_flag(row.get("passed", ""))
            certificate = parse_flag(row.get("certificate", ""))
        except ValueError as exc:
            raise ValueError(f"passed/certificate: {exc}") from None
        recorded_at = None
        if row.get("recorded_at", "").strip():
            recorded_at = parse_datetime(row["recorded_at"].strip())
            if recorded_at is None:
                raise ValueError("recorded_at is not an ISO 8601 date and time")
            if recorded_at.tzinfo is None:
                recorded_at = recorded_at.replace(tzinfo=UTC)
        return {
            "user_id": user_id,
            "course_key": course,
            "grade": grade,
            "areas": scores if areas else None,
            "passed": passed,
            "has_certificate": certificate,
            "recorded_at": recorded_at or datetime.now(UTC),
        }
