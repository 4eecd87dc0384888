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

__version__ = "0.1.0"


def compare(config, out=None, **kwargs):
    """Train several architectures on one task and rank them (:func:`seqlab.analysis.compare.compare`).

    Imported on first use: the analysis tools load the tasks, Captum and scikit-learn.
    """
    from seqlab.analysis.compare import compare as run

    return run(config, out, **kwargs)


__all__ = ["Sequential", "compare", "load_model", "layers", "__version__"]
