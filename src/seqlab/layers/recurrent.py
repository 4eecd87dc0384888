r"""Recurrent layers: the loop over time, masks, directions, stacking and the backend switch.

The equations of each cell live once, in ``cells.py``; this file runs a cell over a sequence.
Parameters carry torch.nn's names and layout (``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}``, ``_reverse`` for the backward direction), so a state dict
saved from torch.nn.LSTM/GRU/RNN loads into the matching seqlab layer and gives the same
outputs. The LSTM adds ``weight_peephole_l{k}`` of shape (3, units), rows i, f, o.

Three execution paths, one class, chosen by ``backend``:

- ``"reference"`` runs the cell's equations step by step under autograd (``scan`` below);
- ``"torch"`` hands standard configurations to torch's fused kernels (oneDNN on CPU, cuDNN on
  GPU): plain LSTM/GRU/RNN, full lengths or prefix lengths;
- ``"native"`` runs seqlab's C++ kernels (``kernels/native.py``) on the CPU: every variant,
  peepholes, layer norm and masks with holes included, with explicit BPTT;
- ``"fused"`` takes the faster of the two where both apply (measured: seqlab's for GRU and
  SimpleRNN; torch's for the plain LSTM, for prefix lengths, which its packed sequences skip,
  and on a GPU) and whichever applies otherwise; ``"auto"`` (the
  default) does the same but falls back to the reference path, saying so once in the log,
  where neither applies (a GPU tensor of a variant torch has no kernel for, or no compiler).

All paths agree to 1e-5 in outputs, states and gradients (tests hold them).

``stateful=True`` carries the final state of each call into the next, detached from the
graph (truncated backpropagation through time over consecutive chunks of long streams, as
Keras' ``stateful``): row b of each batch continues row b of the batch before.
``reset_states()`` forgets it; the training engine does so at the start of every epoch.

Symbols: B batch, T time steps, D input features, H units, L layers, dirs 1 or 2.
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.kernels import native
from seqlab.kernels.torch_fused import fused_rnn
from seqlab.layers.base import Layer, check_positive_int
from seqlab.layers.cells import CellWeights, GRUCell, LSTMCell, SimpleRNNCell, State

log = logging.getLogger(__name__)
BACKENDS = ("auto", "reference", "fused", "torch", "native")


class Recurrent(Layer):
    """The loop shared by SimpleRNN, LSTM and GRU (Keras' ``RNN`` layer in torch's layout).

    Args:
        units: H, the size of the hidden state.
        num_layers: stacked layers; layer k+1 reads layer k's output sequence.
        bidirectional: also run each layer backwards over time and concatenate (forward first).
        dropout: dropout on the outputs of every layer but the last, in training.
        return_sequences: return the output at every step (B, T, dirs*H) instead of the last
            (B, dirs*H): the final hidden states of the top layer, forward then backward.
        return_state: also return the final state, as torch.nn does: ``h_n`` (L*dirs, B, H),
            and for LSTM ``(h_n, c_n)``.
        use_bias: add ``bias_ih`` and ``bias_hh`` (torch's ``bias``).
        backend: ``auto``, ``fused``, ``torch``, ``native`` or ``reference`` (see the module
            docstring).
        stateful: carry the final state into the next call, detached (truncated BPTT).
        input_size: D, if known; otherwise inferred at the first call.

    Call arguments:
        x: (B, T, D) float tensor.
        mask: (B, T) bool, True at real steps. Masked steps leave the state unchanged and
            output zeros. A mask that is True on a prefix of each row is a length.
        lengths: (B,) integer true lengths; an alternative to ``mask``.
        initial_state: ``h_0`` (L*dirs, B, H), or ``(h_0, c_0)`` for LSTM; zeros if omitted.
            (B, H) is accepted for a single layer and direction, as Keras does.
    """

    supports_masking = True
    cell_class: type = SimpleRNNCell

    def __init__(
        self,
        units: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        use_bias: bool = True,
        backend: str = "auto",
        input_size: int | None = None,
        name: str | None = None,
        stateful: bool = False,
    ) -> None:
        super().__init__(name=name)
        where = self.label
        check_positive_int(units, "units", where)
        check_positive_int(num_layers, "num_layers", where)
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
            raise ConfigError(f"{where}: `dropout` must be in [0, 1), got {dropout!r}")
        if backend not in BACKENDS:
            raise ConfigError(f"{where}: `backend` must be one of {BACKENDS}, got {backend!r}")
        self.units, self.num_layers, self.bidirectional = units, num_layers, bidirectional
        self.dropout, self.use_bias, self.backend = dropout, use_bias, backend
        self.return_sequences, self.return_state = return_sequences, return_state
        self.input_size = input_size
        if stateful and bidirectional:
            raise ConfigError(f"{where}: `stateful` carries the state forward in time; a "
                              "bidirectional layer's backward direction has no next chunk")
        self.stateful = stateful
        self._carried_state: State | None = None
        self._fallback_logged = False

    layer_norm = False  # LSTM and GRU take it as an argument
    probe = None  # probe(t, h_t) -> h_t on layer 0's forward direction (see ``scan``); forces the reference path

    # -- parameters ---------------------------------------------------------------------
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def cell(self):
        return self.cell_class()

    def _suffix(self, layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def build(self, input_shape: tuple[int, ...]) -> None:
        if len(input_shape) != 3:
            raise ShapeError(
                f"{self.label} expects input of shape (B, T, D), got {tuple(input_shape)}"
            )
        self.input_size = int(input_shape[-1])
        G, H = self.cell_class.num_gates, self.units
        for k in range(self.num_layers):
            D = self.input_size if k == 0 else H * self.num_directions
            for d in range(self.num_directions):
                sfx = self._suffix(k, d)
                self.register_parameter("weight_ih" + sfx, nn.Parameter(torch.empty(G * H, D)))
                self.register_parameter("weight_hh" + sfx, nn.Parameter(torch.empty(G * H, H)))
                if self.use_bias:
                    self.register_parameter("bias_ih" + sfx, nn.Parameter(torch.empty(G * H)))
                    self.register_parameter("bias_hh" + sfx, nn.Parameter(torch.empty(G * H)))
                self._add_cell_parameters(sfx)
        self.reset_parameters()

    def _add_cell_parameters(self, suffix: str) -> None:
        """Parameters beyond torch's: the layer norms' gains (the LSTM adds its peepholes)."""
        if self.layer_norm:
            GH = self.cell_class.num_gates * self.units
            self.register_parameter("weight_ln_ih" + suffix, nn.Parameter(torch.empty(GH)))
            self.register_parameter("weight_ln_hh" + suffix, nn.Parameter(torch.empty(GH)))

    def reset_parameters(self) -> None:
        """Keras' initialisation: Glorot-uniform input kernels and orthogonal recurrent kernels
        per gate, zero biases. (torch.nn uses U(-1/sqrt(H), 1/sqrt(H)) for all; loading its
        weights is unaffected, this only sets the starting point of training.)"""
        H = self.units
        for name, p in self.named_parameters(recurse=False):
            if name.startswith("weight_ih"):
                for block in p.data.split(H):
                    nn.init.xavier_uniform_(block)
            elif name.startswith("weight_hh"):
                for block in p.data.split(H):
                    nn.init.orthogonal_(block)
            elif name.startswith("bias"):
                nn.init.zeros_(p)
            elif name.startswith("weight_ln"):
                nn.init.ones_(p)  # layer norm gains start as the identity
            else:
                nn.init.uniform_(p, -1 / math.sqrt(H), 1 / math.sqrt(H))

    def weights(self, layer: int, direction: int) -> CellWeights:
        sfx = self._suffix(layer, direction)
        get = lambda n: getattr(self, n + sfx, None)  # noqa: E731
        return CellWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                           get("weight_peephole"), get("weight_ln_ih"), get("weight_ln_hh"),
                           get("weight_ln_c"), get("bias_ln_c"))

    def flat_weights(self) -> list[torch.Tensor]:
        """Weights in torch.nn's flat order: per layer, per direction, ih, hh[, b_ih, b_hh]."""
        out = []
        for k in range(self.num_layers):
            for d in range(self.num_directions):
                w = self.weights(k, d)
                out += [w.weight_ih, w.weight_hh] + ([w.bias_ih, w.bias_hh] if self.use_bias else [])
        return out

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        return (None, None, shape[-1])

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        w = state_dict.get(prefix + "weight_ih_l0")
        return None if w is None else (1, 1, int(w.shape[1]))

    # -- the forward pass ------------------------------------------------------------------
    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
        initial_state: torch.Tensor | tuple[torch.Tensor, ...] | None = None,
    ):
        # B: batch, T: time steps, D: features, H: units, L: layers
        if not x.is_floating_point():
            raise ShapeError(f"{self.label} expects a float tensor, got {x.dtype}; "
                             "token ids need an Embedding layer first")
        self._ensure_built(x)
        B, T, _ = x.shape
        if T == 0:
            raise ShapeError(f"{self.label}: the input has no time steps (shape {tuple(x.shape)})")
        mask, lengths = self._mask(mask, lengths, B, T, x.device)  # (B, T), (B,); None if unpadded
        if self.stateful and initial_state is None and self._carried_state is not None:
            initial_state = self._carried(B)
        state0 = self._initial_state(initial_state, B, x)
        path = self._path(mask, lengths, x)
        if path == "torch":
            output, state = fused_rnn(
                self.fused_mode, x, state0, self.flat_weights(),
                has_biases=self.use_bias, num_layers=self.num_layers, dropout=self.dropout,
                training=self.training, bidirectional=self.bidirectional,
                lengths=lengths,
            )  # output (B, T, dirs*H); state: each (L*dirs, B, H)
        elif path == "native":
            output, state = self.native_forward(x, mask, state0)
        else:
            output, state = self.reference_forward(x, mask, state0)
        if self.stateful:
            self._carried_state = tuple(s.detach() for s in state)
        return self._outputs(output, state)

    def reset_states(self) -> None:
        """Forget the state a stateful layer carries (Keras' ``reset_states``)."""
        self._carried_state = None

    def _carried(self, B: int) -> State:
        carried = self._carried_state
        if carried[0].shape[1] != B:
            raise ShapeError(
                f"{self.label}: this stateful layer carries the state of a batch of "
                f"{carried[0].shape[1]} sequences but got {B}; every batch of a stream must have "
                "the same size (see seqlab.data.streams.stream_chunks), or call reset_states()")
        return carried

    def native_forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, state0: State
    ) -> tuple[torch.Tensor, State]:
        """seqlab's C++ kernels, layer by layer and direction by direction, time-major inside."""
        dirs = self.num_directions
        layer_input = x.transpose(0, 1)  # (T, B, D)
        mask_tm = None if mask is None else mask.t().contiguous()  # (T, B)
        finals = []
        for k in range(self.num_layers):
            outputs = []
            for d in range(dirs):
                s0 = tuple(s[k * dirs + d] for s in state0)  # each (B, H)
                xs, ms = layer_input, mask_tm
                if d == 1:  # right padding comes first once reversed, and is skipped by the mask
                    xs, ms = xs.flip(0), None if ms is None else ms.flip(0).contiguous()
                hs, s = self.native_scan(xs, ms, s0, self.weights(k, d))  # (T, B, H)
                if ms is not None:
                    hs = hs * ms[..., None]  # masked steps output zeros
                outputs.append(hs if d == 0 else hs.flip(0))
                finals.append(s)
            layer_input = outputs[0] if dirs == 1 else torch.cat(outputs, dim=-1)  # (T, B, dirs*H)
            if self.dropout and self.training and k < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        state = tuple(torch.stack(parts) for parts in zip(*finals))  # each (L*dirs, B, H)
        return layer_input.transpose(0, 1), state

    def native_scan(self, x: torch.Tensor, mask: torch.Tensor | None, state: State,
                    w: CellWeights) -> tuple[torch.Tensor, State]:
        """One layer and direction through seqlab's kernel: x (T, B, D) -> (T, B, H), final state."""
        raise NotImplementedError

    def reference_forward(
        self, x: torch.Tensor, mask: torch.Tensor | None, state0: State
    ) -> tuple[torch.Tensor, State]:
        """The equations step by step, for every layer and direction (the reference path)."""
        cell, dirs = self.cell, self.num_directions
        layer_input, finals = x, []  # (B, T, D)
        for k in range(self.num_layers):
            outputs = []
            for d in range(dirs):
                s0 = tuple(s[k * dirs + d] for s in state0)  # each (B, H)
                xs, ms = (layer_input, mask) if d == 0 else (_flip(layer_input), _flip(mask))
                probe = self.probe if (k, d) == (0, 0) else None
                out, s = scan(cell, xs, ms, s0, self.weights(k, d), probe)  # (B, T, H)
                outputs.append(out if d == 0 else out.flip(1))
                finals.append(s)
            layer_input = torch.cat(outputs, dim=-1)  # (B, T, dirs*H)
            if self.dropout and self.training and k < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        state = tuple(torch.stack(parts) for parts in zip(*finals))  # each (L*dirs, B, H)
        return layer_input, state

    def _outputs(self, output: torch.Tensor, state: State):
        if self.return_sequences:
            y = output  # (B, T, dirs*H)
        else:
            top = state[0][-self.num_directions:]  # (dirs, B, H)
            y = top.permute(1, 0, 2).reshape(top.shape[1], -1)  # (B, dirs*H)
        if not self.return_state:
            return y
        return y, (state if len(state) > 1 else state[0])

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        return mask if self.return_sequences else None

    # -- helpers -----------------------------------------------------------------------
    @property
    def fused_mode(self) -> str | None:
        """The torch kernel for this configuration, or None if none applies."""
        return None

    no_kernel_reason = "this configuration has no torch kernel"  # why fused_mode is None

    # Where seqlab's kernel beats torch's on a CPU for full-length batches (bench/recurrent.py,
    # BENCHMARKS.md): torch runs GRU and RNN steps as separate ops, but LSTM through oneDNN.
    native_faster_on_cpu: tuple[str, ...] = ("train", "infer")

    def _native_is_faster(self, x: torch.Tensor) -> bool:
        training = torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in self.parameters()))
        return x.device.type == "cpu" and ("train" if training else "infer") in self.native_faster_on_cpu

    def _path(self, mask: torch.Tensor | None, lengths: torch.Tensor | None, x: torch.Tensor) -> str:
        """``torch``, ``native`` or ``reference``: the path this call takes under ``backend``."""
        if self.backend == "reference" or self.probe is not None:
            return "reference"
        torch_reason = None
        if self.fused_mode is None:
            torch_reason = self.no_kernel_reason
        elif mask is not None and lengths is None:
            torch_reason = "the mask is not a prefix of each sequence"
        elif lengths is not None and bool((lengths == 0).any()):
            torch_reason = "a sequence has length 0"
        if self.backend == "torch" and torch_reason is None:
            return "torch"
        if self.backend in ("auto", "fused") and torch_reason is None:
            if lengths is None and self._native_is_faster(x) and native.unavailable_reason(x) is None:
                return "native"
            return "torch"
        if self.backend == "torch":
            raise ConfigError(f"{self.label}: backend='torch' cannot run: {torch_reason}; "
                              "use 'auto', 'native' or 'reference'")
        native_reason = native.unavailable_reason(x)
        if native_reason is None:
            return "native"
        if self.backend in ("native", "fused"):
            why = native_reason if self.backend == "native" else f"{torch_reason}, and {native_reason}"
            raise ConfigError(f"{self.label}: backend={self.backend!r} cannot run: {why}; "
                              "use 'auto' or 'reference'")
        if not self._fallback_logged:
            log.info("%s: using the reference path because %s, and %s", self.label, torch_reason, native_reason)
            self._fallback_logged = True
        return "reference"

    def _mask(self, mask, lengths, B: int, T: int, device):
        """The (B, T) bool mask and, where it is True on a prefix of each row, the (B,) lengths.

        Both are None when every sequence has all T steps: nothing to mask. Lengths are
        trusted to be a prefix; only a mask given as such is checked for holes.
        """
        if lengths is not None:
            lengths = torch.as_tensor(lengths, device=device)
            if lengths.shape != (B,):
                raise ShapeError(f"{self.label}: `lengths` must have shape ({B},), got {tuple(lengths.shape)}")
            if B == 0:
                return None, None
            shortest, longest = torch.stack(torch.aminmax(lengths)).tolist()  # one device sync
            if shortest < 0 or longest > T:
                raise ShapeError(f"{self.label}: `lengths` must lie in [0, {T}], got {lengths.tolist()}")
            if shortest == T:
                return None, None
            return torch.arange(T, device=device)[None, :] < lengths[:, None], lengths  # (B, T)
        if mask is None:
            return None, None
        if tuple(mask.shape) != (B, T):
            raise ShapeError(f"{self.label}: mask must have shape ({B}, {T}), got {tuple(mask.shape)}")
        mask = mask.to(torch.bool)
        lengths = mask.sum(dim=1)  # (B,)
        prefix = torch.arange(T, device=device)[None, :] < lengths[:, None]  # (B, T)
        if not bool((prefix == mask).all()):
            return mask, None  # holes: the reference path skips the masked steps
        if bool((lengths == T).all()):
            return None, None
        return mask, lengths

    def _initial_state(self, initial_state, B: int, x: torch.Tensor) -> State:
        n, H = self.num_layers * self.num_directions, self.units
        num_states = self.cell_class.num_states
        if initial_state is None:
            zeros = x.new_zeros(n, B, H)
            return tuple(zeros for _ in range(num_states))
        states = (initial_state,) if torch.is_tensor(initial_state) else tuple(initial_state)
        if len(states) != num_states:
            raise ShapeError(f"{self.label}: initial_state must hold {num_states} tensor(s), got {len(states)}")
        out = []
        for s in states:
            if s.dim() == 2 and n == 1:
                s = s.unsqueeze(0)
            if tuple(s.shape) != (n, B, H):
                raise ShapeError(f"{self.label}: initial state must have shape ({n}, {B}, {H}), got {tuple(s.shape)}")
            out.append(s.to(dtype=x.dtype))
        return tuple(out)


def scan(cell, x: torch.Tensor, mask: torch.Tensor | None, state: State, w: CellWeights, probe=None):
    """Run ``cell`` over x (B, T, D) from ``state``; masked steps keep the state and output 0.

    ``probe(t, h_t)``, if given, replaces h_t (output and state) by what it returns: the
    gradient-flow analysis adds a zero that requires grad, whose gradient is then dL/dh_t.
    """
    gx = cell.input_projection(x, w)  # W_ih x_t + b_ih for every t at once: (B, T, G*H)
    outputs = []
    for t in range(x.shape[1]):
        h, new_state = cell.step(gx[:, t], state, w)  # (B, H)
        if probe is not None:
            h = probe(t, h)
            new_state = (h, *new_state[1:])
        if mask is not None:
            m = mask[:, t, None]  # (B, 1)
            new_state = tuple(torch.where(m, n, s) for n, s in zip(new_state, state))
            h = h * m
        state = new_state
        outputs.append(h)
    return torch.stack(outputs, dim=1), state  # (B, T, H)


def _flip(t: torch.Tensor | None) -> torch.Tensor | None:
    """Reverse the time axis. With right padding, the padding comes first and is skipped by
    the mask, so the backward direction starts at each sequence's own last step."""
    return None if t is None else t.flip(1)


class SimpleRNN(Recurrent):
    r"""Elman recurrent layer (Keras' ``SimpleRNN``; torch.nn.RNN's weights).

    .. math:: h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Args:
        activation: ``tanh`` (default) or ``relu``. Other arguments: see ``Recurrent``.

    Example:
        >>> import torch
        >>> SimpleRNN(8, return_sequences=True)(torch.randn(2, 5, 3)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(self, units: int, activation: str = "tanh", num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, use_bias: bool = True, backend: str = "auto",
                 input_size: int | None = None, name: str | None = None,
                 stateful: bool = False) -> None:
        super().__init__(units, num_layers, bidirectional, dropout, return_sequences,
                         return_state, use_bias, backend, input_size, name, stateful)
        if activation not in ("tanh", "relu"):
            raise ConfigError(f"{self.label}: `activation` must be 'tanh' or 'relu', got {activation!r}")
        self.activation = activation
        if input_size is not None:
            self.build_now((1, 1, input_size))

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
        Other arguments: see ``Recurrent``.

    Example:
        >>> import torch
        >>> y, (h, c) = LSTM(16, bidirectional=True, return_state=True)(torch.randn(4, 10, 3))
        >>> y.shape, h.shape
        (torch.Size([4, 32]), torch.Size([2, 4, 16]))
    """

    cell_class = LSTMCell
    native_faster_on_cpu = ()  # oneDNN's LSTM is the faster for the plain cell, both ways

    def __init__(self, units: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, return_sequences: bool = False, return_state: bool = False,
                 peephole: bool = False, forget_bias: float = 1.0, use_bias: bool = True,
                 backend: str = "auto", input_size: int | None = None,
                 name: str | None = None, layer_norm: bool = False, stateful: bool = False) -> None:
        super().__init__(units, num_layers, bidirectional, dropout, return_sequences,
                         return_state, use_bias, backend, input_size, name, stateful)
        self.peephole, self.forget_bias, self.layer_norm = peephole, forget_bias, layer_norm
        if input_size is not None:
            self.build_now((1, 1, input_size))

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
            ``weight_ln_ih_l{k}`` and ``weight_ln_hh_l{k}`` (3H,). Other arguments: see ``Recurrent``.

    Example:
        >>> import torch
        >>> GRU(8, num_layers=2, return_sequences=True)(torch.randn(2, 6, 3)).shape
        torch.Size([2, 6, 8])
    """

    cell_class = GRUCell

    def __init__(self, units: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, return_sequences: bool = False, return_state: bool = False,
                 use_bias: bool = True, backend: str = "auto", input_size: int | None = None,
                 name: str | None = None, layer_norm: bool = False, stateful: bool = False) -> None:
        super().__init__(units, num_layers, bidirectional, dropout, return_sequences,
                         return_state, use_bias, backend, input_size, name, stateful)
        self.layer_norm = layer_norm
        if input_size is not None:
            self.build_now((1, 1, input_size))

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
