"""Data: read, validate, split, scale and window what a model trains on.

- ``registry``: built-in datasets by name (``"etth1"``, ``"airline"``, ``"ettm1"``...) with their
  metadata, and gzip-transparent file opening.
- ``download``: checksum-verified, atomic downloads into the cache (``$SEQLAB_CACHE``).
- ``series``: reading time series tables, regular spacing, ``missing`` policies.
- ``calendar``: frequencies (``infer_frequency``, ``future_timestamps``) and calendar features.
- ``windows``: chronological splits, ``StandardScaler``, sliding windows.
- ``text``: word tokenizer, vocabulary, padding, labelled text tables.
- ``images``: IDX (MNIST) files and the MNIST test-set split.

Every user-caused problem raises ``seqlab.errors.DataError`` (bad data) or ``ConfigError`` (a bad
argument), with the file and the line, row or column in the message.
"""

from seqlab.data.calendar import calendar_features, future_timestamps, infer_frequency, rows_per_day
from seqlab.data.images import load_mnist, read_idx
from seqlab.data.registry import BUILTIN, BuiltinDataset, builtin_info, open_text, resolve
from seqlab.data.series import MISSING_POLICIES, read_series
from seqlab.data.text import Vocabulary, WordTokenizer, pad_sequences, read_text_table
from seqlab.data.windows import StandardScaler, ett_borders, ett_rows_per_day, fraction_borders, make_windows

__all__ = [
    "BUILTIN",
    "MISSING_POLICIES",
    "BuiltinDataset",
    "StandardScaler",
    "Vocabulary",
    "WordTokenizer",
    "builtin_info",
    "calendar_features",
    "ett_borders",
    "ett_rows_per_day",
    "fraction_borders",
    "future_timestamps",
    "infer_frequency",
    "load_mnist",
    "make_windows",
    "open_text",
    "pad_sequences",
    "read_idx",
    "read_series",
    "read_text_table",
    "resolve",
    "rows_per_day",
]
