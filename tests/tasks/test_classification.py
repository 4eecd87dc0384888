"""Classification scores against an independent computation from the confusion counts."""

from __future__ import annotations

import numpy as np

from seqlab.tasks.classification import classification_scores, plot_confusion, sort_labels


def _reference(y, p, C):
    f1s, per = [], {}
    for c in range(C):
        tp = np.sum((p == c) & (y == c))
        fp, fn = np.sum((p == c) & (y != c)), np.sum((p != c) & (y == c))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[c] = (prec, rec, f1)
        if np.any(y == c) or np.any(p == c):
            f1s.append(f1)
    return per, float(np.mean(f1s))


def test_scores_match_counts_on_random_predictions():
    rng = np.random.default_rng(0)
    for C in (2, 3, 5):
        y, p = rng.integers(0, C, 300), rng.integers(0, C, 300)
        p[:150] = y[:150]
        s = classification_scores(y, p, [f"c{i}" for i in range(C)])
        per, macro = _reference(y, p, C)
        assert abs(s["accuracy"] - np.mean(y == p)) < 1e-12
        assert abs(s["macro_f1"] - macro) < 1e-6
        for c in range(C):
            row = s["per_class"][f"c{c}"]
            assert (row["precision"], row["recall"], row["f1"]) == tuple(round(v, 4) for v in per[c])
            assert row["support"] == int(np.sum(y == c))
        m = np.asarray(s["confusion_matrix"])
        assert m.sum() == 300 and np.trace(m) == np.sum(y == p) and (m.sum(1) == np.bincount(y, minlength=C)).all()


def test_a_class_absent_from_truth_and_predictions_is_left_out_of_macro_f1(tmp_path):
    y, p = np.array([0, 0, 2, 2]), np.array([0, 2, 2, 2])
    s = classification_scores(y, p, ["a", "b", "c"])
    assert abs(s["macro_f1"] - (2 / 3 + 0.8) / 2) < 1e-6
    plot_confusion(s["confusion_matrix"], ["a", "b", "c"], tmp_path / "cm.png")
    assert (tmp_path / "cm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_labels_sort_numerically_when_all_are_integers():
    assert sort_labels({"10", "2", "-1"}) == ["-1", "2", "10"]
    assert sort_labels({"b", "a", "10"}) == ["10", "a", "b"]
