"""seqlab: sequence modelling with recurrent and convolutional networks.

Cells exactly as their equations say, torch's fused kernels where they apply, a Keras-style
``Sequential`` on PyTorch, one Lightning training engine.
"""

from seqlab import layers
from seqlab.models import Sequential, load_model

__version__ = "0.1.0"

__all__ = ["Sequential", "load_model", "layers", "__version__"]
