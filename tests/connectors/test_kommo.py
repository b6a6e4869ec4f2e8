"""amoCRM / Kommo: webhooks read (the captured bodies), and the API against the local fake."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fakes._serve import serving
from fakes.kommo import WON_STATUS_ID, FakeKommo

from fairlead.connectors import (
    CrmError,
    LeakyBucket,
    WebhookRefusedError,
    connector_class,
    list_connectors,
)
from fairlead.connectors.kommo import BATCH, Kommo, KommoHttp, lead_of

FIXTURES = Path(__file__).parent / "fixtures" / "kommo"
TOKEN = "long-lived-token"
SECRET = "Xq3v9sJ2-path-secret"
NOW = datetime(2025, 4, 13, tzinfo=UTC)
OAUTH = {
    "client_id": "fairlead-client-id",
    "client_secret": "fairlead-client-secret",
    "redirect_uri": "https://fairlead.example/oauth/amocrm",
    "refresh_token": "initial-refresh-token",
}


def body_of(name: str) -> bytes:
    return (FIXTURES / name).read_text(encoding="utf-8").strip().encode()


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def account(**more: Any) -> Kommo:
    return Kommo({"base_url": "https://unirock.amocrm.ru", "access_token": TOKEN, **more})


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.fixture
def fake() -> Iterator[FakeKommo]:
    with FakeKommo(retry_after=1) as fake:
        yield fake


@pytest.fixture
def base(fake: FakeKommo) -> Iterator[str]:
    with serving(fake.app) as url:
        yield url


@pytest.fixture
def connect(base: str) -> Iterator[Any]:
    made: list[Kommo] = []

    def make(**more: Any) -> Kommo:
        settings = {"base_url": base, "access_token": TOKEN, "backoff": 0.05, **more}
        made.append(Kommo({k: v for k, v in settings.items() if v is not None}))
        return made[-1]

    yield make
    for crm in made:
        crm.close()


# ------------------------------------------------------------------------------------ registry


def test_kommo_is_registered_by_name() -> None:
    assert "kommo" in list_connectors()
    assert connector_class("kommo") is Kommo
    assert Kommo.write_batch == BATCH == 50
    assert Kommo.path_secret is True


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"base_url": "example.amocrm.ru", "access_token": TOKEN}, "'base_url' must be"),
        ({"base_url": "ftp://example.amocrm.ru", "access_token": TOKEN}, "'base_url' must be"),
        ({"access_token": TOKEN}, "'base_url' must be"),
        ({"base_url": "https://example.amocrm.ru"}, "need 'access_token'"),
        (
            {"base_url": "https://example.kommo.com", **OAUTH, "redirect_uri": ""},
            "need 'redirect_uri' with 'refresh_token'",
        ),
        ({"base_url": "https://x.kommo.com", "access_token": TOKEN, "rate": 0}, "'rate'"),
        ({"base_url": "https://x.kommo.com", **OAUTH, "expires_at": "soon"}, "'expires_at'"),
    ],
)
def test_settings_are_checked(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Kommo(settings)


def test_secrets_stay_out_of_the_settings_errors() -> None:
    with pytest.raises(ValueError, match="'base_url'") as err:
        Kommo({"base_url": "nowhere", **OAUTH})
    assert OAUTH["client_secret"] not in str(err.value)
    assert OAUTH["refresh_token"] not in str(err.value)


# ------------------------------------------------------------------------------------ webhooks


@pytest.mark.parametrize(
    ("name", "kind", "lead", "key", "when", "fields"),
    [
        (
            "leads_add.form.txt", "added", "30052055", "add:30052055:1744532875", 1744532875,
            {"responsible_user_id": "2852878", "status_id": "17944873", "pipeline_id": "936736",
             "name": "TEST MISHA (SORRY)", "modified_user_id": "2852878"},
        ),
        (
            "leads_add_2016.form.txt", "added", "31926529", "add:31926529:1456824464", 1456824464,
            {"price": "24234", "responsible_user_id": "102525", "cf_1119321": "asdfdsf"},
        ),
        (
            "leads_update.form.txt", "updated", "30052055", "update:30052055:1744532876",
            1744532876,
            {"modified_user_id": "0", "updated_at": "1744532876", "cf_957901": "30052055"},
        ),
        (
            "leads_status_2016.form.txt", "stage_changed", "31926520",
            "status:31926520:1456820780", 1456820780,
            {"status_id": "10216994", "old_status_id": "10216995", "cf_1119321": "some text"},
        ),
        (
            "leads_responsible.form.txt", "owner_changed", "31926520",
            "responsible:31926520:1456822527", 1456822527,
            {"responsible_user_id": "938348", "old_responsible_user_id": "102525"},
        ),
    ],
)  # fmt: skip
def test_the_captured_bodies_are_read(
    name: str, kind: str, lead: str, key: str, when: int, fields: dict[str, str]
) -> None:
    body = body_of(name)
    crm = account()
    crm.check_webhook(body, {}, SECRET, NOW)
    [event] = crm.parse_webhook(body, {})
    assert (event.kind, event.crm_lead_id, event.key, event.at) == (kind, lead, key, at(when))
    assert fields.items() <= event.fields.items()
    assert all(isinstance(v, str) for v in event.fields.values())
    assert not any("[" in k for k in event.fields)


def test_bodies_without_a_time_are_keyed_by_their_content() -> None:
    crm = account()
    [status] = crm.parse_webhook(body_of("leads_status.form.txt"), {})
    assert (status.kind, status.crm_lead_id, status.at) == ("stage_changed", "10754147", None)
    assert status.fields == {
        "id": "10754147",
        "status_id": "54423922",
        "pipeline_id": "6344290",
        "old_status_id": "54435014",
        "old_pipeline_id": "6344290",
    }
    assert status.key.startswith("status:10754147::")
    # amoCRM's retry (the same body) is the same notification; a move back is not.
    [again] = crm.parse_webhook(body_of("leads_status.form.txt"), {})
    swap = {b"54423922": b"54435014", b"54435014": b"54423922"}
    back = re.sub(
        b"54423922|54435014", lambda m: swap[m.group(0)], body_of("leads_status.form.txt")
    )
    [moved_back] = crm.parse_webhook(back, {})
    assert moved_back.fields["status_id"] == "54435014"
    assert again.key == status.key != moved_back.key
    [deleted] = crm.parse_webhook(body_of("leads_delete.form.txt"), {})
    assert (deleted.kind, deleted.crm_lead_id, deleted.at) == ("deleted", "30052055", None)
    assert deleted.key.startswith("delete:30052055::")
    assert deleted.fields == {"id": "30052055", "status_id": "17944873", "pipeline_id": "936736"}


def test_one_body_with_several_actions_and_other_objects() -> None:
    body = (
        b"account[subdomain]=unirock&account[id]=16700680"
        b"&contacts[add][0][id]=777&contacts[add][0][name]=Ann"
        b"&leads[status][0][id]=11&leads[status][0][status_id]=142"
        b"&leads[status][0][last_modified]=5"
        b"&leads[update][0][id]=11&leads[update][0][updated_at]=6"
        b"&leads[update][1][id]=12&leads[update][1][date_create]=7"
        b"&leads[note][0][note][element_id]=11&leads[restore][0][id]=13"
    )
    events = account().parse_webhook(body, {})
    assert [(e.kind, e.crm_lead_id, e.key) for e in events] == [
        ("stage_changed", "11", "status:11:5"),
        ("updated", "11", "update:11:6"),
        ("updated", "12", "update:12:7"),
        ("updated", "13", events[3].key),
    ]
    assert events[0].fields == {"id": "11", "status_id": "142", "last_modified": "5"}
    assert account().parse_webhook(b"contacts[add][0][id]=777&account[id]=1", {}) == []


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"account_id": "16700681"}, "account[id]"),
        ({"subdomain": "other"}, "account[subdomain]"),
        ({"account_id": "16700680", "subdomain": "other"}, "account[subdomain]"),
    ],
)
def test_a_webhook_of_another_account_is_refused(settings: dict[str, str], field: str) -> None:
    with pytest.raises(WebhookRefusedError, match="is not this account's") as err:
        account(**settings).check_webhook(body_of("leads_add.form.txt"), {}, SECRET, NOW)
    assert (err.value.status, err.value.field) == (401, field)


def test_the_account_is_matched_by_what_the_body_carries() -> None:
    add, old = body_of("leads_add.form.txt"), body_of("leads_add_2016.form.txt")
    account(account_id=16700680, subdomain="UniRock").check_webhook(add, {}, SECRET, NOW)
    account(account_id="10216991", subdomain="test000002").check_webhook(old, {}, SECRET, NOW)
    # The 2016 body names only the subdomain: an id alone cannot be checked against it.
    with pytest.raises(WebhookRefusedError, match="carries no account\\[id\\]") as err:
        account(account_id="10216991").check_webhook(old, {}, SECRET, NOW)
    assert (err.value.status, err.value.field) == (401, "account[id]")
    with pytest.raises(WebhookRefusedError, match="not an amoCRM webhook") as err:
        account().check_webhook(b"leads[add][0][id]=1", {}, SECRET, NOW)
    assert (err.value.status, err.value.field) == (400, "account")
    with pytest.raises(WebhookRefusedError, match="secret address") as err:
        account().check_webhook(add, {}, None, NOW)
    assert err.value.status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"account[id]=1&leads[add][0][id]=30052055%3B+DROP", "leads[add][0][id]"),
        (b"account[id]=1&leads[responsible][3][id]=", "leads[responsible][3][id]"),
        (b"account[id]=1&leads[update][0][name]=no+id", "leads[update][0][id]"),
        (b"\xff\xfe", "body"),
    ],
)
def test_an_unreadable_webhook_names_what_is_wrong(body: bytes, field: str) -> None:
    with pytest.raises(WebhookRefusedError) as err:
        account().parse_webhook(body, {})
    assert (err.value.status, err.value.field) == (400, field)


# ------------------------------------------------------------------------------------ reading

CUSTOM = [
    {"field_id": 294471, "values": [{"value": "web form"}]},
    {"field_id": 294473, "values": [{"enum_id": 502}]},
]


def test_leads_are_fetched_by_id(fake: FakeKommo, connect: Any) -> None:
    a = fake.add_lead(
        name="Заявка",
        price=12500,
        responsible_user_id=504142,
        custom_fields_values=CUSTOM,
        created_at=1_700_000_000,
        notify=False,
    )
    won = fake.add_lead(responsible_user_id=504143, notify=False)
    fake.update_lead(won["id"], status_id=WON_STATUS_ID, notify=False)
    gone = fake.add_lead(notify=False)
    fake.delete_lead(gone["id"], notify=False)
    crm = connect()
    ids = [str(a["id"]), str(won["id"]), str(gone["id"]), "999999", "abc", str(a["id"])]
    leads = crm.fetch_leads(ids)
    assert list(leads) == ids[:5]
    assert [leads[x] for x in ids[2:5]] == [None, None, None]
    first = leads[str(a["id"])]
    assert first is not None
    assert (first.owner, first.stage, first.outcome) == ("504142", str(a["status_id"]), None)
    assert (first.amount, first.title, first.source) == (12500.0, "Заявка", None)
    assert first.created_at == at(1_700_000_000)
    assert first.modified_at == at(1_700_000_000)
    assert first.closed_at is None
    assert first.fields["cf_294471"] == first.fields["LEAD_SOURCE"] == "web form"
    assert first.fields["cf_294473"] == "Санкт-Петербург"
    assert first.fields["responsible_user_id"] == 504142
    closed = leads[str(won["id"])]
    assert closed is not None
    assert (closed.outcome, closed.stage) == ("won", str(WON_STATUS_ID))
    assert closed.closed_at is not None
    [request] = fake.log
    assert request.endpoint == "GET /api/v4/leads"
    assert parse_qsl(request.query).count(("limit", "4")) == 1
    # None of them exists: amoCRM answers 204 without a body.
    assert crm.fetch_leads(["999998", str(gone["id"])]) == {"999998": None, str(gone["id"]): None}
    assert fake.log[-1].status == 204


def test_more_than_fifty_ids_take_more_requests(fake: FakeKommo, connect: Any) -> None:
    ids = [str(fake.add_lead(notify=False)["id"]) for _ in range(120)]
    leads = connect().fetch_leads(ids)
    assert [lead.crm_id for lead in leads.values() if lead is not None] == ids
    assert fake.per_endpoint["GET /api/v4/leads"] == 3


def test_lead_of_the_documented_lead() -> None:
    lead = lead_of(load("lead.json"))
    assert (lead.crm_id, lead.owner, lead.stage) == ("3912171", "504141", "143")
    assert lead.outcome == "lost"
    assert (lead.amount, lead.title) == (12.0, "Example")
    assert lead.closed_at == at(1590683337)
    assert lead_of({"id": 1, "responsible_user_id": 0, "price": None}).owner is None


def test_users_with_their_groups(fake: FakeKommo, connect: Any) -> None:
    users = connect().users()
    by_id = {u.crm_id: u for u in users}
    assert list(by_id) == ["504141", "504142", "504143", "504144"]
    assert (by_id["504142"].name, by_id["504142"].groups) == ("Анна Смирнова", ("625",))
    assert by_id["504141"].groups == ()
    assert [u.active for u in users] == [True, True, True, False]
    assert by_id["504143"].fields["email"] == "boris@example.com"
    assert ("with", "group") in parse_qsl(fake.log[0].query)


def test_users_over_several_pages(fake: FakeKommo, connect: Any) -> None:
    for n in range(260):
        fake.add_user(600000 + n, f"Manager {n}", group_id=625 + n % 2)
    users = connect().users()
    assert len(users) == 264
    assert len({u.crm_id for u in users}) == 264
    assert fake.per_endpoint["GET /api/v4/users"] == 2
    assert users[-1].groups == ("626",)


def test_users_need_an_administrators_token(connect: Any) -> None:
    with (
        FakeKommo(api_user_id=504142) as fake,
        serving(fake.app) as base,
        pytest.raises(CrmError, match="answered 403") as err,
    ):
        connect(base_url=base).users()
    assert (err.value.status, err.value.retryable) == (403, False)


def test_history_pages_by_updated_at(fake: FakeKommo, connect: Any) -> None:
    t0 = 1_700_000_000
    tied = [fake.add_lead(updated_at=t0, notify=False)["id"] for _ in range(270)]
    later = [fake.add_lead(updated_at=t0 + 1 + n // 3, notify=False)["id"] for n in range(300)]
    before = [fake.add_lead(updated_at=t0 - 10, notify=False)["id"] for _ in range(5)]
    crm = connect()
    leads = list(crm.history(at(t0)))
    assert [int(lead.crm_id) for lead in leads] == tied + later
    stamps = [lead.modified_at for lead in leads]
    assert stamps == sorted(stamps)
    queries = [dict(parse_qsl(r.query)) for r in fake.log]
    assert all(q["limit"] == "250" and q["order[updated_at]"] == "asc" for q in queries)
    assert queries[0]["filter[updated_at][from]"] == str(t0)
    # More than 250 leads share t0: the second page of the same filter, then onwards.
    assert (queries[1]["filter[updated_at][from]"], queries[1]["page"]) == (str(t0), "2")
    assert len(queries) <= 5
    everything = list(crm.history(None))
    assert len(everything) == len(tied) + len(later) + len(before)
    assert [int(lead.crm_id) for lead in everything[:5]] == before
    fake.reset_counters()
    assert list(crm.history(at(t0 + 10_000))) == []
    assert fake.log[-1].status == 204


def test_history_misses_no_lead_changed_while_it_pages(fake: FakeKommo, connect: Any) -> None:
    t0 = 1_700_000_000
    ids = [fake.add_lead(updated_at=t0 + n, notify=False)["id"] for n in range(300)]
    pages = connect().history(at(t0))
    seen = [int(next(pages).crm_id) for _ in range(250)]
    # A manager touches the first lead: it moves to the end of the order.
    fake.update_lead(ids[0], updated_at=t0 + 1000, notify=False)
    seen += [int(lead.crm_id) for lead in pages]
    assert seen == [*ids, ids[0]]


def test_recent_leads_read_one_page_newest_first(fake: FakeKommo, connect: Any) -> None:
    t0 = 1_700_000_000
    ids = [fake.add_lead(created_at=t0 + n, notify=False)["id"] for n in range(600)]
    crm = connect()
    leads = crm.recent_leads(5)
    assert [int(lead.crm_id) for lead in leads] == ids[::-1][:5]
    assert len(fake.log) == 1
    query = dict(parse_qsl(fake.log[0].query))
    assert (query["order[created_at]"], query["limit"]) == ("desc", "5")
    fake.reset_counters()
    many = crm.recent_leads(300)
    assert [int(lead.crm_id) for lead in many] == ids[::-1][:300]
    assert len(fake.log) == 2
    assert crm.recent_leads(0) == []


# ------------------------------------------------------------------------------------ writing


def test_owners_are_written_and_amocrm_echoes_them(fake: FakeKommo, connect: Any) -> None:
    leads = [fake.add_lead(responsible_user_id=504142, notify=False)["id"] for _ in range(3)]
    crm = connect()
    owners = {str(x): "504143" for x in leads}
    assert crm.write_owners(owners) == dict.fromkeys(owners)
    assert [fake.lead(x)["responsible_user_id"] for x in leads] == [504143] * 3  # type: ignore[index]
    assert fake.per_endpoint["PATCH /api/v4/leads"] == 1
    # amoCRM tells of the change it was asked for: the echo names the token's user.
    assert [e.actions for e in fake.events] == [("responsible",), ("update",)]
    echoes = crm.parse_webhook(fake.events[0].body.encode(), {})
    assert [(e.kind, e.crm_lead_id) for e in echoes] == [("owner_changed", str(x)) for x in leads]
    assert {e.fields["modified_user_id"] for e in echoes} == {str(fake.api_user_id)}
    assert {e.fields["old_responsible_user_id"] for e in echoes} == {"504142"}
    assert crm.write_owners({}) == {}
    with pytest.raises(ValueError, match="at most 50 owners"):
        crm.write_owners({str(n): "1" for n in range(51)})


def test_refused_leads_are_reported_and_the_rest_written(fake: FakeKommo, connect: Any) -> None:
    a, b, c, gone = (fake.add_lead(responsible_user_id=504142, notify=False)["id"] for _ in "abcd")
    fake.delete_lead(gone, notify=False)
    owners = {str(a): "504143", str(b): "1", str(c): "504143", str(gone): "504143"}
    owners |= {"x": "504143", "17": "Anna"}
    said = connect().write_owners(owners)
    assert list(said) == list(owners)
    assert [said[str(a)], said[str(c)]] == [None, None]
    assert said[str(b)] == (
        "NotSupportedChoice (responsible_user_id): The value you selected is not a valid choice."
    )
    assert said[str(gone)] == "NotFound (id): Entity not found"
    assert said["x"] == "'x' is not an amoCRM lead id"
    assert said["17"] == "'Anna' is not an amoCRM user id"
    after = {x: fake.lead(x)["responsible_user_id"] for x in (a, b, c)}  # type: ignore[index]
    assert after == {a: 504143, b: 504142, c: 504143}
    # The whole batch was refused once, then sent again without the refused leads.
    assert fake.per_endpoint["PATCH /api/v4/leads"] == 2


def test_the_documented_validation_answer_refuses_its_item(fake: FakeKommo, connect: Any) -> None:
    a, b = (fake.add_lead(responsible_user_id=504142, notify=False)["id"] for _ in range(2))
    fake.fail_next(1, 400, load("400_validation.json"), path="/api/v4/leads")
    said = connect().write_owners({str(a): "504143", str(b): "504143"})
    assert said == {
        str(a): "NotSupportedChoice (custom_fields_values.0.field_id): "
        "The value you selected is not a valid choice.",
        str(b): None,
    }
    assert fake.lead(b)["responsible_user_id"] == 504143  # type: ignore[index]
    assert fake.lead(a)["responsible_user_id"] == 504142  # type: ignore[index]


def test_a_refusal_of_the_whole_request_raises(fake: FakeKommo, connect: Any) -> None:
    lead = fake.add_lead(notify=False)["id"]
    fake.fail_next(1, 402, load("402.json"))
    with pytest.raises(CrmError, match="answered 402 \\(Payment Required: ") as err:
        connect().write_owners({str(lead): "504143"})
    assert (err.value.status, err.value.code) == (402, "Payment Required")
    assert err.value.retryable is False


# ------------------------------------------------------------------------------------ OAuth


def test_a_401_refreshes_the_token_once_per_token(fake: FakeKommo, connect: Any) -> None:
    lead = str(fake.add_lead(notify=False)["id"])
    crm = connect(access_token="stale", **OAUTH, expires_at=time.time() + 86400)
    assert crm.tokens_changed is False
    assert crm.fetch_leads([lead])[lead] is not None
    assert fake.auth_failures == 1
    assert crm.tokens_changed is True
    tokens = crm.current_tokens()
    assert fake.token_valid(tokens["access_token"])
    assert tokens["refresh_token"] not in ("", OAUTH["refresh_token"])
    assert tokens["expires_at"] == pytest.approx(time.time() + 86400, abs=5)
    assert crm.settings["refresh_token"] == tokens["refresh_token"]
    # The new access token expires: the new refresh token is used (the first is spent).
    fake.expire_token(tokens["access_token"])
    assert crm.fetch_leads([lead])[lead] is not None
    assert fake.auth_failures == 2
    refresh = fake.tokens("refresh")
    assert [t.used for t in refresh] == [True, True, False]
    assert refresh[-1].token == crm.current_tokens()["refresh_token"]


def test_a_token_near_its_expiry_is_refreshed_first(connect: Any) -> None:
    with FakeKommo(access_ttl=45) as fake, serving(fake.app) as base:
        crm = connect(base_url=base, access_token=None, **OAUTH)
        assert crm.users()
        assert crm.current_tokens()["expires_at"] - time.time() < 60
        assert crm.users()  # within a minute of its expiry: refreshed before it is sent
        assert fake.auth_failures == 0
        assert fake.per_endpoint["POST /oauth2/access_token"] == 2
        assert [t.used for t in fake.tokens("refresh")] == [True, True, False]


def test_a_spent_refresh_token_is_an_error_without_secrets(fake: FakeKommo, connect: Any) -> None:
    first = connect(access_token=None, **OAUTH)
    first.users()
    # The same settings again (e.g. not stored after the refresh): the token is spent.
    second = connect(access_token=None, **OAUTH)
    with pytest.raises(CrmError, match="could not be refreshed") as err:
        second.users()
    assert err.value.status == 401
    assert "Token has been revoked" in str(err.value)
    tokens = first.current_tokens()
    for secret in (OAUTH["refresh_token"], OAUTH["client_secret"], *tokens.values()):
        assert str(secret) not in str(err.value)


def test_a_refused_long_lived_token_is_an_error_without_it(connect: Any) -> None:
    crm = connect(access_token="revoked-long-lived-token")
    with pytest.raises(CrmError, match="answered 401 \\(Unauthorized: ") as err:
        crm.fetch_leads(["1"])
    assert "revoked-long-lived-token" not in str(err.value)
    assert err.value.retryable is False


# ------------------------------------------------------------------------------------ limits


def test_the_documented_rate_is_never_exceeded(fake: FakeKommo, connect: Any) -> None:
    ids = [str(fake.add_lead(notify=False)["id"]) for _ in range(20)]
    crm = connect()  # rate 7 per second
    for n in range(0, 20, 2):
        crm.fetch_leads(ids[n : n + 2])
    crm.write_owners(dict.fromkeys(ids, "504143"))
    assert fake.total_requests == 11
    assert fake.rate_limited == 0
    assert fake.peak_rate() <= 7


def test_a_few_hundred_leads_stay_under_the_limit(connect: Any) -> None:
    with FakeKommo(rate=50) as fake, serving(fake.app) as base:
        ids = [str(fake.add_lead(notify=False)["id"]) for _ in range(300)]
        crm = connect(base_url=base, rate=50)
        for n in range(0, 300, 3):
            crm.fetch_leads(ids[n : n + 3])
        for n in range(0, 300, 5):
            assert set(crm.write_owners(dict.fromkeys(ids[n : n + 5], "504143")).values()) == {None}
        assert fake.total_requests == 160
        assert fake.rate_limited == 0
        assert fake.peak_rate() <= 50
        assert {lead["responsible_user_id"] for lead in fake.leads} == {504143}


def test_a_429_waits_the_bodys_retry_after(fake: FakeKommo, connect: Any) -> None:
    lead = str(fake.add_lead(notify=False)["id"])
    fake.fail_next(1, 429, {**load("429.json"), "retry_after": 0.2})
    started = time.monotonic()
    assert connect(backoff=30).fetch_leads([lead])[lead] is not None
    assert 0.2 <= time.monotonic() - started < 5
    # The documented 300 s is not waited in a request: at most 10 s.
    fake.fail_next(1, 429, load("429.json"))
    with pytest.raises(CrmError, match="answered 429") as err:
        connect(attempts=1).fetch_leads([lead])
    assert (err.value.retryable, err.value.retry_after) == (True, 10.0)


def test_an_outage_is_a_retryable_error_after_the_attempts(fake: FakeKommo, base: str) -> None:
    http = KommoHttp("kommo", base, bucket=LeakyBucket(rate=100, burst=1), attempts=3, backoff=0.01)
    crm = Kommo({"base_url": base, "access_token": TOKEN}, http=http)
    fake.outage(True)
    with pytest.raises(CrmError, match="answered 503") as err:
        crm.fetch_leads(["1"])
    assert (err.value.status, err.value.retryable) == (503, True)
    assert fake.injected == 3
    fake.outage(False)
    assert crm.fetch_leads(["1"]) == {"1": None}
    crm.close()


def test_an_outage_page_is_said_in_a_few_words(fake: FakeKommo, connect: Any) -> None:
    fake.outage(True, status=502)
    with pytest.raises(CrmError) as err:
        connect(attempts=2, backoff=0.01).users()
    assert str(err.value) == "kommo: GET /api/v4/users answered 502 (502 Bad Gateway)"
