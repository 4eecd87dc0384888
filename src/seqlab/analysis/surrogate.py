"""A global surrogate: a shallow decision tree that mimics the network on summary features.

The tree is fitted to the *network's* predictions (not the labels) on the training inputs, then
scored on the test inputs by how well it reproduces them: R² for a regression output, agreement
(the fraction of equal classes) for a classifier. High fidelity means the tree's rules are a fair
reading of what the network does; low fidelity means they are not (seed 001's interpretability
question, answered with a number).

Summary features of an input:

- a float sequence (T, D): for every feature d, its mean, standard deviation, minimum, maximum,
  first and last value, and the slope (last - first) / (T - 1);
- token ids (T,): the length (non-padding tokens) and the count of each of the ``top`` most
  frequent training tokens.

The fitted tree is returned as plain arrays (sklearn's ``tree_``: feature, threshold, children,
value), so anyone can evaluate it again without pickles (:func:`tree_predict`).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text

STATS = ("mean", "std", "min", "max", "first", "last", "slope")


def float_features(x: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """(N, T, D) -> (N, 7 D) summary features and their names (``<feature>_<stat>``)."""
    T = x.shape[1]
    columns = {"mean": x.mean(axis=1), "std": x.std(axis=1), "min": x.min(axis=1), "max": x.max(axis=1),
               "first": x[:, 0], "last": x[:, -1], "slope": (x[:, -1] - x[:, 0]) / max(T - 1, 1)}  # each (N, D)
    values = np.concatenate([columns[s] for s in STATS], axis=1)  # (N, 7 D), stat-major
    return values, [f"{n}_{s}" for s in STATS for n in names]


def token_features(ids: np.ndarray, tokens: list[str], top_ids: list[int]) -> tuple[np.ndarray, list[str]]:
    """(N, T) ids -> (N, 1 + K): the length and the counts of the ``top_ids`` tokens."""
    length = (ids != 0).sum(axis=1, keepdims=True)  # (N, 1)
    counts = np.stack([(ids == t).sum(axis=1) for t in top_ids], axis=1) if top_ids else np.zeros((len(ids), 0))
    return np.concatenate([length, counts], axis=1).astype(np.float64), ["length"] + [f"count({tokens[t]})" for t in top_ids]


def frequent_tokens(ids: np.ndarray, k: int = 50) -> list[int]:
    """The ``k`` most frequent non-padding, non-unknown ids (0 pads, 1 is the unknown token)."""
    counts = Counter(int(i) for i in ids.ravel() if i > 1)
    return [i for i, _ in counts.most_common(k)]


def fit_surrogate(features_train: np.ndarray, net_train: np.ndarray, features_test: np.ndarray,
                  net_test: np.ndarray, names: list[str], classify: bool, max_depth: int = 4) -> dict:
    """Fit the tree to the network's outputs on the training inputs; its fidelity on the test inputs.

    Args:
        net_train, net_test: the network's predicted class (classify) or predicted value.

    Returns:
        ``{"model", "max_depth", "fidelity": {"metric", "train", "test"}, "features", "tree", "rules"}``.
    """
    cls = DecisionTreeClassifier if classify else DecisionTreeRegressor
    tree = cls(max_depth=max_depth, random_state=0).fit(features_train, net_train)
    if classify:
        metric, score = "agreement", (lambda f, y: float(np.mean(tree.predict(f) == y)))
    else:
        metric, score = "r2", (lambda f, y: float(r2_score(y, tree.predict(f))))
    t = tree.tree_
    return {"model": f"{cls.__name__}(max_depth={max_depth})", "max_depth": max_depth,
            "fidelity": {"metric": metric, "train": score(features_train, net_train),
                         "test": score(features_test, net_test)},
            "features": names,
            "tree": {"feature": t.feature.tolist(), "threshold": t.threshold.tolist(),
                     "children_left": t.children_left.tolist(), "children_right": t.children_right.tolist(),
                     "value": (tree.classes_[t.value[:, 0].argmax(axis=1)] if classify else t.value[:, 0, 0]).tolist()},
            "rules": export_text(tree, feature_names=names, max_depth=max_depth)}


def tree_predict(tree: dict, features: np.ndarray) -> np.ndarray:
    """Evaluate a tree given as the arrays of ``fit_surrogate``: left when feature <= threshold."""
    out = []
    for row in np.asarray(features, dtype=np.float32):  # sklearn compares float32 inputs, as here
        node = 0
        while tree["children_left"][node] != -1:
            go_left = row[tree["feature"][node]] <= tree["threshold"][node]
            node = tree["children_left"][node] if go_left else tree["children_right"][node]
        out.append(tree["value"][node])
    return np.asarray(out)
