"""Sequential's Keras surface lives with the engine: the model names its trainer, training provides it."""

import numpy as np
import pytest

from seqlab.layers import Dense, LSTM
from seqlab.models import Sequential
from seqlab.training.sequential import SequentialTrainer


def test_the_default_trainer_is_the_engines():
    model = Sequential([LSTM(4), Dense(1)]).compile(loss="mse")
    assert isinstance(model.trainer, SequentialTrainer)
    assert model.compile_config["loss"] == "mse" and model.compile_config["optimizer"]["name"] == "adam"


def test_a_model_hands_fit_evaluate_predict_to_its_trainer(monkeypatch):
    calls = []

    class Recording:
        def compile(self, model, *args):
            calls.append("compile")
            return {"args": args}

        def fit(self, model, x, y, **options):
            calls.append(("fit", options["epochs"], options["batch_size"]))
            return "history"

        def evaluate(self, model, x, y, batch_size):
            calls.append("evaluate")
            return {"loss": 0.0}

        def predict(self, model, x, batch_size):
            calls.append("predict")
            return np.zeros((len(x), 1))

    monkeypatch.setattr(Sequential, "trainer", Recording())
    model = Sequential([Dense(1)]).compile(loss="mae")
    x = np.ones((4, 2), np.float32)
    assert model.fit(x, x[:, :1], epochs=3, batch_size=2) == "history" and model.history == "history"
    assert model.evaluate(x, x[:, :1]) == {"loss": 0.0} and model.predict(x).shape == (4, 1)
    assert calls == ["compile", ("fit", 3, 2), "evaluate", "predict"]


def test_fit_before_compile_names_the_step():
    from seqlab.errors import ConfigError

    with pytest.raises(ConfigError, match="call compile"):
        Sequential([Dense(1)]).fit(np.ones((4, 2)), np.ones((4, 1)))
