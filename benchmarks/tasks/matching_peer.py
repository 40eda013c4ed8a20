"""Peer row run with the PyPI ``matching`` library (``benchmarks/.venvs/matching``): hospital-resident.

That package has our package's import name, so this file runs only in its own virtualenv, in a process whose
``sys.path`` and working directory do not contain the repository (``worker.py -I``); the row checks where
``matching`` was imported from and fails loudly otherwise.

``HospitalResident.__init__`` deep-copies its cyclic player graph, which overflows Python's default recursion
limit from about 1k residents (see the anchors), so the game runs in a thread with a 1 GiB stack and a large
recursion limit. Building the preference dictionaries from arrays is preparation (not measured); creating the
game and solving it (resident-optimal) is the measured call, split in the report.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np


def hospital_resident(params: dict[str, Any], io: Any):
    """Resident-optimal stable matching of the saved preference lists (CSR graph + mentor-side scores)."""
    import matching
    from matching.games import HospitalResident

    if Path(matching.__file__).resolve().parent == (Path(params["forbid_repo"]) / "matching").resolve():
        raise RuntimeError(f"imported our package instead of the PyPI one: {matching.__file__}")
    g = io.load(params["graph"])
    indptr, mentor, mentor_score, capacities = g["indptr"], g["mentor"], g["mentor_score"], g["capacities"]
    n, m = indptr.size - 1, capacities.size
    resident_prefs = {f"r{i}": [f"h{j}" for j in mentor[indptr[i] : indptr[i + 1]].tolist()] for i in range(n)}
    rows = np.repeat(np.arange(n), np.diff(indptr))
    # Each mentor ranks the mentees that listed it: higher mentor-side score first, ties by mentee index.
    order = np.lexsort((rows, -mentor_score, mentor))
    bounds = np.searchsorted(mentor[order], np.arange(m + 1))
    hospital_prefs = {f"h{j}": [f"r{i}" for i in rows[order[bounds[j] : bounds[j + 1]]].tolist()] for j in range(m)}
    hospital_capacities = {f"h{j}": int(capacities[j]) for j in range(m)}

    def run():
        box: dict[str, Any] = {}

        def work():
            t0 = time.perf_counter()
            game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, hospital_capacities)
            t1 = time.perf_counter()
            box["matching"] = game.solve(optimal="resident")
            box["split"] = {"create_s": t1 - t0, "solve_s": time.perf_counter() - t1}

        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(10**7)
        threading.stack_size(1 << 30)
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        sys.setrecursionlimit(old_limit)
        if "matching" not in box:
            raise RuntimeError("HospitalResident failed (see stderr)")
        return box

    def report(box):
        assignment = np.full(n, -1, dtype=np.int64)
        for hospital, residents in box["matching"].items():
            for resident in residents:
                assignment[int(resident.name[1:])] = int(hospital.name[1:])
        io.save(params["out"], assignment=assignment)
        return {**box["split"], "matched": int((assignment >= 0).sum()), "library": matching.__file__}

    return run, report
