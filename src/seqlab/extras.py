"""Optional dependencies: each belongs to one extra, and a missing one is named with its extra.

The core install trains and runs every model; three tasks need one more library each, installed
with an extra (``pip install "seqlab[speech]"``):

- ``speech``: librosa (resampling, mel filterbanks, MFCCs);
- ``translate``: sacrebleu (BLEU);
- ``explain``: captum (integrated gradients, saliency).

Code that needs one imports it through :func:`require`, at the point of use, so that the rest of
seqlab imports without it and a user who lacks it reads which extra to install instead of a
bare ``ModuleNotFoundError``.

Example:
    >>> require("json", extra="speech").dumps([1])
    '[1]'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from seqlab.errors import SeqlabError

EXTRAS: dict[str, tuple[str, ...]] = {
    "speech": ("librosa",),
    "translate": ("sacrebleu",),
    "explain": ("captum",),
}


class MissingExtraError(SeqlabError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` (e.g. ``"captum.attr"``) or say which seqlab extra installs it.

    Args:
        module: the module to import; its top-level package is the optional dependency.
        extra: the extra of ``pyproject.toml`` that installs it (a key of ``EXTRAS``).

    Returns:
        The imported module.

    Raises:
        MissingExtraError: the package is not installed; the message says
            ``pip install "seqlab[<extra>]"``. An import error inside an installed package (a
            broken install) is raised as it is.
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; seqlab's extras are {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        package = module.split(".")[0]
        if exc.name is None or exc.name.split(".")[0] != package:
            raise  # something the package itself imports is missing: not ours to explain
        raise MissingExtraError(
            f"{package} is not installed; it comes with seqlab's '{extra}' extra: "
            f'pip install "seqlab[{extra}]"') from None
