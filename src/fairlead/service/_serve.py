"""Running the service on uvicorn: one process, or several workers on one machine.

The schema is migrated and the demo team added once, by the parent, before any
worker starts; workers only check the schema. uvicorn stops gracefully on SIGTERM or
SIGINT: it stops accepting, lets requests in flight finish (up to
``GRACEFUL_SECONDS``), then the application's shutdown stops the scheduler and
closes the database. A request is one transaction, so nothing is half-written.
"""

from __future__ import annotations

import os
import tempfile

import uvicorn
from fastapi import FastAPI

from fairlead.service._app import create_app
from fairlead.service._config import ENVIRONMENT, ServiceConfig
from fairlead.service._lifecycle import prepare
from fairlead.service._logging import LOGGER, configure
from fairlead.service._service import Service

#: Seconds requests in flight get to finish at shutdown.
GRACEFUL_SECONDS = 30


def app_from_env() -> FastAPI:
    """The application of a worker process (settings from its environment)."""
    config = ServiceConfig.from_env()
    configure(config.log_level)
    return create_app(config)


def serve(config: ServiceConfig) -> None:
    """Prepare the database, then serve until stopped."""
    configure(config.log_level)
    service = Service.start(config)
    try:
        prepare(service)
    finally:
        service.db.dispose()
    LOGGER.info(
        f"fairlead serving on http://{config.host}:{config.port} with {config.workers} "
        f"worker(s), database {service.db.shown}"
    )
    checked = config.model_copy(update={"migrate": False, "demo": False})
    if config.workers == 1:
        uvicorn.run(
            create_app(checked),
            host=config.host,
            port=config.port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        return
    # Workers are separate processes: they read their settings from the environment,
    # and add their Prometheus figures up in one directory.
    for name, var in ENVIRONMENT.items():
        value = getattr(checked, name)
        os.environ[var] = ",".join(value) if isinstance(value, list) else str(value)
    with tempfile.TemporaryDirectory(prefix="fairlead-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run(
            "fairlead.service._serve:app_from_env",
            factory=True,
            host=config.host,
            port=config.port,
            workers=config.workers,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
