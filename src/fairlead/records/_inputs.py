"""Turn what callers pass (models, dicts, DataFrames) into validated records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from fairlead.records._cells import is_missing
from fairlead.records._errors import InputError, describe_error, record_error, settings_error
from fairlead.records._models import Lead, Manager, Policy

__all__ = [
    "coerce_policy",
    "coerce_records",
    "coerce_settings",
    "describe_error",
]

RecordT = TypeVar("RecordT", Lead, Manager)
SettingsT = TypeVar("SettingsT", bound=BaseModel)


def _rows(items: Any, kind: str) -> list[Any]:
    if hasattr(items, "to_dict") and hasattr(items, "columns"):
        names = [str(c) for c in items.columns]
        doubled = sorted({c for c in names if names.count(c) > 1})
        if doubled:
            # pandas would keep one of the two columns, silently.
            raise InputError(
                f"{kind}s have the column {doubled[0]!r} twice (positions "
                f"{', '.join(str(k) for k, c in enumerate(names) if c == doubled[0])})",
                field=doubled[0],
            )
        records = items.to_dict(orient="records")
        # A missing cell means "not given": the field's default applies.
        return [{k: v for k, v in r.items() if not is_missing(v)} for r in records]
    if isinstance(items, Mapping | str | bytes) or not isinstance(items, Iterable):
        raise InputError(
            f"{kind}s must be a list of {kind.capitalize()} records, dicts or a DataFrame, "
            f"got {type(items).__name__}"
        )
    return list(items)


def _with_features(item: Mapping[str, Any], feature_columns: Sequence[str]) -> dict[str, Any]:
    record = dict(item)
    features = dict(record.pop("features", None) or {})
    for name in feature_columns:
        if name in Lead.model_fields:
            continue  # a lead's own field, read from the record itself
        if name in record:
            features[name] = record.pop(name)
    record["features"] = features
    return record


def coerce_records(
    items: Any,
    model: type[RecordT],
    kind: str,
    *,
    feature_columns: Sequence[str] | None = None,
) -> list[RecordT]:
    """Validate ``items`` as ``model`` records; reject empty input and duplicate ids.

    ``feature_columns`` (for leads) are keys gathered into the record's ``features``.

    Raises
    ------
    InputError
        Naming the kind, id, row, field and value of the first bad record.
    """
    rows = _rows(items, kind)
    if not rows:
        raise InputError(f"no {kind}s given; at least one is needed")
    records: list[RecordT] = []
    seen: dict[str, int] = {}
    for row, item in enumerate(rows):
        if isinstance(item, model):
            record = item
        elif isinstance(item, Mapping):
            data = _with_features(item, feature_columns) if feature_columns else dict(item)
            try:
                record = model.model_validate(data)
            except ValidationError as exc:
                raise record_error(exc, kind, item.get("id"), row=row) from None
        else:
            raise InputError(
                f"{kind} row {row} must be a {model.__name__} or a dict, got {type(item).__name__}",
                row=row,
            )
        if record.id in seen:
            raise InputError(
                f"duplicate {kind} id {record.id!r} (rows {seen[record.id]} and {row})",
                row=row,
                field="id",
                value=record.id,
            )
        seen[record.id] = row
        records.append(record)
    return records


def coerce_settings(
    value: Any, model: type[SettingsT], name: str, *, nested_fields: bool = False
) -> SettingsT:
    """A settings record (``model``) from an instance, a dict or ``None`` (the defaults).

    Errors name ``name``, the field and the value; with ``nested_fields`` the error's
    ``field`` is ``"<name>.<field>"`` (settings given inside a larger call).

    Examples
    --------
    >>> coerce_settings({"balance_tolerance": 0.2}, Policy, "policy").balance_tolerance
    0.2
    """
    if value is None:
        return model()
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        try:
            return model.model_validate(dict(value))
        except ValidationError as exc:
            raise settings_error(exc, name, nested_fields=nested_fields) from None
    raise InputError(
        f"{name} must be a {model.__name__} or a dict, got {type(value).__name__}",
        field=name,
        value=value,
    )


def coerce_policy(policy: Policy | Mapping[str, Any] | None) -> Policy:
    """A :class:`Policy` from an instance, a dict or ``None`` (the defaults)."""
    return coerce_settings(policy, Policy, "policy")
