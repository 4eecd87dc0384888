"""``analyze_gradients``: gradient flow through time, per architecture, at initialisation, during
training and after it, with the gradient-norm history of training with and without clipping.

The source is a comparison config (every architecture it names, first seed), a single-run
config (its ``model``), or a run directory of any task (its trained model, on its validation
split or, for the task commands' runs, on held-out examples with the task's own loss: no
training, so no histories). Every norm is taken on one fixed validation batch.
See :mod:`seqlab.analysis.gradient_flow` for the definitions and the vanishing/exploding flags.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from seqlab.analysis.compare import load_compare_config, prepare_comparison, run_config
from seqlab.analysis.outputs import read_yaml, trained_run_dir
from seqlab.analysis.gradient_flow import loss_gradient_norms, spectral_radii, step_gradient_norms
from seqlab.analysis.targets import AnalysisNotApplicable, load_target, refuse_task_config, run_kind
from seqlab.models import Sequential, load_model
from seqlab.models.spec import layers_from_spec
from seqlab.models.zoo import architecture_spec
from seqlab.tasks import runs
from seqlab.tasks.config import RunConfig, load_config
from seqlab.tasks.prepared import Prepared
from seqlab.tasks.rundir import CONFIG_FILE
from seqlab.training.callbacks import GradientNormHistory

DEFAULT_CLIP = 1.0


class EpochFlow(Callback):
    """The step-gradient summary on a fixed batch at the end of every training epoch."""

    def __init__(self, net, x, y, loss: str, from_logits: bool) -> None:
        self.net, self.x, self.y, self.loss, self.from_logits = net, x, y, loss, from_logits
        self.epochs: list[dict] = []

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        x, y = self.x.to(pl_module.device), self.y.to(pl_module.device)  # Lightning may have moved the net
        flow = step_gradient_norms(self.net, x, y, self.loss, self.from_logits)
        self.epochs.append({"epoch": trainer.current_epoch, **flow})


def analyze_gradients(source: str | Path, overrides: list[str] = (), batch: int = 64) -> dict:
    """Gradient flow of every model ``source`` describes (see the module docstring).

    Returns:
        ``{"source", "task", "batch", "models": [{"model", "layer", "at_init", "during_training",
        "trained", "spectral_radius", "grad_norm_history", "vanishing", "vanishing_at_init",
        "exploding"}, ...], "vanishing": [names], "exploding": [names]}``; ``at_init``,
        ``trained`` and each epoch of ``during_training`` hold the norms :math:`g` by distance
        from the loss (``norms``, farthest first; ``distance``) with ``first``, ``last``,
        ``ratio`` and the flags. ``vanishing`` is the trained model's flag; ``exploding`` is
        raised by any of them, or by a non-finite norm in the unclipped run.
    """
    source = Path(source)
    if source.is_dir():
        return _from_run_dir(source, batch)
    raw = read_yaml(source)
    refuse_task_config(source, raw, "`seqlab analyze gradients` traces training from `seqlab train` and comparison "
                       "configs", "train it with `{command} --config {config} --out RUN`, then `seqlab analyze "
                       "gradients RUN` traces the trained model on held-out examples")
    if "model" in raw:
        config, base = load_config(source, list(overrides))
        config = runs.with_absolute_paths(config, base)
        prepared = runs.prepare(config, base)
        models = [("model", config)]
    else:
        compare_config, base = load_compare_config(source, list(overrides))
        compare_config, prepared, shape, names = prepare_comparison(compare_config, base)
        models = [(name, run_config(compare_config, architecture_spec(name, shape, compare_config.units),
                                    compare_config.seeds[0])) for name in names]
    results = [dict(model=name, **train_and_trace(config, prepared, batch)) for name, config in models]
    return _summary(str(source), models[0][1], results, batch)


def train_and_trace(config: RunConfig, prepared: Prepared, batch: int) -> dict:
    """Flow at initialisation, per epoch and after training (clipped), and the norm history of
    the same run (same seed, same batches) without clipping."""
    x, y = torch.as_tensor(prepared.x_val[:batch]), torch.as_tensor(prepared.y_val[:batch])
    loss, logits = config.compile.loss, config.compile.from_logits
    clip = config.train.gradient_clip_val or DEFAULT_CLIP
    traces = {}
    for clipped in (True, False):
        torch.manual_seed(config.train.seed or 0)
        model = Sequential(layers_from_spec(config.model, "gradients"), input_shape=prepared.input_shape)
        model.compile(**config.compile.model_dump())
        if clipped:
            at_init, radii_init = step_gradient_norms(model, x, y, loss, logits), spectral_radii(model)
        norms, flow = GradientNormHistory(), EpochFlow(model, x, y, loss, logits)
        options = config.train.model_dump(exclude={"epochs", "batch_size", "shuffle", "progress",
                                                   "gradient_clip_val", "early_stopping"})
        history = model.fit(prepared.x_train, prepared.y_train, validation_data=(prepared.x_val, prepared.y_val),
                            epochs=config.train.epochs, batch_size=config.train.batch_size,
                            shuffle=config.train.shuffle, gradient_clip_val=clip if clipped else None,
                            callbacks=[norms] + ([flow] if clipped else []), **options)
        traces[clipped] = {"norms": norms.norms, "val_loss": history.history["val_loss"]}
        if clipped:
            trained, radii_trained, epochs = step_gradient_norms(model, x, y, loss, logits), spectral_radii(model), flow.epochs
    return {"layer": at_init["layer"], "at_init": at_init, "during_training": epochs, "trained": trained,
            "spectral_radius": {"at_init": radii_init, "trained": radii_trained},
            "grad_norm_history": {"clip_value": clip, "clipped": traces[True]["norms"],
                                  "unclipped": traces[False]["norms"],
                                  "val_loss_clipped": traces[True]["val_loss"],
                                  "val_loss_unclipped": traces[False]["val_loss"]},
            "vanishing": trained["vanishing"], "vanishing_at_init": at_init["vanishing"],
            "exploding": any(f["exploding"] for f in (at_init, trained, *epochs))
                         or not all(math.isfinite(v) for v in traces[False]["norms"])}


def _from_run_dir(run_dir: Path, batch: int) -> dict:
    """The trained model's flow on a held-out batch: the validation split of a ``seqlab train`` run,
    the held-out examples of any other task's run (its adapter's, with the task's own loss)."""
    run_dir = trained_run_dir(run_dir)
    if run_kind(run_dir) not in runs.STATE_KEYS:
        return _from_task_run(run_dir, batch)
    config, base = load_config(run_dir / CONFIG_FILE)
    prepared = runs.prepare(config, base)
    model = load_model(run_dir)
    x, y = torch.as_tensor(prepared.x_val[:batch]), torch.as_tensor(prepared.y_val[:batch])
    flow = step_gradient_norms(model, x, y, config.compile.loss, config.compile.from_logits)
    result = {"model": run_dir.name, "layer": flow["layer"], "trained": flow,
              "spectral_radius": {"trained": spectral_radii(model)},
              "vanishing": flow["vanishing"], "exploding": flow["exploding"]}
    return _summary(str(run_dir), config, [result], batch)


def _from_task_run(run_dir: Path, batch: int) -> dict:
    target = load_target(run_dir)
    ex = target.examples("test", batch)
    if ex.y is None:
        raise AnalysisNotApplicable(f"{run_dir}: its held-out examples have no truth to take the loss against")
    lengths = np.asarray(ex.lengths)
    flow = loss_gradient_norms(target.net, lambda: target.loss(ex),
                               lambda T: lengths if lengths.max() == T else np.full(len(lengths), T))
    result = {"model": run_dir.name, "layer": flow["layer"], "trained": flow,
              "spectral_radius": {"trained": spectral_radii(target.net)},
              "vanishing": flow["vanishing"], "exploding": flow["exploding"]}
    return {"source": str(run_dir), "task": target.task, "batch": len(ex), "models": [result],
            "vanishing": [run_dir.name] if result["vanishing"] else [],
            "exploding": [run_dir.name] if result["exploding"] else []}


def _summary(source: str, config: RunConfig, results: list[dict], batch: int) -> dict:
    return {"source": source, "task": config.data.model_dump(mode="json"), "batch": batch, "models": results,
            "vanishing": [r["model"] for r in results if r["vanishing"]],
            "exploding": [r["model"] for r in results if r["exploding"]]}
