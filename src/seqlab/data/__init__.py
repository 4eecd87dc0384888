"""Data: read, validate, split, scale and window what a model trains on.

- ``registry``: built-in datasets by name (``"etth1"``) and gzip-transparent file opening.
- ``series``: time series tables, chronological splits, ``StandardScaler``, sliding windows.
- ``text``: word tokenizer, vocabulary, padding, labelled text tables.
- ``images``: IDX (MNIST) files and the MNIST test-set split.

Every user-caused problem raises ``seqlab.errors.DataError`` (bad data) or ``ConfigError`` (a bad
argument), with the file and the line, row or column in the message.
"""

from seqlab.data.images import load_mnist, read_idx
from seqlab.data.registry import BUILTIN, open_text, resolve
from seqlab.data.series import StandardScaler, ett_borders, fraction_borders, make_windows, read_series
from seqlab.data.text import Vocabulary, WordTokenizer, pad_sequences, read_text_table

__all__ = [
    "BUILTIN",
    "StandardScaler",
    "Vocabulary",
    "WordTokenizer",
    "ett_borders",
    "fraction_borders",
    "load_mnist",
    "make_windows",
    "open_text",
    "pad_sequences",
    "read_idx",
    "read_series",
    "read_text_table",
    "resolve",
]
