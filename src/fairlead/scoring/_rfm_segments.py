"""RFM segments as data: rectangles of the score grid, each giving a segment name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.core import IntArray
from fairlead.records import InputError, label_key

__all__ = ["DEFAULT_SEGMENTS", "N_SCORES", "SegmentRule", "SegmentTable", "segment_table"]

N_SCORES = 5
"""Scores run from 1 to ``N_SCORES`` (quintiles)."""


def _score_range(owner: str, field_name: str, value: Any) -> None:
    ok = (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise InputError(
            f"{field_name} of {owner} must be a pair (low, high) of scores, got {value!r}"
        )
    low, high = value
    if not 1 <= low <= high <= N_SCORES:
        raise InputError(
            f"{field_name} of {owner} must satisfy 1 <= low <= high <= {N_SCORES}, got {value!r}"
        )


@dataclass(frozen=True)
class SegmentRule:
    """One rectangle of the score grid and the segment name it gives.

    Parameters
    ----------
    name : str
        Segment name, e.g. ``"champions"``. Several rules may share a name; names
        are compared by the label rule (:func:`fairlead.records.label_key`), so
        ``"Champions"`` and ``"champions "`` are one segment.
    r, f : tuple of int
        Inclusive ranges ``(low, high)`` of ``r_score`` and ``f_score``, within 1..5.
    m : tuple of int, optional
        Inclusive range of ``m_score``; ``None`` (default) means any.

    Examples
    --------
    >>> SegmentRule("champions", r=(5, 5), f=(4, 5))
    SegmentRule(name='champions', r=(5, 5), f=(4, 5), m=None)
    >>> SegmentRule("x", r=(0, 2), f=(1, 5))
    Traceback (most recent call last):
    ...
    fairlead.InputError: r of segment rule 'x' must satisfy 1 <= low <= high <= 5, got (0, 2)
    """

    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(
                f"name of a segment rule must be a non-empty string, got {self.name!r}"
            )
        owner = f"segment rule {self.name!r}"
        _score_range(owner, "r", self.r)
        _score_range(owner, "f", self.f)
        if self.m is not None:
            _score_range(owner, "m", self.m)

    def _slices(self) -> tuple[slice, slice, slice]:
        m = self.m if self.m is not None else (1, N_SCORES)
        return (
            slice(self.r[0] - 1, self.r[1]),
            slice(self.f[0] - 1, self.f[1]),
            slice(m[0] - 1, m[1]),
        )


@dataclass(frozen=True)
class SegmentTable:
    """Segment names over the grid of scores, held as data.

    Each cell of the R x F grid (R x F x M when a rule restricts ``m``) must be
    covered by exactly one rule; the table is checked when it is made.

    Parameters
    ----------
    rules : sequence of SegmentRule
        The rectangles of the grid and their names.

    Raises
    ------
    ValueError
        If a cell is left uncovered or covered twice; the message names the cell
        and the rules.

    Examples
    --------
    >>> table = SegmentTable(
    ...     [SegmentRule("active", r=(3, 5), f=(1, 5)), SegmentRule("lapsed", r=(1, 2), f=(1, 5))]
    ... )
    >>> table.names
    ('active', 'lapsed')
    >>> table.segment_of(4, 1)
    'active'
    >>> SegmentTable([SegmentRule("active", r=(3, 5), f=(1, 5))])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairlead.InputError: segment table leaves cell r=1, f=1 uncovered (and 9 more cells); ...
    """

    rules: tuple[SegmentRule, ...]
    _lookup: IntArray = field(init=False, repr=False, compare=False)

    def __init__(self, rules: Iterable[SegmentRule]) -> None:
        rules = tuple(rules)
        object.__setattr__(self, "rules", rules)
        if not rules:
            raise InputError("segment table has no rules; every cell needs exactly one rule")
        for k, rule in enumerate(rules):
            if not isinstance(rule, SegmentRule):
                kind = type(rule).__name__
                raise InputError(f"rule {k} of the segment table must be a SegmentRule, got {kind}")
        uses_m = self.uses_m
        owner = np.full((N_SCORES,) * 3, -1, dtype=np.int64)
        for k, rule in enumerate(rules):
            cells = owner[rule._slices()]
            taken = cells >= 0
            if taken.any():
                i, j, m = (int(x) for x in np.argwhere(taken)[0])
                sl = rule._slices()
                cell: tuple[int, ...] = (
                    sl[0].start + i + 1,
                    sl[1].start + j + 1,
                    sl[2].start + m + 1,
                )
                other = rules[int(cells[i, j, m])].name
                raise InputError(
                    f"segment table covers cell {_cell(cell, uses_m)} twice: "
                    f"by {other!r} and by {rule.name!r}"
                )
            owner[rule._slices()] = k
        empty = np.argwhere(owner < 0)
        if len(empty):
            cell = tuple(int(x) + 1 for x in empty[0])
            n_empty = len(empty) if uses_m else len(empty) // N_SCORES
            more = f" (and {n_empty - 1} more cells)" if n_empty > 1 else ""
            raise InputError(
                f"segment table leaves cell {_cell(cell, uses_m)} uncovered{more}; "
                "every cell needs exactly one rule"
            )
        name_index = {label_key(name): k for k, name in enumerate(self.names)}
        by_rule = np.array([name_index[label_key(rule.name)] for rule in rules], dtype=np.int64)
        lookup = by_rule[owner]
        lookup.flags.writeable = False
        object.__setattr__(self, "_lookup", lookup)

    @property
    def names(self) -> tuple[str, ...]:
        """Distinct segment names, in the order of the rules.

        Names alike by the label rule are one segment, shown as first spelled (outer
        spaces trimmed).
        """
        first: dict[str, str] = {}
        for rule in self.rules:
            first.setdefault(label_key(rule.name), rule.name.strip())
        return tuple(first.values())

    @property
    def uses_m(self) -> bool:
        """Whether any rule restricts ``m_score``."""
        return any(rule.m is not None for rule in self.rules)

    def segment_of(self, r: int, f: int, m: int | None = None) -> str:
        """Segment of one cell; ``m`` is needed only when the table uses it."""
        for name, value in (("r", r), ("f", f), ("m", m)):
            if value is None and name == "m":
                if self.uses_m:
                    raise InputError("this segment table uses m_score: give m")
                continue
            if not isinstance(value, int | np.integer) or not 1 <= value <= N_SCORES:
                raise InputError(f"{name} must be a score in 1..{N_SCORES}, got {value!r}")
        mm = 1 if m is None else m
        return self.names[int(self._lookup[r - 1, f - 1, mm - 1])]

    def assign(
        self, r_score: npt.ArrayLike, f_score: npt.ArrayLike, m_score: npt.ArrayLike
    ) -> npt.NDArray[np.str_]:
        """Segment name of each customer from its three scores (vectorized)."""
        r = np.asarray(r_score, dtype=np.int64) - 1
        f = np.asarray(f_score, dtype=np.int64) - 1
        m = np.asarray(m_score, dtype=np.int64) - 1
        names = np.array(self.names, dtype=np.str_)
        return names[self._lookup[r, f, m]]


def _cell(cell: tuple[int, ...], uses_m: bool) -> str:
    text = f"r={cell[0]}, f={cell[1]}"
    return f"{text}, m={cell[2]}" if uses_m else text


DEFAULT_SEGMENTS = SegmentTable(
    (
        SegmentRule("champions", r=(5, 5), f=(4, 5)),
        SegmentRule("loyal_customers", r=(3, 4), f=(4, 5)),
        SegmentRule("potential_loyalists", r=(4, 5), f=(2, 3)),
        SegmentRule("new_customers", r=(5, 5), f=(1, 1)),
        SegmentRule("promising", r=(4, 4), f=(1, 1)),
        SegmentRule("need_attention", r=(3, 3), f=(3, 3)),
        SegmentRule("about_to_sleep", r=(3, 3), f=(1, 2)),
        SegmentRule("at_risk", r=(1, 2), f=(3, 4)),
        SegmentRule("cant_lose", r=(1, 2), f=(5, 5)),
        SegmentRule("hibernating", r=(1, 2), f=(1, 2)),
    )
)
"""The widely used R x F segment map (ten segments; ``m_score`` not used)::

    r\\f  1               2               3               4                5
    5    new_customers   potential_loy.  potential_loy.  champions        champions
    4    promising       potential_loy.  potential_loy.  loyal_customers  loyal_customers
    3    about_to_sleep  about_to_sleep  need_attention  loyal_customers  loyal_customers
    2    hibernating     hibernating     at_risk         at_risk          cant_lose
    1    hibernating     hibernating     at_risk         at_risk          cant_lose
"""


def segment_table(segments: SegmentTable | Sequence[SegmentRule] | None) -> SegmentTable:
    """The segment table ``segments`` gives: :data:`DEFAULT_SEGMENTS` for ``None``."""
    if segments is None:
        return DEFAULT_SEGMENTS
    if isinstance(segments, SegmentTable):
        return segments
    if isinstance(segments, Sequence) and not isinstance(segments, str):
        return SegmentTable(tuple(segments))
    kind = type(segments).__name__
    raise InputError(f"segments must be a SegmentTable or a sequence of SegmentRule, got {kind}")
