"""Every process of a deployment spends one CRM limit, kept in the shared database.

Two service processes (two :class:`Service` objects on one database, as two
``fairlead serve`` processes are) call one fake Bitrix24 portal as fast as they can:
the portal refuses nothing. The same two connectors without the shared level go over
the limit, which is what the shared level is for.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "connectors"))

from fakes._serve import serving
from fakes.bitrix24 import FakeBitrix24

from fairlead.connectors import Connector, CrmError, bitrix24
from fairlead.service import Database, ServiceConfig, create_team, upgrade
from fairlead.service._crm_store import load_connection, save_connection
from fairlead.service._service import Service

RATE, BURST = 20.0, 5.0
USERS = [{"ID": "2", "NAME": "Anna"}]


def _hammer(connectors: list[Connector], seconds: float) -> int:
    """Each connector reads the users from two threads for ``seconds``; refusals counted."""
    refused = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def work(call: Callable[[], object]) -> None:
        while time.monotonic() < stop:
            try:
                call()
            except CrmError:
                with lock:
                    refused[0] += 1

    threads = [threading.Thread(target=work, args=(c.users,)) for c in connectors for _ in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return refused[0]


def test_two_processes_stay_within_one_limit(database_url: str) -> None:
    fake = FakeBitrix24(users=USERS, rate=RATE, burst=BURST)
    with serving(fake.app) as base:
        settings = {"webhook_url": fake.webhook_base(base), "application_token": "t",
                    "rate": RATE, "burst": BURST, "attempts": 1}  # fmt: skip
        db = Database(database_url)
        upgrade(db)
        with db.write() as conn:
            create_team(conn, "b24")
            save_connection(conn, "b24", "bitrix24", settings, {}, None)
        db.dispose()
        services = [Service.start(ServiceConfig(database_url=database_url)) for _ in (0, 1)]
        try:
            connectors = []
            for service in services:
                with service.db.read() as conn:
                    connection = load_connection(conn, "b24", "bitrix24")
                assert connection is not None
                connectors.append(service.connector(connection))
            assert _hammer(connectors, 3.0) == 0
        finally:
            for service in services:
                service.close()
        stats = fake.stats()
        assert stats["rejected_by_limit"] == 0
        assert stats["peak_level"] <= BURST
        # They did push at the limit: a burst, then nearly the rate (less the margin).
        assert stats["total_requests"] >= BURST + 0.8 * RATE * 3.0 * 0.9

        # The same connectors, each keeping the limit to itself: twice the limit is sent.
        fake.reset_stats()
        time.sleep(BURST / RATE + 0.1)  # the portal's bucket empties
        alone = [bitrix24.Bitrix24(settings) for _ in (0, 1)]
        try:
            refused = _hammer(alone, 3.0)
        finally:
            for connector in alone:
                connector.close()
        assert refused > 0
        assert fake.stats()["rejected_by_limit"] == refused
    fake.close()
