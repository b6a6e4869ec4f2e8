"""Alembic's environment for the service's database: run on the service's own connection.

fairlead runs its migrations itself (``fairlead db upgrade``, and ``fairlead serve`` at
start-up), handing Alembic an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from fairlead.service import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite alters a table by copying it: Alembic's batch mode does that.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
