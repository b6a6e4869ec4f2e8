"""A CRM end to end, as its log tells it: webhook in, decision, owner written back.

For each CRM (Bitrix24, Kommo) a fake account on loopback (``tests/connectors/fakes``:
the vendors' documented payloads and their real rate limits) and ``fairlead serve``
as a process of its own, on a SQLite file, logging at ``info``. The script plays a
working day's trouble and prints the service's log with what happened around it:

1. leads created in the CRM: each webhook kept, the lead routed, its owner written;
2. the CRM goes down for a while, leads keep coming (their events arrive, the leads
   cannot be read): the service waits, and writes when the CRM is back;
3. the service is stopped, leads are created meanwhile (their webhooks find nobody and
   are not sent again), and it is started again: the catch-up read finds them;
4. a person gives a lead to another manager in the CRM, another lead is won.

Then it checks, from the CRM's side: every lead has one owner, fairlead's (but the one
a person moved, which keeps the person's choice), each written once, and no request
went over the CRM's limit. About a minute per CRM::

    python benchmarks/crm_end_to_end.py              # both
    python benchmarks/crm_end_to_end.py --crm kommo  # one
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "connectors"))

from fakes._serve import free_port, serving
from fakes._wait import wait_for
from fakes.bitrix24 import FakeBitrix24
from fakes.kommo import FakeKommo

from _machine import machine_info
from fairlead.service import Database, create_key, create_team, upgrade

#: Seconds between two catch-up reads in this run (the default is 120).
CATCH_UP = 3


class Serve:
    """``fairlead serve`` in a process group of its own, its log in a file."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "fairlead", "serve", "--database-url", url,
                 "--port", str(port), "--no-demo", "--log-level", "info"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"fairlead serve exited: {log.read_text()[-500:]}") from None
                time.sleep(0.1)
        raise RuntimeError("fairlead serve did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=40)


class Story:
    """What the script did, in order, merged later with the service's log by time."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []

    def say(self, text: str) -> None:
        self.lines.append((time.time(), f"---- {text}"))


class Account:
    """One CRM's fake account behind the few moves the story needs."""

    crm: str
    #: What ``owner_writes`` counts.
    writes: str
    managers: tuple[str, ...]
    settings: dict[str, Any]
    mapping: dict[str, Any]

    def add(self, title: str) -> str:
        raise NotImplementedError

    def owner(self, lead: str) -> str:
        raise NotImplementedError

    def move(self, lead: str, user: str) -> None:
        raise NotImplementedError

    def win(self, lead: str) -> None:
        raise NotImplementedError

    def outage(self, on: bool) -> None:
        raise NotImplementedError

    def point_webhook(self, url: str | None) -> None:
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """``requests``, ``over_limit``, ``owner_writes`` (leads in the write requests)."""
        raise NotImplementedError


class Bitrix24Account(Account):
    crm = "bitrix24"
    writes = "crm.lead.update calls (in batch requests)"
    managers = ("2", "3", "4")

    def __init__(self, fake: FakeBitrix24, base: str) -> None:
        self.fake = fake
        self.settings = {
            "webhook_url": fake.webhook_base(base),
            "application_token": fake.application_token,
            "catch_up": CATCH_UP,
        }
        self.mapping = {"source": {"field": "SOURCE_ID"},
                        "managers": {"groups": ["5"], "max_active_leads": 50}}  # fmt: skip

    def add(self, title: str) -> str:
        return str(self.fake.add_lead({"TITLE": title, "SOURCE_ID": "WEB", "ASSIGNED_BY_ID": "9"}))

    def owner(self, lead: str) -> str:
        return str(self.fake.get_lead(lead)["ASSIGNED_BY_ID"])

    def move(self, lead: str, user: str) -> None:
        self.fake.update_lead(lead, {"ASSIGNED_BY_ID": user})

    def win(self, lead: str) -> None:
        self.fake.update_lead(lead, {"STATUS_ID": "CONVERTED", "OPPORTUNITY": "12500.00"})

    def outage(self, on: bool) -> None:
        self.fake.outage(on)

    def point_webhook(self, url: str | None) -> None:
        self.fake.handler_url = url

    def counts(self) -> dict[str, int]:
        stats = self.fake.stats()
        return {
            "requests": stats["total_requests"],
            "over_limit": stats["rejected_by_limit"],
            "owner_writes": stats["calls"].get("crm.lead.update", 0),
        }


class KommoAccount(Account):
    crm = "kommo"
    writes = "PATCH /api/v4/leads requests"
    managers = ("504142", "504143")

    def __init__(self, fake: FakeKommo, base: str) -> None:
        self.fake = fake
        self.settings = {"base_url": base, "access_token": "long-lived-token", "catch_up": CATCH_UP}
        self.mapping = {"managers": {"groups": ["625"], "max_active_leads": 50}}

    def add(self, title: str) -> str:
        return str(self.fake.add_lead(name=title, price=12500, responsible_user_id=504141)["id"])

    def owner(self, lead: str) -> str:
        return str(self.fake.lead(int(lead))["responsible_user_id"])

    def move(self, lead: str, user: str) -> None:
        self.fake.update_lead(int(lead), responsible_user_id=int(user), by=504141)

    def win(self, lead: str) -> None:
        self.fake.update_lead(int(lead), status_id=142)

    def outage(self, on: bool) -> None:
        self.fake.outage(on)

    def point_webhook(self, url: str | None) -> None:
        self.fake.handler_url = url

    def counts(self) -> dict[str, int]:
        patched = sum(1 for r in self.fake.log if r.method == "PATCH" and r.path == "/api/v4/leads")
        return {
            "requests": len(self.fake.log),
            "over_limit": self.fake.rate_limited,
            "owner_writes": patched,
        }


@contextmanager
def account(crm: str) -> Iterator[Account]:
    if crm == "bitrix24":
        users = [{"ID": u, "NAME": n, "UF_DEPARTMENT": [5]}
                 for u, n in (("2", "Anna"), ("3", "Boris"), ("4", "Cleo"))]  # fmt: skip
        users.append({"ID": "9", "NAME": "Reception", "UF_DEPARTMENT": [9]})
        fake = FakeBitrix24(users=users)  # 2 requests a second after a burst of 50
        with serving(fake.app) as base:
            yield Bitrix24Account(fake, base)
        fake.close()
    else:
        kommo = FakeKommo()  # 7 requests a second; no webhook sent again
        with serving(kommo.app) as base:
            yield KommoAccount(kommo, base)
        kommo.close()


def play(crm: str, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir / f'{crm}.db'}"
    db = Database(url)
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "sales")
        key = create_key(conn, "sales", "admin")[1]
    db.dispose()
    log = workdir / f"{crm}.log"
    story = Story()
    port = free_port()
    decided: dict[str, str] = {}
    with account(crm) as crm_account:
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                           headers={"Authorization": f"Bearer {key}"}, timeout=30)  # fmt: skip

        def decision(lead: str) -> str | None:
            r = api.get(f"/v1/leads/{lead}")
            return r.json()["manager_id"] if r.status_code == 200 else None

        def routed(leads: list[str], what: str) -> None:
            for lead in leads:
                decided[lead] = wait_for(
                    lambda lead=lead: decision(lead), timeout=60, what=f"{what} {lead}"
                )
            wait_for(lambda: all(crm_account.owner(x) == decided[x] for x in leads),
                     timeout=60, what=f"{what}: owners in the CRM")  # fmt: skip

        server = Serve(url, port, log)
        try:
            story.say(f"{crm}: connected, the managers read from the CRM's users")
            body = {"settings": crm_account.settings, "mapping": crm_account.mapping}
            connected = api.put(f"/v1/connectors/{crm}", json=body)
            connected.raise_for_status()
            api.post(f"/v1/connectors/{crm}/managers/sync").raise_for_status()
            crm_account.point_webhook(f"http://127.0.0.1:{port}{connected.json()['webhook_path']}")

            story.say("1. three leads created in the CRM")
            first = [crm_account.add(f"Lead {i}") for i in range(3)]
            routed(first, "decision")

            story.say("2. the CRM goes down; two leads are created meanwhile")
            crm_account.outage(True)
            during = [crm_account.add(f"During the outage {i}") for i in range(2)]
            time.sleep(6.0)
            story.say("2. the CRM is back")
            crm_account.outage(False)
            routed(during, "after the outage")

            story.say("3. fairlead serve is stopped")
            server.stop()
            story.say("3. two leads created while fairlead is down (their webhooks are lost)")
            missed = [crm_account.add(f"While down {i}") for i in range(2)]
            time.sleep(1.0)
            story.say("3. fairlead serve starts again")
            server = Serve(url, port, log)
            routed(missed, "caught up")

            moved, won = first[0], first[1]
            other = next(u for u in crm_account.managers if u != decided[moved])
            story.say(f"4. a person gives lead {moved} to {other} in the CRM; lead {won} is won")
            crm_account.move(moved, other)
            crm_account.win(won)
            wait_for(
                lambda: decision(moved) == other, timeout=60, what="the person's move followed"
            )
            time.sleep(CATCH_UP + 2.0)  # echoes read, a catch-up read or two: nothing new
            state = api.get(f"/v1/connectors/{crm}").json()
            story.say("done")
        finally:
            server.stop()
            api.close()
        counts = crm_account.counts()
        owners = {lead: crm_account.owner(lead) for lead in decided}
    expected = {**decided, moved: other}
    return {
        "crm": crm,
        "leads": len(decided),
        "owners_as_decided": sum(owners[x] == expected[x] for x in decided),
        "moved_kept": owners[moved] == other,
        "outbox": state["outbox"],
        "inbox": state["inbox"],
        **counts,
        "writes": crm_account.writes,
        "log": _merged(log, story),
    }


def _merged(log: Path, story: Story) -> list[str]:
    """The service's log lines about the CRM and the requests, with the story's steps."""
    lines = list(story.lines)
    for raw in log.read_text().splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        msg = line.get("msg", "")
        path = line.get("path", "")
        if path.startswith(("/v1/leads/", "/v1/connectors/")) and line.get("method") == "GET":
            continue  # the script's own polling
        when = time.mktime(time.strptime(line["ts"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        when += int(line["ts"][20:23]) / 1000
        extra = f" [{line['method']} {path} {line.get('status')}]" if "method" in line else ""
        lines.append((when, f"{line['ts'][11:23]} {line['level']:<7} {msg}{extra}"))
    lines.sort(key=lambda x: x[0])
    return [text for _, text in lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crm", choices=("bitrix24", "kommo", "all"), default="all")
    args = parser.parse_args(argv)
    info = machine_info("fairlead", "httpx")
    print(
        "fairlead CRM end to end: fake CRMs at their documented limits, fairlead serve on "
        f"SQLite; {info['cores']} cores, Python {info['python']}, fairlead {info['fairlead']}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="fairlead-crm-e2e-"))
    ok = True
    for crm in ("bitrix24", "kommo") if args.crm == "all" else (args.crm,):
        result = play(crm, workdir)
        print(f"\n== {crm}: the service's log (webhooks in, decisions, write-backs) ==")
        for line in result["log"]:
            print(line)
        good = (
            result["owners_as_decided"] == result["leads"]
            and result["moved_kept"]
            and result["over_limit"] == 0
            and result["inbox"]["failed"] == 0
            and result["outbox"]["failed"] == 0
            and result["outbox"]["pending"] == 0
        )
        ok = ok and good
        print(
            f"{crm} | {result['leads']} leads: owner in the CRM as fairlead decided for "
            f"{result['owners_as_decided']} (the one a person moved keeps the person's "
            f"choice: {result['moved_kept']}); owners written {result['outbox']['sent']} "
            f"({result['owner_writes']} {result['writes']}); failed writes "
            f"{result['outbox']['failed']}, failed events {result['inbox']['failed']}; "
            f"{result['requests']} requests to the CRM, over its limit {result['over_limit']}"
        )
    print(f"\nverdict: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
