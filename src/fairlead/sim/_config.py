"""Every parameter of the simulated sales team and lead stream, with its default."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fairlead.sim._delay import DelayEffect

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]

LEVELS = ("junior", "middle", "senior")
TIERS = ("hot", "warm", "cold")


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

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- team -------------------------------------------------------------------
    n_managers: int = Field(12, ge=1, le=10_000)
    #: Share of juniors, middles and seniors.
    level_mix: tuple[Share, Share, Share] = (0.35, 0.40, 0.25)
    #: Most open leads a manager may hold, by level (hard cap every strategy respects).
    capacity_by_level: tuple[int, int, int] = (12, 18, 22)
    #: Existing clients per manager, by level (Poisson mean); each takes
    #: ``portfolio_load`` of a lead slot.
    portfolio_by_level: tuple[NonNegative, NonNegative, NonNegative] = (10.0, 40.0, 80.0)
    portfolio_load: NonNegative = 0.05
    #: Conversion multiplier of each level on hot, warm and cold leads: experience pays
    #: most on hot leads.
    level_lift_hot: tuple[Positive, Positive, Positive] = (0.75, 1.0, 1.35)
    level_lift_warm: tuple[Positive, Positive, Positive] = (0.90, 1.0, 1.15)
    level_lift_cold: tuple[Positive, Positive, Positive] = (0.95, 1.0, 1.05)
    #: Spread (log-normal sigma) of a manager's skill on each product around 1.
    product_skill_sigma: NonNegative = 0.25
    #: Products only middles and seniors are qualified to sell (by index into products).
    senior_only_products: tuple[int, ...] = (2,)
    #: Local working hours (start, end) on Monday to Friday, and for part-timers.
    work_hours: tuple[int, int] = (9, 18)
    part_time_hours: tuple[int, int] = (9, 13)
    part_time_share: Share = 0.15
    #: Time-zone offsets (hours ahead of company time) and how often each occurs.
    timezones: tuple[int, ...] = (0, 1, 2)
    timezone_weights: tuple[NonNegative, ...] = (0.6, 0.25, 0.15)
    #: Chance a manager takes one 5-working-day vacation in the horizon; sick-day rate.
    vacation_probability: Share = 0.25
    sick_day_rate: Share = 0.02
    #: First-response time: log-normal with a per-manager median (minutes of working
    #: time, drawn uniformly from this range) and a common sigma.
    response_median_minutes: tuple[Positive, Positive] = (4.0, 20.0)
    response_sigma: NonNegative = 0.9
    #: Above ``comfort_load`` (share of capacity) work slows and quality drops: at full
    #: capacity response times are ``1 + load_slowdown`` times longer and the conversion
    #: chance is ``overload_quality`` times lower, linearly in between.
    comfort_load: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    load_slowdown: NonNegative = 1.0
    overload_quality: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7

    # --- lead stream ------------------------------------------------------------
    weeks: int = Field(4, ge=1, le=520)
    leads_per_weekday: Positive = 45.0
    weekend_factor: NonNegative = 0.3
    #: Share of leads that arrive outside 08:00-20:00 company time.
    night_share: Share = 0.08
    products: tuple[str, ...] = ("basic", "pro", "enterprise")
    product_shares: tuple[NonNegative, ...] = (0.55, 0.30, 0.15)
    #: Median deal value per product, and the log-normal spread around it.
    deal_value_median: tuple[Positive, ...] = (400.0, 1500.0, 8000.0)
    deal_value_sigma: NonNegative = 0.6
    #: Conversion multiplier of each product (larger deals close less often).
    product_lift: tuple[Positive, ...] = (1.0, 0.8, 0.5)
    sources: tuple[str, ...] = ("web form", "call", "chat", "referral", "ads")
    source_shares: tuple[NonNegative, ...] = (0.35, 0.20, 0.15, 0.10, 0.20)
    source_lift: tuple[Positive, ...] = (1.0, 1.3, 1.1, 1.6, 0.7)
    #: Conversion chance of a lead of average quality at immediate contact.
    base_rate: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.12
    #: Lead quality: logit shift ``quality_effect * z``, z standard normal; the CRM sees
    #: ``z`` plus noise of this sigma as its score and tiers leads on it.
    quality_effect: NonNegative = 1.0
    score_noise: NonNegative = 0.7
    #: Shares of hot and warm leads (by the CRM score); the rest are cold.
    hot_share: Share = 0.15
    warm_share: Share = 0.35
    #: Days (calendar, log-normal median and sigma) a lead stays open once assigned.
    open_days_median: Positive = 2.0
    open_days_sigma: NonNegative = 0.5
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
        return self
