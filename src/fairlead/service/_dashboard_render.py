"""The dashboard's HTML: Jinja2 templates (autoescaping on) and the headers a page needs.

The templates are the service's own (``service/templates``) and the report's
stylesheet (``report.css`` of ``fairlead.kpi``'s templates), so the dashboard looks like
the ``fairlead report`` page. Pages carry headers that keep them out of frames and
caches, send no address to another site (a wall screen's link holds a key until the
redirect), and let the page run no script at all.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

import jinja2
from fastapi.responses import HTMLResponse

#: Headers of every dashboard page.
HEADERS: Final[dict[str, str]] = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    # no address (a wall screen's link holds a key until the redirect) leaves the site;
    # "no-referrer" would also blank the Origin of the site's own sign-in form
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The service's templates, then the report's (for its stylesheet).

    Examples
    --------
    >>> environment().from_string("{{ name }}").render(name="<script>")
    '&lt;script&gt;'
    """
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("fairlead.service", "templates"),
                jinja2.PackageLoader("fairlead.kpi", "templates"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """A template's text with ``context``."""
    return environment().get_template(template).render(**context)


def html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """An HTML answer with the dashboard's headers."""
    return HTMLResponse(text, status_code=status, headers={**HEADERS, **(headers or {})})
