"""The service's database: every table, as SQLAlchemy Core metadata.

One schema for SQLite and PostgreSQL. Every row belongs to a tenant (a sales team);
every query of the service names the tenant, so one team never reads another's rows.
Times are POSIX seconds (``Float``), as in the router's own SQLite store: the router's
state and its decisions move between the two without conversion. The Alembic
migrations in ``migrations/versions`` create exactly these tables (a test compares
them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

#: Constraint names fixed by convention, so migrations can name them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

#: Ids are at most 200 characters (``fairlead.records`` refuses longer ones).
ID = String(200)
#: An auto-numbered key: 64-bit on PostgreSQL, SQLite's own row id on SQLite.
SERIAL = BigInteger().with_variant(Integer, "sqlite")


def _tenant() -> Column[str]:
    return Column(
        "tenant_id", String(64), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


tenants = Table(
    "tenants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    # The team's clock for KPI periods and the dashboard's "today".
    Column("timezone", String(64), nullable=False),
    # Moves on with every change of team, policy or routing settings: a service
    # process whose router was built for another revision rebuilds it.
    Column("revision", BigInteger, nullable=False),
    # The router's settings (SLA, catch-up, half-life, longest hold) as JSON.
    Column("settings", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    # When prices were last refreshed: one service process takes each turn.
    Column("repriced_at", Float, nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    # The key's public part (``fl_<id>_<secret>``): found by it, checked by the hash.
    Column("id", String(32), primary_key=True),
    _tenant(),
    Column("scope", String(16), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("label", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    # SHA-256 of the session cookie: a copy of the table opens no dashboard.
    Column("token_sha256", String(64), primary_key=True),
    _tenant(),
    Column("key_id", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("expires_at", Float, nullable=False),
)

managers = Table(
    "managers",
    metadata,
    _tenant(),
    Column("manager_id", ID, nullable=False),
    # The team's order (the router's manager order): when they joined.
    Column("position", BigInteger, nullable=False),
    # The fairlead.Manager record as JSON; working hours apart (WorkingHours JSON).
    Column("record", Text, nullable=False),
    Column("hours", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("tenant_id", "manager_id"),
)

absences = Table(
    "absences",
    metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    _tenant(),
    Column("manager_id", ID, nullable=False),
    Column("record", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
Index("ix_absences_tenant", absences.c.tenant_id, absences.c.manager_id)

policies = Table(
    "policies",
    metadata,
    _tenant(),
    Column("version", Integer, nullable=False),
    Column("record", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    # The API key that set it (its public id), or the command line.
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("tenant_id", "version"),
)

idempotency = Table(
    "idempotency",
    metadata,
    _tenant(),
    Column("key", ID, nullable=False),
    # SHA-256 of the request (method, path, body): another body under the key is 409.
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("tenant_id", "key"),
)

# -- the router's store: one per tenant, the tables of the SQLite store plus a tenant ----

router_meta = Table(
    "router_meta",
    metadata,
    _tenant(),
    Column("key", String(64), nullable=False),
    Column("value", Text, nullable=False),
    UniqueConstraint("tenant_id", "key"),
)

router_state = Table(
    "router_state",
    metadata,
    Column(
        "tenant_id",
        String(64),
        ForeignKey("tenants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

router_leads = Table(
    "router_leads",
    metadata,
    _tenant(),
    Column("lead_id", ID, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("manager_id", ID, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("price", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("routed_at", Float, nullable=False),
    Column("previous", ID, nullable=True),
    Column("runner_up", ID, nullable=True),
    Column("due_at", Float, nullable=True),
    Column("contacted_at", Float, nullable=True),
    Column("released_at", Float, nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("reassignments", Integer, nullable=False),
    Column("lead", Text, nullable=False),
    Column("value_row", LargeBinary, nullable=True),
    Column("offered_at", Float, nullable=True),
    Column("work", Float, nullable=False),
    UniqueConstraint("tenant_id", "lead_id"),
)
# The leads not released yet, in order (the waiting queue, the overdue ones).
Index(
    "ix_router_leads_pending",
    router_leads.c.tenant_id,
    router_leads.c.seq,
    sqlite_where=router_leads.c.released_at.is_(None),
    postgresql_where=router_leads.c.released_at.is_(None),
)
Index("ix_router_leads_manager", router_leads.c.tenant_id, router_leads.c.manager_id)
# The waiting queue and the overdue leads are read every minute, under the team's turn:
# an index of their own, so the read does not walk every open lead (thousands in a
# team whose deals take weeks to close).
_WAITING_ROWS = router_leads.c.manager_id.is_(None) & router_leads.c.released_at.is_(None)
Index(
    "ix_router_leads_waiting",
    router_leads.c.tenant_id,
    router_leads.c.seq,
    sqlite_where=_WAITING_ROWS,
    postgresql_where=_WAITING_ROWS,
)
_UNCONTACTED_ROWS = (
    router_leads.c.manager_id.is_not(None)
    & router_leads.c.contacted_at.is_(None)
    & router_leads.c.released_at.is_(None)
)
Index(
    "ix_router_leads_uncontacted",
    router_leads.c.tenant_id,
    router_leads.c.due_at,
    router_leads.c.seq,
    sqlite_where=_UNCONTACTED_ROWS,
    postgresql_where=_UNCONTACTED_ROWS,
)

router_events = Table(
    "router_events",
    metadata,
    Column("seq", SERIAL, primary_key=True, autoincrement=True),
    _tenant(),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("lead_id", ID, nullable=True),
    Column("manager_id", ID, nullable=True),
    Column("detail", Text, nullable=False),
)
Index("ix_router_events_tenant", router_events.c.tenant_id, router_events.c.seq)

# -- the KPI event log (the columns of fairlead.kpi, docs/kpi.md) --------------------------

events = Table(
    "events",
    metadata,
    Column("seq", SERIAL, primary_key=True, autoincrement=True),
    _tenant(),
    # A CRM's id (200 characters at most) or one the service makes from the lead's id
    # (``<lead id>:assigned:<kind>:<time>``), hence longer.
    Column("event_id", String(300), nullable=False),
    Column("type", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("lead_id", ID, nullable=True),
    Column("client_id", ID, nullable=True),
    Column("manager_id", ID, nullable=True),
    Column("source", Text, nullable=True),
    Column("product", Text, nullable=True),
    Column("segment", Text, nullable=True),
    Column("tier", Text, nullable=True),
    Column("score", Float, nullable=True),
    Column("deal_value", Float, nullable=True),
    Column("method", Text, nullable=True),
    Column("assigned_by", Text, nullable=True),
    Column("win_probability", Float, nullable=True),
    Column("stage", Text, nullable=True),
    Column("amount", Float, nullable=True),
    Column("reason", Text, nullable=True),
    Column("csat", Integer, nullable=True),
    Column("nps", Integer, nullable=True),
    Column("complaint", Boolean, nullable=True),
    UniqueConstraint("tenant_id", "event_id"),
)
Index("ix_events_tenant_at", events.c.tenant_id, events.c.at)

sales_plans = Table(
    "sales_plans",
    metadata,
    _tenant(),
    Column("version", Integer, nullable=False),
    # The plan's rows as JSON (the columns of a sales-plan file, docs/kpi.md).
    Column("rows", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("tenant_id", "version"),
)

# -- CRM connections -----------------------------------------------------------------------

crm_connections = Table(
    "crm_connections",
    metadata,
    _tenant(),
    Column("crm", String(32), nullable=False),
    # The connector's settings, credentials included (JSON): read by the service only,
    # never logged, never sent back by the API.
    Column("settings", Text, nullable=False),
    # The team's CrmMapping (JSON).
    Column("mapping", Text, nullable=False),
    # sha256 of the secret in the webhook's address, for CRMs that sign nothing.
    Column("path_secret_sha256", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Where the last history import stopped (the CRM's modification time).
    Column("imported_until", Float, nullable=True),
    # The catch-up read of changed leads: the CRM's modification time read up to, when
    # the next read is due, and whether the last one stopped with more to read.
    Column("polled_until", Float, nullable=True),
    Column("poll_due_at", Float, nullable=True),
    Column("poll_more", Boolean, nullable=False, server_default=false()),
    # The CRM's request limit, one leaky bucket for every process of the deployment.
    Column("limit_level", Float, nullable=True),
    Column("limit_at", Float, nullable=True),
    UniqueConstraint("tenant_id", "crm"),
)

# What the CRMs' webhooks said, kept before it is acted on: the answer to the CRM is
# quick, and a crash between the webhook and the decision loses nothing.
crm_inbox = Table(
    "crm_inbox",
    metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    _tenant(),
    Column("crm", String(32), nullable=False),
    # The notification's own identity: a CRM's retry of it is kept once.
    Column("event_key", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("crm_lead_id", ID, nullable=False),
    Column("at", Float, nullable=True),
    Column("fields", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    # new -> done, or failed (with the reason) after the attempts run out.
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Float, nullable=False),
    Column("error", Text, nullable=True),
    UniqueConstraint("tenant_id", "crm", "event_key"),
)
Index("ix_crm_inbox_due", crm_inbox.c.status, crm_inbox.c.next_at)

# Owners to write back to the CRM: in the same transaction as the decision, sent after.
crm_outbox = Table(
    "crm_outbox",
    metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    _tenant(),
    Column("crm", String(32), nullable=False),
    Column("crm_lead_id", ID, nullable=False),
    Column("owner", ID, nullable=False),
    Column("created_at", Float, nullable=False),
    # pending -> sent; failed after the attempts run out (retried by hand); superseded
    # when a newer owner of the same lead is queued.
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Float, nullable=False),
    Column("sent_at", Float, nullable=True),
    Column("error", Text, nullable=True),
)
Index("ix_crm_outbox_due", crm_outbox.c.status, crm_outbox.c.next_at)
Index("ix_crm_outbox_lead", crm_outbox.c.tenant_id, crm_outbox.c.crm, crm_outbox.c.crm_lead_id)

# A CRM lead fairlead knows: the owner it wrote (so the CRM's echo of that write is
# recognised) and the owner the CRM last showed (so a person's change is seen once).
crm_leads = Table(
    "crm_leads",
    metadata,
    _tenant(),
    Column("crm", String(32), nullable=False),
    Column("crm_lead_id", ID, nullable=False),
    Column("lead_id", ID, nullable=False),
    Column("owner_written", ID, nullable=True),
    Column("owner_seen", ID, nullable=True),
    Column("stage", String(64), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("tenant_id", "crm", "crm_lead_id"),
)
