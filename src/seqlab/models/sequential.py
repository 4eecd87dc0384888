"""``Sequential``: a stack of layers with the Keras surface the seed documents use.

The network itself is a plain ``nn.Module`` (``forward`` runs the layers and passes masks
on, as Keras does). ``compile``/``fit``/``evaluate``/``predict`` are one line each: the work is
the training engine's, and ``Sequential.trainer`` does it (``seqlab.training.sequential``).
A model names its trainer and never imports the training package (the import contract), so
building and running a network never loads Lightning.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from seqlab.errors import ConfigError, DataError, WeightsError
from seqlab.layers import LAYERS
from seqlab.layers.base import Layer
from seqlab.layers.core import Embedding
from seqlab.models import io
from seqlab.models.spec import layers_from_spec, spec_from_layers

MODEL_FILE, WEIGHTS_FILE, FORMAT = "model.json", "weights.safetensors", "seqlab.model/1"
# Where compile/fit/evaluate/predict are done, as "module:attribute": the engine's, above this package.
TRAINER = "seqlab.training.sequential:SequentialTrainer"


class Sequential(nn.Module):
    """A linear stack of layers (Keras' ``Sequential``), itself an ``nn.Module``.

    Args:
        layers: seqlab layers (or any ``nn.Module`` taking one tensor), applied in order.
        input_shape: the shape of one sample without the batch, e.g. ``(96, 1)``; optional,
            inferred from the first batch ``fit`` sees.

    Example:
        >>> import torch
        >>> from seqlab.layers import LSTM, Dense
        >>> model = Sequential([LSTM(50), Dense(1)], input_shape=(24, 1))
        >>> model(torch.randn(8, 24, 1)).shape
        torch.Size([8, 1])
    """

    # The object that compiles, fits, evaluates and predicts (``SequentialTrainer``), or its
    # "module:attribute" name until the first call; assign another to change how models train.
    trainer: ClassVar[Any] = TRAINER

    def __init__(self, layers: Sequence[nn.Module] = (), input_shape: Sequence[int] | None = None) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.compile_config: dict[str, Any] | None = None
        self.history = None
        self.stream_batch_size: int | None = None  # a stateful model's batch, set by fit
        for layer in layers:
            self.add(layer)
        if self.input_shape is not None:
            self.build(self.input_shape)

    # -- the network ---------------------------------------------------------------------
    def add(self, layer: nn.Module) -> None:
        """Append a layer, naming it as Keras does (``lstm``, ``lstm_1``, ...)."""
        if not isinstance(layer, nn.Module):
            raise ConfigError(f"Sequential.add expects a layer (nn.Module), got {type(layer).__name__}")
        if getattr(layer, "return_state", False):
            raise ConfigError(f"{type(layer).__name__}: return_state=True returns a tuple, which a "
                              "Sequential model cannot pass on; use return_state in a custom nn.Module")
        if isinstance(layer, Layer) and layer.name is None:
            layer.name = self._unique_name(layer)
        self.layers.append(layer)

    def _unique_name(self, layer: Layer) -> str:
        base = next((n for n, c in LAYERS.items() if c is type(layer)), type(layer).__name__.lower())
        taken = {getattr(existing, "name", None) for existing in self.layers}
        name, i = base, 0
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        return name

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        param = next(self.parameters(), None)
        if param is not None and x.is_floating_point() and x.dtype != param.dtype:
            x = x.to(param.dtype)  # float64 arrays into a float32 model, as Keras casts inputs
        for layer in self.layers:
            if isinstance(layer, Layer):
                y = layer(x, mask)
                mask = layer.compute_mask(x, mask)
            else:
                y, mask = layer(x), None
            x = y
        return x

    def build(self, input_shape: Sequence[int]) -> "Sequential":
        """Create every layer's weights for samples of ``input_shape`` (batch excluded)."""
        self.input_shape = tuple(int(s) for s in input_shape)
        was_training = self.training
        self.eval()
        with torch.no_grad():
            self(self._dummy_input(1))
        self.train(was_training)
        self.reset_states()  # the dummy row is no stream
        return self

    def _dummy_input(self, batch: int) -> torch.Tensor:
        shape = (batch, *self.input_shape)
        first = self.layers[0] if len(self.layers) else None
        if isinstance(first, Embedding):
            return torch.ones(shape, dtype=torch.long)  # id 1: never the padding id 0
        param = next(self.parameters(), None)
        return torch.zeros(shape, dtype=param.dtype if param is not None and param.is_floating_point() else torch.float32)

    def summary(self, print_fn: Callable[[str], Any] | None = None) -> str:
        """A table of layers, output shapes and parameter counts (returned; printed with ``print_fn``)."""
        if self.input_shape is None:
            raise ConfigError("summary: the model is not built yet; call build(input_shape) or fit first")
        shapes: dict[int, tuple] = {}
        hooks = [layer.register_forward_hook(
            lambda mod, inp, out, i=i: shapes.__setitem__(i, tuple(out.shape)))
            for i, layer in enumerate(self.layers)]
        try:
            self.build(self.input_shape)
        finally:
            for h in hooks:
                h.remove()
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for i, layer in enumerate(self.layers):
            shape = "(None, " + ", ".join(str(s) for s in shapes[i][1:]) + ")"
            name = getattr(layer, "name", None) or str(i)
            rows.append((f"{name} ({type(layer).__name__})", shape, f"{_count(layer):,}"))
        widths = [max(len(r[c]) for r in rows) + 2 for c in range(3)]
        line = "-" * sum(widths)
        text = [line, "".join(v.ljust(w) for v, w in zip(rows[0], widths)), "=" * sum(widths)]
        text += ["".join(v.ljust(w) for v, w in zip(r, widths)) for r in rows[1:]]
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        text += ["=" * sum(widths), f"Total params: {_count(self):,}",
                 f"Trainable params: {trainable:,}", f"Non-trainable params: {_count(self) - trainable:,}", line]
        out = "\n".join(text)
        if print_fn is not None:
            print_fn(out)
        return out

    # -- the Keras training surface: the trainer's (seqlab.training.sequential) ------------------------
    def compile(self, optimizer: str | dict = "adam", loss: str = "mse", metrics: Sequence[str] | None = None,
                learning_rate: float | None = None, from_logits: bool = False) -> "Sequential":
        """Choose the optimizer (``adam``, ``adamw``, ``rmsprop``, ``sgd``, or a dict with ``name``,
        ``lr``, ``weight_decay``, ``momentum``), the loss and the metrics (``accuracy``, ``mae``, ``rmse``)."""
        self.compile_config = self._trainer().compile(self, optimizer, loss, metrics, learning_rate, from_logits)
        return self

    def fit(self, x=None, y=None, batch_size: int = 32, epochs: int = 1, validation_data=None,
            validation_split: float = 0.0, callbacks: list | None = None, shuffle: bool = True,
            verbose: int = 0, run_dir: str | Path | None = None, resume: bool = False, **train_options):
        """Train (Keras' ``fit``); returns a ``History`` whose ``.history`` maps names to per-epoch values.

        ``x`` and ``y`` are arrays or tensors (or ``x`` a DataLoader of ``(x, y)`` batches);
        ``validation_split`` holds out the last fraction, as Keras does. Any ``TrainConfig``
        field may be given by keyword: ``gradient_clip_val``, ``early_stopping``, ``lr_schedule``,
        ``seed``, ``deterministic``, ``devices``, ``strategy``, ``accelerator`` ...
        """
        self.history = self._trainer().fit(
            self, x, y, batch_size=batch_size, epochs=epochs, validation_data=validation_data,
            validation_split=validation_split, callbacks=callbacks, shuffle=shuffle, verbose=verbose,
            run_dir=run_dir, resume=resume, **train_options)
        return self.history

    def evaluate(self, x=None, y=None, batch_size: int | None = None) -> dict[str, float]:
        """Loss and metrics on ``(x, y)``, as a dict (Keras' ``return_dict=True``); batches of 256,
        or for a stateful model of ``fit``'s size."""
        return self._trainer().evaluate(self, x, y, batch_size)

    def predict(self, x, batch_size: int | None = None) -> np.ndarray:
        """Outputs for ``x`` as a NumPy array; batches as in ``evaluate``."""
        return self._trainer().predict(self, x, batch_size)

    @classmethod
    def _trainer(cls):
        if isinstance(cls.trainer, str):  # named, not imported: models sit below training
            cls.trainer = pkgutil.resolve_name(cls.trainer)()
        return cls.trainer

    def stateful_label(self) -> str | None:
        """The label of the first stateful layer (whose batches must come in stream order), or None."""
        return next((m.label for m in self.modules() if getattr(m, "stateful", False)), None)

    def build_from(self, loader) -> None:
        """Build from the shape of the first batch of ``loader``, so the optimizer sees every parameter."""
        if self.input_shape is not None:
            return
        batch = next(iter(loader), None)
        if batch is None:
            raise DataError("the DataLoader yields no batches: the dataset is empty")
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        self.build(tuple(x.shape[1:]))

    def reset_states(self) -> None:
        """Forget the state of every stateful layer (Keras' ``model.reset_states()``)."""
        for module in self.modules():
            if getattr(module, "stateful", False):
                module.reset_states()

    # -- saving ------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"format": FORMAT, "layers": spec_from_layers(list(self.layers)),
                "input_shape": list(self.input_shape) if self.input_shape else None,
                "compile": self.compile_config}

    def save(self, path: str | Path) -> Path:
        """Write ``model.json`` (spec, input shape, compile settings) and ``weights.safetensors``."""
        if self.input_shape is None:
            raise ConfigError("save: the model is not built yet; call build(input_shape) or fit first")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        io.save_tensors(path / WEIGHTS_FILE, self.state_dict(), metadata={"format": FORMAT})
        io.write_json(path / MODEL_FILE, self.get_config())
        return path


def load_model(path: str | Path) -> Sequential:
    """Load a model saved by ``Sequential.save`` or a run directory written by ``seqlab train``.

    Reads JSON and safetensors only: nothing in the directory can run code.
    """
    path = Path(path)
    spec_file = path / MODEL_FILE
    if not spec_file.exists():
        raise WeightsError(f"{path}: not a seqlab model directory ({MODEL_FILE} is missing)")
    config = io.read_json(spec_file)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise WeightsError(f"{spec_file}: not a seqlab model file (format {config.get('format') if isinstance(config, dict) else None!r})")
    shape = config.get("input_shape")
    if not (isinstance(shape, list) and shape and all(isinstance(n, int) and n > 0 for n in shape)):
        raise WeightsError(f"{spec_file}: `input_shape` must be a list of positive integers, got {shape!r}")
    model = Sequential(layers_from_spec(config.get("layers"), source=str(spec_file)), input_shape=shape)
    io.load_weights(model, path / WEIGHTS_FILE)
    if config.get("compile"):
        model.compile(**config["compile"])
    return model


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


class TensorBatches(TensorDataset):
    """A ``TensorDataset`` whose loader takes a whole batch with one indexing per tensor (torch's
    ``__getitems__`` protocol), not sample by sample and then stacked: a millisecond a batch.
    Pass ``collate_fn=TensorBatches.collate`` to the ``DataLoader``."""

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        index = torch.as_tensor(indices)
        return tuple(t[index] for t in self.tensors)

    @staticmethod
    def collate(batch):
        return batch  # the batch is already whole
