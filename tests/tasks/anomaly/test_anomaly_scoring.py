"""NAB, point-wise and window-wise scores on the real NAB windows, against independent computations:
a line-by-line port of NAB's own sweeper loop, and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from seqlab.data.nab import probation_length, read_label_windows, read_nab_series, window_bounds, window_mask
from seqlab.tasks.anomaly.metrics import point_scores, window_scores
from seqlab.tasks.anomaly.nab import PROFILES, corpus_score, nab_scores

SERIES = ["realTraffic/TravelTime_387.csv", "realAWSCloudwatch/ec2_cpu_utilization_fe7f93.csv",
          "realTraffic/speed_7578.csv", "artificialWithAnomaly/art_daily_jumpsup.csv"]


def _nab_reference(timestamps, alarms, windows, weights, probation):
    """NAB's Sweeper.calcSweepScore + calcScoreByThreshold at threshold 1 for 0/1 scores, as a plain loop."""
    def sig(y):
        return -1.0 if y >= 3.0 else 2 / (1 + math.exp(5 * y)) - 1
    max_tp = sig(-1.0)
    stamps = list(timestamps)
    limits = list(windows)
    parts, fp, cur, prev_right, prev_width = {}, 0.0, None, None, None
    for i, t in enumerate(stamps):
        if limits and t == limits[0][0]:
            cur = limits.pop(0)
            right, width = stamps.index(cur[1]), stamps.index(cur[1]) - stamps.index(cur[0]) + 1
        if cur is not None:
            weighted = sig(-(right - i + 1) / width) * weights["tp"] / max_tp
        else:
            position = 3.0 if prev_right is None else abs(prev_right - i) / (prev_width - 1)
            weighted = sig(position) * weights["fp"]
        if i >= probation:
            if cur is not None:
                parts.setdefault(cur[0], -weights["fn"])
                if alarms[i]:
                    parts[cur[0]] = max(parts[cur[0]], weighted)
            elif alarms[i]:
                fp += weighted
        if cur is not None and t == cur[1]:
            prev_right, prev_width, cur = i, width, None
    return sum(parts.values()) + fp, len(parts)


@pytest.fixture(scope="module")
def labelled(shared_data):
    root = shared_data / "anomaly" / "nab"
    out = []
    for key in SERIES:
        s = read_nab_series(root / key)
        windows = read_label_windows(root / "labels" / "combined_windows.json", key)
        out.append((s, windows, window_bounds(s.timestamps, windows)))
    return out


def test_nab_score_matches_nab_sweeper_on_real_windows(labelled):
    rng = np.random.default_rng(0)
    for series, windows, bounds in labelled:
        n, probation = len(series), probation_length(len(series))
        for density in (0.002, 0.02, 0.2):
            alarms = rng.random(n) < density
            ours = nab_scores(alarms, bounds, probation)
            for name, weights in PROFILES.items():
                raw, n_windows = _nab_reference(series.timestamps, alarms, windows, weights, probation)
                assert ours[name]["raw"] == pytest.approx(raw, abs=1e-9), (series.key, name, density)
                null, perfect = -weights["fn"] * n_windows, weights["tp"] * n_windows
                assert ours[name]["score"] == pytest.approx(100 * (raw - null) / (perfect - null), abs=1e-9)


def test_null_perfect_and_late_detectors(labelled):
    series, _, bounds = labelled[0]  # TravelTime_387: three windows
    n, probation = len(series), probation_length(len(series))
    assert all(nab_scores(np.zeros(n, bool), bounds, probation)[p]["score"] == 0.0 for p in PROFILES)
    perfect = np.zeros(n, bool)
    perfect[[left for left, _ in bounds]] = True
    assert all(nab_scores(perfect, bounds, probation)[p]["score"] == pytest.approx(100.0) for p in PROFILES)
    late = np.zeros(n, bool)
    late[[right for _, right in bounds]] = True  # the last row of each window: worth almost nothing
    s = nab_scores(late, bounds, probation)["standard"]
    assert 45 < s["score"] < 55 and s["detected"] == 3  # +0.0 per window instead of -1: half-way from null
    everywhere = nab_scores(np.ones(n, bool), bounds, probation)
    assert everywhere["standard"]["score"] < 0 and everywhere["reward_low_FP_rate"]["score"] < everywhere["standard"]["score"]


def test_corpus_score_sums_before_normalising(labelled):
    rng = np.random.default_rng(1)
    per = [nab_scores(rng.random(len(s)) < 0.01, b, probation_length(len(s))) for s, _, b in labelled]
    raw = sum(p["standard"]["raw"] for p in per)
    windows = sum(p["standard"]["windows"] for p in per)
    assert corpus_score(per)["standard"] == pytest.approx(100 * (raw + windows) / (2 * windows))


def test_point_scores_match_sklearn(labelled):
    rng = np.random.default_rng(2)
    for series, _, bounds in labelled:
        n, probation = len(series), probation_length(len(series))
        alarms = rng.random(n) < 0.1
        truth = window_mask(n, bounds)
        p, r, f, _ = precision_recall_fscore_support(truth[probation:], alarms[probation:], average="binary",
                                                     zero_division=0)
        ours = point_scores(alarms, bounds, probation)
        assert (ours["precision"], ours["recall"], ours["f1"]) == pytest.approx((p, r, f))


def test_window_scores_count_windows_and_outside_alarms(labelled):
    series, _, bounds = labelled[0]
    n, probation = len(series), probation_length(len(series))
    alarms = np.zeros(n, bool)
    alarms[bounds[0][0] + 3] = alarms[bounds[0][0] + 5] = True  # two alarms, one window
    alarms[bounds[2][1] + 10: bounds[2][1] + 14] = True  # four alarms outside
    alarms[probation - 1] = True  # probationary: not scored
    s = window_scores(alarms, bounds, probation)
    assert (s["tp"], s["fn"], s["fp"]) == (1, 2, 4)
    assert s["precision"] == pytest.approx(1 / 5) and s["recall"] == pytest.approx(1 / 3)
