"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import platform
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
