"""The page's HTML from its sections, through the Jinja2 template (autoescaping on).

Jinja2 is imported here only, and this module only when a report is made: the
``report`` extra (``pip install 'fairlead[report]'``) brings it with matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import jinja2

from fairlead.kpi._report_model import Cell, Section
from fairlead.kpi._report_words import Words

TEMPLATE = "report.html.j2"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment: package templates, autoescaping, strict names.

    Examples
    --------
    >>> environment().from_string("{{ name }}").render(name="<script>")
    '&lt;script&gt;'
    """
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fairlead.kpi", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(
    sections: Sequence[Section],
    *,
    words: Words,
    covers: str,
    header: Sequence[Cell],
    version: str,
) -> str:
    """The whole page as HTML text."""
    template = environment().get_template(TEMPLATE)
    return template.render(
        lang=words.lang,
        words=words.table(),
        covers=covers,
        header=list(header),
        sections=list(sections),
        version=version,
    )
