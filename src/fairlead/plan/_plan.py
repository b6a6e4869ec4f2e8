"""Plan: the assignment with ids back on, its fairness, and per-lead explanations."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from fairlead.core import AssignmentProblem, FloatArray
from fairlead.plan._fairness import FairnessReport, fairness_report
from fairlead.policy import CapacityPlan, why_ineligible
from fairlead.records import InputError, Lead, Manager, Policy, Tier, read_id
from fairlead.solvers import Solution, SolveStatus

_CLOSE = 1e-12


class UnknownLeadError(InputError, KeyError):
    """A lead id this plan does not hold: an ``InputError``, and a ``KeyError`` as before."""

    __module__ = "fairlead"

    def __str__(self) -> str:
        # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Alternative:
    """Another manager a lead could have gone to, and why it did not."""

    manager_id: str
    value: float
    reason: str
    detail: str


@dataclass(frozen=True)
class Explanation:
    """Why a lead went to its manager, in words (``str()``) and numbers.

    Attributes
    ----------
    lead_id, manager_id : str
        The lead and its manager (``None`` when unassigned).
    value : float
        Expected value of the chosen pair (0 when unassigned).
    tier : Tier
    runner_up : Alternative or None
        The other manager with the highest value for this lead.
    alternatives : tuple of Alternative
        Every other manager, best value first, with the reason it was not chosen:
        ``"ineligible"``, ``"full"``, ``"lower value"`` or ``"trade-off"`` (room and
        a higher value, but the best plan for the whole batch, within the balance
        band, needed this lead elsewhere).
    """

    lead_id: str
    manager_id: str | None
    value: float
    tier: Tier
    runner_up: Alternative | None
    alternatives: tuple[Alternative, ...]
    manager_label: str = ""

    def __str__(self) -> str:
        if self.manager_id is None:
            head = f"Lead {self.lead_id!r} ({self.tier.value}) is unassigned"
            reasons = "; ".join(f"{a.manager_id!r}: {a.detail}" for a in self.alternatives[:4])
            return f"{head}: {reasons}." if reasons else f"{head}."
        text = (
            f"Lead {self.lead_id!r} ({self.tier.value}) -> {self.manager_label}: "
            f"expected value {self.value:.3f}."
        )
        if self.runner_up is None:
            return text + " No other manager."
        r = self.runner_up
        text += f" Runner-up {r.manager_id!r} (value {r.value:.3f}): {r.detail}."
        eligible = [a for a in self.alternatives if a.reason != "ineligible"]
        if r.reason == "ineligible" and eligible:
            best = eligible[0]
            text += f" Best eligible alternative {best.manager_id!r} ({best.value:.3f}): "
            text += f"{best.detail}."
        return text


@dataclass(frozen=True, eq=False)
class Plan:
    """The result of :func:`fairlead.assign`.

    Attributes
    ----------
    assignments : dict
        Lead id to manager id, or ``None`` for a lead left unassigned.
    expected_value : float
        Sum of the expected value of the chosen pairs.
    fairness : FairnessReport
    status : SolveStatus
    method : str
        The solver used.
    message : str
        Why a heuristic broke a constraint, when it did.
    solution : Solution
        The numeric result (manager indices, loads, timings).
    problem : AssignmentProblem
        The numeric problem that was solved.
    """

    leads: tuple[Lead, ...]
    managers: tuple[Manager, ...]
    policy: Policy
    tiers: tuple[Tier, ...]
    capacity: CapacityPlan
    problem: AssignmentProblem
    solution: Solution
    assignments: dict[str, str | None] = field(init=False)
    fairness: FairnessReport = field(init=False)

    def __post_init__(self) -> None:
        ids = [mg.id for mg in self.managers]
        manager_of = self.solution.manager_of
        assignments = {
            lead.id: (ids[j] if j >= 0 else None)
            for lead, j in zip(self.leads, manager_of.tolist(), strict=True)
        }
        object.__setattr__(self, "assignments", assignments)
        placed = manager_of >= 0
        per_manager: FloatArray = np.bincount(
            manager_of[placed],
            weights=self.problem.value[placed, manager_of[placed]],
            minlength=len(ids),
        ).astype(np.float64)
        report = fairness_report(ids, self.solution.loads, self.capacity.target_share, per_manager)
        object.__setattr__(self, "fairness", report)

    @property
    def expected_value(self) -> float:
        """Sum of the expected value of the chosen pairs."""
        return self.solution.objective

    @property
    def status(self) -> SolveStatus:
        """How the solve ended."""
        return self.solution.status

    @property
    def method(self) -> str:
        """Name of the solver used."""
        return self.solution.method

    @property
    def message(self) -> str:
        """The solver's message (empty when all went well)."""
        return self.solution.message

    @property
    def unassigned(self) -> list[str]:
        """Ids of the leads left without a manager."""
        return [lead_id for lead_id, mid in self.assignments.items() if mid is None]

    @cached_property
    def _lead_positions(self) -> dict[str, int]:
        """Lead id to its row, built once on first use (the first row for a repeated id)."""
        positions: dict[str, int] = {}
        for i, lead in enumerate(self.leads):
            positions.setdefault(lead.id, i)
        return positions

    def _lead_index(self, lead_id: Any) -> int:
        # The id rule of the records: explain(123) finds the lead that was given as 123.
        try:
            key = read_id(lead_id, "lead id")
        except InputError as exc:
            raise UnknownLeadError(
                f"no lead with id {lead_id!r} in this plan: {exc}", field="lead_id", value=lead_id
            ) from None
        try:
            return self._lead_positions[key]
        except KeyError:
            raise UnknownLeadError(
                f"no lead with id {key!r} in this plan", field="lead_id", value=lead_id
            ) from None

    def explain(self, lead_id: str) -> Explanation:
        """Why lead ``lead_id`` went where it did: its manager, value and the alternatives.

        Raises
        ------
        UnknownLeadError
            If the plan has no such lead.
        """
        i = self._lead_index(lead_id)
        lead, tier = self.leads[i], self.tiers[i]
        problem = self.problem
        chosen = int(self.solution.manager_of[i])
        values = problem.value[i]
        worth = problem.net_value()[i]
        work = problem.weight_matrix()[i]
        penalty = problem.pair_penalty[i] if problem.pair_penalty is not None else None
        loads = self.solution.loads
        # A soft band can be left at a price: only the hard limits make a manager full.
        band = problem.hard_upper_load if problem.load_penalty is not None else problem.upper_load
        worth_chosen = float(worth[chosen]) if chosen >= 0 else 0.0
        chosen_value = float(values[chosen]) if chosen >= 0 else 0.0
        manager_of = self.solution.manager_of
        placed = manager_of >= 0
        totals = np.bincount(
            manager_of[placed],
            weights=problem.value[placed, manager_of[placed]],
            minlength=problem.n_managers,
        )
        alternatives: list[Alternative] = []
        for j in np.argsort(-worth, kind="stable"):
            j = int(j)
            if j == chosen:
                continue
            manager = self.managers[j]
            v = float(values[j])
            price = float(penalty[j]) if penalty is not None else 0.0
            priced = f"; a soft rule costs {price:.3f} here" if price > 0 else ""
            rule = why_ineligible(lead, tier, manager, self.policy)
            if rule is not None:
                alternatives.append(Alternative(manager.id, v, "ineligible", rule))
            elif self.capacity.free[j] <= 0:
                detail = (
                    f"full (no free capacity: {manager.active_leads} open leads of "
                    f"{manager.max_active_leads})"
                )
                alternatives.append(Alternative(manager.id, v, "full", detail))
            elif loads[j] + work[j] > band[j] + 1e-9:
                limit = "balance band" if band[j] < self.capacity.free[j] else "capacity"
                need = "" if work[j] == 1.0 else f", this lead needs {work[j]:g}"
                unit = "leads" if problem.unit_weights else "workload"
                detail = f"full ({loads[j]:g} of {band[j]:g} {unit}, its {limit} limit{need})"
                alternatives.append(Alternative(manager.id, v, "full", detail))
            elif (
                problem.max_value is not None
                and problem.value_penalty is None
                and totals[j] + v > problem.max_value[j] + 1e-9
            ):
                detail = (
                    f"at its value band limit ({totals[j]:.3f} of {problem.max_value[j]:.3f} "
                    "expected value)"
                )
                alternatives.append(Alternative(manager.id, v, "full", detail))
            elif chosen >= 0 and float(worth[j]) <= worth_chosen + _CLOSE:
                detail = f"lower value ({v - chosen_value:+.3f}{priced})"
                alternatives.append(Alternative(manager.id, v, "lower value", detail))
            else:
                gain = f"{v - chosen_value:+.3f}" if chosen >= 0 else f"{v:.3f}"
                detail = (
                    f"value {gain} here{priced}, but the best plan for the whole batch within "
                    "its bands needed this lead elsewhere"
                )
                alternatives.append(Alternative(manager.id, v, "trade-off", detail))
        label = self.managers[chosen].label if chosen >= 0 else ""
        return Explanation(
            lead_id=lead.id,
            manager_id=self.managers[chosen].id if chosen >= 0 else None,
            value=chosen_value,
            tier=tier,
            runner_up=alternatives[0] if alternatives else None,
            alternatives=tuple(alternatives),
            manager_label=label,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per lead: ids, manager name, expected value, tier, score, product."""
        names = {mg.id: mg.name for mg in self.managers}
        manager_of = self.solution.manager_of
        records = []
        for i, lead in enumerate(self.leads):
            j = int(manager_of[i])
            mid = self.managers[j].id if j >= 0 else None
            records.append(
                {
                    "lead_id": lead.id,
                    "manager_id": mid,
                    "manager_name": names.get(mid) if mid is not None else None,
                    "expected_value": float(self.problem.value[i, j]) if j >= 0 else 0.0,
                    "tier": self.tiers[i].value,
                    "score": lead.score,
                    "product": lead.product,
                }
            )
        return records

    def to_frame(self) -> Any:
        """The records as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "Plan.to_frame() needs pandas: pip install 'fairlead[pandas]'"
            ) from None
        return pd.DataFrame.from_records(self.to_records())

    def summary(self) -> str:
        """A few lines: method, status, leads placed, expected value, fairness."""
        placed = len(self.leads) - len(self.unassigned)
        text = (
            f"method {self.method} ({self.status.value}): {placed} of {len(self.leads)} leads "
            f"placed, expected conversions {self.expected_value:.2f}\n{self.fairness.summary()}"
        )
        return text + (f"\n{self.message}" if self.message else "")
