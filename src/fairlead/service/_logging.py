"""Structured logs: one JSON object per line, with the request id; no secrets, no bodies.

What a line may carry is decided here: the request's method, route path (never the
query string, which may hold a dashboard token), status, time, team and key id (the
key's public part). Bodies, headers and the values inside them (phones, e-mails,
keys) are never logged.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

#: The service's logger; uvicorn's loggers are given the same format.
LOGGER = logging.getLogger("fairlead.service")
#: Attributes of a record that go into the JSON line when set.
FIELDS = (
    "request_id",
    "method",
    "path",
    "status",
    "ms",
    "team",
    "key_id",
    "error",
    "worker",
)


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "info") -> None:
    """Send the service's and uvicorn's logs to stderr as JSON lines."""
    # A line carries none of these, and looking them up costs a tenth of a routed
    # request (the logging HOWTO's "Optimization" section names these switches).
    logging._srcfile = None  # no caller's file and line
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # Warnings (a manager accepted over their limit, ...) go to the log, as JSON too.
    logging.captureWarnings(True)
    for name in ("fairlead.service", "uvicorn", "uvicorn.error", "py.warnings"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # uvicorn's access log writes the full URL, query string included: ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
