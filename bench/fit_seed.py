"""Seconds per epoch of the seed's text model: seqlab ``Sequential.fit`` against Keras 3 ``fit``.

    python bench/fit_seed.py [--json] [--epochs 2] [--backends jax,torch]

The model is seed document 000's: Embedding(V, 64) -> LSTM(64) -> Dense(2, softmax), Adam,
sparse categorical cross-entropy, batch 64, on SST-2's training split (67,349 phrases, the
copy seqlab ships), words to ids by seqlab's word encoder, padded at the front to the longest
phrase (no masking, as in the seed's code). Both fit the same arrays, shuffled each epoch; an
epoch is timed from its first batch to its last (validation off). Epoch 1 includes Keras' XLA
compilation, so the comparison uses the last epoch. Keras runs in its own process per backend,
right after seqlab, in the same run. Results: bench/results/fit_seed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, show, write_atomic  # noqa: E402

from seqlab import Sequential  # noqa: E402
from seqlab.data.encoders import WordEncoder  # noqa: E402
from seqlab.data.textsets import read_text_source  # noqa: E402
from seqlab.layers import LSTM, Dense, Embedding  # noqa: E402


class EpochTimer(Callback):
    def __init__(self):
        self.seconds = []

    def on_train_epoch_start(self, trainer, pl_module):
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module):
        self.seconds.append(time.perf_counter() - self._start)


def sst2_arrays() -> tuple[np.ndarray, np.ndarray, int]:
    table = read_text_source("sst2", split="train")
    encoder = WordEncoder.build(table.texts)
    ids = encoder.encode_batch(table.texts)
    length = max(len(i) for i in ids)
    x = np.zeros((len(ids), length), dtype=np.int64)
    for row, seq in zip(x, ids):
        if seq:
            row[-len(seq):] = seq  # Keras' pad_sequences default: padding in front
    labels = sorted(set(table.labels))
    y = np.array([labels.index(label) for label in table.labels], dtype=np.int64)
    return x, y, encoder.vocab_size


def seqlab_fit(x, y, vocab: int, epochs: int, batch_size: int) -> dict:
    torch.manual_seed(0)
    model = Sequential([Embedding(vocab, 64), LSTM(64), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[timer])
    return {"epoch_seconds": [round(s, 3) for s in timer.seconds],
            "train_accuracy": [round(float(a), 4) for a in history.history.get("accuracy", [])]}


def keras_fit(path: str, backend: str, epochs: int, batch_size: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).with_name("keras_anchor.py")), "--fit", path,
           "--epochs", str(epochs), "--batch-size", str(batch_size)]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": backend})
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--backends", default="jax,torch")
    args = parser.parse_args()
    x, y, vocab = sst2_arrays()
    result = {"benchmark": "seed LSTM(64) text model, seconds per epoch, seqlab fit vs Keras 3 fit",
              "machine": machine(), "data": {"rows": int(len(x)), "length": int(x.shape[1]), "vocab": vocab},
              "batch_size": args.batch_size, "epochs": args.epochs}
    result["seqlab"] = seqlab_fit(x, y, vocab, args.epochs, args.batch_size)
    ours = result["seqlab"]["epoch_seconds"][-1]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "sst2.npz")
        np.savez(path, x=x.astype(np.int32), y=y, vocab=vocab)
        for backend in filter(None, args.backends.split(",")):
            k = keras_fit(path, backend, args.epochs, args.batch_size)
            if "fit" in k:
                k["speedup_last_epoch"] = round(k["fit"]["epoch_seconds"][-1] / ours, 2)
            result[f"keras_{backend}"] = k
    result["load_average_1min_end"] = os.getloadavg()[0]
    write_atomic(RESULTS / "fit_seed.json", result)
    if args.json:
        print(json.dumps(result))
        return
    rows = [["seqlab Sequential.fit", *map(str, result["seqlab"]["epoch_seconds"]), "1.00x"]]
    for backend in filter(None, args.backends.split(",")):
        k = result[f"keras_{backend}"]
        if "fit" in k:
            rows.append([f"Keras {k['keras']} fit ({backend} {k['backend_version']})",
                         *map(str, k["fit"]["epoch_seconds"]), f"{k['speedup_last_epoch']:.2f}x"])
        else:
            rows.append([f"Keras ({backend})", k["error"], *[""] * args.epochs])
    show(f"seed LSTM(64) text model on SST-2 train ({len(x)} rows x {x.shape[1]} ids), batch "
         f"{args.batch_size}, seconds per epoch ({result['machine']['cpu']})",
         ["", *[f"epoch {i + 1} s" for i in range(args.epochs)], "seqlab faster by (last epoch)"], rows)


if __name__ == "__main__":
    main()
