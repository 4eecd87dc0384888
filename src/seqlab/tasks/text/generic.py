"""Labelled texts for the generic ``seqlab train``: word tokens, a vocabulary, padded ids.

The vocabulary is built on the training split only; label names are kept (sorted) and given
back at prediction. The targets take the form the loss expects: class ids for
``sparse_categorical_crossentropy``, one-hot rows for ``categorical_crossentropy``, a (n, 1)
column of 0/1 for ``binary_crossentropy``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.data.registry import resolve
from seqlab.data.text import Vocabulary, WordTokenizer, pad_sequences, read_text_table
from seqlab.errors import ConfigError, DataError
from seqlab.tasks.config import TextData
from seqlab.tasks.prepared import Prepared, outputs_for_class, targets


def prepare(data: TextData, loss: str, base: Path, seed: int = 0) -> Prepared:
    texts, labels = read_text_table(resolve(data.path, base), data.text_col, data.label_col)
    if data.limit:
        texts, labels = texts[:data.limit], labels[:data.limit]
    names = sorted({str(v) for v in labels})
    if len(names) < 2:
        raise DataError(f"{data.path}: column {data.label_col!r} has {len(names)} distinct label(s); need at least 2")
    if loss == "binary_crossentropy" and len(names) != 2:
        raise ConfigError(f"compile.loss: binary_crossentropy needs 2 labels, {data.path} has {len(names)}: {names[:10]}")
    order = np.random.default_rng(seed).permutation(len(texts))
    n_val = max(1, int(round(len(texts) * data.val_fraction)))
    n_test = 0 if data.test_path else max(1, int(round(len(texts) * data.test_fraction)))
    parts = {"val": order[:n_val], "test": order[n_val:n_val + n_test], "train": order[n_val + n_test:]}
    split = {k: ([texts[i] for i in idx], [str(labels[i]) for i in idx]) for k, idx in parts.items()}
    if data.test_path:
        test_texts, test_labels = read_text_table(resolve(data.test_path, base), data.text_col, data.label_col)
        split["test"] = (test_texts, [str(v) for v in test_labels])

    tokenizer = WordTokenizer()
    vocab = Vocabulary.build([tokenizer(t) for t in split["train"][0]], min_freq=data.min_freq, max_size=data.max_vocab)
    state = {"kind": "text", "labels": names, "loss": loss, "max_len": data.max_len,
             "truncation": data.truncation, "vocab": vocab.to_dict(), "text_col": data.text_col}
    arrays = []
    for key in ("train", "val", "test"):
        unknown = sorted(set(split[key][1]) - set(names))
        if unknown:
            raise DataError(f"{data.test_path}: labels {unknown[:5]} do not occur in the training data")
        arrays += [encode(split[key][0], state), targets([names.index(v) for v in split[key][1]], len(names), loss)]
    prepared = Prepared(*arrays, state=state)
    majority = np.bincount(np.asarray([names.index(v) for v in split["train"][1]]), minlength=len(names)).argmax()
    prepared.baselines["majority_class"] = outputs_for_class(majority, len(prepared.y_test), len(names), loss)
    return prepared


def encode(texts: list[str], state: dict) -> np.ndarray:
    """Texts to padded id arrays (N, max_len) with the saved vocabulary."""
    tokenizer, vocab = WordTokenizer(), Vocabulary.from_dict(state["vocab"])
    return pad_sequences([vocab.encode(tokenizer(t)) for t in texts], state["max_len"], truncation=state["truncation"])


def predict_inputs(path: Path, state: dict) -> tuple[np.ndarray, list[str]]:
    """A text file, one text per line (or a TSV/CSV/JSONL with the text column)."""
    if path.suffix in (".tsv", ".csv", ".jsonl"):
        texts, _ = read_text_table(path, state["text_col"], None)
    else:
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise DataError(f"{path}: no texts to predict")
    return encode(texts, state), texts


def format_predictions(y: np.ndarray, state: dict, texts: list[str]) -> list[dict]:
    names = state["labels"]
    probs = np.concatenate([1 - y, y], axis=1) if y.shape[1] == 1 else y  # (n, C)
    return [{"text": t, "label": names[int(p.argmax())], "probabilities": {n: float(v) for n, v in zip(names, p)}}
            for t, p in zip(texts, probs)]
