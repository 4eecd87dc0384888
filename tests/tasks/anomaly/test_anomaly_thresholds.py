"""Thresholds: the quantile is numpy's; POT recovers known tails and falls back when it cannot fit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from seqlab.errors import DataError
from seqlab.tasks.anomaly.thresholds import fit_threshold, pot_threshold, quantile_threshold


def test_pot_recovers_the_tail_quantile_of_known_distributions():
    rng = np.random.default_rng(0)
    exp = rng.exponential(size=20_000)
    z = pot_threshold(exp, risk=1e-4, init_quantile=0.95)
    assert z["threshold"] == pytest.approx(np.log(1e4), rel=0.05)  # P(X > z) = 1e-4
    assert abs(z["gamma"]) < 0.1  # an exponential tail: shape 0
    pareto = stats.pareto(b=3.0).rvs(size=20_000, random_state=1)  # heavy tail, shape 1/3
    z = pot_threshold(pareto, risk=1e-3, init_quantile=0.9)
    assert z["threshold"] == pytest.approx(stats.pareto(b=3.0).isf(1e-3), rel=0.15)
    assert z["gamma"] == pytest.approx(1 / 3, abs=0.1)


def test_pot_on_a_real_series_lies_beyond_its_initial_level(shared_data):
    from seqlab.data.nab import read_nab_series

    values = read_nab_series(shared_data / "anomaly" / "nab" / "realTraffic" / "speed_6005.csv").values[:375]
    scores = np.abs(np.diff(values))
    z = pot_threshold(scores, risk=1e-3, init_quantile=0.9)
    assert z["init_level"] == np.quantile(scores, 0.9) and z["threshold"] > z["init_level"]
    assert z["excesses"] == int((scores > z["init_level"]).sum())


def test_quantile_and_fallback_and_bad_scores():
    scores = np.arange(100.0)
    assert quantile_threshold(scores, 0.9)["threshold"] == np.quantile(scores, 0.9)
    assert fit_threshold(scores, "quantile", q=0.5, risk=1e-3, init_quantile=0.9)["threshold"] == 49.5
    few = pot_threshold(np.r_[np.zeros(50), 1.0, 2.0], risk=1e-3, init_quantile=0.9)
    assert few["fallback"] == "max" and few["threshold"] == 2.0
    with pytest.raises(DataError, match="NaN or infinite"):
        pot_threshold(np.array([1.0, np.nan, 2.0]), risk=1e-3, init_quantile=0.9)
    with pytest.raises(DataError, match="no validation scores"):
        quantile_threshold(np.array([]), 0.9)
