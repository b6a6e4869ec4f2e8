"""The router's prices refreshed from a window of leads, solved as a batch."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from fairlead.core import BoolArray, FloatArray
from fairlead.records import InputError, Lead, coerce_records
from fairlead.router._availability import away_at
from fairlead.router._call import Call
from fairlead.router._inputs import instant
from fairlead.router._live import Live
from fairlead.router._pricing import window_prices
from fairlead.router._sync import save


@dataclass(frozen=True)
class WindowPrices:
    """Prices a window of leads gives, before they are set (:meth:`Router.window_prices`).

    Attributes
    ----------
    manager_ids : tuple of str
        The team the window was solved for, in the order of ``prices``.
    prices : ndarray (m,)
        Each manager's new price; NaN for a manager left out (who keeps theirs).
    unassigned_price : float
        The price of leaving a lead out.
    leads : int
        Leads in the window.
    """

    manager_ids: tuple[str, ...]
    prices: FloatArray
    unassigned_price: float
    leads: int


def reprice(live: Live, leads: Any, now: datetime | None, values: Any, capacity: Any) -> FloatArray:
    """New prices from a batch solve of ``leads``; managers away at ``now`` keep theirs.

    The solve runs outside the router's lock, so routing goes on meanwhile; only
    reading who is away and writing the prices take it.

    Parameters
    ----------
    live : Live
        The router's parts.
    leads : sequence of Lead or dict, or DataFrame
    now : datetime or None
        ``None``: nobody is left out.
    values : array_like (n, m) or None
    capacity : array_like (m,) or None
        As :meth:`Router.reprice` takes them.

    Returns
    -------
    ndarray (m,)
        The new prices.
    """
    ts = instant(now) if now is not None else None
    away = None
    if ts is not None:
        with Call(live, write=False):
            away = away_at(live, ts)
    return set_prices(live, solve_window(live, leads, away, values, capacity), ts)


def away_ids(live: Live, now: datetime) -> list[str]:
    """Managers absent or paused at ``now``."""
    with Call(live, write=False):
        away = away_at(live, instant(now))
    return [mid for mid, out in zip(live.team.ids, away, strict=True) if out]


def solve_window(
    live: Live,
    leads: Any,
    away: BoolArray | None,
    values: Any,
    capacity: Any,
    executor: Executor | None = None,
) -> WindowPrices:
    """The prices of a batch solve of ``leads`` (``away`` left out); nothing is read or set.

    Only the team's tables are used, which do not change for the router's life, so
    this may run beside the router's calls in another thread; the batch itself is
    solved in ``executor`` when one is given.
    """
    records: list[Lead] = coerce_records(leads, Lead, "lead")
    priced = window_prices(
        live.team, records, values=values, capacity=capacity, exclude=away, executor=executor
    )
    return WindowPrices(tuple(live.team.ids), priced.prices, priced.unassigned_price, len(records))


def set_prices(live: Live, window: WindowPrices, ts: float | None) -> FloatArray:
    """Set a window's prices (managers with NaN keep theirs); the router's prices after."""
    if window.manager_ids != tuple(live.team.ids):
        raise InputError(
            "these prices were solved for another team (the managers differ): solve the "
            "window again with this router",
            field="prices",
        )
    with Call(live):
        state = live.state
        keep = np.isnan(window.prices)
        state.prices = np.where(keep, state.prices, window.prices)
        state.unassigned_price = window.unassigned_price
        at = ts if ts is not None else instant(None)
        live.store.log(at, "reprice", None, None, f"{window.leads} leads")
        save(live)
        return state.prices.copy()


def current_prices(live: Live) -> FloatArray:
    """A copy of the router's prices."""
    with Call(live, write=False):
        return live.state.prices.copy()
