"""RFM scores and segments of a client base, and the lifetimes-style CLV summary.

Both functions read a transaction log (one row per purchase: customer, date,
amount) given as a pandas DataFrame or as a mapping of equal-length arrays, and
return one row per customer, sorted by customer id. The work is vectorized numpy
(one sort of the log, then segment reductions); pandas is imported only when a
DataFrame comes in, and then a DataFrame goes out.
"""

from __future__ import annotations

import datetime as _dt
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Number
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_SEGMENTS",
    "SegmentRule",
    "SegmentTable",
    "clv_summary",
    "quintile_scores",
    "rfm",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[Any]  # datetime64 of some unit
DateLike = str | _dt.date | np.datetime64
"""A date: ISO string (``"1998-06-30"``) or compact ``"19980630"``, ``datetime.date``,
``datetime.datetime``, ``numpy.datetime64`` or ``pandas.Timestamp``."""

RFM_COLUMNS = ("recency", "frequency", "monetary", "r_score", "f_score", "m_score", "segment")
CLV_COLUMNS = ("frequency", "recency", "T", "monetary_value")
N_SCORES = 5
_FREQS = ("D", "W", "h")


# --------------------------------------------------------------------------- segment table


def _score_range(owner: str, field_name: str, value: Any) -> None:
    ok = (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise ValueError(
            f"{field_name} of {owner} must be a pair (low, high) of scores, got {value!r}"
        )
    low, high = value
    if not 1 <= low <= high <= N_SCORES:
        raise ValueError(
            f"{field_name} of {owner} must satisfy 1 <= low <= high <= {N_SCORES}, got {value!r}"
        )


@dataclass(frozen=True)
class SegmentRule:
    """One rectangle of the score grid and the segment name it gives.

    Parameters
    ----------
    name : str
        Segment name, e.g. ``"champions"``. Several rules may share a name.
    r, f : tuple of int
        Inclusive ranges ``(low, high)`` of ``r_score`` and ``f_score``, within 1..5.
    m : tuple of int, optional
        Inclusive range of ``m_score``; ``None`` (default) means any.

    Examples
    --------
    >>> SegmentRule("champions", r=(5, 5), f=(4, 5))
    SegmentRule(name='champions', r=(5, 5), f=(4, 5), m=None)
    >>> SegmentRule("x", r=(0, 2), f=(1, 5))
    Traceback (most recent call last):
    ...
    ValueError: r of segment rule 'x' must satisfy 1 <= low <= high <= 5, got (0, 2)
    """

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(
                f"name of a segment rule must be a non-empty string, got {self.name!r}"
            )
        owner = f"segment rule {self.name!r}"
        _score_range(owner, "r", self.r)
        _score_range(owner, "f", self.f)
        if self.m is not None:
            _score_range(owner, "m", self.m)

    def _slices(self) -> tuple[slice, slice, slice]:
        m = self.m if self.m is not None else (1, N_SCORES)
        return (
            slice(self.r[0] - 1, self.r[1]),
            slice(self.f[0] - 1, self.f[1]),
            slice(m[0] - 1, m[1]),
        )


@dataclass(frozen=True)
class SegmentTable:
    """Segment names over the grid of scores, held as data.

    Each cell of the R x F grid (R x F x M when a rule restricts ``m``) must be
    covered by exactly one rule; the table is checked when it is made.

    Parameters
    ----------
    rules : sequence of SegmentRule
        The rectangles of the grid and their names.

    Raises
    ------
    ValueError
        If a cell is left uncovered or covered twice; the message names the cell
        and the rules.

    Examples
    --------
    >>> table = SegmentTable(
    ...     [SegmentRule("active", r=(3, 5), f=(1, 5)), SegmentRule("lapsed", r=(1, 2), f=(1, 5))]
    ... )
    >>> table.names
    ('active', 'lapsed')
    >>> table.segment_of(4, 1)
    'active'
    >>> SegmentTable([SegmentRule("active", r=(3, 5), f=(1, 5))])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: segment table leaves cell r=1, f=1 uncovered (and 9 more cells); ...
    """

    rules: tuple[SegmentRule, ...]
    _lookup: IntArray = field(init=False, repr=False, compare=False)

    def __init__(self, rules: Iterable[SegmentRule]) -> None:
        rules = tuple(rules)
        object.__setattr__(self, "rules", rules)
        if not rules:
            raise ValueError("segment table has no rules; every cell needs exactly one rule")
        for k, rule in enumerate(rules):
            if not isinstance(rule, SegmentRule):
                kind = type(rule).__name__
                raise ValueError(f"rule {k} of the segment table must be a SegmentRule, got {kind}")
        uses_m = self.uses_m
        owner = np.full((N_SCORES,) * 3, -1, dtype=np.int64)
        for k, rule in enumerate(rules):
            cells = owner[rule._slices()]
            taken = cells >= 0
            if taken.any():
                i, j, m = (int(x) for x in np.argwhere(taken)[0])
                sl = rule._slices()
                cell: tuple[int, ...] = (
                    sl[0].start + i + 1,
                    sl[1].start + j + 1,
                    sl[2].start + m + 1,
                )
                other = rules[int(cells[i, j, m])].name
                raise ValueError(
                    f"segment table covers cell {_cell(cell, uses_m)} twice: "
                    f"by {other!r} and by {rule.name!r}"
                )
            owner[rule._slices()] = k
        empty = np.argwhere(owner < 0)
        if len(empty):
            cell = tuple(int(x) + 1 for x in empty[0])
            n_empty = len(empty) if uses_m else len(empty) // N_SCORES
            more = f" (and {n_empty - 1} more cells)" if n_empty > 1 else ""
            raise ValueError(
                f"segment table leaves cell {_cell(cell, uses_m)} uncovered{more}; "
                "every cell needs exactly one rule"
            )
        name_index = {name: k for k, name in enumerate(self.names)}
        by_rule = np.array([name_index[rule.name] for rule in rules], dtype=np.int64)
        lookup = by_rule[owner]
        lookup.flags.writeable = False
        object.__setattr__(self, "_lookup", lookup)

    @property
    def names(self) -> tuple[str, ...]:
        """Distinct segment names, in the order of the rules."""
        return tuple(dict.fromkeys(rule.name for rule in self.rules))

    @property
    def uses_m(self) -> bool:
        """Whether any rule restricts ``m_score``."""
        return any(rule.m is not None for rule in self.rules)

    def segment_of(self, r: int, f: int, m: int | None = None) -> str:
        """Segment of one cell; ``m`` is needed only when the table uses it."""
        for name, value in (("r", r), ("f", f), ("m", m)):
            if value is None and name == "m":
                if self.uses_m:
                    raise ValueError("this segment table uses m_score: give m")
                continue
            if not isinstance(value, int | np.integer) or not 1 <= value <= N_SCORES:
                raise ValueError(f"{name} must be a score in 1..{N_SCORES}, got {value!r}")
        mm = 1 if m is None else m
        return self.names[int(self._lookup[r - 1, f - 1, mm - 1])]

    def assign(
        self, r_score: npt.ArrayLike, f_score: npt.ArrayLike, m_score: npt.ArrayLike
    ) -> npt.NDArray[np.str_]:
        """Segment name of each customer from its three scores (vectorized)."""
        r = np.asarray(r_score, dtype=np.int64) - 1
        f = np.asarray(f_score, dtype=np.int64) - 1
        m = np.asarray(m_score, dtype=np.int64) - 1
        names = np.array(self.names, dtype=np.str_)
        return names[self._lookup[r, f, m]]


def _cell(cell: tuple[int, ...], uses_m: bool) -> str:
    text = f"r={cell[0]}, f={cell[1]}"
    return f"{text}, m={cell[2]}" if uses_m else text


DEFAULT_SEGMENTS = SegmentTable(
    (
        SegmentRule("champions", r=(5, 5), f=(4, 5)),
        SegmentRule("loyal_customers", r=(3, 4), f=(4, 5)),
        SegmentRule("potential_loyalists", r=(4, 5), f=(2, 3)),
        SegmentRule("new_customers", r=(5, 5), f=(1, 1)),
        SegmentRule("promising", r=(4, 4), f=(1, 1)),
        SegmentRule("need_attention", r=(3, 3), f=(3, 3)),
        SegmentRule("about_to_sleep", r=(3, 3), f=(1, 2)),
        SegmentRule("at_risk", r=(1, 2), f=(3, 4)),
        SegmentRule("cant_lose", r=(1, 2), f=(5, 5)),
        SegmentRule("hibernating", r=(1, 2), f=(1, 2)),
    )
)
"""The widely used R x F segment map (ten segments; ``m_score`` not used)::

    r\\f  1               2               3               4                5
    5    new_customers   potential_loy.  potential_loy.  champions        champions
    4    promising       potential_loy.  potential_loy.  loyal_customers  loyal_customers
    3    about_to_sleep  about_to_sleep  need_attention  loyal_customers  loyal_customers
    2    hibernating     hibernating     at_risk         at_risk          cant_lose
    1    hibernating     hibernating     at_risk         at_risk          cant_lose
"""


def _segment_table(segments: SegmentTable | Sequence[SegmentRule] | None) -> SegmentTable:
    if segments is None:
        return DEFAULT_SEGMENTS
    if isinstance(segments, SegmentTable):
        return segments
    if isinstance(segments, Sequence) and not isinstance(segments, str):
        return SegmentTable(tuple(segments))
    kind = type(segments).__name__
    raise ValueError(f"segments must be a SegmentTable or a sequence of SegmentRule, got {kind}")


# --------------------------------------------------------------------------- reading columns


def _py(value: Any) -> Any:
    """A numpy scalar as the plain Python value (for messages and records)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return type(value).__name__ in ("NAType", "NaTType")


def _infer(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """An object array of one plain kind (str, int, float) as that numpy dtype."""
    if array.dtype != object or array.size == 0:
        return array
    types = set(map(type, array.ravel()))
    if all(issubclass(t, str) for t in types):
        return array.astype(np.str_)
    if any(issubclass(t, bool | np.bool_) for t in types):
        return array.astype(np.bool_) if len(types) == 1 else array
    if all(issubclass(t, int | np.integer) for t in types):
        try:
            return array.astype(np.int64)
        except OverflowError:
            return array
    if all(issubclass(t, int | float | np.integer | np.floating) for t in types):
        return array.astype(np.float64)
    return array


def is_frame(obj: Any) -> bool:
    """Whether ``obj`` is a pandas DataFrame (without importing pandas)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


def as_array(values: Any, name: str) -> npt.NDArray[Any]:
    """One column as a 1-d numpy array; lists of mixed types stay ``object``."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(values, pd.Series | pd.Index):
        return _series_values(values)
    if isinstance(values, np.ndarray):
        array = values
    elif isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise ValueError(f"column {name!r} must be an array of values, got {type(values).__name__}")
    else:
        try:
            array = np.empty(len(values), dtype=object)
            array[:] = list(values)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"column {name!r} must be a 1-d array of values: {exc}") from None
        array = _infer(array)
    if array.ndim != 1:
        raise ValueError(f"column {name!r} must be one-dimensional, got shape {array.shape}")
    return array


def _series_values(series: Any) -> npt.NDArray[Any]:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        # The purchase day is the local (wall-clock) day.
        local: Any = series if isinstance(series, pd.Index) else series.dt
        series = local.tz_localize(None)
        dtype = series.dtype
    if (
        isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and series.hasnans
    ):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    return _infer(np.asarray(series.to_numpy()))


def check_column_name(role: str, name: Any) -> None:
    """Raise unless ``name`` can name a column: hashable and not ``None``.

    pandas calls an unnamed index ``None``, so a ``None`` name would silently read
    the index; an unhashable one would fail inside pandas.
    """
    try:
        hash(name)
    except TypeError:
        usable = False
    else:
        usable = name is not None
    if not usable:
        raise ValueError(f"{role} must be a column name, got {name!r}")


def read_columns(
    data: Any,
    columns: Mapping[str, str],
    *,
    what: str = "transactions",
    options: Iterable[str] | None = None,
) -> tuple[dict[str, npt.NDArray[Any]], bool]:
    """The named columns of a DataFrame or a mapping, as 1-d numpy arrays.

    ``columns`` maps each role (e.g. ``"date"``) to its column name; ``options`` are
    the roles the caller can rename by keyword (default: all), which the message
    about a missing column suggests. Returns the arrays by name and whether
    ``data`` was a DataFrame. A DataFrame column may also be its index when the
    index has that name. Each name must pass :func:`check_column_name`.
    """
    for role, name in columns.items():
        check_column_name(role, name)
    renamable = set(columns) if options is None else set(options)
    names = list(dict.fromkeys(columns.values()))
    frame = is_frame(data)
    if frame:
        available = [str(c) for c in data.columns]
        out: dict[str, npt.NDArray[Any]] = {}
        for name in names:
            if name in data.columns:
                column = data[name]
                if getattr(column, "ndim", 1) != 1:
                    raise ValueError(f"more than one column named {name!r} in {what}")
                out[name] = _series_values(column)
            elif data.index.name is not None and data.index.name == name:
                out[name] = _series_values(data.index)
            else:
                raise ValueError(_missing_column(what, name, columns, available, renamable))
        return out, True
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{what} must be a pandas DataFrame or a mapping of column name to array, "
            f"got {type(data).__name__}"
        )
    available = [str(c) for c in data]
    out = {}
    for name in names:
        if name not in data:
            raise ValueError(_missing_column(what, name, columns, available, renamable))
        out[name] = as_array(data[name], name)
    lengths = {name: len(array) for name, array in out.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name!r} has {n}" for name, n in lengths.items())
        raise ValueError(f"columns of {what} must have equal lengths: {shown}")
    return out, False


def _missing_column(
    what: str, name: str, columns: Mapping[str, str], available: list[str], renamable: set[str]
) -> str:
    role = next(role for role, col in columns.items() if col == name)
    shown = ", ".join(repr(c) for c in available) or "none"
    hint = f"; pass {role}=... to name another" if role in renamable else ""
    return f"no column {name!r} in {what} (the {role} column{hint}); available: {shown}"


def customer_ids(values: npt.NDArray[Any], name: str) -> npt.NDArray[Any]:
    """Customer ids as a numpy array of str, int or float; missing or mixed ids rejected."""
    array = _infer(values)
    if array.size == 0:
        return array
    kind = array.dtype.kind
    if kind == "S":
        array = array.astype(np.str_)
        kind = "U"
    if kind == "f":
        bad = np.isnan(array)
        if bad.any():
            raise ValueError(f"{name} is missing in row {int(np.flatnonzero(bad)[0])}")
        return array
    if kind in "iuU":
        return array
    if kind == "O":
        for row, value in enumerate(array):
            if _is_missing(value):
                raise ValueError(f"{name} is missing in row {row}")
        kinds = sorted({type(v).__name__ for v in array})
        if len(kinds) > 1:
            raise ValueError(
                f"{name} must hold strings or integers of one kind, got a mix of {', '.join(kinds)}"
            )
        raise ValueError(f"{name} must hold strings or integers, got {kinds[0]}")
    raise ValueError(f"{name} must hold strings or integers, got {array.dtype}")


class _BadDateError(Exception):
    def __init__(self, row: int, value: Any) -> None:
        self.row = row
        self.value = value


def _in_subset(mask: npt.NDArray[np.bool_], parse: Callable[[], Any]) -> Any:
    """Run ``parse`` on the rows selected by ``mask``; a bad row is renumbered."""
    try:
        return parse()
    except _BadDateError as bad:
        raise _BadDateError(int(np.flatnonzero(mask)[bad.row]), bad.value) from None


def _compact_dates(array: npt.NDArray[np.str_]) -> DateArray:
    """``YYYYMMDD`` strings (all of that form) as days."""
    codes = np.ascontiguousarray(array.astype("<U8")).view(np.uint32).reshape(-1, 8)
    digits = codes.astype(np.int64) - ord("0")
    year = digits[:, :4] @ np.array([1000, 100, 10, 1])
    month = digits[:, 4:6] @ np.array([10, 1])
    day = digits[:, 6:] @ np.array([10, 1])
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days: DateArray = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (days.astype("datetime64[M]") == months)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise _BadDateError(row, str(array[row]))
    return days


def _strict(array: npt.NDArray[Any]) -> DateArray | None:
    """``array`` as ``datetime64[us]``, or ``None`` when numpy cannot read it cleanly."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed: DateArray = array.astype("datetime64[us]")
    except (ValueError, TypeError, OverflowError, Warning):
        return None
    return parsed


def _parse_strings(array: npt.NDArray[np.str_]) -> DateArray:
    """ISO (``1998-06-30``, ``1998-06-30 14:05``) or compact (``19980630``) strings."""
    out = np.empty(len(array), dtype="datetime64[us]")
    if not len(array):
        return out
    length = np.char.str_len(array)
    digits = np.char.isdigit(array)
    compact = digits & (length == 8)
    if compact.any():
        out[compact] = _in_subset(compact, lambda: _compact_dates(array[compact]))
    # numpy would read other runs of digits (e.g. "199806") as a year: reject them.
    odd = digits & (length > 4) & ~compact
    if odd.any():
        row = int(np.flatnonzero(odd)[0])
        raise _BadDateError(row, str(array[row]))
    rest = ~compact
    if rest.any():
        parsed = _strict(array[rest])
        if parsed is None:
            for row in np.flatnonzero(rest).tolist():
                if _strict(array[row : row + 1]) is None:
                    raise _BadDateError(row, str(array[row]))
        out[rest] = parsed
    return out


def _parse_objects(array: npt.NDArray[Any]) -> DateArray:
    """``date``/``datetime``/``Timestamp``/``datetime64`` objects; None and NaT missing."""
    parsed = _strict(array)
    if parsed is not None:
        return parsed
    for row, value in enumerate(array):
        if _is_missing(value):
            continue
        if isinstance(value, bool) or _strict(np.array([value], dtype=object)) is None:
            raise _BadDateError(row, _py(value))
    missing = np.array([_is_missing(v) for v in array], dtype=np.bool_)
    out = np.full(len(array), np.datetime64("NaT"), dtype="datetime64[us]")
    out[~missing] = array[~missing].astype("datetime64[us]")
    return out


def _parse_dates(array: npt.NDArray[Any]) -> DateArray:
    """Dates as ``datetime64`` (NaT where missing); ``_BadDateError`` for the first bad one."""
    kind = array.dtype.kind
    if kind == "M":
        return array
    if kind == "S":
        return _parse_strings(array.astype(np.str_))
    if kind == "U":
        return _parse_strings(array)
    if kind != "O":
        raise _BadDateError(0, _py(array[0]) if array.size else None)
    is_str = np.fromiter((isinstance(v, str) for v in array), dtype=np.bool_, count=len(array))
    if is_str.all():
        return _parse_strings(array.astype(np.str_))
    out = np.empty(len(array), dtype="datetime64[us]")
    if is_str.any():
        out[is_str] = _in_subset(is_str, lambda: _parse_strings(array[is_str].astype(np.str_)))
    other = ~is_str
    out[other] = _in_subset(other, lambda: _parse_objects(array[other]))
    return out


def parse_dates(
    values: npt.NDArray[Any],
    field_name: str,
    who: Callable[[int], str],
    *,
    allow_missing: bool = False,
) -> DateArray:
    """A column of dates as ``datetime64``; errors name the customer (``who(row)``).

    Missing dates (None, NaT, empty strings) are errors unless ``allow_missing``;
    then they come back as NaT.
    """
    try:
        dates = _parse_dates(values)
    except _BadDateError as bad:
        if values.dtype.kind in "iufb":
            raise ValueError(
                f"{field_name} must hold dates (datetime64, date objects or strings such as "
                f"'1998-06-30' or '19980630'), got {values.dtype} (e.g. {bad.value!r})"
            ) from None
        raise ValueError(
            f"{field_name} of {who(bad.row)} is not a date, got {_py(bad.value)!r} (row {bad.row})"
        ) from None
    missing = np.isnat(dates)
    if missing.any() and not allow_missing:
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{field_name} of {who(row)} is missing (row {row})")
    return dates


def parse_date(value: Any, field_name: str) -> np.datetime64:
    """One date (``now``, ``observation_end``) as ``datetime64[us]``."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        value = value.tz_localize(None)
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if isinstance(value, bool) or not isinstance(value, str | _dt.date | np.datetime64):
        raise ValueError(
            f"{field_name} must be a date (e.g. '1998-06-30', datetime.date), got {value!r}"
        )
    try:
        parsed = _parse_dates(np.array([value], dtype=object))[0]
    except _BadDateError:
        raise ValueError(f"{field_name} is not a date, got {value!r}") from None
    if np.isnat(parsed):
        raise ValueError(f"{field_name} is not a date, got {value!r}")
    return np.datetime64(parsed, "us")


def amounts(values: npt.NDArray[Any], field_name: str, who: Callable[[int], str]) -> FloatArray:
    """A column of amounts as finite floats ``>= 0``; errors name the customer."""
    array = _infer(values)
    kind = array.dtype.kind
    if kind == "b":
        raise ValueError(f"{field_name} must hold numbers, got booleans")
    if kind == "O":
        for row, value in enumerate(array):
            if _is_missing(value):
                raise ValueError(f"{field_name} of {who(row)} is missing (row {row})")
            if isinstance(value, bool | np.bool_ | complex) or not isinstance(value, Number):
                raise ValueError(
                    f"{field_name} of {who(row)} must be a number, got {_py(value)!r} (row {row})"
                )
    elif kind not in "iuf":
        sample = _py(array[0]) if array.size else None
        raise ValueError(f"{field_name} must hold numbers, got {array.dtype} (e.g. {sample!r})")
    result = array.astype(np.float64)
    nan = np.isnan(result)
    if nan.any():
        row = int(np.flatnonzero(nan)[0])
        raise ValueError(f"{field_name} of {who(row)} is missing (row {row})")
    inf = np.isinf(result)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise ValueError(
            f"{field_name} of {who(row)} must be finite, got {result[row]:g} (row {row})"
        )
    negative = result < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"{field_name} of {who(row)} must be >= 0, got {result[row]:g} (row {row}; "
            f"{int(negative.sum())} negative amount(s) in all)"
        )
    return result


def _namer(ids: npt.NDArray[Any]) -> Callable[[int], str]:
    def who(row: int) -> str:
        return f"customer {_py(ids[row])!r}"

    return who


def _check_not_future(
    stamp: npt.NDArray[np.int64],
    limit: int,
    dates: DateArray,
    who: Callable[[int], str],
    limit_name: str,
    limit_shown: str,
) -> None:
    late = stamp > limit
    if late.any():
        row = int(np.flatnonzero(late)[0])
        count = int(late.sum())
        raise ValueError(
            f"future dates: {who(row)} bought on {_show(dates[row])}, after {limit_name} "
            f"({limit_shown}) (row {row}; {count} row(s) in all)"
        )


def _show(value: Any) -> str:
    day = np.datetime64(value, "D")
    return str(day) if np.datetime64(value, "us") == day else str(np.datetime64(value, "s"))


def _sort_log(
    ids: npt.NDArray[Any], *keys: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], IntArray, IntArray]:
    """Unique ids, and the order sorting the rows by (customer, *keys), and the customer index."""
    try:
        unique, inverse = np.unique(ids, return_inverse=True)
    except TypeError:  # pragma: no cover - customer_ids() leaves no mixed kinds
        raise ValueError("customer ids cannot be ordered") from None
    inverse = inverse.astype(np.int64).ravel()
    order = np.lexsort((*reversed(keys), inverse))
    return unique, order, inverse


def _starts(*sorted_keys: npt.NDArray[Any]) -> IntArray:
    """Positions where any of the sorted keys changes (the first row always)."""
    n = len(sorted_keys[0])
    new = np.zeros(n, dtype=np.bool_)
    new[:1] = True
    for key in sorted_keys:
        new[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(new).astype(np.int64)


# --------------------------------------------------------------------------- RFM


def quintile_scores(values: npt.ArrayLike) -> IntArray:
    """Scores 1..5 by rank: the lowest fifth of ``values`` gets 1, the highest fifth 5.

    Ties are broken by position (a stable sort), so every score holds ``n / 5``
    items (rounded) whenever ``n >= 5``, however many values are tied. With
    0-based rank ``k`` of ``n`` items the score is ``floor(5 (2k + 1) / (2 n)) + 1``:
    the score of the rank's midpoint, so a single item scores 3.

    Examples
    --------
    >>> quintile_scores([1, 1, 1, 1, 1, 1, 1, 2, 3, 9]).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintile_scores([7.5]).tolist()
    [3]
    """
    array = np.asarray(values)
    n = array.size
    order = np.argsort(array, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return (N_SCORES * (2 * rank + 1)) // (2 * n) + 1 if n else rank


@overload
def rfm(
    transactions: pd.DataFrame,
    *,
    customer: str = ...,
    date: str = ...,
    amount: str = ...,
    now: DateLike | None = ...,
    segments: SegmentTable | Sequence[SegmentRule] | None = ...,
) -> pd.DataFrame: ...
@overload
def rfm(
    transactions: Mapping[str, Any],
    *,
    customer: str = ...,
    date: str = ...,
    amount: str = ...,
    now: DateLike | None = ...,
    segments: SegmentTable | Sequence[SegmentRule] | None = ...,
) -> dict[str, npt.NDArray[Any]]: ...
def rfm(
    transactions: pd.DataFrame | Mapping[str, Any],
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    now: DateLike | None = None,
    segments: SegmentTable | Sequence[SegmentRule] | None = None,
) -> pd.DataFrame | dict[str, npt.NDArray[Any]]:
    """Recency, frequency and monetary value of each customer, their scores and segment.

    Parameters
    ----------
    transactions : DataFrame or mapping of str to array_like
        One row per purchase. A DataFrame needs pandas; a mapping of equal-length
        arrays (e.g. a dict of lists or numpy arrays) needs numpy only.
    customer, date, amount : str
        Column names. Dates may be ``datetime64``, ``date``/``datetime`` objects or
        strings (ISO ``"1998-06-30"`` or compact ``"19980630"``); they count by
        calendar day. Amounts must be finite and ``>= 0``.
    now : date-like, optional
        The day recency is measured from. Default: the day after the last
        transaction in the data (so the most recent customers have recency 1).
    segments : SegmentTable or sequence of SegmentRule, optional
        The segment map. Default: :data:`DEFAULT_SEGMENTS`, the widely used R x F
        grid of ten segments.

    Returns
    -------
    DataFrame or dict of numpy arrays
        One row per customer, sorted by customer id; a DataFrame (index: the
        customer ids, named ``customer``) for a DataFrame in, otherwise a dict with
        the customer column and these:

        - ``recency`` (int): days from the last purchase day to ``now``;
        - ``frequency`` (int): number of distinct purchase days (several rows on one
          day, e.g. the lines of one order, count once);
        - ``monetary`` (float): total amount spent;
        - ``r_score``, ``f_score``, ``m_score`` (int, 1..5, 5 best): quintiles of
          ``-recency``, ``frequency`` and ``monetary`` by rank
          (:func:`quintile_scores`); ties are broken by customer id, so the five
          scores stay equally full even when most customers bought once;
        - ``segment`` (str): from the table, by ``(r_score, f_score[, m_score])``.

    Raises
    ------
    ValueError
        On a missing column (the message lists those available), empty input, a
        missing customer id, a missing or unreadable date, a missing, infinite or
        negative amount (naming the customer, the value and the row), or a
        purchase after ``now`` ("future dates").

    Examples
    --------
    >>> tx = {
    ...     "customer_id": ["a", "a", "b", "c", "c", "c", "d", "e"],
    ...     "date": ["2024-01-05", "2024-03-01", "2024-02-10", "2024-01-20",
    ...              "2024-02-20", "2024-03-10", "2024-01-02", "2024-03-09"],
    ...     "amount": [20.0, 35.0, 15.0, 50.0, 40.0, 60.0, 5.0, 25.0],
    ... }
    >>> table = rfm(tx, now="2024-03-11")
    >>> table["customer_id"].tolist()
    ['a', 'b', 'c', 'd', 'e']
    >>> table["recency"].tolist(), table["frequency"].tolist()
    ([10, 30, 1, 69, 2], [2, 1, 3, 1, 1])
    >>> table["r_score"].tolist(), table["f_score"].tolist(), table["m_score"].tolist()
    ([3, 2, 5, 1, 4], [4, 1, 5, 2, 3], [4, 2, 5, 1, 3])
    >>> table["segment"].tolist()
    ['loyal_customers', 'hibernating', 'champions', 'hibernating', 'potential_loyalists']
    >>> rfm(tx, now="2024-03-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: future dates: customer 'c' bought on 2024-03-10, after now (2024-03-01) ...
    """
    table = _segment_table(segments)
    columns, frame = read_columns(
        transactions, {"customer": customer, "date": date, "amount": amount}
    )
    if customer in RFM_COLUMNS:
        raise ValueError(f"customer column {customer!r} clashes with an output column")
    ids = customer_ids(columns[customer], customer)
    if len(ids) == 0:
        raise ValueError("transactions are empty; at least one purchase is needed")
    who = _namer(ids)
    stamps = parse_dates(columns[date], date, who)
    spend = amounts(columns[amount], amount, who)
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if now is None:
        today = int(days.max()) + 1
    else:
        now_stamp = parse_date(now, "now")
        today = int(now_stamp.astype("datetime64[D]").astype(np.int64))
        _check_not_future(days, today, stamps, who, "now", _show(now_stamp))

    unique, order, inverse = _sort_log(ids, days, spend)
    cust_s, days_s, spend_s = inverse[order], days[order], spend[order]
    starts = _starts(cust_s)
    last = np.append(starts[1:], len(cust_s)) - 1
    recency = today - days_s[last]
    frequency = np.bincount(cust_s[_starts(cust_s, days_s)], minlength=len(unique))
    monetary = np.add.reduceat(spend_s, starts)
    r_score = quintile_scores(-recency)
    f_score = quintile_scores(frequency)
    m_score = quintile_scores(monetary)
    result: dict[str, npt.NDArray[Any]] = {
        "recency": recency.astype(np.int64),
        "frequency": frequency.astype(np.int64),
        "monetary": monetary,
        "r_score": r_score,
        "f_score": f_score,
        "m_score": m_score,
        "segment": table.assign(r_score, f_score, m_score),
    }
    if frame:
        import pandas as pd

        return pd.DataFrame(result, index=pd.Index(unique, name=customer))
    return {customer: unique, **result}


# --------------------------------------------------------------------------- CLV summary


def _kahan_group_sums(values: FloatArray, starts: IntArray, n_groups: int) -> FloatArray:
    """Compensated (Kahan) sum of each contiguous group, in order, for all groups at once.

    Group ``g`` is ``values[starts[g]:starts[g + 1]]``. The same arithmetic as pandas'
    grouped mean (``y = v - c; t = s + y; c = (t - s) - y; s = t``), so results agree
    bit for bit. The loop runs over positions within a group (as many times as the
    largest group is long), each step vectorized over the groups that long.
    """
    total = np.zeros(n_groups)
    if n_groups == 0:
        return total
    sizes = np.diff(np.append(starts, len(values)))
    by_size = np.argsort(-sizes, kind="stable")
    first = starts[by_size]
    longest = int(sizes[by_size[0]])
    active = np.searchsorted(-sizes[by_size], -np.arange(longest), side="left")
    acc = np.zeros(n_groups)
    comp = np.zeros(n_groups)
    for k in range(longest):
        m = int(active[k])
        s = acc[:m]
        y = values[first[:m] + k] - comp[:m]
        t = s + y
        c = (t - s) - y
        c[np.isnan(c)] = 0.0  # an infinite sum: keep it infinite, as pandas does
        comp[:m] = c
        acc[:m] = t
    total[by_size] = acc
    return total


def _periods(stamps: DateArray, freq: str) -> IntArray:
    """Period number of each time stamp: days, Monday-based weeks, or hours."""
    if freq == "h":
        return stamps.astype("datetime64[h]").astype(np.int64)
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if freq == "W":
        return (days + 3) // 7  # 1970-01-01 was a Thursday; weeks start on Monday
    return days


@overload
def clv_summary(
    transactions: pd.DataFrame,
    *,
    customer: str = ...,
    date: str = ...,
    amount: str | None = ...,
    observation_end: DateLike | None = ...,
    freq: str = ...,
) -> pd.DataFrame: ...
@overload
def clv_summary(
    transactions: Mapping[str, Any],
    *,
    customer: str = ...,
    date: str = ...,
    amount: str | None = ...,
    observation_end: DateLike | None = ...,
    freq: str = ...,
) -> dict[str, npt.NDArray[Any]]: ...
def clv_summary(
    transactions: pd.DataFrame | Mapping[str, Any],
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    observation_end: DateLike | None = None,
    freq: str = "D",
) -> pd.DataFrame | dict[str, npt.NDArray[Any]]:
    """Per-customer summary for BG/NBD-style models, as ``lifetimes`` computes it.

    The result equals ``lifetimes.utils.summary_data_from_transaction_data(df,
    customer, date, monetary_value_col=amount, observation_period_end=...,
    freq=freq)`` exactly, float for float, without needing lifetimes or pandas.
    The last-digit agreement of ``monetary_value`` assumes pandas >= 3.1 (the
    summation order lifetimes then gets from pandas); with an older pandas the two
    can differ in the last bits.

    Parameters
    ----------
    transactions : DataFrame or mapping of str to array_like
        One row per purchase (as for :func:`rfm`).
    customer, date : str
        Column names.
    amount : str or None, default "amount"
        Column of purchase amounts (finite, ``>= 0``); ``None`` leaves out
        ``monetary_value``.
    observation_end : date-like, optional
        End of the observation period. Default: the period of the last purchase.
        A purchase after it is an error ("future dates"); filter the log first to
        split calibration and holdout periods.
    freq : {"D", "W", "h"}, default "D"
        The period: days, weeks (Monday to Sunday, as pandas' ``"W"``) or hours.
        Purchases count by period.

    Returns
    -------
    DataFrame or dict of numpy arrays
        One row per customer, sorted by customer id (index for a DataFrame in,
        else a ``customer`` entry), all float:

        - ``frequency``: repeat purchase periods (distinct periods minus one);
        - ``recency``: periods from the first to the last purchase;
        - ``T``: periods from the first purchase to ``observation_end``;
        - ``monetary_value``: mean amount of the repeat periods (amounts summed per
          period, the first period left out); 0 when ``frequency`` is 0.

    Raises
    ------
    ValueError
        As :func:`rfm`, and for an unknown ``freq``.

    Notes
    -----
    Sums per period are numpy's ``add.reduceat`` over the log sorted by customer,
    time and amount, and the mean over repeat periods is Kahan-compensated: the
    arithmetic pandas (>= 3.1) uses inside lifetimes, hence the exact agreement.

    Examples
    --------
    >>> tx = {
    ...     "customer_id": ["a", "a", "a", "a", "b"],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01", "2024-01-20"],
    ...     "amount": [10.0, 5.0, 20.0, 30.0, 8.0],
    ... }
    >>> s = clv_summary(tx, observation_end="2024-03-01")
    >>> s["frequency"].tolist(), s["recency"].tolist(), s["T"].tolist()
    ([2.0, 0.0], [31.0, 0.0], [60.0, 41.0])
    >>> s["monetary_value"].tolist()
    [25.0, 0.0]
    """
    if freq not in _FREQS:
        raise ValueError(f"freq must be one of {', '.join(map(repr, _FREQS))}, got {freq!r}")
    wanted = {"customer": customer, "date": date}
    if amount is not None:
        wanted["amount"] = amount
    columns, frame = read_columns(transactions, wanted)
    if customer in CLV_COLUMNS:
        raise ValueError(f"customer column {customer!r} clashes with an output column")
    ids = customer_ids(columns[customer], customer)
    if len(ids) == 0:
        raise ValueError("transactions are empty; at least one purchase is needed")
    who = _namer(ids)
    stamps = parse_dates(columns[date], date, who)
    spend = amounts(columns[amount], amount, who) if amount is not None else None
    period = _periods(stamps, freq)
    if observation_end is None:
        end = int(period.max())
    else:
        end_stamp = parse_date(observation_end, "observation_end")
        end = int(_periods(np.array([end_stamp]), freq)[0])
        _check_not_future(period, end, stamps, who, "observation_end", _show(end_stamp))

    time = stamps.astype("datetime64[us]").astype(np.int64)
    keys = (time, spend) if spend is not None else (time,)
    unique, order, inverse = _sort_log(ids, *keys)
    cust_s, period_s = inverse[order], period[order]
    pstarts = _starts(cust_s, period_s)  # one entry per (customer, period)
    p_cust, p_period = cust_s[pstarts], period_s[pstarts]
    first_of = _starts(p_cust)  # index into the periods: each customer's first
    n_periods = np.diff(np.append(first_of, len(p_cust)))
    first = p_period[first_of]
    last = p_period[first_of + n_periods - 1]
    result: dict[str, npt.NDArray[Any]] = {
        "frequency": (n_periods - 1).astype(np.float64),
        "recency": (last - first).astype(np.float64),
        "T": (end - first).astype(np.float64),
    }
    if spend is not None:
        per_period = np.add.reduceat(spend[order], pstarts)
        repeat = np.ones(len(p_cust), dtype=np.bool_)
        repeat[first_of] = False
        repeats = n_periods - 1
        has = repeats > 0
        group_starts = (first_of + 1 - np.arange(1, len(first_of) + 1))[has]
        sums = _kahan_group_sums(per_period[repeat], group_starts, int(has.sum()))
        value = np.zeros(len(unique))
        value[has] = sums / repeats[has]
        result["monetary_value"] = value
    if frame:
        import pandas as pd

        return pd.DataFrame(result, index=pd.Index(unique, name=customer))
    return {customer: unique, **result}
