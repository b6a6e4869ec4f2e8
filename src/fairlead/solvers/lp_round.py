"""LP relaxation, rounding and repair for large problems with load and value bands.

The LP relaxation couples leads only through ``4 m`` band constraints (lower and
upper workload, lower and upper value per manager). Its Lagrangian dual has one
price per band: for prices ``a, b, c, d >= 0`` the bound is

    g = sum_i max_j [v'_ij - (a_j - b_j) w_ij - (c_j - d_j) v_ij]
        + sum_j (a_j hi_j - b_j lo_j + c_j vhi_j - d_j vlo_j)

(``v'`` the net value, ``w`` the workload, ``v`` the value). Every price vector gives
a valid upper bound on the LP optimum, hence on the integer optimum; the LP optimum
is the smallest such bound. The prices are found by minimizing a softmax-smoothed
``g`` with L-BFGS-B over a few temperatures, each lead restricted to its best
candidate managers; the bound reported is the exact ``g`` over all pairs.

Rounding: a lead whose best manager under the prices wins by a clear margin keeps
it; the leads closest to a tie (a few per cent, at least 30 per manager) form a
residual problem with the bands minus what the fixed leads already use, solved
exactly as a MILP (HiGHS). When the residual has no solution, more leads are freed.

Scale. Nothing depends on the units of the data: the dual works on values divided
by a power of two near the largest ``|value|`` and on each manager's workloads
divided by a power of two near its largest workload, and each row of the MILP (and
its objective) is divided the same way, so that HiGHS's absolute tolerances
(``1e-6``) are relative to the problem. Multiplying every value by a positive
constant gives the same assignment (up to ties and float rounding). A pair whose
workload alone exceeds the manager's hard upper load (beyond the slack of
:func:`fairlead.core._check.violations`) is never used, and a band that no choice of
leads can reach is dropped. A repair that breaks a band by HiGHS's tolerance is
solved once more with the bands tightened by it.

Status. ``INFEASIBLE`` only with a proven conflict (a flow witness, or a set of
constraints from :func:`fairlead.diagnose._conflicts.find_conflict`), whose sentence is the
message; ``TIME_LIMIT`` only when ``time_limit`` ran out before a repair was found;
otherwise a failed repair is ``FAILED``, with HiGHS's words.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import logsumexp, softmax

from fairlead.core import (
    RTOL,
    AssignmentProblem,
    BoolArray,
    FloatArray,
    InputError,
    IntArray,
    violations,
)
from fairlead.diagnose import UNKNOWN_REASON, explain_infeasible, find_conflict
from fairlead.solvers._base import Outcome, Solver, SolveStatus, check_option, register

_NEG = -1e30
_TEMPERATURES = (0.1, 0.03, 0.01, 0.003, 0.001)
# HiGHS accepts a MILP row off by up to its mip_feasibility_tolerance, and drops
# matrix entries up to its small_matrix_value (both in the units of the scaled rows).
_HIGHS_TOL = 1e-6
_HIGHS_TINY = 1e-9


def _check_options(time_limit: object, candidates: object, free_share: object) -> float:
    """Validate the options of ``lp_round``; the time limit in seconds (``inf``: none)."""

    def bad(name: str, want: str, got: object) -> ValueError:
        return InputError(f"option {name!r} of method 'lp_round' must be {want}, got {got!r}")

    check_option("time_limit", time_limit, "lp_round")
    if (
        isinstance(candidates, bool | np.bool_)
        or not isinstance(candidates, int | np.integer)
        or candidates < 1
    ):
        raise bad("candidates", "an int >= 1", candidates)
    if (
        isinstance(free_share, bool | np.bool_)
        or not isinstance(free_share, int | float | np.integer | np.floating)
        or not 0 <= free_share <= 1
    ):
        raise bad("free_share", "a number in [0, 1]", free_share)
    # check_option let through only a number here
    return math.inf if time_limit is None else float(cast(float, time_limit))


def _pow2(x: FloatArray) -> FloatArray:
    """Elementwise power of two just above ``|x|`` (1 where ``x`` is 0 or not finite)."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    ok = np.isfinite(a) & (a > 0)
    _, exponent = np.frexp(np.where(ok, a, 1.0))
    scaled: FloatArray = np.where(ok, np.ldexp(1.0, exponent), 1.0)
    return scaled


@dataclass(frozen=True)
class _Bands:
    """Per-manager bands; ``-inf`` / ``+inf`` where a side is absent or cannot bind."""

    low: FloatArray  # workload
    high: FloatArray
    vlow: FloatArray  # value
    vhigh: FloatArray

    @property
    def use_value(self) -> bool:
        return bool(np.isfinite(self.vlow).any() or np.isfinite(self.vhigh).any())


def _bands(
    problem: AssignmentProblem, most: FloatArray, gain: FloatArray, loss: FloatArray
) -> _Bands:
    """The hard bands of ``problem``, without the sides that no assignment can reach.

    ``most``: each manager's workload with every usable lead; ``gain`` / ``loss``: the
    sum of the positive / negative values of its usable pairs.
    """
    m = problem.n_managers
    vlow = problem.min_value if problem.min_value is not None else np.full(m, -np.inf)
    vhigh = problem.max_value if problem.max_value is not None else np.full(m, np.inf)
    return _Bands(
        low=np.where(problem.min_load > 0, problem.min_load, -np.inf),
        high=np.where(problem.hard_upper_load < most, problem.hard_upper_load, np.inf),
        vlow=np.where(vlow > loss, vlow, -np.inf),
        vhigh=np.where(vhigh < gain, vhigh, np.inf),
    )


def _finite(x: FloatArray) -> FloatArray:
    out: FloatArray = np.where(np.isfinite(x), x, 0.0)
    return out


class _Dual:
    """Lagrangian dual of the band constraints, smoothed or exact, in scaled units.

    Values count in units of ``value_scale``, manager ``j``'s workloads in units of
    ``weight_scale[j]`` (powers of two near the largest usable ones); the prices, the
    bound and the gradient are in these units, so that neither the temperatures nor
    L-BFGS-B's tolerances depend on the units of the data. Only pairs in ``usable``
    (eligible, and light enough for the manager) take part.
    """

    def __init__(self, problem: AssignmentProblem, usable: BoolArray) -> None:
        net = problem.net_value()
        value = problem.value
        weight = problem.weight_matrix()
        top = max(
            float(np.max(np.abs(net), where=usable, initial=0.0)),
            float(np.max(np.abs(value), where=usable, initial=0.0)),
        )
        self.value_scale = s = float(_pow2(np.array(top)))
        self.weight_scale = t = _pow2(np.max(weight, axis=0, where=usable, initial=0.0))
        self.usable = usable
        self.net = np.where(usable, net / s, _NEG)
        # raw workloads and values (views, no copy): scaled through the prices
        self.value, self.weight = value, weight
        most = np.sum(weight, axis=0, where=usable)
        gain = np.sum(value, axis=0, where=usable & (value > 0))
        loss = np.sum(value, axis=0, where=usable & (value < 0))
        self.bands = bands = _bands(problem, most, gain, loss)
        self.use_value = bands.use_value
        self.low, self.high = _finite(bands.low / t), _finite(bands.high / t)
        self.vlow, self.vhigh = _finite(bands.vlow / s), _finite(bands.vhigh / s)
        m = problem.n_managers
        self.m = m
        # Price bounds: a band side that is absent (or cannot bind) has price 0.
        zero = (0.0, 0.0)
        free = (0.0, None)
        value_sides = (bands.vhigh, bands.vlow) if self.use_value else (np.full(m, np.inf),) * 2
        self.bounds = [
            free if np.isfinite(x) else zero
            for side in (bands.high, bands.low, *value_sides)
            for x in side
        ]
        self.pinned = np.array([b == zero for b in self.bounds])

    def split(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        m = self.m
        return z[:m] - z[m : 2 * m], z[2 * m : 3 * m] - z[3 * m :]

    def constant(self, z: FloatArray) -> float:
        m = self.m
        total = float(z[:m] @ self.high - z[m : 2 * m] @ self.low)
        if self.use_value:
            total += float(z[2 * m : 3 * m] @ self.vhigh - z[3 * m :] @ self.vlow)
        return total

    def reduced(self, z: FloatArray, rows: Any = slice(None), cols: Any = None) -> FloatArray:
        lam, mu = self.split(z)
        lam = lam / self.weight_scale  # per raw unit of workload / of value
        mu = mu / self.value_scale
        if cols is None:
            r: FloatArray = self.net[rows] - self.weight[rows] * lam
            if self.use_value:
                r -= self.value[rows] * mu
            usable = self.usable[rows]
        else:
            r = np.take_along_axis(self.net, cols, axis=1)
            r -= np.take_along_axis(self.weight, cols, axis=1) * lam[cols]
            if self.use_value:
                r -= np.take_along_axis(self.value, cols, axis=1) * mu[cols]
            usable = np.take_along_axis(self.usable, cols, axis=1)
        out: FloatArray = np.where(usable, r, _NEG)
        return out

    def exact(self, z: FloatArray, chunk: int = 20_000) -> float:
        """The exact dual bound over every usable pair."""
        n = self.net.shape[0]
        total = 0.0
        for start in range(0, n, chunk):
            total += float(self.reduced(z, slice(start, start + chunk)).max(axis=1).sum())
        return total + self.constant(z)

    def smoothed(self, z: FloatArray, cols: IntArray, tau: float) -> tuple[float, FloatArray]:
        """Softmax-smoothed dual over candidate managers, with its gradient."""
        m = self.m
        r = self.reduced(z, cols=cols)
        value = float(tau * logsumexp(r / tau, axis=1).sum()) + self.constant(z)
        p = softmax(r / tau, axis=1)
        w = np.take_along_axis(self.weight, cols, axis=1)
        load = np.bincount(cols.ravel(), weights=(p * w).ravel(), minlength=m) / self.weight_scale
        grad = np.zeros(4 * m)
        grad[:m] = self.high - load
        grad[m : 2 * m] = load - self.low
        if self.use_value:
            v = np.take_along_axis(self.value, cols, axis=1)
            val = np.bincount(cols.ravel(), weights=(p * v).ravel(), minlength=m) / self.value_scale
            grad[2 * m : 3 * m] = self.vhigh - val
            grad[3 * m :] = val - self.vlow
        grad[self.pinned] = 0.0  # sides whose price is held at 0
        return value, grad

    def prices(self, z: FloatArray) -> FloatArray:
        """Workload prices in the problem's units (value per unit of workload)."""
        lam, _ = self.split(z)
        out: FloatArray = lam * self.value_scale / self.weight_scale
        return out


def _candidates(dual: _Dual, z: FloatArray, k: int) -> IntArray:
    r = dual.reduced(z)
    if k >= dual.m:
        return np.tile(np.arange(dual.m), (r.shape[0], 1))
    top: IntArray = np.argpartition(-r, k - 1, axis=1)[:, :k]
    return top


def solve_dual(dual: _Dual, *, candidates: int, deadline: float) -> tuple[FloatArray, float]:
    """Prices minimizing the smoothed dual, and the best exact bound met on the way.

    Both in the dual's scaled units.
    """
    from scipy.optimize import minimize  # slow to import: load on use

    scale = float(np.std(dual.net[dual.usable])) or 1.0
    z = np.zeros(4 * dual.m)
    best_z, best = z, dual.exact(z)
    for tau in _TEMPERATURES:
        if time.perf_counter() > deadline:
            break
        cols = _candidates(dual, z, candidates)
        result = minimize(
            dual.smoothed,
            z,
            args=(cols, tau * scale),
            jac=True,
            method="L-BFGS-B",
            bounds=dual.bounds,
            options={"maxiter": 300},
        )
        z = result.x
        bound = dual.exact(z)
        if bound < best:
            best_z, best = z, bound
    return best_z, best


@dataclass(frozen=True)
class _Repair:
    """What one MILP solve of the residual problem gave."""

    manager: IntArray | None  # managers of the free leads
    status: int  # scipy.optimize.milp's status (2: proven infeasible)
    message: str


def _scaled_rows(
    coef: FloatArray, cols: IntArray, index: IntArray, low: FloatArray, high: FloatArray, k: int
) -> tuple[sp.csr_matrix, FloatArray, FloatArray, FloatArray]:
    """Rows ``sum coef x`` per manager, scaled to a largest ``|coef|`` near 1.

    Each row is divided by a power of two; returns the matrix, the scaled bounds
    (infinite where a side cannot bind) and how far HiGHS's dropping of tiny entries
    may move each row.
    """
    m = low.size
    top = np.zeros(m)
    np.maximum.at(top, cols, np.abs(coef))
    scale = _pow2(top)
    a = coef / scale[cols]
    most = np.bincount(cols, weights=np.maximum(a, 0.0), minlength=m)
    least = np.bincount(cols, weights=np.minimum(a, 0.0), minlength=m)
    tiny = np.bincount(
        cols, weights=np.where(np.abs(a) <= _HIGHS_TINY, np.abs(a), 0.0), minlength=m
    )
    lo, hi = low / scale, high / scale
    lo = np.where(lo > least, lo, -np.inf)
    hi = np.where(hi < most, hi, np.inf)
    return sp.csr_matrix((a, (cols, index)), shape=(m, k)), lo, hi, tiny.astype(np.float64)


def _residual_milp(
    problem: AssignmentProblem,
    free: IntArray,
    allowed: npt.NDArray[np.bool_],
    used_load: FloatArray,
    used_value: FloatArray,
    bands: _Bands,
    time_limit: float,
    *,
    tighten: bool = False,
) -> _Repair:
    """Exact assignment of the ``free`` leads given what the fixed leads use.

    ``allowed`` (free leads x managers) limits each free lead to its candidate
    managers. Every row and the objective are scaled to a largest coefficient near 1;
    ``tighten`` moves each band inwards by what HiGHS's tolerances may give away.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    rows, cols = np.nonzero(allowed)
    k = rows.size
    if k == 0:
        return _Repair(None, 2, "no candidate pairs")
    net = problem.net_value()[free][rows, cols]
    w = problem.weight_matrix()[free][rows, cols]
    v = problem.value[free][rows, cols]
    index = np.arange(k)
    assign = sp.csr_matrix((np.ones(k), (rows, index)), shape=(free.size, k))
    constraints = [LinearConstraint(assign, 1.0, 1.0)]
    sides = [(w, bands.low - used_load, bands.high - used_load)]
    if bands.use_value:
        sides.append((v, bands.vlow - used_value, bands.vhigh - used_value))
    for coef, low, high in sides:
        matrix, lo, hi, tiny = _scaled_rows(coef, cols, index, low, high, k)
        if tighten:
            margin = 2 * _HIGHS_TOL + tiny
            lo, hi = lo + margin, hi - margin
        constraints.append(LinearConstraint(matrix, lo, hi))
    objective = -net / float(_pow2(np.array(np.abs(net).max())))
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.ones(k, dtype=np.int64),
        bounds=Bounds(0, 1),
        options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": 1e-5},
    )
    if result.x is None:
        return _Repair(None, int(result.status), str(result.message))
    chosen = result.x > 0.5
    manager = np.full(free.size, -1, dtype=np.int64)
    manager[rows[chosen]] = cols[chosen]
    return _Repair(manager, int(result.status), str(result.message))


def _conflict_reason(problem: AssignmentProblem, time_limit: float) -> str | None:
    """A proven reason why ``problem`` has no assignment, or ``None`` if none was found.

    A flow witness for unit workloads without value bands, else a conflicting set of
    constraints from :func:`fairlead.diagnose._conflicts.find_conflict`.
    """
    if problem.unit_weights and not problem.has_value_bounds:
        reason = explain_infeasible(problem)
        if reason != UNKNOWN_REASON:  # a flow witness was found
            return reason
    try:
        conflict = find_conflict(problem, time_limit=time_limit)
    except TimeoutError:
        return None
    return None if conflict is None else conflict.message


def _fits(problem: AssignmentProblem) -> BoolArray:
    """Eligible pairs whose workload alone stays within the manager's hard upper load."""
    upper = problem.hard_upper_load
    slack = upper + RTOL * np.maximum(1.0, np.abs(upper))
    fits: BoolArray = problem.eligible & (problem.weight_matrix() <= slack)
    return fits


@register
class LpRoundSolver(Solver):
    """LP relaxation (Lagrangian dual of the bands), rounding and a MILP repair.

    For large problems with load and value bands, weighted or not. Returns an
    integral assignment satisfying every hard constraint, the LP bound and the gap.
    """

    name = "lp_round"
    description = "large problems with value bands: LP bound, rounding, exact repair; gap"

    def run(
        self,
        problem: AssignmentProblem,
        *,
        time_limit: float | None = 60.0,
        candidates: int = 8,
        free_share: float = 0.02,
    ) -> Outcome:
        """Solve within ``time_limit`` seconds; ``free_share`` of leads go to the repair.

        Parameters
        ----------
        problem : AssignmentProblem
        time_limit : float or None, default 60.0
            Seconds for the dual and the repair (each MILP gets at least one);
            ``None`` for no limit.
        candidates : int, default 8
            Managers per lead in the smoothed dual (the best under the prices).
        free_share : float in [0, 1], default 0.02
            Share of the leads, those closest to a tie, that the MILP repair places
            (at least 30 per manager).

        Returns
        -------
        Outcome
            ``FEASIBLE`` with the LP bound and the workload prices, ``INFEASIBLE``
            with a proven conflict, ``TIME_LIMIT`` when the time ran out before a
            repair was found, or ``FAILED`` with HiGHS's reason.
        """
        limit = _check_options(time_limit, candidates, free_share)
        if problem.allow_unassigned:
            raise InputError(
                "method 'lp_round' assigns every lead; with allow_unassigned use "
                "'min_cost_flow' or 'cp_sat'"
            )
        if problem.has_soft_bands:
            raise InputError(
                "method 'lp_round' keeps bands hard; soft bands (load_penalty, "
                "value_penalty) are solved by method 'cp_sat'"
            )
        n, m = problem.n_leads, problem.n_managers
        none = np.full(n, -1, dtype=np.int64)
        stranded = np.flatnonzero(~problem.eligible.any(axis=1))
        if stranded.size:
            return Outcome(
                manager_of=none,
                status=SolveStatus.INFEASIBLE,
                message=f"{problem.lead_name(int(stranded[0]))} has no eligible manager",
            )
        start = time.perf_counter()
        deadline = start + limit
        diagnose_limit = max(1.0, min(10.0, limit))
        timings: dict[str, float] = {}
        usable = _fits(problem)
        if not usable.any(axis=1).all():  # a lead too heavy for each eligible manager
            return self._no_repair(problem, None, 2, "", diagnose_limit, timings)
        dual = _Dual(problem, usable)
        bands = dual.bands
        z, bound = solve_dual(dual, candidates=int(candidates), deadline=start + 0.5 * limit)
        bound *= dual.value_scale
        timings["dual"] = time.perf_counter() - start

        reduced = dual.reduced(z)
        order = np.argsort(-reduced, axis=1)[:, :2]
        best = order[:, 0]
        rows = np.arange(n)
        margin = reduced[rows, best] - reduced[rows, order[:, 1]] if m > 1 else np.full(n, np.inf)
        size = min(n, max(30 * m, int(free_share * n)))
        width = min(m, 4)
        w = problem.weight_matrix()
        while True:
            t0 = time.perf_counter()
            free = np.argsort(margin, kind="stable")[:size]
            fixed = np.ones(n, dtype=np.bool_)
            fixed[free] = False
            fixed_rows = rows[fixed]
            fixed_to = best[fixed]
            load = np.bincount(fixed_to, weights=w[fixed_rows, fixed_to], minlength=m)
            worth = np.bincount(fixed_to, weights=problem.value[fixed_rows, fixed_to], minlength=m)
            used = (load.astype(np.float64), worth.astype(np.float64))
            allowed = usable[free]
            if width < m:
                top = np.argpartition(-reduced[free], width - 1, axis=1)[:, :width]
                mask = np.zeros_like(allowed)
                np.put_along_axis(mask, top, True, axis=1)
                allowed = allowed & mask
            repair = _residual_milp(
                problem, free, allowed, *used, bands, deadline - time.perf_counter()
            )
            manager_of: IntArray | None = None
            if repair.manager is not None:
                manager_of = best.copy()
                manager_of[free] = repair.manager
                if violations(problem, manager_of):  # off by HiGHS's tolerance: tighten
                    left = deadline - time.perf_counter()
                    again = _residual_milp(problem, free, allowed, *used, bands, left, tighten=True)
                    if again.manager is not None:
                        manager_of[free] = again.manager
            timings["repair"] = timings.get("repair", 0.0) + time.perf_counter() - t0
            if manager_of is not None:
                # one that still breaks a band comes back FAILED from Solver.solve
                return Outcome(
                    manager_of=manager_of,
                    status=SolveStatus.FEASIBLE,
                    bound=bound,
                    duals=dual.prices(z),
                    timings=timings,
                )
            whole = size >= n and width >= m
            if whole or time.perf_counter() > deadline or repair.status == 1:
                break
            size = min(n, size * 4)
            width = min(m, width * 2)
        if whole and repair.status == 2:
            return self._no_repair(problem, bound, 2, repair.message, diagnose_limit, timings)
        if repair.status == 1 or time.perf_counter() > deadline:
            return Outcome(
                manager_of=none,
                status=SolveStatus.TIME_LIMIT,
                bound=bound,
                message=f"lp_round ran out of time (time_limit={limit:g} s) before "
                "repairing the rounding; a longer time_limit may find an assignment",
                timings=timings,
            )
        return self._no_repair(
            problem, bound, repair.status, repair.message, diagnose_limit, timings
        )

    @staticmethod
    def _no_repair(
        problem: AssignmentProblem,
        bound: float | None,
        status: int,
        highs: str,
        diagnose_limit: float,
        timings: dict[str, float],
    ) -> Outcome:
        """INFEASIBLE with a proven conflict, else FAILED saying what HiGHS reported."""
        none = np.full(problem.n_leads, -1, dtype=np.int64)
        if status != 2:
            return Outcome(
                manager_of=none,
                status=SolveStatus.FAILED,
                bound=bound,
                message=f"lp_round could not repair the rounding: HiGHS reported {highs!r}; "
                "method 'cp_sat' solves the problem exactly",
                timings=timings,
            )
        tick = time.perf_counter()
        reason = _conflict_reason(problem, diagnose_limit)
        timings["diagnose"] = time.perf_counter() - tick
        if reason is not None:
            return Outcome(
                manager_of=none, status=SolveStatus.INFEASIBLE, message=reason, timings=timings
            )
        return Outcome(
            manager_of=none,
            status=SolveStatus.FAILED,
            bound=bound,
            message="lp_round's repair (HiGHS) found no assignment, but no conflict between "
            f"the constraints was proven within {diagnose_limit:g} s; method 'cp_sat' "
            "solves the problem exactly",
            timings=timings,
        )
