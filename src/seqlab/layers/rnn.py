r"""The loop of the recurrent layers: parameters, masks, directions, stacking, state, paths.

The equations of each cell live once, in ``cells.py``; ``Recurrent`` here runs a cell over a
sequence, and ``recurrent.py`` has the layers users build (``SimpleRNN``, ``LSTM``, ``GRU``).
Parameters carry torch.nn's names and layout (``weight_ih_l{k}``, ``weight_hh_l{k}``,
``bias_ih_l{k}``, ``bias_hh_l{k}``, ``_reverse`` for the backward direction), so a state dict
saved from torch.nn.LSTM/GRU/RNN loads into the matching seqlab layer and gives the same
outputs.

A call takes one of three paths, chosen by ``backend`` in ``seqlab.kernels.dispatch``: the
reference path (``scan`` below: the equations step by step under autograd), torch's fused
kernels, or seqlab's C++ kernels. All paths agree to 1e-5 in outputs, states and gradients
(tests hold them).

``stateful=True`` carries the final state of each call into the next, detached from the
graph (truncated backpropagation through time over consecutive chunks of long streams, as
Keras' ``stateful``): row b of each batch continues row b of the batch before.
``reset_states()`` forgets it; the training engine does so at the start of every epoch.

Symbols: B batch, T time steps, D input features, H units, L layers, dirs 1 or 2.
"""

from __future__ import annotations

import inspect
import logging
import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.errors import ConfigError, ShapeError
from seqlab.kernels import dispatch
from seqlab.kernels.dispatch import BACKENDS
from seqlab.kernels.torch_fused import fused_rnn
from seqlab.layers.base import Layer, check_positive_int
from seqlab.layers.cells import CellWeights, SimpleRNNCell, State

log = logging.getLogger(__name__)


class Recurrent(Layer):
    """The loop shared by SimpleRNN, LSTM and GRU (Keras' ``RNN`` layer in torch's layout).

    The arguments below are every recurrent layer's, stated here once: a layer's own
    ``__init__`` takes ``units`` and its cell's arguments, and forwards the rest (``**shared``)
    here; :func:`shared_arguments` gives it the full signature that ``get_config`` reads.

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
        backend: ``auto``, ``fused``, ``torch``, ``native`` or ``reference``
            (``seqlab.kernels.dispatch``).
        stateful: carry the final state into the next call, detached (truncated BPTT).
        input_size: D, if known (the weights are then made at once); otherwise inferred at
            the first call.
        name: optional layer name.

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

    def _build_if_sized(self) -> None:
        """Make the weights now when ``input_size`` was given (a subclass calls it last in ``__init__``)."""
        if self.input_size is not None:
            self.build_now((1, 1, self.input_size))

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
                self.fused_mode, x, state0, self.flat_weights(), has_biases=self.use_bias, num_layers=self.num_layers,
                dropout=self.dropout, training=self.training, bidirectional=self.bidirectional, lengths=lengths,
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

    def native_forward(self, x: torch.Tensor, mask: torch.Tensor | None, state0: State) -> tuple[torch.Tensor, State]:
        """seqlab's C++ kernels over every layer and direction (``kernels.dispatch.run_native``)."""
        return dispatch.run_native(
            lambda k, d, xs, ms, s0: self.native_scan(xs, ms, s0, self.weights(k, d)), x, mask, state0,
            num_layers=self.num_layers, num_directions=self.num_directions, dropout=self.dropout,
            training=self.training)

    def native_scan(self, x: torch.Tensor, mask: torch.Tensor | None, state: State,
                    w: CellWeights) -> tuple[torch.Tensor, State]:
        """One layer and direction through seqlab's kernel: x (T, B, D) -> (T, B, H), final state."""
        raise NotImplementedError

    def reference_forward(self, x: torch.Tensor, mask: torch.Tensor | None, state0: State) -> tuple[torch.Tensor, State]:
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

    def _path(self, mask: torch.Tensor | None, lengths: torch.Tensor | None, x: torch.Tensor) -> str:
        """``torch``, ``native`` or ``reference``: the path this call takes under ``backend``."""
        if self.probe is not None:
            return "reference"
        wants_grad = torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in self.parameters()))
        torch_reason = dispatch.torch_unavailable(self.fused_mode, self.no_kernel_reason, mask, lengths)
        path, fallback = dispatch.choose_path(self.backend, torch_reason, self.fused_mode, x, lengths,
                                              wants_grad=wants_grad, where=self.label)
        if fallback is not None and not self._fallback_logged:
            log.info("%s: using the reference path because %s", self.label, fallback)
            self._fallback_logged = True
        return path

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


def shared_arguments(init):
    """Give a recurrent layer's ``__init__(self, units, *, <its cell's arguments>, **shared)`` its
    full signature: its own arguments, then ``Recurrent``'s (keyword-only), which ``**shared``
    forwards. ``get_config``, ``help()`` and editors read it; the shared arguments are written
    once, in ``Recurrent.__init__``."""
    own = [p for p in inspect.signature(init).parameters.values() if p.kind is not p.VAR_KEYWORD]
    rest = [p.replace(kind=p.KEYWORD_ONLY) for name, p in inspect.signature(Recurrent.__init__).parameters.items()
            if name not in ("self", "units")]
    init.__signature__ = inspect.signature(init).replace(parameters=own + rest)
    return init


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
