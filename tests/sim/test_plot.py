"""plot_pareto writes a PNG of the comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairlead import sim

pytest.importorskip("matplotlib")


def test_plot_pareto_writes_a_png(tmp_path: Path) -> None:
    small = sim.SimConfig(n_managers=4, weeks=1, leads_per_weekday=15)
    band = sim.FairleadBatch(tolerance=0.1)
    loose = sim.FairleadBatch(tolerance=None)
    result = sim.compare(
        [sim.RoundRobin(), band, loose], seeds=[1, 2], config=small, knowledge="oracle"
    )
    out = sim.plot_pareto(
        {"oracle": result},
        tmp_path / "deep" / "front.png",
        fronts={"oracle": [band.name, loose.name]},
    )
    assert out == tmp_path / "deep" / "front.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
