"""The numeric assignment problem: flat numpy arrays, validated once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from fairlead.core._errors import InputError
from fairlead.core._matrix import (
    DenseValue,
    ValueBlocks,
    csr_lookup,
    csr_row_of,
    read_dense_value,
    read_sparse_eligible,
    read_sparse_value,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _name(labels: Sequence[str] | None, kind: str, index: int) -> str:
    if labels is None:
        return f"{kind} {index}"
    return f"{kind} {labels[index]!r}"


def check_numeric_dtype(field: str, array: np.ndarray[Any, Any]) -> None:
    """Refuse an array of booleans, text or anything but integers and floats, naming ``field``."""
    if array.dtype == np.bool_:
        raise InputError(f"{field} must hold numbers, got booleans")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        sample = array.reshape(-1)[0].item() if array.size else None
        raise InputError(f"{field} must hold numbers, got {array.dtype} (e.g. {sample!r})")


def to_array(field: str, data: Any) -> np.ndarray[Any, Any]:
    """``data`` as an array; an object array must hold numbers (converted to float64)."""
    try:
        array = np.asarray(data)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"{field} must be an array of numbers: {exc}") from None
    if array.dtype == object:
        for item in array.flat:
            if not isinstance(item, int | float | np.integer | np.floating) or isinstance(
                item, bool
            ):
                raise InputError(f"{field} must hold numbers, got {item!r}")
        try:
            array = array.astype(np.float64)
        except OverflowError:
            raise InputError(f"{field} holds an integer too large for a float") from None
    return array


def _label_tuple(field: str, labels: Any, kind: str) -> tuple[str, ...] | None:
    if labels is None:
        return None
    if isinstance(labels, str | bytes) or not isinstance(labels, Iterable):
        raise InputError(f"{field} must be a sequence of names, got {labels!r:.80}")
    names = tuple(str(s) for s in labels)
    # Messages name leads and managers by these: two alike would leave them ambiguous.
    if len(set(names)) < len(names):
        first: dict[str, int] = {}
        for k, name in enumerate(names):
            if name in first:
                raise InputError(
                    f"{field} names {name!r} twice ({kind}s {first[name]} and {k}); "
                    "each name must be unique"
                )
            first[name] = k
    return names


def _check_magnitude(
    dense: DenseValue | None, csr: sp.csr_array | None, n: int, where: Any
) -> None:
    """Refuse values so large that a plan's total over ``n`` leads would overflow.

    Two passes (max, min) without a temporary: the check runs on every problem.
    """
    data = dense if dense is not None else (csr.data if csr is not None else None)
    if data is None or data.size == 0:
        return
    peak = max(float(data.max()), -float(data.min()))
    if peak <= np.finfo(np.float64).max / n:
        return
    if dense is not None:
        flat = int(np.argmax(np.abs(dense)))
        i, j = (int(k) for k in np.unravel_index(flat, dense.shape))
        shown = float(dense[i, j])
    else:
        assert csr is not None
        k = int(np.argmax(np.abs(csr.data)))
        i, j = int(csr_row_of(csr)[k]), int(csr.indices[k])
        shown = float(csr.data[k])
    raise InputError(
        f"value of {where(i, j)} is too large, got {shown:g}: a plan's total over {n} "
        f"leads would overflow (keep |value| <= {np.finfo(np.float64).max / n:.3g})",
        field="value",
        value=shown,
    )


def _first_bad(mask: BoolArray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def require_problem(problem: object) -> None:
    """Refuse anything but an :class:`AssignmentProblem` (e.g. a bare value matrix)."""
    if not isinstance(problem, AssignmentProblem):
        raise InputError(f"problem must be an AssignmentProblem, got {type(problem).__name__}")


@dataclass(frozen=True, eq=False, repr=False)
class AssignmentProblem:
    """A batch of leads to distribute among managers, as flat arrays.

    Lead ``i`` given to manager ``j`` gains ``value[i, j]`` and costs that manager
    ``weight[i]`` (or ``weight[i, j]``) units of workload. Each manager's total
    workload stays within ``[min_load[j], min(capacity[j], max_load[j])]`` and only
    eligible pairs may be chosen. Every lead is assigned unless
    ``allow_unassigned`` is true.

    Parameters
    ----------
    value : array_like or scipy.sparse matrix, shape (n, m)
        Gain of lead ``i`` with manager ``j`` (e.g. conversion probability). Finite.
        A float32 or float64 array keeps its dtype (it is copied unless read-only).
        A sparse matrix stores only the eligible pairs: its stored entries, explicit
        zeros included, are the pairs that may be chosen (``eligible`` must then be
        omitted); 1M leads x 200 managers at 10 % eligibility take about 160 MB.
    capacity : array_like, shape (m,)
        Largest workload manager ``j`` may take in this batch, ``>= 0`` and finite.
        A limit, not a count: it need not be whole. With whole weights (the default
        1) only whole loads exist, so every method lets a manager take
        ``floor(capacity)`` leads (1.5 lets in one lead); fractional weights use the
        fraction (three leads of weight 0.5 fill 1.5).
    eligible : array_like of bool or scipy.sparse matrix, shape (n, m), optional
        Which pairs are allowed. Default: all (stored as a broadcast view, no memory).
    weight : array_like, shape (n,) or (n, m), optional
        Workload of a lead (for a manager), ``> 0``. Default: 1.
    min_load, max_load : array_like, shape (m,), optional
        Fairness band on each manager's workload. Defaults: 0 and ``capacity``.
    allow_unassigned : bool, default False
        Whether a lead may stay unassigned. Solvers still place as many leads as
        the constraints allow.
    min_value, max_value : array_like, shape (m,), optional
        Bounds on each manager's total value (fairness by quality).
    current_load : array_like, shape (m,), optional
        Workload each manager already carries before this batch, ``>= 0``. It does
        not constrain the problem (``capacity`` is what is free); the
        ``least_loaded`` baseline and reports use it.
    lead_labels, manager_labels : sequence of str, optional
        Names used in error messages only; each must be unique (compared as text,
        exactly: they are ids).
    pair_penalty : array_like, shape (n, m), optional
        Soft preference: the price (``>= 0``) of choosing a pair, e.g. a hot lead for
        a junior ("preferred, not required"). Solvers maximize value minus penalties.
    load_penalty : float, optional
        Makes ``min_load`` / ``max_load`` soft: each unit of workload outside the band
        costs this much (``capacity`` stays hard).
    value_penalty : float, optional
        Makes ``min_value`` / ``max_value`` soft: each unit of value outside the band
        costs this much.
    target_load : array_like, shape (m,), optional
        Each manager's fair workload, ``>= 0``: the yardstick of the max-min fairness
        objective and of reports. Default: ``n`` split in proportion to
        ``min(capacity, max_load)``.

    Raises
    ------
    InputError
        A ``ValueError`` (shown as ``fairlead.InputError``), if an array has the
        wrong shape, a non-numeric type, a non-finite value, a value out of its
        range or so large that a plan's total would overflow, or if a label is
        given twice. The message names the field, the lead or manager, and the
        value.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> p = fl.AssignmentProblem(value=np.array([[0.3, 0.1], [0.2, 0.4]]), capacity=[1, 1])
    >>> p.n_leads, p.n_managers
    (2, 2)
    >>> fl.AssignmentProblem(value=[[0.5]], capacity=[-2])
    Traceback (most recent call last):
    ...
    fairlead.InputError: capacity of manager 0 must be >= 0, got -2
    """

    # ``value`` and ``eligible`` of a float32 or sparse problem are built on first
    # read (see ``__getattr__``); ``dense_value`` / ``sparse_value`` hold the storage.
    value: FloatArray
    capacity: FloatArray
    eligible: BoolArray
    weight: FloatArray
    min_load: FloatArray
    max_load: FloatArray
    allow_unassigned: bool
    min_value: FloatArray | None
    max_value: FloatArray | None
    current_load: FloatArray
    lead_labels: tuple[str, ...] | None
    manager_labels: tuple[str, ...] | None
    pair_penalty: FloatArray | None
    load_penalty: float | None
    value_penalty: float | None
    target_load: FloatArray
    shape: tuple[int, int]
    dense_value: DenseValue | None
    sparse_value: sp.csr_array | None
    eligible_mask: BoolArray | None

    def __init__(
        self,
        value: npt.ArrayLike,
        capacity: npt.ArrayLike,
        eligible: npt.ArrayLike | None = None,
        weight: npt.ArrayLike | None = None,
        min_load: npt.ArrayLike | None = None,
        max_load: npt.ArrayLike | None = None,
        allow_unassigned: bool = False,
        min_value: npt.ArrayLike | None = None,
        max_value: npt.ArrayLike | None = None,
        *,
        current_load: npt.ArrayLike | None = None,
        lead_labels: Sequence[str] | None = None,
        manager_labels: Sequence[str] | None = None,
        pair_penalty: npt.ArrayLike | None = None,
        load_penalty: float | None = None,
        value_penalty: float | None = None,
        target_load: npt.ArrayLike | None = None,
    ) -> None:
        fields = _validate(
            value=value,
            capacity=capacity,
            eligible=eligible,
            weight=weight,
            min_load=min_load,
            max_load=max_load,
            allow_unassigned=allow_unassigned,
            min_value=min_value,
            max_value=max_value,
            current_load=current_load,
            lead_labels=lead_labels,
            manager_labels=manager_labels,
        )
        fields.update(
            _validate_soft(
                fields,
                pair_penalty=pair_penalty,
                load_penalty=load_penalty,
                value_penalty=value_penalty,
                target_load=target_load,
            )
        )
        for key, item in fields.items():
            object.__setattr__(self, key, item)

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not set yet: the dense views of a float32 or
        # sparse problem, built once on first read.
        store = self.__dict__
        if name == "value" and "shape" in store:
            built = _dense_float64(store["dense_value"], store["sparse_value"])
            object.__setattr__(self, "value", built)
            return built
        if name == "eligible" and "shape" in store:
            csr = store["sparse_value"]
            mask: BoolArray = np.zeros(store["shape"], dtype=np.bool_)
            mask[csr_row_of(csr), csr.indices] = True
            mask.flags.writeable = False
            object.__setattr__(self, "eligible", mask)
            return mask
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        storage = "sparse" if self.is_sparse else str(self.storage_dtype)
        return (
            f"AssignmentProblem(n_leads={self.n_leads}, n_managers={self.n_managers}, "
            f"pairs={self.n_pairs}, value={storage}, allow_unassigned={self.allow_unassigned})"
        )

    @property
    def n_leads(self) -> int:
        """Number of leads ``n``."""
        return int(self.shape[0])

    @property
    def n_managers(self) -> int:
        """Number of managers ``m``."""
        return int(self.shape[1])

    @property
    def is_sparse(self) -> bool:
        """Whether the values are stored sparse (only the eligible pairs)."""
        return self.sparse_value is not None

    @property
    def storage_dtype(self) -> np.dtype[Any]:
        """The dtype of the stored values: float32 or float64."""
        source = self.sparse_value if self.sparse_value is not None else self.dense_value
        assert source is not None
        return np.dtype(source.dtype)

    @property
    def all_eligible(self) -> bool:
        """Whether every pair is eligible (no mask, dense values)."""
        return self.sparse_value is None and self.eligible_mask is None

    @property
    def n_pairs(self) -> int:
        """Number of eligible pairs."""
        if self.sparse_value is not None:
            return int(self.sparse_value.nnz)
        if self.eligible_mask is None:
            return self.n_leads * self.n_managers
        return int(np.count_nonzero(self.eligible_mask))

    def pair_values(self, leads: IntArray, managers: IntArray) -> FloatArray:
        """``value[leads[k], managers[k]]`` in float64, without building a dense matrix."""
        if self.sparse_value is not None:
            return csr_lookup(self.sparse_value, leads, managers)[0]
        assert self.dense_value is not None
        picked: FloatArray = self.dense_value[leads, managers].astype(np.float64)
        return picked

    def pair_eligible(self, leads: IntArray, managers: IntArray) -> BoolArray:
        """Whether each pair ``(leads[k], managers[k])`` is eligible."""
        if self.sparse_value is not None:
            return csr_lookup(self.sparse_value, leads, managers)[1]
        if self.eligible_mask is None:
            return np.ones(np.shape(leads), dtype=np.bool_)
        picked: BoolArray = self.eligible_mask[leads, managers]
        return picked

    def value_blocks(self, *, pool: bool = False) -> ValueBlocks:
        """Row blocks of net values (``-inf`` where not eligible) for block-wise passes."""
        return ValueBlocks(
            dense=self.dense_value,
            csr=self.sparse_value,
            eligible=self.eligible_mask,
            penalty=self.pair_penalty,
            pool=pool,
        )

    @property
    def upper_load(self) -> FloatArray:
        """Effective upper bound on each manager's workload: ``min(capacity, max_load)``."""
        return np.minimum(self.capacity, self.max_load)

    @property
    def unit_weights(self) -> bool:
        """Whether every lead weighs exactly 1 for every manager."""
        return bool(np.all(self.weight == 1.0))

    @property
    def has_value_bounds(self) -> bool:
        """Whether ``min_value`` or ``max_value`` constrain the problem."""
        return self.min_value is not None or self.max_value is not None

    @property
    def has_soft_bands(self) -> bool:
        """Whether the load or value band is soft (priced by a penalty)."""
        return self.load_penalty is not None or (
            self.value_penalty is not None and self.has_value_bounds
        )

    @property
    def hard_upper_load(self) -> FloatArray:
        """Upper bound on workload that no solution may exceed."""
        return self.capacity if self.load_penalty is not None else self.upper_load

    def net_value(self) -> FloatArray:
        """``value - pair_penalty``: what a pair is worth to the objective."""
        if self.pair_penalty is None:
            return self.value
        net: FloatArray = self.value - self.pair_penalty
        return net

    def count_bounds(self) -> tuple[IntArray, IntArray]:
        """Integer bounds ``(low, high)`` on how many leads each manager takes.

        Meaningful for unit weights: ``low = ceil(min_load)`` and
        ``high = floor(min(capacity, max_load))``, the latter clipped to the number
        of leads.
        """
        eps = 1e-9
        n = self.n_leads
        low = np.ceil(self.min_load - eps).astype(np.int64)
        high = np.floor(np.minimum(self.upper_load, n) + eps).astype(np.int64)
        return low, high

    def weight_matrix(self) -> FloatArray:
        """Workload of each lead for each manager, shape (n, m) (a broadcast view)."""
        if self.weight.ndim == 1:
            return np.broadcast_to(self.weight[:, None], self.value.shape)
        return self.weight

    def lead_name(self, index: int) -> str:
        """Human-readable name of lead ``index`` for messages."""
        return _name(self.lead_labels, "lead", index)

    def manager_name(self, index: int) -> str:
        """Human-readable name of manager ``index`` for messages."""
        return _name(self.manager_labels, "manager", index)


def _validate_soft(
    fields: dict[str, Any],
    *,
    pair_penalty: npt.ArrayLike | None,
    load_penalty: float | None,
    value_penalty: float | None,
    target_load: npt.ArrayLike | None,
) -> dict[str, Any]:
    n, m = fields["shape"]
    leads, managers = fields["lead_labels"], fields["manager_labels"]
    penalty = None
    if pair_penalty is not None and fields["sparse_value"] is not None:
        raise InputError(
            "pair_penalty cannot be combined with a sparse value; subtract the penalties "
            "from the stored values instead"
        )
    if pair_penalty is not None:
        penalty = to_array("pair_penalty", pair_penalty)
        if penalty.shape != (n, m):
            raise InputError(
                f"pair_penalty must have shape ({n}, {m}) like value, got {penalty.shape}"
            )
        check_numeric_dtype("pair_penalty", penalty)
        penalty = np.array(penalty, dtype=np.float64)
        bad = ~(np.isfinite(penalty) & (penalty >= 0))
        if bad.any():
            i, j = _first_bad(bad)
            raise InputError(
                f"pair_penalty of {_name(leads, 'lead', i)} for {_name(managers, 'manager', j)} "
                f"must be finite and >= 0, got {penalty[i, j]:g}"
            )
        penalty.flags.writeable = False
    prices: dict[str, float | None] = {}
    for name, price in (("load_penalty", load_penalty), ("value_penalty", value_penalty)):
        if price is None:
            prices[name] = None
            continue
        if isinstance(price, bool) or not isinstance(price, int | float | np.integer | np.floating):
            raise InputError(f"{name} must be a number, got {price!r}")
        if not (np.isfinite(price) and price >= 0):
            raise InputError(f"{name} must be finite and >= 0, got {price!r}")
        prices[name] = float(price)
    if target_load is None:
        upper = np.minimum(fields["capacity"], fields["max_load"])
        upper = np.minimum(upper, n)
        total = upper.sum()
        target = (upper / total) * n if total > 0 else np.zeros(m)
    else:
        target = to_array("target_load", target_load)
        if target.shape != (m,):
            raise InputError(
                f"target_load must have shape ({m},) (one per manager), got {target.shape}"
            )
        check_numeric_dtype("target_load", target)
        target = np.array(target, dtype=np.float64)
        bad_target = ~(np.isfinite(target) & (target >= 0))
        if bad_target.any():
            j = int(np.flatnonzero(bad_target)[0])
            raise InputError(
                f"target_load of {_name(managers, 'manager', j)} must be finite and >= 0, "
                f"got {target[j]:g}"
            )
    target.flags.writeable = False
    return {
        "pair_penalty": penalty,
        "load_penalty": prices["load_penalty"],
        "value_penalty": prices["value_penalty"],
        "target_load": target,
    }


def _validate(
    *,
    value: npt.ArrayLike,
    capacity: npt.ArrayLike,
    eligible: npt.ArrayLike | None,
    weight: npt.ArrayLike | None,
    min_load: npt.ArrayLike | None,
    max_load: npt.ArrayLike | None,
    allow_unassigned: bool,
    min_value: npt.ArrayLike | None,
    max_value: npt.ArrayLike | None,
    current_load: npt.ArrayLike | None,
    lead_labels: Sequence[str] | None,
    manager_labels: Sequence[str] | None,
) -> dict[str, Any]:
    sparse = sp.issparse(value)
    shape = tuple(value.shape) if sparse else None  # type: ignore[union-attr]
    v: DenseValue | None = None
    if not sparse:
        raw = to_array("value", value)
        if raw.ndim != 2:
            raise InputError(f"value must be a 2-d array (leads x managers), got shape {raw.shape}")
        check_numeric_dtype("value", raw)
        shape = raw.shape
    assert shape is not None
    n, m = int(shape[0]), int(shape[1])
    if n == 0:
        raise InputError("value has no leads (shape has 0 rows); at least one is needed")
    if m == 0:
        raise InputError("value has no managers (shape has 0 columns); at least one is needed")
    if not sparse:
        v = read_dense_value(raw)

    leads = _label_tuple("lead_labels", lead_labels, "lead")
    managers = _label_tuple("manager_labels", manager_labels, "manager")
    if leads is not None and len(leads) != n:
        raise InputError(f"lead_labels has {len(leads)} names for {n} leads")
    if managers is not None and len(managers) != m:
        raise InputError(f"manager_labels has {len(managers)} names for {m} managers")

    def lead(i: int) -> str:
        return _name(leads, "lead", i)

    def manager(j: int) -> str:
        return _name(managers, "manager", j)

    csr: sp.csr_array | None = None
    if v is None:
        csr = read_sparse_value(value, lambda i, j: f"{lead(i)} for {manager(j)}")
    else:
        bad = ~np.isfinite(v)
        if bad.any():
            i, j = _first_bad(bad)
            raise InputError(f"value of {lead(i)} for {manager(j)} must be finite, got {v[i, j]:g}")
    _check_magnitude(v, csr, n, lambda i, j: f"{lead(i)} for {manager(j)}")

    def per_manager(field: str, data: npt.ArrayLike, *, lower: float | None) -> FloatArray:
        arr = to_array(field, data)
        if arr.ndim == 0:
            arr = np.full(m, arr)
        if arr.shape != (m,):
            raise InputError(f"{field} must have shape ({m},) (one per manager), got {arr.shape}")
        check_numeric_dtype(field, arr)
        arr = arr.astype(np.float64)
        nan = np.isnan(arr)
        if nan.any():
            j = int(np.flatnonzero(nan)[0])
            raise InputError(f"{field} of {manager(j)} must be a number, got nan")
        if lower is not None:
            low = arr < lower
            if low.any():
                j = int(np.flatnonzero(low)[0])
                raise InputError(f"{field} of {manager(j)} must be >= {lower:g}, got {arr[j]:g}")
        return arr

    cap = per_manager("capacity", capacity, lower=0.0)
    if np.isinf(cap).any():
        j = int(np.flatnonzero(np.isinf(cap))[0])
        raise InputError(f"capacity of {manager(j)} must be finite, got {cap[j]:g}")

    mask: BoolArray | None = None
    if csr is not None and eligible is not None:
        raise InputError(
            "eligible must be omitted when value is sparse: the stored entries of a "
            "sparse value are the eligible pairs"
        )
    if eligible is None:
        pass
    elif sp.issparse(eligible):
        mask = read_sparse_eligible(eligible, (n, m))
    else:
        try:
            elig = np.asarray(eligible)
        except (ValueError, TypeError) as exc:
            raise InputError(f"eligible must be an ({n}, {m}) array of booleans: {exc}") from None
        if elig.shape != (n, m):
            raise InputError(f"eligible must have shape ({n}, {m}) like value, got {elig.shape}")
        if elig.dtype != np.bool_:
            if not np.issubdtype(elig.dtype, np.integer) or not np.isin(elig, (0, 1)).all():
                raise InputError(f"eligible must hold booleans, got dtype {elig.dtype}")
            elig = elig.astype(np.bool_)
        else:
            elig = elig.copy()
        mask = elig

    if weight is None:
        w = np.ones(n, dtype=np.float64)
    else:
        w = to_array("weight", weight)
        if w.shape not in ((n,), (n, m)):
            raise InputError(f"weight must have shape ({n},) or ({n}, {m}), got {w.shape}")
        check_numeric_dtype("weight", w)
        w = w.astype(np.float64)
        bad_w = ~(np.isfinite(w) & (w > 0))
        if bad_w.any():
            idx = _first_bad(bad_w)
            where = lead(idx[0]) if w.ndim == 1 else f"{lead(idx[0])} for {manager(idx[1])}"
            raise InputError(f"weight of {where} must be finite and > 0, got {w[idx]:g}")

    lo = np.zeros(m) if min_load is None else per_manager("min_load", min_load, lower=0.0)
    hi = cap.copy() if max_load is None else per_manager("max_load", max_load, lower=0.0)
    if np.isinf(lo).any():
        j = int(np.flatnonzero(np.isinf(lo))[0])
        raise InputError(f"min_load of {manager(j)} must be finite, got {lo[j]:g}")
    over = lo > cap
    if over.any():
        j = int(np.flatnonzero(over)[0])
        raise InputError(f"min_load of {manager(j)} ({lo[j]:g}) exceeds its capacity ({cap[j]:g})")
    crossed = lo > hi
    if crossed.any():
        j = int(np.flatnonzero(crossed)[0])
        raise InputError(f"min_load of {manager(j)} ({lo[j]:g}) exceeds its max_load ({hi[j]:g})")

    vmin = None if min_value is None else per_manager("min_value", min_value, lower=None)
    vmax = None if max_value is None else per_manager("max_value", max_value, lower=None)
    for field, bound, impossible in (("min_value", vmin, np.inf), ("max_value", vmax, -np.inf)):
        if bound is not None and (bound == impossible).any():
            j = int(np.flatnonzero(bound == impossible)[0])
            raise InputError(
                f"{field} of {manager(j)} must be finite or {-impossible:g} (no bound), "
                f"got {bound[j]:g}"
            )
    if vmin is not None and vmax is not None:
        crossed = vmin > vmax
        if crossed.any():
            j = int(np.flatnonzero(crossed)[0])
            raise InputError(
                f"min_value of {manager(j)} ({vmin[j]:g}) exceeds its max_value ({vmax[j]:g})"
            )

    cur = (
        np.zeros(m)
        if current_load is None
        else per_manager("current_load", current_load, lower=0.0)
    )
    if not isinstance(allow_unassigned, bool | np.bool_):
        raise InputError(f"allow_unassigned must be a bool, got {allow_unassigned!r}")

    for arr in (v, mask, cap, w, lo, hi, cur, vmin, vmax):
        if arr is not None and arr.flags.writeable:
            arr.flags.writeable = False
    fields: dict[str, Any] = {
        "shape": (n, m),
        "dense_value": v,
        "sparse_value": csr,
        "eligible_mask": mask,
        "capacity": cap,
        "weight": w,
        "min_load": lo,
        "max_load": hi,
        "allow_unassigned": bool(allow_unassigned),
        "min_value": vmin,
        "max_value": vmax,
        "current_load": cur,
        "lead_labels": leads,
        "manager_labels": managers,
    }
    if v is not None and v.dtype == np.float64:
        fields["value"] = v
    if csr is None:
        fields["eligible"] = mask if mask is not None else np.broadcast_to(np.True_, (n, m))
    return fields


def _dense_float64(dense: DenseValue | None, csr: sp.csr_array | None) -> FloatArray:
    """The value matrix as dense float64 (zeros where a sparse problem stores nothing)."""
    if dense is not None:
        out: FloatArray = dense.astype(np.float64)
    else:
        assert csr is not None
        out = np.asarray(csr.toarray(), dtype=np.float64)
    out.flags.writeable = False
    return out
