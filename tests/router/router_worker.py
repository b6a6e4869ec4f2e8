"""A process that routes many leads with a SQLite-backed Router, from several threads.

Run by ``tests/test_router_store.py`` in a subprocess, so that the test can kill it
(SIGKILL) midway and check what a crash leaves in the file::

    python tests/router/router_worker.py DB --leads 20000 --threads 8 --managers 200

Thread ``k`` routes the leads ``k, k + threads, k + 2 * threads, ...`` (in reverse with
``--reverse``) and, with ``--release``, releases some of those it routed right away
(:func:`releases`), so that managers keep some room. Team and leads depend on their
index only (:func:`team`, :func:`lead`): a restarted worker routes the same leads, and
the test reads capacities and workloads from the same functions.

On success the worker prints one JSON line of counts; ``--dump FILE`` also writes the
manager each lead was given (``null`` for a lead left waiting). With ``--barrier FILE``
it opens the router, prints ``ready`` and waits for FILE to exist before routing, so
that two workers can be started together.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from typing import Any

SKILLS = ("loans", "cards", "deposits")


def team(m: int, seed: int = 2026) -> list[dict[str, Any]]:
    """``m`` managers; every skill has sellers, capacities from 3 to 110 leads."""
    rng = random.Random(seed)
    managers = []
    for j in range(m):
        skills = {SKILLS[j % len(SKILLS)]} | {s for s in SKILLS if rng.random() < 0.3}
        managers.append(
            {
                "id": f"m{j:03d}",
                "level": rng.choice(["junior", "middle", "senior"]),
                "skills": sorted(skills),
                "max_active_leads": 3 if j % 25 == 0 else rng.randint(40, 110),
            }
        )
    return managers


def lead(i: int) -> dict[str, Any]:
    """Lead number ``i``: the same dict every time."""
    rng = random.Random(i)
    return {
        "id": lead_id(i),
        "score": round(rng.random(), 4),
        "effort": 2.0 if i % 3 == 0 else 1.0,
        "product": SKILLS[i % len(SKILLS)] if i % 2 else None,
    }


def lead_id(i: int) -> str:
    """The id of lead ``i``."""
    return f"L{i:06d}"


def releases(i: int, threads: int) -> str | None:
    """The outcome lead ``i`` is released with right after routing, or ``None``."""
    if i % threads >= threads - 2 or i % 3 == 0:
        return None  # the last two threads never release; nor does anyone every 3rd lead
    return "won" if i % 5 == 0 else "lost"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--release", action="store_true")
    parser.add_argument("--reverse", action="store_true")
    parser.add_argument("--durability", default="normal")
    parser.add_argument("--dump")
    parser.add_argument("--barrier", help="print 'ready', then wait for this file to exist")
    args = parser.parse_args(argv)

    import fairlead as fl

    start = time.perf_counter()
    counts: dict[str, float] = {"new": 0, "replayed": 0, "waiting": 0, "released": 0}
    given: dict[str, str | None] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    router = fl.Router(team(args.managers), store=args.db, durability=args.durability)
    if args.barrier:  # start routing together with another worker
        print("ready", flush=True)
        deadline = time.monotonic() + 60.0
        while not os.path.exists(args.barrier) and time.monotonic() < deadline:
            time.sleep(0.005)

    def work(k: int) -> None:
        mine = range(k, args.leads, args.threads)
        try:
            for i in reversed(mine) if args.reverse else mine:
                decision = router.route(lead(i))
                outcome = releases(i, args.threads) if args.release else None
                if outcome is not None and decision.manager_id is not None:
                    router.release(decision.lead_id, outcome)  # type: ignore[arg-type]
                with lock:
                    given[decision.lead_id] = decision.manager_id
                    counts["replayed" if decision.replayed else "new"] += 1
                    counts["waiting"] += decision.manager_id is None
                    counts["released"] += outcome is not None and decision.manager_id is not None
        except BaseException as exc:  # reported below, the exit code says it failed
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    router.close()
    if errors:
        for exc in errors:
            print(f"worker thread failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as out:
            json.dump(given, out)
    counts["seconds"] = round(time.perf_counter() - start, 3)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
