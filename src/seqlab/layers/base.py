"""The layer contract shared by every seqlab layer.

A layer is a ``torch.nn.Module`` whose constructor arguments are its config (Keras'
``get_config`` idea): ``get_config()`` returns them and ``cls(**config)`` rebuilds the layer.
Input sizes are inferred at the first call (``build``), as in Keras, unless given up front.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from seqlab.errors import ShapeError


class Layer(nn.Module):
    """Base class: stores constructor arguments, builds lazily, checks input shapes.

    Subclasses call ``super().__init__()`` first, implement ``build(input_shape)`` to create
    parameters from the first input's shape, and ``call(x, mask)`` for the computation.
    ``supports_masking`` layers receive the mask of the layer before; ``compute_mask`` says
    which mask they pass on (default: the one they received, or ``None`` if they do not
    support masking).
    """

    supports_masking = False
    float_input = True  # False for layers that take integer ids (Embedding)

    def __init__(self, name: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.built = False
        self.input_shape: tuple[int | None, ...] | None = None  # without the batch dimension

    # -- config -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, so that ``type(layer)(**layer.get_config())`` rebuilds it."""
        config = {}
        for key, param in inspect.signature(type(self).__init__).parameters.items():
            if key == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            config[key] = getattr(self, key)
        return config

    @property
    def label(self) -> str:
        return f"layer '{self.name}' ({type(self).__name__})" if self.name else type(self).__name__

    # -- building -----------------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...]) -> None:
        """Create parameters for inputs of ``input_shape`` (batch included). Default: none."""

    def build_now(self, input_shape: tuple[int, ...]) -> None:
        """Build eagerly, for layers whose input size is given to the constructor."""
        self.build(input_shape)
        self.input_shape = self.expected_shape(input_shape)
        self.built = True

    def _ensure_built(self, x: torch.Tensor) -> None:
        if not self.built:
            self.build_now(tuple(x.shape))
            ref = next(iter(self.parameters()), None)
            if ref is None:
                return
            # parameters made in build() land on the CPU in float32: follow the input
            self.to(device=x.device, dtype=x.dtype if x.is_floating_point() else ref.dtype)
            return
        self.check_input(x)

    def expected_shape(self, shape: tuple[int, ...]) -> tuple[int | None, ...]:
        """The shape later inputs must have; ``None`` marks a free size (batch, time)."""
        return (None,) + tuple(shape[1:])

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ShapeError when ``x`` does not match the shape this layer was built for."""
        expected = self.input_shape
        if expected is None:
            return
        given = tuple(x.shape)
        ok = len(given) == len(expected) and all(
            e is None or e == g for e, g in zip(expected[1:], given[1:])
        )
        if not ok:
            raise ShapeError(
                f"{self.label} expected input of shape {_fmt(expected)}, got {given}"
            )

    # -- computation ----------------------------------------------------------------------
    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.float_input and not x.is_floating_point():
            raise ShapeError(f"{self.label} expects a float tensor, got {x.dtype}; "
                             "token ids need an Embedding layer first")
        self._ensure_built(x)
        return self.call(x, mask if self.supports_masking else None)

    def call(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def compute_mask(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor | None:
        """The mask passed on to the next layer."""
        return mask if self.supports_masking else None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: ANN001
        # A state dict can arrive before the first call (torch.nn weights, load_model):
        # build from the shapes it carries, so loading never needs a dummy forward.
        if not self.built:
            shape = self.input_shape_from_state(state_dict, prefix)
            if shape is not None:
                self.build_now(shape)
                like = next((v for k, v in state_dict.items() if k.startswith(prefix) and v.is_floating_point()), None)
                if like is not None:
                    self.to(device=like.device, dtype=like.dtype)  # keep the saved precision
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def input_shape_from_state(self, state_dict: dict, prefix: str) -> tuple[int, ...] | None:
        """The input shape implied by saved weights, where a layer can tell (else None)."""
        return None

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")


def check_positive_int(value, arg: str, where: str) -> None:
    """Refuse anything but a positive int (bools too), naming the argument and the layer."""
    from seqlab.errors import ConfigError

    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where}: `{arg}` must be a positive integer, got {value!r}")


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("B" if i == 0 else ("?" if s is None else str(s)) for i, s in enumerate(shape)) + ")"


ACTIVATIONS = {
    None: lambda x: x,
    "linear": lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "gelu": nn.functional.gelu,
    "elu": nn.functional.elu,
    "selu": nn.functional.selu,
    "softplus": nn.functional.softplus,
    "leaky_relu": nn.functional.leaky_relu,
    "swish": nn.functional.silu,
    "silu": nn.functional.silu,
}


def get_activation(name: str | None, where: str):
    """The activation function called ``name``; a ConfigError names ``where`` otherwise."""
    from seqlab.errors import ConfigError

    if name not in ACTIVATIONS:
        known = ", ".join(k for k in ACTIVATIONS if k)
        raise ConfigError(f"{where}: unknown activation {name!r}; expected one of {known}")
    return ACTIVATIONS[name]
