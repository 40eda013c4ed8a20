"""Start benchmark rows in fresh processes, each in the right interpreter, and collect their measurements.

A *runner* names an interpreter and what its ``sys.path`` may hold:

* ``ours``: the project's Python with the repository root on ``sys.path`` (our ``matching`` package);
* ``numpy``: the project's Python without the repository (numpy/scipy peers);
* ``ortools``: ``benchmarks/.venvs/ortools`` (OR-Tools, numpy, scipy);
* ``matching``: ``benchmarks/.venvs/matching`` (the PyPI ``matching`` library). Its working directory is the
  scratch folder and the worker refuses to start if any ``sys.path`` entry lies inside the repository.

Every process runs ``worker.py -I`` (see there for how time and memory are measured).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
TASKS = BENCH_DIR / "tasks"
VENVS = BENCH_DIR / ".venvs"


def machine() -> dict[str, Any]:
    """The box a result came from: CPU model, cores, memory, kernel and the time (UTC)."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(total_kib / 2**20, 1),
        "kernel": platform.release(),
        "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
    }


@dataclass
class Runner:
    """An interpreter and the ``sys.path`` additions its rows get."""

    name: str
    python: str
    sys_path: list[str] = field(default_factory=list)
    forbid_repo: bool = False


def runners(project_python: str, ours_root: Path = REPO) -> dict[str, Runner]:
    """The four runners, with the project's interpreter given by ``PYTHON``.

    ``ours_root`` is the folder our ``matching`` package is imported from: the work tree by default, or a
    snapshot of a commit (``bench.py --ref``) so edits in progress in a shared tree cannot break a run.
    """
    return {
        "ours": Runner("ours", os.path.abspath(project_python), [str(ours_root), str(BENCH_DIR)]),
        "numpy": Runner("numpy", os.path.abspath(project_python), [], forbid_repo=True),
        "ortools": Runner("ortools", str(VENVS / "ortools" / "bin" / "python"), [], forbid_repo=True),
        "matching": Runner("matching", str(VENVS / "matching" / "bin" / "python"), [], forbid_repo=True),
    }


class RowFailed(RuntimeError):
    """A measured process exited with an error; the message holds the end of its stderr."""


@dataclass
class Harness:
    """Runs rows; ``workdir`` holds the arrays rows hand each other and the per-process specs and logs."""

    workdir: Path
    runners: dict[str, Runner]
    timeout: float = 900.0
    slow_s: float = 60.0
    log: list[str] = field(default_factory=list)
    _count: int = 0

    def run(self, runner: str, task_file: str, task: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one measured call in a fresh process and return its measurements (seconds, *_mib, info)."""
        spec_runner = self.runners[runner]
        self._count += 1
        stem = self.workdir / f"{self._count:03d}-{runner}-{task}"
        params = dict(params or {})
        env = {**os.environ, **params.pop("env", {})}  # a row's own environment variables, if any
        if spec_runner.forbid_repo:
            params.setdefault("forbid_repo", str(REPO))
        spec = {
            "task_file": str(TASKS / task_file),
            "module_name": f"bench_{Path(task_file).stem}",
            "task": task,
            "params": params,
            "workdir": str(self.workdir),
            "result": str(stem) + ".result.json",
            "sys_path": spec_runner.sys_path,
            "forbid_repo": str(REPO) if spec_runner.forbid_repo else None,
        }
        spec_path = Path(str(stem) + ".spec.json")
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        # Peers start from the scratch folder so the repository is neither the cwd nor on sys.path.
        cwd = self.workdir if spec_runner.forbid_repo else REPO
        started = time.perf_counter()
        with open(str(stem) + ".log", "w", encoding="utf-8") as log:
            proc = subprocess.run(
                [spec_runner.python, "-I", str(BENCH_DIR / "worker.py"), str(spec_path)],
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=self.timeout,
                check=False,
                env=env,
            )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            tail = Path(str(stem) + ".log").read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RowFailed(f"{runner}/{task} exited {proc.returncode}:\n{tail}")
        result = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
        result["wall_s"] = wall
        # The box is shared: the 1-minute load average after the row shows whether others competed for the cores.
        result["load_1m"] = os.getloadavg()[0]
        self.log.append(f"{runner}/{task} {json.dumps(params)[:120]}: {result['seconds']:.3f} s")
        print(f"  {runner:8s} {task:22s} {result['seconds']:9.3f} s  +{_mib(result['extra_mib'])} MiB", flush=True)
        return result

    def repeat(
        self,
        times: int,
        runner: str,
        task_file: str,
        task: str,
        params: dict[str, Any] | None = None,
        *,
        always: bool = False,
    ) -> dict[str, Any]:
        """Run a row ``times`` times, each in a fresh process; return the median run plus every run's time.

        A row whose first run takes longer than ``slow_s`` runs once: the noise of a long row is small next to
        its time, and repeating it would push the full run past its budget; ``always`` repeats it anyway (a
        target defined as a median of several runs).
        """
        results = [self.run(runner, task_file, task, params)]
        while len(results) < times and (always or results[0]["seconds"] < self.slow_s):
            results.append(self.run(runner, task_file, task, params))
        seconds = [r["seconds"] for r in results]
        median = statistics.median(seconds)
        chosen = min(results, key=lambda r: abs(r["seconds"] - median))
        return {**chosen, "seconds": median, "runs_s": seconds}


def _mib(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def environment_python_ok(python: str) -> bool:
    """Whether an interpreter path exists and runs."""
    return Path(python).exists() and subprocess.run([python, "-c", "pass"], check=False).returncode == 0


if __name__ == "__main__":  # pragma: no cover - manual smoke use
    print(runners(os.environ.get("PYTHON", sys.executable)))
