"""Bitrix24's outbound webhook: its token checked, its event read (the documentation's bodies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fairlead.connectors import WebhookRefusedError, connector_class, list_connectors
from fairlead.connectors.bitrix24 import Bitrix24

TOKEN = "51856fefc120afa4b628cc82d3935cce"
#: ONCRMLEADADD as an outbound webhook receives it: the documentation's sample, form-encoded
#: (bitrix24/b24restdocs api-reference/events/index.md, crm/leads/events/on-crm-lead-add.md).
ADD = (
    "event=ONCRMLEADADD&event_handler_id=707&data%5BFIELDS%5D%5BID%5D=1000983&ts=1742807175"
    "&auth%5Bdomain%5D=some-domain.bitrix24.com"
    "&auth%5Bclient_endpoint%5D=https%3A%2F%2Fsome-domain.bitrix24.com%2Frest%2F"
    "&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F"
    "&auth%5Bmember_id%5D=a223c6b3710f85df22e9377d6c4f7553"
    f"&auth%5Bapplication_token%5D={TOKEN}"
).encode()
SENT = datetime.fromtimestamp(1742807175, UTC)


def portal(**more) -> Bitrix24:
    settings = {"webhook_url": "https://some-domain.bitrix24.com/rest/1/abc123/",
                "application_token": TOKEN, **more}  # fmt: skip
    return Bitrix24(settings)


def test_bitrix24_is_registered_by_name():
    assert "bitrix24" in list_connectors()
    assert connector_class("bitrix24") is Bitrix24
    with pytest.raises(KeyError, match="no CRM connector 'bitrix'; known: bitrix24"):
        connector_class("bitrix")


def test_the_documented_event_is_read_as_a_new_lead():
    crm = portal()
    crm.check_webhook(ADD, {}, None, SENT + timedelta(seconds=3))
    [event] = crm.parse_webhook(ADD, {})
    assert (event.kind, event.crm_lead_id, event.at) == ("added", "1000983", SENT)
    assert event.key == "ONCRMLEADADD:1000983:1742807175"


def test_update_and_delete_events_and_events_of_other_objects():
    crm = portal()
    update = ADD.replace(b"ONCRMLEADADD", b"ONCRMLEADUPDATE")
    delete = ADD.replace(b"ONCRMLEADADD", b"ONCRMLEADDELETE")
    deal = ADD.replace(b"ONCRMLEADADD", b"ONCRMDEALUPDATE")
    assert [e.kind for e in crm.parse_webhook(update, {})] == ["updated"]
    assert [e.kind for e in crm.parse_webhook(delete, {})] == ["deleted"]
    assert crm.parse_webhook(deal, {}) == []  # not a lead: nothing to do


def test_a_real_capture_without_event_handler_id_is_read():
    # A 2024 capture from a .bitrix24.ru portal carries no event_handler_id.
    body = ADD.replace(b"event_handler_id=707&", b"")
    [event] = portal().parse_webhook(body, {})
    assert event.crm_lead_id == "1000983"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            ADD.replace(TOKEN.encode(), b"0" * 32),
            "auth\\[application_token\\] is not this portal's",
        ),
        (
            ADD.replace(b"&auth%5Bapplication_token%5D=" + TOKEN.encode(), b""),
            "is not this portal's",
        ),
    ],
)
def test_an_event_without_the_portals_token_is_refused(body, message):
    with pytest.raises(WebhookRefusedError, match=message) as err:
        portal().check_webhook(body, {}, None, SENT)
    assert err.value.status == 401
    assert TOKEN not in str(err.value)


def test_an_event_outside_the_replay_window_is_refused():
    crm = portal(replay_window=600)
    crm.check_webhook(ADD, {}, None, SENT + timedelta(seconds=599))
    with pytest.raises(WebhookRefusedError, match="outside the 600 s window") as err:
        crm.check_webhook(ADD, {}, None, SENT + timedelta(seconds=601))
    assert err.value.status == 401
    with pytest.raises(WebhookRefusedError, match="outside"):
        crm.check_webhook(ADD, {}, None, SENT - timedelta(minutes=10))  # from the future


def test_a_portal_with_no_token_configured_refuses_every_event():
    with pytest.raises(WebhookRefusedError, match="no application token is configured"):
        portal(application_token="").check_webhook(ADD, {}, None, SENT)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (ADD.replace(b"1000983", b"1000983%3B+DROP"), "data[FIELDS][ID]"),
        (b"\xff\xfe", "body"),
    ],
)
def test_an_unreadable_event_names_what_is_wrong(body, field):
    with pytest.raises(WebhookRefusedError) as err:
        portal().parse_webhook(body, {})
    assert err.value.field == field
    assert err.value.status == 400


def test_settings_without_the_inbound_webhook_address_are_refused():
    with pytest.raises(ValueError, match="'webhook_url' must be the inbound webhook's address"):
        Bitrix24({"webhook_url": "some-domain.bitrix24.com"})
