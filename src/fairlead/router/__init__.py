"""The online path: one lead at a time, with manager prices from the last batch solve.

:class:`Router` is the public face. The simulator reuses the router's own rules
through :func:`pick` (the choice for one lead), :func:`band_bounds` (the fair band as
counts), :func:`place_queue` (the waiting leads as one batch) and
:func:`batch_prices` / :func:`window_bounds` (prices from a window of leads).
"""

from fairlead.router._pick import Band, Pick, band_bounds, pick
from fairlead.router._pricing import batch_prices, window_bounds
from fairlead.router._queue import place_queue
from fairlead.router._records import Decision, ManagerStatus, Overdue
from fairlead.router._router import Router
from fairlead.router._state import CatchUp

__all__ = [
    "Band",
    "CatchUp",
    "Decision",
    "ManagerStatus",
    "Overdue",
    "Pick",
    "Router",
    "band_bounds",
    "batch_prices",
    "pick",
    "place_queue",
    "window_bounds",
]
