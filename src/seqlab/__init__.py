"""seqlab: sequence modelling with recurrent and convolutional networks.

Cells exactly as their equations say, torch's fused kernels where they apply, a Keras-style
``Sequential`` on PyTorch, one Lightning training engine.
"""

import os

# Set before torch loads: torch's OpenMP threads spin while they wait for each other, and on a
# small CPU shared with other work that spinning starves them (a 2x512 LSTM training step ran at
# 1,099 chars/s on 2 threads, 4,021 on 1, and 3,891 on 2 passive threads, on the 2-core VM under
# load). Users who set the variable keep their choice.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from seqlab import layers  # noqa: E402
from seqlab.models import Sequential, load_model  # noqa: E402

from importlib import metadata as _metadata  # noqa: E402

try:  # the one version string is pyproject.toml's, read from the installed package's metadata
    __version__ = _metadata.version("seqlab")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"


# The estimators, one per task, imported on first use: ``import seqlab`` stays light, and a
# forecasting user never loads the speech or translation stack.
ESTIMATORS = {
    "Forecaster": "seqlab.tasks.forecasting.estimator",
    "TextClassifier": "seqlab.tasks.text.estimator",
    "SeriesClassifier": "seqlab.tasks.classify.estimator",
    "SpeechClassifier": "seqlab.tasks.speech.estimator",
    "AnomalyDetector": "seqlab.tasks.anomaly.estimator",
    "LanguageModel": "seqlab.tasks.generate.estimator",
    "Translator": "seqlab.tasks.translate.estimator",
}


def __getattr__(name: str):
    if name in ESTIMATORS:
        import importlib

        return getattr(importlib.import_module(ESTIMATORS[name]), name)
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")


def load(path):
    """The fitted estimator of a run directory (:func:`seqlab.tasks.load.load`): ``estimator.save(path)``
    or ``seqlab <task> train --out path``."""
    from seqlab.tasks.load import load as load_run

    return load_run(path)


def compare(config, out=None, **kwargs):
    """Train several architectures on one task and rank them (:func:`seqlab.analysis.compare.compare`).

    Imported on first use: the analysis tools load the tasks, Captum and scikit-learn.
    """
    from seqlab.analysis.compare import compare as run

    return run(config, out, **kwargs)


__all__ = ["Sequential", "compare", "load", "load_model", "layers", "__version__", *ESTIMATORS]
