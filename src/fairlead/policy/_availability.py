"""When each manager can take leads: working hours in their time zone and absences."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from fairlead.core import BoolArray, FloatArray, IntArray
from fairlead.records import Id, InputError, InputModel, describe_error, label_key

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a ValueError saying it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (an IANA name such as 'Europe/Moscow'; "
            "install the 'tzdata' package if this system has no time zone database)"
        ) from None


def _days(key: str) -> list[int]:
    """Weekday numbers of ``"mon"``, ``"mon-fri"`` or ``"sat,sun"``."""
    days: list[int] = []
    # Day names are labels: "Mon", " MON " and full-width letters are one day.
    for part in label_key(key).replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(end not in WEEKDAYS for end in ends):
            raise ValueError(
                f"unknown day {part!r} in working hours (use {', '.join(WEEKDAYS)}, "
                "a range like 'mon-fri' or a list like 'sat,sun')"
            )
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        wrap = [*range(first, 7), *range(last + 1)]
        days.extend(range(first, last + 1) if first <= last else wrap)
    return days


def _spans(text: str) -> list[tuple[int, int]]:
    """Minute spans of ``"09:00-18:00"`` or ``"09:00-13:00, 14:00-18:00"``; ``"off"``: none.

    An end before the start runs past midnight (``"22:00-06:00"``); ``"24:00"`` ends a day.
    """
    if label_key(text) in ("off", ""):
        return []
    spans = []
    for part in text.split(","):
        match = _SPAN.match(part)
        if match is None:
            raise ValueError(f"working hours {part.strip()!r} must look like '09:00-18:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"working hours {part.strip()!r} name a time that does not exist")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise ValueError(f"working hours {part.strip()!r} are empty")
        spans.append((start, end if end > start else end + MINUTES_PER_DAY))
    return spans


class WorkingHours(InputModel):
    """A manager's weekly working hours in their own time zone.

    Parameters
    ----------
    timezone : str, default "UTC"
        IANA time zone of the manager ("Europe/Moscow", "Asia/Novosibirsk").
    week : dict of str to str
        Days to hours: keys are days (``"mon"``), ranges (``"mon-fri"``) or lists
        (``"sat,sun"``); values are spans (``"09:00-18:00"``, several separated by
        commas, ``"22:00-06:00"`` runs past midnight) or ``"off"``. Later keys
        override earlier ones for the days they name. Default: Monday to Friday,
        09:00-18:00.

    Examples
    --------
    >>> from fairlead import WorkingHours
    >>> hours = WorkingHours(timezone="Asia/Yekaterinburg",
    ...                      week={"mon-fri": "09:00-13:00, 14:00-18:00", "sat": "10:00-14:00"})
    >>> float(hours.weekly_mask().sum()) / 60
    44.0
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "working hours"

    timezone: str = "UTC"
    week: dict[str, str] = Field(default_factory=lambda: {"mon-fri": "09:00-18:00"})

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _parse(self) -> WorkingHours:
        for key, text in self.week.items():
            _days(key)
            _spans(text)
        return self

    def weekly_mask(self) -> BoolArray:
        """On-shift flag of each minute of the local week, Monday 00:00 first (10080,)."""
        per_day: dict[int, list[tuple[int, int]]] = {}
        for key, text in self.week.items():
            for day in _days(key):
                per_day[day] = _spans(text)
        mask = np.zeros(MINUTES_PER_WEEK, dtype=np.bool_)
        for day, spans in per_day.items():
            for start, end in spans:
                minutes = (day * MINUTES_PER_DAY + np.arange(start, end)) % MINUTES_PER_WEEK
                mask[minutes] = True
        return mask


def _local_bound(value: date | datetime, tz: ZoneInfo, *, end: bool) -> float:
    """Timestamp of an absence bound: a date is a whole local day (inclusive).

    An end at the last day ``datetime`` knows (``9999-12-31``, an open-ended leave)
    is the far future: ``inf``; a start at the first (``0001-01-01``), the far past.
    """
    try:
        if isinstance(value, datetime):
            aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
            return aware.timestamp()
        day = value + timedelta(days=1) if end else value
        return datetime.combine(day, time(0), tzinfo=tz).timestamp()
    except (OverflowError, ValueError, OSError):
        return np.inf if end else -np.inf


class Absence(InputModel):
    """A manager away: vacation, sick leave, training.

    Parameters
    ----------
    manager_id : str
    start, end : date or datetime
        Dates are whole days in the manager's time zone, both included; datetimes are
        instants (naive ones in the manager's time zone) and ``end`` is excluded.
    reason : str, default "vacation"
        Shown in explanations ("vacation", "sick", "training", ...).

    Examples
    --------
    >>> from datetime import date
    >>> from fairlead import Absence
    >>> Absence(manager_id="anna", start=date(2026, 7, 1), end=date(2026, 7, 14)).reason
    'vacation'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "absence"

    manager_id: Id
    start: datetime | date
    end: datetime | date
    reason: str = "vacation"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _day_text_is_a_date(cls, value: Any) -> Any:
        # "2026-12-21" is a whole day; pydantic would read it as midnight, an instant.
        if isinstance(value, str) and _DAY.match(value.strip()):
            return date.fromisoformat(value.strip())
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Absence:
        both_days = not isinstance(self.start, datetime) and not isinstance(self.end, datetime)
        if both_days and self.end < self.start:
            raise ValueError(f"absence ends ({self.end}) before it starts ({self.start})")
        return self


def _offset_minutes(local: datetime) -> int:
    offset = local.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def coerce_hours(value: Any, what: str) -> WorkingHours:
    """A :class:`WorkingHours` from an instance or a dict, errors naming ``what``."""
    if isinstance(value, WorkingHours):
        return value
    if isinstance(value, Mapping):
        try:
            return WorkingHours.model_validate(dict(value))
        except ValueError as exc:
            raise InputError(f"working hours of {what}: {_first_error(exc)}") from None
    raise InputError(
        f"working hours of {what} must be a WorkingHours or a dict, got {type(value).__name__}"
    )


def _first_error(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field, message, value = describe_error(error)
        # The value, unless none was given or it is a whole record (its fields say more).
        unshown = error["type"] == "missing" or isinstance(value, Mapping)
        got = "" if unshown else f", got {value!r}"
        return (message if field == "record" else f"{field}: {message}") + got
    return str(exc)


def _is_per_manager(hours: Any, index: Mapping[str, int]) -> bool:
    """Whether ``hours`` maps manager ids to schedules (rather than being one schedule)."""
    if not isinstance(hours, Mapping) or isinstance(hours, WorkingHours):
        return False
    if not set(hours) <= {"timezone", "week"}:
        return True
    # Keys "timezone"/"week" only: one shared schedule, unless they are manager ids
    # mapped to schedules of their own.
    return all(k in index and isinstance(v, Mapping | WorkingHours) for k, v in hours.items())


class Calendar:
    """Working hours and absences of a team as arrays, for fast checks at an instant.

    Parameters
    ----------
    manager_ids : sequence of str
    hours : WorkingHours, dict, or mapping of manager id to either, optional
        One schedule for everyone, or one per manager (managers left out work around
        the clock). ``None``: everyone works around the clock.
    absences : sequence of Absence or dict, optional
    """

    def __init__(
        self,
        manager_ids: Sequence[str],
        hours: Any = None,
        absences: Sequence[Absence | Mapping[str, Any]] = (),
    ) -> None:
        self.manager_ids = list(manager_ids)
        index = {mid: j for j, mid in enumerate(self.manager_ids)}
        m = len(self.manager_ids)
        per_manager: dict[int, WorkingHours] = {}
        if hours:
            if _is_per_manager(hours, index):
                for mid, value in hours.items():
                    if mid not in index:
                        raise InputError(f"working hours name an unknown manager {mid!r}")
                    per_manager[index[mid]] = coerce_hours(value, f"manager {mid!r}")
            elif isinstance(hours, WorkingHours | Mapping):
                shared = coerce_hours(hours, "every manager")
                per_manager = dict.fromkeys(range(m), shared)
            else:
                raise InputError(
                    "hours must be a WorkingHours, a dict, or a mapping of manager id to "
                    f"either, got {type(hours).__name__}"
                )
        names = sorted({wh.timezone for wh in per_manager.values()} | {"UTC"})
        self.zones = [zone(name) for name in names]
        self.zone_of: IntArray = np.full(m, names.index("UTC"), dtype=np.int64)
        self.grid: BoolArray = np.ones((m, MINUTES_PER_WEEK), dtype=np.bool_)
        self.always: BoolArray = np.ones(m, dtype=np.bool_)
        for j, wh in per_manager.items():
            self.zone_of[j] = names.index(wh.timezone)
            self.grid[j] = wh.weekly_mask()
            self.always[j] = False
        self.has_hours = bool(per_manager)
        self._rows = np.arange(m)
        self._offset_quarter = float("nan")
        self._offsets: IntArray = np.zeros(m, dtype=np.int64)
        self._bounds: FloatArray = np.zeros(0)
        self.absences: list[Absence] = []
        self.absence_start: FloatArray = np.zeros(0)
        self.absence_end: FloatArray = np.zeros(0)
        self.absence_manager: IntArray = np.zeros(0, dtype=np.int64)
        self._index = index
        self.add_absences(absences)

    def add_absences(self, absences: Sequence[Absence | Mapping[str, Any]]) -> None:
        """Add absences to the calendar (validated; unknown managers are an error)."""
        parsed: list[Absence] = []
        for k, item in enumerate(absences):
            try:
                absence = item if isinstance(item, Absence) else Absence.model_validate(item)
            except ValueError as exc:
                raise InputError(
                    f"absence {k}: {_first_error(exc)}", row=k, field="absences"
                ) from None
            if absence.manager_id not in self._index:
                raise InputError(
                    f"absence {k} names an unknown manager {absence.manager_id!r}",
                    row=k,
                    field="manager_id",
                    value=absence.manager_id,
                )
            parsed.append(absence)
        if not parsed:
            return
        starts, ends, who = [], [], []
        for k, absence in enumerate(parsed):
            j = self._index[absence.manager_id]
            tz = self.zones[int(self.zone_of[j])]
            start = _local_bound(absence.start, tz, end=False)
            end = _local_bound(absence.end, tz, end=True)
            if end <= start:
                problem = "is empty" if end == start else "ends before it starts"
                raise InputError(
                    f"absence {k} of manager {absence.manager_id!r} {problem} "
                    f"(start {absence.start}, end {absence.end})"
                )
            starts.append(start)
            ends.append(end)
            who.append(j)
        self.absences.extend(parsed)
        self.absence_start = np.concatenate([self.absence_start, starts])
        self.absence_end = np.concatenate([self.absence_end, ends])
        self.absence_manager = np.concatenate([self.absence_manager, np.asarray(who, np.int64)])
        self._bounds = np.unique(np.concatenate([self.absence_start, self.absence_end]))

    def on_shift(self, ts: float) -> BoolArray:
        """Who is within their working hours at ``ts`` (seconds since the epoch)."""
        if not self.has_hours:
            return self.always
        quarter = ts // 900
        if quarter != self._offset_quarter:
            # UTC offsets change only on quarter hours (every zone's DST rule does).
            self._offsets = np.array(
                [_offset_minutes(datetime.fromtimestamp(ts, tz)) for tz in self.zones],
                dtype=np.int64,
            )[self.zone_of]
            self._offset_quarter = quarter
        # The epoch began on a Thursday: minute 0 is minute 3 * 1440 of its week.
        local = (int(ts // 60) + 3 * MINUTES_PER_DAY + self._offsets) % MINUTES_PER_WEEK
        shift: BoolArray = self.grid[self._rows, local]
        return shift

    def absent(self, ts: float) -> BoolArray:
        """Who is on an absence at ``ts``."""
        out = np.zeros(len(self.manager_ids), dtype=np.bool_)
        if self.absence_manager.size:
            active = (self.absence_start <= ts) & (ts < self.absence_end)
            out[self.absence_manager[active]] = True
        return out

    def steady_span(self, ts: float) -> tuple[float, float]:
        """The span around ``ts`` in which who is on shift and who is absent cannot change.

        Working hours change on whole minutes; absences at their starts and ends.
        """
        minute = (ts // 60) * 60
        k = int(np.searchsorted(self._bounds, ts, side="right"))
        start = max(minute, float(self._bounds[k - 1])) if k > 0 else minute
        end = min(minute + 60, float(self._bounds[k])) if k < self._bounds.size else minute + 60
        return start, end
