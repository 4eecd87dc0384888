"""``Translator``: learn to translate from sentence pairs (encoder-decoder with attention)."""

from __future__ import annotations

from pathlib import Path

from seqlab.errors import DataError
from seqlab.tasks.estimator import Estimator
from seqlab.tasks.translate.data import Pairs


class Translator(Estimator):
    """A GRU/LSTM encoder-decoder with Bahdanau or Luong attention, greedy or beam search.

    Args:
        model: ``gru``/``lstm`` with an attention (``{"name": "lstm", "attention": "luong"}``),
            ``"auto"`` (LSTM + Luong) or a mapping.
        max_words: pairs longer than this on either side are left out.
        val_fraction, test_fraction: held-out shares (all translations of one source sentence in one split).
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    ``fit(pairs)`` takes ``(source, target)`` string pairs, or a path of ``source<TAB>target`` lines.
    """

    kind = "translation"
    command = "translate"
    data_params = ("max_words", "val_fraction", "test_fraction")
    run_module = "seqlab.tasks.translate.run"
    config_class = "seqlab.tasks.translate.config:TranslateConfig"

    def __init__(self, model="auto", *, max_words=None, val_fraction=None, test_fraction=None, epochs=None,
                 max_time_s=None, batch_size=None, seed=0, options=None, verbose=False, out=None,
                 overwrite=False, resume=False):
        self._store(locals())

    def _load(self, run_dir: Path) -> None:
        self.config_, self.translator_ = self._run_module().load_run(run_dir)
        self.model_, self.preprocessing_ = self.translator_.net, self.translator_.state

    def fit(self, pairs) -> Translator:
        """Train on ``(source, target)`` pairs, or on a pairs file."""
        with self._spec(pairs, as_pairs, "pairs") as spec:
            return self._fit_spec(spec)

    def predict(self, texts: list[str], beam: int | None = None) -> list[str]:
        """The translation of each text (beam width: the one chosen on validation unless given)."""
        self._check_fitted()
        if isinstance(texts, str):
            raise DataError("Translator.predict: a list of sentences is needed, got one string")
        return [r["translation"] for r in self._run_module().predict(self.run_dir_, list(texts), beam=beam)]

    def evaluate(self, pairs, beam: int | None = None) -> dict:
        """BLEU of the translations of ``pairs`` beside the copy-source and most-frequent baselines."""
        self._check_fitted()
        with self._spec(pairs, as_pairs, "pairs") as spec:
            return self.evaluate_result(self._run_module().evaluate(self.run_dir_, spec, beam=beam))


def as_pairs(pairs) -> Pairs:
    """``(source, target)`` strings as Pairs; an empty or malformed pair is an error naming its index."""
    src, tgt, where = [], [], []
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, (tuple, list)) and len(pair) >= 2 and all(isinstance(s, str) for s in pair[:2])):
            raise DataError(f"pairs[{i}]: a (source, target) pair of strings is needed, got {pair!r}")
        if not pair[0].strip() or not pair[1].strip():
            raise DataError(f"pairs[{i}]: the {'source' if not pair[0].strip() else 'target'} is empty")
        src.append(pair[0].strip())
        tgt.append(pair[1].strip())
        where.append(f"pairs[{i}]")
    if not src:
        raise DataError("pairs: no sentence pairs")
    return Pairs(src, tgt, where, "pairs")
