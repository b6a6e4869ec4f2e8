"""Scoring: how hot a lead is, where each client stands, and who converts whom.

- :class:`RuleScorer`: points a sales ops person configures (source, response
  speed, engagement, purchases, contacts, decay), tiers, and a calibration of
  points to a conversion probability.
- :class:`ConversionModel`: p(convert | lead, manager) from history, with manager
  effects per segment shrunk by empirical Bayes.
- :func:`rfm` and :func:`clv_summary`: recency, frequency, monetary value of the
  client base, segments (champions … hibernating), lifetimes-compatible summary.
- :func:`touch_plan`: which existing clients each manager should contact and why.
- :func:`manager_performance`: conversion, deal size and response time per manager.
- Calibration tools and metrics: :class:`IsotonicCalibrator`,
  :class:`PlattCalibrator`, :func:`roc_auc`, :func:`brier_score`, …
"""

from fairlead.scoring._calibration import (
    CalibrationTable,
    IsotonicCalibrator,
    NotFittedError,
    PlattCalibrator,
    brier_score,
    calibration_table,
    expected_calibration_error,
    log_loss,
    roc_auc,
)
from fairlead.scoring._conversion import ConversionModel
from fairlead.scoring._logistic import LogisticModel
from fairlead.scoring._performance import ManagerPerformance, manager_performance
from fairlead.scoring._rfm import rfm
from fairlead.scoring._rfm_clv import clv_summary
from fairlead.scoring._rfm_segments import DEFAULT_SEGMENTS, SegmentRule, SegmentTable
from fairlead.scoring._rule_config import DEFAULT_RULES, RuleConfig
from fairlead.scoring._rule_groups import (
    ContactFrequencyRules,
    EngagementRules,
    FieldNames,
    PercentDecay,
    PurchaseHistoryRules,
    ResponseSpeedRules,
    SourceRules,
    TierThresholds,
    WindowDecay,
)
from fairlead.scoring._rules import RuleScorer
from fairlead.scoring._shrinkage import fit_prior_strength, shrink_rates
from fairlead.scoring._touch import (
    DEFAULT_TOUCH_RULES,
    TouchPlan,
    TouchRule,
    TouchRules,
    TouchTask,
    touch_plan,
)

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_SEGMENTS",
    "DEFAULT_TOUCH_RULES",
    "CalibrationTable",
    "ContactFrequencyRules",
    "ConversionModel",
    "EngagementRules",
    "FieldNames",
    "IsotonicCalibrator",
    "LogisticModel",
    "ManagerPerformance",
    "NotFittedError",
    "PercentDecay",
    "PlattCalibrator",
    "PurchaseHistoryRules",
    "ResponseSpeedRules",
    "RuleConfig",
    "RuleScorer",
    "SegmentRule",
    "SegmentTable",
    "SourceRules",
    "TierThresholds",
    "TouchPlan",
    "TouchRule",
    "TouchRules",
    "TouchTask",
    "WindowDecay",
    "brier_score",
    "calibration_table",
    "clv_summary",
    "expected_calibration_error",
    "fit_prior_strength",
    "log_loss",
    "manager_performance",
    "rfm",
    "roc_auc",
    "shrink_rates",
    "touch_plan",
]
