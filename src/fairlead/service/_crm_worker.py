"""The background thread that works a process's CRM connections.

It wakes when a webhook brings events (and at least every ``POLL`` seconds, for
retries and for writes another process queued), then gives each connection a turn:
events acted on, owners written back (:mod:`~fairlead.service._crm_flow`). Events and
writes are leased row by row, so several processes share the work without doing any
of it twice.
"""

from __future__ import annotations

import threading

from fairlead.connectors import ConnectionClosedError
from fairlead.service._crm_flow import run_connection
from fairlead.service._crm_store import connections
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
