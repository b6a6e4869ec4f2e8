"""``fairlead import``: a CRM's lead history into fairlead's KPI event log.

From a CRM's own export file (``--export``: Bitrix24's or amoCRM's CSV, Bitrix24's
HTML "Excel"), into an events CSV that ``fairlead report --events`` reads; or from
the CRM itself, through the team's connection in the service database, into the
team's log (``--team``), picking up where the last import stopped.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path
from typing import Any, TextIO

from fairlead.app._service_cli import _database, _service


def add_import_command(commands: Any, database_help: str) -> None:
    """Register ``import`` on the subcommand parser."""
    parser = commands.add_parser(
        "import",
        help="a CRM's lead history into the KPI event log",
        description=(
            "Read a CRM's leads (owner, times, stage, outcome, amount) as KPI events: from "
            "the CRM's export file into an events CSV (--export, --out), or from the CRM "
            "through the team's connection into the service database (--team)."
        ),
    )
    parser.add_argument("--crm", required=True, choices=("bitrix24", "kommo"))
    parser.add_argument("--export", metavar="FILE", help="the CRM's export of leads (CSV / XLS)")
    parser.add_argument("--out", metavar="FILE", help="the events CSV to write (with --export)")
    parser.add_argument(
        "--timezone", default="UTC", help="the CRM account's time zone (export times have none)"
    )
    for outcome in ("won", "lost"):
        parser.add_argument(
            f"--{outcome}",
            action="append",
            default=[],
            metavar="STAGE",
            help=f"a stage name meaning {outcome}, besides the CRM's own (repeatable)",
        )
    parser.add_argument("--team", help="the team whose connection to read (into the database)")
    parser.add_argument("--since", help="only leads changed after this date (ISO 8601)")
    parser.add_argument("--database-url", help=database_help)
    parser.set_defaults(run=_run_import)


def _run_import(args: argparse.Namespace, out: TextIO) -> int:
    if args.export is not None:
        if args.out is None:
            raise ValueError("--export needs --out: the events CSV to write")
        return _from_export(args, out)
    if args.team is None:
        raise ValueError("say where the history comes from: --export FILE, or --team TEAM")
    since = None
    if args.since is not None:
        try:
            since = dt.datetime.fromisoformat(args.since)
        except ValueError:
            raise ValueError(
                f"--since must be a date, e.g. 2026-01-31, got {args.since!r}"
            ) from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
    summary = _service().import_history(_database(args), args.team, args.crm, since=since)
    print(
        f"{args.crm}: {summary.leads} leads read, {summary.events} events recorded for team "
        f"{args.team!r} ({summary.won} won, {summary.lost} lost)"
        + ("" if summary.until is None else f"; next import from {summary.until.isoformat()}"),
        file=out,
    )
    return 0


def _from_export(args: argparse.Namespace, out: TextIO) -> int:
    from fairlead.connectors import history_rows, read_export
    from fairlead.kpi import COLUMNS

    leads = read_export(args.export, args.crm, timezone=args.timezone, won=args.won, lost=args.lost)
    rows = history_rows(leads, args.crm)
    used = [c for c in COLUMNS if any(c in r for r in rows)]
    target = Path(args.out)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=used)
        writer.writeheader()
        for row in rows:
            shown = dict(row)
            shown["at"] = dt.datetime.fromtimestamp(row["at"], dt.UTC).isoformat()
            writer.writerow(shown)
    won = sum(r["type"] == "won" for r in rows)
    lost = sum(r["type"] == "lost" for r in rows)
    print(
        f"{args.crm} export: {len(leads)} leads, {len(rows)} events ({won} won, {lost} lost) "
        f"written to {target}",
        file=out,
    )
    return 0
