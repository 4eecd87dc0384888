"""Sequential images: MNIST read row by row (28 steps of 28 pixels) by LSTM, GRU and TCN, and the
seed's Conv2D network on the 2-D images. Each family trains on a small slice of the 8k/2k split,
beats the majority class on the 2,000 held-out digits, and its saved run scores exactly what the
trained model scored. (Pixel-by-pixel MNIST, 784 steps, is trained in the comparison examples'
test and measured in bench/images_mnist.py and bench/long_memory.py.)"""

import pytest
import yaml

from seqlab.tasks import runs

FAMILIES = {
    "rows-lstm": ("rows", [{"lstm": {"units": 64}}]),
    "rows-gru": ("rows", [{"gru": {"units": 64}}]),
    "rows-tcn": ("rows", [{"tcn": {"filters": 32, "kernel_size": 3, "num_blocks": 3, "return_sequences": False}}]),
    "image-conv2d": ("image", [{"conv2d": {"filters": 16, "kernel_size": 3, "activation": "relu"}},
                               {"max_pooling2d": {"pool_size": 2}}, {"flatten": {}}]),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_family_beats_the_majority_class_and_its_saved_run_scores_the_same(family, tmp_path, shared_data):
    layout, body = FAMILIES[family]
    config = {"data": {"kind": "mnist", "path": str(shared_data / "mnist"), "layout": layout, "limit": 1200},
              "model": body + [{"dense": {"units": 10, "activation": "softmax"}}],
              "compile": {"optimizer": {"name": "adam", "lr": 0.003},
                          "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
              "train": {"epochs": 2, "batch_size": 32, "seed": 0, "gradient_clip_val": 1.0}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = runs.train(path, [], out=tmp_path / "run")
    assert result["test"]["accuracy"] > result["baseline"]["accuracy"] + 0.1, (family, result["test"], result["baseline"])
    again = runs.evaluate(tmp_path / "run")
    assert again["test"] == result["test"]
