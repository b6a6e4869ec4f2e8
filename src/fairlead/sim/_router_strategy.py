"""fairlead's online router in the simulator: each lead on arrival, by value net of price."""

from __future__ import annotations

import math

import numpy as np

from fairlead.core import FloatArray, IntArray
from fairlead.router import band_bounds, batch_prices, pick, place_queue, window_bounds
from fairlead.sim._strategy import DecisionContext, Strategy
from fairlead.sim._world import World

#: Rows the lead buffers start with; they double as leads come, up to ``window``.
_FIRST_ROWS = 256


def _non_negative(value: object) -> bool:
    """A finite number >= 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


class OnlineRouter(Strategy):
    """fairlead's online routing rule (:class:`fairlead.Router`) as a simulator strategy.

    A lead arriving now goes to the eligible manager with room who maximizes
    ``value - price``, steered by the fair band of the router's choice
    (``fairlead.router._pick.pick``): managers a whole lead below ``(1 - tolerance)`` times
    their fair count come first, then those who stay within ``(1 + tolerance)`` times
    it plus one lead; if every candidate is above, the band is relaxed, so a new lead
    never waits while someone can take it. Leads that had to wait are placed together
    first, as :meth:`fairlead.Router.route_waiting` does (``fairlead.router._queue``):
    within the band, then by room; one that only managers above their band could take
    is held up to ``max_hold`` minutes from when it was first offered.

    The fair count follows the simulator's convention (:meth:`DecisionContext.fair_share`:
    capacity times time on shift, of all leads received so far), not the router's own
    accounts (shares of the leads each manager could take, fading with a half-life,
    with catch-up after absences); the simulator has no SLA reassignment either.

    The prices are the manager duals of an exact batch solve over the last ``window``
    leads the router has seen (their value rows, and who could take them when first
    seen), redone every ``reprice_every`` new leads. In that solve each manager takes
    between ``floor((1 - t) s_j)`` and ``ceil((1 + t) s_j)`` of the window's leads
    (``fairlead.router._pricing.window_bounds``), ``s_j`` their share of the window by
    capacity times time on shift *during the window*, so a vacation inside the window
    lowers it and one before does not; a manager not on shift at all in the window keeps
    their old price, as :meth:`fairlead.Router.reprice` does for managers away. Without
    a band the window caps each manager at ``ceil(s_j)`` (loads in proportion to
    capacity, as in :class:`fairlead.Router`), so the prices still spread the load. A
    price is what one more lead of a manager's quota is worth in the window's optimum:
    net of it, the online choice keeps the best managers for the leads where they add
    the most.

    Warm start: prices start at zero (greedy within the band); the leads seen so far
    are priced after ``reprice_every // 8``, ``// 4`` and ``// 2`` of them, then every
    ``reprice_every``, so a short history is used as soon as there is one.

    Parameters
    ----------
    tolerance : float or None, default 0.1
        Width of the fair band; None routes without it (prices only).
    reprice_every : int, default 200
        New leads between two price solves.
    window : int, default 1000
        Most recent leads a price solve covers; at least ``reprice_every``.
    warm_start : bool, default True
        Price early (see above); False keeps the prices at zero for the first
        ``reprice_every`` leads.
    max_hold : float or None, default 180
        Minutes a waiting lead may be held for a manager within the band (the
        simulator's clock is in minutes; :class:`fairlead.Router` takes a timedelta).
    name : str, optional
        Label in reports; by default built from the band.

    Attributes
    ----------
    prices_ : ndarray (m,)
        Manager prices (value units) of the last solve; zeros before the first.
    reprices_ : int
        Price solves so far in this run.

    Examples
    --------
    >>> OnlineRouter().name
    'fairlead router ±10%'
    >>> OnlineRouter(tolerance=None).name
    'fairlead router no band'
    >>> from fairlead import sim
    >>> world = sim.make_world(sim.SimConfig(n_managers=12, weeks=1), seed=1)
    >>> router = OnlineRouter(reprice_every=100, window=400)
    >>> record = sim.simulate(world, router)
    >>> bool((record.manager >= 0).all()), router.reprices_ > 0
    (True, True)
    """

    interval = None

    def __init__(
        self,
        *,
        tolerance: float | None = 0.1,
        reprice_every: int = 200,
        window: int = 1000,
        warm_start: bool = True,
        max_hold: float | None = 180.0,
        name: str | None = None,
    ) -> None:
        if tolerance is not None and not _non_negative(tolerance):
            raise ValueError(f"tolerance must be a finite number >= 0 or None, got {tolerance!r}")
        if not (_whole(reprice_every) and reprice_every >= 1):
            raise ValueError(f"reprice_every must be an integer >= 1, got {reprice_every!r}")
        if not (_whole(window) and window >= reprice_every):
            raise ValueError(
                f"window must be an integer >= reprice_every ({reprice_every}), so every "
                f"lead is priced, got {window!r}"
            )
        if max_hold is not None and not _non_negative(max_hold):
            raise ValueError(f"max_hold must be a number of minutes >= 0 or None, got {max_hold!r}")
        self.max_hold = None if max_hold is None else float(max_hold)
        self.tolerance = None if tolerance is None else float(tolerance)
        self.reprice_every = int(reprice_every)
        self.window = int(window)
        self.warm_start = bool(warm_start)
        band = "no band" if tolerance is None else f"±{tolerance:.0%}"
        self.name = name or f"fairlead router {band}"
        self._clear(0)

    def reset(self, world: World) -> None:
        """Forget the leads and prices of a previous run."""
        self._clear(world.team.size)

    def _clear(self, m: int) -> None:
        self.prices_: FloatArray = np.zeros(m)
        self.reprices_ = 0
        self._offered: dict[int, float] = {}  # waiting lead -> first minute it could go
        self._seen = 0  # leads recorded so far
        self._newest = -1  # stream index of the newest recorded lead
        # Ring buffers of the last ``window`` leads seen: value row, who could take the
        # lead when first seen, and each manager's on-shift minutes at that moment.
        rows = min(self.window, _FIRST_ROWS)
        self._value: FloatArray = np.zeros((rows, m))
        self._eligible = np.zeros((rows, m), dtype=bool)
        self._minutes: FloatArray = np.zeros((rows, m))
        early = (self.reprice_every // d for d in (8, 4, 2)) if self.warm_start else ()
        self._early = {k for k in early if k > 0}

    def decide(self, context: DecisionContext) -> IntArray:
        """The waiting leads as one batch, then each new lead by value net of price."""
        if self._value.shape[1] != context.room.size:  # a hand-made decision, without reset
            self._clear(context.room.size)
        self._record(context)
        choice = np.full(context.leads.size, -1, dtype=np.int64)
        room = context.room.copy()
        received = context.received.astype(np.float64)
        share = context.fair_share()
        net = context.value - self.prices_[None, :]
        queued = np.flatnonzero(context.waited > 0)
        if queued.size:
            self._place_queue(context, queued, net, room, received, choice)
        total = float(received.sum())
        for k in np.flatnonzero(context.waited <= 0).tolist():
            candidates = context.eligible[k] & (room > 0)
            j = pick(net[k], candidates, received, share * (total + 1.0), self.tolerance).manager
            if j >= 0:
                choice[k] = j
                room[j] -= 1
                received[j] += 1.0
                total += 1.0
        return choice

    def _place_queue(
        self,
        context: DecisionContext,
        queued: IntArray,
        net: FloatArray,
        room: IntArray,
        received: FloatArray,
        choice: IntArray,
    ) -> None:
        """Leads that waited, solved together as :meth:`fairlead.Router.route_waiting` does."""
        candidates = context.eligible[queued] & (room > 0)[None, :]
        low = high = None
        if self.tolerance is not None:
            target = context.fair_share() * (float(received.sum()) + queued.size)
            low, high = band_bounds(received, target, self.tolerance)
        placed = place_queue(net[queued], candidates, room.astype(np.float64), low, high)
        for row, k in enumerate(queued.tolist()):
            lead = int(context.leads[k])
            if candidates[row].any():
                self._offered.setdefault(lead, context.now)
            j = int(placed.manager[row])
            held = self.max_hold is not None and bool(placed.relaxed[row])
            if j < 0 or (held and context.now - self._offered[lead] < float(self.max_hold or 0)):
                continue
            choice[k] = j
            room[j] -= 1
            received[j] += 1.0
            self._offered.pop(lead, None)

    def _record(self, context: DecisionContext) -> None:
        """Keep the leads seen for the first time (stream order); reprice when due."""
        new = np.flatnonzero(context.leads > self._newest)
        if new.size == 0:
            return
        self._newest = int(context.leads[new[-1]])
        first = self._seen
        self._seen += new.size
        kept = new[-self.window :]
        if self._seen > self._value.shape[0]:
            self._grow(self._seen)
        slots = np.arange(self._seen - kept.size, self._seen) % self.window
        self._value[slots] = context.value[kept]
        self._eligible[slots] = context.eligible[kept]
        self._minutes[slots] = context.available_minutes[None, :]
        passed = self._seen // self.reprice_every > first // self.reprice_every
        if passed or any(first < k <= self._seen for k in self._early):
            self._reprice(context)

    def _grow(self, rows: int) -> None:
        """Room for ``rows`` leads (doubling, at most ``window``; then the ring wraps)."""
        size = min(self.window, max(rows, 2 * self._value.shape[0]))
        if size <= self._value.shape[0]:
            return
        old = self._value.shape[0]
        for attr in ("_value", "_eligible", "_minutes"):
            buffer = getattr(self, attr)
            grown = np.zeros((size, buffer.shape[1]), dtype=buffer.dtype)
            grown[:old] = buffer
            setattr(self, attr, grown)

    def _reprice(self, context: DecisionContext) -> None:
        """Prices from an exact batch solve of the window within its fair band."""
        size = min(self._seen, self.window)
        rows = np.arange(self._seen - size, self._seen) % self.window
        worked = context.available_minutes - self._minutes[rows[0]]
        if not worked.any():
            # Every lead of the window was first seen now (a weekend's backlog on Monday
            # morning): share it by time on shift so far.
            worked = context.available_minutes
        included = worked > 0  # on shift at some point of the window
        if not included.any():
            return
        eligible = self._eligible[rows] & included[None, :]
        low, high = window_bounds(worked * context.capacity, eligible, self.tolerance)
        priced = batch_prices(self._value[rows], eligible, low, high)
        self.prices_ = np.where(included, priced.prices, self.prices_)
        self.reprices_ += 1
