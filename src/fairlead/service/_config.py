"""How a service runs: flags of ``fairlead serve`` and ``FAIRLEAD_*`` environment variables.

Each setting can come from a flag, else from its environment variable, else its
default; :meth:`ServiceConfig.from_env` reads the environment and the flags override.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, field_validator

from fairlead.records import InputError, InputModel
from fairlead.service._database import DEFAULT_URL, database_url

#: Environment variable of each setting.
ENVIRONMENT = {
    "database_url": "FAIRLEAD_DATABASE_URL",
    "host": "FAIRLEAD_HOST",
    "port": "FAIRLEAD_PORT",
    "workers": "FAIRLEAD_WORKERS",
    "demo": "FAIRLEAD_DEMO",
    "migrate": "FAIRLEAD_MIGRATE",
    "max_body_bytes": "FAIRLEAD_MAX_BODY_BYTES",
    "cors_origins": "FAIRLEAD_CORS_ORIGINS",
    "log_level": "FAIRLEAD_LOG_LEVEL",
    "reprice_every": "FAIRLEAD_REPRICE_EVERY",
    "sweep_every": "FAIRLEAD_SWEEP_EVERY",
    "session_hours": "FAIRLEAD_SESSION_HOURS",
    "pool_size": "FAIRLEAD_POOL_SIZE",
}


class ServiceConfig(InputModel):
    """Settings of a service process.

    Parameters
    ----------
    database_url : str, default ``sqlite:///fairlead.db``
        The database; ``postgresql://user@host:port/db`` for several replicas.
    host : str, default ``127.0.0.1``
    port : int, default 8000
    workers : int, default 1
        Processes (uvicorn workers) on this machine.
    demo : bool or None, default None
        Add the demo team to a database with no team; ``None``: only with the default
        database.
    migrate : bool, default True
        Bring the schema up to date at start-up (otherwise only check it).
    max_body_bytes : int, default 1 MiB
        Larger request bodies are refused (413).
    cors_origins : list of str, default none
        Web origins allowed to call the API from a browser (CORS is off by default).
    log_level : str, default "info"
    reprice_every : float, default 3600
        Seconds between price refreshes of each team (0: never on a schedule).
    sweep_every : float, default 60
        Seconds between placements of waiting leads (0: only on request).
    session_hours : float, default 12
        How long a dashboard login lasts.
    pool_size : int, default 10
        Database connections kept open per process.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "service setting"

    database_url: str = DEFAULT_URL
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    demo: bool | None = None
    migrate: bool = True
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "info"
    reprice_every: float = Field(default=3600.0, ge=0, allow_inf_nan=False)
    sweep_every: float = Field(default=60.0, ge=0, allow_inf_nan=False)
    session_hours: float = Field(default=12.0, gt=0, allow_inf_nan=False)
    pool_size: int = Field(default=10, ge=1, le=200)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            database_url(value)
        except InputError as exc:
            raise ValueError(str(exc).split(", got ")[0]) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError(f"must be debug, info, warning or error, got {value!r}")
        return value.lower()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def with_demo(self) -> bool:
        """Whether an empty database gets the demo team."""
        return self.database_url == DEFAULT_URL if self.demo is None else self.demo

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **flags: Any) -> ServiceConfig:
        """Settings from ``FAIRLEAD_*`` variables, overridden by the flags not ``None``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            name: env[var] for name, var in ENVIRONMENT.items() if env.get(var, "") != ""
        }
        values.update({k: v for k, v in flags.items() if v is not None})
        try:
            return cls(**values)
        except InputError as exc:
            var = ENVIRONMENT.get(exc.field or "")
            if var is not None and flags.get(exc.field or "") is None and var in env:
                raise InputError(f"{exc} (from {var})", field=exc.field, value=exc.value) from None
            raise
