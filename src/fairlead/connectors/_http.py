"""One HTTP conversation with a CRM: throttled, retried with backoff, errors in words.

httpx is the client (timeouts, connection reuse, a clean error for every transport
failure); the CRM's own error body (its code and description) is kept in the
:class:`CrmError`, which a wrapper library that raises on status alone would lose.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from fairlead.connectors._errors import ConnectionClosedError, CrmError
from fairlead.connectors._throttle import LeakyBucket

#: Statuses after which the same request may succeed later.
RETRYABLE = frozenset({429, 500, 502, 503, 504})


class CrmHttp:
    """Requests to one CRM account, never faster than its limit.

    Parameters
    ----------
    crm : str
        The connector's name, for messages.
    base_url : str
        Every path is relative to it.
    bucket : LeakyBucket
        The CRM's rate limit, taken before every request.
    headers : mapping, optional
        Sent with every request (e.g. the authorization header).
    attempts : int, default 5
        Tries of one request when the CRM answers "too many" or is unavailable.
    backoff : float, default 1.0
        Seconds before the second try, doubling after each (or the CRM's
        ``Retry-After`` when it sends one).
    timeout : float, default 10.0
        Seconds to wait for an answer.
    """

    def __init__(
        self,
        crm: str,
        base_url: str,
        *,
        bucket: LeakyBucket,
        headers: Mapping[str, str] | None = None,
        attempts: int = 5,
        backoff: float = 1.0,
        timeout: float = 10.0,
        error_of: Callable[[int, Any], tuple[str | None, str]] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.crm = crm
        self.bucket = bucket
        self.attempts = attempts
        self.backoff = backoff
        self._error_of = error_of or _generic_error
        # Set by close(): a wait between tries ends at once, and nothing more is sent.
        self._closed = threading.Event()
        self.client = httpx.Client(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )
        #: Requests sent (each try counts).
        self.sent = 0

    def close(self) -> None:
        """Close the connections; a request waiting to try again gives up."""
        self._closed.set()
        self.client.close()

    def set_header(self, name: str, value: str) -> None:
        """Send ``name: value`` from now on (a refreshed token)."""
        self.client.headers[name] = value

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; retried while the CRM says later; a :class:`CrmError` if it fails.

        The response returned is a success (2xx) or a 204; anything else raises, with
        the CRM's error code and description in the message.
        """
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            self.bucket.acquire()
            if self._closed.is_set():
                raise ConnectionClosedError(self.crm)
            self.sent += 1
            try:
                response = self.client.request(method, path, **kwargs)
            except RuntimeError:  # closed by another thread while this one waited
                raise ConnectionClosedError(self.crm) from None
            except httpx.TimeoutException:
                error = CrmError(self.crm, f"no answer to {method} {path} in time", retryable=True)
            except httpx.TransportError as exc:
                error = CrmError(
                    self.crm, f"cannot reach the CRM ({type(exc).__name__})", retryable=True
                )
            else:
                if response.is_success:
                    return response
                error = self._error(method, path, response)
            if not error.retryable or attempt == self.attempts:
                raise error
            wait = error.retry_after or delay
            if error.status in (429, 503):
                self.bucket.penalise(wait)
            if self._closed.wait(wait):
                raise ConnectionClosedError(self.crm)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, method: str, path: str, response: httpx.Response) -> CrmError:
        try:
            body: Any = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = response.text[:2000]
        code, text = self._error_of(response.status_code, body)
        said = f"{code}: {text}" if code else text
        error = CrmError(
            self.crm,
            f"{method} {path} answered {response.status_code} ({said})",
            status=response.status_code,
            code=code,
            retryable=response.status_code in RETRYABLE,
            retry_after=_seconds(response.headers.get("retry-after")),
        )
        return error


def page_words(body: Any) -> str:
    r"""A body that is not JSON, in a few words: an HTML page's title, or its text on one line.

    A proxy's error page (``503 Service Temporarily Unavailable``) would otherwise put
    its markup into the log and the dashboard.

    Examples
    --------
    >>> page_words("<html><head><title>503 Service Temporarily Unavailable</title>...")
    '503 Service Temporarily Unavailable'
    >>> page_words("  upstream timed out\n  (110)  ")
    'upstream timed out (110)'
    """
    text = str(body or "")
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title is not None:
        text = title.group(1)
    return " ".join(text.split())[:200] or "no description"


def _generic_error(status: int, body: Any) -> tuple[str | None, str]:
    if isinstance(body, dict):
        code = body.get("error") or body.get("title") or body.get("code")
        text = body.get("error_description") or body.get("detail") or body.get("message")
        return (str(code) if code else None), str(text or "no description")
    return None, page_words(body)


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None
