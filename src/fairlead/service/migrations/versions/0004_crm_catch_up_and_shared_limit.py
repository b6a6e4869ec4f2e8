"""CRM connections: where the catch-up read of changed leads stands; the shared limit.

A CRM that does not send a webhook again (Bitrix24) loses the events sent while the
service was down, unless the changes are read back: ``polled_until`` is the CRM's
modification time read up to, ``poll_due_at`` when the next read is due, and
``poll_more`` whether the last read stopped at its page budget with more to read.
Every process of a deployment spends one CRM limit: ``limit_level`` and ``limit_at``
are the leaky bucket they share.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FLOATS = ("polled_until", "poll_due_at", "limit_level", "limit_at")


def upgrade() -> None:
    """Add the five columns."""
    with op.batch_alter_table("crm_connections", schema=None) as batch_op:
        for name in _FLOATS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("poll_more", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("crm_connections", schema=None) as batch_op:
        batch_op.drop_column("poll_more")
        for name in reversed(_FLOATS):
            batch_op.drop_column(name)
