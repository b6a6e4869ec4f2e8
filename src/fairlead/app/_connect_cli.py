"""``fairlead connect <crm>``: store a team's CRM settings and mapping; check them (dry run)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from fairlead.app._service_cli import _database, _service


def add_connect_command(commands: Any, database_help: str) -> None:
    """Register ``connect`` on the subcommand parser."""
    parser = commands.add_parser(
        "connect",
        help="connect a team's CRM, or check its connection (dry run)",
        description=(
            "With --settings: check and store the team's CRM settings (credentials) and "
            "mapping, and print the address of the CRM's webhook. With --check: read the "
            "CRM's users and last leads and print what fairlead would do with each; "
            "nothing is written to the CRM."
        ),
    )
    parser.add_argument("crm", choices=("bitrix24", "kommo"))
    parser.add_argument("--team", required=True, help="the team")
    parser.add_argument("--settings", metavar="FILE", help="the connector's settings, .json")
    parser.add_argument("--mapping", metavar="FILE", help="the team's mapping, .json")
    parser.add_argument("--check", action="store_true", help="a dry run against the CRM")
    parser.add_argument("--last", type=int, default=20, help="leads the check reads (20)")
    parser.add_argument("--database-url", help=database_help)
    parser.set_defaults(run=_run_connect)


def _json(path: str, what: str) -> dict[str, Any]:
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}, line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(found, dict):
        raise ValueError(f"{path}: the {what} must be a JSON object")
    return found


def _run_connect(args: argparse.Namespace, out: TextIO) -> int:
    if args.settings is None and not args.check:
        raise ValueError("say what to do: --settings FILE (connect), --check (dry run), or both")
    service = _service()
    db = _database(args)
    if args.settings is not None:
        settings = _json(args.settings, "settings")
        mapping = _json(args.mapping, "mapping") if args.mapping else {}
        done = service.connect_crm(db, args.team, args.crm, settings, mapping)
        print(f"{args.crm} connected for team {args.team!r}.", file=out)
        print(f"Webhook address: https://<this service>{done.webhook_path}", file=out)
        if done.secret is not None:
            print("The address holds a secret, shown only now: keep it like a password.", file=out)
    if args.check:
        found = service.check_connection(db, args.team, args.crm, last=args.last)
        _print_check(found, out)
        return 0 if not found.problems else 2
    return 0


def _print_check(found: Any, out: TextIO) -> None:
    print(f"{found.crm}: {found.users} users; managers by the mapping: "
          f"{', '.join(found.managers) or 'none'}", file=out)  # fmt: skip
    if found.not_on_team:
        print(f"  not on the team yet (sync them): {', '.join(found.not_on_team)}", file=out)
    print(f"last {len(found.leads)} leads (dry run, newest first):", file=out)
    for lead in found.leads:
        title = f" {lead.title!r}" if lead.title else ""
        if lead.would_give_to is None:
            print(f"  {lead.crm_id}{title}: cannot be taken: {lead.reason}", file=out)
        else:
            print(f"  {lead.crm_id}{title}: owner now {lead.owner or '-'}; fairlead would give it "
                  f"to {lead.would_give_to}", file=out)  # fmt: skip
    for problem in found.problems:
        print(f"problem: {problem}", file=out)
