"""Translation runs: train into a run directory, evaluate BLEU, translate new sentences, draw attention.

``train(TranslateConfig(...), out)`` trains with teacher forcing through ``seqlab.training.engine.fit``
(x = (source batch, target input), y = target output, padding left out of the loss), chooses
the beam width on validation when it is not given, scores the held-out test pairs and writes
the run directory: ``config.yaml``, ``model.json``, ``weights.safetensors``,
``preprocessing.json`` (vocabularies, casing and spacing rules), ``test.tsv`` (the held-out
pairs), ``metrics.json``, ``metrics.csv`` and an attention heatmap of a test sentence.

BLEU is sacrebleu's corpus BLEU (13a tokenisation, exponential smoothing, cased) of the
detokenised, recased translations against the original target sentences; ``bleu_lowercase``
ignores case. Two trivial baselines put it in scale: copying the source sentence, and answering
every sentence with the most frequent training target.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import yaml

from seqlab.data import memory
from seqlab.errors import ConfigError, DataError
from seqlab.extras import require
from seqlab.models import io
from seqlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, Seq2SeqShape
from seqlab.tasks.results import standard_result
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out, staged_run
from seqlab.tasks.runfiles import existing_run_dir, load_trained, save_model
from seqlab.tasks.translate.config import TranslateConfig, load_translate_config
from seqlab.tasks.translate.data import (Pairs, TranslateSetup, encode_source, encoders_from_state, prepare,
                                         read_pairs)
from seqlab.tasks.translate.decode import translate_ids
from seqlab.tasks.translate.detok import detokenize
from seqlab.tasks.translate.select import BEAM_CHOICES, RECOMMENDED, VAL_SENTENCES
from seqlab.training import engine

log = logging.getLogger(__name__)
LOSS = "masked_sparse_categorical_crossentropy"
METRICS_FILE, TEST_FILE, HEATMAP_FILE = "metrics.json", "test.tsv", "attention.png"
EXAMPLES = 10


# --------------------------------------------------------------------------------------------
# BLEU and baselines


def bleu(hypotheses: list[str], references: list[str], lowercase: bool = False) -> float:
    """sacrebleu's corpus BLEU (0-100) of detokenised hypotheses against one reference each."""
    if len(hypotheses) != len(references):
        raise DataError(f"BLEU: {len(hypotheses)} translations for {len(references)} references")
    if not references:
        raise DataError("BLEU: no sentences to score")
    sacrebleu = require("sacrebleu", extra="translate")
    return float(sacrebleu.corpus_bleu(hypotheses, [references], lowercase=lowercase).score)


def baselines(pairs: Pairs, train_targets: list[str] | None = None) -> dict:
    """BLEU of copying each source sentence, and of always answering the most frequent training target."""
    out = {"copy_source": bleu(pairs.src, pairs.tgt)}
    if train_targets:
        common = Counter(train_targets).most_common(1)[0][0]
        out["most_frequent_target"] = {"sentence": common, "bleu": bleu([common] * len(pairs), pairs.tgt)}
    return out


# --------------------------------------------------------------------------------------------
# Translating with a trained network


@dataclasses.dataclass
class Translator:
    """A trained network with what it needs to read sources and write targets."""

    net: Seq2Seq
    state: dict  # preprocessing.json

    def __post_init__(self) -> None:
        self.src_encoder, self.tgt_encoder = encoders_from_state(self.state)

    def source_ids(self, texts: list[str]) -> list[list[int]]:
        return encode_source(texts, self.src_encoder)

    def translate(self, texts: list[str], beam: int, alpha: float, batch_size: int = 128) -> tuple[list[str], list]:
        """Detokenised translations and, for each, ``(source tokens, output tokens, weights (T, S))``."""
        if not texts:
            raise DataError("translate: no sentences given")
        ids, weights = translate_ids(self.net, self.source_ids(texts), beam=beam, alpha=alpha,
                                     max_len=int(self.state["max_target_tokens"]) + 5, batch_size=batch_size)
        vocab = self.tgt_encoder.vocabulary.tokens
        outputs = [[vocab[i] for i in seq] for seq in ids]
        texts_out = [detokenize(tokens, self.state["surface"]) for tokens in outputs]
        src_tokens = [self.src_encoder.tokens(t) or ["<unk>"] for t in texts]
        return texts_out, [(s, o + ["<eos>"], w) for s, o, w in zip(src_tokens, outputs, weights)]


def build_described(spec: dict) -> Seq2Seq:
    """The network model.json describes, with fresh weights."""
    return Seq2Seq(Seq2SeqConfig.model_validate(spec["config"]), Seq2SeqShape(**spec["shape"]))


# --------------------------------------------------------------------------------------------
# Training


def fit_model(config: TranslateConfig, model: Seq2SeqConfig, setup: TranslateSetup, run_dir: Path | None,
              progress: bool = False) -> tuple[Seq2Seq, dict]:
    """Train one network on the training pairs (early stopping on the validation loss)."""
    import torch

    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # the weights' initialisation, before the engine seeds the loop
    shape = Seq2SeqShape(setup.src_encoder.vocab_size, setup.tgt_encoder.vocab_size)
    net = Seq2Seq(model, shape)
    train_config = config.train.model_copy(update={"progress": progress})
    started = time.perf_counter()
    history = engine.fit(net, loss=LOSS, metrics=[], optimizer=config.optimizer, from_logits=True,
                         train_loader=setup.loader("train", train_config.batch_size, train=True),
                         val_loader=setup.loader("val", 256), config=train_config, run_dir=run_dir)
    summary = {"model": f"{model.name}+{model.attention}", "parameters": sum(p.numel() for p in net.parameters()),
               "epochs": len(history.epoch), "train_seconds": round(time.perf_counter() - started, 2),
               "val_loss": [round(v, 4) for v in history.history.get("val_loss", [])]}
    return net, summary


def choose_beam(translator: Translator, pairs: Pairs, alpha: float, batch_size: int) -> dict:
    """BLEU of each width of ``BEAM_CHOICES`` on (up to ``VAL_SENTENCES``) validation pairs; the best is chosen."""
    sub = pairs.subset(range(min(len(pairs), VAL_SENTENCES)))
    scores = {}
    for k in BEAM_CHOICES:
        hyps, _ = translator.translate(sub.src, k, alpha, batch_size)
        scores[k] = bleu(hyps, sub.tgt)
    best = max(BEAM_CHOICES, key=lambda k: (scores[k], -k))  # ties: the cheaper search
    return {"chosen": best, "val_bleu": {str(k): round(v, 2) for k, v in scores.items()}, "sentences": len(sub)}


def train(config: TranslateConfig, out: str | Path, *, overwrite: bool = False, progress: bool = False,
          resume: bool = False) -> dict:
    """Train ``config`` into the run directory ``out`` and report test BLEU, baselines and examples.

    Everything is checked before the directory is touched; the run trains in a hidden sibling
    folder that replaces ``out`` only when it has finished.

    Returns ``bleu`` (test, with the chosen search), ``bleu_greedy``, ``bleu_beam``,
    ``bleu_lowercase``, ``beam``, ``baselines``, ``model``, ``parameters``, ``epochs``,
    ``train_seconds``, ``data`` (sizes), ``beam_selection`` (when the width was chosen),
    ``examples`` and ``run_dir``.
    """
    out = Path(out)
    check_out(out, overwrite, resume=resume)
    config = config.model_copy(update={"data": config.data.model_copy(update={"path": memory.absolute(config.data.path)})})
    setup = prepare(config.data)
    model = RECOMMENDED if config.model == "auto" else config.model
    with staged_run(out, overwrite=overwrite, resume=resume) as work:
        net, summary = fit_model(config, model, setup, work, progress)
        state = {"kind": "translation", **setup.preprocessing()}
        translator = Translator(net.eval(), state)
        d = config.decode
        selection = None
        beam = d.beam
        if beam is None:
            selection = choose_beam(translator, setup.splits["val"], d.length_penalty, d.batch_size)
            beam = selection["chosen"]
        test = setup.splits["test"]
        scored = {}
        for k in sorted({1, beam, BEAM_CHOICES[-1]}):
            hyps, att = translator.translate(test.src, k, d.length_penalty, d.batch_size)
            scored[k] = (hyps, att)
        hyps, att = scored[beam]
        result = {"bleu": bleu(hyps, test.tgt), "bleu_lowercase": bleu(hyps, test.tgt, lowercase=True), "beam": beam,
                  "bleu_greedy": bleu(scored[1][0], test.tgt),
                  "bleu_beam": {str(k): bleu(h, test.tgt) for k, (h, _) in scored.items() if k > 1},
                  "sentences": len(test), "baselines": baselines(test, setup.splits["train"].tgt), **summary,
                  "data": setup.info, "examples": [{"source": s, "reference": r, "translation": h}
                                                   for s, r, h in list(zip(test.src, test.tgt, hyps))[:EXAMPLES]]}
        if selection is not None:
            result["beam_selection"] = selection
        # the model and search actually used, so the run's config.yaml rebuilds and re-decodes it
        config = config.model_copy(update={"model": model, "decode": d.model_copy(update={"beam": beam})})
        save_run(work, config, net, state, test, result)
        plot_attention(*att[0], work / HEATMAP_FILE, title=f"{summary['model']}: {hyps[0]}")
    result["run_dir"] = str(out)
    return result


def save_run(work: Path, config: TranslateConfig, net: Seq2Seq, state: dict, test: Pairs, result: dict) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, state)
    save_model(work, net, {"config": net.config.model_dump(mode="json"),
                                      "shape": dataclasses.asdict(net.shape)})
    io.atomic_write_text(work / TEST_FILE, "".join(f"{s}\t{t}\n" for s, t in zip(test.src, test.tgt)))
    io.write_json(work / METRICS_FILE, standard_result(result))


# --------------------------------------------------------------------------------------------
# Using a run


def load_run(run_dir: str | Path) -> tuple[TranslateConfig, Translator]:
    """The config and the trained translator of a run directory."""
    run_dir, net, state = load_trained(run_dir, "translation", "seqlab translate train", build_described)
    return load_translate_config(run_dir / CONFIG_FILE), Translator(net, state)


def _search(config: TranslateConfig, beam: int | None) -> int:
    if beam is not None and beam < 1:
        raise ConfigError(f"--beam: the beam width is at least 1 (1 = greedy), got {beam}")
    if beam is not None:
        return beam
    if config.decode.beam is not None:
        return config.decode.beam
    raise ConfigError("the run has no beam width in config.yaml (decode.beam); pass --beam")


def evaluate(run_dir: str | Path, data: str | Path | None = None, *, beam: int | None = None,
             heatmaps: str | Path | None = None) -> dict:
    """BLEU of a run's translations of ``data`` (a pairs file; default: the run's held-out test pairs).

    With ``heatmaps``, the attention of the first ``EXAMPLES`` sentences is drawn there as PNG files.
    """
    config, translator = load_run(run_dir)
    k = _search(config, beam)
    pairs = read_pairs(data if data is not None else existing_run_dir(run_dir) / TEST_FILE)
    hyps, att = translator.translate(pairs.src, k, config.decode.length_penalty, config.decode.batch_size)
    result = {"bleu": bleu(hyps, pairs.tgt), "bleu_lowercase": bleu(hyps, pairs.tgt, lowercase=True), "beam": k,
              "sentences": len(pairs), "baselines": baselines(pairs), "source": pairs.source,
              "model": f"{translator.net.config.name}+{translator.net.config.attention}", "run_dir": str(run_dir)}
    if heatmaps is not None:
        folder = Path(heatmaps)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"--heatmaps {folder}: exists and is not a folder")
        result["heatmaps"] = [str(plot_attention(*att[i], folder / f"attention_{i + 1:02d}.png", title=hyps[i]))
                              for i in range(min(EXAMPLES, len(hyps)))]
    return result


def predict(run_dir: str | Path, texts: list[str], *, beam: int | None = None,
            heatmap: str | Path | None = None) -> list[dict]:
    """``{"source", "translation"}`` for each text. ``heatmap`` (a .png path) draws the attention of the
    first text there, and of text i > 1 beside it as ``<stem>_<i>.png``."""
    from seqlab.tasks.figures import png_path

    if not texts or any(not t.strip() for t in texts):
        raise DataError("translate predict: give one or more non-empty sentences")
    config, translator = load_run(run_dir)
    hyps, att = translator.translate(texts, _search(config, beam), config.decode.length_penalty,
                                     config.decode.batch_size)
    records = [{"source": t, "translation": h} for t, h in zip(texts, hyps)]
    if heatmap is not None:
        first = png_path(heatmap)
        for i, (record, weights) in enumerate(zip(records, att)):
            path = first if i == 0 else first.with_name(f"{first.stem}_{i + 1}.png")
            record["heatmap"] = str(plot_attention(*weights, path, title=record["translation"]))
    return records


def plot_attention(src_tokens: list[str], out_tokens: list[str], weights: np.ndarray, path: str | Path,
                   title: str = "") -> Path:
    """A heatmap of the attention weights: output tokens down, source tokens across."""
    from matplotlib.figure import Figure

    from seqlab.tasks.figures import png_path, save_png

    path = png_path(path)
    weights = np.asarray(weights)[:len(out_tokens), :len(src_tokens)]
    out_tokens = out_tokens[:weights.shape[0]]  # no <eos> row when the search stopped at max_len
    fig = Figure(figsize=(1.0 + 0.5 * max(4, len(src_tokens)), 1.0 + 0.45 * max(4, len(out_tokens))))
    ax = fig.add_subplot()
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(src_tokens)), src_tokens, rotation=45, ha="right")
    ax.set_yticks(range(len(out_tokens)), out_tokens)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title[:60], fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save_png(fig, path)
