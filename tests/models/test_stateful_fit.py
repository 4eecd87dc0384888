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
