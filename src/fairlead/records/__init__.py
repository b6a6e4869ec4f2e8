"""The input layer: leads, managers and a policy, validated once, from any kind of rows.

Model instances, plain dicts, DataFrame rows and CSV / JSON files all become
:class:`Lead`, :class:`Manager` and :class:`Policy` records here, and every bad input
is an :class:`InputError` (a :class:`FileError` for files) naming the field, the
record's id and the value.

The readers of single values that other stages share live here too: the id rule
(:func:`read_id`, :func:`read_ids`), the time rule (:func:`read_time`,
:func:`epoch_seconds`) and the row reader :class:`Rows`.
"""

from fairlead.records._cells import is_missing, is_number
from fairlead.records._errors import InputError
from fairlead.records._ids import MAX_ID_LENGTH, id_problem, read_id, read_ids
from fairlead.records._inputs import coerce_policy, coerce_records, describe_error
from fairlead.records._models import Id, Lead, Level, Manager, Policy, Tier
from fairlead.records._rows import Rows, is_frame
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
from fairlead.records._times import EXPECTED_TIME, epoch_seconds, read_time

__all__ = [
    "EXPECTED_TIME",
    "MAX_ID_LENGTH",
    "FileError",
    "Format",
    "Id",
    "InputError",
    "Lead",
    "Level",
    "Manager",
    "PathLike",
    "Policy",
    "Rows",
    "Table",
    "Tier",
    "coerce_policy",
    "coerce_records",
    "coerce_table",
    "describe_error",
    "epoch_seconds",
    "file_format",
    "id_problem",
    "is_frame",
    "is_missing",
    "is_number",
    "locate_in_table",
    "parse_policy",
    "parse_table",
    "read_id",
    "read_ids",
    "read_leads",
    "read_managers",
    "read_policy",
    "read_records",
    "read_table",
    "read_text",
    "read_time",
]
