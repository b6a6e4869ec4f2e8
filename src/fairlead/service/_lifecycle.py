"""A service process's start and stop: schema checks, the demo team, scheduled work.

At start-up the schema is brought up to date (or, with ``migrate=False``, checked:
a process never runs on a schema it does not know). A background thread places
waiting leads every ``sweep_every`` seconds and refreshes each team's prices every
``reprice_every`` seconds (one process per turn). At shutdown the thread stops
between two pieces of work and the database connections close.
"""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime

from fairlead.service._api_leads import place_waiting
from fairlead.service._demo import seed_demo
from fairlead.service._errors import ApiError
from fairlead.service._logging import LOGGER
from fairlead.service._migrations import schema_problem, upgrade
from fairlead.service._reprice import reprice_team, take_turn
from fairlead.service._service import Service
from fairlead.service._teams import team_ids

#: Teams whose routers a process builds at start-up (the rest on their first request).
WARM_TEAMS = 200


class StartupError(RuntimeError):
    """The service cannot start on this database (the message says why and what to do)."""


def prepare(service: Service) -> None:
    """Schema up to date (or checked), demo team added to an empty default database."""
    config, db = service.config, service.db
    if config.migrate:
        before, after = upgrade(db)
        if before != after:
            LOGGER.info(f"database schema upgraded from {before or 'nothing'} to {after}")
    problem = schema_problem(db)
    if problem is not None:
        raise StartupError(problem)
    if config.with_demo:
        with db.write() as conn:
            if seed_demo(conn):
                LOGGER.info("the demo team 'demo' was added to an empty database")


class Scheduler:
    """The background thread of a process: waiting leads placed, prices refreshed."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="fairlead-scheduler", daemon=True)

    def start(self) -> None:
        """Start the thread: it builds the teams' routers first, then runs the schedule."""
        self.thread.start()

    def close(self) -> None:
        """Stop after the current piece of work."""
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)

    def _loop(self) -> None:
        self.warm()
        config = self.service.config
        scheduled = [x for x in (config.sweep_every, config.reprice_every) if x > 0]
        if not scheduled:
            return
        every = min(scheduled)
        while not self.stop.wait(every):
            try:
                self.tick()
            except Exception:  # the next turn tries again; the thread must not die
                LOGGER.exception("scheduled work failed")

    def warm(self) -> None:
        """Build every team's router now, so that no first request pays for it."""
        try:
            with self.service.db.read() as conn:
                teams = team_ids(conn)
            for tenant_id in teams[:WARM_TEAMS]:
                if self.stop.is_set():
                    return
                try:
                    self.service.routers.call(tenant_id, lambda team: None)
                except ApiError:
                    continue  # a team with no managers yet
        except Exception:  # warming is an optimisation: a request builds it anyway
            LOGGER.exception("building the teams' routers at start-up failed")
        # What exists now (imported modules, the app, the teams' routers) lives as long
        # as the process: kept out of the collector's full passes, which otherwise walk
        # it all (about 100 ms for 200 managers) and stop every request meanwhile.
        gc.freeze()

    def tick(self) -> None:
        """One turn over every team."""
        service, config = self.service, self.service.config
        with service.db.read() as conn:
            teams = team_ids(conn)
        now = datetime.now(UTC)
        for tenant_id in teams:
            if self.stop.is_set():
                return
            try:
                if config.sweep_every > 0:
                    place_waiting(service, tenant_id, now)
                    waiting = service.routers.read(
                        tenant_id, lambda team, conn: len(team.router.waiting())
                    )
                    service.metrics.waiting.labels(tenant_id).set(waiting)
                if config.reprice_every > 0 and take_turn(service, tenant_id, config.reprice_every):
                    reprice_team(service, tenant_id, now)
            except ApiError:
                continue  # a team with no managers yet, or being changed
