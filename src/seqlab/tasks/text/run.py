"""Text-classification runs: train a model into a run directory, evaluate it, label new texts.

A text run directory holds::

    config.yaml          the resolved TextConfig (model chosen)
    preprocessing.json   labels, the fitted tokenizer, max_len and truncation
    model.json           the classifier config and the shape it was built for
    weights.safetensors  the weights of the best validation epoch
    metrics.csv          one row per epoch
    metrics.json         validation (and test) scores beside the majority-class baseline
    confusion.png        the confusion matrix of the last scored split
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data.batching import TokenDataset
from seqlab.errors import DataError, RunDirError
from seqlab.models import io
from seqlab.models.text import ClassifierConfig, TextClassifier, TextShape, build_classifier
from seqlab.models.text.ensemble import EnsembleClassifier
from seqlab.tasks.rundir import CONFIG_FILE, check_out, existing_run_dir, replace_run
from seqlab.tasks.text.config import TextConfig, load_text_config
from seqlab.tasks.text.data import (TextSetup, encode_for_run, label_ids, make_loader, prepare_text,
                                    read_labelled)
from seqlab.tasks.text.metrics import classification_scores, plot_confusion
from seqlab.training import engine

log = logging.getLogger(__name__)
MODEL_FILE, WEIGHTS_FILE = "model.json", "weights.safetensors"
PREPROCESSING_FILE, METRICS_FILE, CONFUSION_FILE = "preprocessing.json", "metrics.json", "confusion.png"
EVAL_BATCH = 256
LOSS = "sparse_categorical_crossentropy"


# --------------------------------------------------------------------------------------------
# Fitting and scoring one model


def fit_model(config: TextConfig, model: ClassifierConfig, setup: TextSetup,
              run_dir: Path | None = None, progress: bool = False) -> tuple[TextClassifier, dict]:
    """Build ``model`` for ``setup`` and train it with the engine; returns it and a summary."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    net = build_classifier(model, TextShape(setup.encoder.vocab_size, len(setup.labels)))
    if setup.data.vectors is not None:
        _load_vectors(net, setup)
    train_config = config.train.model_copy(update={"progress": progress})
    started = time.perf_counter()
    history = engine.fit(
        net, loss=LOSS, metrics=["accuracy"], optimizer=config.optimizer, from_logits=True,
        train_loader=setup.loader("train", train_config.batch_size, train=True),
        val_loader=setup.loader("val", EVAL_BATCH), config=train_config, run_dir=run_dir)
    summary = {"model": net.config.name, "parameters": sum(p.numel() for p in net.parameters()),
               "epochs": len(history.epoch), "train_seconds": round(time.perf_counter() - started, 2)}
    return net, summary


def _load_vectors(net: TextClassifier, setup: TextSetup) -> None:
    from seqlab.data.vectors import read_word_vectors

    matrix, found = read_word_vectors(setup.data.vectors, setup.encoder.vocabulary.tokens)
    if matrix.shape[1] != net.config.embed_dim:
        raise DataError(f"{setup.data.vectors}: vectors have {matrix.shape[1]} dimensions but model.embed_dim is "
                        f"{net.config.embed_dim}; pass --set model.embed_dim={matrix.shape[1]}")
    with torch.no_grad():
        net.embedding.weight.copy_(torch.as_tensor(matrix))
    log.info("%s: %d of %d vocabulary words found", setup.data.vectors, found, setup.encoder.vocab_size)


def predict_proba(net: TextClassifier, ids: list[list[int]], bucketing: bool = True) -> np.ndarray:
    """(n, C) class probabilities, in the order of ``ids``."""
    loader = make_loader(TokenDataset(ids), EVAL_BATCH, train=False, bucketing=bucketing)
    logits = engine.predict(net, loader)  # (n, C) in the sampler's order
    probs = np.empty((len(ids), logits.shape[1]), dtype=np.float64)
    probs[loader.batch_sampler.order] = torch.softmax(logits.double(), dim=-1).numpy()
    return probs


def score(net: TextClassifier, setup: TextSetup, split: str) -> dict:
    part = setup.splits[split]
    y_pred = predict_proba(net, part.ids).argmax(axis=1)
    return {**classification_scores(part.y, y_pred, setup.labels), "split": split, "source": part.source}


def majority_baseline(setup: TextSetup, split: str) -> dict:
    """The accuracy and macro-F1 of always answering the most frequent training label."""
    majority = int(np.bincount(setup.splits["train"].y, minlength=len(setup.labels)).argmax())
    y = setup.splits[split].y
    s = classification_scores(y, np.full_like(y, majority), setup.labels)
    return {"label": setup.labels[majority], "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}


# --------------------------------------------------------------------------------------------
# Run directories


def train(config: TextConfig, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
          progress: bool = False) -> dict:
    """Train ``config`` into the run directory ``out`` and score it on validation (and test, if any).

    ``model: auto`` trains the candidates of :mod:`seqlab.tasks.text.select` and keeps the best by
    validation accuracy. Everything is checked before the directory is touched; the run trains
    in a hidden sibling folder that replaces ``out`` only when it has finished.

    Returns the headline split's scores at the top level (test if there is one, else
    validation), ``val``, ``test``, ``baselines``, ``model``, ``parameters``, ``train_seconds``,
    ``data`` (sizes), ``selection`` (auto) and ``run_dir``.
    """
    from seqlab.tasks.text.select import select_model

    out = Path(out)
    check_out(out, overwrite, resume_hint=False)
    setup = prepare_text(config.data, base, seed=config.train.seed or 0)
    work = io.temp_dir_beside(out)
    try:
        if config.model == "auto":
            net, summary, selection = select_model(config, setup, progress)
            if not isinstance(net, EnsembleClassifier):
                config = config.model_copy(update={"model": net.config})
        else:
            net, summary = fit_model(config, config.model, setup, work, progress)
            selection = None
        head = "test" if "test" in setup.splits else "val"
        scores = {split: score(net, setup, split) for split in setup.splits if split != "train"}
        result = {**scores[head], **{k: v for k, v in scores.items()},
                  "baselines": {"majority_class": majority_baseline(setup, head)}, **summary, "data": setup.info}
        if selection is not None:
            result["selection"] = selection
        save_run(work, config, net, setup, result, head)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    replace_run(work, out)
    result["run_dir"] = str(out)
    return result


def save_run(work: Path, config: TextConfig, net: TextClassifier, setup: TextSetup, result: dict, head: str) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, {"kind": "text-classification", **setup.preprocessing()})
    io.write_json(work / MODEL_FILE, model_description(net))
    io.save_tensors(work / WEIGHTS_FILE, {k: v.detach().contiguous() for k, v in net.state_dict().items()})
    io.write_json(work / METRICS_FILE, result)
    plot_confusion(result["confusion_matrix"], setup.labels, work / CONFUSION_FILE,
                   title=f"{model_name(net)} on {head} ({result['texts']} texts)")


def model_name(net: TextClassifier | EnsembleClassifier) -> str:
    """``bilstm``, or ``bilstm+cnn`` for an ensemble."""
    return "+".join(c.name for c in net.configs) if isinstance(net, EnsembleClassifier) else net.config.name


def model_description(net: TextClassifier | EnsembleClassifier) -> dict:
    """model.json: the config (or, for an ensemble, the members' configs) and the shape."""
    shape = dataclasses.asdict(net.shape)
    if isinstance(net, EnsembleClassifier):
        return {"ensemble": [c.model_dump(mode="json") for c in net.configs], "shape": shape}
    return {"config": net.config.model_dump(mode="json"), "shape": shape}


def build_described(spec: dict) -> TextClassifier | EnsembleClassifier:
    """The network model.json describes, with fresh weights."""
    shape = TextShape(**spec["shape"])
    if "ensemble" in spec:
        return EnsembleClassifier([ClassifierConfig.model_validate(c) for c in spec["ensemble"]], shape)
    return build_classifier(ClassifierConfig.model_validate(spec["config"]), shape)


def load_run(run_dir: str | Path) -> tuple[TextConfig, TextClassifier, dict]:
    """The config, the trained model and the preprocessing state of a text run."""
    run_dir = existing_run_dir(run_dir)
    for name in (MODEL_FILE, WEIGHTS_FILE, PREPROCESSING_FILE):
        if not (run_dir / name).is_file():
            raise RunDirError(f"{run_dir}: {name} is missing; not a complete `seqlab text train` run")
    config = load_text_config(run_dir / CONFIG_FILE)
    spec = io.read_json(run_dir / MODEL_FILE)
    state = io.read_json(run_dir / PREPROCESSING_FILE)
    kind = state.get("kind") if isinstance(state, dict) else None
    if kind != "text-classification":
        raise RunDirError(f"{run_dir / PREPROCESSING_FILE}: not a text-classification run (kind {kind!r})")
    try:
        net = build_described(spec)
    except (KeyError, TypeError, ValueError) as exc:
        raise RunDirError(f"{run_dir / MODEL_FILE}: unreadable model description ({exc})") from None
    io.load_weights(net, run_dir / WEIGHTS_FILE)
    net.eval()
    return config, net, state


def evaluate(run_dir: str | Path, data: str | None = None, *, confusion: str | Path | None = None) -> dict:
    """Score a run's model on labelled texts: ``data`` (a path or built-in name) or the run's own test split.

    A built-in name without a split (``sst2``) means its evaluation split (SST-2 dev, IMDB test).
    """
    from seqlab.data.textsets import eval_split, is_text_dataset

    config, net, state = load_run(run_dir)
    spec = data if data is not None else (config.data.test_path or config.data.path)
    if is_text_dataset(spec) and ":" not in spec:
        spec = f"{spec}:{eval_split(spec)}"
    d = config.data.model_copy(update={"text_col": state["text_col"], "label_col": state["label_col"]})
    table = read_labelled(spec, d, None, split="test")
    y = label_ids(table, state["labels"])
    probs = predict_proba(net, encode_for_run(table.texts, state))
    result = {**classification_scores(y, probs.argmax(axis=1), state["labels"]), "source": table.source,
              "model": model_name(net), "run_dir": str(Path(run_dir))}
    if confusion is not None:
        plot_confusion(result["confusion_matrix"], state["labels"], confusion, title=f"{model_name(net)} on {table.source}")
    return result


def predict_texts(run_dir: str | Path, texts: list[str]) -> list[dict]:
    """``{"label", "probabilities": {name: p}}`` for each text. An empty text gets a warning and the
    prediction for a text of one unknown token (a defined output, so lines stay aligned)."""
    _, net, state = load_run(run_dir)
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    if empty:
        log.warning("%d empty text(s) (first: input %d); each is labelled as a text of one unknown word",
                    len(empty), empty[0] + 1)
    probs = predict_proba(net, encode_for_run(texts, state))
    names = state["labels"]
    return [{"label": names[int(p.argmax())], "probabilities": {n: round(float(v), 6) for n, v in zip(names, p)},
             **({"empty": True} if not t.strip() else {})}
            for t, p in zip(texts, probs)]
