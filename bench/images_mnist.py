"""Sequential images: MNIST row by row (28 steps of 28 pixels) and pixel by pixel (784 steps) with
LSTM, GRU and TCN, and the seed's Conv2D network on the 2-D images.

The 10,000 MNIST test digits of ../shared/data, split 8,000 / 2,000 by seed 0 (10 % of the 8,000
for validation). Each model trains with Adam and early stopping on validation loss for at most
``--budget`` seconds (``train.max_time_s``), one seed; the test accuracy is on the 2,000 held-out
digits, beside the majority class.

Usage:
    python bench/images_mnist.py                  # the table in BENCHMARKS.md
    python bench/images_mnist.py --budget 30 --skip-pixels
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, show, write_atomic  # noqa: E402

from seqlab.tasks import runs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
TCN_ROWS = {"tcn": {"filters": 64, "kernel_size": 3, "num_blocks": 4, "return_sequences": False}}  # view 61 >= 28
TCN_PIXELS = {"tcn": {"filters": 32, "kernel_size": 3, "num_blocks": 8, "return_sequences": False}}  # view 1021 >= 784
CONV2D = yaml.safe_load((ROOT / "examples" / "e_mnist_cnn.yaml").read_text())["model"][:-1]  # the seed's network
MODELS = [  # (name, layout, body)
    ("LSTM(128) rows", "rows", [{"lstm": {"units": 128}}]),
    ("GRU(128) rows", "rows", [{"gru": {"units": 128}}]),
    ("TCN(64) rows", "rows", [TCN_ROWS]),
    ("Conv2D seed CNN, image", "image", CONV2D),
    ("LSTM(64) pixels", "pixels", [{"lstm": {"units": 64}}]),
    ("GRU(64) pixels", "pixels", [{"gru": {"units": 64}}]),
    ("TCN(32) pixels", "pixels", [TCN_PIXELS]),
]


def train(layout: str, body: list[dict], budget: float, folder: Path) -> dict:
    config = {"data": {"kind": "mnist", "path": str(MNIST), "layout": layout},
              "model": body + [{"dense": {"units": 10, "activation": "softmax"}}],
              "compile": {"optimizer": {"name": "adam", "lr": 0.001},
                          "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
              "train": {"epochs": 1000, "batch_size": 64, "seed": 0, "gradient_clip_val": 1.0,
                        "max_time_s": budget, "early_stopping": {"patience": 3}}}
    path = folder / f"{layout}.yaml"
    path.write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    result = runs.train(path, [], out=folder / "run", overwrite=True)
    return {"test_accuracy": result["test"]["accuracy"], "majority_class": result["baseline"]["accuracy"],
            "epochs": result["epochs"], "wall_s": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=90.0, help="training seconds per model (rows, image)")
    parser.add_argument("--pixel-budget", type=float, default=150.0, help="training seconds per pixel model")
    parser.add_argument("--skip-pixels", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "images_mnist.json")
    args = parser.parse_args()
    results = {"machine": machine(), "command": " ".join(["python", *sys.argv]), "budget_s": args.budget,
               "pixel_budget_s": args.pixel_budget, "models": []}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, layout, body in MODELS:
            if layout == "pixels" and args.skip_pixels:
                continue
            budget = args.pixel_budget if layout == "pixels" else args.budget
            scores = train(layout, body, budget, Path(tmp))
            results["models"].append({"name": name, "layout": layout, **scores})
            rows.append([name, f"{scores['test_accuracy']:.4f}", f"{scores['majority_class']:.4f}",
                         str(scores["epochs"]), f"{scores['wall_s']:.0f}"])
            write_atomic(args.out, results)
    show("MNIST (8k/2k split of the test digits), test accuracy", ["model", "accuracy", "majority", "epochs", "wall s"],
         rows)


if __name__ == "__main__":
    main()
