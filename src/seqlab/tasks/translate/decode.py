r"""Searching for a translation: greedy search and beam search with length normalisation.

Both run the trained :class:`~seqlab.models.seq2seq.Seq2Seq` one target token at a time from
``<bos>`` until ``<eos>`` (or ``max_len`` tokens), on many sentences at once, without gradients,
in eval mode. They return token ids (without ``<eos>``) and the attention weights of the chosen
output, (len(output) + 1, S): one row per generated token, ``<eos>`` included.

Greedy search takes :math:`y_t = \arg\max_y p(y \mid y_{<t}, x)`. Beam search keeps the K best
partial translations by :math:`\log P(y_{\le t} \mid x)`; a translation that ends is ranked by

.. math::

    s(Y) = \log P(Y \mid X) / lp(Y), \qquad lp(Y) = ((5 + |Y|) / 6)^{\alpha}

(Wu et al. 2016, "Google's Neural Machine Translation System", eq. 14; |Y| counts ``<eos>``),
which removes the bias of raw log-probabilities toward short outputs. A sentence is done when
K translations have ended; at ``max_len`` the live beams end there. Neither search emits
``<pad>``, ``<unk>`` or ``<bos>`` (their logits are set to -inf): an unknown word in the output
can only lose BLEU, and the next most likely word is a better guess.

Symbols: B sentences, K beam width, V target vocabulary, S source steps.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from seqlab.models.seq2seq import Seq2Seq
from seqlab.tasks.translate.data import BOS, EOS, PAD, UNK

NEVER_EMITTED = [PAD, UNK, BOS]


def length_penalty(length: int, alpha: float) -> float:
    """lp(Y) = ((5 + |Y|) / 6)^α."""
    return ((5.0 + length) / 6.0) ** alpha


def _batches(src: list[list[int]], batch_size: int) -> Iterator[np.ndarray]:
    order = np.argsort([len(s) for s in src], kind="stable")  # similar lengths: little padding
    for start in range(0, len(order), batch_size):
        yield order[start:start + batch_size]


def _source_batch(src: list[list[int]], rows: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
    seqs = [torch.as_tensor(src[i], dtype=torch.long) for i in rows]
    ids = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=PAD)  # (B, S)
    return {"ids": ids.to(device), "lengths": torch.tensor([len(s) for s in seqs], device=device)}


@torch.no_grad()
def translate_ids(net: Seq2Seq, src: list[list[int]], *, beam: int = 1, alpha: float = 0.6, max_len: int = 50,
                  batch_size: int = 128) -> tuple[list[list[int]], list[np.ndarray]]:
    """Output ids and attention weights of each source (in the given order); ``beam=1`` is greedy."""
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    out: list = [None] * len(src)
    try:
        for rows in _batches(src, batch_size):
            batch = _source_batch(src, rows, device)
            found = greedy(net, batch, max_len) if beam == 1 else beam_search(net, batch, beam, alpha, max_len)
            for i, item in zip(rows, found):
                out[i] = item
    finally:
        net.train(was_training)
    return [o[0] for o in out], [o[1] for o in out]


def greedy(net: Seq2Seq, src: dict[str, torch.Tensor], max_len: int) -> list[tuple[list[int], np.ndarray]]:
    """The arg-max token at every step, for a batch of B sources."""
    enc = net.encode(src)
    keys = net.decoder.keys(enc)
    B = src["ids"].shape[0]
    y = torch.full((B,), BOS, dtype=torch.long, device=src["ids"].device)  # (B,)
    state, done = enc.state, torch.zeros(B, dtype=torch.bool, device=y.device)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, state, a = net.step(y, state, enc, keys)  # (B, V), (B, S)
        logits[:, NEVER_EMITTED] = -torch.inf
        y = logits.argmax(dim=-1)  # (B,)
        tokens.append(y)
        weights.append(a)
        done |= y == EOS
        if bool(done.all()):
            break
    ids = torch.stack(tokens, dim=1).tolist()  # (B, steps)
    att = torch.stack(weights, dim=1).cpu().numpy()  # (B, steps, S)
    lengths = src["lengths"].tolist()
    found = []
    for b, seq in enumerate(ids):
        n = seq.index(EOS) if EOS in seq else len(seq)
        found.append((seq[:n], att[b, :min(n + 1, len(seq)), :lengths[b]]))
    return found


def beam_search(net: Seq2Seq, src: dict[str, torch.Tensor], K: int, alpha: float,
                max_len: int) -> list[tuple[list[int], np.ndarray]]:
    """The best of K beams by s(Y) = log P(Y | X) / lp(Y), for a batch of B sources."""
    B, device = src["ids"].shape[0], src["ids"].device
    enc = net.encode(src)
    enc = net.encoder.reorder(enc, torch.arange(B, device=device).repeat_interleave(K))  # K copies per sentence
    keys = net.decoder.keys(enc)
    state = enc.state
    scores = torch.full((B, K), -torch.inf, device=device)
    scores[:, 0] = 0.0  # one live beam at the start, so the K beams do not repeat each other
    y = torch.full((B * K,), BOS, dtype=torch.long, device=device)
    history = torch.zeros(B * K, 0, dtype=torch.long, device=device)  # tokens so far
    att_history = enc.memory.new_zeros(B * K, 0, enc.memory.shape[1])  # (B*K, t, S)
    finished: list[list[tuple[float, list[int], np.ndarray]]] = [[] for _ in range(B)]
    for t in range(max_len):
        logits, state, a = net.step(y, state, enc, keys)  # (B*K, V), (B*K, S)
        logits[:, NEVER_EMITTED] = -torch.inf
        logp = torch.log_softmax(logits.float(), dim=-1)  # (B*K, V)
        V = logp.shape[-1]
        total = (scores.reshape(B * K, 1) + logp).reshape(B, K * V)  # log P(y_<=t | x) of every extension
        top, index = total.topk(2 * K, dim=1)  # (B, 2K): enough to fill K live beams after K end
        parent, token = index // V, index % V  # (B, 2K) each
        top, parent, token = top.tolist(), parent.tolist(), token.tolist()
        rows, new_tokens, new_scores = [], [], []
        for b in range(B):
            live = []
            for score, p, tok in zip(top[b], parent[b], token[b]):
                if score == -np.inf or len(live) == K or len(finished[b]) >= K:
                    break
                row = b * K + p
                if tok == EOS:
                    seq = history[row].tolist()
                    att = torch.cat([att_history[row], a[row][None]]).cpu().numpy()
                    finished[b].append((score / length_penalty(len(seq) + 1, alpha), seq, att))
                else:
                    live.append((row, tok, score))
            while len(live) < K:  # a finished sentence (or too few candidates): dead beams
                live.append((b * K, PAD, -np.inf))
            for row, tok, score in live:
                rows.append(row)
                new_tokens.append(tok)
                new_scores.append(score)
        if all(len(f) >= K for f in finished):
            break
        rows_t = torch.tensor(rows, device=device)
        y = torch.tensor(new_tokens, device=device)
        scores = torch.tensor(new_scores, device=device).reshape(B, K)
        state = tuple(s[rows_t] for s in state)
        history = torch.cat([history[rows_t], y[:, None]], dim=1)
        att_history = torch.cat([att_history[rows_t], a[rows_t][:, None]], dim=1)
    lengths = src["lengths"].tolist()
    found = []
    for b in range(B):
        pool = finished[b]
        if len(pool) < K:  # max_len reached: the live beams end here
            for k in range(K):
                score = float(scores[b, k])
                if score > -np.inf:
                    row = b * K + k
                    pool.append((score / length_penalty(history.shape[1], alpha), history[row].tolist(),
                                 att_history[row].cpu().numpy()))
        _, seq, att = max(pool, key=lambda f: f[0])
        found.append((seq, att[:, :lengths[b]]))
    return found
