"""Points-based lead scoring that a sales ops person configures (HubSpot / Marketo style).

:class:`RuleScorer` applies a :class:`RuleConfig` (points per group, caps, decay,
tiers; see :mod:`fairlead.scoring._rule_config`) with :func:`rule_points`, and
learns on past outcomes a calibrator that turns points into a conversion
probability. This module holds the estimator only: the config lives in
``_rule_groups`` and ``_rule_config``, the points in ``_rule_points``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt

from fairlead.records import InputError
from fairlead.scoring._calibration import (
    Calibrator,
    FloatArray,
    IsotonicCalibrator,
    NotFittedError,
    PlattCalibrator,
)
from fairlead.scoring._params import ParamsMixin
from fairlead.scoring._rule_config import DEFAULT_RULES, ConfigLike, RuleConfig
from fairlead.scoring._rule_points import rule_breakdown, rule_points, rule_tiers

__all__ = ["RuleScorer"]


def _make_calibrator(spec: object) -> Calibrator:
    if isinstance(spec, str):
        if spec == "isotonic":
            return IsotonicCalibrator()
        if spec == "platt":
            return PlattCalibrator()
        raise InputError(
            f"calibration must be 'isotonic', 'platt' or a calibrator object, got {spec!r}"
        )
    if isinstance(spec, Calibrator):
        return copy.deepcopy(spec)
    raise InputError(
        "calibration must be 'isotonic', 'platt' or an object with fit(scores, y, "
        f"sample_weight) and predict(scores), got {type(spec).__name__}"
    )


class RuleScorer(ParamsMixin):
    """Points-based lead scoring from configured rules, calibrated to conversion on history.

    :meth:`points`, :meth:`breakdown` and :meth:`tier` apply the rules and need
    no fitting. :meth:`fit` learns, on past leads and their outcomes, how points
    map to a conversion probability; :meth:`predict_proba` then gives it for new
    leads.

    Parameters
    ----------
    config : RuleConfig, dict, JSON text or path, default DEFAULT_RULES
        The rules (see :class:`RuleConfig`).
    calibration : {"isotonic", "platt"} or calibrator, default "isotonic"
        How points become probabilities: :class:`IsotonicCalibrator` (monotone,
        no shape assumed; wants a few hundred outcomes), :class:`PlattCalibrator`
        (logistic in points; fine with fewer), or any object with
        ``fit(scores, y, sample_weight)`` and ``predict(scores)`` (copied at fit).

    Both are checked by :meth:`fit`; ``get_params`` / ``set_params`` work as in
    scikit-learn (so does ``sklearn.base.clone``).

    Attributes
    ----------
    config_ : RuleConfig
        The validated rules :meth:`fit` used; :meth:`predict_proba` scores with
        them (refit after changing ``config``).
    calibrator_ : Calibrator
        The fitted points -> probability map.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> leads = [
    ...     {"source": str(rng.choice(["referral", "website", "cold_call"])),
    ...      "response_minutes": float(rng.exponential(120)),
    ...      "events": {"pricing_page_view": int(rng.poisson(1))},
    ...      "purchases": 0, "spend": 0.0, "contacts": int(rng.poisson(0.5)),
    ...      "created_at": "2024-05-01"}
    ...     for _ in range(400)
    ... ]
    >>> scorer = RuleScorer(calibration="platt")
    >>> points = scorer.points(leads, now="2024-05-03")
    >>> y = (rng.random(400) < points / 100).astype(int)  # more points, more sales
    >>> p = scorer.fit(leads, y, now="2024-05-03").predict_proba(leads, now="2024-05-03")
    >>> bool(np.all(np.diff(p[np.argsort(points)]) >= 0))
    True
    >>> scorer.tier(leads[:3], now="2024-05-03").tolist()
    ['cold', 'hot', 'warm']
    """

    config_: RuleConfig
    calibrator_: Calibrator

    def __init__(
        self,
        *,
        config: ConfigLike = DEFAULT_RULES,
        calibration: Literal["isotonic", "platt"] | Calibrator = "isotonic",
    ) -> None:
        self.config = config
        self.calibration = calibration

    def __repr__(self) -> str:
        default = isinstance(self.config, RuleConfig) and self.config == DEFAULT_RULES
        shown = "DEFAULT_RULES" if default else "..."
        return f"RuleScorer(config={shown}, calibration={self.calibration!r})"

    def _rules(self) -> RuleConfig:
        return RuleConfig.coerce(self.config)

    def breakdown(self, records: Any, *, now: Any = None) -> dict[str, FloatArray]:
        """Points per group per lead and the decay, for explanations.

        See :func:`rule_breakdown`.
        """
        return rule_breakdown(records, self._rules(), now=now)

    def points(self, records: Any, *, now: Any = None) -> FloatArray:
        """Total points per lead, shape (n,).

        Records and ``now`` are read as :func:`rule_breakdown` reads them: a bad
        value, an id the id rule refuses (NaN, ``1.5``) or a lead created after
        ``now`` by more than 15 minutes of clock skew is an :class:`InputError`
        naming the lead, the field and the value.
        """
        return rule_points(records, self._rules(), now=now)

    def tier(self, records: Any, *, now: Any = None) -> npt.NDArray[np.str_]:
        """``"hot"``, ``"warm"`` or ``"cold"`` per lead, from the points and the tier thresholds."""
        rules = self._rules()
        return rule_tiers(rule_points(records, rules, now=now), rules.tiers)

    def fit(
        self,
        records: Any,
        y: npt.ArrayLike,
        *,
        now: Any = None,
        sample_weight: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit the calibrator on the points of past leads and their outcomes ``y`` (0/1).

        ``now`` should be when each lead was scored (one time, or one per lead),
        so that decay matches what the team saw.
        """
        rules = self._rules()
        calibrator = _make_calibrator(self.calibration)
        points = rule_points(records, rules, now=now)
        n_outcomes = int(np.shape(y)[0]) if np.ndim(y) else -1
        if np.ndim(y) != 1 or n_outcomes != points.size:
            raise InputError(
                f"y must hold one outcome per lead: {points.size} leads, got shape {np.shape(y)}"
            )
        calibrator.fit(points, y, sample_weight)
        self.config_ = rules
        self.calibrator_ = calibrator
        return self

    def predict_proba(self, records: Any, *, now: Any = None) -> FloatArray:
        """Calibrated conversion probability per lead, shape (n,)."""
        if not hasattr(self, "calibrator_"):
            raise NotFittedError(
                "this RuleScorer is not fitted yet: call fit(records, y) with past outcomes "
                "first (points(), breakdown() and tier() work without fitting)"
            )
        points = rule_points(records, self.config_, now=now)
        return np.asarray(self.calibrator_.predict(points), dtype=np.float64)
