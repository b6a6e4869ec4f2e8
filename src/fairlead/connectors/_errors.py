"""Errors of a CRM conversation: the CRM refused or could not be reached; a webhook refused."""

from __future__ import annotations


class CrmError(RuntimeError):
    """The CRM answered with an error, or could not be reached.

    Parameters
    ----------
    crm : str
        The connector's name (``"bitrix24"``).
    message : str
        What happened, in words, with the CRM's own error code and text when it sent one.
    status : int or None
        The HTTP status (``None``: no answer).
    code : str or None
        The CRM's error code (``QUERY_LIMIT_EXCEEDED``, ...).
    retryable : bool
        Whether trying again later may succeed (limits, outages, timeouts).
    retry_after : float or None
        Seconds the CRM asked to wait before trying again.
    """

    def __init__(
        self,
        crm: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{crm}: {message}")
        self.crm = crm
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


class ConnectionClosedError(CrmError):
    """The connector was closed (its process is stopping) while a request waited to go."""

    def __init__(self, crm: str) -> None:
        super().__init__(crm, "the connection was closed", retryable=True)


class WebhookRefusedError(ValueError):
    """A webhook call that is not from the CRM, or that cannot be read.

    ``status`` is the HTTP status to answer (401 for a wrong token, 400 for a body that
    is not the CRM's format); the message names the field and never echoes a secret.
    """

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
