"""The background thread that works a process's CRM connections.

It wakes when a webhook brings events (and at least every ``POLL`` seconds, for
retries and for writes another process queued), then gives each connection a turn:
the CRM's changed leads read when that read is due (:mod:`~fairlead.service._crm_catch_up`),
events acted on, owners written back (:mod:`~fairlead.service._crm_flow`). Events,
writes and reads are leased, so several processes share the work without doing any
of it twice.
"""

from __future__ import annotations

import threading
import time

from fairlead.connectors import ConnectionClosedError
from fairlead.service._crm_catch_up import catch_up
from fairlead.service._crm_flow import handle_events, send_owners
from fairlead.service._crm_store import connections, keep_tokens, load_connection
from fairlead.service._logging import LOGGER
from fairlead.service._service import Service

#: Seconds between turns when no webhook wakes the thread.
POLL = 1.0


class CrmWorker:
    """A process's CRM thread: started with the app, stopped at shutdown."""

    def __init__(self, service: Service, poll: float = POLL) -> None:
        self.service = service
        self.poll = poll
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="fairlead-crm", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def close(self) -> None:
        """Stop after the current turn."""
        self.stop.set()
        self.service.crm_wake.set()
        self.service.close_connectors()  # a CRM call waiting to try again gives up
        if self.thread.is_alive():
            self.thread.join(timeout=30)

    def _loop(self) -> None:
        wake = self.service.crm_wake
        while not self.stop.is_set():
            wake.wait(self.poll)
            wake.clear()
            if self.stop.is_set():
                return
            try:
                self.turn()
            except Exception:  # the next turn tries again; the thread must not die
                LOGGER.exception("a CRM turn failed")

    def turn(self) -> None:
        """One turn over every connection."""
        with self.service.db.read() as conn:
            found = connections(conn)
        for tenant_id, crm in found:
            if self.stop.is_set():
                return
            try:
                run_connection(self.service, tenant_id, crm)
            except ConnectionClosedError:
                return  # the process is stopping; what this turn took was given back
            except Exception:  # one connection's trouble must not stop the others
                LOGGER.exception(f"the {crm} connection failed", extra={"team": tenant_id})


def run_connection(service: Service, tenant_id: str, crm: str) -> None:
    """One turn of a connection: changed leads read (when due), events acted on, owners sent."""
    started = time.monotonic()
    with service.db.read() as conn:
        connection = load_connection(conn, tenant_id, crm)
    if connection is None:
        return
    try:
        catch_up(service, connection)
        handle_events(service, connection)
        send_owners(service, connection)
    finally:
        keep_tokens(service.db, tenant_id, crm, service.connector(connection))
    LOGGER.debug(
        f"{crm} turn in {1000 * (time.monotonic() - started):.0f} ms", extra={"team": tenant_id}
    )
