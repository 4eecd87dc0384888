"""``ProbabilityEnsemble``: several classifiers over the same inputs, averaged in probability space.

Its output is ``log(mean_k softmax(z_k))``, the log of the averaged probabilities, so it drops in
wherever a classifier's logits go (a softmax of it gives the averaged probabilities back, and the
argmax is the ensemble's vote by probability). Each task's ensemble (text's ``EnsembleClassifier``,
speech's ``SpeechEnsemble``) only says how a member is built from its config.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn


class ProbabilityEnsemble(nn.Module):
    """The mean of ``members``' class probabilities; ``shape`` is the data's, shared by every member.

    Attributes:
        members: the classifiers (``members.{k}.*`` in the state dict), each with a ``config``.
        configs: the members' configs, in order.
    """

    def __init__(self, members: Iterable[nn.Module], shape) -> None:
        super().__init__()
        self.shape = shape
        self.members = nn.ModuleList(members)

    @property
    def configs(self) -> list:
        return [m.config for m in self.members]

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        log_p = torch.stack([torch.log_softmax(m(x), dim=-1) for m in self.members])  # (K, B, C)
        return torch.logsumexp(log_p, dim=0) - math.log(len(self.members))  # log mean_k p_k, (B, C)
