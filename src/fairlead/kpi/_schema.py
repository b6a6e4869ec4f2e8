"""The event log's schema as data: event types, columns, and which type uses which column.

``docs/kpi.md`` shows the same table to people; ``tests/kpi/test_schema.py`` checks
that the two agree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt


class EventType(StrEnum):
    """What one row of the event log records."""

    CREATED = "created"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    STAGE = "stage"
    WON = "won"
    LOST = "lost"
    FEEDBACK = "feedback"
    PURCHASE = "purchase"
    TOUCH_PLANNED = "touch_planned"
    TOUCH_DONE = "touch_done"


#: Event types in the life order of a lead: rows at the same moment keep this order.
EVENT_TYPES: Final[tuple[str, ...]] = tuple(t.value for t in EventType)
TYPE_CODE: Final[dict[str, int]] = {name: code for code, name in enumerate(EVENT_TYPES)}

CREATED, ASSIGNED, CONTACTED, STAGE, WON, LOST, FEEDBACK, PURCHASE, TOUCH_PLANNED, TOUCH_DONE = (
    range(len(EVENT_TYPES))
)

# How a column is read.
ID, LABEL, TEXT, TIME, SHARE, AMOUNT, CSAT, NPS, FLAG = (
    "id",
    "label",
    "text",
    "time",
    "share",
    "amount",
    "csat",
    "nps",
    "flag",
)

#: Every column of the log, in the documented order, with how it is read.
COLUMNS: Final[dict[str, str]] = {
    "event_id": TEXT,
    "type": LABEL,
    "at": TIME,
    "lead_id": ID,
    "client_id": ID,
    "manager_id": ID,
    "source": LABEL,
    "product": LABEL,
    "segment": LABEL,
    "tier": LABEL,
    "score": SHARE,
    "deal_value": AMOUNT,
    "method": LABEL,
    "assigned_by": TEXT,
    "win_probability": SHARE,
    "stage": LABEL,
    "amount": AMOUNT,
    "reason": TEXT,
    "csat": CSAT,
    "nps": NPS,
    "complaint": FLAG,
}

#: The label columns, kept as codes into a table of names.
LABEL_COLUMNS: Final[tuple[str, ...]] = (
    "source",
    "product",
    "segment",
    "tier",
    "method",
    "stage",
)
#: Free-text columns kept as given (trimmed).
TEXT_COLUMNS: Final[tuple[str, ...]] = ("assigned_by", "reason")
#: Number columns, NaN where not given.
NUMBER_COLUMNS: Final[tuple[str, ...]] = (
    "score",
    "deal_value",
    "win_probability",
    "amount",
    "csat",
    "nps",
)

REQUIRED, OPTIONAL = "required", "optional"

# Which columns each event type needs (REQUIRED) or may carry (OPTIONAL). Columns not
# named for a type must be empty in its rows. `event_id`, `type` and `at` belong to all.
_USES: Final[dict[str, dict[str, str]]] = {
    "created": {
        "lead_id": REQUIRED,
        "client_id": OPTIONAL,
        "source": OPTIONAL,
        "product": OPTIONAL,
        "segment": OPTIONAL,
        "tier": OPTIONAL,
        "score": OPTIONAL,
        "deal_value": OPTIONAL,
    },
    "assigned": {
        "lead_id": REQUIRED,
        "manager_id": REQUIRED,
        "method": OPTIONAL,
        "assigned_by": OPTIONAL,
        "win_probability": OPTIONAL,
    },
    "contacted": {"lead_id": REQUIRED, "manager_id": OPTIONAL},
    "stage": {"lead_id": REQUIRED, "stage": REQUIRED, "manager_id": OPTIONAL},
    "won": {"lead_id": REQUIRED, "amount": OPTIONAL, "manager_id": OPTIONAL},
    "lost": {"lead_id": REQUIRED, "reason": OPTIONAL, "manager_id": OPTIONAL},
    # A feedback row needs lead_id or client_id, and csat, nps or complaint: checked
    # apart, as "one of".
    "feedback": {
        "lead_id": OPTIONAL,
        "client_id": OPTIONAL,
        "manager_id": OPTIONAL,
        "csat": OPTIONAL,
        "nps": OPTIONAL,
        "complaint": OPTIONAL,
    },
    "purchase": {"client_id": REQUIRED, "amount": REQUIRED, "manager_id": OPTIONAL},
    "touch_planned": {"client_id": REQUIRED, "manager_id": REQUIRED},
    "touch_done": {"client_id": REQUIRED, "manager_id": REQUIRED},
}
_ALWAYS: Final[tuple[str, ...]] = ("event_id", "type", "at")

#: For the "one of" rules: (type, columns of which at least one is needed).
ONE_OF: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("feedback", ("lead_id", "client_id")),
    ("feedback", ("csat", "nps", "complaint")),
)


def uses(event_type: str, column: str) -> str | None:
    """``"required"``, ``"optional"`` or ``None`` (not used) for a column of a type.

    Examples
    --------
    >>> uses("won", "amount"), uses("purchase", "amount"), uses("contacted", "amount")
    ('optional', 'required', None)
    """
    if column in _ALWAYS:
        return REQUIRED if column != "event_id" else OPTIONAL
    return _USES[event_type].get(column)


def _by_type(level: str | None) -> dict[str, npt.NDArray[np.bool_]]:
    out: dict[str, npt.NDArray[np.bool_]] = {}
    for column in COLUMNS:
        flags = [
            (uses(name, column) == level) if level else uses(name, column) is not None
            for name in EVENT_TYPES
        ]
        out[column] = np.array(flags, dtype=bool)
    return out


#: column → (number of types,) bool: the type needs the column.
REQUIRED_BY_TYPE: Final[dict[str, npt.NDArray[np.bool_]]] = _by_type(REQUIRED)
#: column → (number of types,) bool: the type may carry the column.
ALLOWED_BY_TYPE: Final[dict[str, npt.NDArray[np.bool_]]] = _by_type(None)

#: The lead's manager at the moment of the event is the default for these types.
LEAD_TYPES: Final[frozenset[int]] = frozenset({CREATED, ASSIGNED, CONTACTED, STAGE, WON, LOST})
