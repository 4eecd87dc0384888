"""Convolution and pooling: torch.nn equivalence, Keras padding, pooling against numpy, masks,
config round trips and errors. Real data: ETTh1 windows (B, T, 7) and MNIST digits (B, 28, 28, 1)."""

from __future__ import annotations

import doctest
import functools
import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import seqlab.layers.conv as conv
import seqlab.layers.padding as padding
import seqlab.layers.pooling as pooling
from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.conv import Conv1D, Conv2D
from seqlab.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalMaxPooling1D,
                                   MaxPooling1D, MaxPooling2D, SumPooling1D)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@functools.cache
def _ett_rows() -> np.ndarray:
    rows = np.loadtxt(DATA / "ett" / "ETTh1.csv", delimiter=",", skiprows=1,
                      usecols=range(1, 8), max_rows=200)
    return (rows - rows.mean(0)) / rows.std(0)


def ett(B: int = 4, T: int = 24) -> torch.Tensor:
    """B consecutive windows of ETTh1's 7 columns, standardised: (B, T, 7) float64."""
    return torch.tensor(_ett_rows()[:B * T].reshape(B, T, 7))


@functools.cache
def _mnist_pixels(n: int) -> np.ndarray:
    with gzip.open(DATA / "mnist" / "t10k-images-idx3-ubyte.gz", "rb") as f:
        magic, _, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051
        return np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, rows, cols, 1)


def mnist(n: int = 4) -> torch.Tensor:
    """The first n MNIST test digits, (n, 28, 28, 1) in [0, 1], float64."""
    return torch.tensor(_mnist_pixels(n) / 255.0)


def loaded(layer, ref):
    """``layer`` loaded from ``ref``'s state dict before its first call, both float64."""
    layer.load_state_dict(ref.state_dict())
    return layer.double(), ref.double()


def channels_first(x):
    return x.movedim(-1, 1)


def channels_last(y):
    return y.movedim(1, -1)


# -- Conv1D ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, s, d", [(1, 1, 1), (3, 1, 1), (4, 2, 1), (3, 1, 2), (5, 3, 2)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_conv1d_valid_equals_nn_conv1d(k, s, d, use_bias):
    torch.manual_seed(0)
    ref = nn.Conv1d(7, 5, k, stride=s, dilation=d, bias=use_bias)
    layer, ref = loaded(Conv1D(5, k, strides=s, dilation_rate=d, use_bias=use_bias), ref)
    x = ett()
    assert torch.allclose(layer(x), channels_last(ref(channels_first(x))))
    back = nn.Conv1d(7, 5, k, stride=s, dilation=d, bias=use_bias).double()
    back.load_state_dict(layer.state_dict())  # and the other way
    assert torch.allclose(channels_last(back(channels_first(x))), layer(x))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("k, d", [(3, 1), (4, 1), (2, 3), (5, 2)])
def test_conv1d_same_with_stride_1_equals_torch_same(k, d):
    torch.manual_seed(0)
    ref = nn.Conv1d(7, 3, k, dilation=d, padding="same")
    layer, ref = loaded(Conv1D(3, k, padding="same", dilation_rate=d, activation="relu"), ref)
    x = ett(T=20)
    assert layer(x).shape == (4, 20, 3)
    assert torch.allclose(layer(x), torch.relu(channels_last(ref(channels_first(x)))))


@pytest.mark.parametrize("T, k, s, d, padding, expected", [
    (10, 3, 1, 1, "valid", 8), (10, 3, 2, 1, "valid", 4), (10, 3, 1, 2, "valid", 6),
    (10, 4, 3, 2, "valid", 2), (10, 3, 1, 1, "same", 10), (10, 3, 2, 1, "same", 5),
    (10, 4, 3, 2, "same", 4), (9, 2, 2, 1, "same", 5), (10, 3, 1, 1, "causal", 10),
    (10, 3, 3, 2, "causal", 4), (10, 5, 1, 3, "causal", 10),
])
def test_conv1d_output_lengths_follow_keras(T, k, s, d, padding, expected):
    layer = Conv1D(2, k, strides=s, padding=padding, dilation_rate=d)
    assert layer(torch.randn(3, T, 4)).shape == (3, expected, 2)


@pytest.mark.parametrize("T, k, s, expected", [
    (8, 3, 2, [3, 9, 15, 13]),  # pad (0, 1): TensorFlow puts the odd cell on the right
    (7, 3, 2, [1, 6, 12, 11]),  # pad (1, 1)
    (6, 4, 1, [3, 6, 10, 14, 12, 9]),  # pad (1, 2)
])
def test_conv1d_same_padding_splits_like_tensorflow(T, k, s, expected):
    layer = Conv1D(1, k, strides=s, padding="same", use_bias=False)
    layer.build_now((1, T, 1))
    with torch.no_grad():
        layer.weight.fill_(1.0)  # each output is the sum of its window
    x = torch.arange(float(T)).reshape(1, T, 1)
    assert layer(x).flatten().tolist() == expected


@pytest.mark.parametrize("k, s, d", [(3, 1, 1), (3, 1, 2), (2, 2, 3)])
def test_conv1d_causal_output_never_sees_the_future(k, s, d):
    torch.manual_seed(0)
    layer = Conv1D(3, k, strides=s, padding="causal", dilation_rate=d).double()
    x = ett(B=2, T=12).requires_grad_(True)
    y = layer(x)
    for t in range(y.shape[1]):
        (grad,) = torch.autograd.grad(y[:, t].sum(), x, retain_graph=True)
        now = t * s  # the input step aligned with output t
        assert torch.all(grad[:, now + 1:] == 0), f"output {t} depends on inputs after {now}"
        assert grad[:, now].abs().sum() > 0
    # 'same' does look ahead: the check above is not vacuous
    same = Conv1D(3, 3, padding="same").double()
    (grad,) = torch.autograd.grad(same(x)[:, 4].sum(), x)
    assert grad[:, 5].abs().sum() > 0


def test_conv1d_time_length_may_vary_channels_may_not():
    layer = Conv1D(4, 3, padding="causal")
    assert layer(torch.randn(2, 10, 7)).shape == (2, 10, 4)
    assert layer(torch.randn(5, 31, 7)).shape == (5, 31, 4)
    with pytest.raises(ShapeError, match=r"Conv1D expected input of shape \(B, \?, 7\), got \(\w+, 10, 6\)"):
        layer(torch.randn(2, 10, 6))
    assert layer.compute_mask(torch.randn(2, 10, 7), torch.ones(2, 10, dtype=torch.bool)) is None


# -- Conv2D ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, s, d", [(3, 1, 1), ((3, 5), (2, 1), 1), (3, 1, (2, 1)), (2, 3, 2)])
def test_conv2d_valid_equals_nn_conv2d_on_mnist(k, s, d):
    torch.manual_seed(0)
    ref = nn.Conv2d(1, 6, k, stride=s, dilation=d)
    layer, ref = loaded(Conv2D(6, k, strides=s, dilation_rate=d, activation="relu"), ref)
    x = mnist()
    assert layer.weight.shape == ref.weight.shape
    assert torch.allclose(layer(x), torch.relu(channels_last(ref(channels_first(x)))))


@pytest.mark.parametrize("k, d", [(3, 1), ((4, 2), 1), (3, (1, 2))])
def test_conv2d_same_with_stride_1_equals_torch_same(k, d):
    torch.manual_seed(0)
    ref = nn.Conv2d(1, 4, k, dilation=d, padding="same")
    layer, ref = loaded(Conv2D(4, k, padding="same", dilation_rate=d), ref)
    x = mnist()
    assert layer(x).shape == (4, 28, 28, 4)
    assert torch.allclose(layer(x), channels_last(ref(channels_first(x))))


def test_conv2d_same_with_stride_2_pads_right_and_bottom():
    torch.manual_seed(0)
    ref = nn.Conv2d(1, 4, 3, stride=2)
    layer, ref = loaded(Conv2D(4, 3, strides=2, padding="same"), ref)
    x = mnist()
    # 28 -> ceil(28/2) = 14; total padding (14-1)*2 + 3 - 28 = 1, on the right and bottom
    expected = channels_last(ref(F.pad(channels_first(x), (0, 1, 0, 1))))
    assert layer(x).shape == (4, 14, 14, 4)
    assert torch.allclose(layer(x), expected)


def test_conv2d_image_size_may_vary():
    layer = Conv2D(2, 3)
    assert layer(torch.randn(1, 9, 9, 3)).shape == (1, 7, 7, 2)
    assert layer(torch.randn(1, 12, 5, 3)).shape == (1, 10, 3, 2)


# -- pooling --------------------------------------------------------------------------------------
def np_pool(x: np.ndarray, k, s, padding: str, op: str) -> np.ndarray:
    """Keras pooling written out over channels-last x (B, *spatial, C): windows of real cells."""
    spatial = x.shape[1:-1]
    k = (k,) * len(spatial) if isinstance(k, int) else k
    s = k if s is None else (s,) * len(spatial) if isinstance(s, int) else s
    if padding == "valid":
        counts = [(n - kk) // ss + 1 for n, kk, ss in zip(spatial, k, s)]
        lefts = [0] * len(spatial)
    else:
        counts = [-(-n // ss) for n, ss in zip(spatial, s)]
        lefts = [max((c - 1) * ss + kk - n, 0) // 2 for c, n, kk, ss in zip(counts, spatial, k, s)]
    reduce = {"max": np.max, "average": np.mean, "sum": np.sum}[op]
    out = np.empty((x.shape[0], *counts, x.shape[-1]))
    for idx in np.ndindex(*counts):
        window = x
        for axis, (i, kk, ss, left, n) in enumerate(zip(idx, k, s, lefts, spatial)):
            lo = i * ss - left
            window = window.take(range(max(lo, 0), min(lo + kk, n)), axis=axis + 1)
        out[(slice(None), *idx)] = reduce(window.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return out


OPS_1D = {"max": MaxPooling1D, "average": AveragePooling1D, "sum": SumPooling1D}
OPS_2D = {"max": MaxPooling2D, "average": AveragePooling2D}


@pytest.mark.parametrize("op", list(OPS_1D))
@pytest.mark.parametrize("k, s, padding", [(2, None, "valid"), (3, 2, "valid"), (3, 1, "same"),
                                           (4, 3, "same"), (5, None, "same")])
def test_pooling1d_matches_numpy(op, k, s, padding):
    x = ett(T=23)
    y = OPS_1D[op](k, strides=s, padding=padding)(x)
    assert np.allclose(y.numpy(), np_pool(x.numpy(), k, s, padding, op))


@pytest.mark.parametrize("op", list(OPS_2D))
@pytest.mark.parametrize("k, s, padding", [(2, None, "valid"), ((3, 2), (2, 1), "valid"),
                                           (3, 2, "same"), ((2, 4), 3, "same")])
def test_pooling2d_matches_numpy_on_mnist(op, k, s, padding):
    x = mnist(n=2)
    y = OPS_2D[op](k, strides=s, padding=padding)(x)
    assert np.allclose(y.numpy(), np_pool(x.numpy(), k, s, padding, op))


@pytest.mark.parametrize("cls, s, padding, expected", [
    # the examples of Keras' MaxPooling1D / AveragePooling1D documentation
    (MaxPooling1D, 1, "valid", [2, 3, 4, 5]), (MaxPooling1D, 2, "valid", [2, 4]),
    (MaxPooling1D, 1, "same", [2, 3, 4, 5, 5]), (AveragePooling1D, 1, "valid", [1.5, 2.5, 3.5, 4.5]),
    (AveragePooling1D, 2, "valid", [1.5, 3.5]), (AveragePooling1D, 1, "same", [1.5, 2.5, 3.5, 4.5, 5.0]),
])
def test_pooling1d_reproduces_keras_documentation(cls, s, padding, expected):
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    assert cls(2, strides=s, padding=padding)(x).flatten().tolist() == expected


@pytest.mark.parametrize("s, padding, expected", [(3, "valid", [3, 12]), (2, "valid", [3, 9, 15]),
                                                  (2, "same", [1, 6, 12, 11])])
def test_sum_pooling_is_the_sum_of_each_window(s, padding, expected):
    T = 7 if s == 2 else 6
    x = torch.arange(float(T)).reshape(1, T, 1)
    assert SumPooling1D(3, strides=s, padding=padding)(x).flatten().tolist() == expected
    y = ett()
    assert torch.allclose(SumPooling1D(4)(y), 4 * AveragePooling1D(4)(y))


def test_same_padding_never_counts_padded_cells():
    ones = torch.ones(2, 9, 3)
    assert torch.equal(AveragePooling1D(4, strides=1, padding="same")(ones), torch.ones(2, 9, 3))
    assert torch.equal(AveragePooling2D(3, strides=2, padding="same")(torch.ones(1, 5, 5, 2)),
                       torch.ones(1, 3, 3, 2))
    negative = -torch.arange(1.0, 10.0).reshape(1, 9, 1)
    assert (MaxPooling1D(4, strides=1, padding="same")(negative) < 0).all()  # a zero pad never wins


# -- global pooling -------------------------------------------------------------------------------
def test_global_pooling_without_mask_reduces_time():
    x = ett()
    assert torch.equal(GlobalMaxPooling1D()(x), x.amax(1))
    assert torch.allclose(GlobalAveragePooling1D()(x), x.mean(1))
    assert GlobalMaxPooling1D()(x).shape == (4, 7)


def test_global_pooling_ignores_masked_steps():
    x = ett(B=4, T=10)
    lengths = [10, 6, 1, 0]
    mask = torch.arange(10)[None, :] < torch.tensor(lengths)[:, None]  # (B, T)
    mask[0, 3] = False  # not only prefixes
    poisoned = x.masked_fill(~mask[..., None], 1e6)  # masked cells must not matter
    mx = GlobalMaxPooling1D()(poisoned, mask)
    avg = GlobalAveragePooling1D()(poisoned, mask)
    xn, mn = x.numpy(), mask.numpy()
    for i in range(3):
        assert np.allclose(mx[i].numpy(), xn[i][mn[i]].max(0))
        assert np.allclose(avg[i].numpy(), xn[i][mn[i]].mean(0))
    assert torch.equal(mx[3], torch.zeros(7, dtype=x.dtype))  # nothing real: zeros
    assert torch.equal(avg[3], torch.zeros(7, dtype=x.dtype))
    assert GlobalMaxPooling1D().compute_mask(x, mask) is None
    with pytest.raises(ShapeError, match=r"GlobalAveragePooling1D: mask must have shape \(4, 10\)"):
        GlobalAveragePooling1D()(x, mask[:, :5])


# -- config, state dicts and errors ---------------------------------------------------------------
CASES = [
    (Conv1D(6, 3, strides=2, padding="causal", dilation_rate=2, activation="tanh", name="c"), (2, 17, 3)),
    (Conv2D(5, (3, 2), strides=(2, 1), padding="same", dilation_rate=(1, 2), use_bias=False), (2, 9, 8, 3)),
    (MaxPooling1D(3, strides=2, padding="same"), (2, 17, 3)),
    (AveragePooling1D(4), (2, 17, 3)),
    (SumPooling1D(2, strides=1), (2, 17, 3)),
    (GlobalMaxPooling1D(), (2, 17, 3)),
    (GlobalAveragePooling1D(name="gap"), (2, 17, 3)),
    (MaxPooling2D((2, 3), strides=(1, 2)), (2, 9, 8, 3)),
    (AveragePooling2D(2, padding="same"), (2, 9, 8, 3)),
]


@pytest.mark.parametrize("layer, shape", CASES, ids=lambda c: type(c).__name__ if not isinstance(c, tuple) else "")
def test_get_config_round_trips_through_json(layer, shape):
    config = json.loads(json.dumps(layer.get_config()))  # tuples come back as lists
    again = type(layer)(**config)
    x = torch.randn(*shape)
    assert again(x).shape == layer(x).shape
    assert {n: p.shape for n, p in again.named_parameters()} == {n: p.shape for n, p in layer.named_parameters()}


@pytest.mark.parametrize("layer, ref", [
    (Conv1D(4, 3, padding="same"), nn.Conv1d(7, 4, 3, padding="same")),
    (Conv2D(4, (3, 2), use_bias=False), nn.Conv2d(7, 4, (3, 2), bias=False)),
])
def test_state_dict_loads_before_the_first_call(layer, ref):
    layer.load_state_dict(ref.state_dict())
    assert layer.built and layer.input_shape[-1] == 7
    x = torch.randn(2, 10, 7) if isinstance(layer, Conv1D) else torch.randn(2, 10, 6, 7)
    assert torch.allclose(layer(x), channels_last(ref(channels_first(x))), atol=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: Conv1D(4, 3, padding="foo"), "Conv1D: `padding` must be one of valid, same, causal, got 'foo'"),
    (lambda: Conv1D(0, 3), "`filters`"),
    (lambda: Conv1D(4, 0), "`kernel_size`"),
    (lambda: Conv1D(4, (3, 3)), "`kernel_size`"),
    (lambda: Conv1D(4, 3, strides=0), "`strides`"),
    (lambda: Conv1D(4, 3, dilation_rate=0), "`dilation_rate`"),
    (lambda: Conv1D(4, 3, activation="nope"), "activation"),
    (lambda: Conv2D(4, (3, 3, 3)), "Conv2D: `kernel_size`"),
    (lambda: Conv2D(4, 3, padding="causal"), "Conv2D: `padding` must be one of valid, same"),
    (lambda: Conv2D(4, 3, strides=(1, 0)), "`strides`"),
    (lambda: MaxPooling1D(0), "MaxPooling1D: `pool_size`"),
    (lambda: MaxPooling1D(2, strides=0), "`strides`"),
    (lambda: AveragePooling1D(padding="causal"), "AveragePooling1D: `padding`"),
    (lambda: SumPooling1D(2.0), "`pool_size`"),
    (lambda: MaxPooling2D((2,)), "MaxPooling2D: `pool_size`"),
    (lambda: AveragePooling2D(2, padding="full"), "`padding`"),
])
def test_bad_arguments_raise_config_error_naming_them(make, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        make()


@pytest.mark.parametrize("layer, shape", [
    (Conv1D(2, 3), (4, 10)), (Conv1D(2, 3), (4, 10, 3, 1)), (Conv2D(2, 3), (4, 10, 3)),
    (MaxPooling1D(), (4, 10)), (SumPooling1D(), (4, 5, 5, 1)), (AveragePooling2D(), (4, 10, 3)),
    (GlobalMaxPooling1D(), (4, 10)), (GlobalAveragePooling1D(), (4, 10, 3, 1)),
])
def test_wrong_rank_raises_shape_error_naming_the_layer(layer, shape):
    name = type(layer).__name__
    with pytest.raises(ShapeError, match=rf"{name} expects input of shape \(B, .*\), got \({shape[0]}, "):
        layer(torch.randn(*shape))


def test_wrong_rank_after_building_names_the_layer():
    layer = MaxPooling2D()
    layer(torch.randn(1, 4, 4, 2))
    with pytest.raises(ShapeError, match=r"MaxPooling2D expected input of shape \(B, \?, \?, \?\), got \(\w+, 4, 2\)"):
        layer(torch.randn(1, 4, 2))


@pytest.mark.parametrize("layer, shape", [(Conv1D(2, 5), (1, 3, 2)), (Conv1D(2, 3, dilation_rate=3), (1, 6, 2)),
                                          (MaxPooling2D(3), (1, 2, 5, 1))])
def test_input_shorter_than_the_window_says_so(layer, shape):
    with pytest.raises(ShapeError, match=rf"{type(layer).__name__}: input axis [TH] has size"):
        layer(torch.randn(*shape))


def test_docstring_examples_run():
    results = [doctest.testmod(module) for module in (conv, pooling, padding)]
    assert sum(r.attempted for r in results) >= 10 and not any(r.failed for r in results)
