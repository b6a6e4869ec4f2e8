"""A simulated run told as an event log, in the columns of ``docs/kpi.md``.

The run fixes who got each lead, when, the contact time, the chance and the outcome;
the rest of each lead's story and the existing clients' life are drawn here, under
the assumptions of this simulated world (they are assumptions, not measurements):

- **Funnel.** ``qualified`` → ``meeting`` → ``proposal``. A won lead passes all three;
  a lost lead stops before ``qualified``, or after ``qualified``, ``meeting`` or
  ``proposal`` with chances :data:`LOST_DEPTH`. The stages fall at uniform random
  moments between the first contact and the close, in order.
- **Close.** When the simulator frees the manager's slot (assignment plus the lead's
  open time), and at least :data:`MIN_CLOSE_GAP` minutes after the first contact. A
  won deal's ``amount`` is its deal value times a log-normal factor of mean 1 and
  sigma :data:`AMOUNT_SIGMA`; a lost deal's ``reason`` comes from
  :data:`LOST_REASONS`, the early ones (no answer, not eligible) more often for leads
  lost early, price and competitors more often after a proposal.
- **Feedback.** :data:`FEEDBACK_SHARE` of won and of lost leads answer a survey, on
  average :data:`FEEDBACK_DELAY_DAYS` days after the close. CSAT (1-5) rises with a
  win and falls with the hours from arrival to first contact and with the manager's
  overload at assignment; NPS (0-10, given in :data:`NPS_SHARE` of the answers)
  follows the CSAT with noise; a complaint is rare and more likely after a slow
  contact, an overloaded manager or a loss.
- **Existing clients.** Manager ``j``'s ``team.portfolio[j]`` clients are
  ``c-{j + 1}-001`` ...; each is due a touch every :data:`TOUCH_EVERY_WEEKS` weeks
  (``touch_planned`` at 00:00 on the Monday of the week it is due). A manager makes
  a planned touch with their own completion rate (uniform in
  :data:`TOUCH_DONE_RANGE`) times the share of a usual week they are on shift, at a
  random moment of their shift that week (``touch_done``).
- **Repeat purchases.** Each client buys at random (a Poisson process) at a rate
  giving a :data:`BASE_PURCHASE_30D` chance of a purchase in any 30 days, from
  :data:`HISTORY_DAYS` days before minute 0 on (``history_days``: rows before the
  run's start, so the log starts earlier and a KPI run can tell which clients were
  active when the run began). Without touches a client goes 90 days without a
  purchase with chance ``(1 - 0.33) ** 3 ≈ 30 %``: about 30 % of the clients active
  at the start of a quarter churn by its end (with a 90-day churn window), and
  about 70 % of the clients are active at any moment. A done touch adds an
  independent :data:`TOUCH_PURCHASE_30D` chance of a purchase within the 30 days
  after it, raising the chance of a purchase in those 30 days from 33 % to about
  40 % (1 - 0.67 * 0.90). Touches are planned every 4 weeks, so a client with the
  usual 2 to 3 done touches in a quarter churns with chance about 30 % * 0.9 ** 2.5
  ≈ 23 %: retention about 7 points (10 %) higher than without touches, the low end
  of the "+10-15 % retention" the method's sources claim. Touches are only drawn in
  the run's weeks. Amounts are log-normal (median e^5.5 ≈ 245, sigma 0.7).

Ids: leads ``l-0001`` ... in arrival order, events ``e-000001`` ... in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time

import numpy as np
from scipy.special import ndtr

from fairlead.core import FloatArray, IntArray
from fairlead.kpi import COLUMNS
from fairlead.sim._config import TIERS
from fairlead.sim._result import RunRecord
from fairlead.sim._world import MINUTES_PER_DAY, MINUTES_PER_WEEK, SLOT_MINUTES, check_seed

#: The columns of the event log, in the order of :data:`fairlead.kpi.COLUMNS`.
EVENT_COLUMNS: tuple[str, ...] = tuple(COLUMNS)
#: Columns of floats (NaN when missing); ``complaint`` holds True, False or None, and
#: the others text or None.
NUMBER_COLUMNS = frozenset({"score", "deal_value", "win_probability", "amount", "csat", "nps"})
#: The stages of the funnel, in order.
FUNNEL: tuple[str, ...] = ("qualified", "meeting", "proposal")
#: Chance a lost lead got through 0, 1, 2 or all 3 stages of the funnel.
LOST_DEPTH: tuple[float, ...] = (0.40, 0.30, 0.18, 0.12)
LOST_REASONS: tuple[str, ...] = (
    "no answer",
    "not eligible",
    "no longer interested",
    "price",
    "chose a competitor",
)
#: Chance of each reason (columns) for a lead lost after 0, 1, 2 or 3 stages (rows).
_REASON_BY_DEPTH = np.array(
    [
        [0.45, 0.30, 0.20, 0.03, 0.02],
        [0.10, 0.20, 0.35, 0.20, 0.15],
        [0.02, 0.08, 0.30, 0.30, 0.30],
        [0.00, 0.02, 0.18, 0.40, 0.40],
    ]
)
#: Fewest minutes between the first contact and the close.
MIN_CLOSE_GAP = 60.0
#: Log-normal spread of a won amount around the lead's deal value.
AMOUNT_SIGMA = 0.1
#: Chance a won and a lost lead answer the survey; mean days from close to answer.
FEEDBACK_SHARE: tuple[float, float] = (0.45, 0.20)
FEEDBACK_DELAY_DAYS = 2.0
#: Share of survey answers that give an NPS.
NPS_SHARE = 0.7
#: Weeks between two planned touches of one client; range of managers' completion rates.
TOUCH_EVERY_WEEKS = 4
TOUCH_DONE_RANGE: tuple[float, float] = (0.45, 0.95)
#: Chance of a purchase in any 30 days; extra chance in the 30 days after a done touch.
BASE_PURCHASE_30D = 0.33
TOUCH_PURCHASE_30D = 0.10
#: Days of purchase history before the run's start.
HISTORY_DAYS = 180.0

_DAYS_30 = 30.0 * MINUTES_PER_DAY
# Life order of rows at the same moment (docs/kpi.md), then the client events.
_RANK = {
    name: k
    for k, name in enumerate(
        (
            "created",
            "assigned",
            "contacted",
            "stage",
            "won",
            "lost",
            "feedback",
            "touch_planned",
            "touch_done",
            "purchase",
        )
    )
}


@dataclass(frozen=True)
class _Rows:
    """Events of one type: their minutes and the columns they fill."""

    type: str
    minute: FloatArray
    columns: dict[str, np.ndarray]


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    """``prefix`` and 1 ... ``count`` padded to ``width`` digits, as an object array."""
    if count == 0:
        return np.zeros(0, dtype=object)
    digits = np.char.zfill(np.arange(1, count + 1).astype(str), width)
    return np.asarray(np.char.add(prefix, digits), dtype=object)


def _text(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)


def _same(text: str, count: int) -> np.ndarray:
    return np.full(count, text, dtype=object)


def _chance_score(record: RunRecord) -> FloatArray:
    """The CRM score as a number in [0, 1].

    The bank world's score is a fitted probability already; a synthetic world's score
    (quality plus noise, standard deviation ``sqrt(1 + score_noise**2)``) becomes its
    normal percentile.
    """
    world = record.world
    score = world.stream.score
    if world.stream.real_outcome is not None:
        return np.asarray(np.clip(score, 0.0, 1.0), dtype=np.float64)
    spread = math.sqrt(1.0 + world.config.score_noise**2)
    return np.asarray(ndtr(score / spread), dtype=np.float64)


def _overload(record: RunRecord) -> FloatArray:
    """How far above the comfortable load each lead's manager was after taking it (0-1)."""
    comfort = record.world.config.comfort_load
    capacity = record.world.team.capacity[np.maximum(record.manager, 0)]
    after = record.load_at_assign + 1.0 / capacity
    if comfort >= 1.0:
        return np.zeros_like(after)
    return np.asarray(np.clip((after - comfort) / (1.0 - comfort), 0.0, 1.0), dtype=np.float64)


def _created(record: RunRecord, lead_id: np.ndarray) -> _Rows:
    world = record.world
    stream, config = world.stream, world.config
    n = stream.size
    features = stream.features
    missing = np.full(n, None, dtype=object)
    return _Rows(
        "created",
        stream.arrival,
        {
            "lead_id": lead_id,
            "source": _text(features["source"]) if "source" in features else missing,
            "product": _text(np.asarray(config.products, dtype=object)[stream.product]),
            "segment": _text(features["segment"]) if "segment" in features else missing,
            "tier": _text(np.asarray(TIERS, dtype=object)[stream.tier]),
            "score": _chance_score(record),
            "deal_value": stream.deal_value.astype(np.float64),
        },
    )


def _lead_rows(record: RunRecord, rng: np.random.Generator, method: str) -> list[_Rows]:
    """Each lead's life: created, assigned, contacted, stages, close and feedback."""
    world = record.world
    stream = world.stream
    n = stream.size
    # Every draw is made for every lead, so a lead's story does not depend on the others.
    u_stage = np.sort(rng.random((n, len(FUNNEL))), axis=1)
    lost_depth = rng.choice(len(LOST_DEPTH), size=n, p=np.asarray(LOST_DEPTH))
    amount_noise = rng.standard_normal(n)
    reason_draw = rng.random(n)
    answer_draw = rng.random(n)
    answer_delay = rng.exponential(FEEDBACK_DELAY_DAYS * MINUTES_PER_DAY, size=n)
    csat_noise = rng.standard_normal(n)
    nps_draw = rng.random(n)
    nps_noise = rng.standard_normal(n)
    complaint_draw = rng.random(n)

    width = max(4, len(str(n)))
    lead_id = _ids("l-", n, width)
    rows = [_created(record, lead_id)]
    placed = np.flatnonzero(record.manager >= 0)
    ids = lead_id[placed]
    holder = np.asarray(world.team.ids, dtype=object)[record.manager[placed]]
    k = placed.size
    assigned = record.assigned_at[placed]
    contact = record.contact_at[placed]
    rows.append(
        _Rows(
            "assigned",
            assigned,
            {
                "lead_id": ids,
                "manager_id": holder,
                "method": _same(method, k),
                "win_probability": record.probability[placed].astype(np.float64),
            },
        )
    )
    rows.append(_Rows("contacted", contact, {"lead_id": ids, "manager_id": holder}))

    won = record.won[placed] == 1
    close = np.maximum(assigned + stream.open_minutes[placed], contact + MIN_CLOSE_GAP)
    depth = np.where(won, len(FUNNEL), lost_depth[placed])
    lead, step = np.nonzero(np.arange(len(FUNNEL))[None, :] < depth[:, None])
    at = contact[lead] + u_stage[placed[lead], step] * (close - contact)[lead]
    stage = {"lead_id": ids[lead], "manager_id": holder[lead]}
    rows.append(_Rows("stage", at, {**stage, "stage": np.asarray(FUNNEL, dtype=object)[step]}))

    value = stream.deal_value[placed]
    amount = value * np.exp(AMOUNT_SIGMA * amount_noise[placed] - AMOUNT_SIGMA**2 / 2)
    rows.append(
        _Rows(
            "won",
            close[won],
            {"lead_id": ids[won], "manager_id": holder[won], "amount": amount[won]},
        )
    )
    cumulative = np.cumsum(_REASON_BY_DEPTH, axis=1)[lost_depth[placed]]
    reason = (reason_draw[placed][:, None] > cumulative).sum(axis=1)
    reason = np.minimum(reason, len(LOST_REASONS) - 1)
    lost = ~won
    rows.append(
        _Rows(
            "lost",
            close[lost],
            {
                "lead_id": ids[lost],
                "manager_id": holder[lost],
                "reason": np.asarray(LOST_REASONS, dtype=object)[reason[lost]],
            },
        )
    )

    hours = np.maximum(contact - stream.arrival[placed], 0.0) / 60.0
    slow = np.log1p(hours)
    over = _overload(record)[placed]
    latent = 0.9 + 1.1 * won - 0.35 * slow - 0.8 * over + 0.8 * csat_noise[placed]
    csat = 1.0 + np.searchsorted(np.array([-0.9, -0.2, 0.5, 1.2]), latent)
    nps = np.clip(np.rint(2.4 * csat - 2.0 + 1.2 * nps_noise[placed]), 0.0, 10.0)
    nps = np.where(nps_draw[placed] < NPS_SHARE, nps, np.nan)
    logit = -4.0 + 0.5 * slow + 1.5 * over + 0.9 * lost
    complaint = complaint_draw[placed] < 1.0 / (1.0 + np.exp(-logit))
    answers = answer_draw[placed] < np.where(won, FEEDBACK_SHARE[0], FEEDBACK_SHARE[1])
    rows.append(
        _Rows(
            "feedback",
            (close + answer_delay[placed])[answers],
            {
                "lead_id": ids[answers],
                "manager_id": holder[answers],
                "csat": csat[answers].astype(np.float64),
                "nps": nps[answers],
                "complaint": _text(complaint[answers]),
            },
        )
    )
    return rows


def _shift_moments(on_shift: np.ndarray, week: IntArray, draw: FloatArray) -> FloatArray:
    """A minute on shift in each given week: the start of the slot at quantile ``draw``.

    ``on_shift`` is one manager's (weeks, slots of a week) grid from minute 0; every
    given week has at least one slot on shift.
    """
    count = on_shift.sum(axis=1)
    running = np.cumsum(on_shift.ravel())
    before = np.concatenate([[0], np.cumsum(count)[:-1]])
    nth = np.minimum(np.floor(draw * count[week]), count[week] - 1).astype(np.int64)
    slot = np.searchsorted(running, before[week] + nth + 1)
    return np.asarray(slot * SLOT_MINUTES, dtype=np.float64)


def _client_rows(
    record: RunRecord, rng: np.random.Generator, history_days: float = HISTORY_DAYS
) -> list[_Rows]:
    """Planned and done touches of each manager's clients, and the clients' purchases.

    Purchases run from ``history_days`` before minute 0 to the end of the run.
    """
    world = record.world
    team, schedule = world.team, world.schedule
    weeks = world.config.weeks
    horizon = float(weeks * MINUTES_PER_WEEK)
    history = float(history_days) * MINUTES_PER_DAY
    per_week = MINUTES_PER_WEEK // SLOT_MINUTES
    rate = rng.uniform(*TOUCH_DONE_RANGE, size=team.size)
    worked = np.diff(schedule.worked_before[np.arange(weeks + 1) * per_week], axis=0)
    usual = worked.max(axis=0)
    share = np.divide(worked, usual, out=np.zeros_like(worked), where=usual > 0)
    background = -math.log(1.0 - BASE_PURCHASE_30D) / _DAYS_30  # purchases per minute
    width = max(3, len(str(int(team.portfolio.max(initial=0)))))
    planned: list[_Rows] = []
    done: list[_Rows] = []
    bought: list[_Rows] = []
    for j, manager in enumerate(team.ids):
        size = int(team.portfolio[j])
        if size == 0:
            continue
        clients = _ids(f"c-{j + 1}-", size, width)
        phase = rng.integers(0, TOUCH_EVERY_WEEKS, size=size)
        due = (np.arange(weeks)[:, None] + phase[None, :]) % TOUCH_EVERY_WEEKS == 0
        week, client = np.nonzero(due)
        made = rng.random(week.size) < rate[j] * share[week, j]
        draw = rng.random(week.size)
        offset = rng.uniform(0.0, SLOT_MINUTES, size=week.size)
        planned.append(
            _Rows(
                "touch_planned",
                (week * MINUTES_PER_WEEK).astype(np.float64),
                {"client_id": clients[client], "manager_id": _same(manager, week.size)},
            )
        )
        grid = schedule.on_shift[: weeks * per_week, j].reshape(weeks, per_week)
        touched = _shift_moments(grid, week[made], draw[made]) + offset[made]
        done.append(
            _Rows(
                "touch_done",
                touched,
                {"client_id": clients[client[made]], "manager_id": _same(manager, touched.size)},
            )
        )
        count = rng.poisson(background * (history + horizon), size=size)
        buyer = np.repeat(np.arange(size), count)
        when = rng.uniform(-history, horizon, size=buyer.size)
        lifted = rng.random(touched.size) < TOUCH_PURCHASE_30D
        after = touched[lifted] + rng.uniform(0.0, _DAYS_30, size=int(lifted.sum()))
        buyer = np.concatenate([buyer, client[made][lifted]])
        when = np.concatenate([when, after])
        amount = rng.lognormal(5.5, 0.7, size=buyer.size)
        inside = when < horizon
        bought.append(
            _Rows(
                "purchase",
                when[inside],
                {
                    "client_id": clients[buyer[inside]],
                    "manager_id": _same(manager, int(inside.sum())),
                    "amount": amount[inside],
                },
            )
        )
    return planned + done + bought


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _table(rows: list[_Rows], origin: datetime, last: float) -> dict[str, np.ndarray]:
    """The rows as columns, sorted by time (then life order), up to second ``last``.

    ``rows`` is never empty (``created`` rows come first, even when there are none).
    """
    minute = np.concatenate([r.minute for r in rows])
    second = np.rint(minute * 60.0).astype(np.int64)
    rank = np.concatenate([np.full(r.minute.size, _RANK[r.type]) for r in rows])
    position = np.arange(second.size)
    order = np.lexsort((position, rank, second))
    order = order[second[order] <= last]
    total = second.size
    columns: dict[str, np.ndarray] = {}
    for name in EVENT_COLUMNS[3:]:
        empty = np.nan if name in NUMBER_COLUMNS else None
        column = np.full(total, empty, dtype=np.float64 if name in NUMBER_COLUMNS else object)
        begin = 0
        for r in rows:
            if name in r.columns:
                column[begin : begin + r.minute.size] = r.columns[name]
            begin += r.minute.size
        columns[name] = column[order]
    types = np.concatenate([_same(r.type, r.minute.size) for r in rows])
    stamp = np.datetime64(origin, "s") + second[order].astype("timedelta64[s]")
    at = np.char.add(np.datetime_as_string(stamp, unit="s"), "Z")
    kept = order.size
    head = {
        "event_id": _ids("e-", kept, max(6, len(str(kept)))),
        "type": np.asarray(types[order], dtype=object),
        "at": np.asarray(at, dtype=object),
    }
    return {name: {**head, **columns}[name] for name in EVENT_COLUMNS}


def event_log(
    record: RunRecord,
    *,
    start: datetime,
    seed: int = 0,
    until: datetime | None = None,
    method: str | None = None,
    history_days: float = HISTORY_DAYS,
) -> dict[str, np.ndarray]:
    """One simulated run as an event log in the format of ``docs/kpi.md``.

    Leads get ``created``, ``assigned``, ``contacted``, ``stage``, ``won`` or ``lost``
    and ``feedback`` events; the managers' existing clients get ``touch_planned``,
    ``touch_done`` and ``purchase`` events. What the run does not fix is drawn under
    the assumptions stated in this module's documentation.

    Parameters
    ----------
    record : RunRecord
        From :func:`simulate`.
    start : datetime
        The moment of minute 0: a Monday at 00:00 in company time (aware, converted to
        UTC, or naive, read as UTC).
    seed : int, default 0
        Seeds ``numpy.random.default_rng`` for everything drawn here.
    until : datetime, optional
        Events after this moment are left out (a lead still open then has no close
        event); by default the end of the run's arrival horizon, ``start + weeks``.
    method : str, optional
        The ``method`` of the ``assigned`` events; default the strategy's name.
    history_days : float, default :data:`HISTORY_DAYS`
        Days of the clients' purchases before ``start`` (rows before ``start``: the
        log begins earlier; 0 for none).

    Returns
    -------
    dict of str to ndarray
        The columns :data:`EVENT_COLUMNS`, rows sorted by time (rows at the same second
        in the life order of a lead): ids, labels and times (ISO 8601 text in UTC with
        ``Z``, whole seconds) as object arrays of text or None, numbers as floats with
        NaN where missing, ``complaint`` as True, False or None.

    Raises
    ------
    ValueError
        If ``start`` is not a Monday at 00:00, ``until`` is before ``start``,
        ``history_days`` is negative or not finite, or the seed is not a non-negative
        integer.

    Examples
    --------
    >>> from datetime import datetime
    >>> from fairlead.sim import RoundRobin, SimConfig, make_world, simulate
    >>> world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=10), seed=1)
    >>> record = simulate(world, RoundRobin())
    >>> log = event_log(record, start=datetime(2026, 8, 31), until=datetime(2027, 1, 1))
    >>> log["event_id"][0], log["type"][0], log["at"][0] < "2026-08-31"  # purchase history
    ('e-000001', 'purchase', True)
    >>> recent = event_log(record, start=datetime(2026, 8, 31), history_days=0)
    >>> recent["type"][0], recent["at"][0]
    ('touch_planned', '2026-08-31T00:00:00Z')
    >>> mine = log["lead_id"] == "l-0003"
    >>> [t if s is None else f"{t} {s}" for t, s in zip(log["type"][mine], log["stage"][mine])]
    ['created', 'assigned', 'contacted', 'stage qualified', 'lost']
    >>> log["at"][mine][[0, -1]].tolist()
    ['2026-08-31T08:38:33Z', '2026-09-05T23:03:59Z']
    >>> int((log["type"] == "won").sum()) == int(record.won.sum())
    True
    >>> sorted(set(log["stage"]) - {None})
    ['meeting', 'proposal', 'qualified']
    """
    seed = check_seed(seed)
    if not isinstance(start, datetime):
        raise ValueError(f"start must be a datetime, got {start!r}")
    if start.weekday() != 0 or start.time() != time(0):
        raise ValueError(
            f"start must be a Monday at 00:00 (minute 0 of the run), got {start.isoformat()}"
        )
    origin = _naive_utc(start)
    weeks = record.world.config.weeks
    if until is None:
        last = float(weeks * MINUTES_PER_WEEK * 60)
    elif not isinstance(until, datetime):
        raise ValueError(f"until must be a datetime or None, got {until!r}")
    else:
        last = (_naive_utc(until) - origin).total_seconds()
        if last < 0:
            raise ValueError(
                f"until ({until.isoformat()}) must not be before start ({start.isoformat()})"
            )
    if isinstance(history_days, bool) or not (
        isinstance(history_days, int | float) and 0 <= history_days < math.inf
    ):
        raise ValueError(f"history_days must be a number of days >= 0, got {history_days!r}")
    lead_rng, client_rng = np.random.default_rng(seed).spawn(2)
    rows = _lead_rows(record, lead_rng, record.strategy if method is None else method)
    rows += _client_rows(record, client_rng, history_days)
    return _table(rows, origin, last)
