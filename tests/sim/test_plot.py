"""plot_pareto writes a picture of the comparison, and refuses what it cannot draw."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairlead import sim

pytest.importorskip("matplotlib")

PNG = b"\x89PNG\r\n\x1a\n"


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
    assert out.read_bytes()[:8] == PNG


def _comparison(*names: str) -> sim.Comparison:
    """A comparison by hand (no simulation): every metric is seed + position."""
    seeds = (1, 2, 3)
    rows = tuple(
        {"strategy": s, "seed": seed, **{m: float(seed + k) for m in sim.METRICS}}
        for k, s in enumerate(names)
        for seed in seeds
    )
    return sim.Comparison(strategies=names, seeds=seeds, rows=rows)


@pytest.fixture
def comparisons() -> dict[str, sim.Comparison]:
    return {"a": _comparison("round robin", "band 5%", "band 10%")}


def test_a_path_without_suffix_gets_png(tmp_path: Path, comparisons: dict) -> None:
    out = sim.plot_pareto(comparisons, tmp_path / "front", fronts={"a": ["band 5%"]})
    assert out == tmp_path / "front.png"
    assert out.read_bytes()[:8] == PNG
    assert not (tmp_path / "front").exists()


def test_another_supported_suffix_chooses_the_format(tmp_path: Path, comparisons: dict) -> None:
    out = sim.plot_pareto(comparisons, tmp_path / "front.PDF", fronts={})
    assert out == tmp_path / "front.PDF"
    assert out.read_bytes()[:5] == b"%PDF-"


def test_a_folder_is_refused(tmp_path: Path, comparisons: dict) -> None:
    (tmp_path / "pics.png").mkdir()
    for folder in (tmp_path, tmp_path / "pics"):
        with pytest.raises(ValueError, match="path must be a file to write, got the folder"):
            sim.plot_pareto(comparisons, folder, fronts={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pics.png"]


def test_an_unsupported_suffix_is_refused(tmp_path: Path, comparisons: dict) -> None:
    with pytest.raises(
        ValueError,
        match=r"path has suffix '\.xyz', which matplotlib cannot write; supported: .*\.pdf.*\.png",
    ):
        sim.plot_pareto(comparisons, tmp_path / "x.xyz", fronts={})
    assert not list(tmp_path.iterdir())


def test_a_file_in_the_way_of_the_folder_is_refused(tmp_path: Path, comparisons: dict) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(ValueError, match=r"cannot write '.*x\.png': '.*taken' is a file"):
        sim.plot_pareto(comparisons, tmp_path / "taken" / "deeper" / "x.png", fronts={})


@pytest.mark.parametrize(
    ("fronts", "pattern"),
    [
        (
            {"a": ["nope"]},
            r"fronts\['a'\] names strategy 'nope', which comparison 'a' does not have; "
            r"known: \['round robin', 'band 5%', 'band 10%'\]",
        ),
        ({"a": "round robin"}, r"fronts\['a'\] must be a list of strategy names, got 'round"),
        ({"zzz": ["round robin"]}, r"fronts has label 'zzz', which is not a comparison; "),
        (["band 5%"], r"fronts must be a dict of comparison label to a list of strategy names"),
    ],
    ids=["unknown strategy", "a string", "unknown label", "a list"],
)
def test_bad_fronts_are_refused(
    tmp_path: Path, comparisons: dict, fronts: object, pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern):
        sim.plot_pareto(comparisons, tmp_path / "f.png", fronts=fronts)  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("comparisons", "pattern"),
    [
        ({}, "comparisons must be a non-empty dict of label to Comparison"),
        ({"e": _comparison()}, "comparison 'e' has no strategies to plot"),
        ({"e": "not one"}, r"comparisons\['e'\] must be a Comparison, got str"),
    ],
    ids=["none", "no strategies", "not a comparison"],
)
def test_nothing_to_draw_is_refused(tmp_path: Path, comparisons: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        sim.plot_pareto(comparisons, tmp_path / "f.png", fronts={})  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


def test_an_unknown_metric_is_refused(tmp_path: Path, comparisons: dict) -> None:
    with pytest.raises(ValueError, match=r"^y must be one of \['conversions', .*got 'wins'$"):
        sim.plot_pareto(comparisons, tmp_path / "f.png", fronts={}, y="wins")
