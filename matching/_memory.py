"""Hand freed heap memory back to the operating system between the engine's large stages.

glibc's allocator raises its mmap threshold (up to 32 MB) after a large block is freed, so the many mid-sized
numpy arrays of feature building and chunked scoring end up on the heap; freed ones between live ones stay
resident (100k x 10k program: about 200 MB of freed memory still counted in RSS after fusing). ``malloc_trim``
returns those pages. Elsewhere (another libc, another OS) :func:`release` does nothing. It never changes a
result: only where freed memory lives.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["release"]


def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _trim()


def release() -> None:
    """Return freed heap memory to the operating system (glibc); a no-op where that is not available."""
    if _TRIM is not None:
        _TRIM(0)
