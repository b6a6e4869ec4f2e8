"""Prometheus metrics of a service process: latency, decisions, errors, waiting leads.

With several worker processes on one machine, each process's figures are kept in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``fairlead serve --workers N``) and ``/metrics``
adds them up, as prometheus_client documents.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

#: Request latency buckets, in seconds (sub-millisecond to a few seconds).
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's metrics, in their own registry (tests start many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "fairlead_request_seconds",
            "Time to answer a request, by route and status.",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "fairlead_decisions_total",
            "Leads routed, by outcome (assigned, waiting, replayed).",
            ["outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "fairlead_errors_total",
            "Answers with an error status, by status.",
            ["status"],
            registry=self.registry,
        )
        self.waiting = Gauge(
            "fairlead_waiting_leads",
            "Leads waiting for a manager, by team, as last seen by this process.",
            ["team"],
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )

    def exposition(self) -> tuple[bytes, str]:
        """The text format for ``/metrics`` (every worker's figures when several run)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
