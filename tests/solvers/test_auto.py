"""method="auto": the rules in the code are the table in docs/policies.md, and they hold."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import fairlead as fl
from fairlead.solvers._auto import RULES, VALUE_BAND_PAIRS, WEIGHTED_PAIRS, choose_method
from fairlead.solvers._base import get_solver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def docs_table() -> list[tuple[str, str, str]]:
    """Rows (problem, method, why) of the table under '## Which method, and why'."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Which method, and why", 1)[1]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "problem" or set(cells[0]) <= {"-", " "}:
            continue
        problem, method, why = cells
        rows.append((problem, method.strip("`"), why))
    return rows


def test_the_docs_table_is_the_code():
    assert docs_table() == [(r.problem, r.method, r.why) for r in RULES]


def test_the_docs_state_the_measured_threshold():
    text = DOCS.read_text(encoding="utf-8")
    assert f"value bands, ≥ {VALUE_BAND_PAIRS:,} eligible pairs" in text
    assert f"weighted leads, ≥ {WEIGHTED_PAIRS:,} eligible pairs" in text
    assert "benchmarks/auto_choice.py" in text


def problem(n, m, **kwargs):
    rng = np.random.default_rng(0)
    kwargs.setdefault("capacity", np.full(m, int(np.ceil(1.2 * n / m)) * 3))
    return fl.AssignmentProblem(value=rng.random((n, m)), **kwargs)


def count_and_value_bands(n, m):
    """The 2,000 x 20 shape on which cp_sat used to be chosen: both bands bind."""
    rng = np.random.default_rng(1)
    value = rng.random((n, m))
    t = n / m
    per = value.max(axis=1).sum() / m
    return fl.AssignmentProblem(
        value=value,
        capacity=np.full(m, np.ceil(1.2 * t)),
        min_load=np.full(m, np.floor(0.9 * t)),
        max_load=np.full(m, np.ceil(1.1 * t)),
        min_value=np.full(m, 0.97 * per),
        max_value=np.full(m, 1.01 * per),
    )


def weighted(n, m, **kwargs):
    return problem(n, m, weight=np.arange(n) % 3 + 1.0, **kwargs)


def value_band(n, m, **kwargs):
    return problem(n, m, min_value=np.zeros(m), **kwargs)


def just_below(pairs):
    """(n, m) with n * m just below ``pairs``."""
    m = int(np.sqrt(pairs))
    return m - 1, m


@pytest.mark.parametrize(
    ("make", "objective", "method"),
    [
        (lambda: problem(4, 2), "maxmin", "cp_sat"),
        (lambda: problem(4, 2, max_load=[3, 3], load_penalty=1.0), "value", "cp_sat"),
        (lambda: problem(5000, 50), "value", "sifting"),
        (lambda: problem(50, 5, min_load=[5] * 5, allow_unassigned=True), "value", "sifting"),
        (lambda: weighted(5000, 50, allow_unassigned=True), "value", "cp_sat"),
        (lambda: value_band(5000, 50, allow_unassigned=True), "value", "cp_sat"),
        (lambda: count_and_value_bands(2000, 20), "value", "lp_round"),
        (lambda: weighted(WEIGHTED_PAIRS // 10, 10), "value", "lp_round"),
        (lambda: value_band(VALUE_BAND_PAIRS // 10, 10), "value", "lp_round"),
        (lambda: weighted(VALUE_BAND_PAIRS // 10, 10, min_value=np.zeros(10)), "value", "lp_round"),
        (lambda: weighted(*just_below(WEIGHTED_PAIRS)), "value", "cp_sat"),
        (lambda: value_band(*just_below(VALUE_BAND_PAIRS)), "value", "cp_sat"),
    ],
)
def test_each_rule_picks_its_method(make, objective, method):
    p = make()
    chosen, reason = choose_method(p, objective=objective)
    assert chosen == method
    rule = next(r for r in RULES if r.applies(p, objective))
    assert rule.method == method
    assert reason.endswith(rule.why)


def test_every_rule_is_reached():
    shapes = [
        (problem(4, 2), "maxmin"),
        (problem(4, 2, max_load=[3, 3], load_penalty=1.0), "value"),
        (problem(4, 2), "value"),
        (weighted(4, 2, allow_unassigned=True), "value"),
        (value_band(VALUE_BAND_PAIRS, 1), "value"),
        (weighted(WEIGHTED_PAIRS, 1), "value"),
        (weighted(4, 2), "value"),
    ]
    reached = [next(r for r in RULES if r.applies(p, o)) for p, o in shapes]
    assert reached == list(RULES)


def test_count_and_value_bands_at_2000_by_20_reach_the_bound_with_lp_round():
    p = count_and_value_bands(2000, 20)
    sol = fl.solve(p, method="auto")
    assert sol.method == "lp_round"
    assert sol.note == (
        "auto chose lp_round: value bands on 40,000 eligible pairs: LP bound, rounding and an "
        "exact repair: the best objective first (measured)"
    )
    assert sol.status is fl.SolveStatus.FEASIBLE
    assert sol.gap is not None
    assert sol.gap < 1e-4


def test_a_failed_lp_round_hands_over_to_cp_sat(monkeypatch):
    solver = get_solver("lp_round")
    real = type(solver).solve

    def failing(self, problem, **options):
        out = real(self, problem, **options)
        return dataclasses.replace(
            out, status=fl.SolveStatus.FAILED, message="HiGHS gave up", wall_time=1.0
        )

    monkeypatch.setattr(type(solver), "solve", failing)
    p = weighted(WEIGHTED_PAIRS // 10, 10)
    sol = fl.solve(p, method="auto")
    assert sol.method == "cp_sat"
    assert sol.status.has_solution
    assert sol.note.endswith("; it failed (HiGHS gave up), so cp_sat solved it")
    assert sol.note.startswith(
        f"auto chose lp_round: weighted leads on {WEIGHTED_PAIRS:,} eligible pairs"
    )
    assert sol.wall_time > 1.0


def test_the_choice_does_not_solve_anything(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("choose_method ran a solver")

    for name in fl.list_methods():
        monkeypatch.setattr(type(get_solver(name)), "solve", refuse)
    for p in (count_and_value_bands(2000, 20), weighted(100, 5), problem(100, 5)):
        choose_method(p)
