"""The service's commands: ``serve``, ``keys``, ``teams`` and ``db``.

They need the ``service`` extra (``pip install 'fairlead[service]'``); without it each
says so in one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any, TextIO

from fairlead.records import read_managers, read_policy

if TYPE_CHECKING:
    from fairlead import service as service_module

NO_EXTRA = (
    "the service needs its extra: pip install 'fairlead[service]' (FastAPI, uvicorn, "
    "SQLAlchemy, Alembic, psycopg)"
)


def _service() -> Any:
    try:
        from fairlead import service
    except ImportError as exc:
        raise ValueError(f"{NO_EXTRA}; missing: {exc.name}") from None
    return service


def _database(args: argparse.Namespace) -> service_module.Database:
    """The database of a command, its schema brought up to date."""
    service = _service()
    config = service.ServiceConfig.from_env(database_url=args.database_url)
    db = service.Database(config.database_url)
    service.upgrade(db)
    if config.with_demo:  # as `fairlead serve` would: the default database has the demo team
        with db.write() as conn:
            service.seed_demo(conn)
    return db  # type: ignore[no-any-return]


def add_service_commands(commands: Any, database_help: str) -> None:
    """Register ``serve``, ``keys``, ``teams`` and ``db`` on the subcommand parser."""
    serve = commands.add_parser(
        "serve",
        help="run the routing service (HTTP API, dashboard) on a database",
        description=(
            "Serve the HTTP API a CRM calls: route leads, record their events, manage the "
            "team, read KPIs. With no configuration: http://127.0.0.1:8000, a SQLite file "
            "fairlead.db in this folder, and the demo team. Settings also come from "
            "FAIRLEAD_* environment variables (docs/deployment.md)."
        ),
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--database-url", help=database_help)
    serve.add_argument("--workers", type=int, help="processes on this machine (default 1)")
    serve.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_const",
        const=False,
        help="only check the database schema at start-up (do not upgrade it)",
    )
    serve.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add the demo team to an empty database (default: only with the default database)",
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    serve.set_defaults(run=_run_serve)

    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = keys_commands.add_parser(
        "create",
        help="make a key for a team; it is printed once and stored only as a hash",
    )
    create.add_argument("--team", required=True, help="the team (tenant) id")
    create.add_argument(
        "--scope",
        default="write",
        choices=("read", "write", "admin"),
        help="read: figures and the dashboard; write: also route and report events; "
        "admin: also change the policy and settings (default: write)",
    )
    create.add_argument("--label", default="", help="what the key is for (shown in lists)")
    create.add_argument("--database-url", help=database_help)
    create.set_defaults(run=_run_keys_create)
    listing = keys_commands.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--team", help="only this team's keys")
    listing.add_argument("--database-url", help=database_help)
    listing.set_defaults(run=_run_keys_list)
    revoke = keys_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the id shown by 'fairlead keys list'")
    revoke.add_argument("--database-url", help=database_help)
    revoke.set_defaults(run=_run_keys_revoke)

    teams = commands.add_parser("teams", help="create and list teams (tenants)")
    teams_commands = teams.add_subparsers(dest="teams_command", metavar="ACTION", required=True)
    team = teams_commands.add_parser("create", help="add a team, with its managers and policy")
    team.add_argument("team", metavar="TEAM", help="id: letters, digits, '-' and '_'")
    team.add_argument("--name", help="the team's name (default: its id)")
    team.add_argument("--timezone", default="UTC", help="the team's time zone (default UTC)")
    team.add_argument("--managers", metavar="FILE", help="the team, .csv or .json")
    team.add_argument("--policy", metavar="FILE", help="policy settings, .json")
    team.add_argument("--database-url", help=database_help)
    team.set_defaults(run=_run_teams_create)
    teams_list = teams_commands.add_parser("list", help="list the teams")
    teams_list.add_argument("--database-url", help=database_help)
    teams_list.set_defaults(run=_run_teams_list)

    db = commands.add_parser("db", help="the service database's schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="bring the schema up to date")
    upgrade.add_argument("--database-url", help=database_help)
    upgrade.set_defaults(run=_run_db_upgrade)
    check = db_commands.add_parser("check", help="say whether the schema is current")
    check.add_argument("--database-url", help=database_help)
    check.set_defaults(run=_run_db_check)


def _run_serve(args: argparse.Namespace, out: TextIO) -> int:
    service = _service()
    config = service.ServiceConfig.from_env(
        host=args.host,
        port=args.port,
        database_url=args.database_url,
        workers=args.workers,
        migrate=args.migrate,
        demo=args.demo,
        log_level=args.log_level,
    )
    try:
        service.serve(config)
    except service.StartupError as exc:
        raise ValueError(str(exc)) from None
    return 0


def _run_keys_create(args: argparse.Namespace, out: TextIO) -> int:
    db = _database(args)
    with db.write() as conn:
        _, key = _service().create_key(conn, args.team, args.scope, args.label)
    print(key, file=out)
    return 0


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _run_keys_list(args: argparse.Namespace, out: TextIO) -> int:
    db = _database(args)
    with db.read() as conn:
        rows = _service().list_keys(conn, args.team)
    header = ("id", "team", "scope", "created", "revoked", "label")
    print(f"{header[0]:<13} {header[1]:<9} {header[2]:<6} {header[3]:<21} {header[4]:<21} "
          f"{header[5]}", file=out)  # fmt: skip
    for r in rows:
        print(
            f"{r['id']:<13} {r['tenant_id']:<9} {r['scope']:<6} {_when(r['created_at']):<21} "
            f"{_when(r['revoked_at']):<21} {r['label']}",
            file=out,
        )
    return 0


def _run_keys_revoke(args: argparse.Namespace, out: TextIO) -> int:
    db = _database(args)
    with db.write() as conn:
        done = _service().revoke_key(conn, args.key_id)
    if not done:
        raise ValueError(f"no key {args.key_id!r} that is not revoked already")
    print(f"key {args.key_id} revoked (within 5 seconds on every running process)", file=out)
    return 0


def _run_teams_create(args: argparse.Namespace, out: TextIO) -> int:
    service = _service()
    managers = [] if args.managers is None else read_managers(args.managers)
    policy = None if args.policy is None else read_policy(args.policy)
    db = _database(args)
    with db.write() as conn:
        service.create_team(
            conn,
            args.team,
            name=args.name,
            timezone=args.timezone,
            managers=managers,
            policy=policy,
        )
    print(
        f"team {args.team!r} created with {len(managers)} manager(s); "
        f"make a key: fairlead keys create --team {args.team}",
        file=out,
    )
    return 0


def _run_teams_list(args: argparse.Namespace, out: TextIO) -> int:
    db = _database(args)
    with db.read() as conn:
        for team in _service().team_ids(conn):
            print(team, file=out)
    return 0


def _run_db_upgrade(args: argparse.Namespace, out: TextIO) -> int:
    service = _service()
    config = service.ServiceConfig.from_env(database_url=args.database_url)
    db = service.Database(config.database_url)
    before, after = service.upgrade(db)
    said = "already at" if before == after else f"upgraded from {before or 'nothing'} to"
    print(f"database {db.shown}: schema {said} {after}", file=out)
    return 0


def _run_db_check(args: argparse.Namespace, out: TextIO) -> int:
    service = _service()
    config = service.ServiceConfig.from_env(database_url=args.database_url)
    db = service.Database(config.database_url)
    problem = service.schema_problem(db)
    if problem is not None:
        raise ValueError(problem)
    print(f"database {db.shown}: schema current ({service.head()})", file=out)
    return 0
