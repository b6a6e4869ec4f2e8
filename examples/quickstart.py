"""Data -> Model -> Solve -> Report on a hand-made team of three."""

import fairlead as fl

leads = [
    {"id": "l-1", "score": 0.82, "product": "mortgage"},
    {"id": "l-2", "score": 0.35, "product": "cards"},
    {"id": "l-3", "score": 0.12, "product": "cards"},
    {"id": "l-4", "score": 0.64, "product": "cards"},
]
managers = [
    {"id": "anna", "level": "senior", "skills": "mortgage;cards", "max_active_leads": 10},
    {"id": "ben", "level": "junior", "skills": "cards", "max_active_leads": 10},
    {"id": "cleo", "level": "trainee", "skills": "cards", "max_active_leads": 10},
]
policy = fl.Policy(target_share="equal", balance_tolerance=0.5, hot_min_level="middle")

plan = fl.assign(leads, managers, policy=policy)

print(plan.assignments)
print(f"expected conversions: {plan.expected_value:.3f}")
print(plan.fairness)
print(plan.explain("l-4"))
