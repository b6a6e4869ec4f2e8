"""Plan.explain finds a lead through an index built once, not a scan per call."""

import re

import pytest

import fairlead as fl


class CountingTuple(tuple):
    """A tuple that counts how often it is iterated over."""

    iterations = 0

    def __iter__(self):
        type(self).iterations += 1
        return super().__iter__()


def make_plan(n: int = 30) -> fl.Plan:
    leads = [{"id": f"l-{k:03d}", "score": (k % 10) / 10} for k in range(n)]
    managers = [
        {"id": "ann", "level": "senior", "max_active_leads": n},
        {"id": "bob", "level": "junior", "max_active_leads": n},
    ]
    return fl.assign(leads, managers, policy={"balance_tolerance": None})


def test_explain_does_not_scan_the_leads_on_every_call():
    plan = make_plan()
    before = {lead.id: str(plan.explain(lead.id)) for lead in plan.leads}
    fresh = make_plan()
    CountingTuple.iterations = 0
    object.__setattr__(fresh, "leads", CountingTuple(fresh.leads))
    after = {lead_id: str(fresh.explain(lead_id)) for lead_id in before}
    # one pass to build the index (on the first call), none per call after that
    assert CountingTuple.iterations <= 1
    assert after == before


def test_explain_results_and_errors_are_unchanged():
    plan = make_plan(5)
    e = plan.explain("l-003")
    assert e.lead_id == "l-003"
    assert e.manager_id == plan.assignments["l-003"]
    assert plan.explain("l-003") == e
    with pytest.raises(KeyError, match=re.escape("no lead with id 'l-999' in this plan")):
        plan.explain("l-999")
    with pytest.raises(KeyError, match=re.escape("no lead with id '3' in this plan")):
        plan.explain(3)  # type: ignore[arg-type]
