"""Sifting for the transportation problem with many leads and few managers.

The LP has one price per manager, and with the right prices almost every lead's
best manager is obvious: only leads close to a tie between two managers need the
exact solver. Sifting (as LP codes call column generation over a working set)
exploits that:

1. **Free optimum.** Every lead at its best manager; if every bound holds, prices
   of zero prove it optimal.
2. **Starting prices.** When few leads break a bound (at most 10 % of them), zero;
   otherwise the same algorithm solves a random eighth of the leads (bounds
   scaled), recursively, and its prices approximate the full ones.
3. **Core.** Under those prices each lead's margin between its best and second
   best manager is measured. The core holds, for each manager over its bound, the
   leads with the smallest margins that could relieve it (four times the excess),
   and after sampled prices also the tenth of all leads with the smallest margins.
   The other leads stay at their best manager and only use up room. The core keeps
   each lead's best few managers and is solved exactly as a min-cost flow.
4. **Prices of the combined assignment** from the exchange graph
   (:mod:`fairlead.solvers._exchange`): exact integer shortest paths.
5. **Pricing.** Every lead not at its best manager under these prices, on the arcs
   known so far and then over every eligible pair, joins the core (with its arcs);
   back to 3. When none is left, every lead sits at a manager of largest
   ``value - price`` and the prices satisfy complementary slackness with the
   bounds: the assignment is optimal, and the prices are its certificate.

Values are scaled to integers exactly as the ``min_cost_flow`` method scales them,
so both methods optimize the same integer problem and the optimality test is
exact. The core only grows, so the loop ends; in the worst case the core is the
whole problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fairlead.core import BoolArray, FloatArray, IntArray, ValueBlocks
from fairlead.formulation import round_scaled
from fairlead.solvers._core_flow import solve_core
from fairlead.solvers._exchange import exchange_prices, exchange_weights

# Scaled values are below 2**53; an ineligible pair gets a value far below any path.
NOT_ELIGIBLE = -(2**61)
SAMPLE_SHARE = 0.125
CORE_SHARE = 0.1
# Zero starting prices while at most this share of leads breaks a bound.
LOCAL_SHARE = 0.1
# Per manager off its bound, the core takes this many leads per lead of excess, plus a few.
RELIEF_FACTOR, RELIEF_EXTRA = 4, 16
CANDIDATES = 6
# Below this many pairs a problem goes to the core whole (no sample).
SMALL_PAIRS = 40_000
SAMPLE_SEED = 20_240_611
# Float passes re-check in integers whatever comes within this many scaled units.
_FLOAT_SLACK = 64.0


class InternalError(RuntimeError):
    """An invariant of the algorithm failed (a bug, never bad input)."""


@dataclass
class Sifted:
    """Result of :func:`sift`: column per lead, integer prices, statistics."""

    column: IntArray
    prices: IntArray
    # sum_i max_j (v_ij - p_j) in floats at the final prices, when a pass computed it
    lead_sum: float | None = None
    levels: list[dict[str, int]] = field(default_factory=list)


def to_int(values: FloatArray, scale: float) -> IntArray:
    """Scaled, rounded values; ``-inf`` (not eligible) becomes ``NOT_ELIGIBLE``."""
    return round_scaled(values, scale, neginf=NOT_ELIGIBLE)


def best_columns(blocks: ValueBlocks) -> tuple[IntArray, FloatArray]:
    """Column of largest value per lead and that value (``-inf``: nothing eligible)."""
    column = np.empty(blocks.n, dtype=np.int64)
    best = np.empty(blocks.n, dtype=np.float64)
    for start, stop, values in blocks.blocks():
        pick = values.argmax(axis=1)
        column[start:stop] = pick
        best[start:stop] = values[np.arange(stop - start), pick]
    return column, best


@dataclass
class _TopTwo:
    first: IntArray
    second: IntArray  # -1 where a lead has a single option
    margin: FloatArray  # in value units; inf for a single option
    first_value: IntArray
    second_value: IntArray


def _top_two(blocks: ValueBlocks, prices: IntArray, scale: float) -> _TopTwo:
    n = blocks.n
    out = _TopTwo(
        np.empty(n, np.int64),
        np.empty(n, np.int64),
        np.empty(n, np.float64),
        np.empty(n, np.int64),
        np.empty(n, np.int64),
    )
    shift = prices / scale
    for start, stop, values in blocks.blocks():
        rows = np.arange(stop - start)
        reduced = values - shift
        first = reduced.argmax(axis=1)
        top = reduced[rows, first]
        reduced[rows, first] = -np.inf
        second = reduced.argmax(axis=1)
        runner = reduced[rows, second]
        single = ~np.isfinite(runner)
        out.first[start:stop] = first
        out.second[start:stop] = np.where(single, -1, second)
        out.margin[start:stop] = np.where(single, np.inf, top - runner)
        out.first_value[start:stop] = to_int(values[rows, first], scale)
        out.second_value[start:stop] = to_int(values[rows, second], scale)
    return out


class _Arcs:
    """Arcs known so far: each lead's two best columns, plus rows for core leads."""

    def __init__(self, n: int, top: _TopTwo) -> None:
        has_second = top.second >= 0
        self.base_lead = np.r_[np.arange(n), np.flatnonzero(has_second)]
        self.base_column = np.r_[top.first, top.second[has_second]]
        self.base_value = np.r_[top.first_value, top.second_value[has_second]]
        self.has_row = np.zeros(n, dtype=np.bool_)
        self.lead: list[IntArray] = []
        self.column: list[IntArray] = []
        self.value: list[IntArray] = []

    def add_rows(
        self,
        blocks: ValueBlocks,
        leads: IntArray,
        prices: IntArray,
        scale: float,
        current: IntArray,
        width: int,
    ) -> None:
        """Give ``leads`` their ``width`` best columns under ``prices`` and their current one."""
        leads = leads[~self.has_row[leads]]
        if leads.size == 0:
            return
        self.has_row[leads] = True
        values = to_int(blocks.take(leads), scale)
        m = values.shape[1]
        if width < m:
            reduced = values - prices
            picks = np.argpartition(reduced, m - width, axis=1)[:, m - width :]
            picks = np.concatenate([picks, current[leads][:, None]], axis=1)
        else:
            picks = np.broadcast_to(np.arange(m), values.shape)
        chosen = np.take_along_axis(values, picks, axis=1)
        eligible = chosen > NOT_ELIGIBLE
        self.lead.append(np.repeat(leads, picks.shape[1])[eligible.ravel()])
        self.column.append(picks[eligible])
        self.value.append(chosen[eligible])

    def forget_rows(self, leads: IntArray) -> None:
        """Let ``leads`` get fresh rows (their old arcs stay known)."""
        self.has_row[leads] = False

    def all(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(lead, column, value)`` of every known arc (a lead with a row: its row only)."""
        base = ~self.has_row[self.base_lead]
        return (
            np.concatenate([self.base_lead[base], *self.lead]),
            np.concatenate([self.base_column[base], *self.column]),
            np.concatenate([self.base_value[base], *self.value]),
        )


def _value_here(column: IntArray, lead: IntArray, col: IntArray, value: IntArray) -> IntArray:
    here = np.full(column.size, NOT_ELIGIBLE, dtype=np.int64)
    at = col == column[lead]
    here[lead[at]] = value[at]
    return here


def _unfix_overflow(
    column: IntArray, in_core: BoolArray, margin: FloatArray, high: IntArray
) -> None:
    """Move fixed leads of over-full columns into the core, smallest margins first."""
    width = high.size
    fixed = np.bincount(column[~in_core], minlength=width)
    for j in np.flatnonzero(fixed > high):
        there = np.flatnonzero(~in_core & (column == j))
        extra = int(fixed[j] - high[j]) + max(1, int(0.01 * high[j]))
        in_core[there[np.argsort(margin[there], kind="stable")[:extra]]] = True


def _relief(top: _TopTwo, load: IntArray, low: IntArray, high: IntArray) -> IntArray:
    """Leads that could bring each manager back within its bounds, smallest margins first."""
    picked = []
    for j in np.flatnonzero((load > high) | (load < low)):
        excess = int(load[j] - high[j]) if load[j] > high[j] else int(low[j] - load[j])
        # over its upper bound, leads leave j; under its lower bound, leads come to j
        there = np.flatnonzero((top.first if load[j] > high[j] else top.second) == j)
        take = min(there.size, RELIEF_FACTOR * excess + RELIEF_EXTRA)
        if take < there.size:
            there = there[np.argpartition(top.margin[there], take - 1)[:take]]
        picked.append(there)
    relief: IntArray = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    return relief


def _sample_prices(
    blocks: ValueBlocks, low: IntArray, high: IntArray, scale: float, levels: list[dict[str, int]]
) -> IntArray:
    n = blocks.n
    size = max(1, int(n * SAMPLE_SHARE))
    rows = np.sort(np.random.default_rng(SAMPLE_SEED + n).choice(n, size, replace=False))
    share = size / n
    low_s = np.floor(low * share).astype(np.int64)
    high_s = np.ceil(high * share).astype(np.int64)
    zero = np.zeros(blocks.width, dtype=np.int64)
    if low_s.sum() > size or high_s.sum() < size:
        return zero
    sampled = sift(blocks.subset(rows), low_s, high_s, scale, levels=levels)
    return zero if sampled is None else sampled.prices


def sift(
    blocks: ValueBlocks,
    low: IntArray,
    high: IntArray,
    scale: float,
    *,
    levels: list[dict[str, int]] | None = None,
) -> Sifted | None:
    """Optimal column per lead and certifying prices, or ``None`` if infeasible.

    ``low``/``high`` bound each column's count (the pool column included).
    """
    levels = [] if levels is None else levels
    n, width = blocks.n, blocks.width
    column, best = best_columns(blocks)
    if not np.isfinite(best).all():
        return None
    load = np.bincount(column, minlength=width)
    off = int(np.maximum(load - high, 0).sum() + np.maximum(low - load, 0).sum())
    if off == 0:
        zero = np.zeros(width, dtype=np.int64)
        return Sifted(column, zero, lead_sum=float(best.sum()), levels=levels)
    if int(low.sum()) > n or int(high.sum()) < n:
        return None

    small = n * width <= SMALL_PAIRS
    local = small or off <= LOCAL_SHARE * n
    prices = (
        np.zeros(width, dtype=np.int64)
        if local
        else _sample_prices(blocks, low, high, scale, levels)
    )
    top = _top_two(blocks, prices, scale)
    column = top.first.copy()
    margin = top.margin
    candidates = width if small else min(CANDIDATES, width)
    if small:
        in_core = np.ones(n, dtype=np.bool_)
        threshold = np.inf
    else:
        threshold = 0.0 if local else float(np.quantile(margin, CORE_SHARE))
        in_core = np.zeros(n, dtype=np.bool_) if local else margin <= threshold
        in_core[_relief(top, np.bincount(column, minlength=width), low, high)] = True
    arcs = _Arcs(n, top)
    rounds = 0
    lead_sum: float | None = None
    while True:
        _unfix_overflow(column, in_core, margin, high)
        core = np.flatnonzero(in_core)
        arcs.add_rows(blocks, core, prices, scale, column, candidates)
        lead, col, value = arcs.all()
        chosen = in_core[lead]
        position = np.full(n, -1, dtype=np.int64)
        position[core] = np.arange(core.size)
        fixed = np.bincount(column[~in_core], minlength=width)
        placed = solve_core(
            core.size, position[lead[chosen]], col[chosen], value[chosen], fixed, low, high
        )
        rounds += 1
        if placed is None:
            if not in_core.all():
                threshold = max(2.0 * threshold, float(np.quantile(margin, 0.01)), 1.0 / scale)
                in_core |= margin <= threshold
                if threshold > margin[np.isfinite(margin)].max(initial=0.0):
                    in_core[:] = True
                continue
            if candidates < width:
                candidates = width
                arcs.forget_rows(core)
                continue
            return None
        column[core] = placed
        load = np.bincount(column, minlength=width)
        here = _value_here(column, lead, col, value)
        moves = exchange_weights(column, here, lead[chosen], col[chosen], value[chosen], width)
        found = exchange_prices(moves, load, low, high)
        if found is None:
            raise InternalError("the core solution has a negative exchange cycle")
        prices = found
        best_known = np.full(n, NOT_ELIGIBLE, dtype=np.int64)
        np.maximum.at(best_known, lead, value - prices[col])
        wrong = np.flatnonzero(best_known > here - prices[column])
        if wrong.size:
            in_core[wrong] = True
            continue
        if candidates < width or not in_core.all():
            wrong, pass_sum = _misplaced(blocks, prices, scale, column)
            if wrong.size:
                arcs.forget_rows(wrong)
                in_core[wrong] = True
                arcs.add_rows(blocks, wrong, prices, scale, column, width)
                continue
            lead_sum = pass_sum
        break
    levels.append({"leads": n, "rounds": rounds, "core": int(core.size), "arcs": int(chosen.sum())})
    return Sifted(column, prices, lead_sum=lead_sum, levels=levels)


def _misplaced(
    blocks: ValueBlocks, prices: IntArray, scale: float, column: IntArray
) -> tuple[IntArray, float]:
    """Leads with an eligible column of larger ``value - price`` than their own (exact).

    Also returns ``sum_i max_j (v_ij - p_j)`` in floats (``p = prices / scale``).
    The pass runs in floats; leads whose float test comes within ``_FLOAT_SLACK``
    scaled units of failing (rounding to integers moves a value by at most 0.5,
    float arithmetic by a few units) are decided again in exact integers.
    """
    found = []
    lead_sum = 0.0
    float_prices = prices / scale
    slack = _FLOAT_SLACK / scale
    for start, stop, values in blocks.blocks():
        rows = np.arange(stop - start)
        here_column = column[start:stop]
        reduced = values - float_prices
        here_value = reduced[rows, here_column]
        reduced[rows, here_column] = -np.inf
        other = reduced.max(axis=1)
        lead_sum += float(np.maximum(other, here_value).sum())
        close = np.flatnonzero(other > here_value - slack)
        if close.size:
            exact = to_int(values[close], scale) - prices
            here = exact[np.arange(close.size), here_column[close]]
            found.append(close[exact.max(axis=1) > here] + start)
    wrong: IntArray = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return wrong, lead_sum


def dual_value(
    blocks: ValueBlocks,
    prices: FloatArray,
    low: IntArray,
    high: IntArray,
    *,
    lead_sum: float | None = None,
) -> float:
    """The LP dual objective at ``prices``: an upper bound on the optimum for any prices.

    ``sum_i max_j (v_ij - p_j) + sum_j (high_j max(p_j, 0) - low_j max(-p_j, 0))``,
    the maximum over eligible columns (the pool included). ``lead_sum``, when
    given, is the first sum already computed at these prices.
    """
    if lead_sum is None:
        lead_sum = 0.0
        for _, _, values in blocks.blocks():
            lead_sum += float((values - prices).max(axis=1).sum())
    bands = np.sum(high * np.maximum(prices, 0.0) - low * np.maximum(-prices, 0.0))
    return lead_sum + float(bands)
