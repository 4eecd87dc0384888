r"""The NAB score (Lavin & Ahmad 2015, "Evaluating Real-time Anomaly Detection Algorithms — the
Numenta Anomaly Benchmark"), as NAB's ``sweeper.py`` computes it, for the alarms of one series.

Every row i after the probationary period gets a weight. Inside a window of rows [l, r]
(width w = r - l + 1) an alarm is worth A_TP times the scaled sigmoid of its position, so the
earliest alarm is worth the most; outside every window an alarm costs A_FP times the sigmoid of
its distance past the last window (-A_FP before the first one):

.. math::
    \sigma_s(y) = 2 / (1 + e^{5y}) - 1 \quad (y < 3), \qquad \sigma_s(y) = -1 \quad (y \ge 3) \\
    s_i = A_{TP}\, \sigma_s(-(r - i + 1) / w) / \sigma_s(-1) \quad \text{(inside a window)} \\
    s_i = A_{FP}\, \sigma_s(|r_{prev} - i| / (w_{prev} - 1)) \quad \text{(after a window)} \\
    s_i = -A_{FP} \quad \text{(before the first window)} \\
    S = \sum_{\text{windows}} \big(\max_{i \in \text{window, alarm}} s_i \text{ or } -A_{FN}\big) + \sum_{\text{alarms outside}} s_i \\
    S_{null} = -A_{FN}\, W, \qquad S_{perfect} = A_{TP}\, W \\
    \text{NAB} = 100\, (S - S_{null}) / (S_{perfect} - S_{null})

W counts the windows with at least one scored row. Only the first (best) alarm of a window
counts; every alarm outside a window counts. NAB normalises over a whole corpus; for one series
the score is undefined when it has no scored window (``None`` here), and :func:`corpus_score`
normalises sums over several series as NAB does. The null and perfect detectors' scores are
NAB's: no alarm at all, and one alarm at the first row of each window.

Example:
    >>> import numpy as np
    >>> alarms = np.zeros(100, dtype=bool); alarms[40] = True
    >>> round(nab_scores(alarms, [(40, 49)], probation=10)["standard"]["score"], 3)
    100.0
"""

from __future__ import annotations

import math

import numpy as np

# NAB's config/profiles.json: the weights of a true positive, a false positive and a missed window
PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(y: np.ndarray | float) -> np.ndarray:
    """NAB's ``scaledSigmoid``: 2 / (1 + exp(5 y)) - 1, and -1 from y = 3 on."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(over="ignore"):
        s = 2.0 / (1.0 + np.exp(5.0 * y)) - 1.0
    return np.where(y >= 3.0, -1.0, s)


MAX_TP = float(scaled_sigmoid(-1.0))  # 0.98661: the unweighted score of an alarm at a window's first row


def sweep_weights(n: int, bounds: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unweighted sigmoid value of each row, which window it is in, and whether it is outside all.

    Returns:
        ``tp_part`` (n,): sigma_s(-(r - i + 1) / w) / sigma_s(-1) inside a window (0 outside);
        ``fp_part`` (n,): the sigmoid of the distance past the previous window (-1 before the
        first), 0 inside windows; ``window`` (n,) int: the window index of each row, -1 outside.
    """
    i = np.arange(n)
    tp_part, fp_part = np.zeros(n), np.full(n, -1.0)
    window = np.full(n, -1, dtype=np.int64)
    for k, (left, right) in enumerate(bounds):
        width = right - left + 1
        rows = i[left:right + 1]
        tp_part[left:right + 1] = scaled_sigmoid(-(right - rows + 1) / width) / MAX_TP
        fp_part[left:right + 1] = 0.0
        window[left:right + 1] = k
        end = bounds[k + 1][0] if k + 1 < len(bounds) else n
        after = i[right + 1:end]
        if after.size:
            # NAB divides by (w - 1); a one-row window would divide by zero there: count it as far past
            position = np.abs(right - after) / (width - 1) if width > 1 else np.full(after.size, 3.0)
            fp_part[right + 1:end] = scaled_sigmoid(position)
    return tp_part, fp_part, window


def raw_score(alarms: np.ndarray, bounds: list[tuple[int, int]], probation: int, profile: dict[str, float]) -> dict:
    """S, S_null and S_perfect of boolean ``alarms`` (n,) under one profile's weights."""
    alarms = np.asarray(alarms, dtype=bool)
    n = len(alarms)
    tp_part, fp_part, window = sweep_weights(n, bounds)
    scored = np.arange(n) >= probation
    fired = alarms & scored
    score, n_windows, detected = 0.0, 0, 0
    for k in range(len(bounds)):
        rows = (window == k) & scored
        if not rows.any():
            continue  # a window inside the probationary period is not scored
        n_windows += 1
        hits = rows & fired
        if hits.any():
            detected += 1
            score += profile["tp"] * float(tp_part[hits].max())
        else:
            score -= profile["fn"]
    false = fired & (window < 0)
    score += profile["fp"] * float(fp_part[false].sum())
    return {"raw": score, "null": -profile["fn"] * n_windows, "perfect": profile["tp"] * n_windows,
            "windows": n_windows, "detected": detected, "false_alarms": int(false.sum())}


def normalised(raw: float, null: float, perfect: float) -> float | None:
    """100 (S - S_null) / (S_perfect - S_null); None when there is no window to score."""
    if perfect == null:
        return None
    return 100.0 * (raw - null) / (perfect - null)


def nab_scores(alarms: np.ndarray, bounds: list[tuple[int, int]], probation: int) -> dict[str, dict]:
    """``{profile: {"score", "raw", "null", "perfect", "windows", "detected", "false_alarms"}}`` for
    the three NAB profiles; ``score`` is the normalised NAB score (None without a scored window)."""
    out = {}
    for name, weights in PROFILES.items():
        parts = raw_score(alarms, bounds, probation, weights)
        out[name] = {"score": normalised(parts["raw"], parts["null"], parts["perfect"]), **parts}
    return out


def corpus_score(per_series: list[dict[str, dict]]) -> dict[str, float | None]:
    """NAB's corpus score of each profile: the raw, null and perfect scores summed over series first."""
    out = {}
    for name in PROFILES:
        sums = [sum(s[name][k] for s in per_series) for k in ("raw", "null", "perfect")]
        value = normalised(*sums)
        out[name] = None if value is None or not math.isfinite(value) else value
    return out
