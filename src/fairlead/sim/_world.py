"""A simulated world: a team, its working schedule, and a stream of leads with hidden truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from fairlead.core import BoolArray, FloatArray, IntArray
from fairlead.sim._config import TIERS, SimConfig

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
#: Weeks of schedule kept after the last arrival, so late leads still find a manager.
TAIL_WEEKS = 2


@dataclass(frozen=True)
class Team:
    """Who the managers are: identity, limits and hidden skill.

    Attributes
    ----------
    ids : tuple of str
    level : ndarray of int64, (m,)
        0 junior, 1 middle, 2 senior.
    capacity : ndarray of int64, (m,)
        Most open leads at once, after the slots the client portfolio takes.
    portfolio : ndarray of int64, (m,)
        Existing clients.
    qualified : ndarray of bool, (m, n_products)
    lift : ndarray of float64, (m, n_cells)
        Hidden conversion multiplier of each manager on each cell of leads (product x tier
        in the synthetic world, segment in the semi-synthetic one).
    response_median : ndarray of float64, (m,)
        Median working minutes to first contact at a comfortable load.
    timezone : ndarray of int64, (m,)
        Hours ahead of company time.
    part_time : ndarray of bool, (m,)
    """

    ids: tuple[str, ...]
    level: IntArray
    capacity: IntArray
    portfolio: IntArray
    qualified: BoolArray
    lift: FloatArray
    response_median: FloatArray
    timezone: IntArray
    part_time: BoolArray

    @property
    def size(self) -> int:
        """Number of managers."""
        return len(self.ids)


@dataclass(frozen=True)
class Schedule:
    """When each manager works, on a grid of 15-minute slots.

    Attributes
    ----------
    on_shift : ndarray of bool, (slots, m)
    worked_before : ndarray of float64, (slots + 1, m)
        Working minutes before the start of each slot (cumulative), to add response times
        in working time.
    absent_days : ndarray of bool, (days, m)
        Vacation and sick days (local calendar).
    """

    on_shift: BoolArray
    worked_before: FloatArray
    absent_days: BoolArray

    @property
    def end(self) -> float:
        """Minute at which the schedule ends."""
        return float(self.on_shift.shape[0] * SLOT_MINUTES)

    def shift_mask(self, minute: float) -> BoolArray:
        """Which managers are on shift at ``minute``."""
        slot = min(int(minute // SLOT_MINUTES), self.on_shift.shape[0] - 1)
        return np.asarray(self.on_shift[slot], dtype=bool)

    def next_change(self, minute: float) -> float:
        """First slot boundary after ``minute`` where anyone's shift starts, or ``inf``."""
        slot = int(minute // SLOT_MINUTES) + 1
        starts = self._starts()
        k = int(np.searchsorted(starts, slot))
        return float(starts[k] * SLOT_MINUTES) if k < starts.size else float("inf")

    def _starts(self) -> IntArray:
        cached: IntArray | None = self.__dict__.get("_starts_cache")
        if cached is None:
            grid = self.on_shift
            began = grid[1:] & ~grid[:-1]
            cached = np.flatnonzero(began.any(axis=1)).astype(np.int64) + 1
            object.__setattr__(self, "_starts_cache", cached)
        return cached

    def after_working(self, manager: int, minute: float, work_minutes: float) -> float:
        """The minute when ``manager`` has worked ``work_minutes`` more since ``minute``."""
        cum = self.worked_before[:, manager]
        slot = min(int(minute // SLOT_MINUTES), self.on_shift.shape[0] - 1)
        done = float(cum[slot]) + (
            (minute - slot * SLOT_MINUTES) if self.on_shift[slot, manager] else 0.0
        )
        target = done + work_minutes
        if target > cum[-1]:
            return max(minute, self.end + (target - float(cum[-1])))
        # With work to do, the first boundary with cum >= target closes the working slot
        # that holds the target minute (finishing at a shift's end is that end). With none
        # (zero, or too small to change ``done`` in floating point), every boundary of the
        # idle stretch since the last shift has cum == target; the first with cum > target
        # closes the first working slot at or after ``minute``, where contact begins.
        side: Literal["left", "right"] = "left" if target > done else "right"
        k = max(int(np.searchsorted(cum, target, side=side)), 1)
        # Slot k-1 is a working slot with cum[k-1] <= target; never before ``minute``.
        return max(minute, float((k - 1) * SLOT_MINUTES + (target - float(cum[k - 1]))))


@dataclass(frozen=True)
class Stream:
    """Leads arriving over time, with what the CRM sees and the hidden truth.

    Attributes
    ----------
    arrival : ndarray of float64, (n,)
        Minute of arrival, sorted.
    source, product, tier : ndarray of int64, (n,)
        Indexes into the config's sources, products and :data:`TIERS`.
    deal_value : ndarray of float64, (n,)
    score : ndarray of float64, (n,)
        What the CRM's scoring sees (quality plus noise).
    cell : ndarray of int64, (n,)
        Column of :attr:`Team.lift` that applies to the lead.
    base : ndarray of float64, (n,)
        Hidden conversion chance at immediate contact with an average manager.
    outcome_draw, extra_draw, response_draw, open_minutes : ndarray of float64, (n,)
        Random numbers fixed per lead, shared by every strategy (common random numbers):
        uniforms for the outcome, a standard normal for the response time, and how long
        the lead stays open once assigned.
    real_outcome : ndarray of int64 or None
        The recorded outcome in the semi-synthetic world (None when synthetic).
    features : dict of str to ndarray
        Columns a conversion model may learn from.
    """

    arrival: FloatArray
    source: IntArray
    product: IntArray
    tier: IntArray
    deal_value: FloatArray
    score: FloatArray
    cell: IntArray
    base: FloatArray
    outcome_draw: FloatArray
    extra_draw: FloatArray
    response_draw: FloatArray
    open_minutes: FloatArray
    real_outcome: IntArray | None
    features: dict[str, npt.NDArray[np.generic]]

    @property
    def size(self) -> int:
        """Number of leads."""
        return int(self.arrival.shape[0])


@dataclass(frozen=True)
class World:
    """A team, its schedule and a lead stream, under one config.

    Examples
    --------
    >>> world = make_world(SimConfig(n_managers=5, weeks=1, leads_per_weekday=20), seed=3)
    >>> world.team.size, world.stream.size > 50
    (5, True)
    """

    config: SimConfig
    team: Team
    schedule: Schedule
    stream: Stream
    seed: int
    #: Past leads to learn from, when the world brings its own (semi-synthetic worlds);
    #: otherwise history is drawn like the stream.
    history: Stream | None = None

    def eligible(self, leads: IntArray) -> BoolArray:
        """Which managers are qualified for each lead, (len(leads), m)."""
        return self.team.qualified[:, self.stream.product[leads]].T

    def true_probability(
        self, leads: IntArray, managers: IntArray, delay_hours: FloatArray, load: FloatArray
    ) -> FloatArray:
        """Hidden conversion chance of each (lead, manager) pair given delay and load share."""
        config = self.config
        lift = self.team.lift[managers, self.stream.cell[leads]]
        quality = _load_quality(load, config.comfort_load, config.overload_quality)
        p = self.stream.base[leads] * lift * config.delay.multiplier(delay_hours) * quality
        return np.minimum(p, config.max_probability)

    def outcome(self, leads: IntArray, probability: FloatArray) -> IntArray:
        """Won (1) or lost (0) for each lead given its chance, using the lead's fixed draws.

        Synthetic: won when the draw is below the chance. Semi-synthetic: the recorded
        outcome is thinned or augmented so the mean becomes the chance: a recorded win is
        kept with probability ``min(1, M)`` and a recorded loss is turned into a win with
        probability ``(M - 1) r / (1 - r)`` when ``M > 1``, where ``M`` is the chance over
        the lead's base rate ``r``.
        """
        s = self.stream
        if s.real_outcome is None:
            return (s.outcome_draw[leads] < probability).astype(np.int64)
        rate = s.base[leads]
        ratio = probability / rate
        keep = s.outcome_draw[leads] < np.minimum(ratio, 1.0)
        gain = s.extra_draw[leads] < np.maximum(ratio - 1.0, 0.0) * rate / (1.0 - rate)
        real = s.real_outcome[leads] == 1
        return np.where(real, keep, gain).astype(np.int64)

    def response_minutes(self, lead: int, manager: int, load: float) -> float:
        """Working minutes before ``manager`` first contacts ``lead`` at load share ``load``."""
        config = self.config
        slow = 1.0 + config.load_slowdown * _over_comfort(load, config.comfort_load)
        z = self.stream.response_draw[lead]
        median = self.team.response_median[manager]
        return float(median * np.exp(config.response_sigma * z) * slow)


def _over_comfort(load: npt.ArrayLike, comfort: float) -> FloatArray:
    u = np.asarray(load, dtype=np.float64)
    if comfort >= 1.0:
        return np.zeros_like(u)
    return np.asarray(np.clip((u - comfort) / (1.0 - comfort), 0.0, 1.0), dtype=np.float64)


def _load_quality(load: npt.ArrayLike, comfort: float, at_full: float) -> FloatArray:
    return np.asarray(1.0 - (1.0 - at_full) * _over_comfort(load, comfort), dtype=np.float64)


def make_team(config: SimConfig, rng: np.random.Generator) -> Team:
    """Draw a team: levels, capacity, portfolio, qualification, skill, speed, time zones."""
    m = config.n_managers
    mix = np.asarray(config.level_mix, dtype=np.float64)
    level = rng.choice(3, size=m, p=mix / mix.sum()).astype(np.int64)
    portfolio = rng.poisson(np.asarray(config.portfolio_by_level)[level]).astype(np.int64)
    slots = np.asarray(config.capacity_by_level)[level] - np.floor(
        portfolio * config.portfolio_load
    )
    part_time = rng.random(m) < config.part_time_share
    slots = np.where(part_time, np.ceil(slots / 2), slots)
    capacity = np.maximum(slots, 1).astype(np.int64)
    n_products = len(config.products)
    qualified = np.ones((m, n_products), dtype=bool)
    junior = level == 0
    for product in config.senior_only_products:
        qualified[junior, product] = False
    level_lift = np.array(
        [config.level_lift_hot, config.level_lift_warm, config.level_lift_cold]
    ).T  # (3 levels, 3 tiers)
    product_skill = np.exp(
        rng.normal(0.0, config.product_skill_sigma, size=(m, n_products))
        - config.product_skill_sigma**2 / 2
    )
    lift = product_skill[:, :, None] * level_lift[level][:, None, :]  # (m, products, tiers)
    low, high = config.response_median_minutes
    tz_weights = np.asarray(config.timezone_weights, dtype=np.float64)
    return Team(
        ids=tuple(f"m{j + 1:02d}" for j in range(m)),
        level=level,
        capacity=capacity,
        portfolio=portfolio,
        qualified=qualified,
        lift=lift.reshape(m, n_products * len(TIERS)),
        response_median=rng.uniform(low, high, size=m),
        timezone=rng.choice(np.asarray(config.timezones), size=m, p=tz_weights / tz_weights.sum()),
        part_time=part_time,
    )


def make_schedule(config: SimConfig, team: Team, weeks: int, rng: np.random.Generator) -> Schedule:
    """Working slots of each manager over ``weeks`` plus a tail: hours, zones, absences."""
    m = team.size
    days = (weeks + TAIL_WEEKS) * 7
    absent = rng.random((days, m)) < config.sick_day_rate
    vacation = rng.random(m) < config.vacation_probability
    for j in np.flatnonzero(vacation):
        first_week = int(rng.integers(0, max(weeks, 1)))
        absent[first_week * 7 : first_week * 7 + 7, j] = True
    slots = days * SLOTS_PER_DAY
    minute = np.arange(slots, dtype=np.int64) * SLOT_MINUTES
    local = minute[:, None] + 60 * team.timezone[None, :]  # (slots, m)
    local_day = local // MINUTES_PER_DAY
    hour = (local % MINUTES_PER_DAY) / 60.0
    start = np.where(team.part_time, config.part_time_hours[0], config.work_hours[0])
    end = np.where(team.part_time, config.part_time_hours[1], config.work_hours[1])
    weekday = (local_day % 7) < 5
    day_index = np.clip(local_day, 0, days - 1)
    away = absent[day_index, np.arange(m)[None, :]]
    on_shift = weekday & (hour >= start) & (hour < end) & ~away & (local_day < days)
    worked = np.zeros((slots + 1, m), dtype=np.float64)
    np.cumsum(on_shift * float(SLOT_MINUTES), axis=0, out=worked[1:])
    return Schedule(on_shift=on_shift, worked_before=worked, absent_days=absent)


def _arrivals(config: SimConfig, weeks: int, rng: np.random.Generator) -> FloatArray:
    """Poisson arrivals: weekday volume, quieter weekends, few leads at night."""
    days = weeks * 7
    weekday = (np.arange(days) % 7) < 5
    daily = np.where(
        weekday, config.leads_per_weekday, config.leads_per_weekday * config.weekend_factor
    )
    counts = rng.poisson(daily)
    n = int(counts.sum())
    day = np.repeat(np.arange(days), counts)
    night = rng.random(n) < config.night_share
    day_hour = rng.uniform(8.0, 20.0, size=n)
    night_hour = (rng.uniform(20.0, 32.0, size=n)) % 24.0
    hour = np.where(night, night_hour, day_hour)
    return np.sort(day * MINUTES_PER_DAY + hour * 60.0)


def tier_cuts(config: SimConfig, cut_hot: float, cut_warm: float) -> tuple[float, float]:
    """The score cuts of hot and warm leads, moved above every score for a zero share.

    A cut is the score quantile at ``1 - share``; at share 0 that is the top score, which
    ``>=`` would still let one lead reach.
    """
    if config.hot_share == 0.0:
        cut_hot = float("inf")
    if config.hot_share + config.warm_share == 0.0:
        cut_warm = float("inf")
    return cut_hot, cut_warm


def tiers_of(score: FloatArray, cuts: tuple[float, float]) -> IntArray:
    """Tier of each score: hot (0) at or above the first cut, warm (1) above the second."""
    return np.where(score >= cuts[0], 0, np.where(score >= cuts[1], 1, 2)).astype(np.int64)


def check_seed(seed: object) -> int:
    """``seed`` as an int, or a ValueError naming it (a non-negative integer, not a bool)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def make_stream(config: SimConfig, weeks: int, rng: np.random.Generator) -> Stream:
    """Draw the leads of ``weeks``: arrival, source, product, quality, tier, value, draws."""
    arrival = _arrivals(config, weeks, rng)
    n = arrival.size

    def pick(shares: tuple[float, ...]) -> IntArray:
        p = np.asarray(shares, dtype=np.float64)
        return rng.choice(p.size, size=n, p=p / p.sum()).astype(np.int64)

    source = pick(config.source_shares)
    product = pick(config.product_shares)
    quality = rng.standard_normal(n)
    score = quality + config.score_noise * rng.standard_normal(n)
    cut_hot, cut_warm = (
        np.quantile(score, [1.0 - config.hot_share, 1.0 - config.hot_share - config.warm_share])
        if n
        else (0.0, 0.0)
    )
    tier = tiers_of(score, tier_cuts(config, float(cut_hot), float(cut_warm)))
    logit0 = np.log(config.base_rate / (1.0 - config.base_rate))
    base = 1.0 / (1.0 + np.exp(-(logit0 + config.quality_effect * quality)))
    base = base * np.asarray(config.source_lift)[source] * np.asarray(config.product_lift)[product]
    base = np.minimum(base, config.max_probability)
    median_value = np.asarray(config.deal_value_median)[product]
    deal_value = median_value * np.exp(config.deal_value_sigma * rng.standard_normal(n))
    open_days = config.open_days_median * np.exp(config.open_days_sigma * rng.standard_normal(n))
    products = np.asarray(config.products, dtype=object)
    sources = np.asarray(config.sources, dtype=object)
    tiers = np.asarray(TIERS, dtype=object)
    return Stream(
        arrival=arrival,
        source=source,
        product=product,
        tier=tier,
        deal_value=deal_value,
        score=score,
        cell=product * len(TIERS) + tier,
        base=base,
        outcome_draw=rng.random(n),
        extra_draw=rng.random(n),
        response_draw=rng.standard_normal(n),
        open_minutes=open_days * MINUTES_PER_DAY,
        real_outcome=None,
        features={
            "score": score,
            "tier": tiers[tier],
            "source": sources[source],
            "product": products[product],
            "deal_value": np.log(deal_value),
        },
    )


def make_world(config: SimConfig | None = None, *, seed: int = 0) -> World:
    """Draw a world (team, schedule, leads) from ``config``; the same seed gives the same world.

    The team, the schedule and the stream come from independent random streams, so a
    config change to the leads leaves the team as it was.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> a = make_world(SimConfig(weeks=1), seed=7)
    >>> b = make_world(SimConfig(weeks=1), seed=7)
    >>> bool((a.stream.arrival == b.stream.arrival).all()), a.team.ids[:3]
    (True, ('m01', 'm02', 'm03'))
    """
    seed = check_seed(seed)
    config = config or SimConfig()
    team_rng, schedule_rng, stream_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    team = make_team(config, team_rng)
    stream = make_stream(config, config.weeks, stream_rng)
    return World(
        config=config,
        team=team,
        schedule=make_schedule(config, team, config.weeks, schedule_rng),
        stream=stream,
        seed=seed,
    )
