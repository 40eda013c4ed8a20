"""Integration fixtures: a dedicated MariaDB database, a dedicated Redis database, real Celery workers.

Nothing here shares state with other test runs on the machine, even another run of these tests: the database is
``test_ementor_worker_<pid>`` (created and dropped here), the broker is Redis database ``EMENTOR_IT_REDIS_DB``
(default 11) where this run's queue and fault switches carry the run's tag (removed afterwards, never the whole
database), and the workers consume only that queue. Workers run the devsite's Celery app (configured like the LMS's) as
subprocesses with ``--concurrency 2``, in their own process group so a test can SIGKILL one with its children.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TAG = f"{os.getpid()}"
DB_NAME = os.environ.get("EMENTOR_IT_DB", f"test_ementor_worker_{TAG}")
REDIS_DB = int(os.environ.get("EMENTOR_IT_REDIS_DB", "11"))
QUEUE = f"ementor.it.{TAG}"
PREFIX = f"ementor-it:{TAG}:"
MAIL_DIR = Path(tempfile.gettempdir()) / f"ementor-it-mail-{os.getpid()}"
_names = count(1)


def base_env(**extra: str) -> dict[str, str]:
    """The environment of every integration subprocess (worker, agent, migrate)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "EMENTOR_TEST"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "ementor_it_settings",
        "PYTHONPATH": os.pathsep.join(map(str, (HERE, ROOT / "tests" / "ementor_plugin", ROOT, ROOT / "devsite"))),
        "EMENTOR_IT_DB": DB_NAME,
        "EMENTOR_IT_REDIS_DB": str(REDIS_DB),
        "EMENTOR_IT_MAIL_DIR": str(MAIL_DIR),
        "EMENTOR_MATCHING_QUEUE": QUEUE,
        "EMENTOR_IT_PREFIX": PREFIX,
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def _mysql():
    import MySQLdb

    return MySQLdb.connect(host=os.environ.get("EMENTOR_TEST_DB_HOST", "127.0.0.1"),
                           user=os.environ.get("EMENTOR_TEST_DB_USER", "root"),
                           passwd=os.environ.get("EMENTOR_TEST_DB_PASSWORD", ""))


@pytest.fixture(scope="session")
def redis_client():
    """The dedicated Redis database; this run's keys (queue, switches, counters) are removed at the end."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield client
    own = [*client.scan_iter(f"{PREFIX}*"), *client.scan_iter(f"*{QUEUE}*")]  # switches, queue, bindings
    if own:
        client.delete(*own)


@pytest.fixture(scope="session")
def integration_db(redis_client):
    """Create and migrate the dedicated database; drop it at the end."""
    try:
        conn = _mysql()
    except Exception:
        pytest.skip("no MariaDB on 127.0.0.1:3306")
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{DB_NAME}`")
        cursor.execute(f"CREATE DATABASE `{DB_NAME}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    subprocess.run([sys.executable, str(ROOT / "devsite" / "manage.py"), "migrate", "--noinput", "-v", "0"],
                   env=base_env(), check=True, timeout=300)
    yield DB_NAME
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{DB_NAME}`")
    conn.close()


class Agent:
    """A Django process on the integration settings that runs ``ementor_it_agent`` commands."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "ementor_it_agent.py")], env=base_env(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
        )

    def __call__(self, cmd: str, **args):
        self.process.stdin.write(json.dumps({"cmd": cmd, "args": args}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise AssertionError(f"agent {cmd} failed: {answer['error']}")
        return answer["ok"]

    def wait_run(self, run_id: int, timeout: float = 40.0, until=lambda run: not run["open"]) -> dict:
        """Poll the run until ``until(run)`` holds; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            run = self("run", run_id=run_id)
            if until(run):
                return run
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} still {run['status']}/{run['stage']} after {timeout}s")
            time.sleep(0.2)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def agent(integration_db):
    helper = Agent()
    yield helper
    helper.close()


class Worker:
    """``celery worker`` on the devsite's app, concurrency 2, in its own process group."""

    def __init__(self, **env: str) -> None:
        self.name = f"it{next(_names)}"
        self.log = Path(tempfile.gettempdir()) / f"ementor-it-{os.getpid()}-{self.name}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "devsite.celery", "worker", "--concurrency=2", "--pool=prefork",
             f"--queues={QUEUE}", f"--hostname={self.name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            env=base_env(**env), cwd=str(ROOT / "devsite"), stdout=self.log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 40
        while "ready." not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                os.killpg(self.process.pid, signal.SIGKILL)
                raise AssertionError(f"worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a crashed machine)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (finish current tasks), then make sure the whole group is gone."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # orphaned pool children, if any

    def text(self) -> str:
        return self.log.read_text()


@pytest.fixture
def start_worker(integration_db):
    """Start workers with extra settings (environment); all are stopped after the test."""
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(**env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def worker(integration_db):
    """One worker with the default settings for a module's tests."""
    running = Worker()
    yield running
    running.stop()


@pytest.fixture
def mail_dir():
    MAIL_DIR.mkdir(exist_ok=True)
    for path in MAIL_DIR.iterdir():
        path.unlink()
    return MAIL_DIR


@pytest.fixture
def faults(redis_client):
    """Switch worker faults on (``faults["sleep"] = 2``); all are switched off after the test."""

    class Faults:
        def __setitem__(self, name, value):
            redis_client.set(f"{PREFIX}{name}", value)

        def __delitem__(self, name):
            redis_client.delete(f"{PREFIX}{name}")

        def count(self, name) -> int:
            return int(redis_client.get(f"{PREFIX}{name}") or 0)

    yield Faults()
    redis_client.delete(*(f"{PREFIX}{name}" for name in ("sleep", "db-error", "chunk-error")))
