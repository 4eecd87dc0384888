"""Build seqlab's C++ recurrent kernels now (``python -m seqlab.kernels.build``).

``make install`` runs this once, so that no training run pays the build (about a minute) and a
machine without a compiler says so at install time. The build is cached in
``$SEQLAB_KERNELS_DIR`` (by default ``~/.cache/seqlab/kernels``) and redone only when the
source, the compiler flags, torch or the CPU change.
"""

from __future__ import annotations

import logging
import sys

from seqlab.kernels import native


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # a wait for another build says so
    try:
        module = native.load()
    except RuntimeError as exc:
        print(f"{exc}\nseqlab will run peephole, layer-norm and masked recurrences on its "
              "reference path (slower; results are the same)", file=sys.stderr)
        return 0  # the package works without the kernels: this is a warning, not a failure
    print(f"seqlab recurrent kernels: {module.__file__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
