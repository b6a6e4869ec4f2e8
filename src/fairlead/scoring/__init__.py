"""Scoring: how hot a lead is, where each client stands, and who converts whom.

- :class:`ConversionModel`: p(convert | lead, manager) from history, with manager
  effects per segment shrunk by empirical Bayes.
- :func:`manager_performance`: conversion, deal size and response time per manager.
"""

from fairlead.scoring._conversion import ConversionModel
from fairlead.scoring._logistic import LogisticModel
from fairlead.scoring._performance import ManagerPerformance, manager_performance

__all__ = [
    "ConversionModel",
    "LogisticModel",
    "ManagerPerformance",
    "manager_performance",
]
