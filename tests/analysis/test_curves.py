"""Learning and robustness curves."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.analysis.compare import parse_compare_config
from seqlab.analysis.curves import analyze_curves, corrupt


def test_curves_on_a_real_series(shared_data):
    raw = {"data": {"kind": "series", "path": str(shared_data / "ett" / "ETTh1.csv"), "target": ["OT"],
                    "lookback": 24, "horizon": 1, "split": "ett"},
           "models": ["gru", "cnn"], "units": 8, "seeds": [0], "train": {"epochs": 2, "batch_size": 64}}
    result = analyze_curves(parse_compare_config(raw, "ett"), fractions=(0.05, 1.0), noise=(0.0, 1.0),
                            drop=(0.0, 0.4), shift=(0.0, 2.0))
    assert result["metric"] == "mse" and [m["model"] for m in result["models"]] == ["gru", "cnn"]
    for m in result["models"]:
        small, full = m["learning_curve"]
        assert small["n_train"] < full["n_train"] / 10
        assert full["mse"] < small["mse"]  # more data, better model
        assert m["learning_curve"][-1]["mse"] == m["robustness"]["noise"][0]["mse"]  # level 0 = clean test
        for kind in ("noise", "drop", "shift"):
            clean, hit = m["robustness"][kind]
            assert hit["mse"] > clean["mse"]  # every corruption hurts


def test_text_corruptions_drop_tokens_and_close_up():
    ids = np.array([[5, 6, 7, 8, 0, 0]] * 200)
    dropped = corrupt(ids, "drop", 0.5, tokens=True, seed=0)
    kept = (dropped != 0).sum(1)
    assert 0 < kept.mean() < 4 and kept.max() <= 4
    for row in dropped:  # order kept, padding only at the end
        real = row[row != 0].tolist()
        assert real == sorted(real) and np.all(row[len(real):] == 0)


def test_noise_has_the_requested_strength():
    x = np.zeros((500, 40, 3), dtype=np.float32)
    assert corrupt(x, "noise", 0.5, tokens=False, seed=0).std() == pytest.approx(0.5, rel=0.02)
