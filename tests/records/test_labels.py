"""The label rule: skills, products, levels and tiers match by case, spacing and width."""

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl
from fairlead.policy import lead_tiers, level_factor_value, why_ineligible
from fairlead.policy._eligibility import eligibility
from fairlead.records import label_key


def full_width(text):
    """``text`` with its printable ASCII letters in full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def manager(mid, skills, **fields):
    return fl.Manager(id=mid, skills=skills, max_active_leads=5, **fields)


# --------------------------------------------------------------------------- label_key


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("Cards", "cards"),
        ("  cards\t", "cards"),
        ("Credit \u00a0  Cards", "credit cards"),
        (full_width("Cards"), "cards"),
        ("Ипотека", "ипотека"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("\u212b", "\u00e5"),  # the angstrom sign is the letter a-ring
    ],
)
def test_label_key_examples(given, key):
    assert label_key(given) == key


# Letters whose upper and lower case map back: Latin, Cyrillic (with Yo), digits, marks.
CYRILLIC = "".join(chr(c) for c in range(0x410, 0x450)) + "\u0401\u0451"
WORDS = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.&/" + CYRILLIC
    ),
    min_size=1,
    max_size=8,
)
LABELS = st.lists(WORDS, min_size=1, max_size=3).map(" ".join)
SPACES = st.text(alphabet=st.sampled_from(" \t\u00a0\u3000"), max_size=3)


@st.composite
def respelled(draw):
    """A label and the same label retyped: case, outer and inner spaces, full width."""
    label = draw(LABELS)
    words = label.split(" ")
    case = draw(st.sampled_from([str.upper, str.lower, str.title, str.swapcase, str]))
    gaps = [draw(SPACES.map(lambda s: s + " ")) for _ in words[1:]]
    text = words[0] + "".join(g + w for g, w in zip(gaps, words[1:], strict=True))
    text = draw(SPACES) + case(text) + draw(SPACES)
    if draw(st.booleans()):
        text = full_width(text)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    return label, text


@given(respelled())
def test_label_key_ignores_case_spacing_width_and_normal_form(pair):
    label, retyped = pair
    assert label_key(retyped) == label_key(label)


@given(st.text())
def test_label_key_is_idempotent(text):
    assert label_key(label_key(text)) == label_key(text)


# --------------------------------------------------------------------------- skills


def test_managers_with_differently_cased_skills_both_get_the_leads():
    leads = [{"id": f"l{k}", "score": 0.2, "product": "cards"} for k in range(4)]
    managers = [manager("a", "cards"), manager("b", "Cards")]
    plan = fl.assign(leads, managers, {"balance_tolerance": 0.0})
    assert sorted(plan.assignments.values()) == ["a", "a", "b", "b"]


def test_russian_labels_match_whatever_the_case():
    leads = [{"id": f"l{k}", "score": 0.2, "product": "Ипотека"} for k in range(4)]
    managers = [manager("a", "ипотека"), manager("b", "ИПОТЕКА;кредиты")]
    plan = fl.assign(leads, managers, {"balance_tolerance": 0.0})
    assert sorted(plan.assignments.values()) == ["a", "a", "b", "b"]


def test_spacing_and_full_width_do_not_split_a_skill():
    leads = [fl.Lead(id="l", score=0.2, product=" Credit  Cards ")]
    managers = [manager("a", [full_width("credit cards")]), manager("b", "loans")]
    tiers = lead_tiers(leads, fl.Policy())
    allowed = eligibility(leads, managers, tiers, fl.Policy())
    assert allowed.tolist() == [[True, False]]


def test_a_skill_given_twice_in_one_record_is_one_skill_kept_as_first_spelled():
    assert manager("a", "cards;Cards").skills == {"cards"}
    assert manager("a", "Cards, cards ,CARDS|loans").skills == {"Cards", "loans"}
    assert manager("a", ["Ипотека", "ипотека"]).skills == {"Ипотека"}
    # a set has no order: the spelling kept is the first in sorted order
    assert manager("a", {"cards", "Cards"}).skills == {"Cards"}
    assert manager("a", "Cards;cards").skill_keys == {"cards"}


def test_a_product_no_manager_sells_lists_the_skills_as_spelled():
    leads = [{"id": "l", "score": 0.2, "product": "Loans"}]
    managers = [manager("a", "Cards"), manager("b", "cards;Mortgage")]
    with pytest.raises(
        fl.InputError,
        match=r"product 'Loans' is not a skill of any manager "
        r"\(known skills: 'Cards', 'Mortgage'\)",
    ):
        fl.assign(leads, managers)


def test_a_blank_product_is_no_product():
    assert fl.Lead(id="l", score=0.2, product="  ").product is None
    assert fl.Lead(id="l", score=0.2, product=" cards ").product == "cards"
    assert fl.Lead(id="l", score=0.2, segment="\tVIP ").segment == "VIP"
    assert fl.Lead(id="l", score=0.2, source=" web").source == "web"


def test_explanations_use_the_label_rule():
    lead = fl.Lead(id="l", score=0.2, product="CARDS")
    policy = fl.Policy()
    ok = why_ineligible(lead, fl.Tier.COLD, manager("a", "cards"), policy)
    missing = why_ineligible(lead, fl.Tier.COLD, manager("b", "loans"), policy)
    assert ok is None
    assert missing == "lacks the skill 'CARDS'"


@settings(max_examples=60, deadline=None)
@given(respelled(), respelled(), st.integers(min_value=0, max_value=1))
def test_eligibility_is_invariant_under_respelling(skill, product, other):
    """A manager may take a lead exactly when the product's key is among the skills'."""
    (skill_label, skill_text), (product_label, product_text) = skill, product
    leads = [fl.Lead(id="x", score=0.2, product=product_text)]
    managers = [manager("a", [skill_text]), manager("b", [product_label])]
    tiers = lead_tiers(leads, fl.Policy())
    allowed = eligibility(leads, managers, tiers, fl.Policy())
    same = label_key(skill_label) == label_key(product_label)
    assert allowed.tolist() == [[same, True]]
    assert managers[other].has_skill(product_text) == bool(allowed[0, other])


# --------------------------------------------------------------------------- levels, tiers


SENIOR_SPELLINGS = [
    "senior",
    "Senior ",
    "SENIOR",
    " senior\t",
    full_width("senior"),
    full_width("S") + "enior",
]


@pytest.mark.parametrize("spelled", SENIOR_SPELLINGS)
def test_levels_are_read_by_the_label_rule(spelled):
    assert fl.Level(spelled) is fl.Level.SENIOR
    assert manager("a", "", level=spelled).level is fl.Level.SENIOR
    assert fl.Policy(hot_min_level=spelled).hot_min_level is fl.Level.SENIOR


@pytest.mark.parametrize("spelled", ["HOT", " Hot", full_width("hot")])
def test_tiers_are_read_by_the_label_rule(spelled):
    assert fl.Tier(spelled) is fl.Tier.HOT
    assert fl.Lead(id="l", score=0.1, tier=spelled).tier is fl.Tier.HOT


def test_an_unknown_level_is_still_refused():
    with pytest.raises(ValueError, match="'seniour' is not a valid Level"):
        fl.Level("seniour")
    with pytest.raises(fl.InputError, match=r"^manager 'a': 'level' Input should be 'trainee'"):
        manager("a", "", level="boss")


def test_level_factors_read_tiers_and_levels_by_the_label_rule():
    table = {
        tier.upper(): {f" {level.title()}": 1.0 for level in ("trainee", "junior", "middle")}
        for tier in ("hot", "warm", "cold")
    }
    for row in table.values():
        row[full_width("SENIOR")] = 2.0
    policy = fl.Policy(level_factors=table, effort_by_level={"Senior": 0.5})
    assert policy.level_factors[fl.Tier.HOT][fl.Level.SENIOR] == 2.0
    assert policy.effort_by_level == {fl.Level.SENIOR: 0.5}


def test_a_tier_or_level_named_twice_is_refused():
    table = {tier.value: {level.value: 1.0 for level in fl.Level} for tier in fl.Tier}
    with pytest.raises(
        fl.InputError, match=r"^policy: level_factors names tier 'hot' twice \('hot' and 'HOT'\)$"
    ):
        fl.Policy(level_factors={**table, "HOT": table["hot"]})
    doubled = {**table, "warm": {**table["warm"], "Junior ": 2.0}}
    with pytest.raises(
        fl.InputError,
        match=r"^policy: level_factors\['warm'\] names level 'junior' twice "
        r"\('junior' and 'Junior '\)$",
    ):
        fl.Policy(level_factors=doubled)
    with pytest.raises(fl.InputError, match=r"effort_by_level names level 'senior' twice"):
        fl.Policy(effort_by_level={"senior": 0.5, "SENIOR": 0.8})


def test_values_by_level_follow_the_label_rule():
    leads = [fl.Lead(id="l", score=0.5, tier="HOT")]
    managers = [manager("a", "", level="Senior"), manager("b", "", level="TRAINEE")]
    values = level_factor_value(leads, managers, [fl.Tier.HOT], fl.Policy())
    np.testing.assert_allclose(values, [[0.625, 0.25]])
