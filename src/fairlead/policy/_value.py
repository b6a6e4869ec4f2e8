"""Value of each lead for each manager: expected conversion."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from fairlead.core import FloatArray, check_numeric_dtype, to_array
from fairlead.records import InputError, Lead, Level, Manager, Policy, Tier

if TYPE_CHECKING:
    # Not at run time: fairlead.scoring pulls in scipy.stats (~0.5 s on `import fairlead`).
    from fairlead.scoring import ConversionModel

_SCORING = "fairlead.scoring"

# A value model maps (leads, managers) to an (n, m) array of expected gains.
ValueModel = Callable[[Sequence[Lead], Sequence[Manager]], Any]


def is_conversion_model(model: object) -> TypeGuard[ConversionModel]:
    """Whether ``model`` is a :class:`~fairlead.scoring.ConversionModel`, without importing it.

    A ConversionModel can only exist once its module is imported, so an absent module
    means "no": ``import fairlead`` stays free of the scoring package and scipy.stats.
    """
    scoring = sys.modules.get(_SCORING)
    kind = getattr(scoring, "ConversionModel", None)
    return kind is not None and isinstance(model, kind)


def level_factor_value(
    leads: Sequence[Lead], managers: Sequence[Manager], tiers: Sequence[Tier], policy: Policy
) -> FloatArray:
    """Default value: ``min(1, score * level_factors[tier][level])``.

    A senior gains most on hot leads, a trainee loses most there; on cold leads
    every level is alike (the defaults of :class:`fairlead.Policy`). This is the
    value until a conversion model learned from history is supplied.
    """
    tier_list, level_list = list(Tier), list(Level)
    table = np.array(
        [[policy.level_factors[t][lv] for lv in level_list] for t in tier_list], dtype=np.float64
    )
    tier_idx = np.array([tier_list.index(t) for t in tiers])
    level_idx = np.array([level_list.index(mg.level) for mg in managers])
    scores = np.array([lead.score for lead in leads], dtype=np.float64)
    factors = table[tier_idx[:, None], level_idx[None, :]]
    values: FloatArray = np.minimum(1.0, scores[:, None] * factors)
    return values


def conversion_value(
    model: ConversionModel,
    leads: Sequence[Lead],
    managers: Sequence[Manager],
    tiers: Sequence[Tier],
    manager_ids: Sequence[str] | None = None,
) -> FloatArray:
    """Values from a fitted :class:`~fairlead.scoring.ConversionModel`.

    Each lead's ``features`` supply the model's feature columns; its ``segment``
    (or else its tier) supplies the segment when the model was fitted on segments.
    ``manager_ids``, the ids of ``managers`` when the caller keeps them, spare
    collecting them on every call.
    """
    names: list[str] = getattr(model, "feature_names_", [])
    if not names:
        raise InputError("the ConversionModel is not fitted yet: call fit() first")
    columns: dict[str, list[float | str]] = {name: [] for name in names}
    for lead in leads:
        for name in names:
            value = lead.features.get(name)
            if value is None and name in Lead.model_fields and name != "features":
                value = getattr(lead, name)
            if value is None:
                raise InputError(
                    f"lead {lead.id!r} lacks feature {name!r} that the conversion model needs"
                )
            columns[name].append(value.value if isinstance(value, Tier) else value)
    segments = None
    if model.segment_edges_ is None:
        segments = [
            lead.segment if lead.segment is not None else tier.value
            for lead, tier in zip(leads, tiers, strict=True)
        ]
    ids = manager_ids if manager_ids is not None else [mg.id for mg in managers]
    return model.predict_proba(columns, managers=ids, segments=segments)


def model_value(
    model: ValueModel | Any,
    leads: Sequence[Lead],
    managers: Sequence[Manager],
    tiers: Sequence[Tier],
    manager_ids: Sequence[str] | None = None,
    *,
    given_as: str | None = None,
) -> FloatArray:
    """Values from a model: a fitted ConversionModel, an (n, m) array, or a callable.

    ``manager_ids`` are the ids of ``managers``, when the caller already has them.
    ``given_as`` names the argument when the caller passed the values themselves
    (e.g. ``"values"``), so errors speak of it rather than of a model.
    """
    if is_conversion_model(model):
        raw: Any = conversion_value(model, leads, managers, tiers, manager_ids)
    else:
        raw = model(leads, managers) if callable(model) else model
    what = "model values" if given_as is None else given_as
    array = to_array(what, raw)  # numbers only: not booleans, not numeric text
    check_numeric_dtype(what, array)
    values = array.astype(np.float64, copy=False)
    expected = (len(leads), len(managers))
    if values.shape != expected:
        raise InputError(
            f"{what} must have shape {expected} (leads x managers), got {values.shape}"
        )
    return values
