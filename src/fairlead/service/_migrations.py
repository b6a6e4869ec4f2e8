"""The database schema brought up to date with Alembic, and checked at start-up.

The migrations ship inside the package (``fairlead/service/migrations``). Several
service processes may start at once against one PostgreSQL: the upgrade runs under an
advisory lock, so one of them migrates and the others find the schema current.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from fairlead.service._database import Database

#: Where the migration scripts are, inside the installed package.
SCRIPTS = Path(__file__).parent / "migrations"
#: Key of the PostgreSQL advisory lock taken while migrating ("FLMG").
MIGRATION_LOCK = 0x464C4D47


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head() -> str:
    """The newest schema revision this fairlead knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(db: Database) -> str | None:
    """The database's schema revision (``None``: never migrated)."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the schema to :func:`head`; returns the revisions before and after."""
    with db.write() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(_config(conn), "head")
    return before, head()


def schema_problem(db: Database) -> str | None:
    """Why the service cannot run on this database's schema, or ``None``."""
    found = current(db)
    if found == head():
        return None
    if found is None:
        return (
            f"the database {db.shown} has no fairlead tables yet: run `fairlead db upgrade` "
            "(or start `fairlead serve` without --no-migrate)"
        )
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    if found not in known:
        return (
            f"the database {db.shown} has schema revision {found!r}, newer than this "
            "fairlead knows: upgrade fairlead"
        )
    return f"the database {db.shown} has schema revision {found!r}; run `fairlead db upgrade`"
