"""Truncated BPTT from ``fit``: a stateful character model on Tiny Shakespeare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from seqlab import Sequential
from seqlab.data.streams import stream_chunks
from seqlab.errors import ConfigError
from seqlab.layers import LSTM, Dense, Embedding

SHAKESPEARE = Path(__file__).resolve().parents[3] / "shared" / "data" / "text" / "tinyshakespeare.txt"


class StateAtBatchStart(Callback):
    """Records whether the stateful layer carries a state when each training batch starts."""

    def __init__(self, layer):
        self.layer, self.carried = layer, []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.carried.append(self.layer._carried_state is not None)


def test_stateful_char_model_learns_and_resets_each_epoch():
    text = SHAKESPEARE.read_text(encoding="utf-8")[:60_000]
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    split = 50_000
    x, y = stream_chunks(ids[:split - 1], batch_size=16, steps=32, targets=ids[1:split])
    x_val, y_val = stream_chunks(ids[split:-1], batch_size=16, steps=32, targets=ids[split + 1:])
    torch.manual_seed(0)
    lstm = LSTM(96, return_sequences=True, stateful=True)
    model = Sequential([Embedding(len(chars), 32), lstm, Dense(len(chars))])
    model.compile(optimizer="adam", learning_rate=3e-3, loss="sparse_categorical_crossentropy", from_logits=True)
    with pytest.raises(ConfigError, match="is stateful, so batches must come in stream order: pass shuffle=False"):
        model.fit(x, y, batch_size=16, epochs=1)
    probe = StateAtBatchStart(lstm)
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, callbacks=[probe])
    steps = len(x) // 16
    # every epoch starts from a zero state, then carries it batch to batch
    assert probe.carried == ([False] + [True] * (steps - 1)) * 3
    counts = np.bincount(ids[:split], minlength=len(chars)) + 1
    unigram = float(-(counts / counts.sum() * np.log(counts / counts.sum())).sum())  # nats/char
    val_loss = model.evaluate(x_val, y_val, batch_size=16)["loss"]
    assert val_loss < unigram - 0.6, (val_loss, unigram)


def test_stateful_models_stream_in_whole_batches_of_one_size():
    from torch.utils.data import DataLoader, TensorDataset

    from seqlab.errors import DataError

    x = np.random.default_rng(0).standard_normal((24, 5, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None]
    model = Sequential([LSTM(4, stateful=True), Dense(1)])
    model.build((5, 2))
    assert model(torch.from_numpy(x[:3])).shape == (3, 1)  # build left no 1-row state behind
    model.reset_states()
    model.compile(loss="mse")
    with pytest.raises(ConfigError, match=r"evaluate: .*is stateful: pass the batch_size"):
        model.evaluate(x, y)
    with pytest.raises(DataError, match=r"fit: .*is stateful, but 22 samples do not make whole batches of 4"):
        model.fit(x[:22], y[:22], batch_size=4, shuffle=False)
    shuffled = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=4, shuffle=True)
    with pytest.raises(ConfigError, match="pass shuffle=False"):
        model.fit(shuffled, shuffle=False)
    # validation_split keeps whole batches: 24 * 0.3 = 7.2 -> 4 held out
    history = model.fit(x, y, batch_size=4, shuffle=False, validation_split=0.3, epochs=1)
    assert "val_loss" in history.history
    assert set(model.evaluate(x, y)) == {"loss"}  # fit's batch size of 4
    assert model.predict(x).shape == (24, 1)
