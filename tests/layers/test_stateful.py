"""Stateful recurrent layers: truncated BPTT over consecutive chunks of a stream."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.streams import stream_chunks
from seqlab.errors import ConfigError, ShapeError
from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN

B, T, D, H = 3, 12, 2, 4
LAYERS = {
    "lstm": lambda **kw: LSTM(H, **kw),
    "lstm_peephole": lambda **kw: LSTM(H, peephole=True, **kw),
    "gru_layer_norm": lambda **kw: GRU(H, layer_norm=True, **kw),
    "rnn": lambda **kw: SimpleRNN(H, **kw),
}


@pytest.mark.parametrize("kind", list(LAYERS))
def test_chunks_fed_in_order_give_the_whole_sequence(kind):
    torch.manual_seed(0)
    whole = LAYERS[kind](return_sequences=True, num_layers=2, input_size=D)
    stateful = LAYERS[kind](return_sequences=True, num_layers=2, input_size=D, stateful=True)
    stateful.load_state_dict(whole.state_dict())
    x = torch.randn(B, T, D)
    chunks = [stateful(part) for part in x.split(4, dim=1)]
    torch.testing.assert_close(torch.cat(chunks, dim=1), whole(x), atol=1e-6, rtol=1e-5)
    stateful.reset_states()
    torch.testing.assert_close(stateful(x[:, :4]), whole(x[:, :4]), atol=1e-6, rtol=1e-5)


def test_the_gradient_stops_at_the_chunk_boundary():
    layer = LSTM(H, stateful=True, input_size=D)
    first = torch.randn(B, 5, D, requires_grad=True)
    second = torch.randn(B, 5, D, requires_grad=True)
    layer(first)
    layer(second).sum().backward()
    assert first.grad is None and second.grad.abs().sum() > 0


def test_stateful_errors():
    layer = LSTM(H, stateful=True, input_size=D)
    layer(torch.randn(B, 5, D))
    with pytest.raises(ShapeError, match=r"LSTM: this stateful layer carries the state of a batch of 3 sequences but got 2"):
        layer(torch.randn(2, 5, D))
    layer.reset_states()
    assert layer(torch.randn(2, 5, D)).shape == (2, H)
    with pytest.raises(ConfigError, match="bidirectional layer's backward direction has no next chunk"):
        GRU(H, stateful=True, bidirectional=True)


def test_stream_chunks_lays_rows_out_as_continuing_streams():
    stream = np.arange(50)
    x, y = stream_chunks(stream, batch_size=2, steps=4, targets=stream + 100)
    # 50 steps -> 2 parts of 24 steps (the last 2 dropped), 6 chunks each
    assert x.shape == (12, 4) and y.shape == (12, 4)
    assert x[0].tolist() == [0, 1, 2, 3] and x[1].tolist() == [24, 25, 26, 27]
    assert x[2].tolist() == [4, 5, 6, 7] and x[3].tolist() == [28, 29, 30, 31]
    assert (y - x == 100).all()
    features = stream_chunks(np.arange(40).reshape(20, 2), batch_size=2, steps=5)
    assert features.shape == (4, 5, 2) and features[1, 0].tolist() == [20, 21]
    with pytest.raises(Exception, match="cannot fill 4 parts of one 10-step chunk"):
        stream_chunks(np.arange(30), batch_size=4, steps=10)
