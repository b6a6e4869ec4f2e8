"""The input layer: leads, managers and a policy, validated once, from any kind of rows.

Model instances, plain dicts, DataFrame rows and CSV / JSON files all become
:class:`Lead`, :class:`Manager` and :class:`Policy` records here, and every bad input
is an :class:`InputError` (a :class:`FileError` for files) naming the field, the
record's id and the value.
"""

from fairlead.records._inputs import InputError, coerce_policy, coerce_records, describe_error
from fairlead.records._models import Id, Lead, Level, Manager, Policy, Tier
from fairlead.records._tables import (
    FileError,
    Format,
    PathLike,
    Table,
    coerce_table,
    file_format,
    locate_in_table,
    parse_policy,
    parse_table,
    read_leads,
    read_managers,
    read_policy,
    read_records,
    read_table,
    read_text,
)

__all__ = [
    "FileError",
    "Format",
    "Id",
    "InputError",
    "Lead",
    "Level",
    "Manager",
    "PathLike",
    "Policy",
    "Table",
    "Tier",
    "coerce_policy",
    "coerce_records",
    "coerce_table",
    "describe_error",
    "file_format",
    "locate_in_table",
    "parse_policy",
    "parse_table",
    "read_leads",
    "read_managers",
    "read_policy",
    "read_records",
    "read_table",
    "read_text",
]
