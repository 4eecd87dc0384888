"""``TextClassifier``: label texts, in the scikit-learn manner.

Example:
    >>> import seqlab
    >>> clf = seqlab.TextClassifier(model="cnn", epochs=2)
    >>> texts = ["a fine , moving film", "dull and lifeless", "a joy to watch", "a tedious mess"] * 10
    >>> clf = clf.fit(texts, [1, 0, 1, 0] * 10)
    >>> clf.predict_proba(["a joy"]).shape, clf.classes_.tolist()
    ((1, 2), [0, 1])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.data.text import TextTable
from seqlab.errors import DataError
from seqlab.tasks.classifier import ClassifierEstimator, check_pairs

TEXT_NAMES = ("text", "sentence", "review", "document", "content")
LABEL_NAMES = ("label", "labels", "y", "target", "class", "sentiment")


class TextClassifier(ClassifierEstimator):
    """A text classifier (sentiment, topics, ...) trained from scratch on word or subword tokens.

    Args:
        model: a family (``bilstm``, ``lstm``, ``gru``, ``cnn``, ``cnn-lstm``, ...), ``"auto"`` (candidates
            chosen, or ensembled, on validation) or a mapping of its keys.
        tokenizer: ``word``, ``bpe`` or ``wordpiece``. max_len: tokens kept per text.
        text_col, label_col: the columns of a DataFrame or file (detected when None).
        val_fraction: the share of the training texts held out for validation (leak-free).
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    Fitted attributes: ``classes_``, ``model_``, ``config_``, ``preprocessing_``, ``run_dir_``, ``fit_result_``.
    """

    kind = "text-classification"
    command = "text"
    data_params = ("tokenizer", "max_len", "text_col", "label_col", "val_fraction")
    run_module = "seqlab.tasks.text.run"
    config_class = "seqlab.tasks.text.config:TextConfig"

    def __init__(self, model="auto", *, tokenizer=None, max_len=None, text_col=None, label_col=None,
                 val_fraction=None, epochs=None, max_time_s=None, batch_size=None, seed=0, options=None,
                 verbose=False, out=None, overwrite=False, resume=False):
        self._store(locals())

    def fit(self, X, y=None) -> TextClassifier:
        """Train on texts ``X`` (a list of strings) with labels ``y``; or on a DataFrame (its text and
        label columns); or on a file, folder or built-in name (``"sst2"``)."""
        if isinstance(X, pd.DataFrame):
            X, y = self._columns(X)
        return super().fit(X, y)

    def _lend(self, X, y=None) -> tuple[TextTable, str]:
        texts = _texts(X, "fit")
        labels = check_pairs(len(texts), y, "TextClassifier.fit")
        return TextTable(texts=texts, labels=labels, where=[f"texts[{i}]" for i in range(len(texts))],
                         source="texts"), "texts"

    def _columns(self, df: pd.DataFrame) -> tuple[list, list]:
        text_col = self.text_col or _pick(df, TEXT_NAMES, "text", "text_col")
        label_col = self.label_col or _pick(df, LABEL_NAMES, "label", "label_col")
        for col in (text_col, label_col):
            if col not in df.columns:
                raise DataError(f"DataFrame: column '{col}' not found; columns: {', '.join(map(str, df.columns))}")
        return df[text_col].tolist(), df[label_col].tolist()

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) class probabilities of texts ``X`` (a list of strings or a DataFrame)."""
        from seqlab.tasks.text.data import encode_for_run
        from seqlab.tasks.text.run import predict_proba

        self._check_fitted()
        if isinstance(X, pd.DataFrame):
            X = X[self.text_col or self.preprocessing_.get("text_col") or _pick(X, TEXT_NAMES, "text", "text_col")]
        return predict_proba(self.model_, encode_for_run(_texts(X, "predict"), self.preprocessing_))


def _texts(X, what: str) -> list[str]:
    if isinstance(X, str) or not hasattr(X, "__len__"):
        raise DataError(f"TextClassifier.{what}: a list of texts is needed, got {type(X).__name__}")
    texts = list(X)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise DataError(f"texts[{bad}]: a string is needed, got {type(texts[bad]).__name__}")
    return texts


def _pick(df: pd.DataFrame, names: tuple[str, ...], what: str, param: str) -> str:
    found = [c for c in df.columns if str(c).lower() in names]
    if not found:
        raise DataError(f"DataFrame: no {what} column (none named {'/'.join(names)}); name it with "
                        f"TextClassifier({param}=...)")
    return found[0]
