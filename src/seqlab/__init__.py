"""seqlab: sequence modelling with recurrent and convolutional networks.

Cells exactly as their equations say, torch's fused kernels where they apply, a Keras-style
``Sequential`` on PyTorch, one Lightning training engine.
"""

from seqlab import layers
from seqlab.models import Sequential, load_model

__version__ = "0.1.0"


def compare(config, out=None, **kwargs):
    """Train several architectures on one task and rank them (:func:`seqlab.analysis.compare.compare`).

    Imported on first use: the analysis tools load the tasks, Captum and scikit-learn.
    """
    from seqlab.analysis.compare import compare as run

    return run(config, out, **kwargs)


__all__ = ["Sequential", "compare", "load_model", "layers", "__version__"]
