"""CRM connector under load: webhooks through ``fairlead serve`` into a Bitrix24 portal.

A fake Bitrix24 portal (``tests/connectors/fakes/bitrix24.py``: the documented
payloads and its real limit, a leaky bucket of 50 requests draining 2 a second) and
``fairlead serve`` on a SQLite file, both on loopback. The portal fires ONCRMLEADADD
for each new lead; the service keeps it, fetches the lead, routes it and writes its
owner back with ``crm.lead.update``; the update's echo (ONCRMLEADUPDATE) comes back
and is read too. Two phases:

1. **steady**: ``--leads`` leads created at ``--rate`` a second (below what the limit
   lets through); end-to-end latency per lead, from its creation in the CRM to its
   owner's write, P50 / P99 / max;
2. **backlog**: ``--backlog`` leads created at once; the time until the last owner is
   written, against the floor the portal's limit sets for the requests fairlead sent
   (``(requests + bucket level - burst) / rate``, none below zero): a ratio near 1 means
   the limit, not fairlead, sets the pace.

Every request the portal rejected for the limit is counted (the goal: none), and so
are the requests per lead. About 8 minutes by default::

    python benchmarks/connector_throughput.py
    python benchmarks/connector_throughput.py --quick   # 1,000 leads, 500 in the backlog
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "connectors"))

from fakes._serve import free_port, serving
from fakes.bitrix24 import FakeBitrix24

import fairlead as fl
from _machine import machine_info, peak_rss_mib
from fairlead.service import Database, create_key, create_team, upgrade

TEAM = "crm"
RATE, BURST = 2.0, 50  # Bitrix24's standard plans
USERS = [
    {"ID": str(10 + i), "NAME": f"Manager {i}", "UF_DEPARTMENT": [1 + i % 4]} for i in range(20)
]
MAPPING = {
    "source": {"field": "SOURCE_ID"},
    "managers": {"groups": ["1", "2", "3", "4"], "max_active_leads": 5000},
}


class Serve:
    """``fairlead serve`` on a SQLite file, in a process group of its own."""

    def __init__(self, url: str, logdir: Path) -> None:
        self.port = free_port()
        self.log = logdir / "serve.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "fairlead", "serve", "--database-url", url,
                 "--port", str(self.port), "--no-demo", "--log-level", "warning"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    tail = self.log.read_text()[-500:]
                    raise RuntimeError(f"fairlead serve exited: {tail}") from None
                time.sleep(0.1)
        raise RuntimeError("fairlead serve did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=40)


class Written:
    """When the portal executed each lead's owner write (``crm.lead.update``)."""

    def __init__(self, fake: FakeBitrix24) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()
        update = fake._methods["crm.lead.update"]

        def timed(params: Any) -> Any:
            done = update(params)
            lead = str(params.get("id") or params.get("ID"))
            with self.lock:
                self.at.setdefault(lead, time.monotonic())
            return done

        fake._methods["crm.lead.update"] = timed

    def wait(self, leads: Sequence[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(x in self.at for x in leads):
                    return True
            time.sleep(0.05)
        return False


def run(args: argparse.Namespace) -> dict[str, Any]:
    logdir = Path(tempfile.mkdtemp(prefix="fairlead-connector-bench-"))
    url = f"sqlite:///{logdir / 'fairlead.db'}"
    db = Database(url)
    upgrade(db)
    with db.write() as conn:
        create_team(conn, TEAM, managers=[fl.Manager(id=USERS[0]["ID"], max_active_leads=5000)],
                    policy=fl.Policy(balance_tolerance=0.2))  # fmt: skip
        key = create_key(conn, TEAM, "admin")[1]
    db.dispose()
    fake = FakeBitrix24(users=USERS, rate=RATE, burst=BURST)
    written = Written(fake)
    server = Serve(url, logdir)
    try:
        with (
            serving(fake.app) as portal,
            httpx.Client(
                base_url=f"http://127.0.0.1:{server.port}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            ) as api,
        ):
            settings = {"webhook_url": fake.webhook_base(portal),
                        "application_token": fake.application_token}  # fmt: skip
            r = api.put("/v1/connectors/bitrix24", json={"settings": settings, "mapping": MAPPING})
            r.raise_for_status()
            api.post("/v1/connectors/bitrix24/managers/sync").raise_for_status()
            fake.handler_url = f"http://127.0.0.1:{server.port}{r.json()['webhook_path']}"
            steady = _steady(fake, written, args.leads, args.rate)
            time.sleep(args.pause)  # the echoes settle; the bucket drains
            backlog = _backlog(fake, written, args.backlog)
            stats = fake.stats()
            stats.pop("hits")
    finally:
        server.stop()
        fake.close()
    return {"steady": steady, "backlog": backlog, "portal": stats, "log": str(server.log)}


def _steady(fake: FakeBitrix24, written: Written, count: int, rate: float) -> dict[str, Any]:
    requests0 = fake.total_requests
    created: dict[str, float] = {}
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        time.sleep(max(0.0, due - time.monotonic()))
        lead = str(fake.add_lead({"TITLE": f"Lead {i}", "SOURCE_ID": "WEB"}))
        created[lead] = time.monotonic()
    done = written.wait(list(created), timeout=120 + count / 10)
    latency = np.array([written.at[x] - t for x, t in created.items() if x in written.at])
    return {
        "leads": count,
        "rate": rate,
        "written": int(latency.size),
        "complete": done,
        "p50_s": float(np.percentile(latency, 50)) if latency.size else math.nan,
        "p99_s": float(np.percentile(latency, 99)) if latency.size else math.nan,
        "max_s": float(latency.max()) if latency.size else math.nan,
        "requests": fake.total_requests - requests0,
    }


def _backlog(fake: FakeBitrix24, written: Written, count: int) -> dict[str, Any]:
    requests0, level0 = fake.total_requests, fake.bucket_level()
    start = time.monotonic()
    leads = [
        str(fake.add_lead({"TITLE": f"Backlog {i}", "SOURCE_ID": "CALL"})) for i in range(count)
    ]
    done = written.wait(leads, timeout=600)
    drained = max(written.at.get(x, time.monotonic()) for x in leads) - start
    # The echoes of the last writes are read too: count the requests once they settle.
    time.sleep(3.0)
    requests = fake.total_requests - requests0
    floor = max(0.0, (requests + level0 - BURST) / RATE)
    return {
        "leads": count,
        "complete": done,
        "drain_s": drained,
        "requests": requests,
        "floor_s": floor,
        "bucket_at_start": level0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=10_000, help="steady phase leads (10,000)")
    parser.add_argument("--rate", type=float, default=20.0, help="steady leads a second (20)")
    parser.add_argument("--backlog", type=int, default=1_000, help="leads at once (1,000)")
    parser.add_argument("--pause", type=float, default=30.0, help="seconds between phases (30)")
    parser.add_argument("--quick", action="store_true", help="1,000 leads, 500 in the backlog")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.leads, args.backlog, args.pause = 1_000, 500, 10.0
    info = machine_info("fairlead", "httpx", "uvicorn", "SQLAlchemy")
    print(f"fairlead connector throughput: fake Bitrix24 at {RATE:g} requests/s after a burst of "
          f"{BURST}, {len(USERS)} managers, fairlead serve on SQLite")  # fmt: skip
    print(f"machine: {info['cores']} cores, {info['platform']}, Python {info['python']}, "
          f"fairlead {info['fairlead']}, httpx {info['httpx']}")  # fmt: skip
    started = time.monotonic()
    result = run(args)
    s, b, p = result["steady"], result["backlog"], result["portal"]
    print(f"steady | {s['leads']} leads at {s['rate']:g}/s: owner written for {s['written']}; "
          f"creation to write-back p50 {s['p50_s']:.2f} s, p99 {s['p99_s']:.2f} s, "
          f"max {s['max_s']:.2f} s; {s['requests']} requests to the portal "
          f"({s['requests'] / max(s['leads'], 1):.3f} a lead)")  # fmt: skip
    ratio = b["drain_s"] / b["floor_s"] if b["floor_s"] > 0 else math.inf
    floor_text = (f"floor {b['floor_s']:.1f} s, ratio {ratio:.2f}" if b["floor_s"] > 0
                  else "within the burst: no floor")  # fmt: skip
    print(f"backlog | {b['leads']} leads at once: all owners written in {b['drain_s']:.1f} s "
          f"with {b['requests']} requests; limit's {floor_text}")  # fmt: skip
    print(f"portal | requests {p['total_requests']}, rejected for the limit "
          f"{p['rejected_by_limit']}, peak bucket {p['peak_level']:.1f} of {BURST}; "
          f"benchmark peak memory {peak_rss_mib():.0f} MiB; "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
    ok = s["complete"] and b["complete"] and p["rejected_by_limit"] == 0
    print(f"verdict: {'PASS' if ok else 'FAIL'} (every owner written, no request over the limit)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
