"""The online router's inputs: every bad one is a ``fairlead.InputError`` naming field,
id and value; products match skills by the label rule, exactly as in ``fl.assign``."""

import math
import unicodedata
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl
from fairlead.records import label_key

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
TEAM = [
    {"id": "a", "level": "senior", "skills": "loans", "max_active_leads": 5},
    {"id": "b", "skills": "cards", "max_active_leads": 5},
]


def router(**kwargs):
    return fl.Router(TEAM, {"balance_tolerance": None}, **kwargs)


@contextmanager
def raises(message, field, value):
    """The call inside must raise an InputError: this exact message, field and value."""
    with pytest.raises(fl.InputError, match=f"^{message}$") as info:
        yield
    error = info.value
    assert error.field == field
    both_nan = isinstance(value, float) and math.isnan(value) and math.isnan(error.value)
    assert both_nan or error.value == value


# --------------------------------------------------------------------------- CatchUp


@pytest.mark.parametrize(
    ("kwargs", "message", "field", "value"),
    [
        (
            {"fraction": 2},
            r"catch_up 'fraction': Input should be less than or equal to 1, got 2",
            "fraction",
            2,
        ),
        (
            {"fraction": math.nan},
            r"catch_up 'fraction': Input should be a finite number, got nan",
            "fraction",
            math.nan,
        ),
        (
            {"fraction": True},
            r"catch_up 'fraction': must be a number, not a boolean \(True\), got True",
            "fraction",
            True,
        ),
        (
            {"mode": "bogus"},
            r"catch_up 'mode': Input should be 'none', 'partial' or 'full', got 'bogus'",
            "mode",
            "bogus",
        ),
        (
            {"horizon": timedelta(days=-1)},
            r"catch_up: horizon must be positive, got datetime\.timedelta\(days=-1\)",
            "horizon",
            timedelta(days=-1),
        ),
        (
            {"horizon": 5},
            r"catch_up: horizon must be a timedelta \(e\.g\. timedelta\(days=5\)\), "
            r"not a number, got 5",
            "horizon",
            5,
        ),
        (
            {"speed": 1},
            r"catch_up 'speed': Extra inputs are not permitted, got 1",
            "speed",
            1,
        ),
    ],
)
def test_catch_up_refuses_bad_settings_with_an_input_error(kwargs, message, field, value):
    with raises(message, field, value):
        fl.CatchUp(**kwargs)
    # given to a router as a dict, the same words; the field says where it sits
    with raises(message, f"catch_up.{field}", value):
        router(catch_up=kwargs)


def test_catch_up_is_still_a_frozen_settings_record():
    rule = fl.CatchUp(mode="partial", fraction="0.25", horizon=timedelta(days=2))
    assert rule.owed_fraction == 0.25
    assert fl.CatchUp.model_validate({"mode": "full"}).owed_fraction == 1.0
    with pytest.raises(Exception, match="frozen"):
        rule.fraction = 0.5


# --------------------------------------------------------------------- leads by id


def test_release_and_contact_of_a_lead_never_routed():
    r = router()
    with raises(r"lead 'nope': never routed by this router", "lead_id", "nope"):
        r.release("nope", "won", NOW)
    with raises(r"lead 'nope': never routed by this router", "lead_id", "nope"):
        r.contact("nope", NOW)
    # the id rule: 7.0 is the lead '7'
    with raises(r"lead '7': never routed by this router", "lead_id", "7"):
        r.contact(7.0, NOW)
    # an id the rule refuses is named by the argument it came in
    with raises(r"lead id must be text or a whole number, got float 1\.5", "lead_id", 1.5):
        r.release(1.5, "won", NOW)
    with raises(r"manager id must be text or a whole number, got bool True", "manager_id", True):
        r.pause(True, NOW)


@pytest.mark.parametrize("outcome", ["maybe", "Won", None, 1])
def test_release_refuses_an_unknown_outcome(outcome):
    r = router()
    r.route({"id": "d", "score": 0.5}, NOW)
    with raises(
        rf"lead 'd': outcome must be one of 'won', 'lost', 'closed', got {outcome!r}",
        "outcome",
        outcome,
    ):
        r.release("d", outcome, NOW)
    r.release("d", "won", NOW)  # nothing was changed by the refusal


def test_release_as_another_outcome_and_contact_of_a_waiting_lead():
    r = router()
    r.route({"id": "d", "score": 0.5}, NOW)
    r.release("d", "won", NOW)
    r.release("d", "won", NOW)  # again the same: nothing to do
    with raises(r"lead 'd': already released as 'won', not 'lost'", "outcome", "lost"):
        r.release("d", "lost", NOW)
    r.pause("a", NOW)
    r.pause("b", NOW)
    assert r.route({"id": "w", "score": 0.5}, NOW).manager_id is None
    with raises(r"lead 'w': still waiting; no manager holds it yet", "lead_id", "w"):
        r.contact("w", NOW)
    r.release("w", "lost", NOW)
    with raises(
        r"lead 'w': released as 'lost' while it waited; a closed lead is not routed", "id", "w"
    ):
        r.route({"id": "w", "score": 0.5}, NOW)


# ------------------------------------------------------------------------ managers


def test_pause_and_resume_of_a_manager_not_on_the_team():
    r = router()
    with raises(r"manager 'zz': not on this router's team \('a', 'b'\)", "manager_id", "zz"):
        r.pause("zz", NOW)
    with raises(r"manager 'zz': not on this router's team \('a', 'b'\)", "manager_id", "zz"):
        r.resume("zz", NOW)


def test_a_large_team_is_listed_in_part():
    team = [{"id": f"m{k}", "max_active_leads": 1} for k in range(10)]
    r = fl.Router(team)
    listed = ", ".join(f"'m{k}'" for k in range(8))
    with raises(
        rf"manager 'x': not on this router's team \({listed} and 2 more\)", "manager_id", "x"
    ):
        r.pause("x", NOW)


# --------------------------------------------------------------------- fit, reprice

WINDOW = [{"id": "w0", "score": 0.5}, {"id": "w1", "score": 0.4}]


@pytest.mark.parametrize(
    ("values", "message", "value"),
    [
        (
            [[0.1, 0.2], [math.nan, 0.1]],
            r"values\[1, 0\] \(lead 'w1', manager 'a'\) must be finite, got nan",
            math.nan,
        ),
        (
            [[0.1, -math.inf], [0.1, 0.1]],
            r"values\[0, 1\] \(lead 'w0', manager 'b'\) must be finite, got -inf",
            -math.inf,
        ),
    ],
)
def test_fit_refuses_values_that_are_not_finite(values, message, value):
    r = router()
    with raises(message, "values", value):
        r.fit(WINDOW, values=values)
    with raises(message, "values", value):
        r.reprice(WINDOW, values=np.array(values), now=NOW)
    assert np.array_equal(r.prices_, np.zeros(2))


def test_fit_refuses_values_of_the_wrong_shape_or_kind():
    r = router()
    with pytest.raises(fl.InputError, match=r"^values must have shape \(2, 2\)") as info:
        r.fit(WINDOW, values=[[0.1, 0.2]])
    assert info.value.field == "values"
    with pytest.raises(fl.InputError, match=r"^values must hold numbers, got booleans$") as info:
        r.fit(WINDOW, values=[[True, False], [False, True]])
    assert info.value.field == "values"


@pytest.mark.parametrize(
    ("capacity", "message", "value"),
    [
        ([-1, 1], r"capacity\[0\] \(manager 'a'\) must be finite and >= 0, got -1\.0", -1.0),
        (
            [1, math.nan],
            r"capacity\[1\] \(manager 'b'\) must be finite and >= 0, got nan",
            math.nan,
        ),
        (
            [1, math.inf],
            r"capacity\[1\] \(manager 'b'\) must be finite and >= 0, got inf",
            math.inf,
        ),
        ("x", r"capacity must hold numbers, got <U1 \(e\.g\. 'x'\)", "x"),
        (["1", "2"], r"capacity must hold numbers, got <U1 \(e\.g\. '1'\)", ["1", "2"]),
        ([True, 1], r"capacity\[0\] \(manager 'a'\) must be a real number, got bool True", True),
        ([1, None], r"capacity must hold numbers, got None", [1, None]),
        ([1], r"capacity must have one number per manager \(2\), got shape \(1,\)", [1]),
        (3, r"capacity must have one number per manager \(2\), got shape \(\)", 3),
    ],
)
def test_fit_refuses_a_bad_capacity(capacity, message, value):
    r = router()
    with raises(message, "capacity", value):
        r.fit(WINDOW, capacity=capacity)
    assert np.array_equal(r.prices_, np.zeros(2))
    r.fit(WINDOW, capacity=[np.int64(1), 1.5])  # numbers of any numeric type


def test_a_model_value_that_is_not_finite_names_the_lead_and_manager():
    def model(leads, managers):
        out = np.full((len(leads), len(managers)), 0.5)
        out[:, 1] = math.nan
        return out

    r = router(model=model)
    with raises(
        r"the model gave lead 'x' a value for manager 'b' that is not finite: nan",
        "model",
        math.nan,
    ):
        r.route({"id": "x", "score": 0.5}, NOW)
    assert r.decision("x") is None


def test_every_refusal_is_still_a_value_error():
    # callers that caught ValueError before keep working
    assert issubclass(fl.InputError, ValueError)
    r = router()
    with pytest.raises(ValueError, match="never routed"):
        r.release("nope", "won", NOW)


# ------------------------------------------------------------------------- labels


def full_width(text):
    """``text`` with its printable ASCII in full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(
    ("skill", "product"),
    [
        ("Cards", "cards"),
        ("cards", " CARDS "),
        ("Credit Cards", "credit \u00a0  cards"),
        (full_width("Cards"), "cards"),
        ("cards", full_width("CARDS")),
        ("Ипотека", "ИПОТЕКА"),
        ("ипотека", " Ипотека\t"),
        ("Straße", "STRASSE"),
    ],
)
def test_the_router_matches_a_product_to_a_skill_by_the_label_rule(skill, product):
    team = [
        {"id": "a", "level": "senior", "skills": "other", "max_active_leads": 5},
        {"id": "b", "level": "junior", "skills": [skill], "max_active_leads": 5},
    ]
    lead = {"id": "l", "score": 0.4, "product": product}
    r = fl.Router(team, {"balance_tolerance": None})
    assert r.route(lead, NOW).manager_id == "b"
    assert fl.assign([lead], team, {"balance_tolerance": None}).assignments == {"l": "b"}


def test_a_product_nobody_sells_lists_the_skills_as_the_batch_does():
    team = [
        {"id": "a", "skills": "Cards", "max_active_leads": 5},
        {"id": "b", "skills": "cards;Mortgage", "max_active_leads": 5},
    ]
    lead = {"id": "l", "score": 0.4, "product": "Loans"}
    message = r"product 'Loans' is not a skill of any manager \(known skills: 'Cards', 'Mortgage'\)"
    with raises(rf"lead 'l': {message}", "product", "Loans"):
        fl.Router(team).route(lead, NOW)
    with pytest.raises(fl.InputError, match=rf"^lead 'l' \(row 0\): {message}$"):
        fl.assign([lead], team)


def test_many_spellings_of_one_product_route_alike():
    team = [
        {"id": "a", "skills": "loans", "max_active_leads": 10_000},
        {"id": "b", "skills": "Credit Cards", "max_active_leads": 10_000},
    ]
    r = fl.Router(team, {"balance_tolerance": None})
    # More spellings than the router remembers (inner runs of spaces are one space)
    spellings = [f"credit{' ' * k}CARDS" for k in range(1, 4200)]
    spellings += [full_width("CREDIT cards"), "credit cards"]
    for k, product in enumerate(spellings):
        lead = {"id": f"l{k}", "score": 0.4, "product": product}
        assert r.route(lead, NOW).manager_id == "b"


# Words of Latin and Cyrillic letters (with Yo), digits and a few marks, as typed in a CRM.
WORDS = st.text(
    alphabet=st.sampled_from("abcdefgABCDEFG0123-&." + "абвгдёАБВГДЁЖжЯя"),
    min_size=1,
    max_size=5,
)
LABELS = st.lists(WORDS, min_size=1, max_size=2).map(" ".join)
SPACES = st.text(alphabet=st.sampled_from(" \t\u00a0\u3000"), max_size=2)


@st.composite
def retyped(draw, label):
    """``label`` typed again: case, outer and inner spaces, full width, normal form."""
    words = label.split(" ")
    case = draw(st.sampled_from([str.upper, str.lower, str.title, str.swapcase, str]))
    gaps = [draw(SPACES) + " " for _ in words[1:]]
    text = words[0] + "".join(g + w for g, w in zip(gaps, words[1:], strict=True))
    text = draw(SPACES) + case(text) + draw(SPACES)
    if draw(st.booleans()):
        text = full_width(text)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    return text


@st.composite
def teams_and_products(draw):
    """Four managers (one per level) holding spellings of a few labels, and a product."""
    labels = draw(st.lists(LABELS, min_size=1, max_size=3))
    levels = ["trainee", "junior", "middle", "senior"]
    team = []
    for k, level in enumerate(levels):
        held = draw(st.lists(st.sampled_from(labels), max_size=2))
        skills = [draw(retyped(label)) for label in held]
        team.append({"id": f"m{k}", "level": level, "skills": skills, "max_active_leads": 9})
    product = draw(retyped(draw(st.sampled_from([*labels, draw(LABELS)]))))
    return team, product


@settings(max_examples=60, deadline=None)
@given(teams_and_products())
def test_router_and_assign_agree_on_eligibility(case):
    """Who may take a lead, read off both paths: the same managers, by the label rule."""
    team, product = case
    m = len(team)
    policy = {"balance_tolerance": None, "hot_min_level": None}
    leads = [{"id": f"x{j}", "score": 0.4, "product": product} for j in range(m)]
    # Lead j is worth 1 with manager j and 0 with the others: it goes to j exactly
    # when j may take it, on both paths.
    values = np.eye(m)
    key = label_key(product)
    expected = [any(label_key(s) == key for s in mg["skills"]) for mg in team]
    r = fl.Router(team, policy)
    if not any(expected):
        with pytest.raises(fl.InputError, match="is not a skill of any manager"):
            r.route(leads[0], NOW, value=values[0])
        with pytest.raises(fl.InputError, match="is not a skill of any manager"):
            fl.assign(leads, team, policy, model=values)
        return
    routed = [r.route(lead, NOW, value=values[j]).manager_id for j, lead in enumerate(leads)]
    plan = fl.assign(leads, team, policy, model=values)
    by_router = [routed[j] == f"m{j}" for j in range(m)]
    by_assign = [plan.assignments[f"x{j}"] == f"m{j}" for j in range(m)]
    assert by_router == by_assign == expected
    # and with the default values (score times level factor), the same choice
    lead = {"id": "y", "score": 0.4, "product": product}
    best = fl.Router(team, policy).route(lead, NOW).manager_id
    assert best == fl.assign([lead], team, policy).assignments["y"]
