r"""The recurrent layers: SimpleRNN, LSTM and GRU, each a cell run by the one loop.

Each layer states only what is its own: the cell (equations in ``cells.py``), the cell's
arguments, its torch kernel and its seqlab kernel. The loop over time, masks, directions,
stacking, state carrying and every argument they share are ``Recurrent``'s (``rnn.py``); which
path a call takes is ``seqlab.kernels.dispatch``'s. Parameters carry torch.nn's names, so a
state dict saved from torch.nn.LSTM/GRU/RNN loads and gives the same outputs; the LSTM adds
``weight_peephole_l{k}`` of shape (3, units), rows i, f, o.

Symbols: B batch, T time steps, D input features, H units, L layers, dirs 1 or 2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ConfigError
from seqlab.kernels import native
from seqlab.layers.cells import GRUCell, LSTMCell, SimpleRNNCell
from seqlab.layers.rnn import Recurrent, scan, shared_arguments

__all__ = ["GRU", "LSTM", "Recurrent", "SimpleRNN", "scan"]


class SimpleRNN(Recurrent):
    r"""Elman recurrent layer (Keras' ``SimpleRNN``; torch.nn.RNN's weights).

    .. math:: h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Args:
        activation: ``tanh`` (default) or ``relu``.
        Other arguments (``num_layers``, ``bidirectional``, ``return_sequences``, ...): see
        ``seqlab.layers.rnn.Recurrent``.

    Example:
        >>> import torch
        >>> SimpleRNN(8, return_sequences=True)(torch.randn(2, 5, 3)).shape
        torch.Size([2, 5, 8])
    """

    @shared_arguments
    def __init__(self, units: int, *, activation: str = "tanh", **shared) -> None:
        super().__init__(units, **shared)
        if activation not in ("tanh", "relu"):
            raise ConfigError(f"{self.label}: `activation` must be 'tanh' or 'relu', got {activation!r}")
        self.activation = activation
        self._build_if_sized()

    @property
    def cell(self):
        return SimpleRNNCell(self.activation)

    @property
    def fused_mode(self) -> str:
        return "rnn_" + self.activation

    def native_scan(self, x, mask, state, w):
        (h0,) = state
        bias = w.bias_ih + w.bias_hh if self.use_bias else None
        gx = F.linear(x, w.weight_ih, bias)  # W_ih x_t + b_ih + b_hh, (T, B, H)
        hs = native.RNNFunction.apply(gx, w.weight_hh, h0, mask, self.activation == "relu")
        return hs, (hs[-1],)


class LSTM(Recurrent):
    r"""Long short-term memory layer, optionally with peepholes (torch.nn.LSTM's weights).

    Equations: ``cells.LSTMCell``. Gate rows are stacked i, f, g, o as in torch.

    Args:
        peephole: add diagonal peephole weights ``weight_peephole_l{k}`` (3, H), rows i, f, o:
            i and f see c_{t-1}, o sees c_t. Runs on seqlab's kernel (torch has none).
        layer_norm: layer-normalise both projections and the cell state in the output (Ba et
            al. 2016; equations in ``cells.py``). Adds ``weight_ln_ih_l{k}``,
            ``weight_ln_hh_l{k}`` (4H,), ``weight_ln_c_l{k}`` and ``bias_ln_c_l{k}`` (H,).
        forget_bias: initial value of the forget gate's bias (Keras' ``unit_forget_bias``,
            Jozefowicz et al. 2015). An initialiser, not a runtime term: it goes into
            ``bias_ih``'s f rows, so weights loaded from torch.nn give torch's outputs.
        Other arguments (``num_layers``, ``bidirectional``, ``return_sequences``, ...): see
        ``seqlab.layers.rnn.Recurrent``.

    Example:
        >>> import torch
        >>> y, (h, c) = LSTM(16, bidirectional=True, return_state=True)(torch.randn(4, 10, 3))
        >>> y.shape, h.shape
        (torch.Size([4, 32]), torch.Size([2, 4, 16]))
    """

    cell_class = LSTMCell

    @shared_arguments
    def __init__(self, units: int, *, peephole: bool = False, forget_bias: float = 1.0,
                 layer_norm: bool = False, **shared) -> None:
        super().__init__(units, **shared)
        self.peephole, self.forget_bias, self.layer_norm = peephole, forget_bias, layer_norm
        self._build_if_sized()

    @property
    def cell(self):
        return LSTMCell(layer_norm=self.layer_norm)

    def _add_cell_parameters(self, suffix: str) -> None:
        super()._add_cell_parameters(suffix)
        if self.peephole:
            self.register_parameter("weight_peephole" + suffix, nn.Parameter(torch.empty(3, self.units)))
        if self.layer_norm:
            self.register_parameter("weight_ln_c" + suffix, nn.Parameter(torch.empty(self.units)))
            self.register_parameter("bias_ln_c" + suffix, nn.Parameter(torch.empty(self.units)))

    def reset_parameters(self) -> None:
        super().reset_parameters()
        H = self.units
        for name, p in self.named_parameters(recurse=False):
            if name.startswith("bias_ih"):
                nn.init.constant_(p.data[H:2 * H], self.forget_bias)  # f rows

    @property
    def fused_mode(self) -> str | None:
        return None if self.peephole or self.layer_norm else "lstm"

    @property
    def no_kernel_reason(self) -> str:
        return f"torch has no kernel for a {'peephole' if self.peephole else 'layer-normalised'} LSTM"

    def native_scan(self, x, mask, state, w):
        h0, c0 = state
        if self.layer_norm:  # LN(W_ih x_t; γ_ih, b_ih); the kernel adds LN(W_hh h; γ_hh, b_hh)
            gx, ln_hh = self.cell.input_projection(x, w), (w.weight_ln_hh, w.bias_hh)
        else:  # W_ih x_t + b_ih + b_hh
            gx = F.linear(x, w.weight_ih, w.bias_ih + w.bias_hh if self.use_bias else None)
            ln_hh = (None, None)
        hs, c_T = native.LSTMFunction.apply(gx, w.weight_hh, w.weight_peephole, *ln_hh,
                                            w.weight_ln_c, w.bias_ln_c, h0, c0, mask)
        return hs, (hs[-1], c_T)


class GRU(Recurrent):
    r"""Gated recurrent unit layer (torch.nn.GRU's formulation and weights).

    Equations: ``cells.GRUCell``. Gate rows are stacked r, z, n as in torch.

    Args:
        layer_norm: layer-normalise both projections (Ba et al. 2016; see ``cells.py``). Adds
            ``weight_ln_ih_l{k}`` and ``weight_ln_hh_l{k}`` (3H,).
        Other arguments (``num_layers``, ``bidirectional``, ``return_sequences``, ...): see
        ``seqlab.layers.rnn.Recurrent``.

    Example:
        >>> import torch
        >>> GRU(8, num_layers=2, return_sequences=True)(torch.randn(2, 6, 3)).shape
        torch.Size([2, 6, 8])
    """

    cell_class = GRUCell

    @shared_arguments
    def __init__(self, units: int, *, layer_norm: bool = False, **shared) -> None:
        super().__init__(units, **shared)
        self.layer_norm = layer_norm
        self._build_if_sized()

    @property
    def cell(self):
        return GRUCell(layer_norm=self.layer_norm)

    @property
    def fused_mode(self) -> str | None:
        return None if self.layer_norm else "gru"

    no_kernel_reason = "torch has no kernel for a layer-normalised GRU"

    def native_scan(self, x, mask, state, w):
        (h0,) = state
        gx = self.cell.input_projection(x, w)  # W_ih x_t + b_ih, or LN(W_ih x_t; γ_ih, b_ih)
        hs = native.GRUFunction.apply(gx, w.weight_hh, w.bias_hh, w.weight_ln_hh, h0, mask)
        return hs, (hs[-1],)
