"""From records and a policy to an assignment problem.

Who may take which lead (eligibility), how much each manager can take and should get
(capacity, availability, target shares), what each pair is worth (value), and
:func:`build_problem`, which puts these together as an
:class:`~fairlead.core.AssignmentProblem`.
"""

from fairlead.policy._availability import Absence, Calendar, WorkingHours
from fairlead.policy._build import Built, Exclusions, build_problem, with_value_band
from fairlead.policy._capacity import (
    CapacityPlan,
    effort_factors,
    effort_room,
    plan_capacity,
    share_weights,
    water_fill,
)
from fairlead.policy._eligibility import check_skills, hot_below_level, lead_tiers, why_ineligible
from fairlead.policy._value import (
    ValueModel,
    is_conversion_model,
    level_factor_value,
    model_value,
)

__all__ = [
    "Absence",
    "Built",
    "Calendar",
    "CapacityPlan",
    "Exclusions",
    "ValueModel",
    "WorkingHours",
    "build_problem",
    "check_skills",
    "effort_factors",
    "effort_room",
    "hot_below_level",
    "is_conversion_model",
    "lead_tiers",
    "level_factor_value",
    "model_value",
    "plan_capacity",
    "share_weights",
    "water_fill",
    "why_ineligible",
    "with_value_band",
]
