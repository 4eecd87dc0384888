"""``analyze_curves``: which architecture needs less data, and which breaks first.

For every architecture of a comparison config (its first seed):

- **learning curve**: trained on a random fraction (5 % ... 100 %) of the training split, the
  same validation and test splits, scored on the test split;
- **robustness curve**: the model trained on all the data, scored on corrupted test inputs:
  Gaussian noise :math:`x + \\sigma \\epsilon` (standardised units; float inputs), time steps
  dropped with probability p (set to 0, the training mean of a standardised series; for text
  the tokens are removed and the rest closes up), and for series a level shift :math:`x + c`.

Corruptions draw from a seeded generator, the same for every architecture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.analysis.compare import (CompareConfig, load_compare_config, prepare_comparison, run_config, task_of,
                                     train_one)
from seqlab.errors import ConfigError
from seqlab.models.zoo import architecture_spec
from seqlab.tasks import runs
from seqlab.tasks.prepared import Prepared

FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)
NOISE = (0.0, 0.1, 0.25, 0.5, 1.0)
DROP = (0.0, 0.1, 0.2, 0.4)
SHIFT = (0.0, 0.5, 1.0, 2.0)


def analyze_curves(config: CompareConfig | str | Path, overrides: list[str] = (), *, base: Path | None = None,
                   fractions=FRACTIONS, noise=NOISE, drop=DROP, shift=SHIFT, seed: int = 0) -> dict:
    """Learning and robustness curves of every architecture (see the module docstring).

    Returns:
        ``{"task", "metric", "higher_is_better", "models": [{"model", "learning_curve": [{"fraction",
        "n_train", "<metric>"}], "robustness": {"noise" | "drop" | "shift": [{"level", "<metric>"}]}}]}``;
        a corruption that does not apply to the inputs is left out.
    """
    if not isinstance(config, CompareConfig):
        config, base = load_compare_config(config, list(overrides))
    base = base or Path.cwd()
    fractions = tuple(fractions)
    if not fractions or list(fractions) != sorted(fractions) or fractions[-1] != 1.0 or fractions[0] <= 0:
        raise ConfigError(f"fractions: increasing values in (0, 1] that end with 1.0 (the robustness curves use "
                          f"the model trained on all the data), got {list(fractions)}")
    config, prepared, shape, names = prepare_comparison(config, base)
    task = task_of(config.data)
    metric = task["rank_by"]
    tokens = prepared.state["kind"] == "text"
    corruptions = {"drop": drop}
    if not tokens:
        corruptions = {"noise": noise, **corruptions}
    if prepared.state["kind"] == "series":
        corruptions["shift"] = shift
    models = []
    for name in names:
        cfg = run_config(config, architecture_spec(name, shape, config.units), config.seeds[0])
        curve = []
        for fraction in fractions:  # the last, 1.0, leaves the model trained on all the data
            subset = _subset(prepared, fraction, seed)
            model, record = train_one(cfg, subset)
            curve.append({"fraction": fraction, "n_train": len(subset.x_train), metric: record["test"][metric]})
        robustness = {kind: [{"level": level, metric: _score(model, prepared, corrupt(prepared.x_test, kind, level,
                                                                                      tokens, seed), metric)}
                             for level in levels]
                      for kind, levels in corruptions.items()}
        models.append({"model": name, "learning_curve": curve, "robustness": robustness})
    return {"task": config.data.model_dump(mode="json"), "metric": metric,
            "higher_is_better": task["higher_is_better"], "seed": config.seeds[0], "models": models}


def _subset(prepared: Prepared, fraction: float, seed: int) -> Prepared:
    n = len(prepared.x_train)
    keep = np.sort(np.random.default_rng(seed).permutation(n)[:max(2, int(round(fraction * n)))])
    return Prepared(prepared.x_train[keep], prepared.y_train[keep], prepared.x_val, prepared.y_val,
                    prepared.x_test, prepared.y_test, state=prepared.state, baselines=prepared.baselines)


def _score(model, prepared: Prepared, x: np.ndarray, metric: str) -> float:
    return runs.score(prepared.state, model.predict(x), prepared.y_test, prepared.state.get("from_logits", False))[metric]


def corrupt(x: np.ndarray, kind: str, level: float, tokens: bool, seed: int) -> np.ndarray:
    """``x`` with Gaussian noise (σ = level), dropped steps (p = level) or a level shift (c = level).

    Example:
        >>> corrupt(np.array([[3, 4, 5, 0]]), "drop", 0.0, tokens=True, seed=0).tolist()
        [[3, 4, 5, 0]]
        >>> corrupt(np.ones((1, 2, 1), np.float32), "shift", 2.0, tokens=False, seed=0)[0, :, 0].tolist()
        [3.0, 3.0]
    """
    if level == 0:
        return x
    rng = np.random.default_rng(seed)
    if kind == "noise":
        return (x + level * rng.standard_normal(x.shape)).astype(x.dtype)
    if kind == "shift":
        return (x + level).astype(x.dtype)
    dropped = rng.random(x.shape[:2]) < level  # (N, T)
    if not tokens:
        return np.where(dropped[..., None], 0.0, x).astype(x.dtype)
    out = np.zeros_like(x)  # kept tokens close up to the left; padding (0) fills the end
    for i, (row, gone) in enumerate(zip(x, dropped)):
        kept = row[(row != 0) & ~gone]
        out[i, :len(kept)] = kept
    return out
