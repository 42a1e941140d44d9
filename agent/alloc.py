"""Memory the agent frees and asks for again at once: screen grabs (8 MB a
frame at 1080p, 33 MB at 4K) and file chunks (a few MB each).

With glibc's defaults, a large buffer often comes as freshly mapped pages and
goes back to the system when freed: every grab or chunk then pays a page
fault per 4 KiB, which cost the agent more than the copying itself (about
half its CPU per file; 5 ms of a 1080p grab's 6). `tune_allocator` keeps
such buffers in the heap and keeps up to `TRIM_BYTES` of freed memory for the
next one. Elsewhere than glibc it does nothing."""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
MMAP_BYTES = 32 * 2**20  # glibc's largest: buffers below this come from the heap
TRIM_BYTES = 64 * 2**20

_done = False


def tune_allocator() -> None:
    """Set glibc's thresholds once for the process (later calls do nothing)."""
    global _done
    if _done:
        return
    _done = True
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # TypeError: CDLL(None) on Windows
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)
    mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES)
