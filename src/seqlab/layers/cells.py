r"""One time step of each recurrent cell: the equations, one line each.

A cell's ``step(gx_t, state, w)`` takes the input projection of this step,
``gx_t = W_ih x_t + b_ih`` (the loop in ``recurrent.py`` computes it for every step at once,
as cuDNN and oneDNN do), the state before the step, and the layer's weights ``w`` for one
layer and direction; it returns ``(h_t, state_t)``. Weight layout and gate order are
torch.nn's: LSTM rows stacked as (i, f, g, o), GRU as (r, z, n).

With ``layer_norm=True`` (Ba et al. 2016, "Layer Normalization", section 3.1 and eq. 20-22)
both projections are layer-normalised over their G*H summed inputs before they meet, the
biases ``b_ih``/``b_hh`` serving as the norms' shifts:
``W_ih x_t + b_ih -> LN(W_ih x_t; γ_ih, b_ih)`` and ``W_hh h_{t-1} + b_hh -> LN(W_hh h_{t-1}; γ_hh, b_hh)``,
with ``LN(a; γ, β) = γ ⊙ (a − mean(a)) / sqrt(var(a) + 1e-5) + β`` over the last axis; the
LSTM also normalises the cell state inside its output, ``h_t = o_t ⊙ tanh(LN(c_t; γ_c, β_c))``,
while c_t itself, carried to the next step, stays unnormalised (as in the paper).

Symbols: B batch, H units, G number of gates.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

State = tuple[torch.Tensor, ...]


class CellWeights(NamedTuple):
    """The weights of one layer and direction, named as in torch.nn."""

    weight_ih: torch.Tensor  # (G*H, D)
    weight_hh: torch.Tensor  # (G*H, H)
    bias_ih: torch.Tensor | None  # (G*H,)
    bias_hh: torch.Tensor | None  # (G*H,)
    weight_peephole: torch.Tensor | None = None  # (3, H): rows i, f, o (LSTM only)
    weight_ln_ih: torch.Tensor | None = None  # (G*H,): γ_ih of the layer norm (layer_norm=True)
    weight_ln_hh: torch.Tensor | None = None  # (G*H,): γ_hh
    weight_ln_c: torch.Tensor | None = None  # (H,): γ_c (LSTM)
    bias_ln_c: torch.Tensor | None = None  # (H,): β_c (LSTM)


LN_EPS = 1e-5  # torch.nn.LayerNorm's default


def layer_norm(a: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor | None) -> torch.Tensor:
    """LN(a; γ, β) over the last axis."""
    return F.layer_norm(a, a.shape[-1:], gamma, beta, LN_EPS)


class Cell:
    """What every cell shares: the two projections, plain or layer-normalised."""

    def __init__(self, layer_norm: bool = False) -> None:
        self.layer_norm = layer_norm

    def input_projection(self, x: torch.Tensor, w: CellWeights) -> torch.Tensor:
        """W_ih x_t + b_ih for every step at once, (..., G*H); or LN(W_ih x_t; γ_ih, b_ih)."""
        if self.layer_norm:
            return layer_norm(F.linear(x, w.weight_ih), w.weight_ln_ih, w.bias_ih)
        return F.linear(x, w.weight_ih, w.bias_ih)

    def recurrent_projection(self, h: torch.Tensor, w: CellWeights) -> torch.Tensor:
        """W_hh h_{t-1} + b_hh, (B, G*H); or LN(W_hh h_{t-1}; γ_hh, b_hh)."""
        if self.layer_norm:
            return layer_norm(F.linear(h, w.weight_hh), w.weight_ln_hh, w.bias_hh)
        return F.linear(h, w.weight_hh, w.bias_hh)


class SimpleRNNCell(Cell):
    r"""Elman's recurrence.

    .. math::
        h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \quad \phi \in \{\tanh, \mathrm{relu}\}
    """

    num_gates = 1
    num_states = 1

    def __init__(self, activation: str = "tanh") -> None:
        super().__init__(layer_norm=False)
        self.phi = {"tanh": torch.tanh, "relu": torch.relu}[activation]

    def step(self, gx_t: torch.Tensor, state: State, w: CellWeights) -> tuple[torch.Tensor, State]:
        (h,) = state  # (B, H)
        h = self.phi(gx_t + self.recurrent_projection(h, w))  # h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
        return h, (h,)


class LSTMCell(Cell):
    r"""Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

    .. math::
        i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi} + p_i \odot c_{t-1}) \\
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} + p_f \odot c_{t-1}) \\
        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t \\
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho} + p_o \odot c_t) \\
        h_t = o_t \odot \tanh(c_t)

    The peephole terms ``p`` (Gers & Schmidhuber 2000, diagonal weights) are present only with
    ``peephole=True``; otherwise these are exactly torch.nn.LSTM's equations. As in Gers &
    Schmidhuber, i and f look at c_{t-1} and o looks at the new c_t. Seed document 004 feeds
    c_{t-1} to the output gate and to the candidate g as well; we follow the original paper
    (and TensorFlow's and cuDNN-era implementations), where g has no peephole.
    """

    num_gates = 4
    num_states = 2

    def step(self, gx_t: torch.Tensor, state: State, w: CellWeights) -> tuple[torch.Tensor, State]:
        h, c = state  # (B, H) each
        xi, xf, xg, xo = gx_t.chunk(4, dim=-1)  # W_i* x_t + b_i*, (B, H) each
        hi, hf, hg, ho = self.recurrent_projection(h, w).chunk(4, dim=-1)  # W_h* h_{t-1} + b_h*
        p_i, p_f, p_o = w.weight_peephole if w.weight_peephole is not None else (0.0, 0.0, 0.0)
        i = torch.sigmoid(xi + hi + p_i * c)  # i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi + p_i ⊙ c_{t-1})
        f = torch.sigmoid(xf + hf + p_f * c)  # f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf + p_f ⊙ c_{t-1})
        g = torch.tanh(xg + hg)  # g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        c = f * c + i * g  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        o = torch.sigmoid(xo + ho + p_o * c)  # o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho + p_o ⊙ c_t)
        c_hat = layer_norm(c, w.weight_ln_c, w.bias_ln_c) if self.layer_norm else c  # LN(c_t; γ_c, β_c)
        h = o * torch.tanh(c_hat)  # h_t = o_t ⊙ tanh(c_t), or o_t ⊙ tanh(LN(c_t))
        return h, (h, c)


class GRUCell(Cell):
    r"""Gated recurrent unit (Cho et al. 2014) in torch.nn.GRU's formulation.

    .. math::
        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    The reset gate multiplies ``W_hn h_{t-1} + b_hn`` (as cuDNN and torch do), not
    ``h_{t-1}`` before the product as in Cho et al.'s paper. Seed document 004 writes the
    update without the ``z_t ⊙ h_{t-1}`` term and swaps the names of r and z; we follow the
    standard form above, where z is the update gate and r the reset gate.
    """

    num_gates = 3
    num_states = 1

    def step(self, gx_t: torch.Tensor, state: State, w: CellWeights) -> tuple[torch.Tensor, State]:
        (h,) = state  # (B, H)
        xr, xz, xn = gx_t.chunk(3, dim=-1)  # W_i* x_t + b_i*, (B, H) each
        hr, hz, hn = self.recurrent_projection(h, w).chunk(3, dim=-1)  # W_h* h_{t-1} + b_h*
        r = torch.sigmoid(xr + hr)  # r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z = torch.sigmoid(xz + hz)  # z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n = torch.tanh(xn + r * hn)  # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
        h = (1 - z) * n + z * h  # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        return h, (h,)
