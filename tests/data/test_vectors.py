"""Pretrained word vectors from local word2vec / GloVe text files: lookup, fill, errors."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from seqlab.data.encoders import build_encoder
from seqlab.data.textsets import read_text_source
from seqlab.data.vectors import read_word_vectors
from seqlab.errors import DataError

TOKENS = ["<pad>", "<unk>", "the", "Film", "good", "zzz"]


def _write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_glove_and_word2vec_formats(tmp_path):
    rows = "the 0.5 -1 2\nfilm 1 2 3\ngood 0 0.25 1e-1\n"
    glove = _write(tmp_path / "glove.txt", rows)
    w2v = _write(tmp_path / "w2v.txt.gz", gzip.compress(("3 3\n" + rows).encode()))
    for path in (glove, w2v):
        matrix, found = read_word_vectors(path, TOKENS)
        assert matrix.shape == (6, 3) and matrix.dtype == np.float32 and found == 3
        np.testing.assert_array_equal(matrix[0], 0)  # padding
        np.testing.assert_allclose(matrix[2:5], [[0.5, -1, 2], [1, 2, 3], [0, 0.25, 0.1]], rtol=1e-6)  # "Film" as "film"
        assert np.abs(matrix[[1, 5]]).sum() > 0  # not found: random, not zeros


def test_exact_form_wins_and_first_row_wins(tmp_path):
    path = _write(tmp_path / "v.txt", "film 1 1\nFilm 2 2\nFilm 3 3\nthe 4 4\nthe 5 5\n")
    matrix, found = read_word_vectors(path, ["<pad>", "Film", "film", "THE", "the"])
    assert found == 4
    assert matrix[1:].tolist() == [[2, 2], [1, 1], [4, 4], [4, 4]]


def test_random_rows_are_seeded_and_scaled(tmp_path):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(200)]
    vectors = rng.normal(0, 0.4, size=(200, 50))
    path = _write(tmp_path / "v.txt", "".join(f"{w} {' '.join(f'{x:.6f}' for x in v)}\n" for w, v in zip(words, vectors)))
    tokens = ["<pad>", "<unk>", *words[:100], *[f"missing{i}" for i in range(100)]]
    a, found = read_word_vectors(path, tokens)
    b, _ = read_word_vectors(path, tokens)
    c, _ = read_word_vectors(path, tokens, seed=1)
    assert found == 100
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[102:], c[102:]) and np.array_equal(a[2:102], c[2:102])
    assert 0.3 < a[102:].std() < 0.5  # the spread of the vectors found (Kim 2014)


def test_words_with_spaces_as_in_glove_840b(tmp_path):
    path = _write(tmp_path / "v.txt", "a 1 2\n. . . 3 4\nb 5 6\n")
    matrix, found = read_word_vectors(path, ["<pad>", ". . .", "b"])
    assert found == 2 and matrix[1:].tolist() == [[3, 4], [5, 6]]


def test_sst2_vocabulary(tmp_path):
    enc = build_encoder("word", read_text_source("sst2:dev").texts)
    tokens = enc.token_list()
    rng = np.random.default_rng(0)
    known = tokens[2:300:3]
    vectors = rng.normal(size=(len(known), 8)).astype(np.float32)
    path = _write(tmp_path / "v.txt", "".join(f"{w} {' '.join(map(str, v.tolist()))}\n" for w, v in zip(known, vectors)))
    matrix, found = read_word_vectors(path, tokens)
    assert matrix.shape == (enc.vocab_size, 8) and found == len(known)
    np.testing.assert_array_equal(matrix[[tokens.index(w) for w in known]], vectors)


def test_errors_name_file_and_line(tmp_path):
    with pytest.raises(DataError, match=r"v\.txt: line 3 has 2 value\(s\), expected 3 \(line 1, the first, has 3\)"):
        read_word_vectors(_write(tmp_path / "v.txt", "the 1 2 3\nfilm 1 2 3\ngood 1 2\n"), TOKENS)
    with pytest.raises(DataError, match=r"v\.txt: line 2 has 4 value\(s\), expected 3 \(the header line says 3\)"):
        read_word_vectors(_write(tmp_path / "v.txt", "2 3\nthe 1 2 3 4\n"), TOKENS)
    with pytest.raises(DataError, match=r"v\.txt: line 2: a value of 'good' is not a number"):
        read_word_vectors(_write(tmp_path / "v.txt", "the 1 2\ngood 1 x\n"), TOKENS)
    with pytest.raises(DataError, match=r"v\.txt: line 1: the vector of 'the' holds NaN or Inf"):
        read_word_vectors(_write(tmp_path / "v.txt", "the nan 2\n"), TOKENS)
    with pytest.raises(DataError, match=r"v\.txt\.gz: line 3: not UTF-8 text"):
        read_word_vectors(_write(tmp_path / "v.txt.gz", gzip.compress(b"a 1\nb 2\n\xff 3\n")), TOKENS)
    with pytest.raises(DataError, match=r"e\.txt: empty file"):
        read_word_vectors(_write(tmp_path / "e.txt", "\n"), TOKENS)
    with pytest.raises(DataError, match=r"nothere\.txt: word vector file not found"):
        read_word_vectors(tmp_path / "nothere.txt", TOKENS)
    with pytest.raises(DataError, match=r"w\.bin: binary word2vec files are not read"):
        read_word_vectors(_write(tmp_path / "w.bin", b"\x00"), TOKENS)
