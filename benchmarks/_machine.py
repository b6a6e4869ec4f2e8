"""What every benchmark prints about the machine it ran on, and its memory."""

from __future__ import annotations

import os
import platform
import resource
import sys
from importlib import metadata
from typing import Any


def version(dist: str) -> str:
    """Installed version of a distribution, or ``"not installed"``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(*dists: str) -> dict[str, Any]:
    """Cores, platform, Python and the versions of ``dists`` (without importing them)."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    info.update({dist: version(dist) for dist in dists})
    return info


def status_mib(field: str) -> float | None:
    """``VmHWM`` (peak, reset by ``exec``) or ``VmRSS`` of this process in MiB (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def max_rss_mib() -> float:
    """Peak RSS of this process from ``getrusage`` (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def peak_rss_mib() -> float:
    """Peak RSS of this process: ``VmHWM`` where Linux has it, else ``ru_maxrss``."""
    hwm = status_mib("VmHWM")
    return hwm if hwm is not None else max_rss_mib()
