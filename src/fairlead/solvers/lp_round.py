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
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import logsumexp, softmax

from fairlead._conflicts import explain
from fairlead._problem import AssignmentProblem, FloatArray, IntArray
from fairlead.solvers._base import Outcome, Solver, SolveStatus, register

_NEG = -1e30
_TEMPERATURES = (0.1, 0.03, 0.01, 0.003, 0.001)


@dataclass(frozen=True)
class _Bands:
    low: FloatArray  # workload
    high: FloatArray
    vlow: FloatArray  # value; -inf / +inf where unbounded
    vhigh: FloatArray


def _bands(problem: AssignmentProblem) -> _Bands:
    m = problem.n_managers
    vlow = problem.min_value if problem.min_value is not None else np.full(m, -np.inf)
    vhigh = problem.max_value if problem.max_value is not None else np.full(m, np.inf)
    return _Bands(problem.min_load.copy(), problem.hard_upper_load.copy(), vlow, vhigh)


class _Dual:
    """Lagrangian dual of the band constraints, smoothed or exact."""

    def __init__(self, problem: AssignmentProblem, bands: _Bands) -> None:
        self.problem = problem
        self.bands = bands
        self.net = np.where(problem.eligible, problem.net_value(), _NEG)
        self.value = problem.value
        self.weight = problem.weight_matrix()
        self.use_value = bool(np.isfinite(bands.vlow).any() or np.isfinite(bands.vhigh).any())
        m = problem.n_managers
        self.m = m
        # Price bounds: a band side that is absent has price 0.
        zero = (0.0, 0.0)
        free = (0.0, None)
        self.bounds = (
            [free] * m
            + [free if lo > 0 else zero for lo in bands.low]
            + [free if np.isfinite(v) and self.use_value else zero for v in bands.vhigh]
            + [free if np.isfinite(v) and self.use_value else zero for v in bands.vlow]
        )

    def split(self, z: FloatArray) -> tuple[FloatArray, FloatArray]:
        m = self.m
        return z[:m] - z[m : 2 * m], z[2 * m : 3 * m] - z[3 * m :]

    def constant(self, z: FloatArray) -> float:
        m, b = self.m, self.bands
        total = float(z[:m] @ b.high - z[m : 2 * m] @ b.low)
        if self.use_value:
            hi = np.where(np.isfinite(b.vhigh), b.vhigh, 0.0)
            lo = np.where(np.isfinite(b.vlow), b.vlow, 0.0)
            total += float(z[2 * m : 3 * m] @ hi - z[3 * m :] @ lo)
        return total

    def reduced(self, z: FloatArray, rows: Any = slice(None), cols: Any = None) -> FloatArray:
        lam, mu = self.split(z)
        if cols is None:
            net, w, v = self.net[rows], self.weight[rows], self.value[rows]
            r: FloatArray = net - w * lam - (v * mu if self.use_value else 0.0)
            return r
        net = np.take_along_axis(self.net, cols, axis=1)
        w = np.take_along_axis(np.asarray(self.weight), cols, axis=1)
        r = net - w * lam[cols]
        if self.use_value:
            r = r - np.take_along_axis(self.value, cols, axis=1) * mu[cols]
        return r

    def exact(self, z: FloatArray, chunk: int = 20_000) -> float:
        """The exact dual bound over every eligible pair."""
        n = self.problem.n_leads
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
        w = np.take_along_axis(np.asarray(self.weight), cols, axis=1)
        load = np.bincount(cols.ravel(), weights=(p * w).ravel(), minlength=m)
        grad = np.zeros(4 * m)
        b = self.bands
        grad[:m] = b.high - load
        grad[m : 2 * m] = load - b.low
        if self.use_value:
            v = np.take_along_axis(self.value, cols, axis=1)
            val = np.bincount(cols.ravel(), weights=(p * v).ravel(), minlength=m)
            grad[2 * m : 3 * m] = np.where(np.isfinite(b.vhigh), b.vhigh, 0.0) - val
            grad[3 * m :] = val - np.where(np.isfinite(b.vlow), b.vlow, 0.0)
        return value, grad


def _candidates(dual: _Dual, z: FloatArray, k: int) -> IntArray:
    r = dual.reduced(z)
    if k >= dual.m:
        return np.tile(np.arange(dual.m), (r.shape[0], 1))
    top: IntArray = np.argpartition(-r, k - 1, axis=1)[:, :k]
    return top


def solve_dual(dual: _Dual, *, candidates: int, deadline: float) -> tuple[FloatArray, float]:
    """Prices minimizing the smoothed dual, and the best exact bound met on the way."""
    from scipy.optimize import minimize  # slow to import: load on use

    scale = float(np.std(dual.problem.net_value()[dual.problem.eligible])) or 1.0
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


def _residual_milp(
    problem: AssignmentProblem,
    free: IntArray,
    allowed: npt.NDArray[np.bool_],
    used_load: FloatArray,
    used_value: FloatArray,
    bands: _Bands,
    time_limit: float,
) -> tuple[IntArray | None, bool]:
    """Exact assignment of the ``free`` leads given what the fixed leads use.

    ``allowed`` (free leads x managers) limits each free lead to its candidate
    managers. Returns the managers of the free leads (or ``None``) and whether HiGHS
    proved that the residual problem has no solution.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    m = problem.n_managers
    rows, cols = np.nonzero(allowed)
    k = rows.size
    if k == 0:
        return None, True
    net = problem.net_value()[free][rows, cols]
    w = problem.weight_matrix()[free][rows, cols]
    v = problem.value[free][rows, cols]
    index = np.arange(k)
    assign = sp.csr_matrix((np.ones(k), (rows, index)), shape=(free.size, k))
    load = sp.csr_matrix((w, (cols, index)), shape=(m, k))
    constraints = [
        LinearConstraint(assign, 1.0, 1.0),
        LinearConstraint(load, bands.low - used_load, bands.high - used_load),
    ]
    if np.isfinite(bands.vlow).any() or np.isfinite(bands.vhigh).any():
        worth = sp.csr_matrix((v, (cols, index)), shape=(m, k))
        constraints.append(
            LinearConstraint(worth, bands.vlow - used_value, bands.vhigh - used_value)
        )
    result = milp(
        -net,
        constraints=constraints,
        integrality=np.ones(k, dtype=np.int64),
        bounds=Bounds(0, 1),
        options={"time_limit": max(time_limit, 1.0), "mip_rel_gap": 1e-5},
    )
    if result.x is None:
        return None, result.status == 2
    chosen = result.x > 0.5
    manager = np.full(free.size, -1, dtype=np.int64)
    manager[rows[chosen]] = cols[chosen]
    return manager, False


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
        time_limit: float = 60.0,
        candidates: int = 8,
        free_share: float = 0.02,
    ) -> Outcome:
        """Solve within ``time_limit`` seconds; ``free_share`` of leads go to the repair."""
        if problem.allow_unassigned:
            raise ValueError(
                "method 'lp_round' assigns every lead; with allow_unassigned use "
                "'min_cost_flow' or 'cp_sat'"
            )
        if problem.has_soft_bands:
            raise ValueError(
                "method 'lp_round' keeps bands hard; soft bands (load_penalty, "
                "value_penalty) are solved by method 'cp_sat'"
            )
        stranded = np.flatnonzero(~problem.eligible.any(axis=1))
        if stranded.size:
            return Outcome(
                manager_of=np.full(problem.n_leads, -1, dtype=np.int64),
                status=SolveStatus.INFEASIBLE,
                message=f"{problem.lead_name(int(stranded[0]))} has no eligible manager",
            )
        start = time.perf_counter()
        deadline = start + time_limit
        bands = _bands(problem)
        dual = _Dual(problem, bands)
        timings: dict[str, float] = {}
        z, bound = solve_dual(
            dual, candidates=max(1, candidates), deadline=start + 0.5 * time_limit
        )
        timings["dual"] = time.perf_counter() - start

        reduced = dual.reduced(z)
        order = np.argsort(-reduced, axis=1)[:, :2]
        best = order[:, 0]
        rows = np.arange(problem.n_leads)
        margin = (
            reduced[rows, best] - reduced[rows, order[:, 1]]
            if problem.n_managers > 1
            else np.full(problem.n_leads, np.inf)
        )
        n, m = problem.n_leads, problem.n_managers
        size = min(n, max(30 * m, int(free_share * n)))
        width = min(m, 4)
        manager_of: IntArray | None = None
        proven_infeasible = False
        while manager_of is None:
            t0 = time.perf_counter()
            free = np.argsort(margin, kind="stable")[:size]
            fixed = np.ones(n, dtype=np.bool_)
            fixed[free] = False
            fixed_rows = rows[fixed]
            fixed_to = best[fixed]
            w = problem.weight_matrix()
            used_load = np.bincount(fixed_to, weights=w[fixed_rows, fixed_to], minlength=m).astype(
                np.float64
            )
            used_value = np.bincount(
                fixed_to, weights=problem.value[fixed_rows, fixed_to], minlength=m
            ).astype(np.float64)
            left = deadline - time.perf_counter()
            allowed = problem.eligible[free]
            if width < m:
                top = np.argpartition(-reduced[free], width - 1, axis=1)[:, :width]
                mask = np.zeros_like(allowed)
                np.put_along_axis(mask, top, True, axis=1)
                allowed = allowed & mask
            placed, none = _residual_milp(
                problem, free, allowed, used_load, used_value, bands, left
            )
            timings["repair"] = timings.get("repair", 0.0) + time.perf_counter() - t0
            if placed is not None:
                manager_of = best.copy()
                manager_of[free] = placed
            elif (size >= n and width >= m) or time.perf_counter() > deadline:
                proven_infeasible = none and size >= n and width >= m
                break
            else:
                size = min(n, size * 4)
                width = min(m, width * 2)
        if manager_of is None:
            status = SolveStatus.INFEASIBLE if proven_infeasible else SolveStatus.TIME_LIMIT
            return Outcome(
                manager_of=np.full(n, -1, dtype=np.int64),
                status=status,
                bound=None if proven_infeasible else bound,
                message=explain(problem, time_limit=max(1.0, min(10.0, time_limit)))
                if status is SolveStatus.INFEASIBLE
                else "lp_round ran out of time before repairing the rounding",
                timings=timings,
            )
        lam, _ = dual.split(z)
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.FEASIBLE,
            bound=bound,
            duals=lam,
            timings=timings,
        )
