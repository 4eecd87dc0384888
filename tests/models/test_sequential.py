"""Sequential: the Keras surface on real data, saving and loading, and bad input."""

import numpy as np
import pytest
import torch

import seqlab
from seqlab.data.registry import resolve
from seqlab.data.series import StandardScaler, make_windows, read_series
from seqlab.errors import ConfigError, DataError, ShapeError, WeightsError
from seqlab.layers import LSTM, Dense, Dropout
from seqlab.models.io import save_tensors


@pytest.fixture(scope="module")
def ett_windows():
    """Next-hour OT from the last 24 hours, the first 2,000 rows of ETTh1, standardised."""
    values = read_series(resolve("etth1"), columns=["OT"])[["OT"]].to_numpy()[:2000]
    scaled = StandardScaler().fit(values[:1500]).transform(values)
    x, y = make_windows(scaled, 24, 1, [0], [0])
    return x, y.reshape(len(y), 1)


def small_model():
    model = seqlab.Sequential([LSTM(16), Dropout(0.1), Dense(1)])
    return model.compile(optimizer={"name": "adam", "lr": 0.01}, loss="mse", metrics=["mae", "rmse"])


def test_fit_lowers_the_loss_and_reports_keras_history(ett_windows):
    x, y = ett_windows
    model = small_model()
    history = model.fit(x, y, epochs=3, batch_size=64, validation_split=0.2, seed=0)
    assert set(history.history) >= {"loss", "mae", "rmse", "val_loss", "val_mae", "val_rmse"}
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = model.evaluate(x[-300:], y[-300:])
    assert set(result) >= {"loss", "mae", "rmse"}
    assert result["rmse"] == pytest.approx(result["loss"] ** 0.5, rel=1e-3)
    assert model.predict(x[:10]).shape == (10, 1)


def test_summary_lists_layers_shapes_and_parameter_counts():
    model = seqlab.Sequential([LSTM(16, return_sequences=True), LSTM(8), Dense(1)], input_shape=(24, 3))
    text = model.summary()
    assert "lstm (LSTM)" in text and "lstm_1 (LSTM)" in text and "dense (Dense)" in text
    assert "(None, 24, 16)" in text and "(None, 8)" in text and "(None, 1)" in text
    lstm0 = 4 * 16 * (3 + 16) + 2 * 4 * 16  # torch layout: two bias vectors
    assert f"{lstm0:,}" in text
    total = sum(p.numel() for p in model.parameters())
    assert f"Total params: {total:,}" in text


def test_save_and_load_give_identical_predictions(tmp_path, ett_windows):
    x, y = ett_windows
    model = small_model()
    model.fit(x[:512], y[:512], epochs=1, batch_size=64)
    model.save(tmp_path / "m")
    again = seqlab.load_model(tmp_path / "m")
    np.testing.assert_array_equal(model.predict(x[:64]), again.predict(x[:64]))
    assert again.compile_config == model.compile_config
    assert not list((tmp_path / "m").glob("*.pt")) and not list((tmp_path / "m").glob("*.pkl"))


def test_loading_a_corrupt_or_foreign_weights_file_is_refused(tmp_path):
    model = seqlab.Sequential([LSTM(4), Dense(1)], input_shape=(5, 2)).compile(loss="mse")
    model.save(tmp_path / "m")
    (tmp_path / "m" / "weights.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(WeightsError, match="weights.safetensors"):
        seqlab.load_model(tmp_path / "m")
    save_tensors(tmp_path / "m" / "weights.safetensors", {"encoder.weight": torch.zeros(3, 3)})
    with pytest.raises(WeightsError, match="do not match"):
        seqlab.load_model(tmp_path / "m")
    with pytest.raises(WeightsError, match="model.json"):
        seqlab.load_model(tmp_path)


def test_a_shape_mismatch_names_the_layer_and_both_shapes():
    model = seqlab.Sequential([LSTM(4), Dense(1)], input_shape=(5, 2))
    with pytest.raises(ShapeError) as info:
        model(torch.zeros(3, 5, 7))
    assert "lstm" in str(info.value) and "(B, ?, 2)" in str(info.value) and "(3, 5, 7)" in str(info.value)


def test_non_finite_or_empty_inputs_are_refused(ett_windows):
    x, y = ett_windows
    model = small_model()
    bad = x[:100].copy()
    bad[7, 3, 0] = np.nan
    with pytest.raises(DataError, match=r"x contains NaN or Inf \(first at index \(7, 3, 0\)\)"):
        model.fit(bad, y[:100], epochs=1)
    with pytest.raises(DataError, match="empty"):
        model.fit(x[:0], y[:0], epochs=1)
    with pytest.raises(DataError, match="100 samples but y has 99"):
        model.fit(x[:100], y[:99], epochs=1)


def test_compile_and_fit_reject_unknown_keys():
    model = seqlab.Sequential([Dense(1)])
    with pytest.raises(ConfigError, match="lr_rate"):
        model.compile(optimizer={"name": "adam", "lr_rate": 0.1})
    with pytest.raises(ConfigError, match="fit"):
        model.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32))
    model.compile(loss="mse")
    with pytest.raises(ConfigError, match="epoch_count"):
        model.fit(np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32), epoch_count=3)


def test_torch_tensors_dataloaders_and_float64(ett_windows, tmp_path):
    from torch.utils.data import DataLoader, TensorDataset
    x, y = ett_windows
    xt, yt = torch.tensor(x[:256], dtype=torch.float64), torch.tensor(y[:256], dtype=torch.float64)
    model = small_model()
    history = model.fit(xt, yt, epochs=2, batch_size=64)  # float64 tensors into a float32 model
    assert len(history.history["loss"]) == 2
    loader = DataLoader(TensorDataset(xt, yt), batch_size=64)
    model.fit(loader, epochs=1)
    assert model.predict(loader).shape == (256, 1)
    with pytest.raises(ConfigError, match="validation_split"):
        model.fit(loader, validation_split=0.2)
    with pytest.raises(DataError, match="no batches"):
        small_model().fit(DataLoader(TensorDataset(xt[:0], yt[:0])), epochs=1)
    with pytest.raises(ConfigError, match="callbacks must be lightning Callback"):
        model.fit(xt, yt, callbacks=[object()])
    double = seqlab.Sequential([LSTM(4), Dense(1)], input_shape=(24, 1)).double().compile(loss="mse")
    double.save(tmp_path / "d")
    again = seqlab.load_model(tmp_path / "d")
    assert next(again.parameters()).dtype == torch.float64
    np.testing.assert_array_equal(double.predict(xt[:8]), again.predict(xt[:8]))
