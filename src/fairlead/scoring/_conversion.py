"""ConversionModel: p(convert | lead, manager) learned from history.

Two parts. A lead-level base model gives each lead's conversion probability with an
average manager. Each manager then has an effect per segment (e.g. tier): the log
odds ratio between their empirical-Bayes shrunk rate and the rate the base model
expects for the leads they worked. The prediction for lead ``i`` and manager ``j``
is ``sigmoid(logit(base_i) + effect[segment_i, j])``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit, logit

from fairlead.records import InputError, label_key, read_ids
from fairlead.scoring._calibration import NotFittedError
from fairlead.scoring._features import FloatArray, as_columns
from fairlead.scoring._logistic import LogisticModel
from fairlead.scoring._params import (
    ParamsMixin,
    check_bool,
    check_choice,
    check_int,
    check_number,
    is_finite_real,
)
from fairlead.scoring._shrinkage import fit_prior_strength, shrink_rates

_CLIP = 1e-6
_RESOLVED_TEAMS = 8  # manager lists remembered by predict_proba (see _manager_columns)


def _check_present(array: np.ndarray[Any, Any], what: str, entry: str = "row") -> None:
    """Raise naming the first None, NaN or pandas NA: it would silently become a label."""
    if array.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(array))
    elif array.dtype.kind == "O":
        missing = np.flatnonzero(
            [
                v is None or (isinstance(v, float) and v != v) or type(v).__name__ == "NAType"
                for v in array.tolist()
            ]
        )
    else:
        return
    if missing.size:
        k = int(missing[0])
        value = array[k]
        shown = value.item() if isinstance(value, np.generic) else value
        raise InputError(f"{what}: {entry} {k} is {shown!r}")


def _check_entries(values: Any, array: np.ndarray[Any, Any], what: str, entry: str) -> None:
    """:func:`_check_present` on the entries as given, before numpy read them.

    numpy turns a list mixing text and NaN into text ('nan'), so a text array made
    from anything but an array is checked again entry by entry.
    """
    if array.dtype.kind in "US" and not isinstance(values, np.ndarray):
        _check_present(np.asarray(values, dtype=object), what, entry)
    else:
        _check_present(array, what, entry)


def _labels(values: Any, n: int, what: str) -> npt.NDArray[np.str_]:
    array = np.asarray(values)
    if array.ndim != 1 or array.shape[0] != n:
        raise InputError(f"{what} must have one entry per row ({n}), got shape {array.shape}")
    _check_entries(values, array, what, "row")
    return array.astype(str)


def _segment_codes(labels: npt.NDArray[np.str_]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The distinct segments of ``labels`` by the label rule, and each row's index.

    Segments are sorted by key; each is shown as its first spelling in ``labels``,
    outer spaces trimmed. Keys are computed once per distinct spelling, never per row.
    """
    spelled, first_row, inverse = np.unique(labels, return_index=True, return_inverse=True)
    keys = np.array([label_key(text) for text in spelled.tolist()], dtype=np.str_)
    _, key_of_spelled = np.unique(keys, return_inverse=True)
    first = np.full(int(key_of_spelled.max()) + 1, labels.shape[0], dtype=np.int64)
    np.minimum.at(first, key_of_spelled, first_row)
    shown = [text.strip() for text in labels[first].tolist()]
    return shown, key_of_spelled[inverse.reshape(-1)].astype(np.int64)


def _outcomes(y: npt.ArrayLike) -> FloatArray:
    target = np.asarray(y)
    if target.ndim != 1:
        raise InputError(f"y must be 1-d, got shape {target.shape}")
    if target.dtype == np.bool_:
        return target.astype(np.float64)
    try:
        values = target.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError("y must hold outcomes 0/1") from None
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"y must hold outcomes 0/1, got {values[row]:g} in row {row}")
    return values


def manager_segment_effects(
    y: FloatArray,
    base: FloatArray,
    segment_idx: npt.NDArray[np.int64],
    manager_idx: npt.NDArray[np.int64],
    n_segments: int,
    n_managers: int,
    prior_strength: float | None = None,
    *,
    strength_by_segment: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Shrunk log-odds effect of each manager in each segment.

    Within segment ``s``, manager ``j`` converted ``c`` of ``n`` leads for which the
    base model expected the rate ``e = sum(base) / n``. Their rate has the prior
    ``Beta(kappa * e, kappa * (1 - e))`` with ``kappa`` fitted by maximum marginal
    likelihood (unless ``prior_strength`` is given): one ``kappa`` for all cells, or
    one per segment with ``strength_by_segment`` (needs many managers per segment to
    be stable). The effect is ``logit(posterior mean) - logit(e)``: near 0 for few
    leads, the observed log odds ratio for many.

    Returns
    -------
    effect, trials, successes : ndarray, shape (n_segments, n_managers)
    strength : ndarray, shape (n_segments,)
    """
    cell = segment_idx * n_managers + manager_idx
    size = n_segments * n_managers
    trials = np.bincount(cell, minlength=size).astype(np.float64).reshape(n_segments, n_managers)
    wins = np.bincount(cell, weights=y, minlength=size).astype(np.float64)
    wins = wins.reshape(n_segments, n_managers)
    expected = np.bincount(cell, weights=base, minlength=size).reshape(n_segments, n_managers)
    expected_rate = np.clip(expected / np.maximum(trials, 1.0), _CLIP, 1 - _CLIP)
    strength = np.empty(n_segments)
    effect = np.zeros((n_segments, n_managers))
    shared = prior_strength
    if shared is None and not strength_by_segment:
        shared = fit_prior_strength(wins.ravel(), trials.ravel(), expected_rate.ravel())
    for s in range(n_segments):
        kappa = (
            shared
            if shared is not None
            else fit_prior_strength(wins[s], trials[s], expected_rate[s])
        )
        strength[s] = kappa
        posterior = shrink_rates(wins[s], trials[s], expected_rate[s], kappa)
        posterior = np.clip(posterior, _CLIP, 1 - _CLIP)
        effect[s] = np.where(trials[s] > 0, logit(posterior) - logit(expected_rate[s]), 0.0)
    return effect, trials, wins, strength


class ConversionModel(ParamsMixin):
    """Probability that each lead converts with each manager, learned from history.

    Parameters
    ----------
    base_model : estimator or None, default None
        Lead-level classifier with ``fit(X, y)`` and ``predict_proba(X)`` (scikit-learn
        style). ``None`` uses fairlead's L2 logistic regression on the features
        (numeric columns standardized, text columns one-hot encoded).
    l2 : float, default 1.0
        Ridge strength of the default logistic regression.
    prior_strength : float or None, default None
        Pseudo-observations pulling each manager's segment rate towards what the base
        model expects; ``None`` fits it by empirical Bayes.
    strength_by_segment : bool, default False
        Fit one prior strength per segment instead of one for all segments. With
        few managers a per-segment fit often lands on "all alike" or "no pooling";
        the shared fit borrows strength across segments.
    n_segments : int, default 3
        When ``fit`` gets no segments, leads are split into this many segments by
        quantiles of the base probability (cold → hot).
    unknown_managers : {"error", "prior"}, default "error"
        What ``predict_proba`` does with a manager absent from the history:
        raise, or give them the segment baseline (effect 0).

    The parameters are checked by :meth:`fit`; ``get_params`` / ``set_params`` work
    as in scikit-learn (so does ``sklearn.base.clone``).

    Attributes
    ----------
    base_model_ : estimator
    manager_ids_ : ndarray of str
    segments_ : ndarray of str
        Segment labels (given in ``fit`` or derived: ``"q1"`` … coldest first).
    segment_edges_ : ndarray or None
        Base-probability cut points of derived segments.
    effect_ : ndarray, shape (n_segments, n_managers)
        Shrunk log-odds effect of each manager in each segment.
    trials_, successes_ : ndarray, shape (n_segments, n_managers)
    prior_strength_ : ndarray, shape (n_segments,)
    feature_names_ : list of str

    Examples
    --------
    >>> import numpy as np
    >>> from fairlead.scoring import ConversionModel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(3000, 2))
    >>> who = rng.choice(["ann", "bob"], size=3000)
    >>> lift = np.where(who == "ann", 0.8, 0.0)
    >>> y = rng.random(3000) < 1 / (1 + np.exp(-(X[:, 0] - 1 + lift)))
    >>> cm = ConversionModel().fit(X, y, managers=who)
    >>> P = cm.predict_proba(X[:5], managers=["ann", "bob"])
    >>> P.shape, bool((P[:, 0] > P[:, 1]).all())
    ((5, 2), True)
    """

    def __init__(
        self,
        *,
        base_model: Any = None,
        l2: float = 1.0,
        prior_strength: float | None = None,
        strength_by_segment: bool = False,
        n_segments: int = 3,
        unknown_managers: str = "error",
    ) -> None:
        self.base_model = base_model
        self.l2 = l2
        self.prior_strength = prior_strength
        self.strength_by_segment = strength_by_segment
        self.n_segments = n_segments
        self.unknown_managers = unknown_managers

    def _check_params(self) -> None:
        model = self.base_model
        if model is not None and not (
            callable(getattr(model, "fit", None))
            and callable(getattr(model, "predict_proba", None))
        ):
            raise InputError(
                "base_model must be None or an estimator with fit(X, y) and predict_proba(X), "
                f"got {model!r}"
            )
        check_number("l2", self.l2, low=0.0)
        if self.prior_strength is not None and not (
            is_finite_real(self.prior_strength) and self.prior_strength > 0
        ):
            raise InputError(
                f"prior_strength must be > 0, got {self.prior_strength!r} "
                "(a finite number, or None to fit it)"
            )
        check_bool("strength_by_segment", self.strength_by_segment)
        check_int("n_segments", self.n_segments, low=1)
        check_choice("unknown_managers", self.unknown_managers, ("error", "prior"))

    def _base_proba(self, X: Any) -> FloatArray:
        proba = np.asarray(self.base_model_.predict_proba(X), dtype=np.float64)
        column = proba[:, 1] if proba.ndim == 2 else proba
        return np.clip(column, _CLIP, 1 - _CLIP)

    def _segment_index(self, segments: Any, base: FloatArray) -> npt.NDArray[np.int64]:
        n = base.shape[0]
        if self.segment_edges_ is not None:
            if segments is not None:
                raise InputError("this model derives segments itself; do not pass segments")
            return np.searchsorted(self.segment_edges_, base, side="right").astype(np.int64)
        if segments is None:
            raise InputError(
                f"segments are required: the model was fitted on segments {self.segments_.tolist()}"
            )
        labels = _labels(segments, n, "segments")
        # By the label rule: "Hot " finds the segment fitted as "hot".
        position = {label_key(s): k for k, s in enumerate(self.segments_.tolist())}
        spelled, inverse = np.unique(labels, return_inverse=True)
        found = [position.get(label_key(text), -1) for text in spelled.tolist()]
        unknown = [text for text, k in zip(spelled.tolist(), found, strict=True) if k < 0]
        if unknown:
            raise InputError(
                f"unknown segment(s) {unknown}; the model knows {self.segments_.tolist()}"
            )
        return np.asarray(found, dtype=np.int64)[inverse.reshape(-1)]

    def fit(
        self,
        X: Any,
        y: npt.ArrayLike,
        *,
        managers: npt.ArrayLike,
        segments: npt.ArrayLike | None = None,
    ) -> ConversionModel:
        """Learn from history: lead features ``X``, outcomes ``y`` (0/1), who worked each.

        Parameters
        ----------
        X : array, DataFrame, mapping of columns or list of records
        y : array_like of 0/1 or bool
        managers : array_like of str
            Manager id of each history row, read by the id rule
            (:func:`fairlead.records.read_id`): ``7``, ``7.0`` and ``" 7 "`` are ``"7"``.
        segments : array_like of str, optional
            Segment label per row (e.g. tier or product); derived from the base
            probability when absent. Labels are matched by the label rule
            (:func:`fairlead.records.label_key`): ``"Hot"`` and ``"hot "`` are one
            segment, shown as first spelled in the history.
        """
        self._check_params()
        target = _outcomes(y)
        n = target.shape[0]
        if n == 0:
            raise InputError("history is empty: fit needs at least one row")
        _labels(managers, n, "managers")  # one per row, none missing
        who = read_ids(managers, "manager id")
        if target.min() == target.max():
            raise InputError(
                f"y holds only {int(target[0])}s: fit needs both converted and lost leads"
            )
        names, columns = as_columns(X)
        if not names:
            raise InputError("X has no feature columns")
        rows = {c.shape[0] for c in columns}
        if rows != {n}:
            raise InputError(f"X has {sorted(rows)[0]} rows but y has {n}")
        self.feature_names_ = names
        # A copy, as scikit-learn's clone does: the caller's estimator stays untouched.
        model = (
            copy.deepcopy(self.base_model)
            if self.base_model is not None
            else LogisticModel(l2=self.l2)
        )
        self.base_model_ = model.fit(X, target)
        base = self._base_proba(X)

        if segments is None:
            quantiles = np.linspace(0, 1, self.n_segments + 1)[1:-1]
            self.segment_edges_: FloatArray | None = np.quantile(base, quantiles)
            self.segments_ = np.array([f"q{k + 1}" for k in range(self.n_segments)])
            segment_idx = np.searchsorted(self.segment_edges_, base, side="right")
        else:
            self.segment_edges_ = None
            shown, segment_idx = _segment_codes(_labels(segments, n, "segments"))
            self.segments_ = np.array(shown, dtype=np.str_)
        self.manager_ids_, manager_idx = np.unique(who, return_inverse=True)
        self._resolved_managers: dict[
            tuple[Any, ...], tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]
        ] = {}
        effect, trials, wins, strength = manager_segment_effects(
            target,
            base,
            segment_idx.astype(np.int64),
            manager_idx.astype(np.int64),
            len(self.segments_),
            len(self.manager_ids_),
            self.prior_strength,
            strength_by_segment=self.strength_by_segment,
        )
        self.effect_, self.trials_, self.successes_, self.prior_strength_ = (
            effect,
            trials,
            wins,
            strength,
        )
        return self

    def _manager_columns(
        self, managers: Sequence[str] | npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Each manager's column in the effect table, and whether the history knew them.

        A list or tuple of ids is resolved once and remembered (a router asks for the
        same team on every lead); the cache is emptied by :meth:`fit`. Unknown ids are
        refused on every call, so a change of ``unknown_managers`` takes effect at once.
        """
        key = tuple(managers) if isinstance(managers, list | tuple) else None
        try:
            resolved = self._resolved_managers.get(key) if key is not None else None
        except TypeError:  # an unhashable entry: resolved (and reported) below
            key = resolved = None
        if resolved is None:
            resolved = self._resolve_managers(managers)
            if key is not None:
                if len(self._resolved_managers) >= _RESOLVED_TEAMS:
                    self._resolved_managers.clear()
                self._resolved_managers[key] = resolved
        known = resolved[1]
        if not known.all() and self.unknown_managers == "error":
            ids = read_ids(managers, "manager id")
            raise InputError(
                f"unknown manager id(s) {ids[~known][:5].tolist()} not in the history; pass "
                "unknown_managers='prior' to give them the segment baseline"
            )
        return resolved

    def _resolve_managers(
        self, managers: Sequence[str] | npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        given = np.asarray(managers)
        if given.ndim != 1:
            raise InputError(f"managers must be a 1-d list of ids, got shape {given.shape}")
        _check_entries(managers, given, "managers", "entry")
        ids = read_ids(managers, "manager id")
        position = {m: k for k, m in enumerate(self.manager_ids_.tolist())}
        known = np.array([m in position for m in ids.tolist()], dtype=np.bool_)
        columns = np.array([position.get(m, 0) for m in ids.tolist()], dtype=np.int64)
        columns.flags.writeable = known.flags.writeable = False
        return columns, known

    def predict_proba(
        self,
        X: Any,
        *,
        managers: Sequence[str] | npt.ArrayLike,
        segments: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Conversion probability of each lead with each manager, shape (n, len(managers)).

        Vectorized: one base prediction per lead, then one gather of the effect table.
        """
        if not hasattr(self, "effect_"):
            raise NotFittedError("this ConversionModel is not fitted yet: call fit() first")
        base = self._base_proba(X)
        segment_idx = self._segment_index(segments, base)
        columns, known = self._manager_columns(managers)
        table = self.effect_[:, columns] * known[None, :]
        logits = logit(base)[:, None] + table[segment_idx]
        result: FloatArray = expit(logits)
        return result
