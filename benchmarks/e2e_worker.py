"""End to end: a 20k-learner program matched through a real Celery worker, beside the library alone.

Run it under the machine's benchmark lock, from the repository root::

    flock /tmp/ementor-bench.lock .venv/bin/python benchmarks/e2e_worker.py [--learners 20000] [--chunked] [--ref HEAD]

It needs MariaDB and Redis on 127.0.0.1 (as the integration tests do) and uses its own database
(``bench_ementor_worker``, created and dropped here) and Redis database 12. Steps:

1. generate the benchmarks' congested program (``workload.generate``) with ``--learners`` people in all (one
   mentor per ten mentees, some people on both sides) and bulk-insert it as a course with enrollments, grades
   (the devsite's stand-in grade table) and eMentor participants;
2. **library only**: read the program exactly as a run does (``runs.MatchingInputs.build``) and time
   ``matching.match`` on it in this process;
3. **through the worker**: start ``celery worker --concurrency 2`` on the devsite's app (configured like the
   LMS's), request a run through ``ementor_plugin.api`` and time from the request to the run's matches being
   committed (status "succeeded": what learners then see);
4. with ``--chunked``, match again with chunked scoring forced (4 chunks), when the engine has the staged API.

It prints one line per measurement and a JSON summary, and writes the summary with the machine (CPU model, cores,
memory, load averages around each measurement, numpy and its BLAS) and the code measured (git commit, and whether
``matching/`` or ``ementor_plugin/`` had uncommitted edits, before and after the run) to ``--out``
(default ``benchmarks/results/e2e_worker.json``). ``--ref REF`` runs ``matching/`` as committed at REF (a
``git archive`` snapshot first on the driver's and the worker's path) instead of the work tree's, so another
session's edits in progress cannot change the engine mid-run; ``ementor_plugin/`` always comes from the work
tree. Workload excluded pairs are not carried over (the plugin derives exclusions from past declined matches), so
the library time is for the program the run sees.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IT = ROOT / "tests" / "integration"
DB_NAME = "bench_ementor_worker"
REDIS_DB = 12
QUEUE = "ementor.bench"
COURSE = "course-v1:eMentorBench+E2E+2026"
RUN_TIMEOUT_S = 3600.0  # a run still open after this long is reported as a failure, not waited for forever

ENV = {
    "DJANGO_SETTINGS_MODULE": "ementor_it_settings",
    "EMENTOR_IT_DB": DB_NAME,
    "EMENTOR_IT_REDIS_DB": str(REDIS_DB),
    "EMENTOR_IT_ENGINE": "real",
    "EMENTOR_IT_SEND_EMAIL": "0",  # the timing ends at the commit; mail follows it and is not measured
    "EMENTOR_MATCHING_QUEUE": QUEUE,
    "EMENTOR_IT_MAIL_DIR": str(Path(tempfile.gettempdir()) / "ementor-bench-mail"),
    "PYTHONPATH": os.pathsep.join(
        map(str, (IT, ROOT / "tests" / "ementor_plugin", ROOT, ROOT / "devsite", ROOT / "benchmarks"))
    ),
}


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _machine() -> dict[str, Any]:
    """The box (``harness.machine``) plus Python, numpy and the BLAS numpy was built with."""
    import numpy
    from harness import machine

    blas = {}
    try:
        info = numpy.show_config(mode="dicts")  # numpy >= 1.25
        blas = {k: v for k, v in info["Build Dependencies"]["blas"].items() if k in ("name", "version")}
    except Exception:  # older numpy, or a layout this does not know: the figure is optional
        pass
    return {
        **machine(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "blas": blas,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_"))},
    }


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def _code() -> dict[str, Any]:
    """Which code runs: the commit, and per package whether the work tree differs from it (digest of the diff)."""
    code: dict[str, Any] = {"commit": _git("rev-parse", "HEAD").strip()}
    for package in ("matching", "ementor_plugin"):
        diff = _git("diff", "HEAD", "--", package) + _git("ls-files", "--others", "--exclude-standard", "--", package)
        code[package] = {"uncommitted_changes": bool(diff), "diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12]}
    return code


def _snapshot_matching(ref: str) -> tuple[Path, str]:
    """``matching/`` as committed at ``ref``, extracted to a scratch folder that goes first on every sys.path.

    Other sessions edit ``matching/`` in this shared tree; a snapshot keeps the driver and the worker on the same,
    committed code for the whole run (as ``bench.py --ref``)."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    folder = Path(tempfile.mkdtemp(prefix="ementor-e2e-src-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "matching"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    ENV["PYTHONPATH"] = os.pathsep.join((str(folder), ENV["PYTHONPATH"]))
    return folder, commit


def _setup_django() -> None:
    os.environ.update(ENV)
    for path in reversed(ENV["PYTHONPATH"].split(os.pathsep)):
        sys.path.insert(0, path)
    import django

    django.setup()


def _create_database() -> None:
    import MySQLdb

    conn = MySQLdb.connect(host="127.0.0.1", user="root", passwd="")
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{DB_NAME}`")
        cursor.execute(f"CREATE DATABASE `{DB_NAME}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    subprocess.run(
        [sys.executable, str(ROOT / "devsite" / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env={**os.environ, **ENV},
        check=True,
    )


def _drop_database() -> None:
    import MySQLdb

    conn = MySQLdb.connect(host="127.0.0.1", user="root", passwd="")
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{DB_NAME}`")
    conn.close()


def _load_program(n_learners: int) -> tuple[int, dict]:
    """Insert the generated program; returns the staff user's id and the program's shape."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from workload import MIN_SCORE, generate

    from devsite.standin.models import CourseAccessRole, CourseEnrollment, CourseOverview, PersistentCourseGrade
    from ementor_plugin.models import Participant, Program

    n_mentees = round(n_learners * 10 / 11)
    workload = generate(n_mentees, n_learners - n_mentees)
    people: dict[str, dict] = {}
    for rec in workload.mentees:
        people[rec["id"]] = {"mentee": rec}
    for rec in workload.mentors:
        people.setdefault(rec["id"], {})["mentor"] = rec
    users = get_user_model()
    CourseOverview.objects.get_or_create(id=COURSE, defaults={"display_name": "Benchmark"})
    staff = users.objects.create_user(username="bench_staff", email="bench_staff@example.org", password="x")
    CourseAccessRole.objects.create(user=staff, course_id=COURSE, role="staff")
    program = Program.objects.create(
        course_key=COURSE, title="Benchmark", min_score=MIN_SCORE, default_mentor_capacity=10, max_mentor_capacity=50
    )
    ids = sorted(people)
    created = users.objects.bulk_create(
        (users(username=f"b_{pid}", email=f"{pid}@example.org") for pid in ids), batch_size=2000
    )
    CourseEnrollment.objects.bulk_create((CourseEnrollment(user=u, course_id=COURSE) for u in created), batch_size=2000)
    now = timezone.now()
    grades, rows = [], []
    for pid, user in zip(ids, created):
        sides = people[pid]
        mentee, mentor = sides.get("mentee"), sides.get("mentor")
        main = mentor or mentee
        if main["grade"] is not None:
            grades.append(
                PersistentCourseGrade(
                    user_id=user.id,
                    course_id=COURSE,
                    percent_grade=main["grade"],
                    grade_breakdown=dict(main["performance"]),
                    passed=True,
                )
            )
        hours = main.get("availability")
        rows.append(
            Participant(
                user=user,
                program=program,
                role="both" if mentee and mentor else ("mentor" if mentor else "mentee"),
                skills_wanted=list(mentee["skills_wanted"]) if mentee else [],
                aspirations=mentee["aspirations"] if mentee else "",
                skills_offered=list(mentor["skills"]) if mentor else [],
                about=mentor["about"] if mentor else "",
                languages=list(main["languages"]),
                availability=sorted(hours) if hours else [],
                capacity=int(mentor["capacity"]) if mentor else 0,
                consent_version="2026-11",
                consent_at=now,
                status_reason="joined",
            )
        )
    PersistentCourseGrade.objects.bulk_create(grades, batch_size=2000)
    Participant.objects.bulk_create(rows, batch_size=2000)
    shape = {
        "learners": len(ids),
        "mentees": len(workload.mentees),
        "mentors": len(workload.mentors),
        "slots": int(workload.capacities.sum()),
    }
    return staff.id, shape


def _engine():
    """The engine the worker uses: ``matching.match``, or the tests' stand-in with ``--engine stand-in``."""
    if ENV["EMENTOR_IT_ENGINE"] == "real":
        import matching

        return matching.match
    import staged_engine

    return staged_engine.match


def _library_only() -> dict:
    """Time reading the program as a run does, then the engine alone, in this process."""
    from ementor_plugin import runs
    from ementor_plugin.models import Program

    program = Program.objects.get(course_key=COURSE)
    load_before = _loadavg()
    started = time.perf_counter()
    inputs = runs.MatchingInputs.build(program, runs.config_snapshot(program))
    load = time.perf_counter() - started
    started = time.perf_counter()
    result = _engine()(inputs.mentees, inputs.mentors, inputs.config())
    seconds = time.perf_counter() - started
    return {
        "load_s": round(load, 3),
        "match_s": round(seconds, 3),
        "n_matched": result.stats.n_matched,
        "stages": {k: round(v, 3) for k, v in result.stats.seconds.items()},
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
    }


class Worker:
    """``celery worker --concurrency 2`` on the devsite's app, in its own process group."""

    def __init__(self, **env: str) -> None:
        self.log = Path(tempfile.gettempdir()) / f"ementor-bench-worker-{os.getpid()}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "devsite.celery",
                "worker",
                "--concurrency=2",
                f"--queues={QUEUE}",
                "--hostname=bench@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            env={**os.environ, **ENV, **env},
            cwd=str(ROOT / "devsite"),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while "ready." not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                os.killpg(self.process.pid, signal.SIGKILL)
                raise RuntimeError(f"worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _through_worker(staff_id: int, **env: str) -> dict:
    """Request a run through the API and time it until its matches are committed."""
    from ementor_plugin import api
    from ementor_plugin.models import Match, MatchRun, Notice, Participant

    Notice.objects.all().delete()
    Match.objects.all().delete()
    Participant.objects.update(mentor_load=0)
    worker = Worker(**env)
    try:
        load_before = _loadavg()
        started = time.perf_counter()
        run_id = api.request_run(staff_id, COURSE).id  # committed here: the task is sent
        while True:
            run = MatchRun.objects.get(pk=run_id)
            if run.open_key is None:
                break
            if worker.process.poll() is not None or time.perf_counter() - started > RUN_TIMEOUT_S:
                raise RuntimeError(
                    f"run {run_id} still {run.status} after {time.perf_counter() - started:.0f} s "
                    f"(worker exit code {worker.process.poll()}):\n{worker.log.read_text()[-3000:]}"
                )
            time.sleep(0.05)
        wall = time.perf_counter() - started
        load_after = _loadavg()
    finally:
        worker.stop()
    if run.status != "succeeded":
        raise RuntimeError(f"run {run_id} {run.status}: {run.error}\n{worker.log.read_text()[-3000:]}")
    seconds = run.figures.get("seconds", {})
    return {
        "request_to_published_s": round(wall, 3),
        "n_new": run.figures.get("n_new"),
        "chunks": run.figures.get("chunks", 1),
        "stages": seconds,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "pairs": sorted(Match.objects.filter(run_id=run_id).values_list("mentee_id", "mentor_id")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--chunked", action="store_true", help="also match with chunked scoring (4 chunks)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--ref", help="run matching/ as committed at this git ref (e.g. HEAD) instead of the work tree's"
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "e2e_worker.json"))
    parser.add_argument(
        "--engine",
        choices=("real", "stand-in"),
        default="real",
        help="stand-in: the tests' slow pure-Python engine, to check the plumbing on small programs",
    )
    args = parser.parse_args()
    ENV["EMENTOR_IT_ENGINE"] = args.engine
    snapshot = None
    if args.ref:
        snapshot, ref_commit = _snapshot_matching(args.ref)
    args.out = str(Path(args.out).resolve())
    # Celery's Django fixup puts the cwd first on sys.path: run from devsite/ (as the worker does), where no
    # ``matching`` package would shadow the snapshot.
    os.chdir(ROOT / "devsite")
    _setup_django()
    import redis

    import matching

    source = {"from": "work tree"}
    if snapshot is not None:
        if not Path(matching.__file__).resolve().is_relative_to(snapshot.resolve()):
            shutil.rmtree(snapshot, ignore_errors=True)
            sys.exit(f"matching was imported from {matching.__file__}, not from the snapshot {snapshot}")
        source = {"from": f"git archive {args.ref}", "commit": ref_commit}

    if args.engine == "real" and not hasattr(matching, "match"):
        sys.exit("matching.match is not available yet: nothing to measure")
    machine = _machine()
    code = _code()
    redis.Redis(db=REDIS_DB).flushdb()
    _create_database()
    try:
        wall_started = time.perf_counter()
        started = time.perf_counter()
        staff_id, shape = _load_program(args.learners)
        print(f"program: {shape} (inserted in {time.perf_counter() - started:.1f} s)", flush=True)
        library = _library_only()
        print(
            f"library only: load {library['load_s']} s + matching.match {library['match_s']} s "
            f"({library['n_matched']} matched)",
            flush=True,
        )
        worker = _through_worker(staff_id)
        single_pairs = worker.pop("pairs")
        print(
            f"through the worker: {worker['request_to_published_s']} s from request to published matches "
            f"({worker['n_new']} matches); run stages {worker['stages']}",
            flush=True,
        )
        summary: dict[str, Any] = {"program": shape, "library_only": library, "worker": worker}
        if args.chunked:
            from ementor_plugin import chunked

            if chunked.engine_stages() is None:
                print("chunked: the engine has no staged API yet (matching.prepare/score_chunk/combine)")
            else:
                size = str(-(-shape["mentees"] // 4))
                chunked_run = _through_worker(staff_id, EMENTOR_IT_CHUNK_THRESHOLD="1", EMENTOR_IT_CHUNK_SIZE=size)
                chunked_run["identical_to_single"] = chunked_run.pop("pairs") == single_pairs
                summary["worker_chunked"] = chunked_run
                print(f"through the worker, 4 chunks: {summary['worker_chunked']}", flush=True)
        code_after = _code()
        if code_after != code and snapshot is None:
            print(f"warning: the code changed during the run: {code} -> {code_after}", flush=True)
        summary = {
            "args": vars(args),
            "machine": machine,
            "code": code,
            "matching_source": source,
            "code_after": code_after,
            **summary,
            "total_wall_s": round(time.perf_counter() - wall_started, 1),
        }
        print(json.dumps(summary))
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}", flush=True)
    finally:
        if not args.keep_db:
            _drop_database()
        redis.Redis(db=REDIS_DB).flushdb()
        if snapshot is not None:
            shutil.rmtree(snapshot, ignore_errors=True)


if __name__ == "__main__":
    main()
