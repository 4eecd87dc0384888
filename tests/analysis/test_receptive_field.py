"""The receptive field formula against hand-computed values and against gradients."""

from pathlib import Path

import pytest
import torch
import yaml
from torch import nn

from seqlab.analysis import receptive_field as rf_module
from seqlab.analysis.receptive_field import receptive_field
from seqlab.errors import ConfigError
from seqlab import Sequential
from seqlab.layers import TCN, Conv1D, GlobalAveragePooling1D, MaxPooling1D, TemporalBlock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_model(name: str) -> list:
    return yaml.safe_load((EXAMPLES / name).read_text())["model"]


def conv1d(k: int, **args) -> dict:
    return {"conv1d": {"filters": 4, "kernel_size": k, **args}}


def test_seed_conv1d_series_example():
    # conv k=3: r = 3; max pool 2: r = 3 + 1*1 = 4, j = 2; then Flatten
    out = receptive_field(example_model("b_conv1d_series.yaml"))
    assert (out["receptive_field"], out["jump"]) == (4, 2)
    assert out["stack_ends_at"] == "model[2] flatten"
    assert out["empirical"] == 4 and out["agrees"] is True
    assert [row["layer"] for row in out["layers"]] == ["model[0] conv1d", "model[1] max_pooling1d"]


def test_seed_mnist_cnn_example_per_axis():
    # conv3: 3 | pool2: 3+1=4, j=2 | conv3: 4+2*2=8 | pool2: 8+1*2=10, j=4 | conv3: 10+2*4=18
    out = receptive_field(example_model("e_mnist_cnn.yaml"))
    assert out["receptive_field"] == [18, 18] and out["jump"] == [4, 4]
    assert out["stack_ends_at"] == "model[5] flatten"
    assert out["empirical"] == [18, 18] and out["agrees"] is True
    assert out["input_length"] == [2 * 18 + 2 * 4 + 32] * 2


def test_conv_pool_conv_by_hand():
    # conv3 sees 3 steps; pool 2 adds (2-1)*1 = 1 (two neighbouring conv outputs: 4 steps), j = 2;
    # conv3 on the pooled axis adds (3-1)*2 = 4: 1 + 2 + 1 + 4 = 8
    out = receptive_field([conv1d(3), {"max_pooling1d": {}}, conv1d(3)])
    assert out["receptive_field"] == 8 and out["empirical"] == 8
    assert out["stack_ends_at"] is None and out["stop_reason"] is None
    assert [row["receptive_field"] for row in out["layers"]] == [3, 4, 8]
    assert [row["jump"] for row in out["layers"]] == [1, 2, 2]


def test_stride_and_dilation_by_hand():
    # conv k=5 s=2: r=5, j=2 | max pool 2: r=5+1*2=7, j=4 | conv k=3 d=2: r=7+2*2*4=23
    spec = [conv1d(5, strides=2, activation="relu"), {"max_pooling1d": {"pool_size": 2}},
            conv1d(3, dilation_rate=2, activation="relu"), {"flatten": {}}, {"dense": {"units": 1}}]
    out = receptive_field(spec)
    assert (out["receptive_field"], out["jump"]) == (23, 4)
    assert out["layers"][2] == {"layer": "model[2] conv1d", "kernel": 3, "stride": 1, "dilation": 2,
                                "receptive_field": 23, "jump": 4}
    assert out["empirical"] == 23 and out["agrees"] is True


@pytest.mark.parametrize("spec, expected", [
    ([conv1d(4, padding="causal", dilation_rate=3), conv1d(2, padding="causal")], 1 + 3 * 3 + 1),
    ([conv1d(3, padding="same", strides=2), {"average_pooling1d": {"pool_size": 3, "strides": 1, "padding": "same"}},
      conv1d(3, padding="same")], 3 + 2 * 2 + 2 * 2),
    ([{"sum_pooling1d": {"pool_size": 2, "strides": 3}}, conv1d(3, padding="causal")], 2 + 2 * 3),
    ([{"moving_average": {"kernel_size": 5}}, {"dense": {"units": 3, "activation": "tanh"}},
      {"dropout": {"rate": 0.5}}, conv1d(3, activation="softmax")], 5 + 2),
    ([{"max_pooling1d": {}}] * 5 + [conv1d(2, padding="causal")], 32 + 32),  # j = 32: the widest jump
], ids=["causal", "same-strided", "sum-pool-gaps", "moving-average-per-step", "five-pools"])
def test_formula_matches_gradients(spec, expected):
    out = receptive_field(spec, input_shape=(None, 2))
    assert out["receptive_field"] == expected
    assert out["empirical"] == expected and out["agrees"] is True


def test_tcn_agrees_with_its_property_and_closed_form():
    k, n = 3, 4
    out = receptive_field([{"tcn": {"filters": 6, "kernel_size": k, "num_blocks": n}}, {"dense": {"units": 1}}])
    assert out["receptive_field"] == TCN(6, k, n).receptive_field == 1 + 2 * (k - 1) * (2 ** n - 1) == 61
    assert out["empirical"] == 61 and out["agrees"] is True
    assert [row["layer"] for row in out["layers"][:3]] == [
        "model[0] tcn.blocks[0].conv1", "model[0] tcn.blocks[0].conv2", "model[0] tcn.blocks[1].conv1"]
    assert [row["dilation"] for row in out["layers"][:8]] == [1, 1, 2, 2, 4, 4, 8, 8]


def test_tcn_without_sequences_counts_its_blocks_then_ends_the_stack():
    tcn = TCN(4, kernel_size=2, num_blocks=3, return_sequences=False, weight_norm=True)
    out = receptive_field([tcn, nn.Linear(4, 1)], input_shape=(None, 3))
    assert out["receptive_field"] == tcn.receptive_field == 15 and out["agrees"] is True
    assert out["stack_ends_at"] == "model[0] tcn" and "return_sequences=False" in out["stop_reason"]
    assert tcn.return_sequences is False  # the check ran on a copy


def test_temporal_blocks_stacked_by_hand():
    blocks = [TemporalBlock(5, 3, dilation_rate=1), TemporalBlock(5, 3, dilation_rate=3)]
    out = receptive_field(blocks)
    assert out["receptive_field"] == blocks[0].receptive_field + blocks[1].receptive_field - 1 == 17
    assert out["agrees"] is True


def test_conv2d_stack_per_axis():
    # rows: 3 | pool 2: 4, j=2 | k=2 d=2: 4+1*2*2 = 8;  columns: 5, j=2 | pool 1: 5 | k=3: 5+2*2 = 9
    spec = [{"conv2d": {"filters": 3, "kernel_size": [3, 5], "strides": [1, 2], "activation": "relu"}},
            {"average_pooling2d": {"pool_size": [2, 1]}},
            {"conv2d": {"filters": 3, "kernel_size": [2, 3], "dilation_rate": [2, 1], "padding": "same"}},
            {"max_pooling2d": {"pool_size": 1}}]
    out = receptive_field(spec, input_shape=(28, 28, 2))
    assert out["receptive_field"] == [8, 9] and out["jump"] == [2, 2]
    assert out["empirical"] == [8, 9] and out["agrees"] is True
    assert out["layers"][0]["kernel"] == [3, 5] and out["layers"][0]["stride"] == [1, 2]


def test_embedding_text_model_counts_tokens():
    spec = [{"embedding": {"input_dim": 50, "output_dim": 6, "padding_idx": 0}},
            conv1d(5, activation="relu"), {"max_pooling1d": {"pool_size": 2}}, conv1d(3, activation="relu"),
            {"global_max_pooling1d": {}}, {"dense": {"units": 2, "activation": "softmax"}}]
    out = receptive_field(spec)
    assert out["receptive_field"] == 5 + 1 + 2 * 2 == 10
    assert out["stack_ends_at"] == "model[4] global_max_pooling1d"
    assert out["empirical"] == 10 and out["agrees"] is True


def test_a_model_without_windows_is_an_error_naming_the_layer():
    with pytest.raises(ConfigError, match=r"no convolution, pooling or TCN layer before model\[0\] lstm"):
        receptive_field([{"lstm": {"units": 8}}, {"dense": {"units": 1}}])
    with pytest.raises(ConfigError, match=r"before model\[1\] revin .*whole window"):
        receptive_field([{"dense": {"units": 4}}, {"revin": {}}, conv1d(3)])
    with pytest.raises(ConfigError, match=r"before its end \(model\[0\]\)"):
        receptive_field([{"dense": {"units": 4}}])


def test_unknown_and_whole_axis_layers_end_the_stack():
    class Reverse(nn.Module):
        def forward(self, x):
            return x.flip(1)

    out = receptive_field([Conv1D(4, 3, name="enc"), Reverse(), Conv1D(4, 7)])
    assert out["layers"][0]["layer"] == "model[0] conv1d 'enc'"
    assert out["stack_ends_at"] == "model[1] Reverse" and out["receptive_field"] == 3 and out["agrees"]
    out = receptive_field([conv1d(3), {"lstm": {"units": 4, "return_sequences": True}}, conv1d(9)])
    assert out["stack_ends_at"] == "model[1] lstm" and out["receptive_field"] == 3
    out = receptive_field(Sequential([Conv1D(4, 3), GlobalAveragePooling1D()]))
    assert out["stack_ends_at"] == "model[1] global_average_pooling1d" and out["agrees"]
    out = receptive_field([conv1d(3), {"attention_pooling": {}}], check=False)
    assert out["stack_ends_at"] == "model[1] attention_pooling"
    assert (out["empirical"], out["agrees"], out["input_length"]) == (None, None, None)


def test_the_check_catches_a_wrong_formula(monkeypatch):
    # pretend a TemporalBlock holds one convolution: the formula says 1 + 2*1 = 3, gradients 5
    monkeypatch.setattr(rf_module, "_block_windows", lambda k, d, prefix: [(prefix + ".conv1", (k,), (1,), (d,))])
    out = receptive_field([TemporalBlock(3, 3)])
    assert out["receptive_field"] == 3 and out["empirical"] == 5 and out["agrees"] is False


def test_dead_relus_and_built_layers_are_handled_without_touching_them():
    conv = Conv1D(4, 3, activation="relu")
    conv(torch.randn(2, 20, 3))  # built, float32, for 3 channels
    with torch.no_grad():
        conv.weight.copy_(-conv.weight.abs())
        conv.bias.fill_(-1.0)  # dead for every positive input
    before = conv.weight.clone()
    out = receptive_field([conv, MaxPooling1D(3), Conv1D(2, 2, activation="relu")])
    assert out["receptive_field"] == 3 + 2 + 1 * 3 == 8 and out["agrees"] is True
    assert conv.weight.dtype == torch.float32 and torch.equal(conv.weight, before)


def test_a_spec_that_is_not_a_list_is_an_error():
    with pytest.raises(ConfigError, match="expected a model spec"):
        receptive_field({"conv1d": {"filters": 4, "kernel_size": 3}})
