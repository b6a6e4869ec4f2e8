"""Connector tests: the fake CRM servers (``fakes/``) importable, and their fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

# The fakes are test code, not part of the package: reachable as ``fakes.<crm>``.
sys.path.insert(0, str(Path(__file__).parent))
