"""Compare two saved assignments (e.g. our stable matching and the ``matching`` library's)."""

from __future__ import annotations

from typing import Any


def same_assignment(params: dict[str, Any], io: Any):
    """Whether two saved ``assignment`` arrays are identical, and how many mentees differ."""
    a = io.load(params["a"])["assignment"]
    b = io.load(params["b"])["assignment"]

    def run():
        return None

    def report(_):
        differ = int((a != b).sum()) if a.shape == b.shape else None
        return {"identical": bool(a.shape == b.shape and differ == 0), "differ": differ}

    return run, report
