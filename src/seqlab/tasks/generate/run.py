"""Language-model runs: train into a run directory, evaluate (nats and bits per character), sample text.

A generate run directory holds::

    config.yaml          the resolved GenerateConfig (model chosen)
    preprocessing.json   the level, lowercasing and the training vocabulary
    model.json           the LMConfig and the vocabulary size
    weights.safetensors  the weights of the best validation epoch
    metrics.csv          one row per epoch (loss, val_loss: nats per token, chunked as in training)
    metrics.json         the validation loss over the whole held-out stream, bpc, perplexity,
                         the unigram baseline, sizes and times

``val_loss_nats`` scores every validation token with the state carried from the start of the
validation text (one row, ``TargetLogProb`` over ``engine.predict``); the ``val_loss`` of
metrics.csv comes from the batched layout of training, whose rows start from a zero state.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data import memory
from seqlab.data.text import PAD
from seqlab.errors import ConfigError, DataError
from seqlab.models import io
from seqlab.models.lm import LanguageModel, LMConfig, TargetLogProb
from seqlab.tasks.results import standard_result
from seqlab.tasks.generate.config import GenerateConfig, load_generate_config
from seqlab.tasks.generate.data import (Corpus, TokenCodec, prepare_corpus, read_text, scoring_batches,
                                        train_loader, unigram_baseline, val_loader)
from seqlab.tasks.generate.sampling import check_sampling, generate_ids
from seqlab.tasks.generate.schedule import BudgetCosineDecay
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out, staged_run
from seqlab.tasks.runfiles import load_trained, save_model
from seqlab.training import engine

log = logging.getLogger(__name__)
KIND = "language-model"
METRICS_FILE = "metrics.json"
LOSS = "sparse_categorical_crossentropy"
SCORING_STEPS = 512  # chunk length when scoring a whole stream (one row): longer is faster, same result

# model: auto. Characters: a 2 x 512 LSTM (the char-rnn class of model). Words: the output layer
# dominates (V = 10,000), so one smaller LSTM layer with a larger embedding.
RECOMMENDED = {
    "char": LMConfig(name="lstm", embed_dim=64, units=512, num_layers=2, dropout=0.15),
    "word": LMConfig(name="lstm", embed_dim=128, units=256, num_layers=1, dropout=0.3),
}


def recommended_model(level: str) -> LMConfig:
    """The model ``auto`` trains for ``level``."""
    return RECOMMENDED[level]


# --------------------------------------------------------------------------------------------
# Training


def fit_model(config: GenerateConfig, model: LMConfig, corpus: Corpus, run_dir: Path | None = None,
              progress: bool = False) -> tuple[LanguageModel, dict]:
    """Build ``model`` for ``corpus`` and train it with the engine (truncated BPTT); returns it and a summary."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    net = LanguageModel(model, corpus.codec.vocab_size)
    d, t = config.data, config.train.model_copy(update={"progress": progress})
    train = train_loader(corpus.train, t.batch_size, d.steps, d.epoch_tokens)
    val = val_loader(corpus.val, t.batch_size, d.steps)
    callbacks = []
    if t.lr_schedule is None and config.decay_to < 1.0:
        callbacks.append(BudgetCosineDecay(t.max_time_s, t.epochs * len(train), config.decay_to))
    started = time.perf_counter()
    history = engine.fit(net, loss=LOSS, metrics=[], optimizer=config.optimizer, from_logits=True,
                         train_loader=train, val_loader=val, config=t, run_dir=run_dir, callbacks=callbacks)
    seconds = time.perf_counter() - started
    epochs = len(history.epoch)
    summary = {"model": model.name, "parameters": sum(p.numel() for p in net.parameters()), "epochs": epochs,
               "train_seconds": round(seconds, 1),
               "train_tokens_seen": epochs * len(train) * t.batch_size * d.steps,
               "tokens_per_second": round(epochs * len(train) * t.batch_size * d.steps / seconds, 1)}
    return net, summary


def stream_scores(net: LanguageModel, ids: np.ndarray, chars: int) -> dict:
    """``{"val_loss_nats", "bpc", "perplexity", "tokens"}`` of the stream ``ids`` (which spells
    ``chars`` characters): every token scored with the state carried from the stream's start."""
    if len(ids) < 2:
        raise DataError(f"a stream of {len(ids)} token(s) has nothing to score; at least 2 are needed")
    logp = engine.predict(TargetLogProb(net), scoring_batches(ids, SCORING_STEPS)).double()  # (N - 1,)
    nats = float(-logp.mean())
    return {"val_loss_nats": nats, "bpc": float(-logp.sum()) / max(chars - 1, 1) / math.log(2),
            "perplexity": math.exp(min(nats, 700.0)), "tokens": int(len(ids) - 1)}


def train(config: GenerateConfig, out: str | Path, *, overwrite: bool = False, base: Path | None = None,
          progress: bool = False, resume: bool = False) -> dict:
    """Train ``config`` into the run directory ``out`` and score it on the held-out stream.

    Everything is checked before the directory is touched; the run trains in a hidden sibling
    folder that replaces ``out`` only when it has finished.

    Returns ``val_loss_nats``, ``bpc``, ``perplexity`` (per token), ``baselines`` (the unigram
    model), ``model``, ``parameters``, ``epochs``, ``train_seconds``, ``data`` (sizes) and ``run_dir``.
    """
    out = Path(out)
    check_out(out, overwrite, resume=resume)
    config = config.model_copy(update={"data": config.data.model_copy(update={"path": memory.absolute(config.data.path, base)})})
    d = config.data
    corpus = prepare_corpus(d.path, d.level, d.val_fraction, lowercase=d.lowercase, min_freq=d.min_freq,
                            max_vocab=d.max_vocab, steps=d.steps)
    model = recommended_model(d.level) if config.model == "auto" else config.model
    config = config.model_copy(update={"model": model})
    with staged_run(out, overwrite=overwrite, resume=resume) as work:
        net, summary = fit_model(config, model, corpus, work, progress)
        scores = stream_scores(net, corpus.val, corpus.val_chars)
        result = {**scores, "level": d.level, "baselines": {"unigram": unigram_baseline(corpus)},
                  **summary, "data": corpus.info}
        save_run(work, config, net, corpus.codec, result)
    result["run_dir"] = str(out)
    return result


def save_run(work: Path, config: GenerateConfig, net: LanguageModel, codec: TokenCodec, result: dict) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, {"kind": KIND, **codec.to_dict()})
    save_model(work, net, {"config": net.config.model_dump(mode="json"), "vocab_size": net.vocab_size})
    io.write_json(work / METRICS_FILE, standard_result(result))


def build_described(spec: dict) -> LanguageModel:
    """The network model.json describes, with fresh weights."""
    return LanguageModel(LMConfig.model_validate(spec["config"]), int(spec["vocab_size"]))


def load_run(run_dir: str | Path) -> tuple[GenerateConfig, LanguageModel, TokenCodec]:
    """The config, the trained model (eval mode) and the codec of a generate run."""
    run_dir, net, state = load_trained(run_dir, KIND, "seqlab generate train", build_described)
    return load_generate_config(run_dir / CONFIG_FILE), net, TokenCodec.from_dict(state)


# --------------------------------------------------------------------------------------------
# Evaluation and sampling


def evaluate(run_dir: str | Path, data: str | Path | None = None) -> dict:
    """Score a run's model on its own validation part (default) or on the whole text file ``data``.

    Returns ``{"val_loss_nats", "bpc", "perplexity", "tokens", "level", "source"}``; the loss is
    in nats per token (per character for a char model), bpc in bits per character of the text.
    """
    config, net, codec = load_run(run_dir)
    if data is None:
        from seqlab.tasks.generate.data import split_text

        text = read_text(config.data.path)
        _, part = split_text(text, config.data.val_fraction, config.data.path)
        source = f"{config.data.path} (last {config.data.val_fraction:.0%})"
    else:
        part, source = read_text(data), str(data)
    ids = codec.encode(part)
    return {**stream_scores(net, ids, len(part)), "level": codec.level, "source": source}


def sample(run_dir: str | Path, prompt: str = "", length: int = 500, temperature: float = 0.8,
           top_k: int | None = None, top_p: float | None = None, seed: int = 0) -> dict:
    """Continue ``prompt`` by ``length`` tokens; returns ``{"prompt", "text", "completion", ...}``.

    An empty prompt starts after a line break (or the most frequent token if the text has none).
    Prompt tokens outside the vocabulary are read as ``<unk>`` (and counted in ``unknown_in_prompt``).
    """
    check_sampling(length, temperature, top_k, top_p)
    _, net, codec = load_run(run_dir)
    ids = codec.encode(prompt).tolist()
    unknown = sum(1 for i in ids if i == 1)
    if not ids:
        start = "\n" if "\n" in codec.vocab else codec.vocab.tokens[2] if codec.vocab_size > 2 else None
        if start is None:
            raise DataError(f"{run_dir}: the vocabulary is empty; nothing to start sampling from")
        ids = codec.vocab.encode([start])
    new = generate_ids(net, ids, length, temperature, top_k, top_p, seed, never=(PAD,))  # padding is not text
    completion = codec.decode(new)
    if codec.level == "word" and prompt and new:
        completion = codec.decode(ids[-1:] + new)[len(codec.decode(ids[-1:])):]
    return {"prompt": prompt, "text": prompt + completion, "completion": completion, "tokens": len(new),
            "temperature": temperature, "top_k": top_k, "top_p": top_p, "seed": seed,
            "unknown_in_prompt": unknown}


def check_train_options(max_time_s: float | None) -> None:
    if max_time_s is not None and not max_time_s > 0:
        raise ConfigError(f"--max-time must be a positive number of seconds, got {max_time_s!r}")
