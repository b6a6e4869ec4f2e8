"""The input layer: leads, managers and a policy, validated once, from any kind of rows.

Model instances, plain dicts, DataFrame rows and CSV / JSON files all become
:class:`Lead`, :class:`Manager` and :class:`Policy` records here, and every bad input
is an :class:`InputError` (a :class:`FileError` for files) naming the field, the
record's id and the value.

The readers of single values that other stages share live here too: the id rule
(:func:`read_id`, :func:`read_ids`), the time rule (:func:`read_time`,
:func:`epoch_seconds`), the row reader :class:`Rows`, and the column readers of
tables such as a client's purchase log (:func:`read_columns`, :func:`parse_dates`).
"""

from fairlead.records._cells import is_missing, is_number
from fairlead.records._columns import (
    as_array,
    check_column_name,
    customer_ids,
    infer_dtype,
    py_value,
    read_columns,
)
from fairlead.records._dates import DateArray, DateLike, parse_date, parse_dates, show_date
from fairlead.records._errors import InputError, InputWarning
from fairlead.records._ids import MAX_ID_LENGTH, id_problem, read_id, read_ids
from fairlead.records._inputs import (
    coerce_policy,
    coerce_records,
    coerce_settings,
    describe_error,
)
from fairlead.records._labels import label_key
from fairlead.records._models import Id, InputModel, Lead, Level, Manager, Policy, Tier
from fairlead.records._rows import Rows, is_frame
from fairlead.records._tables import (
    FileError,
    Format,
    PathLike,
    Table,
    coerce_table,
    file_format,
    locate_in_table,
    parse_json,
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
from fairlead.records._write import write_text_atomic

__all__ = [
    "EXPECTED_TIME",
    "MAX_ID_LENGTH",
    "DateArray",
    "DateLike",
    "FileError",
    "Format",
    "Id",
    "InputError",
    "InputModel",
    "InputWarning",
    "Lead",
    "Level",
    "Manager",
    "PathLike",
    "Policy",
    "Rows",
    "Table",
    "Tier",
    "as_array",
    "check_column_name",
    "coerce_policy",
    "coerce_records",
    "coerce_settings",
    "coerce_table",
    "customer_ids",
    "describe_error",
    "epoch_seconds",
    "file_format",
    "id_problem",
    "infer_dtype",
    "is_frame",
    "is_missing",
    "is_number",
    "label_key",
    "locate_in_table",
    "parse_date",
    "parse_dates",
    "parse_json",
    "parse_policy",
    "parse_table",
    "py_value",
    "read_columns",
    "read_id",
    "read_ids",
    "read_leads",
    "read_managers",
    "read_policy",
    "read_records",
    "read_table",
    "read_text",
    "read_time",
    "show_date",
    "write_text_atomic",
]
