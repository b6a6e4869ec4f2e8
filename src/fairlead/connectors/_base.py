"""What every CRM connector does, and the registry of connectors by name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from fairlead.connectors._records import CrmLead, CrmUser, InboundEvent
from fairlead.connectors._throttle import LeakyBucket

#: Seconds between two reads of what changed in the CRM (setting ``catch_up``).
CATCH_UP = 120.0


class Connector(ABC):
    """One team's account in one CRM.

    A connector reads the CRM's webhook notifications (:meth:`check_webhook`,
    :meth:`parse_webhook`), reads leads and users (:meth:`fetch_leads`, :meth:`users`,
    :meth:`history`) and writes owners back (:meth:`write_owners`), within the CRM's
    rate limit. It knows nothing of fairlead's decisions: the service maps, routes
    and keeps the outbox.

    Parameters
    ----------
    settings : mapping
        The account's settings (URL, credentials, the webhook's token); each
        connector documents its own. One is every connector's: ``catch_up``, the
        seconds between two reads of the leads changed in the CRM (default
        :data:`CATCH_UP`; ``0`` reads none), which find what a webhook never said —
        a CRM that does not send a webhook again, or sent it while the service was
        down.
    """

    #: The registry name, also the webhook path's ``<crm>``.
    name: ClassVar[str]
    #: Most leads one write-back request may carry.
    write_batch: ClassVar[int] = 1
    #: Leads one page of :meth:`history` holds (one request).
    page_size: ClassVar[int] = 50
    #: Set when the connector renewed its credentials (an OAuth refresh): its
    #: ``settings`` hold the new ones, which the caller must store (a refresh token
    #: works once), then set this back to False.
    tokens_changed: bool = False

    #: The CRM's request limit as this connector spends it (``None``: no limit kept).
    bucket: LeakyBucket | None = None

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        every = self.settings.get("catch_up", CATCH_UP)
        if isinstance(every, bool) or not isinstance(every, int | float) or not every >= 0:
            raise ValueError(
                f"{self.name} setting 'catch_up' must be seconds (0 or more), got {every!r}"
            )
        #: Seconds between two reads of the leads changed in the CRM (0: never).
        self.catch_up = float(every)

    @abstractmethod
    def check_webhook(
        self, body: bytes, headers: Mapping[str, str], path_secret: str | None, now: datetime
    ) -> None:
        """Raise :class:`WebhookRefusedError` unless the call comes from this CRM account."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[InboundEvent]:
        """The events of one webhook call (a :class:`WebhookRefusedError` if unreadable)."""

    @abstractmethod
    def fetch_leads(self, crm_ids: Sequence[str]) -> dict[str, CrmLead | None]:
        """The leads by CRM id (``None``: the CRM has no such lead any more)."""

    @abstractmethod
    def write_owners(self, owners: Mapping[str, str]) -> dict[str, str | None]:
        """Set each lead's responsible user; per lead, ``None`` or the CRM's refusal.

        At most :attr:`write_batch` leads per request; a failure of the whole request
        (limit, outage) raises :class:`CrmError` and nothing is assumed written.
        """

    @abstractmethod
    def users(self) -> list[CrmUser]:
        """The account's users (active or not)."""

    @abstractmethod
    def history(self, since: datetime | None) -> Iterator[CrmLead]:
        """Leads changed after ``since`` (all when ``None``), oldest change first, paged."""

    def recent_leads(self, count: int) -> list[CrmLead]:
        """The ``count`` leads created last, newest first (a dry run's sample).

        This default reads the whole history; a connector whose CRM sorts by creation
        reads one page instead.
        """
        leads = sorted(
            self.history(None),
            key=lambda x: (x.created_at is None, x.created_at),
        )
        return list(reversed(leads[-count:])) if count > 0 else []

    @abstractmethod
    def close(self) -> None:
        """Release the connections."""


_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make a connector reachable by its :attr:`Connector.name`."""
    _REGISTRY[cls.name] = cls
    return cls


def connector_class(name: str) -> type[Connector]:
    """The connector registered as ``name`` (a ``KeyError`` naming the known ones)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"no CRM connector {name!r}; known: {known}") from None


def list_connectors() -> list[str]:
    """Names of the registered connectors, sorted.

    Examples
    --------
    >>> from fairlead.connectors import list_connectors
    >>> "bitrix24" in list_connectors()
    True
    """
    return sorted(_REGISTRY)
