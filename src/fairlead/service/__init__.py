"""``fairlead serve``: the routing service a CRM calls, with its state in a database.

- :func:`create_app` -> the ASGI application (FastAPI): ``/v1`` API, health, metrics.
- :class:`ServiceConfig`: settings from flags and ``FAIRLEAD_*`` variables.
- :class:`Database`: SQLite (default) or PostgreSQL (several replicas) through
  SQLAlchemy; :data:`metadata`, the schema; :func:`upgrade` / :func:`schema_problem`
  run and check the Alembic migrations.
- :func:`create_team`, :func:`create_key`, :func:`revoke_key`: the administration the
  command line does (``fairlead teams``, ``fairlead keys``).
- :class:`DatabaseStore`: a team's router state in the database (a
  :class:`fairlead.router.Store`).
- :func:`import_history`: a team's CRM history into its KPI event log
  (``fairlead import``).

``docs/service.md`` is the API's guide; ``docs/deployment.md`` how to run it.
"""

from fairlead.service._app import create_app
from fairlead.service._config import ServiceConfig
from fairlead.service._crm_check import CheckedLead, ConnectionCheck, check_connection
from fairlead.service._crm_connect import Connected, connect_crm
from fairlead.service._crm_import import ImportSummary, import_history
from fairlead.service._database import DEFAULT_URL, Database
from fairlead.service._demo import DEMO_TEAM, seed_demo
from fairlead.service._keys import SCOPES, create_key, list_keys, revoke_key
from fairlead.service._lifecycle import StartupError
from fairlead.service._migrations import head, schema_problem, upgrade
from fairlead.service._router_store import DatabaseStore
from fairlead.service._serve import serve
from fairlead.service._tables import metadata
from fairlead.service._teams import TeamSettings, create_team, team_ids

__all__ = [
    "DEFAULT_URL",
    "DEMO_TEAM",
    "SCOPES",
    "CheckedLead",
    "Connected",
    "ConnectionCheck",
    "Database",
    "DatabaseStore",
    "ImportSummary",
    "ServiceConfig",
    "StartupError",
    "TeamSettings",
    "check_connection",
    "connect_crm",
    "create_app",
    "create_key",
    "create_team",
    "head",
    "import_history",
    "list_keys",
    "metadata",
    "revoke_key",
    "schema_problem",
    "seed_demo",
    "serve",
    "team_ids",
    "upgrade",
]
