"""Text classifiers: recurrent, Kim CNN and conv + recurrent networks over token ids.

``build_classifier(ClassifierConfig(name=...), TextShape(vocab_size, num_classes))`` makes any
of :data:`MODEL_NAMES`; see :mod:`seqlab.models.text.config` for the table of models.
"""

from seqlab.models.text.classifier import TextClassifier, build_classifier
from seqlab.models.text.config import MODEL_DEFAULTS, MODEL_NAMES, ClassifierConfig, TextShape

__all__ = ["MODEL_DEFAULTS", "MODEL_NAMES", "ClassifierConfig", "TextShape", "TextClassifier", "build_classifier"]
