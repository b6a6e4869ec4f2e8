"""The ``fairlead`` command: demo, assign, report, methods, repair-store.

Exit codes: 0 success, 2 bad input or usage (one line on stderr starting with
``fairlead: error:``), 3 no assignment satisfies the policy.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from typing import NoReturn, TextIO

import fairlead as fl
from fairlead import kpi
from fairlead.app._connect_cli import add_connect_command
from fairlead.app._demo import DEMO_REPORT, DemoRun, run_demo, write_demo_report
from fairlead.app._files import assign_files, same_file, write_plan
from fairlead.app._import_cli import add_import_command
from fairlead.app._service_cli import add_service_commands
from fairlead.records import FileError, Policy, file_format, read_managers, read_policy
from fairlead.solvers import get_solver

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_POLICY_BROKEN = 4  # plan written, but the chosen heuristic broke the policy

_SEED = 0  # of the weighted_random baseline in the demo
_WIDTH = 100


# --------------------------------------------------------------------------- helpers


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[int] = (0,)
) -> list[str]:
    """Lines of an aligned table; columns in ``left`` left-aligned, the others right."""
    widths = [max(len(row[k]) for row in (header, *rows)) for k in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = (
            cell.ljust(width) if k in left else cell.rjust(width)
            for k, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=indent, subsequent_indent=indent + "  "
    ) or [indent]


def _ratio(x: float) -> str:
    return "inf" if x == float("inf") else f"{x:.2f}"


def _policy_words(policy: fl.Policy) -> str:
    share = "by free capacity" if policy.target_share == "capacity" else "equal"
    parts = [f"shares {share}"]
    if policy.balance_tolerance is None:
        parts.append("no balance band")
    else:
        parts.append(f"balance band +/-{100 * policy.balance_tolerance:g}%")
    if policy.hot_min_level is not None:
        parts.append(f"hot leads to {policy.hot_min_level.value} level and up")
    if policy.qualification_required:
        parts.append("product skill required")
    if policy.portfolio_load:
        parts.append(f"existing clients take {policy.portfolio_load:g} slot each")
    return ", ".join(parts)


# ------------------------------------------------------------------------------ demo


def _manager_rows(plan: fl.Plan) -> list[list[str]]:
    per = {mg.id: Counter[str]() for mg in plan.managers}
    value = dict.fromkeys(per, 0.0)
    for record, tier in zip(plan.to_records(), plan.tiers, strict=True):
        mid = record["manager_id"]
        if mid is not None:
            per[mid][tier.value] += 1
            value[mid] += record["expected_value"]
    report = plan.fairness
    rows = []
    for j, mg in enumerate(plan.managers):
        count = per[mg.id]
        rows.append(
            [
                mg.id,
                mg.name or "",
                mg.level.value,
                f"{plan.capacity.free[j]:.0f}",
                f"{report.loads[j]:.0f}",
                f"{report.targets[j]:.1f}",
                str(count["hot"]),
                str(count["warm"]),
                str(count["cold"]),
                f"{value[mg.id]:.2f}",
                "" if mg.available else "away",
            ]
        )
    total = sum(per.values(), Counter[str]())
    rows.append(
        [
            "total",
            "",
            "",
            f"{plan.capacity.free.sum():.0f}",
            f"{report.loads.sum():.0f}",
            f"{report.targets.sum():.1f}",
            str(total["hot"]),
            str(total["warm"]),
            str(total["cold"]),
            f"{plan.expected_value:.2f}",
            "",
        ]
    )
    return rows


def _examples(plan: fl.Plan) -> list[str]:
    """The first hot, warm and cold lead of the batch."""
    chosen: dict[fl.Tier, str] = {}
    for lead, tier in zip(plan.leads, plan.tiers, strict=True):
        chosen.setdefault(tier, lead.id)
    return [chosen[t] for t in fl.Tier if t in chosen]


def _strategies(run: DemoRun, label: str) -> list[tuple[str, fl.Plan]]:
    """Fairlead with and without the band, and the CRM baselines (no band, seeded).

    Every strategy is valued with the same conversion model.
    """
    free = run.demo.policy.model_copy(update={"balance_tolerance": None, "seed": _SEED})

    def again(method: str) -> fl.Plan:
        # a baseline that breaks the policy is shown as such in the table, not warned
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fl.PolicyBrokenWarning)
            return fl.assign(run.leads, run.managers, policy=free, model=run.model, method=method)

    runs: list[tuple[str, fl.Plan]] = [
        (label, run.plan),
        ("fairlead, no band (optimum)", again("auto")),
    ]
    for name, label in [
        ("round_robin", "round_robin"),
        ("least_loaded", "least_loaded"),
        ("weighted_random", f"weighted_random (seed {_SEED})"),
        ("greedy", "greedy"),
    ]:
        runs.append((label, again(name)))
    return runs


def _scoring_lines(run: DemoRun) -> list[str]:
    plan = run.plan
    parts = []
    for tier in fl.Tier:
        scores = [lead.score for lead, t in zip(plan.leads, plan.tiers, strict=True) if t is tier]
        if scores:
            parts.append(f"{tier.value} {len(scores)} (p {sum(scores) / len(scores):.2f})")
    return _wrap(
        f"Lead scoring: {', '.join(parts)}, calibrated on {len(run.demo.history)} past leads",
        indent="",
    )


def _touch_lines(run: DemoRun) -> list[str]:
    load = run.plan.policy.touch_load
    lines = _wrap(
        f"Touch plan this week: {len(run.touches.tasks)} contacts with {len(run.segments)} "
        f"existing clients (each takes {load:g} of a lead slot)",
        indent="",
    )
    for note in run.touches.notes():
        lines += _wrap(note)
    return lines


def _performance_lines(run: DemoRun) -> list[str]:
    rows = run.performance.to_records()
    low = min(rows, key=lambda row: row["index"])
    high = max(rows, key=lambda row: row["index"])
    return _wrap(
        "Manager performance over the history, adjusted for few leads: "
        f"index {low['index']:.2f} ({low['manager_id']}) to {high['index']:.2f} "
        f"({high['manager_id']})",
        indent="",
    )


def _comparison(runs: list[tuple[str, fl.Plan]]) -> list[str]:
    base = next(p for label, p in runs if label == "round_robin").expected_value
    header = [
        "strategy",
        "placed",
        "exp.conv",
        "vs RR",
        "Gini",
        "Jain",
        "max/min",
        "max dev pp",
        "status",
    ]
    rows = []
    for label, p in runs:
        report = p.fairness
        if label == "round_robin":
            uplift = "base"
        elif base > 0:
            uplift = f"{100 * (p.expected_value / base - 1):+.1f}%"
        else:
            uplift = "n/a"
        placed = len(p.leads) - len(p.unassigned)
        rows.append(
            [
                label,
                f"{placed}/{len(p.leads)}",
                f"{p.expected_value:.2f}",
                uplift,
                f"{report.gini:.3f}",
                f"{report.jain:.3f}",
                _ratio(report.max_min_ratio),
                f"{100 * report.max_abs_deviation:.1f}",
                p.status.value,
            ]
        )
    lines = _table(header, rows, left=(0, len(header) - 1))
    lines += _wrap(
        "vs RR: expected conversions against round_robin; Gini, Jain, max/min: of each "
        "manager's leads / target; max dev: largest |share - target share|"
    )
    for _, p in runs:
        if not p.status.has_solution:
            lines += _wrap(f"{p.status.value}: {p.message}")
    return lines


def _demo_report_lines(args: argparse.Namespace, run: DemoRun) -> list[str]:
    """Write the demo quarter's report; the lines that say where it is."""
    try:
        done = write_demo_report(args.report, lang=args.lang, demo=run.demo)
    except ImportError as exc:  # the report extra is not installed
        return _wrap(f"report: not written ({exc})", indent="")
    log = done.log
    span = f"{done.since:%d %b} - {log.end:%d %b %Y}" if log.start and log.end else "no events"
    history = f"{len(log)} events from {log.start:%d %b} on" if log.start else "no events"
    return [
        *_wrap(
            f"Report on the same team's quarter ({span}; {history}, the clients' purchases "
            "before it as history; with its sales plan):",
            indent="",
        ),
        f"report: {done.path}",
    ]


def _run_demo(args: argparse.Namespace, out: TextIO) -> int:
    run = run_demo(args.method)
    plan = run.plan
    explain: list[str] = args.explain or _examples(plan)
    unknown = [lead_id for lead_id in explain if lead_id not in plan.assignments]
    if unknown:
        first, last = plan.leads[0].id, plan.leads[-1].id
        raise ValueError(f"no lead {unknown[0]!r} in the demo data (ids {first} to {last})")
    label = "fairlead" if args.method == "auto" else plan.method
    runs = _strategies(run, f"{label}, balance band")

    tiers = Counter(t.value for t in plan.tiers)
    products = Counter(lead.product for lead in plan.leads if lead.product)
    available = sum(mg.available for mg in plan.managers)
    lines = [
        "fairlead demo: a fictional bank's retail sales team (fairlead.datasets.load_demo())",
        *_wrap(
            f"{len(plan.leads)} new leads: {tiers['hot']} hot, {tiers['warm']} warm, "
            f"{tiers['cold']} cold; products: "
            + ", ".join(f"{name} {n}" for name, n in products.most_common())
        ),
        *_wrap(
            f"{len(plan.managers)} managers ({available} available, "
            f"{plan.capacity.free.sum():.0f} free slots); policy: {_policy_words(plan.policy)}"
        ),
        *_scoring_lines(run),
        *_touch_lines(run),
        *_performance_lines(run),
        "",
        f"Assignment by {plan.method} ({plan.status.value}): "
        f"{len(plan.leads) - len(plan.unassigned)} of {len(plan.leads)} leads placed, "
        f"{plan.expected_value:.2f} expected conversions",
        "  (values from a conversion model learned from the history)",
        f"Fairness: {plan.fairness.summary()}",
        *_table(
            [
                "id",
                "name",
                "level",
                "free",
                "leads",
                "target",
                "hot",
                "warm",
                "cold",
                "exp.conv",
                "",
            ],
            _manager_rows(plan),
            left=(0, 1, 2, 10),
        ),
    ]
    if plan.message:
        lines += _wrap(plan.message)
    lines += ["", "Why these managers (see also: fairlead demo --explain LEAD_ID ...)"]
    for lead_id in explain:
        lines += _wrap(str(plan.explain(lead_id)))
    lines += [
        "",
        "Strategies on the same data (baselines keep eligibility and capacity, no balance band)",
        *_comparison(runs),
    ]
    print("\n".join(lines), file=out)
    if not args.no_report:
        out.flush()  # the assignment shows while the report is drawn
        print("\n".join(["", *_demo_report_lines(args, run)]), file=out)
    return EXIT_OK


# ---------------------------------------------------------------------------- assign


def _check_out_is_no_input(
    args: argparse.Namespace,
    options: Sequence[str] = ("leads", "managers", "policy"),
    written: str = "the plan",
) -> None:
    """Refuse an --out that names one of the input files: the output would replace it."""
    for option in options:
        given = getattr(args, option)
        if given is not None and same_file(args.out, given):
            if args.out == given:
                what = f"--out and --{option} name the same file {given!r}"
            else:
                what = f"--out {args.out!r} is the same file as --{option} {given!r}"
            raise FileError(
                f"{what}; write {written} to another file",
                source=args.out,
                field="out",
                value=args.out,
            )


def _run_assign(args: argparse.Namespace, out: TextIO) -> int:
    # Both fail before any work: an unknown suffix, an output that is an input.
    file_format(args.out)
    _check_out_is_no_input(args)
    with warnings.catch_warnings():
        # said below in one line, with exit code 4
        warnings.simplefilter("ignore", fl.PolicyBrokenWarning)
        plan = assign_files(args.leads, args.managers, args.policy, method=args.method)
    write_plan(args.out, plan)
    print(f"wrote {len(plan.leads)} rows to {args.out}", file=out)
    # The fairness table ends with the Gini / Jain line that plan.summary() also
    # carries: print that line once, under the table.
    gini_line = plan.fairness.summary()
    print("\n".join(x for x in plan.summary().splitlines() if x != gini_line), file=out)
    print(file=out)
    print(plan.fairness, file=out)
    if not plan.status.has_solution:
        warning = f"fairlead: warning: {plan.method} {plan.status.value}: {plan.message}"
        print(" ".join(warning.split()), file=sys.stderr)
        return EXIT_POLICY_BROKEN
    return EXIT_OK


# ---------------------------------------------------------------------------- report

_REPORT_SUFFIXES = (".html", ".htm")


def _check_report_out(out: str) -> None:
    if not out.lower().endswith(_REPORT_SUFFIXES):
        raise FileError(
            f"--out {out!r}: the report is an HTML file; name it with .html",
            source=out,
            field="out",
            value=out,
        )


def _run_report(args: argparse.Namespace, out: TextIO) -> int:
    # Fail before any work: an output that is an input, a wrong suffix.
    _check_out_is_no_input(args, ("events", "plan", "managers", "policy"), "the report")
    _check_report_out(args.out)
    log = kpi.read_events(args.events, now=args.now)
    plan = kpi.read_sales_plan(args.plan) if args.plan is not None else None
    managers = read_managers(args.managers) if args.managers is not None else None
    rules = read_policy(args.policy) if args.policy is not None else None
    try:
        kpi.report(
            log,
            plan,
            period=args.period,
            lang=args.lang,
            managers=managers,
            policy=rules,
            now=args.now,
            since=args.since,
            timezone=args.timezone,
            out=args.out,
        )
    except ImportError as exc:  # the report extra is not installed
        _error(str(exc))
        return EXIT_INPUT
    print(f"wrote the report to {args.out}", file=out)
    return EXIT_OK


# --------------------------------------------------------------------------- methods


def _run_methods(args: argparse.Namespace, out: TextIO) -> int:
    names = fl.list_methods()
    width = max(len(n) for n in [*names, "auto"])
    lines = [
        f"{'auto':<{width}}  the default: sifting for unit lead weights, else lp_round "
        "(large) or cp_sat"
    ]
    lines += [f"{name:<{width}}  {get_solver(name).description}" for name in names]
    print("\n".join(lines), file=out)
    return EXIT_OK


# ---------------------------------------------------------------------- repair-store


def _run_repair_store(args: argparse.Namespace, out: TextIO) -> int:
    managers = read_managers(args.managers)
    rules = read_policy(args.policy) if args.policy is not None else Policy()
    report = fl.repair_store(args.store, managers, rules, dry_run=args.dry_run)
    if not report.changes:
        print(f"{args.store}: the books add up; nothing to repair", file=out)
        return EXIT_OK
    verb = "would change" if args.dry_run else "changed"
    print(f"{args.store}: {verb} {len(report.changes)} thing(s):", file=out)
    for change in report.changes:
        print(
            "\n".join(textwrap.wrap(change, 88, initial_indent="- ", subsequent_indent="  ")),
            file=out,
        )
    return EXIT_OK


# ------------------------------------------------------------------------------ main


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (scripts read the last line)."""

    def error(self, message: str) -> NoReturn:
        _error(f"{message} (see '{self.prog} --help')", prog=self.prog)
        raise SystemExit(EXIT_INPUT)


def _parser() -> argparse.ArgumentParser:
    methods = ["auto", *fl.list_methods()]
    parser = _Parser(
        prog="fairlead",
        description=(
            "Assign sales leads to managers: maximum expected conversion, a fair share each."
        ),
        epilog=(
            "exit codes: 0 ok, 2 bad input or usage, 3 no assignment satisfies the policy, "
            "4 plan written but the chosen method broke the policy"
        ),
    )
    parser.add_argument("--version", action="version", version=f"fairlead {fl.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="run on the embedded demo data and compare with CRM strategies",
        description="Assign the embedded demo leads and compare fairlead with CRM baselines.",
    )
    demo.add_argument(
        "--method",
        default="auto",
        choices=methods,
        metavar="NAME",
        help="solver of the main plan (default: auto); see 'fairlead methods'",
    )
    demo.add_argument(
        "--explain",
        nargs="+",
        metavar="LEAD_ID",
        help="leads to explain (default: the first hot, warm and cold lead)",
    )
    demo.add_argument(
        "--report",
        default=DEMO_REPORT,
        metavar="FILE",
        help=f"where to write the demo quarter's report (default: {DEMO_REPORT})",
    )
    demo.add_argument(
        "--lang", default="en", choices=("en", "ru"), help="the report's language (default: en)"
    )
    demo.add_argument(
        "--no-report", action="store_true", help="print the assignment only; write no report"
    )
    demo.set_defaults(run=_run_demo)

    run = commands.add_parser(
        "assign",
        help="assign leads from files and write the plan",
        description=(
            "Read leads and managers (CSV or JSON, by suffix) and a policy (JSON), "
            "assign, and write one row per lead to --out (CSV or JSON)."
        ),
    )
    run.add_argument("--leads", required=True, metavar="FILE", help="leads, .csv or .json")
    run.add_argument("--managers", required=True, metavar="FILE", help="managers, .csv or .json")
    run.add_argument("--policy", metavar="FILE", help="policy settings, .json (default: defaults)")
    run.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="the plan, .csv or .json (replaced if it exists; never one of the inputs)",
    )
    run.add_argument(
        "--method",
        default="auto",
        choices=methods,
        metavar="NAME",
        help="solver (default: auto); see 'fairlead methods'",
    )
    run.set_defaults(run=_run_assign)

    report = commands.add_parser(
        "report",
        help="write the head of sales' report (one HTML file) from a CRM event log",
        description=(
            "Read an event log (CSV or JSON; see docs/kpi.md), and optionally a sales "
            "plan, the team and a policy, and write one self-contained HTML page: plan "
            "and fact, what the plan takes, the funnel, response times, fair shares, the "
            "rating, client satisfaction and retention, and what needs attention."
        ),
    )
    report.add_argument("--events", required=True, metavar="FILE", help="event log, .csv or .json")
    report.add_argument(
        "--plan", metavar="FILE", help="sales plan, .csv or .json: period, manager_id, revenue"
    )
    report.add_argument(
        "--managers", metavar="FILE", help="the team, .csv or .json (names, capacity)"
    )
    report.add_argument(
        "--policy", metavar="FILE", help="policy settings, .json (default: defaults)"
    )
    report.add_argument(
        "--period",
        default="week",
        choices=kpi.PERIODS,
        help="the report's columns: day, week (default) or month",
    )
    report.add_argument(
        "--lang", default="en", choices=("en", "ru"), help="language: en (default) or ru"
    )
    report.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="the team's time zone, e.g. Europe/Moscow (default: UTC)",
    )
    report.add_argument(
        "--now",
        metavar="TIME",
        help="the report's moment, ISO 8601 (default: the last event of the log)",
    )
    report.add_argument(
        "--since",
        metavar="TIME",
        help="the first moment the report covers, ISO 8601 (default: the first event); "
        "earlier events are history: the clients active then, the plan's rates",
    )
    report.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="the report, .html (replaced if it exists; never one of the inputs)",
    )
    report.set_defaults(run=_run_report)

    listing = commands.add_parser("methods", help="list the assignment methods")
    listing.set_defaults(run=_run_methods)

    repair = commands.add_parser(
        "repair-store",
        help="recompute a damaged router store's books from its decisions",
        description=(
            "A router refuses a store whose books do not add up. This recomputes its "
            "open loads and counts from the leads it recorded, for the team and policy "
            "given, and says what it changed. Stop the routers that use it first."
        ),
    )
    repair.add_argument("store", metavar="STORE", help="the router's SQLite file")
    repair.add_argument("--managers", required=True, metavar="FILE", help="the team, .csv or .json")
    repair.add_argument(
        "--policy", metavar="FILE", help="policy settings, .json (default: defaults)"
    )
    repair.add_argument(
        "--dry-run", action="store_true", help="say what would change; write nothing"
    )
    repair.set_defaults(run=_run_repair_store)
    database_help = (
        "database URL: sqlite:///file.db or postgresql://user@host:port/db "
        "(default: FAIRLEAD_DATABASE_URL, else sqlite:///fairlead.db)"
    )
    add_service_commands(commands, database_help)
    add_import_command(commands, database_help)
    add_connect_command(commands, database_help)
    return parser


def _error(message: str, *, prog: str = "fairlead") -> None:
    print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``fairlead`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code: 0 success, 2 bad input or usage, 3 infeasible policy, 4 a plan
        was written but the chosen method (a heuristic) broke the policy.

    Examples
    --------
    >>> from fairlead.cli import main
    >>> code = main(["methods"])  # doctest: +ELLIPSIS
    auto ...the default...min_cost_flow ...round_robin ...
    >>> code
    0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    command: Callable[[argparse.Namespace, TextIO], int] = args.run
    try:
        return command(args, sys.stdout)
    except fl.InfeasibleError as exc:
        _error(str(exc))
        return EXIT_INFEASIBLE
    except ValueError as exc:  # InputError, FileError, unknown lead id ...
        _error(str(exc))
        return EXIT_INPUT
    except BrokenPipeError:  # e.g. `fairlead demo | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
