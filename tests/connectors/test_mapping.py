"""A team's mapping: CRM fields to leads, CRM users to managers, errors naming the CRM field."""

from __future__ import annotations

import pytest

import fairlead as fl
from fairlead.connectors import CrmLead, CrmMapping, CrmUser


def lead(**fields) -> CrmLead:
    return CrmLead("1000983", fields, amount=12500.0, source="WEB")


def test_fields_and_their_values_become_the_leads_fields():
    mapping = CrmMapping(
        product={"field": "UF_CRM_PRODUCT", "values": {"41": "loans", "42": "cards"}},
        segment={"field": "UF_CRM_SEGMENT", "default": "retail"},
        source={"field": "SOURCE_ID", "values": {"WEB": "web", "CALL": "phone"}},
        score={"field": "UF_CRM_SCORE"},
        tier={"field": "UF_CRM_TIER", "values": {"A": "hot", "B": "warm"}},
        features={"city": "ADDRESS_CITY"},
    )
    found = mapping.lead(
        lead(
            UF_CRM_PRODUCT="42",
            SOURCE_ID="CALL",
            UF_CRM_SCORE="0,75",
            UF_CRM_TIER="A",
            ADDRESS_CITY="Kazan",
        ),
        crm="bitrix24",
    )
    assert (found.id, found.product, found.segment, found.source) == (
        "1000983",
        "cards",
        "retail",
        "phone",
    )
    assert (found.score, found.tier, found.deal_value) == (0.75, fl.Tier.HOT, 12500.0)
    assert found.features == {"city": "Kazan"}


def test_a_value_outside_the_mapped_ones_names_the_crm_field_lead_and_value():
    mapping = CrmMapping(
        product={"field": "UF_CRM_PRODUCT", "values": {"41": "loans"}, "only_listed": True}
    )
    with pytest.raises(
        fl.InputError,
        match=r"bitrix24 field 'UF_CRM_PRODUCT' of lead '1000983' is not one of the mapped "
        r"values \(41\), got '77'",
    ) as err:
        mapping.lead(lead(UF_CRM_PRODUCT="77"), crm="bitrix24")
    assert err.value.field == "UF_CRM_PRODUCT"
    assert err.value.value == "77"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("high", r"field 'UF_CRM_SCORE' of lead '1000983' must be a number \(score\), got 'high'"),
        (
            "1.5",
            r"bitrix24: lead '1000983': 'score' Input should be less than or equal to 1, got 1.5 "
            r"\(from the CRM field 'UF_CRM_SCORE'\)",
        ),
    ],
)
def test_a_score_that_is_no_probability_is_refused_in_words(value, message):
    mapping = CrmMapping(score={"field": "UF_CRM_SCORE"})
    with pytest.raises(fl.InputError, match=message):
        mapping.lead(lead(UF_CRM_SCORE=value), crm="bitrix24")


def test_a_tier_that_is_none_of_hot_warm_cold_is_refused():
    mapping = CrmMapping(tier={"field": "UF_CRM_TIER"})
    with pytest.raises(
        fl.InputError, match=r"'UF_CRM_TIER' of lead '1000983' must be hot, warm or cold, got 'VIP'"
    ):
        mapping.lead(lead(UF_CRM_TIER="VIP"), crm="bitrix24")


def test_a_mapping_with_an_unknown_key_is_refused():
    with pytest.raises(fl.InputError, match="mapping 'prodcut'"):
        CrmMapping(prodcut={"field": "X"})


def test_users_become_managers_by_departments_skills_and_levels():
    users = [
        CrmUser("1", "Anna Petrova", groups=("5",)),
        CrmUser("2", "Boris Ivanov", groups=("5", "7")),
        CrmUser("3", "Fired", active=False, groups=("5",)),
        CrmUser("4", "Accountant", groups=("9",)),
    ]
    mapping = CrmMapping(
        managers={
            "groups": ["5", "7"],
            "skills_by_group": {"5": ["loans"], "7": ["cards"]},
            "level_by_group": {"5": "junior", "7": "senior"},
            "levels": {"1": "trainee"},
            "capacity": {"2": 40},
            "max_active_leads": 25,
        }
    )
    managers = mapping.managers_of(users)
    assert [
        (m.id, m.name, sorted(m.skills), m.level.value, m.max_active_leads) for m in managers
    ] == [
        ("1", "Anna Petrova", ["loans"], "trainee", 25),
        ("2", "Boris Ivanov", ["cards", "loans"], "senior", 40),
    ]
