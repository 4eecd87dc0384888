"""Data: read, validate, split, scale and window what a model trains on.

- ``registry``: built-in datasets by name (``"etth1"``, ``"airline"``, ``"ettm1"``...) with their
  metadata, and gzip-transparent file opening.
- ``download``: checksum-verified, atomic downloads into the cache (``$SEQLAB_CACHE``).
- ``series``: reading time series tables, regular spacing, ``missing`` policies.
- ``calendar``: frequencies (``infer_frequency``, ``future_timestamps``) and calendar features.
- ``windows``: chronological splits, ``StandardScaler``, sliding windows.
- ``text``: word tokenizer, vocabulary, padding; ``text_tables``: labelled texts from tables,
  ``.txt`` files and folders per label (``TextTable``, ``read_labelled_texts``).
- ``textsets``: built-in text datasets (``"sst2"``, ``"imdb"``, ``"ag_news"``) and
  ``read_text_source`` for a name or a path.
- ``encoders``: word, BPE and WordPiece encoders (``build_encoder``); ``vectors``: pretrained
  word vectors (``read_word_vectors``).
- ``images``: IDX (MNIST) files and the MNIST test-set split.

Every user-caused problem raises ``seqlab.errors.DataError`` (bad data) or ``ConfigError`` (a bad
argument), with the file and the line, row or column in the message.
"""

from seqlab.data.calendar import calendar_features, future_timestamps, infer_frequency, rows_per_day
from seqlab.data.images import load_mnist, read_idx
from seqlab.data.registry import BUILTIN, BuiltinDataset, builtin_info, open_text, resolve
from seqlab.data.series import MISSING_POLICIES, read_series
from seqlab.data.text import Vocabulary, WordTokenizer, pad_sequences, read_text_table
from seqlab.data.text_tables import TextTable, empty_rows, read_labelled_texts
from seqlab.data.textsets import TEXT_DATASETS, read_text_source
from seqlab.data.windows import StandardScaler, ett_borders, ett_rows_per_day, fraction_borders, make_windows

__all__ = [
    "BUILTIN",
    "MISSING_POLICIES",
    "BuiltinDataset",
    "StandardScaler",
    "TEXT_DATASETS",
    "TextTable",
    "Vocabulary",
    "WordTokenizer",
    "builtin_info",
    "calendar_features",
    "empty_rows",
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
    "read_labelled_texts",
    "read_series",
    "read_text_source",
    "read_text_table",
    "resolve",
    "rows_per_day",
]
