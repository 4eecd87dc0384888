"""Pretrained word vectors (word2vec, GloVe, fastText text files) as an embedding matrix.

``read_word_vectors`` reads a local text file (``.txt``, ``.vec``, optionally ``.gz``; nothing is
ever downloaded) and returns one row per token of an encoder's vocabulary, ready to initialise
an ``Embedding`` (Kim 2014, "CNN-non-static"). Each line is a word and its D numbers separated by
spaces; word2vec and fastText files start with a ``"<count> <D>"`` line, which is detected and
skipped, GloVe files do not. A word may contain spaces (``glove.840B`` has a few); the numbers
are the last D fields.

Tokens not in the file get small random vectors, drawn from a normal distribution with the
standard deviation of the vectors found and a fixed seed (Kim 2014 draws them to have the same
variance as the pretrained ones); the padding row 0 is zeros.

Symbols: V = number of tokens, D = vector size.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.txt"
    >>> _ = path.write_text("2 3\\nthe 0.5 0.25 1\\nfilm 1 2 3\\n")  # word2vec: a "count D" header
    >>> matrix, found = read_word_vectors(path, ["<pad>", "<unk>", "The", "film", "zzz"])
    >>> matrix.shape, matrix.dtype, found
    ((5, 3), dtype('float32'), 2)
    >>> matrix[0].tolist(), matrix[2].tolist()  # padding; "The" found as "the"
    ([0.0, 0.0, 0.0], [0.5, 0.25, 1.0])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqlab.data.registry import open_binary
from seqlab.errors import DataError

logger = logging.getLogger(__name__)


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def read_word_vectors(
    path: str | Path, tokens: Sequence[str], *, seed: int = 0
) -> tuple[np.ndarray, int]:
    """Vectors of ``tokens`` from a word2vec / GloVe / fastText text file.

    Each token is looked up as written, then lowercased; a row of the exact form wins over one
    of the lowercase form, and the first row of a word wins over a repeated one. Only the rows
    of wanted words are converted to numbers.

    Args:
        path: a local ``.txt`` / ``.vec`` file, optionally gzipped.
        tokens: V tokens by id (``encoder.token_list()``); ``tokens[0]`` is padding.
        seed: the seed of the random vectors of tokens not found.

    Returns:
        ``(matrix, found)``: a (V, D) float32 matrix and the number of tokens found (row 0 not
        counted).

    Raises:
        DataError: naming the file and the line: the file is missing, binary or not UTF-8, a row
            has a different number of values than the first, or a value is not a number.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: word vector file not found; pass the path of a local word2vec or GloVe text file")
    if path.suffix.lower() == ".bin" or path.name.lower().endswith(".bin.gz"):
        raise DataError(
            f"{path}: binary word2vec files are not read; convert it to the text format "
            "(gensim: KeyedVectors.load_word2vec_format(path, binary=True).save_word2vec_format(out, binary=False))"
        )
    exact: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        if i > 0:  # row 0 is padding: zeros, never looked up
            exact.setdefault(token, []).append(i)
            folded.setdefault(token.lower(), []).append(i)
    rows: dict[int, np.ndarray] = {}
    how: dict[int, bool] = {}  # row -> found by its exact form
    dim: int | None = None
    said = ""
    try:
        with open_binary(path) as fh:
            for line, raw in enumerate(fh, start=1):
                try:
                    text = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise DataError(f"{path}: line {line}: not UTF-8 text (byte {exc.start + 1} of the line)") from exc
                fields = text.rstrip(" ").split(" ")
                if len(fields) == 1 and not fields[0]:
                    continue  # blank line
                if dim is None:
                    if line == 1 and len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
                        dim, said = int(fields[1]), "the header line says"  # word2vec / fastText: "<count> <D>"
                        continue
                    dim, said = len(fields) - 1, f"line {line}, the first, has"
                    if dim < 1:
                        raise DataError(f"{path}: line {line}: expected a word and its numbers, got {text[:60]!r}")
                if len(fields) < dim + 1 or (len(fields) > dim + 1 and _is_number(fields[1])):
                    raise DataError(
                        f"{path}: line {line} has {len(fields) - 1} value(s), expected {dim} ({said} {dim})"
                    )
                word = " ".join(fields[:-dim])
                hits = {i: True for i in exact.get(word, ())}
                for i in folded.get(word, ()):
                    hits.setdefault(i, False)
                hits = {i: e for i, e in hits.items() if i not in how or (e and not how[i])}
                if not hits:
                    continue
                try:
                    vector = np.array(fields[-dim:], dtype=np.float32)  # (D,)
                except ValueError as exc:
                    raise DataError(f"{path}: line {line}: a value of '{word}' is not a number ({exc})") from exc
                if not np.isfinite(vector).all():
                    raise DataError(f"{path}: line {line}: the vector of '{word}' holds NaN or Inf")
                for i, by_exact in hits.items():
                    rows[i], how[i] = vector, by_exact
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from exc
    if dim is None:
        raise DataError(f"{path}: empty file (no word vectors)")
    matrix = np.zeros((len(tokens), dim), dtype=np.float32)  # (V, D)
    found = np.array(sorted(rows), dtype=np.int64)
    if len(found):
        matrix[found] = np.stack([rows[i] for i in found.tolist()])
    std = float(matrix[found].std()) if len(found) else 0.0
    std = std or 0.1  # nothing found (or one constant vector): a small scale all the same
    missing = [i for i in range(1, len(tokens)) if i not in rows]
    rng = np.random.default_rng(seed)
    matrix[missing] = rng.normal(0.0, std, size=(len(missing), dim)).astype(np.float32)
    logger.info("%s: %d of %d tokens found (D=%d)", path, len(found), max(len(tokens) - 1, 0), dim)
    return matrix, len(found)
