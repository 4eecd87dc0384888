"""Model specs: a list of one-key mappings, ``[{lstm: {units: 50}}, {dense: {units: 1}}]``, to layers and back.

Each layer's arguments are validated against its constructor signature (a pydantic model made
from it, ``extra="forbid"``), so the constructor is the one place an argument is stated and a
misspelt or mistyped key is an error that names the layer, its position and the key.
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Any

import pydantic
from torch import nn

from seqlab.errors import ConfigError, describe_validation
from seqlab.layers import LAYERS, get_layer_class
from seqlab.layers.base import Layer

LayerSpec = dict[str, dict[str, Any] | None]


@functools.cache
def layer_schema(cls: type) -> type[pydantic.BaseModel]:
    """A pydantic model of ``cls``'s constructor arguments (unknown keys forbidden)."""
    hints = typing.get_type_hints(cls.__init__)
    fields = {}
    for key, param in inspect.signature(cls.__init__).parameters.items():
        if key == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[key] = (hints.get(key, Any), default)
    config = pydantic.ConfigDict(extra="forbid", strict=False, arbitrary_types_allowed=True)
    return pydantic.create_model(f"{cls.__name__}Args", __config__=config, **fields)


def layer_from_spec(item: Any, where: str) -> Layer:
    """Build one layer from ``{name: {arg: value}}``; ``where`` prefixes error messages."""
    if not isinstance(item, dict) or len(item) != 1:
        raise ConfigError(f"{where}: each layer must be a mapping with one key, the layer name "
                          f"(e.g. {{lstm: {{units: 50}}}}), got {item!r}")
    (name, args), = item.items()
    try:
        cls = get_layer_class(name)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    args = dict(args or {})
    try:
        checked = layer_schema(cls).model_validate(args)
    except pydantic.ValidationError as exc:
        known = list(layer_schema(cls).model_fields)
        raise ConfigError(f"{where}.{name}: {describe_validation(exc, known)}") from None
    try:
        return cls(**{k: getattr(checked, k) for k in args})
    except ConfigError as exc:
        raise ConfigError(f"{where}.{name}: {exc}") from None


def layers_from_spec(spec: list[Any], source: str = "model") -> list[Layer]:
    """Build the layers of a model spec; errors name ``source`` and the layer's position."""
    if not isinstance(spec, list) or not spec:
        raise ConfigError(f"{source}: `model` must be a non-empty list of layers")
    return [layer_from_spec(item, f"{source}: model[{i}]") for i, item in enumerate(spec)]


def spec_from_layers(layers: list[nn.Module]) -> list[LayerSpec]:
    """The spec of built layers: registry name and ``get_config()`` of each."""
    names = {cls: name for name, cls in reversed(list(LAYERS.items()))}  # first name wins
    spec = []
    for i, layer in enumerate(layers):
        if type(layer) not in names:
            raise ConfigError(f"layer {i} ({type(layer).__name__}) is not a seqlab layer and "
                              "cannot be written to a model spec")
        spec.append({names[type(layer)]: layer.get_config()})
    return spec
