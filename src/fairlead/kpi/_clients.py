"""Each existing client's manager at any moment.

A client's manager is the one of its latest row with a manager at that moment:
``purchase``, ``touch_planned`` and ``touch_done`` rows with a ``manager_id``, and the
``assigned`` rows of leads whose ``created`` row names the client. Before its first
such row a client belongs to the manager of that first row; a client without any
has no manager (-1).
"""

from __future__ import annotations

import numpy as np

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import Int64Array
from fairlead.kpi._context import Context
from fairlead.kpi._log import EventLog


class ClientManagers:
    """The manager of clients at moments (an as-of lookup).

    Examples
    --------
    >>> import numpy as np
    >>> from fairlead.kpi import EventLog
    >>> log = EventLog.from_records([
    ...     {"type": "purchase", "at": "2026-11-02", "client_id": "c", "amount": 10},
    ...     {"type": "touch_done", "at": "2026-11-03", "client_id": "c", "manager_id": "a"},
    ...     {"type": "touch_done", "at": "2026-11-05", "client_id": "c", "manager_id": "b"},
    ... ])
    >>> days = log.at[0] + np.array([0, 2, 3, 5]) * 86400     # 2, 4, 5 and 7 November
    >>> [log.manager_ids[k] for k in ClientManagers.of(log).at(np.zeros(4, int), days)]
    ['a', 'a', 'b', 'b']
    """

    def __init__(self, client: Int64Array, manager: Int64Array, at: Int64Array, n: int) -> None:
        order = np.lexsort((at, client))
        self._client, self._manager, self._at = client[order], manager[order], at[order]
        self._t0 = int(at.min()) if at.size else 0
        self._span = int(at.max()) - self._t0 + 2 if at.size else 2
        self._key = self._client * self._span + (self._at - self._t0)
        self._first = np.full(n, -1, dtype=np.int64)
        clients, first = np.unique(self._client, return_index=True)
        self._first[clients] = self._manager[first]

    @classmethod
    def of(cls, log: EventLog) -> ClientManagers:
        """The lookup of an :class:`EventLog`."""
        kinds = (schema.PURCHASE, schema.TOUCH_PLANNED, schema.TOUCH_DONE)
        rows = np.flatnonzero(np.isin(log.kind, kinds) & (log.client >= 0) & (log.manager >= 0))
        client = log.client[rows]
        manager = log.manager[rows]
        at = log.at[rows]
        created = np.flatnonzero((log.kind == schema.CREATED) & (log.client >= 0))
        client_of_lead = np.full(len(log.lead_ids), -1, dtype=np.int64)
        client_of_lead[log.lead[created]] = log.client[created]
        assigned = np.flatnonzero((log.kind == schema.ASSIGNED) & (log.lead >= 0))
        assigned = assigned[client_of_lead[log.lead[assigned]] >= 0]
        return cls(
            np.concatenate([client, client_of_lead[log.lead[assigned]]]),
            np.concatenate([manager, log.manager[assigned]]),
            np.concatenate([at, log.at[assigned]]),
            len(log.client_ids),
        )

    def at(self, clients: Int64Array, moments: Int64Array) -> Int64Array:
        """The manager of each client at each moment (-1: none)."""
        if self._key.size == 0:  # no client has a manager anywhere in the log
            return np.full(clients.shape, -1, dtype=np.int64)
        moments = np.clip(moments, self._t0, self._t0 + self._span - 2)
        key = clients * self._span + (moments - self._t0)
        k = np.searchsorted(self._key, key, side="right") - 1
        ok = k >= 0
        ok[ok] = self._client[k[ok]] == clients[ok]
        known = np.where(clients >= 0, self._first[np.maximum(clients, 0)], -1)
        return np.where(ok, self._manager[np.maximum(k, 0)], known) if k.size else k


def client_managers(ctx: Context) -> ClientManagers:
    """The lookup of ``ctx``'s log (built once)."""
    return ctx.cached("client_managers", lambda: ClientManagers.of(ctx.log))
