"""The router's prices refreshed from a window of leads, solved as a batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from fairlead.core import FloatArray
from fairlead.records import Lead, coerce_records
from fairlead.router._availability import away_at
from fairlead.router._call import Call
from fairlead.router._inputs import instant
from fairlead.router._live import Live
from fairlead.router._pricing import window_prices
from fairlead.router._sync import save


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
    records: list[Lead] = coerce_records(leads, Lead, "lead")
    ts = instant(now) if now is not None else None
    away = None
    if ts is not None:
        with Call(live, write=False):
            away = away_at(live, ts)
    priced = window_prices(live.team, records, values=values, capacity=capacity, exclude=away)
    with Call(live):
        state = live.state
        keep = np.isnan(priced.prices)
        state.prices = np.where(keep, state.prices, priced.prices)
        state.unassigned_price = priced.unassigned_price
        at = ts if ts is not None else instant(None)
        live.store.log(at, "reprice", None, None, f"{len(records)} leads")
        save(live)
        return state.prices.copy()


def current_prices(live: Live) -> FloatArray:
    """A copy of the router's prices."""
    with Call(live, write=False):
        return live.state.prices.copy()
