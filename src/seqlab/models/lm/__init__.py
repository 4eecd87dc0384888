"""Language models: token ids -> next-token logits, stateful for truncated BPTT over long streams."""

from seqlab.models.lm.config import LM_NAMES, LMConfig
from seqlab.models.lm.network import LanguageModel, TargetLogProb

__all__ = ["LM_NAMES", "LMConfig", "LanguageModel", "TargetLogProb"]
