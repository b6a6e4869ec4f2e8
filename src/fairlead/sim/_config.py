"""Every parameter of the simulated sales team and lead stream, with its default."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fairlead.sim._delay import DelayEffect

#: Longest horizon, in weeks, of a run (and of the history a model learns from).
MAX_WEEKS = 520
#: Most leads a run (or a history) may expect: ``leads_per_weekday * (5 + 2 *
#: weekend_factor) * weeks``. Beyond it memory and run time blow up.
MAX_LEADS = 1_000_000
#: Most manager-weeks a run (or a history) may span: the working schedule holds one
#: 15-minute slot per manager, so 50,000 manager-weeks take about 2 GB to build.
MAX_MANAGER_WEEKS = 50_000
#: Largest log-normal sigma (skill, deal value, response time, open days) and score noise:
#: at 10 the 1-in-a-million draw is already e^50 times the median.
MAX_SIGMA = 10.0
#: Largest conversion multiplier (level, product, source); chances are capped anyway.
MAX_LIFT = 1_000.0
#: Largest relative weight of a category (shares are normalized), so sums stay finite.
MAX_WEIGHT = 1e9
#: Time-zone offsets, in whole hours ahead of company time (UTC-12 to UTC+14).
TIMEZONE_RANGE = (-12, 14)

# Every float field must be finite (``allow_inf_nan=False`` on the model); the bounds
# below keep values where the simulator's arrays and floats stay bounded.
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Sigma = Annotated[float, Field(ge=0.0, le=MAX_SIGMA)]
Lift = Annotated[float, Field(gt=0.0, le=MAX_LIFT)]
Weight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
#: Existing clients per manager (Poisson mean).
Portfolio = Annotated[float, Field(ge=0.0, le=100_000.0)]
#: Open leads a manager may hold.
Capacity = Annotated[int, Field(le=10_000)]
#: Median first-response time, in working minutes (10,000: about four working weeks).
ResponseMinutes = Annotated[float, Field(gt=0.0, le=10_000.0)]
#: Money, in the currency of the deal values (a cent to a trillion).
Money = Annotated[float, Field(ge=0.01, le=1e12)]
Timezone = Annotated[int, Field(ge=TIMEZONE_RANGE[0], le=TIMEZONE_RANGE[1])]

LEVELS = ("junior", "middle", "senior")
TIERS = ("hot", "warm", "cold")


def expected_leads(config: SimConfig, weeks: int) -> float:
    """Mean number of leads ``config`` draws over ``weeks`` (weekdays plus weekends)."""
    return config.leads_per_weekday * (5.0 + 2.0 * config.weekend_factor) * weeks


class SimConfig(BaseModel):
    """Parameters of a simulated team and lead stream; every default is stated here.

    Time is in minutes from Monday 00:00 of the first week, company time. Rates are
    conversion probabilities at immediate first contact by an average manager; the
    delay, skill and load multipliers scale them.

    Examples
    --------
    >>> config = SimConfig(n_managers=8, weeks=2)
    >>> config.n_managers, config.leads_per_weekday
    (8, 45.0)
    >>> try:
    ...     SimConfig(weeks=0)
    ... except ValueError as error:
    ...     print(str(error).splitlines()[1], "|", str(error).splitlines()[2].split("[")[0].strip())
    weeks | Input should be greater than or equal to 1
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # --- team -------------------------------------------------------------------
    n_managers: int = Field(12, ge=1, le=10_000)
    #: Share of juniors, middles and seniors.
    level_mix: tuple[Share, Share, Share] = (0.35, 0.40, 0.25)
    #: Most open leads a manager may hold, by level (hard cap every strategy respects).
    capacity_by_level: tuple[Capacity, Capacity, Capacity] = (12, 18, 22)
    #: Existing clients per manager, by level (Poisson mean); each takes
    #: ``portfolio_load`` of a lead slot.
    portfolio_by_level: tuple[Portfolio, Portfolio, Portfolio] = (10.0, 40.0, 80.0)
    portfolio_load: Annotated[float, Field(ge=0.0, le=100.0)] = 0.05
    #: Conversion multiplier of each level on hot, warm and cold leads: experience pays
    #: most on hot leads.
    level_lift_hot: tuple[Lift, Lift, Lift] = (0.75, 1.0, 1.35)
    level_lift_warm: tuple[Lift, Lift, Lift] = (0.90, 1.0, 1.15)
    level_lift_cold: tuple[Lift, Lift, Lift] = (0.95, 1.0, 1.05)
    #: Spread (log-normal sigma) of a manager's skill on each product around 1.
    product_skill_sigma: Sigma = 0.25
    #: Products only middles and seniors are qualified to sell (by index into products).
    senior_only_products: tuple[int, ...] = (2,)
    #: Local working hours (start, end) on Monday to Friday, and for part-timers.
    work_hours: tuple[int, int] = (9, 18)
    part_time_hours: tuple[int, int] = (9, 13)
    part_time_share: Share = 0.15
    #: Time-zone offsets (whole hours ahead of company time, -12 to +14) and how often
    #: each occurs.
    timezones: tuple[Timezone, ...] = (0, 1, 2)
    timezone_weights: tuple[Weight, ...] = (0.6, 0.25, 0.15)
    #: Chance a manager takes one 5-working-day vacation in the horizon; sick-day rate.
    vacation_probability: Share = 0.25
    sick_day_rate: Share = 0.02
    #: First-response time: log-normal with a per-manager median (minutes of working
    #: time, drawn uniformly from this range, at most 10,000) and a common sigma.
    response_median_minutes: tuple[ResponseMinutes, ResponseMinutes] = (4.0, 20.0)
    response_sigma: Sigma = 0.9
    #: Above ``comfort_load`` (share of capacity) work slows and quality drops: at full
    #: capacity response times are ``1 + load_slowdown`` times longer and the conversion
    #: chance is ``overload_quality`` times lower, linearly in between (``load_slowdown``
    #: at most 100).
    comfort_load: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    load_slowdown: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    overload_quality: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7

    # --- lead stream ------------------------------------------------------------
    #: Leads arrive for ``weeks``; a weekday brings ``leads_per_weekday`` (Poisson mean, at
    #: most 10,000) and a weekend day ``weekend_factor`` (at most 10) times as many. The
    #: mean total may not exceed :data:`MAX_LEADS`.
    weeks: int = Field(4, ge=1, le=MAX_WEEKS)
    leads_per_weekday: Annotated[float, Field(gt=0.0, le=10_000.0)] = 45.0
    weekend_factor: Annotated[float, Field(ge=0.0, le=10.0)] = 0.3
    #: Share of leads that arrive outside 08:00-20:00 company time.
    night_share: Share = 0.08
    products: tuple[str, ...] = ("basic", "pro", "enterprise")
    product_shares: tuple[Weight, ...] = (0.55, 0.30, 0.15)
    #: Median deal value per product (0.01 to 1e12), and the log-normal spread around it.
    deal_value_median: tuple[Money, ...] = (400.0, 1500.0, 8000.0)
    deal_value_sigma: Sigma = 0.6
    #: Conversion multiplier of each product (larger deals close less often).
    product_lift: tuple[Lift, ...] = (1.0, 0.8, 0.5)
    sources: tuple[str, ...] = ("web form", "call", "chat", "referral", "ads")
    source_shares: tuple[Weight, ...] = (0.35, 0.20, 0.15, 0.10, 0.20)
    source_lift: tuple[Lift, ...] = (1.0, 1.3, 1.1, 1.6, 0.7)
    #: Conversion chance of a lead of average quality at immediate contact.
    base_rate: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.12
    #: Lead quality: logit shift ``quality_effect * z``, z standard normal; the CRM sees
    #: ``z`` plus noise of this sigma as its score and tiers leads on it.
    quality_effect: Annotated[float, Field(ge=0.0, le=50.0)] = 1.0
    score_noise: Sigma = 0.7
    #: Shares of hot and warm leads (by the CRM score); the rest are cold.
    hot_share: Share = 0.15
    warm_share: Share = 0.35
    #: Days (calendar, log-normal median at most 365, and sigma) a lead stays open once
    #: assigned.
    open_days_median: Annotated[float, Field(gt=0.0, le=365.0)] = 2.0
    open_days_sigma: Sigma = 0.5
    #: Conversion chances are capped here.
    max_probability: Annotated[float, Field(gt=0.0, le=1.0)] = 0.95
    delay: DelayEffect = DelayEffect()

    @model_validator(mode="after")
    def _check_lengths(self) -> SimConfig:
        n_products = len(self.products)
        for name in ("product_shares", "deal_value_median", "product_lift"):
            if len(getattr(self, name)) != n_products:
                raise ValueError(
                    f"{name} needs one entry per product ({n_products}), "
                    f"got {len(getattr(self, name))}"
                )
        for name in ("source_shares", "source_lift"):
            if len(getattr(self, name)) != len(self.sources):
                raise ValueError(
                    f"{name} needs one entry per source ({len(self.sources)}), "
                    f"got {len(getattr(self, name))}"
                )
        if len(self.timezone_weights) != len(self.timezones):
            raise ValueError(
                f"timezone_weights needs one entry per timezone ({len(self.timezones)}), "
                f"got {len(self.timezone_weights)}"
            )
        for name in ("level_mix", "product_shares", "source_shares", "timezone_weights"):
            if sum(getattr(self, name)) <= 0:
                raise ValueError(f"{name} must not be all zero")
        for name in ("products", "sources", "senior_only_products"):
            repeated = [item for item, count in Counter(getattr(self, name)).items() if count > 1]
            if repeated:
                raise ValueError(
                    f"{name} must not repeat an entry, got {repeated[0]!r} more than once"
                )
        bad = [k for k in self.senior_only_products if not 0 <= k < n_products]
        if bad:
            raise ValueError(f"senior_only_products has indexes {bad} outside 0..{n_products - 1}")
        if len(self.senior_only_products) == n_products:
            raise ValueError("senior_only_products covers every product: juniors could sell none")
        if self.hot_share + self.warm_share > 1:
            raise ValueError(
                f"hot_share + warm_share must be <= 1, got {self.hot_share + self.warm_share:g}"
            )
        for name in ("work_hours", "part_time_hours"):
            start, end = getattr(self, name)
            if not 0 <= start < end <= 24:
                raise ValueError(f"{name} must be (start, end) with 0 <= start < end <= 24")
        if min(self.capacity_by_level) < 1:
            raise ValueError(f"capacity_by_level must be >= 1, got {self.capacity_by_level}")
        low, high = self.response_median_minutes
        if low > high:
            raise ValueError(f"response_median_minutes must be (low, high), got {(low, high)}")
        if self.n_managers * self.weeks > MAX_MANAGER_WEEKS:
            raise ValueError(
                f"n_managers={self.n_managers} over weeks={self.weeks} is "
                f"{self.n_managers * self.weeks:,} manager-weeks, more than the "
                f"{MAX_MANAGER_WEEKS:,} a run may span"
            )
        leads = expected_leads(self, self.weeks)
        if leads > MAX_LEADS:
            raise ValueError(
                f"leads_per_weekday={self.leads_per_weekday:g} with weekend_factor="
                f"{self.weekend_factor:g} over weeks={self.weeks} expects {leads:,.0f} leads, "
                f"more than the {MAX_LEADS:,} a run may hold"
            )
        return self
