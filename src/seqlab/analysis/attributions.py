r"""Attributions of one output to each input step (and feature), with Captum.

Integrated gradients (Sundararajan et al. 2017) from a baseline :math:`x'` to the input :math:`x`:

.. math::

    \mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1 \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i}\, d\alpha,
    \qquad \sum_i \mathrm{IG}_i(x) = F(x) - F(x') \quad \text{(completeness)}

approximated by a Gauss–Legendre sum over ``steps`` points. Saliency is :math:`|\partial F / \partial x_i|`
at the input (Simonyan et al. 2014). F is the network's output ``target`` (a logit for classes,
a predicted value for regression).

- Float sequences (series, synthetic, pixel MNIST): the baseline is zeros, the training mean
  of standardised series; attributions are (T, D), per step and feature.
- Attention: the weights of attention pooling, or a Transformer's last self-attention block.
- Token ids: attributions are taken at the Embedding's output, from a baseline of
  padding-token vectors (zeros) at every step with the input's own mask kept (the ids still
  say which steps are padding); a token's attribution is the sum over its vector.
"""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import IntegratedGradients, Saliency
from torch import nn

from seqlab.layers.attention import AttentionPooling, TransformerEncoder
from seqlab.layers.core import Embedding


def _outputs(net: nn.Module):
    """The network's outputs (N, C), the last step's for per-step outputs; Captum picks the target column."""
    def forward(x: torch.Tensor) -> torch.Tensor:
        y = net(x)
        return y[:, -1] if y.dim() == 3 else y  # (N, C)
    return forward


def integrated_gradients(net: nn.Module, x: torch.Tensor, target: torch.Tensor, steps: int = 64) -> dict:
    """IG and saliency of output ``target[b]`` for each input ``x[b]``.

    Returns:
        ``{"attributions": (B, T, D) or (B, T), "saliency": same shape, "output": F(x) (B,),
        "baseline_output": F(x') (B,), "delta": sum of attributions - (F(x) - F(x')) (B,)}``
        as numpy arrays; token inputs give (B, T).
    """
    net.eval()
    forward = _outputs(net)
    first = getattr(net, "layers", [None])[0]

    def pick(y: torch.Tensor) -> torch.Tensor:
        return y.gather(1, target[:, None])[:, 0]  # (B,)

    with torch.no_grad():
        output = pick(forward(x))
    if isinstance(first, Embedding):
        def from_vectors(e: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
            with _replaced_output(first, e):  # the ids still give the mask: padding stays padding
                return forward(ids)

        with torch.no_grad():
            embedded = first(x)  # (B, T, E)
        attr, delta = IntegratedGradients(from_vectors).attribute(
            embedded, baselines=torch.zeros_like(embedded), target=target, additional_forward_args=(x,),
            n_steps=steps, return_convergence_delta=True)  # (B, T, E)
        attributions = attr.sum(dim=-1)  # (B, T)
        saliency = _token_saliency(first, x, lambda inputs: pick(forward(inputs)))
        with torch.no_grad(), _replaced_output(first, torch.zeros_like(embedded)):
            baseline_output = pick(forward(x))
    else:
        x = x.float().requires_grad_(True)
        ig = IntegratedGradients(forward)
        attributions, delta = ig.attribute(x, baselines=torch.zeros_like(x), target=target, n_steps=steps,
                                           return_convergence_delta=True)  # (B, T, D)
        saliency = Saliency(forward).attribute(x, target=target, abs=True)
        with torch.no_grad():
            baseline_output = pick(forward(torch.zeros_like(x)))
    return {"attributions": attributions.detach().numpy(), "saliency": saliency.detach().numpy(),
            "output": output.detach().numpy(), "baseline_output": baseline_output.numpy(), "delta": delta.detach().numpy()}


class _replaced_output:
    """Within the block, ``layer`` returns ``value`` (a forward hook), as Captum's layer methods do."""

    def __init__(self, layer: nn.Module, value: torch.Tensor) -> None:
        self.layer, self.value = layer, value

    def __enter__(self):
        self.handle = self.layer.register_forward_hook(lambda module, inputs, output: self.value)
        return self

    def __exit__(self, *exc) -> None:
        self.handle.remove()


def _token_saliency(embedding: Embedding, x: torch.Tensor, forward) -> torch.Tensor:
    """|dF/de_t| summed over each token's vector e_t: (B, T)."""
    e = embedding(x).detach().requires_grad_(True)  # (B, T, E)
    with torch.enable_grad(), _replaced_output(embedding, e):
        forward(x).sum().backward()
    return e.grad.abs().sum(dim=-1)


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
