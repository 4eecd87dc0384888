"""What a model costs: parameters, inference latency, training memory.

Memory on the CPU has no allocator counter like ``torch.cuda.max_memory_allocated``, so
``training_memory_mb`` counts what one training step must hold at its peak: the parameters,
their gradients, the optimizer's state (Adam's two moments), and every tensor autograd saves for the backward pass
(read with ``torch.autograd.graph.saved_tensors_hooks``, each storage counted once). On a GPU
the allocator's own peak is reported instead.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from seqlab.training.losses import get_loss


def parameter_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@torch.no_grad()
def latency_ms(net: nn.Module, x: torch.Tensor, repeats: int = 20) -> float:
    """Median wall time of one forward pass on ``x`` (one sequence: (1, T, ...)), in eval mode."""
    was_training = net.training
    net.eval()
    try:
        net(x)  # warm-up: lazy set-up, allocator, kernel selection
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - start)
    finally:
        net.train(was_training)
    return 1000.0 * statistics.median(times)


def optimizer_states(name: str, momentum: float = 0.0) -> int:
    """Tensors the size of the weights an optimizer keeps: Adam(W) 2 moments, RMSprop its square
    average (and a momentum buffer), SGD a momentum buffer if it has momentum."""
    return {"adam": 2, "adamw": 2, "rmsprop": 1 + (momentum > 0), "sgd": int(momentum > 0)}[name]


def training_memory_mb(net: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str, from_logits: bool,
                       states: int = 2) -> float:
    """Peak memory of one training step on the batch ``(x, y)``, in MiB (see the module);
    ``states``: tensors the optimizer keeps per weight (:func:`optimizer_states`, Adam's 2)."""
    loss_fn = get_loss(loss, from_logits=from_logits)
    if x.is_cuda:
        torch.cuda.reset_peak_memory_stats(x.device)
        loss_fn(net(x), y).backward()
        net.zero_grad(set_to_none=True)
        return torch.cuda.max_memory_allocated(x.device) / 2**20
    seen: dict[tuple[int, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        seen[(storage.data_ptr(), storage.nbytes())] = storage.nbytes()
        return t

    params = {p.untyped_storage().data_ptr() for p in net.parameters()}
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = loss_fn(net(x), y)
    out.backward()
    net.zero_grad(set_to_none=True)
    saved = sum(n for (ptr, _), n in seen.items() if ptr not in params)  # weights are counted below
    weights = sum(p.numel() * p.element_size() for p in net.parameters())
    return (saved + (2 + states) * weights) / 2**20  # activations + weights, gradients, optimizer state
