"""Free Spoken Digit Dataset: every speech family, ``auto``, white noise, and speakers held out.

    flock /tmp/seqlab-cpu.lock .venv/bin/python bench/speech_fsdd.py --part auto|families|speakers [...]
    .venv/bin/python bench/speech_fsdd.py --markdown      # bench/results/speech_fsdd.md from the JSON

- ``auto``: ``seqlab speech train --data .../recordings`` as a user gets it (``SpeechConfig``'s defaults,
  official split: index 0-4 test, validation carved from the training files), its test accuracy, each
  member's test accuracy, and the accuracy with seeded white noise at 20 and 10 dB SNR added to every
  test utterance (``run.evaluate(snr_db=..., seed=0)``).
- ``families``: each named model with the same defaults (optionally a wall-clock budget per model,
  ``--max-seconds``, reported beside its figures), test accuracy, training time, noise accuracy.
- ``speakers``: train on five speakers (all their files) and test on the sixth, for each speaker
  (``data.test_speakers``), with ``--speaker-model`` and ``--speaker-epochs``.

Nothing is chosen on the test files: early stopping and auto look at the validation split only.
Results merge into bench/results/speech_fsdd.json (atomically), one entry per model / speaker.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_atomic  # noqa: E402

from seqlab.models.speech import SpeechEnsemble  # noqa: E402
from seqlab.tasks.speech import run  # noqa: E402
from seqlab.tasks.speech.config import SpeechConfig  # noqa: E402
from seqlab.tasks.speech.data import compute_features  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech" / "fsdd" / "recordings"
OUT = RESULTS / "speech_fsdd.json"
SPEAKERS = ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
SNRS = (20.0, 10.0)
CACHE: dict = {}


def _load() -> dict:
    import json

    return json.loads(OUT.read_text()) if OUT.exists() else {}


def _save(results: dict) -> None:
    write_atomic(OUT, results)


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent).stdout.strip()


def _stamp(command: str) -> dict:
    return {"machine": machine(), "commit": _commit(), "command": command}


def _config(model: str, features: str | None = None, **train) -> SpeechConfig:
    cfg = SpeechConfig(data={"path": str(DATA), **({"features": features} if features else {})}, model=model)
    if train:
        cfg = cfg.model_copy(update={"train": cfg.train.model_copy(update=train)})
    return cfg


def _noise(out: Path) -> dict:
    return {f"{snr:g}dB": run.evaluate(out, snr_db=snr, seed=0)["accuracy"] for snr in SNRS}


def part_auto(command: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        started = time.perf_counter()
        result = run.train(_config("auto"), out, cache=CACHE)
        wall = time.perf_counter() - started
        _, net, _ = run.load_run(out)
        members, members_noise = {}, {}
        if isinstance(net, SpeechEnsemble):
            setup = run.prepare_speech(_config("auto").data, cache=CACHE)
            test = setup.splits["test"]
            noisy = {f"{snr:g}dB": compute_features(test.rec.files, setup.spec, snr_db=snr, seed=0) for snr in SNRS}
            for member in net.members:
                name = member.config.name
                members[name] = float((run.predict_proba(member.eval(), test.feats).argmax(1) == test.y).mean())
                members_noise[name] = {k: float((run.predict_proba(member, f).argmax(1) == test.y).mean())
                                       for k, f in noisy.items()}
        entry = {"test_accuracy": result["accuracy"], "test_macro_f1": result["macro_f1"],
                 "val_accuracy": result["val"]["accuracy"], "model": result["model"],
                 "parameters": result["parameters"], "epochs": result["epochs"],
                 "train_seconds": result["train_seconds"], "wall_seconds_with_features": round(wall, 1),
                 "selection": result["selection"], "member_test_accuracy": members,
                 "member_noise_accuracy": members_noise,
                 "noise_accuracy": _noise(out), "confusion_matrix": result["confusion_matrix"], **_stamp(command)}
    return {"auto": entry}


def part_families(models: list[str], max_seconds: float | None, command: str, features: str | None = None) -> dict:
    entries = {}
    for model in models:
        train = {"max_time_s": max_seconds} if max_seconds else {}
        name = model if features is None else f"{model} ({features})"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            result = run.train(_config(model, features, **train), out, cache=CACHE)
            entries[name] = {"features": result_features(out), "test_accuracy": result["accuracy"], "test_macro_f1": result["macro_f1"],
                             "val_accuracy": result["val"]["accuracy"], "parameters": result["parameters"],
                             "epochs": result["epochs"], "train_seconds": result["train_seconds"],
                             "max_time_s": max_seconds, "noise_accuracy": _noise(out), **_stamp(command)}
        print(name, entries[name]["test_accuracy"], entries[name]["train_seconds"], flush=True)
    return {"families": entries}


def result_features(out: Path) -> str:
    return run.load_run(out)[0].data.features


def part_speakers(model: str, epochs: int, speakers: list[str], command: str) -> dict:
    entries = {}
    for speaker in speakers:
        cfg = _config(model, epochs=epochs)
        cfg = cfg.model_copy(update={"data": cfg.data.model_copy(update={"test_speakers": [speaker]})})
        with tempfile.TemporaryDirectory() as tmp:
            result = run.train(cfg, Path(tmp) / "run", cache=CACHE)
        entries[speaker] = {"test_accuracy": result["accuracy"], "test_files": result["files"],
                            "val_accuracy": result["val"]["accuracy"], "epochs": result["epochs"],
                            "train_seconds": result["train_seconds"], "model": model, "max_epochs": epochs,
                            **_stamp(command)}
        print(speaker, result["accuracy"], result["train_seconds"], flush=True)
    return {"speakers": entries}


def markdown(results: dict) -> str:
    lines = ["## Speech recognition: Free Spoken Digit Dataset (`seqlab speech`)", ""]
    any_entry = results.get("auto") or next(iter(results.get("families", {}).values()), None)
    if any_entry:
        m = any_entry["machine"]
        lines += [f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} CPU, {m['torch_threads']} torch "
                  "thread(s) (the machine was shared with other jobs; the load average at the start of each "
                  "entry is in the JSON). Data: FSDD, 3,000 recordings at 8 kHz, 6 speakers; official split "
                  "(index 0-4 = 300 test files); validation = 10% of the training files per digit (seeded); "
                  "features (the default): 20 MFCCs of 40 mel bands, 25 ms Hann window, 10 ms hop, per-utterance "
                  "mean/variance normalisation (rows marked logmel: the 40 log-mel bands themselves); "
                  "SpecAugment in training. Noise: seeded white Gaussian noise at the stated SNR added to each "
                  "test waveform before featurisation. Results: `bench/results/speech_fsdd.json`.", ""]
    rows = []
    if "auto" in results:
        a = results["auto"]
        rows.append(("auto (" + a["model"] + ")", a))
        for k, cand in enumerate(a["selection"]["candidates"]):
            name = cand["model"]
            if name in a.get("member_test_accuracy", {}):
                rows.append((f"{name} (auto's member, seed {k})",
                             {"test_accuracy": a["member_test_accuracy"][name], "val_accuracy": cand["val_accuracy"],
                              "noise_accuracy": a["member_noise_accuracy"][name], "parameters": cand["parameters"],
                              "epochs": cand["epochs"], "train_seconds": cand["train_seconds"],
                              "machine": a["machine"], "commit": a["commit"]}))
    for name, e in results.get("families", {}).items():
        rows.append((name, e))
    if rows:
        lines += ["| model | test accuracy | val accuracy | 20 dB SNR | 10 dB SNR | parameters | epochs | train s | "
                  "date (UTC) | commit |", "|---|---|---|---|---|---|---|---|---|---|"]
        for name, e in rows:
            budget = f" (budget {e['max_time_s']:g} s)" if e.get("max_time_s") else ""
            lines.append(f"| {name}{budget} | {e['test_accuracy']:.4f} | {e['val_accuracy']:.4f} | "
                         f"{e['noise_accuracy']['20dB']:.4f} | {e['noise_accuracy']['10dB']:.4f} | {e['parameters']:,} | "
                         f"{e['epochs']} | {e['train_seconds']:.0f} | {e['machine']['date']} | {e['commit']} |")
        lines.append("")
    if "auto" in results and results["auto"].get("member_test_accuracy"):
        members = ", ".join(f"{k} {v:.4f}" for k, v in results["auto"]["member_test_accuracy"].items())
        cands = ", ".join(f"{c['model']} {c['val_accuracy']:.4f}" for c in results["auto"]["selection"]["candidates"])
        lines += [f"auto's members on test: {members}; on validation: {cands}; the average on validation "
                  f"{results['auto']['selection']['ensemble_val_accuracy']:.4f}. Bar: 0.98; a published MFCC CNN "
                  "reaches 0.97.", ""]
    if "speakers" in results:
        sp = results["speakers"]
        first = next(iter(sp.values()))
        lines += [f"Speaker held out (train on the other five speakers' files, all indices; test on every file of "
                  f"the held-out speaker, 500 files), model {first['model']}, at most {first['max_epochs']} epochs:",
                  "", "| held-out speaker | test accuracy | val accuracy | epochs | train s |", "|---|---|---|---|---|"]
        for s, e in sp.items():
            lines.append(f"| {s} | {e['test_accuracy']:.4f} | {e['val_accuracy']:.4f} | {e['epochs']} | "
                         f"{e['train_seconds']:.0f} |")
        mean = sum(e["test_accuracy"] for e in sp.values()) / len(sp)
        lines += [f"| **mean over {len(sp)}** | **{mean:.4f}** | | | |", "",
                  f"({first['machine']['date']}, commit {first['commit']})", ""]
    commands = sorted({e["command"] for e in ([results["auto"]] if "auto" in results else [])
                       + list(results.get("families", {}).values()) + list(results.get("speakers", {}).values())})
    if commands:
        lines += ["Commands:", "", "```", *commands, "```", ""]
    lines += ["Each entry records HEAD at its start; others committed in between, so the hashes differ. The "
              "code these runs execute (data/audio.py, models/speech, tasks/speech, training, layers) is the "
              "same at all of them (`git diff f6e1383 73edd90` on those paths changes only config.py's "
              "docstring and import order). A family row marked 'budget 45 s' trained with "
              "`train.max_time_s=45`; fewer epochs than 30 at less than 45 s means early stopping ended it. "
              "The speaker-held-out validation split comes from the five training speakers, which is why it "
              "reads ~1.0 while the unseen speaker scores lower.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", help="auto, families, speakers, or several comma-separated")
    parser.add_argument("--models", default="lstm,gru,bilstm,bigru,conv1d,cnn-rnn")
    parser.add_argument("--max-seconds", type=float, default=None, help="wall-clock budget per family model")
    parser.add_argument("--features", default=None, help="families: mfcc or logmel (default: the task's default)")
    parser.add_argument("--speaker-model", default="conv1d")
    parser.add_argument("--speaker-epochs", type=int, default=15)
    parser.add_argument("--speakers", default=",".join(SPEAKERS))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: steady on a shared 2-core machine)")
    parser.add_argument("--markdown", action="store_true", help="write bench/results/speech_fsdd.md and stop")
    args = parser.parse_args()
    if args.markdown:
        results = _load()
        (RESULTS / "speech_fsdd.md").write_text(markdown(results))
        print(markdown(results))
        return
    torch.set_num_threads(args.threads)
    command = "flock /tmp/seqlab-cpu.lock .venv/bin/python bench/speech_fsdd.py " + " ".join(sys.argv[1:])
    parts = (args.part or "").split(",")
    if not args.part or not set(parts) <= {"auto", "families", "speakers"}:
        parser.error("give --part auto, families and/or speakers (comma-separated), or --markdown")
    for part in parts:
        results = _load()  # another invocation may have merged its part meanwhile
        if part == "auto":
            results.update(part_auto(command))
        elif part == "families":
            fams = part_families(args.models.split(","), args.max_seconds, command, args.features)
            results.setdefault("families", {}).update(fams["families"])
        else:
            sp = part_speakers(args.speaker_model, args.speaker_epochs, args.speakers.split(","), command)
            results.setdefault("speakers", {}).update(sp["speakers"])
        _save(results)


if __name__ == "__main__":
    main()
