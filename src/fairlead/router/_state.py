"""The live state of an online router: loads, fair counts, catch-up, prices (arrays)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import ConfigDict, Field, field_validator

from fairlead.core import BoolArray, FloatArray
from fairlead.records import InputModel


class CatchUp(InputModel):
    """What a manager back from an absence gets of the share they missed.

    Parameters
    ----------
    mode : {"none", "partial", "full"}, default "partial"
        ``none``: the missed share is forgiven (the team absorbed it); ``full``: all of
        it is made up; ``partial``: ``fraction`` of it.
    fraction : float, default 0.5
        Part of the missed share made up under ``mode="partial"``, in [0, 1].
    horizon : timedelta, default 5 days
        The make-up is spread evenly over this time after the return, so a returning
        manager is not handed a burst of leads on the first morning.

    Only absences and pauses count as missed; time off shift is ordinary. A value
    outside these domains is a :class:`~fairlead.InputError` naming the field and
    the value, as for a :class:`~fairlead.Policy`.

    Examples
    --------
    >>> from datetime import timedelta
    >>> from fairlead import CatchUp
    >>> CatchUp(mode="full", horizon=timedelta(days=10)).owed_fraction
    1.0
    >>> CatchUp(fraction=2)
    Traceback (most recent call last):
    ...
    fairlead.InputError: catch_up 'fraction': Input should be less than or equal to 1, got 2
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Named as the Router's argument, so both ways of giving it read alike.
    input_kind: ClassVar[str] = "catch_up"

    mode: Literal["none", "partial", "full"] = "partial"
    fraction: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    horizon: timedelta = timedelta(days=5)

    @field_validator("fraction", mode="before")
    @classmethod
    def _not_a_flag(cls, value: Any) -> Any:
        # pydantic's lax mode reads True as 1.0: a flag here is a data error, as in Policy.
        if isinstance(value, bool | np.bool_):
            raise ValueError(f"must be a number, not a boolean ({value})")
        return value

    @field_validator("horizon", mode="before")
    @classmethod
    def _a_duration(cls, value: Any) -> Any:
        # pydantic reads a bare number (or numeric text) as seconds; 5 meant as days would
        # pass silently. Any number is refused: int, float, numpy scalars, Decimal.
        numeric = isinstance(value, numbers.Number | np.generic)
        if isinstance(value, str | bytes):
            try:
                float(value)
                numeric = True
            except ValueError:
                pass
        if numeric:
            raise ValueError("horizon must be a timedelta (e.g. timedelta(days=5)), not a number")
        return value

    @field_validator("horizon")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("horizon must be positive")
        return value

    @property
    def owed_fraction(self) -> float:
        """Part of the missed share that is made up (0 for none, 1 for full)."""
        return {"none": 0.0, "partial": self.fraction, "full": 1.0}[self.mode]


#: Arrays of a state, in the order they are packed for storage.
_ARRAYS = (
    "open",
    "received",
    "target",
    "missed",
    "owed",
    "owed_since",
    "owed_until",
    "away",
    "paused",
    "routed",
    "reassigned_in",
    "reassigned_out",
    "won",
    "released",
    "prices",
)
_SCALARS = ("clock", "unassigned_price", "decisions")


@dataclass
class RouterState:
    """Per-manager counters of a router, all float64 arrays of shape (m,).

    Attributes
    ----------
    open : workload of the leads each manager holds now (live load).
    received : fair count: leads routed to the manager and kept (reassignments move
        a lead's count), decayed with the router's half-life.
    target : fair share accrued so far (same units and decay), including catch-up.
    missed : share accrued while away (absent or paused) since the absence began.
    owed, owed_since, owed_until : catch-up still to add to ``target``, ramped linearly
        from ``owed_since`` to ``owed_until`` (timestamps).
    away, paused : 1.0 when away at the last update / paused by hand.
    routed, reassigned_in, reassigned_out, won, released : plain counts.
    prices : manager prices (value units) from the last batch solve.
    clock : timestamp of the last update (decay and catch-up are applied up to it).
    unassigned_price : price of leaving a lead out in the last batch solve.
    decisions : number of decisions taken (routes and reassignments).
    """

    open: FloatArray
    received: FloatArray
    target: FloatArray
    missed: FloatArray
    owed: FloatArray
    owed_since: FloatArray
    owed_until: FloatArray
    away: FloatArray
    paused: FloatArray
    routed: FloatArray
    reassigned_in: FloatArray
    reassigned_out: FloatArray
    won: FloatArray
    released: FloatArray
    prices: FloatArray
    clock: float = -np.inf
    unassigned_price: float = 0.0
    decisions: int = 0

    @classmethod
    def empty(cls, m: int) -> RouterState:
        """A fresh state for ``m`` managers."""
        arrays: dict[str, Any] = {name: np.zeros(m) for name in _ARRAYS}
        return cls(**arrays)

    def copy(self) -> RouterState:
        """An independent copy (for rolling back a failed write)."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        copied: dict[str, Any] = {
            k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in values.items()
        }
        return RouterState(**copied)

    def to_bytes(self) -> bytes:
        """Pack into one float64 buffer: scalars first, then the arrays."""
        head = np.array([getattr(self, s) for s in _SCALARS], dtype=np.float64)
        return np.concatenate([head, *(getattr(self, a) for a in _ARRAYS)]).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, m: int) -> RouterState:
        """Unpack :meth:`to_bytes` output for ``m`` managers."""
        if len(data) % 8:
            raise ValueError(f"stored router state is {len(data)} bytes, not float64 numbers")
        flat = np.frombuffer(data, dtype=np.float64)
        expected = len(_SCALARS) + m * len(_ARRAYS)
        if flat.size != expected:
            raise ValueError(
                f"stored router state holds {flat.size} numbers, expected {expected} "
                f"for {m} managers"
            )
        scalars = dict(zip(_SCALARS, flat[: len(_SCALARS)].tolist(), strict=True))
        body = flat[len(_SCALARS) :].reshape(len(_ARRAYS), m)
        arrays = {name: body[k].copy() for k, name in enumerate(_ARRAYS)}
        return cls(
            **arrays,
            clock=scalars["clock"],
            unassigned_price=scalars["unassigned_price"],
            decisions=int(scalars["decisions"]),
        )

    def remap(self, old_ids: list[str], new_ids: list[str]) -> RouterState:
        """The state for another team: managers kept by id, newcomers start at zero."""
        out = RouterState.empty(len(new_ids))
        out.clock, out.unassigned_price, out.decisions = (
            self.clock,
            self.unassigned_price,
            self.decisions,
        )
        where = {mid: j for j, mid in enumerate(old_ids)}
        pairs = [(k, where[mid]) for k, mid in enumerate(new_ids) if mid in where]
        if pairs:
            new, old = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
            for name in _ARRAYS:
                getattr(out, name)[new] = getattr(self, name)[old]
        return out


def advance(
    state: RouterState,
    ts: float,
    away_now: BoolArray,
    *,
    weights: FloatArray,
    half_life: float | None,
    catch_up: CatchUp,
) -> None:
    """Bring the state forward to ``ts``: decay, catch-up ramp, returns from absence.

    The catch-up a returning manager is owed comes out of the shares of the others
    present, in proportion to their ``weights`` (when nobody else is present it is
    added all the same): the team's shares still add up to the leads routed, so the
    make-up is real and not only a wish. An earlier ``ts`` than the state's clock
    (threads racing) changes nothing.
    """
    if ts < state.clock:
        return  # a thread with an older timestamp: the state has moved past it
    if ts > state.clock:
        if half_life is not None and np.isfinite(state.clock):
            factor = 0.5 ** ((ts - state.clock) / half_life)
            state.received *= factor
            state.target *= factor
            state.missed *= factor
            state.owed *= factor
        if np.count_nonzero(state.owed):
            span = np.maximum(state.owed_until - state.owed_since, 1e-9)
            part = np.clip((ts - state.owed_since) / span, 0.0, 1.0)
            add = state.owed * part
            state.target += add
            state.owed -= add
            present = np.where(away_now, 0.0, weights)
            others = present.sum() - present
            per = np.divide(add, others, out=np.zeros_like(add), where=others > 0)
            state.target -= present * (per.sum() - per)
            state.owed_since = np.where(state.owed > 0, ts, state.owed_since)
        state.clock = ts
    was_away = state.away > 0
    if np.count_nonzero(away_now != was_away):
        back = was_away & ~away_now
        if np.count_nonzero(back):
            # New make-up runs over the horizon; what was still owed keeps its own end,
            # so a short pause during a catch-up does not start it over.
            added = catch_up.owed_fraction * state.missed[back]
            left = state.owed[back]
            old_end = np.maximum(state.owed_until[back], ts)
            new_end = ts + catch_up.horizon.total_seconds()
            total = left + added
            blended = (left * old_end + added * new_end) / np.where(total > 0, total, 1.0)
            state.owed_until[back] = np.where(total > 0, blended, new_end)
            state.owed[back] = total
            state.owed_since[back] = ts
            state.missed[back] = 0.0
        state.away = away_now.astype(np.float64)


def accrue(
    state: RouterState,
    weights: FloatArray,
    accruing: BoolArray,
    missing: BoolArray,
) -> None:
    """Share one lead out as fair entitlement among ``accruing`` managers.

    Managers ``missing`` it (away, but qualified and within their hours) accrue what
    their share would have been, to be made up under the catch-up policy.
    """
    w = np.where(accruing, weights, 0.0)
    total = float(w.sum())
    if total > 0:
        state.target += w / total
    if np.count_nonzero(missing):
        wm = np.where(missing, weights, 0.0)
        state.missed += wm / (total + wm + 1e-300)
