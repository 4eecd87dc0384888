r"""Attributions of one output to each input step (and feature), with Captum.

Integrated gradients (Sundararajan et al. 2017) from a baseline :math:`x'` to the input :math:`x`:

.. math::

    \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1 \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i}\, d\alpha,
    \qquad \sum_i \mathrm{IG}_i(x) = F(x) - F(x') \quad \text{(completeness)}

approximated by a Gauss–Legendre sum over ``steps`` points. Saliency is :math:`|\partial F / \partial x_i|`
at the input (Simonyan et al. 2014). F is the network's output ``target`` (a logit for classes,
a predicted value for regression; each task's choice is in :mod:`seqlab.analysis.targets`).

- Float sequences (series, spectrogram frames, synthetic, pixel MNIST): the baseline is zeros,
  the training mean of standardised inputs; attributions are (T, D), per step and feature.
- Attention: the weights of attention pooling, or a Transformer's last self-attention block.
- Token ids: attributions are taken at the Embedding's output, from a baseline of
  padding-token vectors (zeros) at every step with the input's own mask kept (the ids still
  say which steps are padding); a token's attribution is the sum over its vector.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from seqlab.extras import require
from seqlab.layers.attention import AttentionPooling, TransformerEncoder
from seqlab.layers.core import Embedding


def attribute(forward, x: torch.Tensor, fixed: tuple = (), embeddings: tuple | list = (), steps: int = 64) -> dict:
    """IG and saliency of ``forward(x, *fixed)``, one scalar per example, for each input ``x[b]``.

    Args:
        forward: maps the inputs ``x`` (and the ``fixed`` tensors, batch-first, held as they are)
            to (B,) outputs: the network's output being explained, whatever the task.
        x: (B, T, D) floats (attributed from zeros), or (B, T) token ids read by ``embeddings``.
        fixed: batch-first tensors the network also reads (lengths, calendar marks, the chosen
            class); Captum repeats them along the batch with the interpolated inputs.
        embeddings: for token ids, the embedding layers that read them; attributions are taken at
            their outputs, from zero vectors, and summed over each token's vectors.
        steps: Gauss-Legendre points of the path integral.

    Returns:
        ``{"attributions": (B, T, D) or (B, T), "saliency": same shape, "output": F(x) (B,),
        "baseline_output": F(x') (B,), "delta": sum of attributions - (F(x) - F(x')) (B,)}``,
        numpy arrays.
    """
    fixed = tuple(fixed)
    if embeddings:
        return _token_attributions(forward, x, fixed, list(embeddings), steps)
    x = x.float()
    with torch.no_grad():
        output, baseline_output = forward(x, *fixed), forward(torch.zeros_like(x), *fixed)  # (B,) each
    captum = require("captum.attr", extra="explain")
    ig = captum.IntegratedGradients(forward)
    attributions, delta = ig.attribute(x, baselines=torch.zeros_like(x), additional_forward_args=fixed or None,
                                       n_steps=steps, return_convergence_delta=True)  # (B, T, D)
    saliency = captum.Saliency(forward).attribute(x.clone().requires_grad_(True), abs=True,
                                                  additional_forward_args=fixed or None)
    return _numpy(attributions, saliency, output, baseline_output, delta)


def _token_attributions(forward, ids: torch.Tensor, fixed: tuple, embeddings: list[nn.Module], steps: int) -> dict:
    """IG from zero vectors at the outputs of ``embeddings`` (the ids keep their mask: padding stays padding)."""
    k = len(embeddings)

    def from_vectors(*args):
        vectors, inputs, rest = args[:k], args[k], args[k + 1:]
        with _replaced_outputs(embeddings, vectors):
            return forward(inputs, *rest)

    with torch.no_grad():
        vectors = tuple(layer(ids) for layer in embeddings)  # each (B, T, E_k)
        zeros = tuple(torch.zeros_like(v) for v in vectors)
        output, baseline_output = from_vectors(*vectors, ids, *fixed), from_vectors(*zeros, ids, *fixed)
    captum = require("captum.attr", extra="explain")
    attr, delta = captum.IntegratedGradients(from_vectors).attribute(
        vectors, baselines=zeros, additional_forward_args=(ids, *fixed), n_steps=steps,
        return_convergence_delta=True)  # each (B, T, E_k)
    attributions = sum(a.sum(dim=-1) for a in attr)  # (B, T)
    probes = tuple(v.clone().requires_grad_(True) for v in vectors)
    with torch.enable_grad():
        from_vectors(*probes, ids, *fixed).sum().backward()
    saliency = sum(p.grad.abs().sum(dim=-1) for p in probes)  # |dF/de_t| summed over each token's vectors, (B, T)
    return _numpy(attributions, saliency, output, baseline_output, delta)


def _numpy(*tensors) -> dict:
    keys = ("attributions", "saliency", "output", "baseline_output", "delta")
    return {key: t.detach().float().numpy() for key, t in zip(keys, tensors)}


def integrated_gradients(net: nn.Module, x: torch.Tensor, target: torch.Tensor, steps: int = 64) -> dict:
    """IG and saliency of output column ``target[b]`` of a ``Sequential`` for each input ``x[b]``
    (the last step's outputs for per-step models); token ids are attributed at its Embedding."""
    net.eval()

    def forward(inputs: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        y = net(inputs)
        y = y[:, -1] if y.dim() == 3 else y  # (B, C)
        return y.gather(1, chosen[:, None])[:, 0]  # (B,)

    first = getattr(net, "layers", [None])[0]
    embeddings = [first] if isinstance(first, Embedding) else []
    return attribute(forward, x, (target,), embeddings, steps)


class _replaced_outputs:
    """Within the block, ``layers[k]`` returns ``values[k]`` (forward hooks), as Captum's layer methods do."""

    def __init__(self, layers: list[nn.Module], values: tuple) -> None:
        self.layers, self.values = layers, values

    def __enter__(self):
        self.handles = [layer.register_forward_hook(lambda module, inputs, output, v=value: v)
                        for layer, value in zip(self.layers, self.values)]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()


def attention_weights(net: nn.Module, x: torch.Tensor) -> np.ndarray | None:
    """(B, T) attention over the steps of ``x``, or None for a model without attention.

    Attention pooling: its weights a_t. A Transformer encoder: the last block's self-attention
    (heads averaged), as the attention each step receives, averaged over the real query steps
    (from the last step only when causal: the output that is explained).
    """
    pools = [m for m in net.modules() if isinstance(m, AttentionPooling)]
    encoders = [m for m in net.modules() if isinstance(m, TransformerEncoder)]
    if not pools and not encoders:
        return None
    seen = {}
    handle = None
    if not pools:
        block = encoders[0].encoder.layers[-1]
        handle = block.register_forward_pre_hook(lambda m, args, kwargs: seen.update(src=args[0], **kwargs),
                                                 with_kwargs=True)
    net.eval()
    try:
        with torch.no_grad():
            net(x)
            if pools:
                return pools[0].last_weights.numpy()
            z = block.norm1(seen["src"]) if block.norm_first else seen["src"]  # what self-attention reads
            padding = seen.get("src_key_padding_mask")
            if padding is not None and padding.is_floating_point():
                padding = padding != 0  # torch hands its layers the mask as 0 / -inf: True where padded
            _, w = block.self_attn(z, z, z, attn_mask=seen.get("src_mask"), key_padding_mask=padding,
                                   need_weights=True, average_attn_weights=True)  # (B, T_query, T_key)
    finally:
        if handle is not None:
            handle.remove()
    if encoders[0].causal:
        return w[:, -1].numpy()
    real = torch.ones(w.shape[:2], dtype=w.dtype) if padding is None else (~padding).to(w.dtype)  # (B, T)
    return ((w * real[..., None]).sum(1) / real.sum(1, keepdim=True)).numpy()
