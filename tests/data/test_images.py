"""IDX reading and the MNIST test-set split on the real MNIST files."""

import gzip
import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seqlab.data.images import load_mnist, read_idx
from seqlab.errors import DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MNIST = DATA / "mnist"
IMAGES = MNIST / "t10k-images-idx3-ubyte.gz"
LABELS = MNIST / "t10k-labels-idx1-ubyte.gz"

# MD5 of the decompressed official files, as published by the many MNIST downloaders that verify
# the extracted bytes. The shared images .gz was re-compressed (its gzip header is dated 2025), so
# its own MD5 differs from md5sums.official; the bytes inside are the official ones.
RAW_MD5 = {
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
# Digits 0..9 in the official 10k test set.
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_shared_files_are_the_official_bytes():
    listing = (MNIST / "md5sums.official").read_text().splitlines()
    official = {name: md5 for md5, name in (line.split() for line in listing if line.strip())}
    for name, raw_md5 in RAW_MD5.items():
        packed = (MNIST / name).read_bytes()
        assert _md5(gzip.decompress(packed)) == raw_md5
    assert _md5(LABELS.read_bytes()) == official[LABELS.name]  # untouched archive


def test_read_idx_shapes_and_values():
    images, labels = read_idx(IMAGES), read_idx(LABELS)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == TEST_LABEL_COUNTS
    assert images.min() == 0 and images.max() == 255
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The same array from the decompressed file, with no .gz suffix.
    raw = gzip.decompress(IMAGES.read_bytes())
    header = np.frombuffer(raw[:16], dtype=">u4").tolist()
    assert header == [0x00000803, 10000, 28, 28]
    np.testing.assert_array_equal(images.reshape(-1), np.frombuffer(raw, dtype=np.uint8, offset=16))


def test_read_idx_raw_file(tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress(LABELS.read_bytes()))
    np.testing.assert_array_equal(read_idx(raw), read_idx(LABELS))


def test_read_idx_rejects_foreign_and_truncated_files(tmp_path):
    csv = DATA / "ett" / "ETTh1.csv"
    with pytest.raises(DataError, match=r"ETTh1\.csv: not an IDX file \(magic number 64 61 74 65"):
        read_idx(csv)
    cut = tmp_path / "cut-idx1-ubyte"
    cut.write_bytes(gzip.decompress(LABELS.read_bytes())[:5000])
    with pytest.raises(DataError, match=r"cut-idx1-ubyte: IDX header declares shape \(10000,\).* has 5000 bytes"):
        read_idx(cut)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(LABELS.read_bytes()[:1000])
    with pytest.raises(DataError, match=r"broken\.gz: cannot read"):
        read_idx(broken)
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "missing.gz")


def test_load_mnist_split():
    d = load_mnist(MNIST)
    assert d["x_train"].shape == (8000, 28, 28) and d["y_train"].shape == (8000,)
    assert d["x_test"].shape == (2000, 28, 28) and d["y_test"].shape == (2000,)
    assert all(a.dtype == np.uint8 for a in d.values())
    # The documented permutation, and a partition of the 10k test set.
    images, labels = read_idx(IMAGES), read_idx(LABELS)
    order = np.random.default_rng(0).permutation(10000)
    np.testing.assert_array_equal(d["x_train"], images[order[:8000]])
    np.testing.assert_array_equal(d["y_test"], labels[order[8000:]])
    assert len(set(order[:8000]) & set(order[8000:])) == 0
    split = Counter(x.tobytes() for x in np.concatenate([d["x_train"], d["x_test"]]))
    assert split == Counter(x.tobytes() for x in images)
    assert np.bincount(np.concatenate([d["y_train"], d["y_test"]])).tolist() == TEST_LABEL_COUNTS


def test_load_mnist_is_deterministic_by_seed(tmp_path):
    a, b, c = load_mnist(MNIST, split_seed=1), load_mnist(MNIST, split_seed=1), load_mnist(MNIST, split_seed=2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["y_train"], c["y_train"])
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(IMAGES.read_bytes())
    with pytest.raises(DataError, match=r"neither t10k-labels-idx1-ubyte\.gz nor t10k-labels-idx1-ubyte found"):
        load_mnist(tmp_path)
