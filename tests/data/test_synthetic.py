"""Synthetic long-memory tasks: adding problem, copy memory, pixel MNIST on the real digits, splits."""

import math

import numpy as np
import pytest

from seqlab.data.images import permutation, pixel_mnist, read_idx
from seqlab.data.synthetic import (
    SYNTHETIC_TASKS,
    adding_problem,
    copy_memory,
    copy_memory_baseline_loss,
    make_splits,
    one_hot,
    split_seeds,
)
from seqlab.errors import ConfigError, ShapeError


# --- adding problem ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [2, 7, 50])
def test_adding_markers_one_per_half_and_target_is_their_sum(length):
    x, y = adding_problem(500, length, seed=3)
    assert x.shape == (500, length, 2) and x.dtype == np.float32
    assert y.shape == (500, 1) and y.dtype == np.float32
    values, marker = x[:, :, 0], x[:, :, 1]
    assert set(np.unique(marker).tolist()) <= {0.0, 1.0}  # T = 2: both steps are marked
    assert (marker.sum(axis=1) == 2).all()
    half = length // 2
    assert (marker[:, :half].sum(axis=1) == 1).all() and (marker[:, half:].sum(axis=1) == 1).all()
    marked = values[marker == 1].reshape(500, 2)  # row-major: the two marked values of each row
    np.testing.assert_array_equal(y[:, 0], marked[:, 0] + marked[:, 1])
    assert values.min() >= 0.0 and values.max() < 1.0


def test_adding_markers_cover_both_halves_uniformly():
    x, _ = adding_problem(20_000, 10, seed=0)
    positions = np.nonzero(x[:, :, 1])[1].reshape(-1, 2)  # (N, 2) sorted per row
    counts_first = np.bincount(positions[:, 0], minlength=10)
    counts_second = np.bincount(positions[:, 1], minlength=10)
    assert counts_first[5:].sum() == 0 and counts_second[:5].sum() == 0
    np.testing.assert_allclose(counts_first[:5] / 20_000, 0.2, atol=0.015)
    np.testing.assert_allclose(counts_second[5:] / 20_000, 0.2, atol=0.015)


def test_adding_anywhere_placement_is_locuslab_two_distinct_steps():
    x, y = adding_problem(20_000, 6, seed=2, placement="anywhere")
    marker = x[:, :, 1]
    assert (marker.sum(axis=1) == 2).all()
    marked = x[:, :, 0][marker == 1].reshape(-1, 2)
    np.testing.assert_array_equal(y[:, 0], marked.sum(axis=1))
    # Each of the 15 unordered pairs of 6 steps is equally likely; halves would allow only 9.
    pairs = np.nonzero(marker)[1].reshape(-1, 2)
    pair_ids = pairs[:, 0] * 6 + pairs[:, 1]
    freq = np.bincount(pair_ids, minlength=36)[[a * 6 + b for a in range(6) for b in range(a + 1, 6)]]
    assert freq.sum() == 20_000
    np.testing.assert_allclose(freq / 20_000, 1 / 15, atol=0.01)


def test_adding_constant_one_predictor_has_mse_one_sixth():
    for placement in ("halves", "anywhere"):
        _, y = adding_problem(20_000, 20, seed=11, placement=placement)
        mse = float(np.mean((y.astype(np.float64) - 1.0) ** 2))
        assert abs(mse - 1 / 6) < 0.01, (placement, mse)
    assert SYNTHETIC_TASKS["adding"].baseline(600) == pytest.approx(1 / 6)


def test_adding_seeded():
    a, b, c = adding_problem(50, 30, seed=5), adding_problem(50, 30, seed=5), adding_problem(50, 30, seed=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": 0, "length": 10}, "`n`"),
        ({"n": 5, "length": 1}, "`length`"),
        ({"n": 5, "length": 2.5}, "`length`"),
        ({"n": 5, "length": 10, "placement": "middle"}, "`placement`"),
    ],
)
def test_adding_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ConfigError, match=name):
        adding_problem(**kwargs)


# --- copy memory ------------------------------------------------------------------------------


def _locuslab_copy(message: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """locuslab/TCN's data_generator written out with numpy, for a given message (N, K)."""
    n, k = message.shape
    zeros = np.zeros((n, t), dtype=np.int64)
    x = np.concatenate([message, zeros[:, :-1], 9 * np.ones((n, k + 1), dtype=np.int64)], axis=1)
    y = np.concatenate([np.zeros((n, k), dtype=np.int64), zeros, message], axis=1)
    return x, y


@pytest.mark.parametrize("length", [1, 30])
def test_copy_memory_matches_locuslab_layout(length):
    k = 10
    x, y = copy_memory(200, length, seed=4)
    assert x.shape == y.shape == (200, length + 2 * k) and x.dtype == y.dtype == np.int64
    message = x[:, :k]
    assert message.min() >= 1 and message.max() <= 8
    assert set(np.unique(message).tolist()) == set(range(1, 9))
    ref_x, ref_y = _locuslab_copy(message, length)
    np.testing.assert_array_equal(x, ref_x)
    np.testing.assert_array_equal(y, ref_y)
    # The delimiter is first seen at T + K - 1 and the copy is due right after it.
    first_nine = np.argmax(x == 9, axis=1)
    assert (first_nine == length + k - 1).all()
    np.testing.assert_array_equal(y[:, -k:], message)
    assert (y[:, :-k] == 0).all()


def test_copy_memory_arjovsky_variant_has_one_delimiter_then_blanks():
    x, y = copy_memory(100, 12, seed=1, copy_len=4, variant="arjovsky")
    assert x.shape == (100, 20)
    assert (x[:, 15] == 9).all() and ((x == 9).sum(axis=1) == 1).all()
    assert (x[:, 4:15] == 0).all() and (x[:, 16:] == 0).all()
    np.testing.assert_array_equal(y[:, -4:], x[:, :4])
    _, y_locus = copy_memory(100, 12, seed=1, copy_len=4)
    np.testing.assert_array_equal(y, y_locus)  # same targets, same message for a seed


def test_copy_memory_symbols_and_lengths_follow_arguments():
    x, y = copy_memory(300, 5, seed=0, n_symbols=3, copy_len=2)
    assert x.shape == (300, 9)
    assert set(np.unique(x[:, :2]).tolist()) == {1, 2, 3}
    assert (x[:, 6:] == 4).all()  # delimiter = n_symbols + 1 from T + K - 1 = 6 on
    np.testing.assert_array_equal(y[:, -2:], x[:, :2])


@pytest.mark.parametrize(("length", "copy_len", "n_symbols"), [(1, 10, 8), (100, 10, 8), (40, 5, 4)])
def test_copy_baseline_equals_cross_entropy_of_the_memoryless_predictor(length, copy_len, n_symbols):
    _, y = copy_memory(300, length, seed=9, n_symbols=n_symbols, copy_len=copy_len)
    steps, depth = length + 2 * copy_len, n_symbols + 2
    probs = np.zeros((steps, depth))  # blank for sure, then uniform over the symbols
    probs[: length + copy_len, 0] = 1.0
    probs[length + copy_len :, 1 : n_symbols + 1] = 1.0 / n_symbols
    p_true = np.take_along_axis(np.broadcast_to(probs, (300, steps, depth)), y[:, :, None], axis=2)
    cross_entropy = -np.mean(np.log(p_true))
    assert copy_memory_baseline_loss(length, copy_len, n_symbols) == pytest.approx(cross_entropy, rel=1e-12)
    assert copy_memory_baseline_loss(length, copy_len, n_symbols) == pytest.approx(
        copy_len * math.log(n_symbols) / (length + 2 * copy_len)
    )


def test_copy_baseline_is_the_published_reference():
    assert copy_memory_baseline_loss(1000) == pytest.approx(10 * math.log(8) / 1020)
    assert round(copy_memory_baseline_loss(1000), 4) == 0.0204  # Bai et al.'s LSTM sits on it
    assert SYNTHETIC_TASKS["copy"].baseline(1000) == copy_memory_baseline_loss(1000)


def test_copy_memory_seeded_and_errors():
    np.testing.assert_array_equal(copy_memory(20, 8, seed=1)[0], copy_memory(20, 8, seed=1)[0])
    assert not np.array_equal(copy_memory(20, 8, seed=1)[0], copy_memory(20, 8, seed=2)[0])
    for kwargs, name in [
        ({"n": 3, "length": 0}, "`length`"),
        ({"n": -1, "length": 5}, "`n`"),
        ({"n": 3, "length": 5, "copy_len": 0}, "`copy_len`"),
        ({"n": 3, "length": 5, "n_symbols": 0}, "`n_symbols`"),
        ({"n": 3, "length": 5, "variant": "keras"}, "`variant`"),
    ]:
        with pytest.raises(ConfigError, match=name):
            copy_memory(**kwargs)


def test_one_hot_matches_identity_rows_and_checks_range():
    x, _ = copy_memory(4, 6, seed=0)
    oh = one_hot(x)
    assert oh.shape == (4, 26, 10) and oh.dtype == np.float32
    np.testing.assert_array_equal(oh.argmax(axis=-1), x)
    assert (oh.sum(axis=-1) == 1).all()
    with pytest.raises(ConfigError, match="`ids`.*depth=9"):
        one_hot(x, depth=9)  # the delimiter 9 needs depth 10
    with pytest.raises(ConfigError, match="`ids`"):
        one_hot(np.array([0.5]))


# --- pixel MNIST on the real digits -----------------------------------------------------------


@pytest.fixture(scope="module")
def digits(shared_data):
    return read_idx(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz")[:300]  # (300, 28, 28) uint8


def test_pixel_mnist_row_major_is_reshape(digits):
    seq = pixel_mnist(digits)
    assert seq.shape == (300, 784, 1) and seq.dtype == np.float32
    np.testing.assert_array_equal(seq[:, :, 0], digits.reshape(300, -1).astype(np.float32) / 255)
    assert seq.min() == 0.0 and seq.max() == 1.0
    # Step 28 * r + c is pixel (r, c): the 15th row of the first digit is steps 392..419.
    np.testing.assert_array_equal(seq[0, 14 * 28 : 15 * 28, 0] * 255, digits[0, 14].astype(np.float32))


def test_pixel_mnist_permuted_is_one_fixed_permutation(digits):
    plain = pixel_mnist(digits)[:, :, 0]  # (N, 784)
    permuted = pixel_mnist(digits, permute=True, seed=1)[:, :, 0]
    np.testing.assert_array_equal(np.sort(permuted, axis=1), np.sort(plain, axis=1))
    perm = permutation(1)
    np.testing.assert_array_equal(permuted, plain[:, perm])  # the same order for every image
    assert sorted(perm.tolist()) == list(range(784)) and (perm != np.arange(784)).sum() > 700
    np.testing.assert_array_equal(perm, np.random.default_rng(1).permutation(784))
    np.testing.assert_array_equal(pixel_mnist(digits, permute=True, seed=1), pixel_mnist(digits, permute=True, seed=1))
    assert not np.array_equal(pixel_mnist(digits[:5], permute=True, seed=2)[:, :, 0], permuted[:5])


def test_pixel_mnist_rejects_wrong_images(digits):
    with pytest.raises(ShapeError, match=r"`images`.*\(300, 784\)"):
        pixel_mnist(digits.reshape(300, 784))
    with pytest.raises(ShapeError, match="`images`.*float32"):
        pixel_mnist(digits.astype(np.float32))


# --- registry and splits ----------------------------------------------------------------------


def test_registry_describes_each_task():
    assert set(SYNTHETIC_TASKS) == {"adding", "copy"}
    adding, copy = SYNTHETIC_TASKS["adding"], SYNTHETIC_TASKS["copy"]
    assert (adding.kind, adding.n_outputs, adding.loss) == ("regression", 1, "mse")
    assert (copy.kind, copy.n_outputs, copy.loss) == ("sequence_classification", 10, "sparse_categorical_crossentropy")
    x, y = copy.generator(3, 5, seed=0)
    assert int(max(x.max(), y.max())) < copy.n_outputs  # every id is a class of the output layer


@pytest.mark.parametrize(("task", "x_shape", "y_shape"), [("adding", (40, 2), (1,)), ("copy", (60,), (60,))])
def test_make_splits_sizes_and_independent_seeds(task, x_shape, y_shape):
    splits = make_splits(task, length=40, n_train=64, n_val=16, n_test=32, seed=5)
    assert list(splits) == ["train", "val", "test"]
    for name, n in (("train", 64), ("val", 16), ("test", 32)):
        x, y = splits[name]
        assert x.shape == (n, *x_shape) and y.shape == (n, *y_shape)
    xs = {name: {row.tobytes() for row in x} for name, (x, _) in splits.items()}
    assert not xs["train"] & xs["test"] and not xs["train"] & xs["val"] and not xs["val"] & xs["test"]
    again = make_splits(task, length=40, n_train=64, n_val=16, n_test=32, seed=5)
    for name in splits:
        np.testing.assert_array_equal(splits[name][0], again[name][0])
    other = make_splits(task, length=40, n_train=64, n_val=16, n_test=32, seed=6)
    assert not np.array_equal(splits["train"][0], other["train"][0])
    # Each split is the generator run with its spawned seed.
    seeds = split_seeds(5)
    np.testing.assert_array_equal(splits["test"][0], SYNTHETIC_TASKS[task].generator(32, 40, seed=seeds["test"])[0])
    assert len(set(seeds.values())) == 3


def test_make_splits_errors_name_the_argument():
    with pytest.raises(ConfigError, match="'nope'.*adding, copy"):
        make_splits("nope", length=10, n_train=1, n_val=1, n_test=1)
    for kwargs, pattern in [
        ({"n_train": 0}, "`n_train`.*got 0"),
        ({"n_val": -2}, "`n_val`.*got -2"),
        ({"n_test": 0}, "`n_test`.*got 0"),
        ({"length": 0}, "`length`.*got 0"),
    ]:
        args = {"task": "copy", "length": 10, "n_train": 4, "n_val": 4, "n_test": 4} | kwargs
        with pytest.raises(ConfigError, match=pattern):
            make_splits(**args)
    with pytest.raises(ConfigError, match="'adding'.*`length` must be >= 2, got 1"):
        make_splits("adding", length=1, n_train=4, n_val=4, n_test=4)
    make_splits("copy", length=1, n_train=1, n_val=1, n_test=1)  # the smallest valid copy task
