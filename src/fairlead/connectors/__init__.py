"""CRM connectors: a CRM's webhooks in, its leads and users read, owners written back.

One module per CRM (:mod:`~fairlead.connectors.bitrix24`,
:mod:`~fairlead.connectors.kommo`), registered by name
as the solvers are. A :class:`Connector` speaks to one account; the service maps
what it reads (:class:`CrmMapping`), routes, and writes the owner back through its
outbox.

- :class:`Connector`, :func:`connector_class`, :func:`list_connectors`, :func:`register`;
- :class:`CrmLead`, :class:`CrmUser`, :class:`InboundEvent`: what a CRM says;
- :class:`CrmMapping` (:class:`FieldRule`, :class:`ManagerRules`): CRM fields and users
  to leads and managers;
- :func:`read_export` (a CRM's CSV / HTML export of leads), :func:`history_rows` (leads as
  rows of the KPI event log);
- :class:`CrmError`, :class:`WebhookRefusedError`; :class:`LeakyBucket` (:class:`SharedLevel`
  when processes share a limit), :class:`CrmHttp`.
"""

from fairlead.connectors import bitrix24 as bitrix24
from fairlead.connectors import kommo as kommo
from fairlead.connectors._base import (
    CATCH_UP,
    Connector,
    connector_class,
    list_connectors,
    register,
)
from fairlead.connectors._errors import ConnectionClosedError, CrmError, WebhookRefusedError
from fairlead.connectors._exports import read_export
from fairlead.connectors._history import history_rows
from fairlead.connectors._http import CrmHttp
from fairlead.connectors._mapping import CrmMapping, FieldRule, ManagerRules, mapping_from
from fairlead.connectors._records import CrmLead, CrmUser, EventKind, InboundEvent, Outcome
from fairlead.connectors._throttle import LeakyBucket, SharedLevel, Step

__all__ = [
    "CATCH_UP",
    "ConnectionClosedError",
    "Connector",
    "CrmError",
    "CrmHttp",
    "CrmLead",
    "CrmMapping",
    "CrmUser",
    "EventKind",
    "FieldRule",
    "InboundEvent",
    "LeakyBucket",
    "ManagerRules",
    "Outcome",
    "SharedLevel",
    "Step",
    "WebhookRefusedError",
    "bitrix24",
    "connector_class",
    "history_rows",
    "kommo",
    "list_connectors",
    "mapping_from",
    "read_export",
    "register",
]
