"""Speech classifiers: recurrent, convolutional and conv + recurrent networks over feature frames.

``build_speech_model(SpeechModelConfig(name=...), SpeechShape(feature_dim, num_classes))`` makes
any of :data:`MODEL_NAMES`; see :mod:`seqlab.models.speech.config` for the table of models.
"""

from seqlab.models.speech.classifier import SpecAugment, SpeechClassifier, SpeechEnsemble, build_speech_model
from seqlab.models.speech.config import MODEL_NAMES, SpeechModelConfig, SpeechShape

__all__ = ["MODEL_NAMES", "SpeechModelConfig", "SpeechShape", "SpecAugment", "SpeechClassifier", "SpeechEnsemble",
           "build_speech_model"]
