"""What every connector shares: the ``catch_up`` setting, the bucket a deployment shares."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from fairlead.connectors import CATCH_UP, LeakyBucket, Step, bitrix24, kommo

BITRIX = {"webhook_url": "https://p.bitrix24.ru/rest/1/code/", "application_token": "t"}
KOMMO = {"base_url": "https://acme.kommo.com", "access_token": "x"}


@pytest.mark.parametrize(("cls", "settings"), [(bitrix24.Bitrix24, BITRIX), (kommo.Kommo, KOMMO)])
def test_catch_up_is_read_and_checked(cls: Any, settings: dict[str, Any]) -> None:
    assert cls(settings).catch_up == CATCH_UP
    assert cls({**settings, "catch_up": 0}).catch_up == 0.0
    assert cls({**settings, "catch_up": 30}).catch_up == 30.0
    for wrong in (-1, "often", True, None):
        with pytest.raises(ValueError, match=r"setting 'catch_up' must be seconds.*got"):
            cls({**settings, "catch_up": wrong})


class _Level:
    """A level shared by buckets, as the service keeps it in its database."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock
        self.level, self.at = 0.0, clock[0]
        self.lock = threading.Lock()

    def change(self, step: Step) -> float:
        with self.lock:
            self.level, self.at, result = step(self.level, self.at, self.clock[0])
            return result


def test_buckets_sharing_a_level_share_the_limit() -> None:
    clock = [100.0]
    shared = _Level(clock)
    buckets = [LeakyBucket(rate=2, burst=3, margin=0) for _ in (0, 1)]
    for bucket in buckets:
        bucket.share(shared)
    waits = [buckets[i % 2].wait_for() for i in range(5)]
    # Three fit the burst between them; the fourth and fifth wait for the drain.
    assert waits == [0.0, 0.0, 0.0, 0.5, 1.0]
    clock[0] += 10.0  # drained
    assert buckets[1].wait_for() == 0.0
    buckets[0].penalise(4.0)  # the CRM said "too many" to one: both wait
    assert buckets[1].wait_for() == pytest.approx(4.5)
    alone = LeakyBucket(rate=2, burst=3, margin=0)
    assert [alone.wait_for() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_room_says_what_could_be_sent_now_and_changes_nothing() -> None:
    now = [0.0]
    bucket = LeakyBucket(rate=2, burst=4, margin=0, clock=lambda: now[0], sleep=lambda s: None)
    assert bucket.room() == 4.0
    for _ in range(3):
        bucket.wait_for()
    assert bucket.room() == 1.0
    assert bucket.room() == 1.0  # looking spends nothing
    now[0] += 1.0
    assert bucket.room() == 3.0
    shared = _Level([0.0])
    bucket.share(shared)
    assert bucket.room() == 4.0


def test_an_outage_page_is_said_in_a_few_words() -> None:
    from fakes._serve import serving
    from fakes.bitrix24 import FakeBitrix24

    from fairlead.connectors import CrmError

    fake = FakeBitrix24(users=[{"ID": "2", "NAME": "Anna"}])
    with serving(fake.app) as base:
        crm = bitrix24.Bitrix24({**BITRIX, "webhook_url": fake.webhook_base(base), "attempts": 1})
        fake.outage(True)
        with pytest.raises(CrmError) as err:
            crm.users()
        crm.close()
    fake.close()
    said = str(err.value)
    assert said.endswith("answered 503 (503 Service Temporarily Unavailable)")
    assert "<" not in said
    assert "\n" not in said
