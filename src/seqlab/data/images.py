"""Images: read IDX files (the MNIST format), split the MNIST test set, lay digits out as pixel sequences.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32
sizes, then the values in C order (big-endian where wider than a byte). MNIST images are
``00 00 08 03`` (uint8, 3 dims: N x 28 x 28) and labels ``00 00 08 01`` (uint8, N).

Symbols used in shapes: N = images, H = W = 28 pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.data.registry import open_binary
from seqlab.errors import DataError, ShapeError

# IDX type byte -> element dtype (big-endian on disk).
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_PIXELS = 28 * 28
MNIST_TEST_IMAGES = "t10k-images-idx3-ubyte"
MNIST_TEST_LABELS = "t10k-labels-idx1-ubyte"


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, gzip-compressed or raw (detected by content).

    Args:
        path: the file, e.g. ``t10k-images-idx3-ubyte.gz``.

    Returns:
        An array of the shape and type the header declares, in native byte order: (N, 28, 28)
        uint8 for MNIST images, (N,) uint8 for MNIST labels.

    Raises:
        DataError: the file is missing, not gzip-readable, not an IDX file (wrong magic number),
            or shorter or longer than its header declares. The message names the file.

    Example (with the data at hand)::

        read_idx("mnist/t10k-labels-idx1-ubyte.gz").shape
        # -> (10000,)
    """
    path = Path(path)
    try:
        with open_binary(path) as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read ({exc})") from exc
    if len(data) < 4:
        raise DataError(f"{path}: not an IDX file ({len(data)} bytes, too short for the 4-byte magic number)")
    zero0, zero1, type_code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise DataError(
            f"{path}: not an IDX file (magic number {data[:4].hex(' ')}, expected 00 00 <type 08-0e> <ndim>); "
            "MNIST files are named like t10k-images-idx3-ubyte.gz"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(f"{path}: IDX header declares {ndim} dimensions but the file ends after {len(data)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(
            f"{path}: IDX header declares shape {shape} of {dtype.name} ({expected} bytes with the header), "
            f"the file has {len(data)} bytes (truncated or corrupt)"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: neither {stem}.gz nor {stem} found (the MNIST test set files are needed)")


def load_mnist(folder: str | Path, split_seed: int = 0) -> dict[str, np.ndarray]:
    """The 10,000 MNIST test digits, split 8,000 / 2,000 into train and test by a seeded shuffle.

    Only the official test set is read (``t10k-images-idx3-ubyte[.gz]``,
    ``t10k-labels-idx1-ubyte[.gz]`` in ``folder``): it is small enough to ship with tests and
    benchmarks. The permutation is ``np.random.default_rng(split_seed).permutation(10000)``;
    its first 8,000 indices are the training set, the last 2,000 the test set.

    Args:
        folder: the folder holding the two files.
        split_seed: seed of the permutation; the same seed gives the same split.

    Returns:
        ``{"x_train": (8000, 28, 28) uint8, "y_train": (8000,) uint8,
        "x_test": (2000, 28, 28) uint8, "y_test": (2000,) uint8}``.

    Example (with the data at hand)::

        d = load_mnist("/path/to/mnist")
        d["x_train"].shape, d["y_test"].shape
        # -> ((8000, 28, 28), (2000,))
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: MNIST folder not found")
    images_path, labels_path = _find(folder, MNIST_TEST_IMAGES), _find(folder, MNIST_TEST_LABELS)
    images = read_idx(images_path)  # (N, H, W)
    labels = read_idx(labels_path)  # (N,)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected (N, 28, 28) uint8 images, got {images.shape} {images.dtype}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError(
            f"{labels_path}: {labels.shape} labels do not match the {images.shape[0]} images in {images_path}"
        )
    if images.shape[0] != 10_000:
        raise DataError(f"{images_path}: the MNIST test set has 10000 images, this file has {images.shape[0]}")
    order = np.random.default_rng(split_seed).permutation(images.shape[0])
    train, test = order[:8000], order[8000:]
    return {
        "x_train": images[train],
        "y_train": labels[train],
        "x_test": images[test],
        "y_test": labels[test],
    }


# --------------------------------------------------------------------------------------------
# Pixel MNIST (sequential and permuted): a long-memory task of Bai, Kolter & Koltun (2018)


def permutation(seed: int = 0) -> np.ndarray:
    """The fixed pixel order of permuted MNIST: ``np.random.default_rng(seed).permutation(784)``.

    Example:
        >>> p = permutation(0)
        >>> p.shape, sorted(p.tolist()) == list(range(784))
        ((784,), True)
    """
    return np.random.default_rng(seed).permutation(MNIST_PIXELS)  # (784,)


def pixel_mnist(images: np.ndarray, permute: bool = False, seed: int = 0) -> np.ndarray:
    """MNIST digits as sequences of 784 pixels, one per step (sequential / permuted MNIST).

        x[i, t, 0] = images[i].reshape(784)[p_t] / 255

    with ``p_t = t`` (row-major order, sequential MNIST) or ``p = permutation(seed)``, one fixed
    permutation shared by every image (permuted MNIST), which breaks the locality of strokes and
    spreads dependencies over the whole sequence. Values are scaled to [0, 1]; locuslab/TCN
    standardises instead (mean 0.1307, std 0.3081), which a model's first layer can absorb.

    Args:
        images: (N, 28, 28) uint8, e.g. ``seqlab.data.images.load_mnist(...)["x_train"]``.
        permute: use the fixed random pixel order instead of row-major order.
        seed: seed of that order; the same seed gives the same permutation.

    Returns:
        (N, 784, 1) float32 in [0, 1]; pair it with the digit labels for classification.

    Raises:
        ShapeError: ``images`` is not (N, 28, 28) uint8; the message gives the shape and dtype.

    Example:
        >>> imgs = np.arange(2 * 784, dtype=np.int64).reshape(2, 28, 28) % 256
        >>> pixel_mnist(imgs.astype(np.uint8)).shape
        (2, 784, 1)
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ShapeError(
            f"pixel_mnist: argument `images` must be (N, 28, 28) uint8, got {images.shape} {images.dtype}"
        )
    flat = images.reshape(images.shape[0], MNIST_PIXELS)  # (N, 784), row-major
    if permute:
        flat = flat[:, permutation(seed)]  # (N, 784), same order for every image
    return (flat.astype(np.float32) / 255.0)[:, :, None]  # (N, 784, 1)
