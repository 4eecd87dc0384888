"""``LanguageModel``: learn a text character by character (or word by word) and continue it."""

from __future__ import annotations

import math
from pathlib import Path

from seqlab.errors import DataError
from seqlab.tasks.estimator import Estimator


class LanguageModel(Estimator):
    """A char- or word-level LSTM/GRU language model trained by truncated BPTT.

    Args:
        model: ``lstm``, ``gru``, ``"auto"`` (a 2x512 char LSTM, or a 256-unit word LSTM) or a mapping.
        level: ``char`` or ``word``. steps: BPTT steps per chunk.
        val_fraction: the last share of the text held out for validation.
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    Fitted attributes: ``model_``, ``codec_`` (the vocabulary), ``config_``, ``run_dir_``, ``fit_result_``.
    """

    kind = "language-model"
    command = "generate"
    data_params = ("level", "steps", "val_fraction")
    run_module = "seqlab.tasks.generate.run"
    config_class = "seqlab.tasks.generate.config:GenerateConfig"

    def __init__(self, model="auto", *, level=None, steps=None, val_fraction=None, epochs=None, max_time_s=None,
                 batch_size=None, seed=0, options=None, verbose=False, out=None,
                 overwrite=False, resume=False):
        self._store(locals())

    def _load(self, run_dir: Path) -> None:
        self.config_, self.model_, self.codec_ = self._run_module().load_run(run_dir)
        self.preprocessing_ = self.codec_.to_dict()

    def fit(self, text: str | Path) -> LanguageModel:
        """Train on ``text``: a string, or a UTF-8 text file's path (a ``Path``)."""
        with self._spec(_path_or_text(text), _text, "text") as spec:
            return self._fit_spec(spec)

    def sample(self, prompt: str = "", length: int = 500, temperature: float = 0.8, top_k: int | None = None,
               top_p: float | None = None, seed: int = 0) -> str:
        """``prompt`` continued by ``length`` tokens, sampled at ``temperature`` (top-k / top-p if given)."""
        self._check_fitted()
        return self._run_module().sample(self.run_dir_, prompt, length, temperature, top_k, top_p, seed)["text"]

    def evaluate(self, text: str | Path) -> dict:
        """Loss in nats per token, bits per character and perplexity on ``text``, beside a uniform guess."""
        self._check_fitted()
        with self._spec(_path_or_text(text), _text, "text") as spec:
            result = self._run_module().evaluate(self.run_dir_, spec)
        nats = math.log(self.codec_.vocab_size)  # every token equally likely: the model that learned nothing
        uniform = {"val_loss_nats": nats, "bpc": nats * result["bpc"] / result["val_loss_nats"]}
        return self.evaluate_result({**result, "baselines": {"uniform": uniform}, "model": self.model_name_,
                                     "run_dir": str(self.run_dir_)})


def _path_or_text(text):
    """A ``Path`` is a file to read; a ``str`` is the text itself (wrapped so it is not taken for a path)."""
    return text if isinstance(text, Path) else [text]


def _text(wrapped: list) -> str:
    text = wrapped[0]
    if not isinstance(text, str):
        raise DataError(f"a string of text (or a Path to a text file) is needed, got {type(text).__name__}")
    return text
