"""Turn tabular lead features (arrays, DataFrames, records) into a numeric matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _is_frame(data: Any) -> bool:
    return hasattr(data, "columns") and hasattr(data, "to_dict")


def as_columns(data: Any, *, what: str = "X") -> tuple[list[str], list[np.ndarray[Any, Any]]]:
    """Columns of ``data`` as (names, arrays).

    Accepts a 2-d numeric array (columns named ``x0, x1, ...``), a pandas DataFrame,
    a mapping of column name to array, or a sequence of dict records.
    """
    if _is_frame(data):
        names = [str(c) for c in data.columns]
        return names, [np.asarray(data[c].to_numpy()) for c in data.columns]
    if isinstance(data, Mapping):
        names = [str(k) for k in data]
        arrays = [np.asarray(v) for v in data.values()]
    elif isinstance(data, Sequence) and data and isinstance(data[0], Mapping):
        names = list(dict.fromkeys(str(k) for row in data for k in row))
        arrays = [np.asarray([row.get(k) for row in data], dtype=object) for k in names]
    else:
        array = np.asarray(data)
        if array.ndim != 2:
            raise ValueError(f"{what} must be 2-d (rows x features), got shape {array.shape}")
        return [f"x{k}" for k in range(array.shape[1])], [
            array[:, k] for k in range(array.shape[1])
        ]
    lengths = {a.shape[0] if a.ndim else -1 for a in arrays}
    if len(lengths) > 1 or -1 in lengths:
        raise ValueError(f"{what} columns must be 1-d arrays of one length, got lengths {lengths}")
    return names, arrays


def _numeric(values: np.ndarray[Any, Any]) -> FloatArray | None:
    if values.dtype == np.bool_:
        return values.astype(np.float64)
    if np.issubdtype(values.dtype, np.number):
        return values.astype(np.float64)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _first_non_number(values: np.ndarray[Any, Any]) -> int:
    for row, value in enumerate(values.tolist()):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return row
        if not np.isfinite(number):
            return row
    return 0


@dataclass
class FeatureEncoder:
    """Numeric columns pass through (standardized); text columns are one-hot encoded.

    Learned in :meth:`fit`: the column names, which are categorical, their categories,
    and the mean and scale of each numeric column. A category unseen in ``fit``
    encodes as all zeros.
    """

    names: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)

    def fit(self, data: Any) -> FeatureEncoder:
        """Learn columns, categories and scales from ``data``."""
        names, arrays = as_columns(data)
        if not names:
            raise ValueError("X has no feature columns")
        self.names, self.categories, self.means, self.scales = names, {}, {}, {}
        for name, values in zip(names, arrays, strict=True):
            numeric = _numeric(values)
            if numeric is None:
                self.categories[name] = sorted({str(v) for v in values})
                continue
            bad = ~np.isfinite(numeric)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"feature {name!r} must be finite, got {numeric[row]!r} in row {row}"
                )
            self.means[name] = float(numeric.mean())
            spread = float(numeric.std())
            self.scales[name] = spread if spread > 0 else 1.0
        return self

    @property
    def output_names(self) -> list[str]:
        """Names of the encoded columns."""
        out: list[str] = []
        for name in self.names:
            if name in self.categories:
                out.extend(f"{name}={c}" for c in self.categories[name])
            else:
                out.append(name)
        return out

    def transform(self, data: Any) -> FloatArray:
        """Encode ``data`` with the columns learned in :meth:`fit`."""
        names, arrays = as_columns(data)
        given = dict(zip(names, arrays, strict=True))
        missing = [n for n in self.names if n not in given]
        if missing:
            raise ValueError(f"X lacks feature column(s) {missing} seen in fit; it has {names}")
        blocks: list[FloatArray] = []
        for name in self.names:
            values = given[name]
            if name in self.categories:
                labels = np.asarray([str(v) for v in values])
                cats = np.asarray(self.categories[name])
                blocks.append((labels[:, None] == cats[None, :]).astype(np.float64))
                continue
            numeric = _numeric(values)
            if numeric is None or not np.all(np.isfinite(numeric)):
                bad_row = _first_non_number(values)
                shown = values[bad_row]
                shown = shown.item() if isinstance(shown, np.generic) else shown
                raise ValueError(
                    f"feature {name!r} must be a finite number, got {shown!r} in row {bad_row}"
                )
            blocks.append(((numeric - self.means[name]) / self.scales[name])[:, None])
        return np.hstack(blocks) if blocks else np.zeros((0, 0))
