"""Four service processes on one PostgreSQL, one SIGKILLed midway: nothing lost, nothing twice.

Real ``fairlead serve`` processes (each its own process and port, as replicas behind a
load balancer would be), 8 client threads on each sending leads with duplicate ids
across threads and processes, replays under the same ``Idempotency-Key``, reads, and
``contacted`` / ``won`` / ``lost`` events that free capacity. Twenty managers with
two to four slots each, so capacity binds and leads wait; every process places the
waiting ones each second (``FAIRLEAD_SWEEP_EVERY=1``), so the scheduler's batch
placement runs against the requests too. Midway one process is SIGKILLed (no
shutdown: transactions in flight are cut) and restarted on its port.

A client does what a CRM behind a load balancer does: a request that gets no answer
(refused, or cut by the kill) is sent again, same body and same key, to the next
process. Only an HTTP 200/201 counts as acknowledged. Afterwards the database is read
directly (psycopg, not the service's code) and must show: one row per lead, the
manager of every acknowledged decision, no manager above ``max_active_leads``, one
``assigned`` KPI event per placed lead, every acknowledged event applied, every
acknowledged keyed request recorded with the answer the client got; and the team's
router, reopened on the database, must pass its own audit (counters against a recount
of the decisions, :class:`~fairlead.DamagedStoreError` otherwise) and report the same
counts as a recount.

Errors allowed: connection errors (refused or cut) only to the killed process, and
none outside the kill window; no HTTP error at all, from any process, at any time.
A killed process cannot answer, so it cannot produce a 5xx; the others only wait on
the team's row lock until PostgreSQL sees the dead connection and rolls its
transaction back (at once: the kernel closes the socket), so a 5xx from them would be
a bug, not an expected effect of the kill.

Run alone, with its counts printed: ``pytest -s tests/service/test_replicas.py``.
It takes 25 to 35 s on 2 cores and is skipped when no PostgreSQL is available.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

import fairlead as fl
from fairlead.service import Database, DatabaseStore, create_key, create_team, upgrade

TEAM = "replicas"
PROCESSES = 4
THREADS = 8  # client threads per process
MANAGERS = 20
RUN_SECONDS = 15.0  # of traffic, from the first request
KILL_AT = 5.0  # seconds into the traffic
DOWN_SECONDS = 0.5  # between the kill and the restart: the port refuses meanwhile
READY_TIMEOUT = 40.0
REQUEST_TIMEOUT = 20.0  # a request slower than this is a failure (none expected)
SHARE_DUPLICATE = 0.15  # a lead id another thread (of any process) sent already
SHARE_REPLAY = 0.10  # an earlier keyed request again, same key, same body
SHARE_KEYED = 0.5  # new leads sent with an Idempotency-Key
SHARE_RELEASE = 0.45  # per step: close this thread's oldest open lead
SHARE_CONTACT = 0.3  # of the closed leads: contacted first
SHARE_LOOKUP = 0.1  # per step: ask whether this thread's oldest waiting lead was placed
#: The answers that acknowledge a request: the client may rely on what they say.
ACK = (200, 201)


# -- the processes -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Replica:
    """One ``fairlead serve`` process on its own port, restartable on that port."""

    url: str
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        env = dict(os.environ)
        # Place waiting leads every second in every process (the default is a
        # minute), so batch placements race with the requests; prices keep their
        # default schedule: one process takes the first hourly turn, at start.
        # A small pool: requests of a team take turns on its lock anyway, and the
        # server is shared with other tests.
        env.update(FAIRLEAD_SWEEP_EVERY="1", FAIRLEAD_POOL_SIZE="4")
        self.starts += 1
        with open(self.log, "ab") as out:
            out.write(f"--- start {self.starts}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "fairlead", "serve", "--database-url", self.url,
                    "--port", str(self.port), "--no-demo", "--log-level", "warning",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )  # fmt: skip

    def wait_ready(self, deadline: float) -> None:
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"replica on port {self.port} exited:\n{self.tail()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"replica on port {self.port} not ready:\n{self.tail()}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful stop), SIGKILL if it does not end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


# -- the clients -------------------------------------------------------------------------


@dataclass
class Attempt:
    """One HTTP exchange (a request may take several: failover after no answer)."""

    request: int  # the logical request it belongs to
    kind: str  # lead, replay, duplicate, event, lookup
    method: str
    path: str
    body: dict[str, Any] | None
    key: str | None
    port: int
    started: float
    ended: float
    status: int | None = None  # None: no answer
    error: str | None = None  # refused, cut, timeout
    answer: Any = None


@dataclass
class Shared:
    """What the client threads share: lead ids and keyed requests to send again."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    lead_ids: list[str] = field(default_factory=list)
    keyed: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    counter: int = 0

    def next_request(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter


def lead_body(lead_id: str) -> dict[str, Any]:
    """The same body for a lead id wherever it is sent from (a duplicate is the same lead)."""
    score = 0.05 + 0.9 * (zlib.crc32(lead_id.encode()) % 1000) / 1000
    return {"id": lead_id, "score": round(score, 3)}


class Client(threading.Thread):
    """A CRM connection to one replica; on no answer it retries on the next one."""

    def __init__(
        self,
        home: int,
        number: int,
        ports: list[int],
        key: str,
        shared: Shared,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"client-{home}-{number}", daemon=True)
        self.home, self.number, self.ports = home, number, ports
        self.shared, self.stop = shared, stop
        self.headers = {"Authorization": f"Bearer {key}"}
        self.rng = random.Random(1000 * home + number)
        self.attempts: list[Attempt] = []
        self.open: deque[str] = deque()  # leads this thread holds a manager for
        self.waiting: deque[str] = deque()  # leads this thread saw wait
        self.made = 0
        self.crashed: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(timeout=REQUEST_TIMEOUT) as http:
                while not self.stop.is_set():
                    self.step(http)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.crashed = exc

    def step(self, http: httpx.Client) -> None:
        rng, shared = self.rng, self.shared
        if self.open and rng.random() < SHARE_RELEASE:
            lead_id = self.open.popleft()
            if rng.random() < SHARE_CONTACT:
                self.event(http, lead_id, "contacted")
            self.event(http, lead_id, "won" if rng.random() < 0.5 else "lost")
            return
        if self.waiting and rng.random() < SHARE_LOOKUP:
            lead_id = self.waiting.popleft()
            got = self.send(http, "lookup", "GET", f"/v1/leads/{lead_id}", None, None)
            if got is not None and got.status == 200:
                (self.open if got.answer["manager_id"] else self.waiting).append(lead_id)
            return
        draw = rng.random()
        with shared.lock:
            replay = rng.choice(shared.keyed) if shared.keyed and draw < SHARE_REPLAY else None
            duplicate = (
                rng.choice(shared.lead_ids)
                if shared.lead_ids and SHARE_REPLAY <= draw < SHARE_REPLAY + SHARE_DUPLICATE
                else None
            )
        if replay is not None:
            path, body, key = replay
            self.send(http, "replay", "POST", path, body, key)
            return
        if duplicate is not None:
            key = f"dup-{self.home}-{self.number}-{self.made}" if rng.random() < 0.5 else None
            self.made += 1
            self.send(http, "duplicate", "POST", "/v1/leads", lead_body(duplicate), key)
            return
        lead_id = f"p{self.home}-t{self.number}-{self.made}"
        key = f"new-{lead_id}" if rng.random() < SHARE_KEYED else None
        self.made += 1
        body = lead_body(lead_id)
        got = self.send(http, "lead", "POST", "/v1/leads", body, key)
        with shared.lock:
            shared.lead_ids.append(lead_id)
            if key is not None:
                shared.keyed.append(("/v1/leads", body, key))
        if got is not None and got.status == 200:
            (self.open if got.answer["manager_id"] else self.waiting).append(lead_id)

    def event(self, http: httpx.Client, lead_id: str, kind: str) -> None:
        # Only the thread that made a lead reports its events, once each; the key makes
        # a retry after a cut connection safe (the first answer, or the first time).
        path, key = f"/v1/leads/{lead_id}/events", f"ev-{lead_id}-{kind}"
        body: dict[str, Any] = {"type": kind, "event_id": f"{lead_id}:{kind}"}
        self.send(http, "event", "POST", path, body, key)
        if kind != "contacted":
            # Closing events may come again from anyone (a contact after the close would
            # be recorded in the KPI log but change nothing: the check below expects one).
            with self.shared.lock:
                self.shared.keyed.append((path, body, key))

    def send(
        self,
        http: httpx.Client,
        kind: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        key: str | None,
    ) -> Attempt | None:
        """The request, on the home replica then the others in turn; the answered attempt."""
        request = self.shared.next_request()
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        for turn in range(len(self.ports)):
            port = self.ports[(self.home + turn) % len(self.ports)]
            started = time.monotonic()
            attempt = Attempt(request, kind, method, path, body, key, port, started, started)
            try:
                response = http.request(
                    method, f"http://127.0.0.1:{port}{path}", json=body, headers=headers
                )
            except httpx.TimeoutException:
                attempt.error = "timeout"
            except httpx.ConnectError:
                attempt.error = "refused"  # never sent: certainly not applied
            except httpx.TransportError:
                attempt.error = "cut"  # sent, no answer: applied or not
            else:
                attempt.status = response.status_code
                attempt.answer = response.json()
            attempt.ended = time.monotonic()
            self.attempts.append(attempt)
            if attempt.status is not None:
                return attempt
        return None


# -- the run -----------------------------------------------------------------------------


def _team(db: Database) -> tuple[list[fl.Manager], fl.Policy, str]:
    """Twenty managers with 2-4 slots (about 60 in all: capacity binds), and a write key."""
    levels = ("junior", "middle", "senior")
    managers = [
        fl.Manager(id=f"m{j:02d}", level=levels[j % 3], max_active_leads=2 + j % 3)
        for j in range(MANAGERS)
    ]
    policy = fl.Policy()
    with db.write() as conn:
        create_team(conn, TEAM, managers=managers, policy=policy)
        _, key = create_key(conn, TEAM, "write", "replica test")
    return managers, policy, key


@dataclass
class Run:
    attempts: list[Attempt]
    ports: list[int]
    victim: int  # its port
    killed_at: float
    ready_at: float
    started: float
    ended: float


def _traffic(replicas: list[Replica], key: str) -> Run:
    ports = [r.port for r in replicas]
    shared, stop = Shared(), threading.Event()
    clients = [
        Client(home, number, ports, key, shared, stop)
        for home in range(PROCESSES)
        for number in range(THREADS)
    ]
    victim = replicas[1]
    started = time.monotonic()
    for c in clients:
        c.start()
    try:
        time.sleep(max(0.0, started + KILL_AT - time.monotonic()))
        killed_at = time.monotonic()
        victim.kill()
        time.sleep(DOWN_SECONDS)
        victim.start()
        victim.wait_ready(time.monotonic() + READY_TIMEOUT)
        ready_at = time.monotonic()
        # At least a few seconds of traffic after the restart, with every replica up.
        time.sleep(max(4.0, started + RUN_SECONDS - time.monotonic()))
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=REQUEST_TIMEOUT * PROCESSES + 5)
    ended = time.monotonic()
    for c in clients:
        assert not c.is_alive(), f"{c.name} did not stop"
        if c.crashed is not None:
            raise AssertionError(f"{c.name} failed") from c.crashed
    attempts = [a for c in clients for a in c.attempts]
    return Run(attempts, ports, victim.port, killed_at, ready_at, started, ended)


# -- the checks --------------------------------------------------------------------------


def _rows(url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, args).fetchall()


def _check_errors(run: Run) -> Counter[str]:
    """Errors by kind; fail on any not explained by the kill."""
    errors: Counter[str] = Counter()
    window = (run.killed_at, run.ready_at)
    unexplained = []
    for a in run.attempts:
        if a.status in ACK:
            continue
        what = a.error if a.error is not None else f"http {a.status}"
        errors[what] += 1
        killed = a.port == run.victim and a.error in ("refused", "cut")
        # ``cut``: sent before the kill, cut by it; ``refused``: sent while it was down.
        in_window = a.started <= window[1] and a.ended >= window[0]
        if not (killed and in_window):
            unexplained.append(a)
    assert not unexplained, "errors not explained by the kill:\n" + "\n".join(
        f"{a.method} {a.path} on :{a.port} at {a.started - run.started:.2f} s: "
        f"{a.error or a.status} {json.dumps(a.answer)[:300]}"
        for a in unexplained[:10]
    )
    return errors


def _check_database(url: str, run: Run, managers: list[fl.Manager]) -> dict[str, int]:
    acked = [a for a in run.attempts if a.status in ACK]
    rows = _rows(
        url,
        "SELECT lead_id, manager_id, kind, released_at, outcome, contacted_at, work "
        "FROM router_leads WHERE tenant_id = %s",
        TEAM,
    )
    stored = {r[0]: r for r in rows}
    assert len(stored) == len(rows), "a lead id has two rows"
    sent = {a.body["id"] for a in run.attempts if a.path == "/v1/leads" and a.body is not None}
    assert set(stored) <= sent, f"leads nobody sent: {sorted(set(stored) - sent)[:5]}"

    # Every acknowledged decision is stored, with the manager the client was told.
    told: defaultdict[str, set[str]] = defaultdict(set)
    for a in acked:
        if a.path == "/v1/leads" or a.kind == "lookup":
            lead_id = a.answer["lead_id"]
            assert lead_id in stored, f"acknowledged lead {lead_id!r} is not in the database"
            if a.answer["manager_id"] is not None:
                told[lead_id].add(a.answer["manager_id"])
    for lead_id, names in told.items():
        # No SLA, so nothing is reassigned: a lead's manager never changes once given.
        assert names == {stored[lead_id][1]}, (
            f"lead {lead_id!r}: clients were told {sorted(names)}, the database has "
            f"{stored[lead_id][1]!r}"
        )

    # Every acknowledged keyed request is recorded, and every answer under a key is the
    # first answer (the one the database kept).
    kept = {
        k: (status, json.loads(body))
        for k, status, body in _rows(
            url, "SELECT key, status, body FROM idempotency WHERE tenant_id = %s", TEAM
        )
    }
    for a in acked:
        if a.key is not None:
            assert a.key in kept, f"acknowledged key {a.key!r} is not in the database"
            assert (a.status, a.answer) == kept[a.key], f"key {a.key!r}: another answer"

    # Every acknowledged event is applied: in the KPI log, and on the lead.
    logged = {
        r[0]: r[1:]
        for r in _rows(url, "SELECT event_id, type, lead_id FROM events WHERE tenant_id = %s", TEAM)
    }
    for a in acked:
        if not a.path.endswith("/events"):
            continue
        assert a.body is not None
        lead_id, kind = a.path.split("/")[3], a.body["type"]
        assert logged.get(a.body["event_id"]) == (kind, lead_id), f"event {a.body} not logged"
        row = stored[lead_id]
        if kind == "contacted":
            assert row[5] is not None, f"lead {lead_id!r}: contact acknowledged, not stored"
        else:
            assert row[3] is not None, f"lead {lead_id!r}: {kind} acknowledged, not stored"
            assert row[4] == kind, f"lead {lead_id!r}: {kind} acknowledged, {row[4]!r} stored"

    # No manager above capacity (each lead's workload is 1 here: count and sum agree).
    capacity = {m.id: m.max_active_leads for m in managers}
    open_by: Counter[str] = Counter()
    work_by: Counter[str] = Counter()
    for _, mid, _, released_at, _, _, work in rows:
        if mid is not None and released_at is None:
            open_by[mid] += 1
            work_by[mid] += work
    over = {m: n for m, n in open_by.items() if n > capacity[m] or work_by[m] > capacity[m] + 1e-9}
    assert not over, f"managers above capacity: {over} (capacities {capacity})"

    # One ``created`` per lead, one ``assigned`` per placed lead, naming its manager.
    assigned: defaultdict[str, list[str]] = defaultdict(list)
    created: Counter[str] = Counter()
    for kind, lead_id, mid in _rows(
        url,
        "SELECT type, lead_id, manager_id FROM events WHERE tenant_id = %s "
        "AND type IN ('assigned', 'created')",
        TEAM,
    ):
        if kind == "assigned":
            assigned[lead_id].append(mid)
        else:
            created[lead_id] += 1
    assert set(created) == set(stored), "leads without a 'created' event, or the reverse"
    assert set(created.values()) == {1}
    placed = {lead_id: r[1] for lead_id, r in stored.items() if r[1] is not None}
    assert {k: [v] for k, v in placed.items()} == dict(assigned), "assigned events != placements"

    return {
        "leads": len(stored),
        "placed": len(placed),
        "waiting": sum(1 for r in rows if r[1] is None and r[3] is None),
        "released": sum(1 for r in rows if r[3] is not None),
        "open": sum(open_by.values()),
        "capacity": sum(capacity.values()),
    }


def _check_router(url: str, managers: list[fl.Manager], policy: fl.Policy) -> None:
    """Reopen the team's router on the database: its audit passes, its counts recount."""
    revision = _rows(url, "SELECT revision FROM tenants WHERE id = %s", TEAM)[0][0]
    db = Database(url)
    try:
        # Opening audits the stored counters against the decisions table
        # (DamagedStoreError if they differ); the same settings as the service's.
        router = fl.Router(
            managers, policy, store=DatabaseStore(db, TEAM, revision), reconfigure=True
        )
        try:
            status = {s.manager_id: s for s in router.status(datetime.now(UTC))}
        finally:
            router.close()
    finally:
        db.dispose()
    recount = {
        mid: (held, open_, released, won)
        for mid, held, open_, released, won in _rows(
            url,
            "SELECT manager_id, count(*), "
            "coalesce(sum(work) FILTER (WHERE released_at IS NULL), 0), "
            "count(*) FILTER (WHERE released_at IS NOT NULL), "
            "count(*) FILTER (WHERE outcome = 'won') "
            "FROM router_leads WHERE tenant_id = %s AND manager_id IS NOT NULL "
            "GROUP BY manager_id",
            TEAM,
        )
    }
    for m in managers:
        s = status[m.id]
        held, open_, released, won = recount.get(m.id, (0, 0.0, 0, 0))
        got = (s.routed + s.reassigned_in - s.reassigned_out, s.open, s.released, s.won)
        assert got == pytest.approx((held, open_, released, won)), f"manager {m.id}: {got}"


def test_replicas_survive_a_kill(postgres_url: str, tmp_path: Path) -> None:
    db = Database(postgres_url)
    try:
        upgrade(db)  # once, before the replicas start (they only find it done)
        managers, policy, key = _team(db)
    finally:
        db.dispose()
    replicas = [
        Replica(postgres_url, _free_port(), tmp_path / f"replica-{k}.log") for k in range(PROCESSES)
    ]
    try:
        for r in replicas:
            r.start()
        deadline = time.monotonic() + READY_TIMEOUT
        for r in replicas:
            r.wait_ready(deadline)
        run = _traffic(replicas, key)
    finally:
        for r in replicas:
            r.stop()
    # What the database holds first (the properties the run is about), then the answers.
    counts = _check_database(postgres_url, run, managers)
    _check_router(postgres_url, managers, policy)
    errors = _check_errors(run)

    requests = {a.request for a in run.attempts}
    acked = [a for a in run.attempts if a.status in ACK]
    by_kind = Counter(a.kind for a in acked)
    replayed = sum(1 for a in acked if a.answer.get("replayed"))
    after_restart = sum(1 for a in acked if a.port == run.victim and a.started > run.ready_at)
    waited = sum(1 for a in acked if a.path == "/v1/leads" and a.answer.get("status") == "waiting")
    print(
        f"\nreplicas: {PROCESSES} processes x {THREADS} client threads on PostgreSQL, "
        f"{run.ended - run.started:.1f} s of traffic; port {run.victim} SIGKILLed at "
        f"{run.killed_at - run.started:.1f} s, restarted, serving again at "
        f"{run.ready_at - run.started:.1f} s"
        f"\n  requests {len(requests)} ({len(run.attempts)} attempts with failovers), "
        f"acknowledged {len(acked)}: "
        + ", ".join(f"{k} {n}" for k, n in sorted(by_kind.items()))
        + f"; answered replayed=true {replayed}, 'waiting' {waited}; acknowledged by the "
        f"restarted process {after_restart}"
        f"\n  errors: "
        + (", ".join(f"{k} {n}" for k, n in sorted(errors.items())) or "none")
        + " (connection errors, all to the killed process within the kill window); "
        "HTTP errors (4xx/5xx): 0"
        f"\n  database: {counts['leads']} leads, one row and one decision each: "
        f"{counts['placed']} placed (one 'assigned' event each), {counts['waiting']} "
        f"waiting; {counts['released']} released; {counts['open']} open of "
        f"{counts['capacity']} slots, no manager above capacity; reopened router: audit "
        "passed, status() = recount"
    )
    # The run exercised what it is about.
    assert len(requests) > 500, "too little traffic to mean anything"
    assert errors["cut"] + errors["refused"] > 0, "the kill went unnoticed"
    assert after_restart > 0, "the restarted process served nothing"
    assert counts["waiting"] + waited > 0, "capacity never bound"
    for kind in ("event", "replay", "duplicate", "lookup"):
        assert by_kind[kind] > 0, f"no {kind} acknowledged"
