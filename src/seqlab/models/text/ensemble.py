"""``EnsembleClassifier``: the mean of several classifiers' class probabilities.

Its output is ``log(mean_k softmax(z_k))``, the log of the averaged probabilities, so it drops in
wherever a classifier's logits go (a softmax of it gives the averaged probabilities back, and the
argmax is the ensemble's vote by probability).

Example:
    >>> import torch
    >>> from seqlab.models.text.config import ClassifierConfig, TextShape
    >>> shape = TextShape(30, 2)
    >>> ens = EnsembleClassifier([ClassifierConfig(name="cnn", embed_dim=4, filters=3),
    ...                           ClassifierConfig(name="gru", embed_dim=4, units=3)], shape).eval()
    >>> x = {"ids": torch.tensor([[3, 4, 5]]), "lengths": torch.tensor([3])}
    >>> p = torch.stack([m(x).softmax(-1) for m in ens.members]).mean(0)
    >>> torch.allclose(ens(x).softmax(-1), p)
    True
"""

from __future__ import annotations

from seqlab.models.ensemble import ProbabilityEnsemble
from seqlab.models.text.classifier import build_classifier
from seqlab.models.text.config import ClassifierConfig, TextShape


class EnsembleClassifier(ProbabilityEnsemble):
    """Several text classifiers over the same token ids, averaged in probability space."""

    def __init__(self, configs: list[ClassifierConfig], shape: TextShape) -> None:
        super().__init__((build_classifier(c, shape) for c in configs), shape)
