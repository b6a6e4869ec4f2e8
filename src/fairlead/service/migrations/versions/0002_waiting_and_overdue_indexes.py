"""Indexes of the waiting queue and of the leads not contacted yet.

Both were read through the index of every open lead, so the minute's sweep of the
waiting queue walked all of a team's open leads while the team's routing waited.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WAITING = sa.text("manager_id IS NULL AND released_at IS NULL")
_UNCONTACTED = sa.text("manager_id IS NOT NULL AND contacted_at IS NULL AND released_at IS NULL")


def upgrade() -> None:
    """Add the two partial indexes."""
    with op.batch_alter_table("router_leads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_router_leads_waiting",
            ["tenant_id", "seq"],
            unique=False,
            sqlite_where=_WAITING,
            postgresql_where=_WAITING,
        )
        batch_op.create_index(
            "ix_router_leads_uncontacted",
            ["tenant_id", "due_at", "seq"],
            unique=False,
            sqlite_where=_UNCONTACTED,
            postgresql_where=_UNCONTACTED,
        )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("router_leads", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_router_leads_uncontacted",
            sqlite_where=_UNCONTACTED,
            postgresql_where=_UNCONTACTED,
        )
        batch_op.drop_index(
            "ix_router_leads_waiting",
            sqlite_where=_WAITING,
            postgresql_where=_WAITING,
        )
