"""Every examples/*.yaml (the seed documents' models) trains on real data with a small budget."""

from pathlib import Path

import pytest

from seqlab.tasks import runs

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
QUICK = {"series": ["train.epochs=2"], "text": ["train.epochs=2", "data.limit=3000"],
         "mnist": ["train.epochs=2", "data.limit=1500"]}


def test_every_seed_model_has_an_example():
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_trains_and_its_loss_falls(example, tmp_path, shared_data):
    kind = next(k for k in QUICK if f"kind: {k}" in example.read_text())
    result = runs.train(example, QUICK[kind], out=tmp_path / "run")
    loss = result["history"]["loss"]
    assert len(loss) == 2 and loss[1] < loss[0], loss
    assert (tmp_path / "run" / "weights.safetensors").is_file()
    metric = "mse" if kind == "series" else "accuracy"
    assert metric in result["test"] and metric in result["baseline"]
