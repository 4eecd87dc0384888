"""TCN: the receptive field against the gradient, causality, residual paths, weight norm, config."""

from __future__ import annotations

import pytest
import torch

from seqlab.data.series import read_series
from seqlab.errors import ConfigError, ShapeError
from seqlab.layers import TCN, TemporalBlock


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    """Four 160-step windows of ETTh1's 7 channels, standardised, (4, 160, 7) float64."""
    df = read_series("etth1")
    v = df[[c for c in df.columns if c != "date"]].to_numpy()[:640]
    v = (v - v.mean(0)) / v.std(0)
    return torch.from_numpy(v.reshape(4, 160, 7))


def reach(layer, x: torch.Tensor) -> int:
    """How many input steps the last output step depends on: the nonzero gradient span."""
    with torch.no_grad():  # positive weights and inputs keep every ReLU open, so no path is cut
        for p in layer.parameters():
            p.copy_(p.abs() + 0.01)
    xg = (x.abs() + 0.1).requires_grad_(True)
    out = layer(xg)
    (out[:, -1] if out.dim() == 3 else out).sum().backward()
    touched = (xg.grad.abs().sum(dim=(0, 2)) > 0).nonzero().flatten()
    assert touched.max() == x.shape[1] - 1
    return int(x.shape[1] - touched.min())


@pytest.mark.parametrize("kernel_size, num_blocks", [(2, 3), (3, 4), (5, 2), (3, 1)])
def test_receptive_field_is_the_empirical_one(x, kernel_size, num_blocks):
    tcn = TCN(4, kernel_size=kernel_size, num_blocks=num_blocks, input_size=7).double()
    assert tcn.receptive_field == 1 + 2 * (kernel_size - 1) * (2 ** num_blocks - 1)
    assert tcn.receptive_field < x.shape[1]
    assert reach(tcn, x) == tcn.receptive_field


def test_block_receptive_field_is_the_empirical_one(x):
    block = TemporalBlock(5, kernel_size=3, dilation_rate=8, input_size=7).double()
    assert reach(block, x) == block.receptive_field == 33


def test_outputs_never_see_the_future(x):
    tcn = TCN(6, kernel_size=3, num_blocks=3).double().eval()
    y = tcn(x)
    x2 = x.clone()
    x2[:, 100:] = torch.randn_like(x2[:, 100:])
    torch.testing.assert_close(tcn(x2)[:, :100], y[:, :100], rtol=0, atol=0)
    assert not torch.allclose(tcn(x2)[:, 100:], y[:, 100:])


def test_shapes_and_the_residual_path(x):
    assert TCN(8, num_blocks=3)(x.float()).shape == (4, 160, 8)
    assert TCN(8, num_blocks=3, return_sequences=False)(x.float()).shape == (4, 8)
    widen = TemporalBlock(8, input_size=7)
    same = TemporalBlock(7, input_size=7)
    assert widen.downsample is not None and tuple(widen.downsample.weight.shape) == (8, 7, 1)
    assert same.downsample is None


def test_residual_block_equation(x):
    """y = ReLU(z2 + x) written out with torch.nn.functional, for C == F."""
    block = TemporalBlock(7, kernel_size=3, dilation_rate=2, input_size=7).double().eval()
    xc = x.movedim(-1, 1)  # (B, C, T)
    pad = lambda t: torch.nn.functional.pad(t, (4, 0))  # noqa: E731  2·(3 − 1) zeros on the left
    z = torch.relu(torch.nn.functional.conv1d(pad(xc), block.conv1.weight, block.conv1.bias, dilation=2))
    z = torch.relu(torch.nn.functional.conv1d(pad(z), block.conv2.weight, block.conv2.bias, dilation=2))
    torch.testing.assert_close(block(x), torch.relu(z + xc).movedim(1, -1))


@pytest.mark.parametrize("weight_norm", [False, True])
def test_weights_load_into_a_lazy_layer_and_config_round_trips(x, weight_norm):
    tcn = TCN(6, kernel_size=2, num_blocks=3, dropout=0.1, weight_norm=weight_norm).double().eval()
    y = tcn(x)
    if weight_norm:
        assert "blocks.0.conv1.parametrizations.weight.original0" in tcn.state_dict()
    config = tcn.get_config()
    assert config["input_size"] == 7
    fresh = TCN(**{**config, "input_size": None}).double().eval()
    fresh.load_state_dict(tcn.state_dict())  # built from the saved shapes, no call needed
    torch.testing.assert_close(fresh(x), y)
    assert TCN(**config).get_config() == config


def test_errors_name_the_argument():
    with pytest.raises(ConfigError, match="`dropout`"):
        TCN(4, dropout=1.0)
    with pytest.raises(ConfigError, match="`num_blocks`"):
        TCN(4, num_blocks=0)
    with pytest.raises(ConfigError, match="`dilation_rate`"):
        TemporalBlock(4, dilation_rate=0)
    with pytest.raises(ShapeError, match=r"\(B, T, C\)"):
        TCN(4)(torch.randn(2, 10))
