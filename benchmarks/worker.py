"""Run ONE measured call in a fresh process and report its time and memory.

Every benchmark row (ours or a peer's) runs here, in a process of its own, so peak memory of one row never
mixes with another's and each peer can live in its own virtualenv. The parent (``harness.py``) starts::

    <venv python> -I benchmarks/worker.py spec.json

``-I`` (isolated mode) keeps PYTHONPATH, the user site and the script's own folder off ``sys.path``: a peer
that imports the PyPI ``matching`` package therefore can never see our ``matching/``. Only our own rows add the
repository root, explicitly, through the spec. The task module is loaded from its file path, which touches no
``sys.path`` either.

A task is ``def name(params: dict, io: TaskIO) -> tuple[run, report]``: the task prepares its inputs (not
measured), ``run()`` is the measured call, and ``report(output)`` turns the output into JSON numbers (also not
measured). Memory is the peak RSS (``VmHWM``, reset through ``/proc/self/clear_refs``) minus the RSS just before
``run()``, as in the anchors; it includes memory held inside C/C++ extensions.

This file must stay importable with only the standard library and numpy: it runs in every virtualenv.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def rss_mib() -> float:
    """Current resident set size in MiB."""
    return _status_kib("VmRSS") / 1024.0


def peak_mib() -> float:
    """Peak resident set size since the last reset, in MiB."""
    return _status_kib("VmHWM") / 1024.0


class TaskIO:
    """What a task may touch: its scratch folder for inputs and outputs shared with other rows."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def load(self, name: str) -> dict[str, np.ndarray]:
        """Load the arrays another row saved under ``name``."""
        with np.load(self.workdir / f"{name}.npz", allow_pickle=False) as data:
            return {key: data[key] for key in data.files}

    def save(self, name: str, **arrays: np.ndarray) -> None:
        """Save arrays under ``name`` for later rows (e.g. a candidate graph, an assignment)."""
        np.savez(self.workdir / f"{name}.npz", **arrays)

    def exists(self, name: str) -> bool:
        """Whether arrays were saved under ``name``."""
        return (self.workdir / f"{name}.npz").exists()


def main(spec_path: str) -> int:
    """Run the task the spec names and write its measurements next to the spec."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    for entry in spec.get("sys_path", []):
        sys.path.insert(0, entry)
    repo = spec.get("forbid_repo")
    if repo:
        # Our package must be unreachable: neither the cwd nor any sys.path entry may hold the repo's matching/.
        ours = (Path(repo) / "matching").resolve()
        reach = [p for p in sys.path if (Path(p or ".") / "matching").resolve() == ours]
        if reach or Path.cwd().resolve() == Path(repo).resolve():
            raise RuntimeError(f"our package is reachable from {reach or Path.cwd()}")
    module_spec = importlib.util.spec_from_file_location(spec["module_name"], spec["task_file"])
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    task = getattr(module, spec["task"])

    run, report = task(spec.get("params", {}), TaskIO(Path(spec["workdir"])))
    gc.collect()
    can_reset = reset_peak()
    base = rss_mib()
    start = time.perf_counter()
    output = run()
    seconds = time.perf_counter() - start
    peak = peak_mib()
    info: dict[str, Any] = report(output) or {}
    result = {
        "seconds": seconds,
        "base_mib": base,
        "peak_mib": peak,
        "extra_mib": peak - base if can_reset else None,
        "info": info,
        "python": sys.version.split()[0],
        "executable": sys.executable,
    }
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
