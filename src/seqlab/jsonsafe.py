"""JSON that every reader accepts: standard JSON has no NaN or Infinity, so they become null."""

from __future__ import annotations

import math
from typing import Any


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None (nested dicts, lists, tuples).

    Example:
        >>> json_safe({"mape": float("nan"), "mse": [0.5, float("inf")]})
        {'mape': None, 'mse': [0.5, None]}
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj
