"""The analysis adapter of ``seqlab train CONFIG`` runs (a ``Sequential`` on series, text, MNIST
or synthetic data; see :mod:`seqlab.analysis.targets`), with the run-level explanations only these
runs have: permutation feature importance and a global surrogate tree.

- The explained output is the predicted class's output (logit or probability) for a classifier,
  the first predicted value (first horizon step of the first target) otherwise; a per-step model
  is read at its last step.
- Permutation importance, for multivariate float inputs: the rise of the test loss when one
  feature is shuffled across sequences (all its steps together), mean ± std over repeats.
- The surrogate: a decision tree fitted to the network's predictions on the training inputs,
  with its fidelity on the test inputs (:mod:`seqlab.analysis.surrogate`).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from seqlab.analysis.attributions import attention_weights
from seqlab.analysis.surrogate import fit_surrogate, float_features, frequent_tokens, token_features
from seqlab.analysis.targets import Examples, Target, given_file
from seqlab.data.registry import resolve
from seqlab.data.text import Vocabulary
from seqlab.layers.core import Embedding
from seqlab.models import Sequential, load_model
from seqlab.models.io import read_json
from seqlab.tasks import runs
from seqlab.tasks.config import load_config
from seqlab.tasks.prepared import Prepared
from seqlab.tasks.rundir import CONFIG_FILE
from seqlab.training.losses import get_loss

SURROGATE_ROWS = 4000


class GenericTarget(Target):
    """A run of ``seqlab train CONFIG``; ``kind`` is its data kind."""

    command = "seqlab train CONFIG"

    @classmethod
    def load(cls, run_dir: Path) -> GenericTarget:
        config, base = load_config(run_dir / CONFIG_FILE)
        state = read_json(run_dir / runs.PREPROCESSING_FILE)
        model = load_model(run_dir)
        model.eval()
        first = model.layers[0]
        embeddings = [first] if isinstance(first, Embedding) else []
        target = cls(run_dir, model, config, [], _target_note(config.compile.loss), embeddings)
        target.kind, target.state, target.base = state["kind"], state, base
        target.classify = "crossentropy" in config.compile.loss
        return target

    @property
    def task(self) -> dict:
        return self.config.data.model_dump(mode="json")

    @cached_property
    def prepared(self) -> Prepared:
        return runs.prepare(self.config, self.base)

    def examples(self, source: str | Path, n: int) -> Examples:
        y = None
        if str(source) == "test":
            x, y = self.prepared.x_test[:n], torch.as_tensor(self.prepared.y_test[:n])
            names = [f"test input {i}" for i in range(len(x))]
        else:
            path = given_file(source)
            x = runs.model_inputs(resolve(str(path)), self.state, self.net.input_shape)[:n]
            names = [f"{path}[{i}]" for i in range(len(x))]
        self.feature_names = feature_names(self.state, x)
        tokens = None
        lengths = [x.shape[1]] * len(x)
        if self.embeddings:
            vocab = Vocabulary.from_dict(self.state["vocab"]).tokens if "vocab" in self.state else None
            lengths = [max(int((row != 0).sum()), 1) for row in x]
            tokens = [[vocab[t] if vocab else str(t) for t in row[:m]] for row, m in zip(x, lengths)]
        return Examples(x=torch.as_tensor(x), fixed={}, names=names, lengths=lengths, tokens=tokens, y=y)

    def choose(self, ex: Examples) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            last = _last_step(self.net(ex.x))  # (N, C)
        if self.classify and last.shape[1] > 1:
            return {"target": last.argmax(dim=1)}
        return {"target": torch.zeros(len(last), dtype=torch.long)}

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return _last_step(self.net(x)).gather(1, fixed["target"][:, None])[:, 0]  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        with torch.no_grad():
            y = self.net(ex.x[i:i + 1])[0]
        record = {"prediction": (y[-1] if y.dim() == 2 else y).tolist(), "target": int(fixed["target"][i])}
        if "labels" in self.state and self.classify:
            cls = network_targets(y[None].numpy(), True, self.config.compile.from_logits)[0]
            record["label"] = self.state["labels"][int(cls)]
        return record

    def attention(self, ex: Examples, fixed: dict[str, torch.Tensor]) -> list | None:
        weights = attention_weights(self.net, ex.x)
        return None if weights is None else [w.tolist() for w in weights]

    def loss(self, ex: Examples) -> torch.Tensor:
        compile_ = self.config.compile
        return get_loss(compile_.loss, from_logits=compile_.from_logits)(self.net(ex.x), ex.y)

    def evaluate(self) -> dict:
        return runs.evaluate(self.run_dir)

    def extras(self, ex: Examples, repeats: int, max_depth: int, seed: int) -> dict:
        compile_, names = self.config.compile, self.feature_names
        out = {}
        x = ex.x
        if not self.embeddings and x.dim() == 3 and x.shape[2] > 1:
            out["permutation_importance"] = permutation_importance(self.net, self.prepared, names, compile_.loss,
                                                                   compile_.from_logits, repeats, seed)
        out["surrogate"] = surrogate(self.net, self.prepared, self.state, names, compile_.loss, compile_.from_logits,
                                     max_depth, seed)
        return out


TARGETS = (GenericTarget,)


def _last_step(y: torch.Tensor) -> torch.Tensor:
    return y[:, -1] if y.dim() == 3 else y  # per-step outputs: the last step's, (N, C)


def feature_names(state: dict, x: np.ndarray) -> list[str]:
    if state["kind"] == "series":
        return list(state["features"])
    if state["kind"] == "synthetic" and state["task"] == "adding":
        return ["value", "marker"]
    if x.ndim == 3:
        return [f"x{j}" for j in range(x.shape[2])]
    return ["token"]


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
