"""Point-wise and window-wise precision, recall and F1 of alarms against NAB's anomaly windows.

Only rows after the probationary period are scored (NAB's convention), and a window counts only
if it has a scored row.

- point-wise: every scored row is a sample; positive when it lies inside a window, predicted
  positive when the detector raises an alarm there.
- window-wise: a window is detected (a true positive) when at least one alarm falls inside it, and
  missed (a false negative) otherwise; every alarm outside all windows is a false positive, one per
  alarming row (a run of ten alarms outside a window is ten false positives, as NAB counts them).

Precision, recall and F1 are 0 where their denominator is 0 (scikit-learn's ``zero_division=0``).

Example:
    >>> import numpy as np
    >>> alarms = np.zeros(20, dtype=bool); alarms[[5, 6, 15]] = True
    >>> s = window_scores(alarms, [(4, 8), (12, 13)], probation=0)
    >>> s["tp"], s["fn"], s["fp"], s["recall"]
    (1, 1, 1, 0.5)
"""

from __future__ import annotations

import numpy as np

from seqlab.data.nab import window_mask


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 from counts (0 where a denominator is 0)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": int(tp), "fp": int(fp), "fn": int(fn)}


def point_scores(alarms: np.ndarray, bounds: list[tuple[int, int]], probation: int) -> dict:
    """Point-wise precision, recall, F1 and counts over the rows from ``probation`` on."""
    alarms = np.asarray(alarms, dtype=bool)
    truth = window_mask(len(alarms), bounds)[probation:]
    pred = alarms[probation:]
    return prf(int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum()))


def window_scores(alarms: np.ndarray, bounds: list[tuple[int, int]], probation: int) -> dict:
    """Window-wise precision, recall, F1 and counts (see the module docstring)."""
    alarms = np.asarray(alarms, dtype=bool)
    n = len(alarms)
    scored = np.arange(n) >= probation
    tp = fn = 0
    for left, right in bounds:
        rows = scored[left:right + 1]
        if not rows.any():
            continue
        if (alarms[left:right + 1] & rows).any():
            tp += 1
        else:
            fn += 1
    fp = int((alarms & scored & ~window_mask(n, bounds)).sum())
    return prf(tp, fp, fn)
