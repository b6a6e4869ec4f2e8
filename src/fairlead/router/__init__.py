"""The online path: one lead at a time, with manager prices from the last batch solve.

:class:`Router` is the public face. The simulator reuses the router's own rules
through :func:`pick` (the choice for one lead), :func:`band_bounds` (the fair band as
counts), :func:`place_queue` (the waiting leads as one batch) and
:func:`batch_prices` / :func:`window_bounds` (prices from a window of leads).

A router's SQLite store checks its own books when opened (``docs/store.md``): a file
it cannot use is a :class:`StoreError`, a damaged one a :class:`DamagedStoreError`,
and :func:`repair_store` recomputes a damaged store's state from its leads table.
A :class:`Store` object (one :class:`StoreEntry` per lead, :class:`Books` recounted
by manager as :class:`Tally` s) keeps a router's state elsewhere: ``fairlead serve``
keeps it in its database.
"""

from fairlead.router._books import Books, Tally
from fairlead.router._errors import DamagedStoreError, StoreError
from fairlead.router._pick import Band, Pick, band_bounds, pick
from fairlead.router._pricing import batch_prices, window_bounds
from fairlead.router._queue import place_queue
from fairlead.router._records import Decision, ManagerStatus, Overdue
from fairlead.router._repair import StoreRepair, repair_store
from fairlead.router._reprice import WindowPrices
from fairlead.router._router import Router
from fairlead.router._state import CatchUp
from fairlead.router._store import Entry as StoreEntry
from fairlead.router._store import Store

__all__ = [
    "Band",
    "Books",
    "CatchUp",
    "DamagedStoreError",
    "Decision",
    "ManagerStatus",
    "Overdue",
    "Pick",
    "Router",
    "Store",
    "StoreEntry",
    "StoreError",
    "StoreRepair",
    "Tally",
    "WindowPrices",
    "band_bounds",
    "batch_prices",
    "pick",
    "place_queue",
    "repair_store",
    "window_bounds",
]
