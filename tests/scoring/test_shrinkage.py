"""Empirical-Bayes shrinkage: beta-binomial prior strength, shrunk rates and shrunk means."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead.scoring._shrinkage import fit_prior_strength, shrink_means, shrink_rates

MAX_STRENGTH = 1e6  # upper end of the documented search range


def beta_binomial_units(rng, kappa, units=400):
    trials = rng.integers(20, 200, units)
    mean = rng.uniform(0.1, 0.5, units)
    rate = rng.beta(kappa * mean, kappa * (1 - mean))
    return rng.binomial(trials, rate), trials, mean


# --------------------------------------------------------------------------- fit_prior_strength


@pytest.mark.parametrize("kappa", [3.0, 10.0, 50.0, 200.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_prior_strength_recovers_kappa_within_factor_two(kappa, seed):
    # 400 units with 20-200 trials each: the MLE lands within ~20 % in simulations,
    # so a factor of 2 is a loose, seed-robust bound.
    wins, trials, mean = beta_binomial_units(np.random.default_rng(seed), kappa)
    fitted = fit_prior_strength(wins, trials, mean)
    assert kappa / 2 < fitted < kappa * 2


def test_prior_strength_orders_heterogeneity():
    rng = np.random.default_rng(11)
    fitted = [fit_prior_strength(*beta_binomial_units(rng, k)) for k in (3.0, 30.0, 300.0)]
    assert fitted[0] < fitted[1] < fitted[2]


def test_identical_units_give_a_large_strength():
    # Every unit converted exactly 10 of 50: no spread beyond binomial noise at all.
    fitted = fit_prior_strength(np.full(30, 10), np.full(30, 50), 0.2)
    assert fitted > 1e5
    assert fitted <= MAX_STRENGTH * (1 + 1e-9)


def test_binomial_noise_only_gives_a_large_strength():
    rng = np.random.default_rng(3)
    trials = np.full(300, 60)
    assert fit_prior_strength(rng.binomial(trials, 0.25), trials, 0.25) > 300


def test_units_without_trials_are_ignored():
    wins, trials, mean = beta_binomial_units(np.random.default_rng(5), 20.0, units=100)
    base = fit_prior_strength(wins, trials, mean)
    padded = fit_prior_strength(np.r_[wins, 0, 0], np.r_[trials, 0, 0], np.r_[mean, 0.3, 0.9])
    assert padded == pytest.approx(base, rel=1e-6)


def test_no_trials_at_all_means_units_are_alike():
    assert fit_prior_strength([0, 0], [0, 0], 0.3) == pytest.approx(MAX_STRENGTH)


def test_scalar_prior_mean_broadcasts():
    wins, trials, _ = beta_binomial_units(np.random.default_rng(8), 20.0, units=100)
    scalar = fit_prior_strength(wins, trials, 0.3)
    vector = fit_prior_strength(wins, trials, np.full(100, 0.3))
    assert scalar == pytest.approx(vector, rel=1e-9)


# --------------------------------------------------------------------------- shrink_rates


def test_shrink_rates_is_the_beta_posterior_mean():
    got = shrink_rates([2, 200, 0], [3, 300, 0], [0.2, 0.2, 0.4], 20.0)
    expected = [(2 + 20 * 0.2) / 23, (200 + 20 * 0.2) / 320, 0.4]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_shrinkage_moves_small_samples_to_the_prior_and_keeps_large_ones():
    prior, strength = 0.2, 20.0
    small_raw, large_raw = 2 / 3, 2000 / 3000
    small, large = shrink_rates([2, 2000], [3, 3000], prior, strength)
    # the 3-lead rate moves most of the way to the prior ...
    assert abs(small - prior) < 0.25 * abs(small_raw - prior)
    # ... the 3000-lead rate barely moves (less than 1 % of its distance to the prior)
    assert abs(large - large_raw) < 0.01 * abs(large_raw - prior)
    assert small < large


def test_more_trials_means_less_shrinkage():
    trials = np.array([1, 3, 10, 30, 100, 1000, 10000])
    rates = shrink_rates(0.6 * trials, trials, 0.2, 15.0)
    assert np.all(np.diff(rates) > 0)
    assert rates[-1] == pytest.approx(0.6, abs=1e-3)


def test_stronger_prior_means_more_shrinkage():
    rates = [float(shrink_rates(7, 10, 0.2, s)) for s in (0.1, 1.0, 10.0, 100.0, 1e6)]
    assert np.all(np.diff(rates) < 0)
    assert rates[0] == pytest.approx(0.7, abs=0.01)
    assert rates[-1] == pytest.approx(0.2, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    trials=st.integers(1, 10_000),
    share=st.floats(0.0, 1.0),
    prior=st.floats(1e-6, 1 - 1e-6),
    strength=st.floats(1e-3, 1e6),
)
def test_posterior_mean_lies_between_raw_rate_and_prior(trials, share, prior, strength):
    wins = round(share * trials)
    raw = wins / trials
    post = float(shrink_rates(wins, trials, prior, strength))
    eps = 1e-12
    assert min(raw, prior) - eps <= post <= max(raw, prior) + eps


# --------------------------------------------------------------------------- shrink_means


def grouped(samples):
    sums = np.array([s.sum() for s in samples])
    counts = np.array([s.size for s in samples], dtype=np.float64)
    squares = np.array([(s**2).sum() for s in samples])
    return sums, counts, squares


def test_shrink_means_moves_a_small_unit_and_keeps_large_ones():
    rng = np.random.default_rng(0)
    within, between = 300.0, 100.0  # true k = 300**2 / 100**2 = 9
    centers = rng.normal(1000.0, between, 30)
    counts = np.r_[np.full(29, 200), 2]
    samples = [rng.normal(c, within, n) for c, n in zip(centers, counts, strict=True)]
    sums, counts, squares = grouped(samples)
    means, k = shrink_means(sums, counts, squares)
    raw = sums / counts
    pooled = sums.sum() / counts.sum()
    assert 9.0 / 2 < k < 9.0 * 2
    # the 2-deal unit is pulled at least two thirds of the way to the pooled mean
    assert abs(means[-1] - pooled) < abs(raw[-1] - pooled) / 3
    # the 200-deal units move by k / (200 + k) < 5 % of their distance to the pooled mean
    moved = np.abs(means[:-1] - raw[:-1])
    assert np.all(moved <= 0.05 * np.abs(raw[:-1] - pooled) + 1e-9)
    np.testing.assert_allclose(means, (sums + k * pooled) / (counts + k), rtol=1e-12)


def test_shrink_means_matches_the_docstring_example():
    sums = [40034.0, 37195.0, 47121.0, 28860.0, 44871.0, 3000.0]
    counts = [40, 35, 50, 30, 45, 1]
    squares = [43180382.7, 41196017.1, 48894642.1, 28978685.8, 49455303.6, 9e6]
    means, k = shrink_means(sums, counts, squares)
    assert means[-1] < 1500.0  # the single 3000 deal is mostly luck
    assert k == pytest.approx(3.1, abs=0.05)


def test_shrink_means_alike_units_pool_completely():
    samples = [np.array([10.0, 12.0, 14.0]), np.array([11.0, 13.0, 12.0]), np.array([12.0])]
    means, k = shrink_means(*grouped(samples))
    assert k == float("inf")
    np.testing.assert_allclose(means, 12.0)


def test_shrink_means_empty_input():
    means, k = shrink_means([0.0, 0.0], [0, 0], [0.0, 0.0])
    np.testing.assert_array_equal(means, [0.0, 0.0])
    assert k == 0.0


def test_shrink_means_unit_without_data_gets_the_pooled_mean():
    samples = [
        np.array([90.0, 110.0, 100.0]),
        np.array([200.0, 230.0, 170.0, 210.0]),
        np.array([]),
    ]
    sums, counts, squares = grouped(samples)
    means, k = shrink_means(sums, counts, squares)
    assert 0 < k < np.inf
    assert means[2] == pytest.approx(sums.sum() / counts.sum())


def test_shrink_means_unit_without_data_and_no_within_spread():
    # Fixed-price deals: each manager always sells at one price, one never sold.
    sums, counts, squares = grouped(
        [np.full(5, 100.0), np.full(5, 200.0), np.array([], dtype=np.float64)]
    )
    means, _ = shrink_means(sums, counts, squares)
    assert np.isfinite(means).all()
    assert means[2] == pytest.approx(150.0)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.lists(st.integers(0, 1000).map(float), min_size=1, max_size=15),
        min_size=2,
        max_size=8,
    )
)
def test_shrunk_mean_lies_between_unit_mean_and_pooled_mean(data):
    samples = [np.array(d) for d in data]
    sums, counts, squares = grouped(samples)
    means, k = shrink_means(sums, counts, squares)
    assert k >= 0
    raw = sums / counts
    pooled = sums.sum() / counts.sum()
    tol = 1e-9 * (1.0 + np.abs(raw).max())
    assert np.all(means >= np.minimum(raw, pooled) - tol)
    assert np.all(means <= np.maximum(raw, pooled) + tol)
