r"""Alarm thresholds on anomaly scores, set from the scores of a validation part with no labels.

- ``quantile``: the ``q``-quantile of the validation scores (a row alarms when its score is above).
- ``pot``: peaks over threshold (Siffer et al. 2017, "Anomaly Detection in Streams with Extreme
  Value Theory", SPOT's initialisation): the excesses over an initial level t (the
  ``init_quantile`` of the scores) follow a generalised Pareto distribution (Pickands–Balkema–de
  Haan); fitted by maximum likelihood (``scipy.stats.genpareto``, location 0), the threshold is the
  score exceeded with probability ``risk``:

.. math::
    t = Q_{init}(s), \qquad Y = \{ s_i - t : s_i > t \}, \quad N_t = |Y| \\
    (\hat\gamma, \hat\sigma) = \arg\max \textstyle\sum_{y \in Y} \log \mathrm{GPD}(y; \gamma, \sigma) \\
    z_q = t + (\hat\sigma / \hat\gamma) \big( (q\, n / N_t)^{-\hat\gamma} - 1 \big) \quad (\hat\gamma \ne 0) \\
    z_q = t - \hat\sigma \log(q\, n / N_t) \quad (\hat\gamma = 0)

With fewer than ``MIN_EXCESSES`` excesses (short validation parts) the GPD cannot be fitted;
the threshold then falls back to the largest validation score, and says so in its description.

Example:
    >>> import numpy as np
    >>> s = np.random.default_rng(0).exponential(size=2000)
    >>> z = pot_threshold(s, risk=1e-3, init_quantile=0.9)["threshold"]
    >>> bool(abs(z - np.log(1000)) < 1.0)  # Exp(1): P(s > log 1000) = 1e-3
    True
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from scipy import stats

from seqlab.errors import DataError

log = logging.getLogger(__name__)
MIN_EXCESSES = 5


def _checked(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise DataError("threshold: no validation scores to set a threshold from")
    if not np.isfinite(scores).all():
        raise DataError(f"threshold: {int((~np.isfinite(scores)).sum())} validation score(s) are NaN or infinite")
    return scores


def quantile_threshold(scores: np.ndarray, q: float) -> dict:
    """``{"method": "quantile", "threshold", "q"}``: the q-quantile of ``scores``."""
    scores = _checked(scores)
    return {"method": "quantile", "threshold": float(np.quantile(scores, q)), "q": q}


def pot_threshold(scores: np.ndarray, risk: float, init_quantile: float) -> dict:
    """``{"method": "pot", "threshold", "init_level", "gamma", "sigma", "excesses", "risk"}`` (see the module)."""
    scores = _checked(scores)
    t = float(np.quantile(scores, init_quantile))
    excess = scores[scores > t] - t  # (N_t,)
    info = {"method": "pot", "risk": risk, "init_quantile": init_quantile, "init_level": t, "excesses": int(excess.size)}
    if excess.size < MIN_EXCESSES or float(excess.max()) <= 0.0:
        log.warning("POT: %d excesses over the %.2f-quantile (need %d); the threshold falls back to the largest "
                    "validation score", excess.size, init_quantile, MIN_EXCESSES)
        return {**info, "threshold": float(scores.max()), "fallback": "max"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the optimiser's overflow on steep tails
        gamma, _, sigma = stats.genpareto.fit(excess, floc=0.0)  # shape γ, location 0, scale σ
    ratio = risk * scores.size / excess.size  # q n / N_t
    if abs(gamma) < 1e-8:
        z = t - sigma * np.log(ratio)
    else:
        z = t + sigma / gamma * (ratio ** (-gamma) - 1.0)
    return {**info, "threshold": float(z), "gamma": float(gamma), "sigma": float(sigma)}


def fit_threshold(scores: np.ndarray, method: str, *, q: float, risk: float, init_quantile: float) -> dict:
    """The threshold of ``method`` (``quantile`` or ``pot``) on validation ``scores``."""
    if method == "quantile":
        return quantile_threshold(scores, q)
    return pot_threshold(scores, risk, init_quantile)
