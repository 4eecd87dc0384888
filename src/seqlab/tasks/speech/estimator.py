"""``SpeechClassifier``: recognise spoken words from waveforms or WAV files, in the scikit-learn manner."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from seqlab.data import memory
from seqlab.errors import DataError
from seqlab.tasks.classifier import ClassifierEstimator, check_pairs, label_kind
from seqlab.tasks.speech.data import Recordings


class SpeechClassifier(ClassifierEstimator):
    """Spoken-word classification on MFCC or log-mel frames: (Bi)LSTM/GRU, Conv1D, CNN+BiGRU.

    Args:
        model: a family (``conv1d``, ``cnn-rnn``, ``lstm``, ``bilstm``, ...), ``"auto"`` or a mapping.
        features: ``mfcc`` or ``logmel``. sample_rate: the rate audio is resampled to (default: the
            training audio's most common rate).
        val_fraction: the share of the training utterances held out for validation.
        epochs, max_time_s, batch_size, seed, options, verbose, out, overwrite, resume: see
            :class:`~seqlab.tasks.estimator.Estimator`.

    ``fit(X, y)`` takes X as WAV paths, as ``(samples, rate)`` pairs, or as arrays of samples with
    ``fit(X, y, rate=16000)``; or a folder of ``{label}_{speaker}_{index}.wav`` files (FSDD's naming).
    """

    kind = "speech-recognition"
    command = "speech"
    data_params = ("features", "sample_rate", "val_fraction")
    run_module = "seqlab.tasks.speech.run"
    config_class = "seqlab.tasks.speech.config:SpeechConfig"

    def __init__(self, model="auto", *, features=None, sample_rate=None, val_fraction=None, epochs=None,
                 max_time_s=None, batch_size=None, seed=0, options=None, verbose=False, out=None,
                 overwrite=False, resume=False):
        self._store(locals())

    def fit(self, X, y=None, *, rate: int | None = None) -> SpeechClassifier:
        """Train on utterances ``X`` with labels ``y`` (see the class docstring), or on a folder alone."""
        if isinstance(X, (str, Path)) and y is None:
            return super().fit(X)
        labels = check_pairs(len(X), y, "SpeechClassifier.fit")
        with self._files(X, rate) as files:
            rec = Recordings(files, labels, ["unknown"] * len(files), list(range(len(files))), "X")
            with memory.lend(rec, "utterances") as key:
                self._label_kind = label_kind(list(y))
                return self._fit_spec(key, test_max_index=-1)  # no test part: every utterance trains or validates

    def predict_proba(self, X, *, rate: int | None = None) -> np.ndarray:
        """(n, n_classes) class probabilities of utterances ``X`` (as in ``fit``)."""
        from seqlab.data.audio import FeatureSpec
        from seqlab.tasks.speech.data import compute_features
        from seqlab.tasks.speech.run import predict_proba

        self._check_fitted()
        with self._files(X, rate) as files:
            feats = compute_features(files, FeatureSpec.from_dict(self.preprocessing_["features"]))
        return predict_proba(self.model_, feats)

    @contextlib.contextmanager
    def _files(self, X, rate: int | None):
        """Paths of ``X``: WAV paths as they are; waveforms lent in memory, one key each."""
        if isinstance(X, (str, Path)):
            from seqlab.data.audio import list_wavs

            yield list_wavs(X)
            return
        with contextlib.ExitStack() as stack:
            files = []
            for i, x in enumerate(X):
                if isinstance(x, (str, Path)):
                    files.append(Path(x))
                    continue
                wave, sr = x if isinstance(x, tuple) else (x, rate)
                if sr is None:
                    raise DataError(f"X[{i}]: a waveform needs its sample rate: give (samples, rate) or pass rate=")
                files.append(Path(stack.enter_context(memory.lend((np.asarray(wave), sr), f"X[{i}]"))))
            yield files
