"""What the classification tasks (text, classify, speech) share: class order, scores, the confusion plot.

``sort_labels`` puts class names in one stable order; ``label_ids`` turns labels into class ids. ``classification_scores`` gives accuracy,
macro-F1, per-class precision/recall/F1 and the confusion matrix, computed with
``torchmetrics.functional`` from class ids. Precision of a class that is never predicted is 0
(torchmetrics' ``zero_division`` default), so a model that ignores a class pays for it in
macro-F1. Macro-F1 averages over the classes that occur in the truth or the predictions (as
scikit-learn does): a class absent from both, say from a small evaluation file, is left out.

Example:
    >>> import numpy as np
    >>> s = classification_scores(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), ["neg", "pos"])
    >>> s["accuracy"], round(s["macro_f1"], 4), s["confusion_matrix"]
    (0.75, 0.7333, [[2, 0], [1, 1]])
    >>> s["per_class"]["pos"]
    {'precision': 1.0, 'recall': 0.5, 'f1': 0.6667, 'support': 2}
    >>> sort_labels({"10", "2", "1"}), sort_labels({"pos", "neg"})
    (['1', '2', '10'], ['neg', 'pos'])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from matplotlib.figure import Figure
from torchmetrics.functional.classification import (multiclass_confusion_matrix, multiclass_f1_score,
                                                    multiclass_precision, multiclass_recall)

from seqlab.errors import DataError
from seqlab.tasks.figures import png_path, save_png


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """Scores of predicted class ids against true ones; the confusion matrix has true classes as rows."""
    t, p, C = torch.as_tensor(y_true), torch.as_tensor(y_pred), len(labels)
    precision = multiclass_precision(p, t, C, average=None)
    recall = multiclass_recall(p, t, C, average=None)
    f1 = multiclass_f1_score(p, t, C, average=None)
    support = torch.bincount(t, minlength=C)  # (C,)
    return {
        "accuracy": float((p == t).double().mean()),
        "macro_f1": float(f1[(support > 0) | (torch.bincount(p, minlength=C) > 0)].double().mean()),
        "per_class": {name: {"precision": round(float(precision[i]), 4), "recall": round(float(recall[i]), 4),
                             "f1": round(float(f1[i]), 4), "support": int(support[i])}
                      for i, name in enumerate(labels)},
        "confusion_matrix": multiclass_confusion_matrix(p, t, C).tolist(),
        "texts": int(len(t)),
    }


def plot_confusion(matrix: list[list[int]], labels: list[str], path, title: str = "") -> None:
    """The confusion matrix as a PNG heat map: true class by row, predicted by column, counts written in."""
    path = png_path(path)
    m = np.asarray(matrix)
    C = len(labels)
    size = 2.5 + 0.5 * C
    fig = Figure(figsize=(size + 1, size))
    ax = fig.add_subplot()
    im = ax.imshow(m, cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(range(C), labels, rotation=45, ha="right")
    ax.set_yticks(range(C), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "confusion matrix")
    if C <= 20:
        for i in range(C):
            for j in range(C):
                ax.text(j, i, str(m[i, j]), ha="center", va="center",
                        color="white" if m[i, j] > m.max() / 2 else "black")
    fig.tight_layout()
    save_png(fig, path)


def sort_labels(labels: set[str]) -> list[str]:
    """Class names in a stable order: numerically when every label is an integer ("2" before "10")."""
    if all(is_int(v) for v in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def label_ids(values: list[str], labels: list[str], where: Callable[[int], str], noun: str = "label") -> np.ndarray:
    """Class ids of ``values``; a label the training data never showed is an error naming where
    (``where(i)``: the file, or file and line, of value ``i``)."""
    index = {name: i for i, name in enumerate(labels)}
    unknown = next((i for i, v in enumerate(values) if v not in index), None)
    if unknown is not None:
        unseen = sorted({v for v in values if v not in index})
        raise DataError(f"{where(unknown)}: {noun} {values[unknown]!r} never occurs in the training data "
                        f"(unseen labels: {unseen[:10]}; known: {labels[:20]})")
    return np.asarray([index[v] for v in values], dtype=np.int64)


def is_int(value: str) -> bool:
    """Whether ``value`` reads as an integer."""
    try:
        int(value)
        return True
    except ValueError:
        return False
