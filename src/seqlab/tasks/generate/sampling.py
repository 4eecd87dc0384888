r"""Sampling text from a language model: temperature, top-k and nucleus (top-p) filtering.

.. math::
    p_i = \mathrm{softmax}(z / \tau)_i
    \text{top-}k:\; p_i = 0 \text{ unless } z_i \text{ is among the } k \text{ largest}
    \text{top-}p:\; \text{keep the smallest set of most likely tokens whose mass reaches } p

(Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", for top-p; Fan et al.
2018 for top-k.) A temperature of 0 takes the most likely token (greedy decoding).
"""

from __future__ import annotations

import torch

from seqlab.errors import ConfigError


def check_sampling(length: int, temperature: float, top_k: int | None, top_p: float | None) -> None:
    """Refuse settings that sample nothing sensible, naming the option."""
    if not isinstance(length, int) or length < 0:
        raise ConfigError(f"--length must be a non-negative integer, got {length!r}")
    if not temperature >= 0.0 or temperature == float("inf"):
        raise ConfigError(f"--temperature must be 0 (greedy) or positive and finite, got {temperature!r}")
    if top_k is not None and top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {top_k!r}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ConfigError(f"--top-p must be in (0, 1], got {top_p!r}")


def filter_logits(logits: torch.Tensor, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """``logits`` (..., V) with every token outside the top-k / top-p set at -inf.

    Example:
        >>> z = torch.tensor([2.0, 1.0, 0.0, -1.0])
        >>> filter_logits(z, top_k=2).tolist()
        [2.0, 1.0, -inf, -inf]
        >>> filter_logits(z, top_p=0.7).tolist()  # p = .64, .24, ...: .64 < .7, so two are kept
        [2.0, 1.0, -inf, -inf]
    """
    out = logits.clone()
    if top_k is not None and top_k < out.shape[-1]:
        kth = torch.topk(out, top_k, dim=-1).values[..., -1:]  # (..., 1)
        out[out < kth] = float("-inf")
    if top_p is not None and top_p < 1.0:
        sorted_z, order = torch.sort(out, dim=-1, descending=True)
        mass_before = torch.softmax(sorted_z, dim=-1).cumsum(-1) - torch.softmax(sorted_z, dim=-1)  # (..., V)
        drop_sorted = mass_before >= top_p  # the most likely token always stays (mass before it is 0)
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        out[drop] = float("-inf")
    return out


def next_token(logits: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None,
               generator: torch.Generator) -> int:
    """One token id drawn from (V,) ``logits``."""
    if temperature == 0.0:
        return int(logits.argmax())
    z = filter_logits(logits.double() / temperature, top_k, top_p)
    return int(torch.multinomial(torch.softmax(z, dim=-1), 1, generator=generator))


@torch.no_grad()
def generate_ids(net, prompt: list[int], length: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, seed: int = 0, never: tuple[int, ...] = ()) -> list[int]:
    """``length`` token ids that continue ``prompt`` (at least one id), drawn from a stateful ``LanguageModel``.

    The prompt is read in one call; then each drawn token is fed back alone, the state carried by
    the model's stateful layer between calls. The state is reset before and after. Ids in
    ``never`` (padding, say) are never drawn.
    """
    check_sampling(length, temperature, top_k, top_p)
    generator = torch.Generator().manual_seed(seed)
    was_training = net.training
    net.eval()
    net.reset_states()
    try:
        banned = list(never)
        logits = net(torch.tensor([prompt], dtype=torch.long))[0, -1]  # (V,)
        out: list[int] = []
        for _ in range(length):
            logits[banned] = float("-inf")
            token = next_token(logits, temperature, top_k, top_p, generator)
            out.append(token)
            logits = net(torch.tensor([[token]], dtype=torch.long))[0, -1]
        return out
    finally:
        net.reset_states()
        net.train(was_training)
