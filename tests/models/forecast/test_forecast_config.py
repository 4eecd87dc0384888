"""ForecastShape and ForecasterConfig: validation that names the key, per-model defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seqlab.errors import ConfigError
from seqlab.models.forecast import MODEL_DEFAULTS, MODEL_NAMES, ForecasterConfig, ForecastShape, build_forecaster


def test_model_names_are_the_documented_ones():
    assert MODEL_NAMES == ("lstm", "gru", "rnn", "stacked-lstm", "cnn", "tcn", "seq2seq", "segrnn",
                           "cycle-segrnn", "linear", "dlinear", "naive", "seasonal-naive", "mean")
    assert set(MODEL_DEFAULTS) == set(MODEL_NAMES)


@pytest.mark.parametrize("name, expected", [
    ("lstm", {"hidden": 64, "layers": 1, "dropout": 0.0, "revin": False, "channel_independent": False}),
    ("stacked-lstm", {"hidden": 64, "layers": 2}),
    ("tcn", {"hidden": 32, "layers": None}),
    ("segrnn", {"hidden": 512, "layers": 1, "dropout": 0.5, "revin": False, "channel_independent": True}),
    ("linear", {"hidden": None, "revin": False, "channel_independent": False}),
])
def test_resolved_fills_the_model_defaults(name, expected):
    resolved = ForecasterConfig(name=name).resolved()
    assert {k: getattr(resolved, k) for k in expected} == expected


def test_given_values_win_over_defaults_and_dumps_round_trip():
    cfg = ForecasterConfig(name="segrnn", hidden=128, channel_independent=False, revin=True)
    resolved = cfg.resolved()
    assert (resolved.hidden, resolved.channel_independent, resolved.revin, resolved.dropout) == (128, False, True, 0.5)
    assert ForecasterConfig(**resolved.model_dump()) == resolved
    assert ForecasterConfig.model_validate_json(cfg.model_dump_json()) == cfg


def test_built_model_keeps_the_resolved_config():
    net = build_forecaster(ForecasterConfig(name="gru", hidden=8), ForecastShape(24, 6, 2, (1,)))
    assert net.config.layers == 1 and net.config.hidden == 8


def test_tcn_depth_default_comes_from_the_lookback():
    cfg = ForecasterConfig(name="tcn")
    assert cfg.resolved(ForecastShape(48, 6, 1, (0,))).layers == 4  # receptive field 61 >= 48
    assert cfg.resolved(ForecastShape(96, 6, 1, (0,))).layers == 5  # 125 >= 96
    assert build_forecaster(cfg, ForecastShape(96, 6, 1, (0,))).config.layers == 5


@pytest.mark.parametrize("kwargs, key", [
    ({"name": "lstm", "hiden": 8}, "hiden"),
    ({"name": "transformer"}, "name"),
    ({"name": "lstm", "hidden": 0}, "hidden"),
    ({"name": "gru", "dropout": 1.0}, "dropout"),
    ({"name": "seq2seq", "teacher_forcing": 1.5}, "teacher_forcing"),
    ({"name": "cnn", "padding": "valid"}, "padding"),
])
def test_invalid_values_name_the_key(kwargs, key):
    with pytest.raises(ValidationError) as info:
        ForecasterConfig(**kwargs)
    assert key in str(info.value)


@pytest.mark.parametrize("kwargs, key", [
    ({"name": "lstm", "seg_len": 24}, "seg_len"),
    ({"name": "segrnn", "kernel_size": 5}, "kernel_size"),
    ({"name": "tcn", "moving_avg": 13}, "moving_avg"),
    ({"name": "naive", "revin": True}, "revin"),
])
def test_keys_of_other_models_are_refused(kwargs, key):
    with pytest.raises(ValidationError, match=f"`{key}`"):
        ForecasterConfig(**kwargs)


def test_keys_at_their_default_are_accepted_on_any_model():
    ForecasterConfig(name="lstm", seg_len=None, kernel_size=3, season=None)  # a full dump reloads


@pytest.mark.parametrize("kwargs, key", [
    ({"lookback": 0}, "lookback"), ({"horizon": -1}, "horizon"), ({"n_inputs": 0}, "n_inputs"),
    ({"target_idx": ()}, "target_idx"), ({"target_idx": (3,)}, "target_idx"),
    ({"target_idx": (1, 1)}, "target_idx"), ({"n_marks": -1}, "n_marks"), ({"season": 0}, "season"),
])
def test_shape_errors_name_the_field(kwargs, key):
    args = {"lookback": 24, "horizon": 6, "n_inputs": 3, "target_idx": (2,), **kwargs}
    with pytest.raises(ConfigError, match=f"`{key}`"):
        ForecastShape(**args)


def test_shape_takes_target_lists_as_tuples():
    shape = ForecastShape(24, 6, 3, [2, 0])
    assert shape.target_idx == (2, 0) and shape.n_targets == 2
    hash(shape)  # frozen and hashable


def test_individual_and_channel_independent_exclude_each_other():
    with pytest.raises(ConfigError, match="`individual`.*`channel_independent`"):
        build_forecaster(ForecasterConfig(name="linear", individual=True, channel_independent=True),
                         ForecastShape(24, 6, 3, (2,)))


def test_build_refuses_other_arguments():
    with pytest.raises(ConfigError, match="ForecasterConfig"):
        build_forecaster({"name": "lstm"}, ForecastShape(24, 6, 3, (2,)))
