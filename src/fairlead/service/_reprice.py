"""Prices refreshed from a team's recent leads: on request, and on a schedule.

With several processes, one takes each scheduled turn: the one whose update of the
team's ``repriced_at`` finds it old enough (a lease in the database).
"""

from __future__ import annotations

import time
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta

from sqlalchemy import Connection, or_, select, update

from fairlead.records import Lead
from fairlead.service._routers import TeamRouter
from fairlead.service._service import Service
from fairlead.service._tables import router_leads, tenants

#: The window of recent leads a refresh solves: this long back, this many at most.
WINDOW = timedelta(days=7)
MAX_LEADS = 2000


def recent_leads(service: Service, tenant_id: str, now: datetime) -> list[Lead]:
    """The team's leads routed in the window before ``now``, newest first."""
    since = (now - WINDOW).timestamp()
    with service.db.read() as conn:
        rows = conn.execute(
            select(router_leads.c.lead)
            .where(router_leads.c.tenant_id == tenant_id, router_leads.c.routed_at >= since)
            .order_by(router_leads.c.routed_at.desc())
            .limit(MAX_LEADS)
        ).all()
    return [Lead.model_validate_json(r[0]) for r in rows]


def reprice_team(service: Service, tenant_id: str, now: datetime) -> dict[str, float]:
    """Refresh a team's prices from its recent leads; the new price of each manager.

    The window is solved outside the team's turn (it takes a while: a batch of up to
    :data:`MAX_LEADS` leads) and in the service's solving process, so the team's leads
    are routed meanwhile; the prices are then set in a short write, with the requests
    of that moment.
    """
    leads = recent_leads(service, tenant_id, now)
    routers = service.routers
    if not leads:  # no leads yet: the prices stay as they are (zero on a new team)
        return routers.read(tenant_id, lambda team, conn: _prices(team))
    router, away = routers.read(
        tenant_id, lambda team, conn: (team.router, team.router.away_at(now))
    )
    try:
        window = router.window_prices(leads, away=away, executor=service.solver())
    except BrokenProcessPool:  # the solving process died (killed, out of memory): once more
        window = router.window_prices(leads, away=away, executor=service.solver(fresh=True))

    def apply(team: TeamRouter, conn: Connection) -> dict[str, float]:
        if team.router is not router:  # the team changed meanwhile: solve for the new one
            team.router.reprice(leads, now=now)
        else:
            team.router.set_prices(window, now=now)
        return _prices(team)

    return routers.write(tenant_id, apply)


def _prices(team: TeamRouter) -> dict[str, float]:
    return dict(zip(team.router.manager_ids_, map(float, team.router.prices_), strict=True))


def take_turn(service: Service, tenant_id: str, every: float) -> bool:
    """Whether this process refreshes the team's prices now (it holds the turn)."""
    now = time.time()
    with service.db.write() as conn:
        done = conn.execute(
            update(tenants)
            .where(
                tenants.c.id == tenant_id,
                or_(tenants.c.repriced_at.is_(None), tenants.c.repriced_at <= now - every),
            )
            .values(repriced_at=now)
        )
    return done.rowcount == 1
