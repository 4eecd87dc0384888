"""``explain``: why a trained run predicts what it does.

For the inputs given (a file the run's ``predict`` reads, a ``.npy`` array, or ``test`` for
the first sequences of the run's own test split):

- integrated gradients and saliency per token (text) or per step and feature (series),
  with the completeness check :math:`\\sum_i IG_i = F(x) - F(x')`
  (:mod:`seqlab.analysis.attributions`);
- the attention weights, where the model pools with attention;

and over the run's test split:

- permutation feature importance for multivariate inputs: the rise of the test loss when one
  feature is shuffled across sequences (all its steps together), mean ± std over repeats;
- a global surrogate tree with its fidelity (:mod:`seqlab.analysis.surrogate`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from seqlab.analysis.attributions import attention_weights, integrated_gradients
from seqlab.analysis.surrogate import fit_surrogate, float_features, frequent_tokens, token_features
from seqlab.data.registry import resolve
from seqlab.data.text import Vocabulary
from seqlab.errors import ConfigError
from seqlab.models import Sequential, load_model
from seqlab.tasks import runs
from seqlab.tasks.config import load_config
from seqlab.tasks.prepared import Prepared
from seqlab.analysis.outputs import trained_run_dir
from seqlab.tasks.rundir import CONFIG_FILE
from seqlab.training.losses import get_loss

MAX_EXAMPLES, SURROGATE_ROWS = 20, 4000


def explain(run_dir: str | Path, input_path: str | Path = "test", *, examples: int = 5, steps: int = 64,
            repeats: int = 5, max_depth: int = 4, seed: int = 0) -> dict:
    """Attributions for the first ``examples`` inputs, and the run-level importance and surrogate.

    Returns:
        ``{"run_dir", "kind", "feature_names", "examples": [{"index", "prediction", "target",
        "attributions", "saliency", "output", "baseline_output", "delta", "tokens"?, "attention"?}],
        "permutation_importance"?: [...], "surrogate": {...}}``.
    """
    run_dir = trained_run_dir(run_dir)
    check_input(input_path)
    config, base = load_config(run_dir / CONFIG_FILE)
    state = runs._preprocessing(run_dir)
    model = load_model(run_dir)
    model.eval()
    prepared = runs.prepare(config, base)
    if str(input_path) == "test":
        x = prepared.x_test[:min(examples, MAX_EXAMPLES)]
    else:
        x = runs.model_inputs(resolve(str(input_path)), state, model.input_shape)[:min(examples, MAX_EXAMPLES)]
    names = feature_names(state, x)
    xt = torch.as_tensor(x)
    with torch.no_grad():
        y = model(xt)
    target = _targets(y, config.compile.loss)
    attr = integrated_gradients(model, xt, target, steps=steps)
    weights = attention_weights(model, xt)
    vocab = Vocabulary.from_dict(state["vocab"]).tokens if state["kind"] == "text" else None
    records = []
    for i in range(len(x)):
        record = {"index": i, "prediction": _last(y[i]).tolist(), "target": int(target[i]),
                  **{k: v[i].tolist() for k, v in attr.items()}}
        if "labels" in state and "crossentropy" in config.compile.loss:
            cls = network_targets(y[i:i + 1].numpy(), True, config.compile.from_logits)[0]
            record["label"] = state["labels"][int(cls)]
        if vocab is not None:
            n = int((x[i] != 0).sum())
            record["tokens"] = [vocab[t] for t in x[i][:n]]
            for key in ("attributions", "saliency"):
                record[key] = record[key][:n]
        if weights is not None:
            record["attention"] = weights[i].tolist()
        records.append(record)
    result = {"run_dir": str(run_dir), "kind": state["kind"], "input": str(input_path), "feature_names": names,
              "target_note": _target_note(config.compile.loss), "examples": records}
    if vocab is None and x.ndim == 3 and x.shape[2] > 1:
        result["permutation_importance"] = permutation_importance(model, prepared, names, config.compile.loss,
                                                                  config.compile.from_logits, repeats, seed)
    result["surrogate"] = surrogate(model, prepared, state, names, config.compile.loss, config.compile.from_logits,
                                    max_depth, seed)
    return result


def feature_names(state: dict, x: np.ndarray) -> list[str]:
    if state["kind"] == "series":
        return list(state["features"])
    if state["kind"] == "synthetic" and state["task"] == "adding":
        return ["value", "marker"]
    if x.ndim == 3:
        return [f"x{j}" for j in range(x.shape[2])]
    return ["token"]


def _last(y: torch.Tensor) -> torch.Tensor:
    return y[-1] if y.dim() == 2 else y  # per-step outputs: the last step's


def _targets(y: torch.Tensor, loss: str) -> torch.Tensor:
    """The output each example is explained by: the predicted class, or the first predicted value."""
    last = y[:, -1] if y.dim() == 3 else y
    if "crossentropy" in loss and last.shape[1] > 1:
        return last.argmax(dim=1)
    return torch.zeros(len(y), dtype=torch.long)


def _target_note(loss: str) -> str:
    if "crossentropy" in loss:
        return "the predicted class's output (logit or probability)"
    return "the first predicted value (first horizon step of the first target)"


def permutation_importance(model: Sequential, prepared: Prepared, names: list[str], loss: str, from_logits: bool,
                           repeats: int, seed: int) -> list[dict]:
    """Test-loss increase when feature j is shuffled across sequences, per feature, sorted."""
    x, y = prepared.x_test, torch.as_tensor(prepared.y_test)
    loss_fn = get_loss(loss, from_logits=from_logits)
    rng = np.random.default_rng(seed)

    def test_loss(inputs: np.ndarray) -> float:
        return float(loss_fn(torch.as_tensor(model.predict(inputs)), y))

    reference = test_loss(x)
    rows = []
    for j, name in enumerate(names):
        rises = []
        for _ in range(repeats):
            shuffled = x.copy()
            shuffled[:, :, j] = x[rng.permutation(len(x)), :, j]  # feature j of another sequence, all steps
            rises.append(test_loss(shuffled) - reference)
        rows.append({"feature": name, "importance": float(np.mean(rises)), "std": float(np.std(rises)),
                     "test_loss": reference})
    return sorted(rows, key=lambda r: -r["importance"])


def surrogate(model: Sequential, prepared: Prepared, state: dict, names: list[str], loss: str, from_logits: bool,
              max_depth: int, seed: int) -> dict:
    """A decision tree fitted to the network's predictions on the training inputs; fidelity on the test inputs."""
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(prepared.x_train))[:SURROGATE_ROWS]
    x_train, x_test = prepared.x_train[rows], prepared.x_test
    if state["kind"] == "text":
        top = frequent_tokens(x_train)
        tokens = Vocabulary.from_dict(state["vocab"]).tokens
        f_train, feature_list = token_features(x_train, tokens, top)
        f_test, _ = token_features(x_test, tokens, top)
    else:
        rows_train, rows_test = x_train, x_test
        if x_train.ndim == 4:  # images (N, H, W, C): rows as steps, (W, C) as features
            rows_train, rows_test = (a.reshape(len(a), a.shape[1], -1) for a in (x_train, x_test))
            names = [f"x{j}" for j in range(rows_train.shape[2])]
        f_train, feature_list = float_features(rows_train, names)
        f_test, _ = float_features(rows_test, names)
    classify = "crossentropy" in loss
    net_train, net_test = (network_targets(model.predict(a), classify, from_logits) for a in (x_train, x_test))
    return fit_surrogate(f_train, net_train, f_test, net_test, feature_list, classify, max_depth)


def network_targets(y: np.ndarray, classify: bool, from_logits: bool = False) -> np.ndarray:
    """What the surrogate imitates: the predicted class, or the first predicted value."""
    y = y[:, -1] if y.ndim == 3 else y
    if classify:
        if y.shape[1] == 1:  # one unit: a probability, or a logit whose threshold is 0
            return (y[:, 0] >= (0.0 if from_logits else 0.5)).astype(int)
        return y.argmax(axis=1)
    return y.reshape(len(y), -1)[:, 0]


def check_input(path: str | Path) -> None:
    if str(path) != "test" and not Path(path).exists():
        raise ConfigError(f"{path}: input not found (give a file the run's predict reads, a .npy array, or 'test')")
