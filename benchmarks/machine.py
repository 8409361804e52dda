"""Facts about the machine a benchmark ran on, and its memory bandwidth measured in the run."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import time
from importlib import metadata
from pathlib import Path

import numpy as np

_PEERS = ("numpy", "pyarrow", "duckdb", "numba", "python-bitcoinlib", "bdkpython")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (the platform's processor string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_bytes() -> int:
    """Total memory from /proc/meminfo, 0 when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def versions() -> dict[str, str]:
    """Installed versions of Python and the libraries the benchmarks use or compare with."""
    found = {"python": platform.python_version()}
    for name in _PEERS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def copy_seconds(nbytes: int, *, repeats: int = 5) -> float:
    """Best time of ``repeats`` numpy copies of an ``nbytes`` array into another."""
    src = np.ones(max(1, nbytes // 8), dtype=np.int64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return best


def bandwidth_gbs(nbytes: int = 512 << 20, *, repeats: int = 5) -> float:
    """Memory bandwidth in GB/s: bytes read plus bytes written by a numpy copy, best run.

    Counting both directions is STREAM's convention for its Copy kernel.
    """
    return 2 * nbytes / copy_seconds(nbytes, repeats=repeats) / 1e9


def machine_facts(*, bandwidth_bytes: int = 512 << 20) -> dict[str, object]:
    """Cores, memory, CPU, versions and the bandwidth measured now."""
    return {
        "cores": os.cpu_count() or 0,
        "memory_bytes": memory_bytes(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "versions": versions(),
        "bandwidth_gbs": round(bandwidth_gbs(bandwidth_bytes), 2),
    }


def reset_peak_rss() -> int:
    """Reset the process's peak RSS to its current RSS where Linux allows; return it in bytes."""
    # Without it the peak covers the whole run so far: still an upper bound.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_bytes("VmRSS:")


def peak_rss() -> int:
    """Peak resident memory of this process in bytes since the last :func:`reset_peak_rss`."""
    peak = _status_bytes("VmHWM:")
    return peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status_bytes(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
