"""Service under load: ``POST /v1/leads`` at a fixed rate against ``fairlead serve``.

One team of 200 managers (skills among 5 products, levels trainee to senior,
``max_active_leads`` sized so that capacity never binds during the run: no lead
waits and none is released, so every request is one routing decision), policy with
a balance band (``balance_tolerance=0.2``). Leads arrive as a CRM webhook sends them
(``id``, ``score``, ``product``, ``source``, an explicit ``tier`` for about a third).

Cases, each on a database of its own (``CREATE DATABASE`` on the server of
``--database-url``, dropped afterwards):

* ``router, memory``: ``fairlead.Router`` in this machine's memory, called in a loop;
* ``router, PostgreSQL store``: the same router over the service's
  ``DatabaseStore`` (each call one transaction, the team's row locked);
* ``HTTP, 1 worker, SQLite``: ``fairlead serve`` on a SQLite file (the default);
* ``HTTP, 1 worker, PostgreSQL`` and ``HTTP, 4 workers, PostgreSQL``
  (``fairlead serve --workers 4``).

The two router cases run in a subprocess each (their peak memory is their own), one
call after the other with no pause, ``rate x min(seconds, 20)`` routes, each timed
alone. Each HTTP case has four phases, on ``--connections`` keep-alive connections
handed out in turn:

1. warm-up: 300 requests one at a time (every worker builds its team router);
2. one at a time (``--alone`` s): latency with no queue, for the HTTP overhead;
3. timed, open loop: request ``i`` is due at ``start + i / rate`` whatever happened to
   the ones before, and its latency runs from that moment to the last byte of the
   answer, so a server that falls behind shows its queue in the latency (no
   coordinated omission): ``rate x seconds`` requests;
4. saturated (``--saturate`` s): every connection sends again as soon as it has an
   answer; the most the case answers per second.

Then the server is stopped and the team's router reopened on the database: its audit
recounts the decisions against the stored counters, so fast answers that broke the
books do not pass (``audit FAILED``).

The client is this process: HTTP/1.1 written by hand over asyncio streams, on uvloop
when it is installed (a free connection per request, waiting if none is: that wait
counts in the latency): about 0.2 ms of CPU per request where ``httpx.AsyncClient``
takes about 1 ms, which at
500 requests/s would be half a core of a 2-core machine that also runs the server and
PostgreSQL. Its cost is printed (CPU per request, how late it started requests
against the schedule), and so what it could sustain.

Per case: p50 / p99 / p99.9 / max latency, errors by kind, decisions per second,
CPU per request of the server processes and of their PostgreSQL backends (from
``/proc/<pid>/stat``), commits per request, peak memory of the server processes
(``VmHWM``; with workers, the largest worker and the sum over the process tree), and
the load average (the machine may be shared). Then the HTTP overhead: HTTP one at a
time against the in-process router on PostgreSQL (latency, CPU per decision, most
decisions per second).

Goal: p99 < 10 ms at 500 requests/s on PostgreSQL with 200 managers, zero errors.
The exit status is 1 when that verdict is FAIL. About 5 minutes by default::

    python benchmarks/service_load.py
    python benchmarks/service_load.py --quick             # 10 s per HTTP case
    python benchmarks/service_load.py --rate 300 --seconds 30 --cases http-pg-1
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

import fairlead as fl
from _machine import machine_info, peak_rss_mib
from fairlead.service import Database, DatabaseStore, create_key, create_team, upgrade

Record = dict[str, Any]

MANAGERS = 200
TEAM = "load"
PRODUCTS = ("mortgage", "loans", "cards", "deposits", "insurance")
SOURCES = ("web", "phone", "partner", "chat")
LEVELS = ("trainee", "junior", "middle", "senior")
LEVEL_SHARES = (0.10, 0.25, 0.40, 0.25)
POLICY = {"balance_tolerance": 0.2}
#: Capacity over the leads a run sends: routing never finds the team full.
HEADROOM = 2.5
WARMUP_REQUESTS = 300
ALONE_SECONDS = 3.0
SATURATE_SECONDS = 5.0
#: Seconds the open loop waits for answers after the last request is due.
DRAIN_SECONDS = 10.0
#: Guess of the most a case answers per second, to size capacity for the saturated phase.
SATURATE_GUESS = 1500
ROUTER_SECONDS_MAX = 20.0
GOAL_P99_MS = 10.0
GOAL_RATE = 500
PERCENTILES = (50.0, 99.0, 99.9)
CASES = ("memory", "pg-store", "http-sqlite-1", "http-pg-1", "http-pg-4")
LABEL = {
    "memory": "router, memory",
    "pg-store": "router, PostgreSQL store",
    "http-sqlite-1": "HTTP, 1 worker, SQLite",
    "http-pg-1": "HTTP, 1 worker, PostgreSQL",
    "http-pg-4": "HTTP, 4 workers, PostgreSQL",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the team and the leads ----------------------------------------------------------------


def team(leads: int, seed: int = 0) -> list[fl.Manager]:
    """200 managers; capacities add up to ``HEADROOM`` times the leads of the run."""
    rng = np.random.default_rng(seed)
    level_of = rng.choice(len(LEVELS), size=MANAGERS, p=LEVEL_SHARES)
    mean_cap = max(10, math.ceil(HEADROOM * leads / MANAGERS))
    managers = []
    for j in range(MANAGERS):
        extra = rng.choice(len(PRODUCTS), size=int(rng.integers(0, 3)), replace=False)
        skills = sorted({PRODUCTS[j % len(PRODUCTS)], *(PRODUCTS[int(k)] for k in extra)})
        managers.append(
            fl.Manager(
                id=f"mgr-{j:03d}",
                name=f"Manager {j}",
                skills=skills,
                level=LEVELS[int(level_of[j])],
                max_active_leads=int(rng.integers(int(0.7 * mean_cap), int(1.3 * mean_cap) + 1)),
            )
        )
    return managers


def leads(count: int, prefix: str, seed: int = 1) -> list[Record]:
    """Webhook payloads (plain dicts)."""
    rng = np.random.default_rng(seed)
    scores = rng.beta(2.0, 5.0, size=count)
    products = rng.integers(len(PRODUCTS), size=count)
    sources = rng.integers(len(SOURCES), size=count)
    explicit = rng.random(count) < 1 / 3
    tiers = rng.choice(("hot", "warm", "cold"), size=count, p=(0.2, 0.5, 0.3))
    out = []
    for i in range(count):
        lead: Record = {
            "id": f"{prefix}-{i:07d}",
            "score": round(float(scores[i]), 4),
            "product": PRODUCTS[int(products[i])],
            "source": SOURCES[int(sources[i])],
        }
        if explicit[i]:
            lead["tier"] = str(tiers[i])
        out.append(lead)
    return out


def phase_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Leads of each phase of an HTTP case; the closed-loop ones get twice what a case
    is expected to answer at most (they end by time)."""
    return {
        "warm": WARMUP_REQUESTS,
        "alone": int(2 * SATURATE_GUESS * args.alone),
        "timed": int(args.rate * args.seconds),
        "saturate": int(2 * SATURATE_GUESS * args.saturate),
    }


def planned_leads(args: argparse.Namespace) -> int:
    """Leads one HTTP case sends at most: sizes the team's capacity."""
    return sum(phase_sizes(args).values())


# -- databases, processes, /proc -----------------------------------------------------------


def plain(url: str) -> str:
    """A URL psycopg takes (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(admin: str) -> tuple[str, str]:
    """A new database on the server: (its URL, its name)."""
    name = f"fairlead_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(plain(admin)).set(database=name).render_as_string(hide_password=False), name


def drop_database(admin: str, name: str) -> None:
    with psycopg.connect(plain(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, managers: list[fl.Manager]) -> tuple[str, int]:
    """Schema, the team and a write key: (the key, the team's revision)."""
    db = Database(url)
    try:
        upgrade(db)
        with db.write() as conn:
            create_team(conn, TEAM, managers=managers, policy=fl.Policy(**POLICY))
            _, key = create_key(conn, TEAM, "write", "benchmark")
            revision = conn.execute(
                text("SELECT revision FROM tenants WHERE id = :t"), {"t": TEAM}
            ).scalar_one()
    finally:
        db.dispose()
    return key, int(revision)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 on (state, ppid, ...)


def tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's workers and their helpers)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = proc_stat(int(entry))
            if fields is not None:
                parent[int(entry)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [p for p, pp in parent.items() if pp in frontier]
        found += frontier
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of live processes (utime and stime, fields 14 and 15)."""
    total = 0
    for pid in pids:
        fields = proc_stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def vm_hwm_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def backends(admin: str, name: str) -> list[int]:
    """PostgreSQL backend processes connected to database ``name`` (their CPU is theirs)."""
    with psycopg.connect(plain(admin), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        return [int(r[0]) for r in rows]


def commits(admin: str, name: str) -> int:
    with psycopg.connect(plain(admin), autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()
        return int(row[0]) if row else 0


class Server:
    """``fairlead serve`` in a process group of its own, stopped with SIGTERM."""

    def __init__(self, url: str, workers: int, log_level: str, logdir: Path) -> None:
        self.port = free_port()
        self.log = logdir / f"serve-{self.port}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "fairlead", "serve", "--database-url", url,
                    "--port", str(self.port), "--workers", str(workers), "--no-demo",
                    "--log-level", log_level,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, workers: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fairlead serve exited: {self.tail()}")
            # With workers, the port answers as soon as the first is up: wait for all.
            if len(tree(self.proc.pid)) >= 1 + (workers if workers > 1 else 0):
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                        s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        if s.recv(64).startswith(b"HTTP/1.1 200"):
                            return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"fairlead serve not ready in {timeout:.0f} s: {self.tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:]) or "no output"


# -- the client: HTTP/1.1 over asyncio streams ---------------------------------------------


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("closed by the server")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


def http_request(port: int, key: str, lead: Record) -> bytes:
    body = json.dumps(lead, separators=(",", ":")).encode()
    head = (
        f"POST /v1/leads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class Tally:
    """Latencies and outcomes of one phase."""

    def __init__(self, count: int) -> None:
        self.latency = np.full(count, np.nan)  # seconds, from the due time to the answer
        # Seconds the client's event loop started the request after its due time: the
        # client's own lateness (when it cannot keep up, this grows).
        self.lag = np.full(count, np.nan)
        # Seconds it waited for a free connection (every one busy: the server is behind).
        self.queued = np.full(count, np.nan)
        self.errors: Counter[str] = Counter()
        self.ok = 0
        self.waiting = 0
        self.first_error = ""


async def answer(
    pool: asyncio.Queue[Connection], request: bytes, due: float, i: int, t: Tally
) -> None:
    begun = time.perf_counter()
    conn = await pool.get()
    sent = time.perf_counter()
    try:
        status, body = await conn.exchange(request)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        conn.close()  # reopened by the next request on it
        status, body = 0, repr(exc).encode()
    except asyncio.CancelledError:
        conn.close()  # cut off mid-exchange: its answer must not reach the next request
        raise
    finally:
        pool.put_nowait(conn)
    done = time.perf_counter()
    t.latency[i], t.lag[i], t.queued[i] = done - due, begun - due, sent - begun
    if status == 200:
        t.ok += 1
        t.waiting += b'"status":"waiting"' in body
    else:
        kind = f"http {status}" if status else "connection"
        t.errors[kind] += 1
        t.first_error = t.first_error or f"{kind}: {body[:300].decode(errors='replace')}"


async def open_pool(port: int, size: int) -> asyncio.Queue[Connection]:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(size):
        conn = Connection(port)
        await conn.open()
        pool.put_nowait(conn)
    return pool


async def fixed_rate(pool: asyncio.Queue[Connection], requests: list[bytes], rate: float) -> Tally:
    """Open loop: request ``i`` starts at ``start + i / rate``, answered or not the ones before.

    Requests not answered ``DRAIN_SECONDS`` after the last is due are cut off (counted
    as ``unanswered``, their latency as the wait so far: a lower bound), so that a
    server far behind does not make the run last for ever. At most one request per
    connection is at the server then; the others never left the client.
    """
    tally = Tally(len(requests))
    tasks = []
    start = time.perf_counter() + 0.05
    dues = start + np.arange(len(requests)) / rate
    for i, request in enumerate(requests):
        delay = dues[i] - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(answer(pool, request, float(dues[i]), i, tally)))
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
    if pending:
        cutoff = time.perf_counter()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        cut = np.isnan(tally.latency)
        tally.latency[cut] = cutoff - dues[cut]
        tally.errors["unanswered"] += int(cut.sum())
        # What was cut off mid-exchange is still being answered: let the server finish.
        await asyncio.sleep(1.0)
    return tally


async def closed_loop(
    pool: asyncio.Queue[Connection],
    requests: list[bytes],
    *,
    seconds: float | None = None,
    concurrency: int = 1,
) -> tuple[Tally, int, float]:
    """Closed loop: ``concurrency`` senders, each sending its next request on an answer.

    Until the requests run out, or ``seconds`` are over. Latency runs from the send.
    """
    tally = Tally(len(requests))
    given = iter(range(len(requests)))
    stop = math.inf if seconds is None else time.perf_counter() + seconds

    async def sender() -> None:
        for i in given:
            if time.perf_counter() >= stop:
                return
            await answer(pool, requests[i], time.perf_counter(), i, tally)

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    done = int(np.count_nonzero(~np.isnan(tally.latency)))
    return tally, done, elapsed


async def close_pool(pool: asyncio.Queue[Connection]) -> None:
    while not pool.empty():
        pool.get_nowait().close()
    await asyncio.sleep(0)


def percentiles_ms(seconds: np.ndarray) -> dict[str, float]:
    values = seconds[~np.isnan(seconds)] * 1000
    if values.size == 0:
        return {f"p{p:g}": float("nan") for p in (*PERCENTILES, 100.0)}
    got = np.percentile(values, (*PERCENTILES, 100.0))
    return {f"p{p:g}": float(v) for p, v in zip((*PERCENTILES, 100.0), got, strict=True)}


# -- the cases -------------------------------------------------------------------------------


def http_case(case: str, args: argparse.Namespace, logdir: Path) -> Record:
    workers = int(case.rsplit("-", 1)[1])
    postgres = "-pg-" in case
    managers = team(planned_leads(args), args.seed)
    name = ""
    if postgres:
        url, name = create_database(args.database_url)
    else:
        url = f"sqlite:///{logdir / f'{case}.db'}"
    server = None
    try:
        key, revision = prepare(url, managers)
        server = Server(url, workers, args.log_level, logdir)
        server.wait_ready(workers)
        load = os.getloadavg()[0]
        record = _run_client(_drive(case, server, key, args, name))
        server.stop()
        record["load"] = (load, os.getloadavg()[0])
        record.update(audit(url, managers, revision))
        return record
    finally:
        if server is not None:
            server.stop()
        if name:
            drop_database(args.database_url, name)


def _run_client(main: Any) -> Record:
    """Run the client's coroutine on uvloop when installed (the service's extra brings it).

    The client shares the machine's cores with the server and the database: the less
    CPU it takes per request, the less it delays the server and its own schedule.
    """
    try:
        import uvloop
    except ImportError:  # plain asyncio: a little more CPU per request, same protocol
        result: Record = asyncio.run(main)
        return result
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(main)
        return result


def audit(url: str, managers: list[fl.Manager], revision: int) -> Record:
    """What the run left in the database: decisions stored, and the router's own audit.

    Reopening the team's router recounts the decisions table against the stored
    counters (a ``DamagedStoreError`` names any difference): fast answers that
    corrupted the books would not count as fast.
    """
    db = Database(url)
    try:
        with db.read() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM router_leads WHERE tenant_id = :t"), {"t": TEAM}
            ).scalar_one()
        try:
            router = fl.Router(
                managers, POLICY, store=DatabaseStore(db, TEAM, revision), reconfigure=True
            )
            router.close()
            verdict = "ok"
        except fl.DamagedStoreError as exc:
            verdict = f"FAILED: {str(exc)[:160]}..."
    finally:
        db.dispose()
    return {"stored": int(stored), "audit": verdict}


async def _drive(case: str, server: Server, key: str, args: argparse.Namespace, db: str) -> Record:
    port, rate = server.port, args.rate
    sizes = phase_sizes(args)
    payloads = leads(sum(sizes.values()), case, args.seed + 1)
    requests = [http_request(port, key, lead) for lead in payloads]
    phases, at = {}, 0
    for phase, size in sizes.items():
        phases[phase], at = requests[at : at + size], at + size
    pool = await open_pool(port, args.connections)
    try:
        # One at a time: the pool hands its connections out in turn, so every worker
        # gets requests and builds its team router before anything is timed.
        warm, _, _ = await closed_loop(pool, phases["warm"])
        if warm.errors:
            raise RuntimeError(f"errors in the warm-up: {warm.first_error}")
        alone, alone_n, _ = await closed_loop(pool, phases["alone"], seconds=args.alone)
        pids = tree(server.proc.pid)
        pg = backends(args.database_url, db) if db else []
        cpu0, pg0 = cpu_seconds(pids), cpu_seconds(pg)
        commits0 = commits(args.database_url, db) if db else 0
        # The client's own full garbage collections walk every request built above
        # (about 100 ms): a pause the server did not cause, so none during the run.
        gc.collect()
        gc.freeze()
        client0, wall0 = time.process_time(), time.perf_counter()
        timed = await fixed_rate(pool, phases["timed"], rate)
        wall = time.perf_counter() - wall0
        client_cpu = time.process_time() - client0
        cpu, pg_cpu = cpu_seconds(pids) - cpu0, cpu_seconds(pg) - pg0
        tx = (commits(args.database_url, db) - commits0) if db else 0
        sat = None
        if args.saturate > 0:
            sat_tally, sat_done, sat_wall = await closed_loop(
                pool, phases["saturate"], seconds=args.saturate, concurrency=args.connections
            )
            sat = {
                "requests": sat_done,
                "per_s": sat_tally.ok / sat_wall,
                "errors": dict(sat_tally.errors),
                "latency_ms": percentiles_ms(sat_tally.latency),
                "connections": args.connections,
            }
    finally:
        await close_pool(pool)
    hwm = {pid: vm_hwm_mib(pid) for pid in tree(server.proc.pid)}
    peaks = [v for v in hwm.values() if v is not None]
    timed_n = len(phases["timed"])
    answered = max(timed.ok + sum(n for k, n in timed.errors.items() if k != "unanswered"), 1)
    errors = Counter(timed.errors) + Counter(alone.errors)
    return {
        "case": case,
        "rate": rate,
        "requests": timed_n,
        "ok": timed.ok,
        "waiting": timed.waiting,
        "errors": dict(errors),
        "first_error": timed.first_error or alone.first_error,
        "latency_ms": percentiles_ms(timed.latency),
        "alone_ms": percentiles_ms(alone.latency),
        "alone_requests": alone_n,
        "lag_ms": percentiles_ms(timed.lag),
        "queued_ms": percentiles_ms(timed.queued),
        "decisions_per_s": timed.ok / wall,
        # Per answered request: those cut off were mostly never sent.
        "server_cpu_ms": 1000 * cpu / answered,
        "server_cpu_share": cpu / wall,
        "pg_cpu_ms": 1000 * pg_cpu / answered if db else None,
        "pg_backends": len(pg),
        "commits_per_request": tx / answered if db else None,
        "client_cpu_us": 1e6 * client_cpu / answered,
        "client_cpu_share": client_cpu / wall,
        "peak_mib_max": max(peaks) if peaks else None,
        "peak_mib_sum": sum(peaks) if peaks else None,
        "processes": len(hwm),
        "saturated": sat,
    }


def router_case(case: str, args: argparse.Namespace) -> Record:
    """Run a router case in a fresh interpreter (its peak memory is its own)."""
    name = ""
    url = ""
    if case == "pg-store":
        url, name = create_database(args.database_url)
    cmd = [
        sys.executable, os.path.abspath(__file__), "--router-child", case, "--rate",
        str(args.rate), "--seconds", str(args.seconds), "--seed", str(args.seed),
        "--child-url", url,
    ]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    finally:
        if name:
            drop_database(args.database_url, name)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"case": case, "error": f"exit {done.returncode}: {tail}"}
    record: Record = json.loads(lines[-1])
    return record


def run_router(case: str, rate: float, seconds: float, seed: int, url: str) -> Record:
    """``Router.route`` back to back, each call timed alone, ``now`` the wall clock."""
    count = int(rate * min(seconds, ROUTER_SECONDS_MAX))
    managers = team(count, seed)
    db = None
    if case == "pg-store":
        _, revision = prepare(url, managers)
        db = Database(url)
        store: Any = DatabaseStore(db, TEAM, revision)
        router = fl.Router(managers, POLICY, store=store, reconfigure=True)
    else:
        router = fl.Router(managers, POLICY)
    payloads = leads(count, case, seed + 1)
    lat = np.zeros(count)
    waiting = 0
    perf = time.perf_counter
    try:
        wall0, cpu0 = perf(), time.process_time()
        for i, lead in enumerate(payloads):
            start = perf()
            decision = router.route(lead, datetime.now(UTC))
            lat[i] = perf() - start
            waiting += decision.manager_id is None
        wall, cpu = perf() - wall0, time.process_time() - cpu0
    finally:
        router.close()
        if db is not None:
            db.dispose()
    return {
        "case": case,
        "requests": count,
        "ok": count,
        "waiting": waiting,
        "errors": {},
        "latency_ms": percentiles_ms(lat),
        "decisions_per_s": count / wall,
        "server_cpu_ms": 1000 * cpu / count,
        "peak_mib_max": peak_rss_mib(),
    }


# -- the report ------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(errors.items())) or "0"


def _pcts(p: dict[str, float], *, full: bool = True) -> str:
    shown = f"p50 {_ms(p['p50'])} ms, p99 {_ms(p['p99'])} ms"
    return shown + (f", p99.9 {_ms(p['p99.9'])} ms, max {_ms(p['p100'])} ms" if full else "")


def line(rec: Record) -> str:
    """One case, one line: latency, errors, throughput, then what it cost."""
    label = LABEL[rec["case"]]
    if rec.get("error"):
        return f"{label}: ERROR {rec['error']}"
    if not rec["case"].startswith("http"):
        return (
            f"{label} | {rec['requests']} routes back to back: {_pcts(rec['latency_ms'])}; "
            f"errors 0; {rec['decisions_per_s']:,.0f} decisions/s ({rec['waiting']} waiting) | "
            f"CPU {rec['server_cpu_ms']:.2f} ms/route; peak memory "
            f"{_ms(rec['peak_mib_max'])} MiB"
        )
    text_ = (
        f"{label} | {rec['rate']:g}/s open loop, {rec['requests']} requests: "
        f"{_pcts(rec['latency_ms'])}; errors {_errors(rec['errors'])}; "
        f"{rec['decisions_per_s']:,.0f} decisions/s ({rec['waiting']} waiting) | one at a "
        f"time: {_pcts(rec['alone_ms'], full=False)}"
    )
    sat = rec["saturated"]
    if sat is not None:
        text_ += (
            f" | saturated ({sat['connections']} connections): {sat['per_s']:,.0f} "
            f"decisions/s, {_pcts(sat['latency_ms'], full=False)}, errors "
            f"{_errors(sat['errors'])}"
        )
    text_ += (
        f" | CPU per request: server {rec['server_cpu_ms']:.2f} ms "
        f"({rec['server_cpu_share']:.0%} of a core)"
    )
    if rec["pg_cpu_ms"] is not None:
        text_ += (
            f", PostgreSQL {rec['pg_cpu_ms']:.2f} ms ({rec['commits_per_request']:.2f} "
            "commits/request)"
        )
    text_ += f"; peak memory {_ms(rec['peak_mib_max'])} MiB" + (
        f" per worker, {_ms(rec['peak_mib_sum'])} MiB in {rec['processes']} processes"
        if rec["processes"] > 1
        else ""
    )
    text_ += (
        f" | {rec['stored']} decisions stored, audit {rec['audit']} | client "
        f"{rec['client_cpu_us']:.0f} µs CPU/request, started late p99 "
        f"{_ms(rec['lag_ms']['p99'])} ms, waited for a connection p99 "
        f"{_ms(rec['queued_ms']['p99'])} ms; load average {rec['load'][0]:.1f} -> "
        f"{rec['load'][1]:.1f}"
    )
    return text_


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=None, help="requests per second (500)")
    parser.add_argument("--seconds", type=float, default=None, help="timed seconds per case (60)")
    parser.add_argument("--quick", action="store_true", help="10 s per case, 3 s saturated")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated, of {', '.join(CASES)} (default: all)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FAIRLEAD_TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create the benchmark's databases on",
    )
    parser.add_argument("--connections", type=int, default=32, help="client connections (32)")
    parser.add_argument(
        "--saturate",
        type=float,
        default=None,
        help=f"seconds of closed-loop load after the timed part ({SATURATE_SECONDS:g}; 0: none)",
    )
    parser.add_argument(
        "--alone",
        type=float,
        default=None,
        help=f"seconds of requests one at a time, before the timed part ({ALONE_SECONDS:g})",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="the servers' log level (default info, as deployed: a line per request)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--router-child", choices=("memory", "pg-store"), help=argparse.SUPPRESS)
    parser.add_argument("--child-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.rate = args.rate if args.rate is not None else float(GOAL_RATE)
    args.seconds = args.seconds if args.seconds is not None else (10.0 if args.quick else 60.0)
    if args.saturate is None:
        args.saturate = 3.0 if args.quick else SATURATE_SECONDS
    if args.alone is None:
        args.alone = 2.0 if args.quick else ALONE_SECONDS
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown or args.rate <= 0 or args.seconds <= 0 or args.connections < 1:
        parser.error(f"--rate, --seconds > 0, --connections >= 1, cases of {CASES}: {unknown}")

    if args.router_child is not None:
        record = run_router(args.router_child, args.rate, args.seconds, args.seed, args.child_url)
        print(json.dumps(record))
        return 0

    started = time.perf_counter()
    info = machine_info("fairlead", "fastapi", "uvicorn", "sqlalchemy", "psycopg")
    with psycopg.connect(plain(args.database_url), connect_timeout=5) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()
    print(
        f"fairlead service under load: POST /v1/leads, {MANAGERS} managers in one team, "
        f"{args.rate:g} requests/s for {args.seconds:g} s per HTTP case"
        + ("  [--quick]" if args.quick else "")
    )
    print(
        f"machine: {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        f"fairlead {info['fairlead']}, FastAPI {info['fastapi']}, uvicorn {info['uvicorn']}, "
        f"SQLAlchemy {info['sqlalchemy']}, psycopg {info['psycopg']}, PostgreSQL "
        f"{pg_version[0] if pg_version else '?'}; load average {os.getloadavg()[0]:.1f}; "
        f"servers log at {args.log_level}",
        flush=True,
    )
    records: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="fairlead-load-") as tmp:
        for case in cases:
            if case.startswith("http"):
                try:
                    rec = http_case(case, args, Path(tmp))
                except (RuntimeError, OSError, psycopg.Error) as exc:
                    rec = {"case": case, "error": str(exc)}
            else:
                rec = router_case(case, args)
            records.append(rec)
            print(line(rec), flush=True)

    by_case = {r["case"]: r for r in records if not r.get("error")}
    store = by_case.get("pg-store")
    for case in ("http-pg-1", "http-pg-4"):
        rec = by_case.get(case)
        if rec is not None and store is not None:
            # Unqueued against unqueued: one request at a time over HTTP, one route at
            # a time in-process, on the same kind of database; and CPU per decision.
            alone, bare = rec["alone_ms"], store["latency_ms"]
            text_ = (
                f"HTTP overhead, {LABEL[case]} one at a time / {LABEL['pg-store']}: latency "
                f"p50 x{alone['p50'] / bare['p50']:.1f} ({_ms(alone['p50'])} / "
                f"{_ms(bare['p50'])} ms), p99 x{alone['p99'] / bare['p99']:.1f}; CPU per "
                f"decision in the serving process x"
                f"{rec['server_cpu_ms'] / store['server_cpu_ms']:.1f} "
                f"({rec['server_cpu_ms']:.2f} / {store['server_cpu_ms']:.2f} ms)"
            )
            if rec["saturated"]:
                most = rec["saturated"]["per_s"]
                text_ += (
                    f"; most decisions/s x{most / store['decisions_per_s']:.2f} ({most:,.0f} "
                    f"/ {store['decisions_per_s']:,.0f})"
                )
            print(text_)
    http = [r for r in by_case.values() if r["case"].startswith("http")]
    if http:
        worst = max(r["client_cpu_us"] for r in http)
        late = max(r["lag_ms"]["p99"] for r in http)
        print(
            f"client: this process, HTTP/1.1 over asyncio, {args.connections} keep-alive "
            f"connections; up to {worst:.0f} µs CPU per request (it could drive about "
            f"{1e6 / worst:,.0f} requests/s on one core), started requests late by p99 "
            f"{_ms(late)} ms at most (lateness counts in the latency)"
        )
    failed = False
    for case in ("http-pg-1", "http-pg-4"):
        rec = by_case.get(case)
        if rec is None:
            if case in cases:
                failed = True
                print(f"verdict {LABEL[case]}: FAIL (no result)")
            continue
        p99 = rec["latency_ms"]["p99"]
        ok = (
            p99 < GOAL_P99_MS
            and not rec["errors"]
            and args.rate >= GOAL_RATE
            and rec["audit"] == "ok"
        )
        failed |= not ok
        print(
            f"verdict {LABEL[case]}, goal p99 < {GOAL_P99_MS:g} ms at {GOAL_RATE} requests/s "
            f"with zero errors: p99 {_ms(p99)} ms at {args.rate:g}/s, errors "
            f"{_errors(rec['errors'])}, audit {rec['audit'][:6]}: {'PASS' if ok else 'FAIL'}"
        )
    print(f"{time.perf_counter() - started:.0f} s in all")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"machine": info, "settings": vars(args), "cases": records}, out, indent=2)
            out.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
