"""Keras 3 anchor rows for the recurrent benchmarks; run with KERAS_BACKEND=jax or torch.

    KERAS_BACKEND=jax python bench/keras_anchor.py --layers [--repeats N]
    KERAS_BACKEND=jax python bench/keras_anchor.py --fit DATA.npz [--epochs 2]

``--layers``: LSTM, GRU and SimpleRNN (tanh, relu) with ``return_sequences=True`` at B=64,
T=128, D=64, H=128, float32: a training step (``train_on_batch`` on a mean-square loss with
SGD at learning rate 0, so the update is the only extra work over forward and backward) and
inference (``predict_on_batch``); medians after a warm-up that includes compilation.
``--fit``: the seed's text model (Embedding(V, 64) -> LSTM(64) -> Dense(2, softmax), Adam,
sparse cross-entropy) fitted on ``x``/``y`` of the .npz file; seconds per epoch.
Prints one JSON line. Keras is installed only for benchmarks (``make bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import keras

B, T, D, H = 64, 128, 64, 128


def backend_version() -> str:
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.__version__
    import torch

    return torch.__version__


def median_ms(f, repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def layers(repeats: int) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, D)).astype("float32")
    y = np.zeros((B, T, H), dtype="float32")
    made = {
        "LSTM": lambda: keras.layers.LSTM(H, return_sequences=True),
        "GRU": lambda: keras.layers.GRU(H, return_sequences=True),
        "SimpleRNN tanh": lambda: keras.layers.SimpleRNN(H, return_sequences=True),
        "SimpleRNN relu": lambda: keras.layers.SimpleRNN(H, activation="relu", return_sequences=True),
    }
    out = {}
    for name, make in made.items():
        model = keras.Sequential([keras.Input((T, D)), make()])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
        out[name] = {
            "train_ms": round(median_ms(lambda: model.train_on_batch(x, y), repeats, 3), 3),
            "infer_ms": round(median_ms(lambda: model.predict_on_batch(x), repeats, 3), 3),
        }
    return out


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def fit(path: str, epochs: int, batch_size: int) -> dict:
    data = np.load(path)
    x, y, vocab = data["x"], data["y"], int(data["vocab"])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((x.shape[1],), dtype="int32"),
        keras.layers.Embedding(vocab, 64),
        keras.layers.LSTM(64),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    return {"epoch_seconds": [round(s, 3) for s in timer.seconds],
            "train_accuracy": [round(float(a), 4) for a in history.history["accuracy"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", action="store_true")
    parser.add_argument("--fit", metavar="DATA.npz")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    result = {"keras": keras.__version__, "backend": keras.backend.backend(), "backend_version": backend_version()}
    if args.layers:
        result["layers"] = layers(args.repeats)
    if args.fit:
        result["fit"] = fit(args.fit, args.epochs, args.batch_size)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
