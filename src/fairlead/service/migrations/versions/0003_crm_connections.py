"""CRM connections: settings and mapping, the webhook inbox, the owner outbox, known leads.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tenant() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("tenant_id", sa.String(length=64), nullable=False)


def _tenant_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "crm_connections",
        _tenant(),
        sa.Column("crm", sa.String(length=32), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("path_secret_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("imported_until", sa.Float(), nullable=True),
        _tenant_key("crm_connections"),
        sa.UniqueConstraint("tenant_id", "crm", name=op.f("uq_crm_connections_tenant_id")),
    )
    op.create_table(
        "crm_inbox",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        _tenant(),
        sa.Column("crm", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("crm_lead_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _tenant_key("crm_inbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_inbox")),
        sa.UniqueConstraint("tenant_id", "crm", "event_key", name=op.f("uq_crm_inbox_tenant_id")),
    )
    with op.batch_alter_table("crm_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_crm_inbox_due", ["status", "next_at"], unique=False)
    op.create_table(
        "crm_outbox",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        _tenant(),
        sa.Column("crm", sa.String(length=32), nullable=False),
        sa.Column("crm_lead_id", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _tenant_key("crm_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_outbox")),
    )
    with op.batch_alter_table("crm_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_crm_outbox_due", ["status", "next_at"], unique=False)
        batch_op.create_index(
            "ix_crm_outbox_lead", ["tenant_id", "crm", "crm_lead_id"], unique=False
        )
    op.create_table(
        "crm_leads",
        _tenant(),
        sa.Column("crm", sa.String(length=32), nullable=False),
        sa.Column("crm_lead_id", sa.String(length=200), nullable=False),
        sa.Column("lead_id", sa.String(length=200), nullable=False),
        sa.Column("owner_written", sa.String(length=200), nullable=True),
        sa.Column("owner_seen", sa.String(length=200), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        _tenant_key("crm_leads"),
        sa.UniqueConstraint("tenant_id", "crm", "crm_lead_id", name=op.f("uq_crm_leads_tenant_id")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("crm_leads")
    with op.batch_alter_table("crm_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_outbox_lead")
        batch_op.drop_index("ix_crm_outbox_due")
    op.drop_table("crm_outbox")
    with op.batch_alter_table("crm_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_inbox_due")
    op.drop_table("crm_inbox")
    op.drop_table("crm_connections")
