"""Models: ``Sequential`` (Keras surface over nn.Module), specs to and from YAML, saving."""

from seqlab.models.sequential import Sequential, load_model

__all__ = ["Sequential", "load_model"]
