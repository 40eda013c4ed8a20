"""The integration tests' hands on the database: a Django process that runs one command per input line.

The pytest process runs on the unit tests' SQLite settings, so everything that touches the integration
database (MariaDB) happens here, in a process configured exactly like the worker (``ementor_it_settings``):
requests go through ``ementor_plugin.api`` and are enqueued on commit to the real Redis broker. Each input line
is ``{"cmd": name, "args": {...}}``; each answer is one JSON line ``{"ok": value}`` or ``{"error": text}``.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from devsite.standin.models import (  # noqa: E402
    CourseAccessRole,
    CourseEnrollment,
    CourseOverview,
    PersistentCourseGrade,
)
from ementor_plugin import api  # noqa: E402
from ementor_plugin.models import Match, MatchRun, Notice, Participant, Program  # noqa: E402

SKILLS = ("python", "sql", "statistics", "writing", "design", "ml")
CONSENT = "2026-11"


def make_program(course: str, n_mentees: int, n_mentors: int, capacity: int = 2, requires_approval: bool = False):
    """A program with a staff member, mentees and mentors (bulk-inserted; their grades in the stand-in tables)."""
    users = get_user_model()
    slug = course.replace(":", "_").replace("+", "_")
    CourseOverview.objects.get_or_create(id=course, defaults={"display_name": course})
    staff = users.objects.create_user(username=f"staff_{slug}", email=f"staff_{slug}@example.org", password="x")
    CourseAccessRole.objects.create(user=staff, course_id=course, role="staff")
    program = Program.objects.create(course_key=course, title="Mentoring", requires_approval=requires_approval,
                                     default_mentor_capacity=capacity)
    people = users.objects.bulk_create(
        users(username=f"{slug}_{i}", email=f"{slug}_{i}@example.org") for i in range(n_mentees + n_mentors)
    )
    CourseEnrollment.objects.bulk_create(CourseEnrollment(user=user, course_id=course) for user in people)
    now = timezone.now()
    rows, grades = [], []
    for i, user in enumerate(people):
        mentor = i >= n_mentees
        grade = 0.9 if mentor else 0.4 + (i % 5) / 20
        grades.append(PersistentCourseGrade(user_id=user.id, course_id=course, percent_grade=grade, passed=mentor,
                                            grade_breakdown={"Labs": grade, "Homework": grade}))
        skills = [SKILLS[i % len(SKILLS)], SKILLS[(i * 7 + 3) % len(SKILLS)]]
        rows.append(Participant(
            user=user, program=program, role="mentor" if mentor else "mentee", languages=["en"],
            skills_offered=skills if mentor else [], skills_wanted=[] if mentor else skills,
            capacity=capacity if mentor else 0, consent_version=CONSENT, consent_at=now, status_reason="joined",
        ))
    PersistentCourseGrade.objects.bulk_create(grades)
    Participant.objects.bulk_create(rows, batch_size=1000)
    return {"staff": staff.id, "program": program.id}


def request_run(course: str, staff: int) -> int:
    """``api.request_run`` as course staff; the task is sent when this call's transaction commits."""
    return api.request_run(staff, course).id


def request_runs_at_once(course: str, staff: int, n: int = 2) -> list[int]:
    """``n`` requests for the same program from ``n`` threads (own connections) released together."""
    barrier = threading.Barrier(n)
    found: list[int] = []
    errors: list[str] = []

    def request():
        try:
            barrier.wait(timeout=10)
            found.append(api.request_run(staff, course).id)
        except Exception as exc:  # reported to the test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("; ".join(errors))
    return found


def send(run_id: int) -> str:
    """Send the run's task once more (a duplicate delivery), the way the plugin sends it."""
    from ementor_plugin import tasks

    return tasks.enqueue_matching_run(run_id)


def run(run_id: int) -> dict:
    """The run's row as plain values."""
    row = MatchRun.objects.get(pk=run_id)
    return {
        "id": row.id, "status": row.status, "stage": row.stage, "percent": row.percent, "attempts": row.attempts,
        "error": row.error, "figures": row.figures, "open": row.open_key is not None,
        "started": row.started_at.timestamp() if row.started_at else None,
        "finished": row.finished_at.timestamp() if row.finished_at else None,
    }


def runs_of(course: str) -> list[int]:
    """Ids of a program's runs, oldest first."""
    return list(MatchRun.objects.filter(program__course_key=course).order_by("id").values_list("id", flat=True))


def state(course: str) -> dict:
    """What a program holds: its matches (mentee, mentor, status, run), notices and mentors' loads."""
    matches = sorted(
        Match.objects.filter(program__course_key=course).values_list("mentee__user__username",
                                                                     "mentor__user__username", "status", "run_id")
    )
    loads = dict(Participant.objects.filter(program__course_key=course, role="mentor")
                 .values_list("user__username", "mentor_load"))
    notices = Notice.objects.filter(program__course_key=course).count()
    return {"matches": [list(m) for m in matches], "loads": loads, "notices": notices}


def reset_matches(course: str) -> None:
    """Undo a program's matching (matches, notices, loads) so the same state can be matched again."""
    Notice.objects.filter(program__course_key=course).delete()
    Match.objects.filter(program__course_key=course).delete()
    Participant.objects.filter(program__course_key=course).update(mentor_load=0)


COMMANDS = {f.__name__: f for f in (make_program, request_run, request_runs_at_once, send, run, runs_of, state,
                                    reset_matches)}


def main() -> None:
    """Serve commands until stdin closes."""
    for line in sys.stdin:
        if not line.strip():
            continue
        close_old_connections()
        try:
            message = json.loads(line)
            answer = {"ok": COMMANDS[message["cmd"]](**message.get("args", {}))}
        except Exception as exc:  # the test shows it
            answer = {"error": f"{exc!r}\n{traceback.format_exc()}"}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
