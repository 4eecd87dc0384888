"""Speech-recognition runs: train a model into a run directory, evaluate it, label WAV files.

A speech run directory holds::

    config.yaml          the resolved SpeechConfig (model chosen)
    preprocessing.json   labels and the feature spec (sample rate, log-mel/MFCC sizes, window, hop)
    model.json           the classifier config (or an ensemble's configs) and the shape it was built for
    weights.safetensors  the weights of the best validation epoch
    metrics.csv          one row per epoch (a named model; auto keeps its candidates' rows in metrics.json)
    metrics.json         validation (and test) scores beside the majority-class baseline
    confusion.png        the confusion matrix of the headline split
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
import yaml

from seqlab.data import memory
from seqlab.data.audio import FeatureSpec, list_wavs
from seqlab.errors import DataError
from seqlab.models import io
from seqlab.models.speech import SpeechClassifier, SpeechEnsemble, SpeechModelConfig, SpeechShape, build_speech_model
from seqlab.tasks.results import standard_result
from seqlab.tasks.classification import classification_scores, plot_confusion
from seqlab.tasks.classifying import (build_from_description, fit_classifier, fit_summary,
                                      majority_class, model_description, model_name, sorted_probabilities,
                                      train_run)
from seqlab.tasks.rundir import CONFIG_FILE, PREPROCESSING_FILE, check_out
from seqlab.tasks.runfiles import load_trained, save_model
from seqlab.tasks.speech.config import SpeechConfig, load_speech_config
from seqlab.tasks.speech.data import (FeatureCache, FeatureDataset, SpeechSetup, compute_features, label_ids,
                                      make_loader, prepare_speech, read_recordings)

log = logging.getLogger(__name__)
KIND = "speech-recognition"
METRICS_FILE, CONFUSION_FILE = "metrics.json", "confusion.png"
EVAL_BATCH = 128


# --------------------------------------------------------------------------------------------
# Fitting and scoring one model


def fit_model(config: SpeechConfig, model: SpeechModelConfig, setup: SpeechSetup, run_dir: Path | None = None,
              progress: bool = False) -> tuple[SpeechClassifier, dict]:
    """Build ``model`` for ``setup`` and train it with the engine; returns it and a summary."""
    if config.train.seed is not None:
        torch.manual_seed(config.train.seed)  # initial weights, before the engine seeds training
    net = build_speech_model(model, SpeechShape(setup.spec.dim, len(setup.labels)))
    train_config = config.train.model_copy(update={"progress": progress})
    history, seconds = fit_classifier(net, config, train_config, setup.loader("train", train_config.batch_size, train=True),
                                      setup.loader("val", EVAL_BATCH), run_dir)
    return net, fit_summary(net, history, seconds)


def predict_proba(net: SpeechClassifier | SpeechEnsemble, feats: list[np.ndarray]) -> np.ndarray:
    """(n, C) class probabilities, in the order of ``feats``."""
    return sorted_probabilities(net, make_loader(FeatureDataset(feats), EVAL_BATCH, train=False), len(feats))


def score(net, setup: SpeechSetup, split: str) -> dict:
    part = setup.splits[split]
    y_pred = predict_proba(net, part.feats).argmax(axis=1)
    return {**_scores(part.y, y_pred, setup.labels), "split": split, "source": part.rec.source}


def _scores(y: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    s = classification_scores(y, y_pred, labels)
    s["files"] = s.pop("texts")
    return s


def majority_baseline(setup: SpeechSetup, split: str) -> dict:
    """The accuracy of always answering the most frequent training label."""
    return majority_class(setup.splits["train"].y, setup.splits[split].y, setup.labels)


# --------------------------------------------------------------------------------------------
# Run directories


def train(config: SpeechConfig, out: str | Path, *, overwrite: bool = False, progress: bool = False,
          cache: FeatureCache | None = None, resume: bool = False) -> dict:
    """Train ``config`` into the run directory ``out`` and score it on validation (and test, if any).

    ``model: auto`` trains the candidates of :mod:`seqlab.tasks.speech.select` and keeps the best
    by validation accuracy. Everything is checked before the directory is touched; the run trains
    in a hidden sibling folder that replaces ``out`` only when it has finished. ``cache`` shares
    computed features between runs in one process (the benchmark's folds).

    Returns the headline split's scores at the top level (test if there is one, else
    validation), ``val``, ``test``, ``baselines``, ``model``, ``parameters``, ``train_seconds``,
    ``data`` (sizes), ``selection`` (auto) and ``run_dir``.
    """
    from seqlab.tasks.speech.select import select_model

    out = Path(out)
    check_out(out, overwrite, resume=resume)
    config = config.model_copy(update={"data": config.data.model_copy(update={"path": memory.absolute(config.data.path)})})
    setup = prepare_speech(config.data, seed=config.train.seed or 0, cache=cache)
    return train_run(config, setup, out, overwrite=overwrite, resume=resume, progress=progress, fit_model=fit_model,
                     select_model=select_model, score=score, baseline=majority_baseline, save_run=save_run)


def save_run(work: Path, config: SpeechConfig, net, setup: SpeechSetup, result: dict, head: str) -> None:
    io.atomic_write_text(work / CONFIG_FILE, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    io.write_json(work / PREPROCESSING_FILE, {"kind": KIND, **setup.preprocessing()})
    save_model(work, net, model_description(net))
    io.write_json(work / METRICS_FILE, standard_result(result))
    plot_confusion(result["confusion_matrix"], setup.labels, work / CONFUSION_FILE,
                   title=f"{model_name(net)} on {head} ({result['files']} files)")


def build_described(spec: dict) -> SpeechClassifier | SpeechEnsemble:
    """The network model.json describes, with fresh weights."""
    return build_from_description(spec, SpeechShape, SpeechModelConfig, build_speech_model, SpeechEnsemble)


def load_run(run_dir: str | Path) -> tuple[SpeechConfig, SpeechClassifier | SpeechEnsemble, dict]:
    """The config, the trained model and the preprocessing state of a speech run."""
    run_dir, net, state = load_trained(run_dir, KIND, "seqlab speech train", build_described)
    return load_speech_config(run_dir / CONFIG_FILE), net, state


def evaluate(run_dir: str | Path, data: str | Path | None = None, *, snr_db: float | None = None, seed: int = 0,
             confusion: str | Path | None = None) -> dict:
    """Score a run's model on every WAV file of ``data`` (labels from the file names), or on the run's
    own test files when ``data`` is None. With ``snr_db``, seeded white noise at that SNR is added to
    each utterance first (see ``data.compute_features``)."""
    config, net, state = load_run(run_dir)
    if data is None:
        from seqlab.tasks.speech.data import split_recordings

        _, rec = split_recordings(read_recordings(config.data.path), config.data)
        if rec is None:
            raise DataError(f"{run_dir}: the run's data {config.data.path} has no test files; pass --data")
    else:
        rec = read_recordings(data)
    y = label_ids(rec, state["labels"])
    spec = FeatureSpec.from_dict(state["features"])
    probs = predict_proba(net, compute_features(rec.files, spec, snr_db=snr_db, seed=seed))
    result = {**_scores(y, probs.argmax(axis=1), state["labels"]), "source": rec.source, "model": model_name(net),
              "run_dir": str(Path(run_dir))}
    if snr_db is not None:
        result.update({"snr_db": snr_db, "noise_seed": seed})
    if confusion is not None:
        plot_confusion(result["confusion_matrix"], state["labels"], confusion, title=f"{model_name(net)} on {rec.source}")
    return result


def predict_files(run_dir: str | Path, files: list[str | Path]) -> list[dict]:
    """``{"file", "label", "probabilities": {name: p}}`` for each WAV file (a folder gives its .wav files)."""
    _, net, state = load_run(run_dir)
    paths = [p for f in files for p in list_wavs(f)]
    if not paths:
        raise DataError("predict: no WAV files given")
    spec = FeatureSpec.from_dict(state["features"])
    probs = predict_proba(net, compute_features(paths, spec))
    names = state["labels"]
    return [{"file": str(path), "label": names[int(p.argmax())],
             "probabilities": {n: round(float(v), 6) for n, v in zip(names, p)}}
            for path, p in zip(paths, probs)]
