"""Text-classification runs: train a model into a run directory, evaluate it, label new texts.

A text run directory holds::

    config.yaml          the resolved TextConfig (model chosen)
    preprocessing.json   labels, the fitted tokenizer, max_len and truncation
    model.json           the classifier config and the shape it was built for
    weights.safetensors  the weights of the best validation epoch
    metrics.csv          one row per epoch (a named model; auto keeps its candidates' histories in metrics.json)
    metrics.json         validation (and test) scores beside the majority-class baseline
    confusion.png        the confusion matrix of the last scored split
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data.batching import TokenDataset
from seqlab.errors import DataError
from seqlab.jsonsafe import json_safe
from seqlab.models import io
from seqlab.models.text import ClassifierConfig, TextClassifier, TextShape, build_classifier
from seqlab.models.text.ensemble import EnsembleClassifier
from seqlab.tasks.results import standard_result
from seqlab.tasks.classification import classification_scores, plot_confusion
from seqlab.tasks.classifying import (build_from_description, fit_classifier, fit_summary,
                                      majority_class, model_description, model_name, sorted_probabilities,
                                      train_run)
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out
from seqlab.tasks.runfiles import existing_run_dir, load_trained, save_model
from seqlab.tasks.text.config import TextConfig, load_text_config
from seqlab.tasks.text.data import (TextSetup, absolute_paths, encode_for_run, label_ids, make_loader,
                                    prepare_text, read_labelled)

log = logging.getLogger(__name__)
METRICS_FILE, CONFUSION_FILE = "metrics.json", "confusion.png"
EVAL_BATCH = 256
MAX_PLOTTED_CLASSES = 100


# --------------------------------------------------------------------------------------------
# Fitting and scoring one model


def fit_model(config: TextConfig, model: ClassifierConfig, setup: TextSetup,
              run_dir: Path | None = None, progress: bool = False) -> tuple[TextClassifier, dict]:
    """Build ``model`` for ``setup`` and train it with the engine; returns it and a summary."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    if setup.vectors is not None:  # the embedding takes the vectors' size, whatever the model's default
        model = model.model_copy(update={"embed_dim": int(setup.vectors.shape[1])})
    net = build_classifier(model, TextShape(setup.encoder.vocab_size, len(setup.labels)))
    if setup.vectors is not None:
        with torch.no_grad():
            net.embedding.weight.copy_(torch.as_tensor(setup.vectors))
    train_config = config.train.model_copy(update={"progress": progress})
    history, seconds = fit_classifier(net, config, train_config, setup.loader("train", train_config.batch_size, train=True),
                                      setup.loader("val", EVAL_BATCH), run_dir)
    return net, fit_summary(net, history, seconds)


def predict_proba(net: TextClassifier, ids: list[list[int]], bucketing: bool = True) -> np.ndarray:
    """(n, C) class probabilities, in the order of ``ids``."""
    return sorted_probabilities(net, make_loader(TokenDataset(ids), EVAL_BATCH, train=False, bucketing=bucketing),
                                len(ids))


def score(net: TextClassifier, setup: TextSetup, split: str) -> dict:
    part = setup.splits[split]
    y_pred = predict_proba(net, part.ids).argmax(axis=1)
    return {**classification_scores(part.y, y_pred, setup.labels), "split": split, "source": part.source}


def majority_baseline(setup: TextSetup, split: str) -> dict:
    """The accuracy and macro-F1 of always answering the most frequent training label."""
    y = setup.splits[split].y
    majority = majority_class(setup.splits["train"].y, y, setup.labels)
    constant = np.full_like(y, setup.labels.index(majority["label"]))
    return {**majority, "macro_f1": classification_scores(y, constant, setup.labels)["macro_f1"]}


# --------------------------------------------------------------------------------------------
# Run directories


def train(config: TextConfig, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
          progress: bool = False, resume: bool = False) -> dict:
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
    check_out(out, overwrite, resume=resume)
    config = config.model_copy(update={"data": absolute_paths(config.data, base)})
    setup = prepare_text(config.data, None, seed=config.train.seed or 0)
    return train_run(config, setup, out, overwrite=overwrite, resume=resume, progress=progress, fit_model=fit_model,
                     select_model=select_model, score=score, baseline=majority_baseline, save_run=save_run)


def save_run(work: Path, config: TextConfig, net: TextClassifier, setup: TextSetup, result: dict, head: str) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, {"kind": "text-classification", **setup.preprocessing()})
    save_model(work, net, model_description(net))
    io.write_json(work / METRICS_FILE, standard_result(result))
    if len(setup.labels) <= MAX_PLOTTED_CLASSES:
        plot_confusion(result["confusion_matrix"], setup.labels, work / CONFUSION_FILE,
                       title=f"{model_name(net)} on {head} ({result['texts']} texts)")
    else:
        log.warning("%d classes: confusion.png left out (at most %d are drawn); metrics.json has the matrix",
                    len(setup.labels), MAX_PLOTTED_CLASSES)


def build_described(spec: dict) -> TextClassifier | EnsembleClassifier:
    """The network model.json describes, with fresh weights."""
    return build_from_description(spec, TextShape, ClassifierConfig, build_classifier, EnsembleClassifier)


def load_run(run_dir: str | Path) -> tuple[TextConfig, TextClassifier, dict]:
    """The config, the trained model and the preprocessing state of a text run."""
    run_dir, net, state = load_trained(run_dir, "text-classification", "seqlab text train", build_described)
    return load_text_config(run_dir / CONFIG_FILE), net, state


def _columns(spec: str, given: tuple[str | None, str | None], state: dict) -> tuple[str | None, str | None]:
    """The columns to read ``spec`` with: those given, else none for a built-in (it knows its own), else the run's."""
    from seqlab.data.textsets import is_text_dataset

    if given != (None, None) or is_text_dataset(spec):
        return given
    return state["text_col"], state["label_col"]


def evaluate(run_dir: str | Path, data: str | None = None, *, text_col: str | None = None,
             label_col: str | None = None, confusion: str | Path | None = None) -> dict:
    """Score a run's model on labelled texts: ``data`` (a path or built-in name) or the run's own test data.

    A built-in name without a split (``sst2``) means its evaluation split (SST-2 dev, IMDB test).
    Columns default to the run's for a file (a built-in knows its own).
    """
    from seqlab.data.textsets import eval_split, is_text_dataset

    config, net, state = load_run(run_dir)
    spec = data if data is not None else config.data.test_path
    if spec is None:
        if not is_text_dataset(config.data.path):
            raise DataError(f"{run_dir}: the run was trained on {config.data.path} without a test file; "
                            "pass --data with labelled texts to score it on")
        spec = config.data.path
    if is_text_dataset(spec) and ":" not in spec:
        spec = f"{spec}:{eval_split(spec)}"
    cols = _columns(spec, (text_col, label_col), state)
    d = config.data.model_copy(update={"text_col": cols[0], "label_col": cols[1]})
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
    prediction for a text of one unknown token (a defined output, so lines stay aligned), marked ``"empty": true``."""
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


def read_inputs(source: str | Path, run_dir: str | Path, text_col: str | None = None) -> list[str]:
    """Texts to label from a .txt file (one per line, empty lines kept), a CSV/TSV/JSONL (the run's text
    column unless ``text_col``) or a folder of .txt files."""
    from seqlab.data.text import read_labelled_texts

    state = io.read_json(existing_run_dir(run_dir) / PREPROCESSING_FILE)
    table = read_labelled_texts(source, text_col=text_col or state.get("text_col"), labelled=False)
    if not table.texts:
        raise DataError(f"{source}: no texts to label")
    return table.texts


def decode_lines(raw: bytes, source: str = "<stdin>") -> list[str]:
    """UTF-8 bytes (stdin) to one text per line; a byte that is not UTF-8 is an error naming the line."""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    for number, line in enumerate(lines, start=1):
        try:
            out.append(line.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError as exc:
            raise DataError(f"{source}: line {number} is not UTF-8 text (byte {exc.start + 1}: {exc.reason})") from None
    if not out:
        raise DataError(f"{source}: no texts to label")
    return out


def predict(run_dir: str | Path, texts: list[str], out: str | Path | None = None) -> list[dict]:
    """Label ``texts``; each record is ``{"text", "label", "probabilities"}``. With ``out``, also writes
    them as JSON lines, atomically."""
    records = [{"text": t, **p} for t, p in zip(texts, predict_texts(run_dir, texts))]
    if out is not None:
        io.atomic_write_text(out, "".join(json.dumps(json_safe(r)) + "\n" for r in records))
    return records
