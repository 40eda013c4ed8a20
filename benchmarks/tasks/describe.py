"""Describe the interpreter a row runs in: versions, and which BLAS kernel numpy's matrix products use.

threadpoolctl is used when the interpreter has it; otherwise OpenBLAS is asked directly through ctypes (the
same calls threadpoolctl makes), so the project's own virtualenv needs no extra package.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import platform
import sys
from typing import Any


def _openblas_direct() -> list[dict[str, Any]]:
    with open("/proc/self/maps", encoding="ascii", errors="replace") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    found = []
    for path in paths:
        lib = ctypes.CDLL(path)
        entry: dict[str, Any] = {"filepath": path, "internal_api": "openblas"}
        for suffix in ("64_", "", "_64"):
            for key, name in (("architecture", "openblas_get_corename"), ("version", "openblas_get_config")):
                fn = getattr(lib, name + suffix, None)
                if fn is not None and key not in entry:
                    fn.restype = ctypes.c_char_p
                    entry[key] = fn().decode()
            threads = getattr(lib, "openblas_get_num_threads" + suffix, None)
            if threads is not None and "num_threads" not in entry:
                entry["num_threads"] = int(threads())
        found.append(entry)
    return found


def describe(params: dict[str, Any], io: Any):
    """Versions of the packages named in ``params['packages']`` and the BLAS numpy loaded (nothing measured)."""
    import numpy as np

    np.matmul(np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))  # make sure BLAS is loaded

    def run():
        return None

    def report(_):
        versions = {}
        for name in params.get("packages", ["numpy", "scipy"]):
            try:
                versions[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                versions[name] = None
        try:
            from threadpoolctl import threadpool_info

            blas = [{k: v for k, v in info.items() if k != "prefix"} for info in threadpool_info()]
            source = "threadpoolctl"
        except ImportError:
            blas = _openblas_direct()
            source = "ctypes (threadpoolctl not installed)"
        return {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "versions": versions,
            "blas": blas,
            "blas_source": source,
            "openblas_env": {
                k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
            },
        }

    return run, report
