"""``explain``: why a trained run predicts what it does, for a run of any task.

For the inputs given (``test``: examples spread over the run's own held-out data; or a file the
run's ``predict`` reads), the run's adapter (:mod:`seqlab.analysis.targets`) names one output per
example (the predicted class's logit, the mean forecast over the horizon, the next token's
log-probability, the anomaly score, the translation's log-probability) and this module gives:

- integrated gradients and saliency of that output per token (text, language models, the
  source of a translation) or per step and feature (series, spectrogram frames), with the
  completeness check :math:`\\sum_i IG_i = F(x) - F(x')` (:mod:`seqlab.analysis.attributions`);
- the attention weights, where the model has them (attention pooling, a Transformer, a
  translation's decoder over the source);

and, for runs of ``seqlab train CONFIG``, the run-level permutation importance and surrogate tree
(:mod:`seqlab.analysis.generic_target`). A run whose model has nothing to attribute raises
:class:`~seqlab.analysis.targets.AnalysisNotApplicable`, saying why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab.analysis.attributions import attribute
from seqlab.analysis.outputs import trained_run_dir
from seqlab.analysis.targets import Examples, Target, given_file, load_target
from seqlab.errors import ConfigError

MAX_EXAMPLES = 20
GAP, MAX_STEPS = 0.01, 512


def explain(run_dir: str | Path, input_path: str | Path = "test", *, examples: int = 5, steps: int = 64,
            repeats: int = 5, max_depth: int = 4, seed: int = 0) -> dict:
    """Attributions for ``examples`` inputs (at most 20), and the run-level extras of generic runs.

    Returns:
        ``{"run_dir", "kind", "command", "input", "feature_names", "target_note", "examples": [{"index",
        "name", "prediction", "label"?, "attributions", "saliency", "output", "baseline_output", "delta",
        "tokens" | "values", "attention"?, ...}], "steps", "permutation_importance"?, "surrogate"?}``;
        ``values`` are the inputs as the network read them (standardised), (T, D) like
        ``attributions``; ``steps`` the points the path integral took (see :func:`attributions_of`).
    """
    if examples < 1:
        raise ConfigError(f"--examples must be at least 1, got {examples}")
    run_dir = trained_run_dir(run_dir)
    if str(input_path) != "test":
        given_file(input_path)
    target = load_target(run_dir)
    ex = target.examples(input_path, min(examples, MAX_EXAMPLES))
    fixed = {**ex.fixed, **target.choose(ex)}
    attr = attributions_of(target, ex, fixed, steps)
    attention = target.attention(ex, fixed)
    records = []
    for i in range(len(ex)):
        n = ex.lengths[i]
        record = {"index": i, "name": ex.names[i], **target.describe(ex, fixed, i),
                  "attributions": attr["attributions"][i][:n].tolist(), "saliency": attr["saliency"][i][:n].tolist(),
                  "output": float(attr["output"][i]), "baseline_output": float(attr["baseline_output"][i]),
                  "delta": float(attr["delta"][i])}
        if ex.tokens is not None:
            record["tokens"] = ex.tokens[i][:n]
        else:
            record["values"] = ex.x[i][:n].tolist()
        if attention is not None:
            record["attention"] = attention[i]
        records.append(record)
    result = {"run_dir": str(run_dir), "kind": target.kind, "command": target.command, "input": str(input_path),
              "feature_names": target.feature_names, "target_note": target.note, "examples": records,
              "token_separator": target.token_separator, "steps": int(attr["steps"])}
    result.update(target.extras(ex, repeats, max_depth, seed))
    return result


def attributions_of(target: Target, ex: Examples, fixed: dict, steps: int) -> dict[str, np.ndarray]:
    """Integrated gradients and saliency of ``target.output`` for each example of ``ex``.

    The path integral takes ``steps`` points, doubled (up to ``MAX_STEPS``) while the completeness
    gap of some example exceeds ``GAP`` of its output's change; the smallest gap found is kept and
    reported (``delta``, and ``steps`` in the result). A network that is flat almost all the way
    from the zero baseline and changes abruptly next to it (LayerNorm over near-zero frames) keeps a
    visible gap: the integral is then poorly conditioned, whatever the number of points.
    """
    keys = list(fixed)

    def forward(x, *values):
        return target.output(x, dict(zip(keys, values)))

    target.net.eval()
    best, best_gap = None, np.inf
    while True:
        attr = attribute(forward, ex.x, tuple(fixed[k] for k in keys), target.embeddings, steps)
        change = np.abs(attr["output"] - attr["baseline_output"])
        gap = float(np.max(np.abs(attr["delta"]) / np.maximum(change, 1e-3)))
        if gap < best_gap:
            best, best_gap = {**attr, "steps": steps}, gap
        if gap <= GAP or steps * 2 > MAX_STEPS:
            return best
        steps *= 2
