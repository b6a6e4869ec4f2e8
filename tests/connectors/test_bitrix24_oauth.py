"""Bitrix24 through an OAuth application: the access renewed, the single-use refresh kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes._serve import serving
from fakes.bitrix24 import FakeBitrix24

from fairlead.connectors import CrmError
from fairlead.connectors.bitrix24 import Bitrix24

SECRET = "app-secret-3f9c"


@pytest.fixture
def portal() -> Iterator[tuple[FakeBitrix24, str]]:
    fake = FakeBitrix24(client_id="local.app.1", client_secret=SECRET, rate=50, burst=50)
    with serving(fake.app) as base:
        yield fake, base
    fake.close()


def app(fake: FakeBitrix24, base: str, **more: object) -> Bitrix24:
    tokens = fake.issue_tokens()
    settings = {
        "client_endpoint": fake.client_endpoint(base),
        "client_id": "local.app.1",
        "client_secret": SECRET,
        "refresh_token": tokens["refresh_token"],
        "oauth_url": fake.token_url(base),
        "application_token": "t",
        **more,
    }
    return Bitrix24(settings)


def test_the_first_call_renews_the_access_and_the_new_refresh_token_is_kept(portal):
    fake, base = portal
    crm = app(fake, base)
    first = crm.settings["refresh_token"]
    assert [u.crm_id for u in crm.users()] == ["1"]
    assert crm.tokens_changed
    assert crm.settings["refresh_token"] != first
    assert crm.settings["access_token"]
    assert fake.token_refreshes == 1
    # The portal says the access expired: renewed once more, the call goes through.
    fake.expire_access_tokens()
    lead = fake.add_lead({"TITLE": "x"}, notify=False)
    assert crm.write_owners({str(lead): "1"}) == {str(lead): None}
    assert fake.token_refreshes == 2
    crm.close()


def test_a_used_refresh_token_and_a_wrong_secret_are_refused_in_words(portal):
    fake, base = portal
    crm = app(fake, base)
    crm.users()
    stale = app(fake, base)
    stale.settings["refresh_token"] = fake.tokens("refresh")[0].token  # used already
    with pytest.raises(CrmError, match=r"refused to renew the access \(invalid_grant\)"):
        stale.users()
    wrong = app(fake, base, client_secret="not-it")
    with pytest.raises(CrmError, match=r"\(invalid_client\)") as err:
        wrong.users()
    assert "not-it" not in str(err.value)
    assert SECRET not in str(err.value)
    for made in (crm, stale, wrong):
        made.close()


def test_oauth_settings_are_checked():
    with pytest.raises(ValueError, match="'client_endpoint' must be the portal's REST address"):
        Bitrix24({"client_id": "x", "client_secret": "y", "refresh_token": "z"})
    with pytest.raises(ValueError, match="'refresh_token' is needed with 'client_id'"):
        Bitrix24({"client_id": "x", "client_secret": "y",
                  "client_endpoint": "https://p.bitrix24.ru/rest/"})  # fmt: skip
