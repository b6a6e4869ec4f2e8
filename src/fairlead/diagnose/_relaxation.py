"""The linear relaxation (HiGHS) of a selection, with a slack on every constraint.

When the slacks cannot all be zero, the constraints with a nonzero dual conflict
(a Farkas certificate); otherwise its fractional solution guides the rounding.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from fairlead.core import FloatArray, IntArray
from fairlead.diagnose._selection import (
    _Layout,
    _layout,
    _Sel,
    _Setup,
    _tol,
)
from fairlead.diagnose._verdict import _Clock, _Verdict

# The linear relaxation proves infeasibility when its normalized slack exceeds this
# (well above _LP_TIE, the most its tie-break on workloads adds to the objective).
_LP_MARGIN = 1e-4
_LP_TIE = 1e-6


def _relaxation(
    setup: _Setup, sel: _Sel, layout: _Layout | None = None, clock: _Clock | None = None
) -> _Verdict:
    """Linear relaxation with a slack per constraint; ``core`` = constraints with a dual."""
    layout = _layout(setup, sel) if layout is None else layout
    n_y = layout.pc.size
    free_cls = sorted(layout.free)
    n_f = len(free_cls)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    rhs: list[float] = []
    norms: list[float] = []
    units: list[tuple[str, int]] = []
    n_row = 0

    def add_row(c_idx: IntArray, c_val: FloatArray, b: float) -> None:
        nonlocal n_row
        rows.append(np.full(c_idx.size, n_row, dtype=np.int64))
        cols.append(c_idx)
        vals.append(c_val)
        rhs.append(b)
        n_row += 1

    free_col = {c: n_y + t for t, c in enumerate(free_cls)}
    elastic: list[int] = []
    starts = np.searchsorted(layout.pc, layout.classes)
    ends = np.searchsorted(layout.pc, layout.classes, side="right")
    for c, a, z in zip(layout.classes.tolist(), starts.tolist(), ends.tolist(), strict=True):
        idx = np.arange(a, z, dtype=np.int64)
        c_idx = np.concatenate([idx, [free_col[c]] if c in free_col else []]).astype(np.int64)
        if c_idx.size > 1:
            add_row(c_idx, np.ones(c_idx.size), float(setup.size[c]))
        r = sel.req.get(c, 0)
        if r > 0:
            elastic.append(n_row)
            norms.append(1.0)
            units.append(("class", c))
            add_row(c_idx, -np.ones(c_idx.size), -float(r))
    for k in sorted(sel.bounds):
        b = setup.bounds[k]
        idx = np.flatnonzero(layout.pj == b.manager)
        x = (setup.Vc if b.on_value else setup.Wc)[layout.pc[idx], b.manager]
        norm = float(np.max(np.abs(x))) if x.size else 1.0
        elastic.append(n_row)
        norms.append(norm if norm > 0 else 1.0)
        units.append(("bound", k))
        if b.upper:
            add_row(idx, x, b.bound + _tol(b.bound))
        else:
            add_row(idx, -x, -(b.bound - _tol(b.bound)))
    n_s = len(elastic)
    if n_s == 0:
        return _Verdict("unknown")
    n_var = n_y + n_f + n_s
    s_rows = np.array(elastic, dtype=np.int64)
    s_cols = np.arange(n_y + n_f, n_var, dtype=np.int64)
    A = sp.csr_matrix(
        (
            np.concatenate([*vals, -np.ones(n_s)]),
            (np.concatenate([*rows, s_rows]), np.concatenate([*cols, s_cols])),
        ),
        shape=(n_row, n_var),
    )
    b_ub = np.clip(np.array(rhs, dtype=np.float64), -1e300, 1e300)
    # a tie-break worth at most _LP_TIE in total: light pairs, leaving room for rounding
    w_pairs = setup.Wc[layout.pc, layout.pj]
    spread = float(w_pairs.max(initial=0.0)) * float(setup.size[layout.classes].sum())
    tie = _LP_TIE * w_pairs / spread if spread > 0 else np.zeros(n_y)
    cost = np.concatenate([tie, np.zeros(n_f), 1.0 / np.array(norms, dtype=np.float64)])
    sizes = setup.size[np.concatenate([layout.pc, np.array(free_cls, dtype=np.int64)])]
    var_bounds = np.zeros((n_var, 2))
    var_bounds[: n_y + n_f, 1] = sizes
    var_bounds[n_y + n_f :, 1] = np.inf
    method = "highs-ipm" if n_var > 5000 else "highs"  # interior point: faster when large
    options = {} if clock is None else {"time_limit": max(clock.left(), 0.1)}
    from scipy.optimize import linprog  # scipy.optimize is slow to import: load on use

    res = cast(Any, linprog)(
        cost, A_ub=A, b_ub=b_ub, bounds=var_bounds, method=method, options=options
    )
    if res.status != 0 or res.fun is None:
        return _Verdict("unknown")
    if res.fun <= _LP_MARGIN:
        return _Verdict("unknown", fractional=np.asarray(res.x[:n_y], dtype=np.float64))
    duals = np.asarray(res.ineqlin.marginals, dtype=np.float64)[s_rows]
    req: dict[int, int] = {}
    kept: set[int] = set()
    for (kind, u), d in zip(units, duals.tolist(), strict=True):
        if abs(d) <= 1e-9:
            continue
        if kind == "class":
            req[u] = sel.req[u]
        else:
            kept.add(u)
    return _Verdict("infeasible", core=_Sel(req, frozenset(kept)))
