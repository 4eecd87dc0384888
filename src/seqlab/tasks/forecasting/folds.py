"""Rolling-origin backtesting folds: where each fold trains and where it is tested, as row ranges.

A fold has a forecast origin o, the first row it forecasts. It trains on rows before o and is
tested on ``[o - L, o + test_size)``: the test range starts L rows early so that its first
window's lookback is the end of the training rows, exactly as ``ett_borders`` does for ETT's
validation and test splits. No test target is ever a training row.

The last fold ends at the last row of the series; each earlier origin is ``step`` rows before
the next (Tashman 2000, "rolling-origin evaluation"). The training rows either grow from row 0
(expanding window) or slide along with a fixed length (sliding window):

    origin_k = n_rows - test_size - (folds - 1 - k) * step,    k = 0 .. folds - 1
    test_k   = [origin_k - L, origin_k + test_size)
    train_k  = [0, origin_k)                 expanding
             = [origin_k - W, origin_k)      sliding, W = train_size (default origin_0)

Symbols: L = lookback, H = horizon, W = training rows of a sliding window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.errors import ConfigError, DataError


@dataclass(frozen=True)
class Fold:
    """One backtest fold as ``[start, end)`` row ranges of the series.

    Attributes:
        train: rows to fit (and scale) on; they end at the forecast origin.
        test: rows to cut test windows from: L context rows, then the rows forecast.
    """

    train: tuple[int, int]
    test: tuple[int, int]

    @property
    def origin(self) -> int:
        """The first row forecast in this fold (training rows end just before it)."""
        return self.train[1]


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def rolling_origin(
    n_rows: int,
    *,
    lookback: int,
    horizon: int,
    folds: int,
    test_size: int | None = None,
    step: int | None = None,
    min_train: int | None = None,
    expanding: bool = True,
    train_size: int | None = None,
) -> list[Fold]:
    """Rolling-origin backtest folds over a series of ``n_rows`` rows, oldest fold first.

    Args:
        n_rows: rows in the series (N).
        lookback: L, input steps per window; each test range starts L rows before its origin.
        horizon: H, steps forecast per window.
        folds: how many origins to test.
        test_size: rows forecast in each fold, at least H (``make_windows`` then cuts
            ``test_size - H + 1`` windows from a test range). Defaults to H: one forecast per origin.
        step: rows between consecutive origins; defaults to ``test_size`` (test rows do not
            overlap). A smaller step makes them overlap, a larger one leaves gaps.
        min_train: the fewest training rows any fold may have; defaults to L + H, enough for
            one training window.
        expanding: training rows grow from row 0 (``True``) or slide with a fixed length.
        train_size: the fixed length of a sliding window (``expanding=False`` only); defaults
            to every row before the first origin.

    Returns:
        ``folds`` ``Fold`` s; the last one's test range ends at ``n_rows``.

    Raises:
        ConfigError: an argument is not a positive integer, ``test_size < horizon``,
            ``train_size < min_train``, or ``train_size`` is given with ``expanding=True``.
        DataError: the series is too short for the folds (the message says how many rows are needed).

    Example:
        >>> for fold in rolling_origin(17420, lookback=96, horizon=24, folds=3, test_size=720):
        ...     print(fold, fold.origin)
        Fold(train=(0, 15260), test=(15164, 15980)) 15260
        Fold(train=(0, 15980), test=(15884, 16700)) 15980
        Fold(train=(0, 16700), test=(16604, 17420)) 16700
        >>> rolling_origin(144, lookback=12, horizon=12, folds=2, expanding=False, train_size=60)
        [Fold(train=(60, 120), test=(108, 132)), Fold(train=(72, 132), test=(120, 144))]
    """
    n_rows = _positive_int("n_rows", n_rows)
    lookback = _positive_int("lookback", lookback)
    horizon = _positive_int("horizon", horizon)
    folds = _positive_int("folds", folds)
    test_size = horizon if test_size is None else _positive_int("test_size", test_size)
    step = test_size if step is None else _positive_int("step", step)
    min_train = lookback + horizon if min_train is None else _positive_int("min_train", min_train)
    if test_size < horizon:
        raise ConfigError(
            f"test_size {test_size} is shorter than the horizon {horizon}; a fold needs at least "
            "H rows to forecast"
        )
    if train_size is not None:
        if expanding:
            raise ConfigError("train_size fixes the length of a sliding window; pass expanding=False with it")
        train_size = _positive_int("train_size", train_size)
        if train_size < min_train:
            raise ConfigError(f"train_size {train_size} is smaller than min_train {min_train}")

    before = max(min_train, lookback, train_size or 0)  # rows needed before the first origin
    needed = before + test_size + (folds - 1) * step
    if n_rows < needed:
        raise DataError(
            f"a series of {n_rows} rows is too short for {folds} fold(s): {before} row(s) before "
            f"the first origin (training rows and lookback) + test_size {test_size} + "
            f"(folds - 1) * step {step} = {needed} rows are needed; use fewer folds, a smaller "
            "test_size, step or min_train, or a longer series"
        )

    first = n_rows - test_size - (folds - 1) * step
    width = train_size or first  # sliding window length W
    out = []
    for k in range(folds):
        origin = first + k * step
        train = (0, origin) if expanding else (origin - width, origin)
        out.append(Fold(train=train, test=(origin - lookback, origin + test_size)))
    return out
