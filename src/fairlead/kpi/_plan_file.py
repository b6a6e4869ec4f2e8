"""The sales plan: revenue per month or week, per manager or for the team, read once.

A plan has three columns: ``period`` (``2026-11`` a month, or ``2026-11-23`` a week
given by its Monday), ``manager_id`` (empty: the team) and ``revenue`` (>= 0). One plan
speaks of months or of weeks, not both. A period may have a team row, manager rows, or
both: then the manager rows are the whole team's breakdown and must add up to the team
row within :data:`TEAM_TOLERANCE` (0.5 %). Errors name the file, the line, the column
and the value, as the event log's do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

import numpy as np

from fairlead.kpi._cells import (
    FloatArray,
    Int64Array,
    Locator,
    ObjectArray,
    present,
    read_id_column,
    read_number_column,
)
from fairlead.kpi._read import file_columns
from fairlead.records import (
    FileError,
    InputError,
    PathLike,
    Rows,
)

PlanKind = Literal["month", "week"]

#: The columns of a sales plan, in the documented order.
PLAN_COLUMNS: Final[tuple[str, ...]] = ("period", "manager_id", "revenue")
#: How far (relative to the team row) the manager rows of a period may add up from it.
TEAM_TOLERANCE: Final[float] = 0.005

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD_WORDS = "must be a month (2026-11) or the Monday of a week (2026-11-23)"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class _PlanLocator(Locator):
    """Where a plan row came from: ``plan.csv, line 4`` or ``plan row 3``."""

    def where(self, row: int) -> str:
        if self.lines is None:
            return f"plan row {row}"
        return super().where(row)


class _BadPeriodError(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _read_period(value: Any) -> tuple[PlanKind, date]:
    """A period cell as (kind, first day); :class:`_BadPeriodError` in words otherwise."""
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[D]").item()
    if isinstance(value, datetime):
        if value.time() != datetime.min.time() or value.tzinfo is not None:
            raise _BadPeriodError(_PERIOD_WORDS + ", not a moment")
        value = value.date()
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        text = value.strip()
        month = _MONTH.match(text)
        if month:
            year, number = int(month.group(1)), int(month.group(2))
            if not 1 <= number <= 12:
                raise _BadPeriodError(f"{_PERIOD_WORDS}: there is no month {number:02d}")
            return "month", date(year, number, 1)
        if not _DAY.match(text):
            raise _BadPeriodError(_PERIOD_WORDS)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _BadPeriodError(f"{_PERIOD_WORDS}: there is no such day") from None
    else:
        raise _BadPeriodError(_PERIOD_WORDS)
    if day.weekday() != 0:
        monday = date.fromordinal(day.toordinal() - day.weekday())
        raise _BadPeriodError(
            f"{day.isoformat()} is a {_WEEKDAYS[day.weekday()]}: a week is given by its "
            f"Monday ({monday.isoformat()}), a month as {day.isoformat()[:7]}"
        )
    return "week", day


def _label(kind: PlanKind, start: date) -> str:
    return start.isoformat()[:7] if kind == "month" else start.isoformat()


def _end(kind: PlanKind, start: date) -> date:
    if kind == "week":
        return date.fromordinal(start.toordinal() + 7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


@dataclass(frozen=True, repr=False)
class SalesPlan:
    """Planned revenue per period, for the team or per manager.

    Build one with :func:`read_sales_plan` (a CSV or JSON file) or
    :meth:`SalesPlan.from_records` (a list of dicts or a DataFrame).

    Attributes
    ----------
    kind : {"month", "week"}
        What the periods are.
    period : tuple of str
        Each row's period: ``2026-11`` or ``2026-11-23``.
    start, end : ndarray of datetime64[D]
        Each row's first day and the day after its last.
    manager_id : tuple of str or None
        Each row's manager; ``None`` for the team's row.
    revenue : ndarray
        Each row's planned revenue.
    where : tuple of str
        Where each row came from (``plan.csv, line 4``), for messages.
    source : str

    Examples
    --------
    >>> plan = SalesPlan.from_records([
    ...     {"period": "2026-11", "manager_id": "m-1", "revenue": 700_000},
    ...     {"period": "2026-11", "manager_id": "m-2", "revenue": 500_000},
    ...     {"period": "2026-12", "manager_id": None, "revenue": 1_500_000},
    ... ])
    >>> plan.periods, plan.team("2026-11"), plan.managers("2026-12")
    (('2026-11', '2026-12'), 1200000.0, {})
    >>> plan.managers("2026-11")
    {'m-1': 700000.0, 'm-2': 500000.0}
    """

    kind: PlanKind
    period: tuple[str, ...]
    start: np.ndarray[tuple[int], np.dtype[np.datetime64]]
    end: np.ndarray[tuple[int], np.dtype[np.datetime64]]
    manager_id: tuple[str | None, ...]
    revenue: FloatArray
    where: tuple[str, ...]
    source: str = "plan"

    def __len__(self) -> int:
        return len(self.period)

    def __repr__(self) -> str:
        return (
            f"SalesPlan({len(self)} rows, {len(self.periods)} {self.kind}s, "
            f"{len(self.manager_ids)} managers)"
        )

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_records())

    @property
    def periods(self) -> tuple[str, ...]:
        """The planned periods, in time order."""
        return tuple(sorted(set(self.period)))

    @property
    def manager_ids(self) -> tuple[str, ...]:
        """The managers with a plan row, in order of first appearance."""
        return tuple(dict.fromkeys(m for m in self.manager_id if m is not None))

    def bounds(self, period: str) -> tuple[date, date]:
        """First day of ``period`` and the day after its last."""
        k = self._rows_of(period)[0]
        return self.start[k].item(), self.end[k].item()

    def has_team_row(self, period: str) -> bool:
        """Whether the plan gives the team's revenue for ``period`` in a row of its own."""
        return any(self.manager_id[k] is None for k in self._rows_of(period))

    def team(self, period: str) -> float:
        """The team's plan for ``period``: its team row, else the sum of its manager rows."""
        rows = self._rows_of(period)
        for k in rows:
            if self.manager_id[k] is None:
                return float(self.revenue[k])
        return float(self.revenue[rows].sum())

    def managers(self, period: str) -> dict[str, float]:
        """The manager rows of ``period`` (empty when the plan gives only the team's)."""
        return {
            m: float(self.revenue[k])
            for k in self._rows_of(period)
            if (m := self.manager_id[k]) is not None
        }

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per row: ``period``, ``manager_id`` (None: the team), ``revenue``."""
        return [
            {"period": p, "manager_id": m, "revenue": float(r)}
            for p, m, r in zip(self.period, self.manager_id, self.revenue, strict=True)
        ]

    def _rows_of(self, period: str) -> Int64Array:
        rows = np.flatnonzero(np.asarray(self.period, dtype=object) == str(period))
        if rows.size == 0:
            known = ", ".join(self.periods)
            raise InputError(
                f"the sales plan has no period {period!r} (its periods: {known})",
                field="period",
                value=period,
            )
        return rows

    @classmethod
    def from_records(cls, records: Any, *, source: str = "plan") -> SalesPlan:
        """A plan from a list of dicts or a pandas DataFrame (one row per plan line).

        Parameters
        ----------
        records : list of dict or pandas.DataFrame
            Fields ``period``, ``manager_id`` (optional; None or empty: the team),
            ``revenue``.
        source : str
            Name shown in messages.
        """
        if isinstance(records, SalesPlan):
            return records
        rows = Rows(records, id_field="manager_id", kind="plan")
        columns = {name: rows.column(name, required=False) for name in rows.names}
        return build_plan(columns, rows.n, _PlanLocator(source), source=source)


def read_sales_plan(path: PathLike) -> SalesPlan:
    r"""Read a sales plan from a CSV or JSON file (the format follows the suffix).

    Errors name the file, the line, the column and the value.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    SalesPlan

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "plan.csv").write_text(
    ...     "period,manager_id,revenue\n"
    ...     "2026-11,m-1,700000\n"
    ...     "2026-11-25,m-2,500000\n")
    >>> try:
    ...     read_sales_plan(folder / "plan.csv")
    ... except Exception as exc:
    ...     print(exc.line, exc.field, exc.value, "|", str(exc).split(": ")[1])
    3 period 2026-11-25 | 2026-11-25 is a Wednesday
    """
    table, columns = file_columns(path)
    locator = _PlanLocator(table.source, table.lines, items=table.format == "json")
    if table.format == "csv":
        _check_header(list(columns), table.source, table.header_line)
    return build_plan(columns, len(table.records), locator, source=table.source)


def as_sales_plan(plan: Any) -> SalesPlan:
    """A :class:`SalesPlan` from a plan, the path of a plan file, or plan rows."""
    if isinstance(plan, SalesPlan):
        return plan
    if isinstance(plan, str | os.PathLike):
        return read_sales_plan(plan)
    return SalesPlan.from_records(plan)


def _check_header(names: list[str], source: str, line: int) -> None:
    known = ", ".join(PLAN_COLUMNS)
    for name in names:
        if name not in PLAN_COLUMNS:
            raise FileError(
                f"{source}, line {line}, column {name!r}: not a column of the sales plan "
                f"(columns: {known})",
                source=source,
                line=line,
                field=name,
                value=name,
            )
    for name in ("period", "revenue"):
        if name not in names:
            raise FileError(
                f"{source}, line {line}: the sales plan needs a column {name!r} (columns: {known})",
                source=source,
                line=line,
                field=name,
            )


def _check_names(columns: dict[str, ObjectArray], locator: Locator, source: str) -> None:
    """A column outside the plan's is refused, at the first row that fills it."""
    known = ", ".join(PLAN_COLUMNS)
    for name, values in columns.items():
        if name not in PLAN_COLUMNS:
            filled = np.flatnonzero(present(values))
            k = int(filled[0]) if filled.size else 0
            raise locator.error(
                k,
                name,
                f"not a column of the sales plan (columns: {known})",
                values[k] if filled.size else None,
            )


def build_plan(
    columns: dict[str, ObjectArray], n: int, locator: Locator, *, source: str
) -> SalesPlan:
    """Validate a plan's columns (one value per row each) and build the :class:`SalesPlan`."""
    if n == 0:
        raise InputError(f"{source}: the sales plan has no rows", field="period")
    _check_names(columns, locator, source)
    missing = np.full(n, None, dtype=object)
    columns = {"period": missing, "revenue": missing, **columns}
    rows = np.arange(n, dtype=np.int64)

    given = present(columns["period"])
    if not given.all():
        k = int(np.flatnonzero(~given)[0])
        raise locator.error(k, "period", "a plan row needs a period (2026-11 or 2026-11-23)")
    kinds: list[PlanKind] = []
    starts: list[date] = []
    for k, value in enumerate(columns["period"].tolist()):
        try:
            kind, start = _read_period(value)
        except _BadPeriodError as exc:
            raise locator.error(k, "period", exc.problem, value) from None
        kinds.append(kind)
        starts.append(start)
    if len(set(kinds)) > 1:
        first = {kind: kinds.index(kind) for kind in ("month", "week")}
        k = max(first.values())
        other = min(first.values())
        raise locator.error(
            k,
            "period",
            f"the plan gives months and weeks ({locator.where(other)} has "
            f"{_label(kinds[other], starts[other])!r}): give one or the other "
            "(a month's plan is split into weeks by working days)",
            columns["period"][k],
        )
    kind = kinds[0]

    revenue_given = present(columns["revenue"])
    if not revenue_given.all():
        k = int(np.flatnonzero(~revenue_given)[0])
        raise locator.error(k, "revenue", "a plan row needs a revenue (a number >= 0)")
    revenue = read_number_column(columns["revenue"], rows, locator, "revenue", "amount")

    manager: list[str | None] = [None] * n
    if "manager_id" in columns:
        has = present(columns["manager_id"])
        if has.any():
            codes, names = read_id_column(
                columns["manager_id"][has], rows[has], locator, "manager_id"
            )
            for k, code in zip(rows[has].tolist(), codes.tolist(), strict=True):
                manager[k] = names[code]

    labels = tuple(_label(kind, s) for s in starts)
    _check_twice(labels, manager, locator)
    _check_team_rows(labels, manager, revenue, columns["revenue"], locator)
    return SalesPlan(
        kind=kind,
        period=labels,
        start=np.array(starts, dtype="datetime64[D]"),
        end=np.array([_end(kind, s) for s in starts], dtype="datetime64[D]"),
        manager_id=tuple(manager),
        revenue=revenue,
        where=tuple(locator.where(k) for k in range(n)),
        source=source,
    )


def _who(manager: str | None) -> str:
    return "the team" if manager is None else f"manager {manager!r}"


def _check_twice(labels: tuple[str, ...], manager: list[str | None], locator: Locator) -> None:
    seen: dict[tuple[str, str | None], int] = {}
    for k, key in enumerate(zip(labels, manager, strict=True)):
        if key in seen:
            raise locator.error(
                k,
                "period",
                f"{_who(key[1])} has a plan for {key[0]} twice (also {locator.where(seen[key])})",
                key[0],
            )
        seen[key] = k


def _check_team_rows(
    labels: tuple[str, ...],
    manager: list[str | None],
    revenue: FloatArray,
    cells: ObjectArray,
    locator: Locator,
) -> None:
    """A team row and manager rows of one period must agree within TEAM_TOLERANCE."""
    codes = {label: j for j, label in enumerate(dict.fromkeys(labels))}
    period = np.array([codes[label] for label in labels], dtype=np.int64)
    is_team = np.array([m is None for m in manager], dtype=bool)
    sums = np.bincount(period[~is_team], weights=revenue[~is_team], minlength=len(codes))
    counts = np.bincount(period[~is_team], minlength=len(codes))
    for k in np.flatnonzero(is_team).tolist():
        p = int(period[k])
        if counts[p] == 0:
            continue
        team, total = float(revenue[k]), float(sums[p])
        if abs(total - team) <= TEAM_TOLERANCE * team or (team == 0 and total == 0):
            continue
        lines = [locator.where(int(r)) for r in np.flatnonzero((period == p) & ~is_team)]
        gap = (total - team) / team if team > 0 else np.inf
        off = f"{abs(gap):.1%}" if np.isfinite(gap) else "all of it"
        raise locator.error(
            k,
            "revenue",
            f"the team's plan for {labels[k]} ({team:,.0f}) and the sum of its "
            f"{int(counts[p])} manager rows ({total:,.0f}: {_span(lines)}) differ by {off}; "
            f"they must agree within {TEAM_TOLERANCE:.1%} (or leave out the team row: the "
            "team's plan is then the sum)",
            cells[k],
        )


def _span(wheres: list[str]) -> str:
    """``plan.csv, lines 2, 3, 5`` from ``plan.csv, line 2`` ...; rows listed as they are."""
    heads = {w.rsplit(", line ", 1)[0] for w in wheres}
    if len(heads) == 1 and all(", line " in w for w in wheres):
        numbers = [w.rsplit(", line ", 1)[1] for w in wheres]
        return f"lines {', '.join(numbers)}" if len(numbers) > 1 else f"line {numbers[0]}"
    return "; ".join(wheres)
