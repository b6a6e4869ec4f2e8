import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_quickstart_prints_what_the_readme_says(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES[0].parent / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    readme = (EXAMPLES[0].parent.parent / "README.md").read_text()
    assert "{'l-1': 'anna', 'l-2': 'ben', 'l-3': 'cleo', 'l-4': 'anna'}" in out
    assert "{'l-1': 'anna', 'l-2': 'ben', 'l-3': 'cleo', 'l-4': 'anna'}" in readme
    assert "expected conversions: 2.235" in out
    assert "Lead 'l-4' (hot) -> 'anna': expected value 0.800." in out
