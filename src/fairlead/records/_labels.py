"""The label rule: how skills, products, segments, sources, levels and tiers match.

Labels come from people typing into a CRM, so ``"Cards"``, ``"cards "`` and
``"cards"`` typed in full-width letters are one label. Two labels are the same when their keys
(:func:`label_key`) are equal: the text in Unicode compatibility form (NFKC),
case-folded, with outer whitespace dropped and every inner run of whitespace read as
one space. The key is used only for matching; records keep the text as it was given
(outer whitespace trimmed) for display.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any


def label_key(text: str) -> str:
    r"""The form two labels are compared in.

    NFKC, then case folding, then NFKC again (folding can leave text that is no
    longer in normal form, e.g. with combining marks), then whitespace runs read as
    one space and outer whitespace dropped.

    Examples
    --------
    >>> label_key("  Credit\u00a0 CARDS ")
    'credit cards'
    >>> label_key("\uff53\uff45\uff4e\uff49\uff4f\uff52") == label_key("Senior")  # full-width
    True
    >>> label_key("Ипотека") == label_key("ипотека")
    True
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def read_label(value: Any) -> Any:
    """A label as kept for display: outer whitespace trimmed; a blank one is ``None``.

    Anything but text is returned unchanged, for the field's own type check to refuse
    (or a number read as text by the record's model).
    """
    if isinstance(value, str):
        text = value.strip()
        return text if text else None
    return value


def merge_labels(labels: Iterable[str]) -> frozenset[str]:
    """Labels as a set, one spelling per key: the first given (blank ones dropped).

    An unordered collection (a set) is read in sorted order, so which spelling of a
    doubled label survives does not depend on hashing.

    Examples
    --------
    >>> sorted(merge_labels(["cards", "Cards ", "loans"]))
    ['cards', 'loans']
    """
    items = sorted(labels) if isinstance(labels, set | frozenset) else labels
    kept: dict[str, str] = {}
    for label in items:
        text = label.strip()
        if text:
            kept.setdefault(label_key(text), text)
    return frozenset(kept.values())
