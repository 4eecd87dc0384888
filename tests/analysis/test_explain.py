"""explain: attributions that add up, attention, permutation importance, a surrogate whose
fidelity the test recomputes on its own."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

from seqlab.analysis.explain import explain
from seqlab.analysis.surrogate import tree_predict
from seqlab.data.text import Vocabulary
from seqlab.errors import ConfigError
from seqlab.models import load_model
from seqlab.tasks import runs
from seqlab.tasks.config import load_config


def _features(x: np.ndarray) -> np.ndarray:
    """Summary features written out again: per feature mean, std, min, max, first, last, slope."""
    T = x.shape[1]
    stats = [x.mean(1), x.std(1), x.min(1), x.max(1), x[:, 0], x[:, -1], (x[:, -1] - x[:, 0]) / (T - 1)]
    return np.concatenate(stats, axis=1)


@pytest.fixture(scope="module")
def attention_run(tiny_comparison):
    _, out = tiny_comparison
    return out / "models" / "lstm-attention"


def test_integrated_gradients_add_up_to_the_output_difference(attention_run):
    result = explain(attention_run, "test", examples=4)
    model = load_model(attention_run)
    config, base = load_config(attention_run / "config.yaml")
    x = torch.as_tensor(runs.prepare(config, base).x_test[:4])
    with torch.no_grad():
        f_x, f_0 = model(x)[:, 0], model(torch.zeros_like(x))[:, 0]  # independent F(x), F(baseline)
    for e, fx, f0 in zip(result["examples"], f_x, f_0):
        attributions = np.asarray(e["attributions"])
        assert attributions.shape == (20, 2)  # step x feature
        assert attributions.sum() == pytest.approx(float(fx - f0), abs=1e-3)
        assert np.all(np.asarray(e["saliency"]) >= 0)
        weights = np.asarray(e["attention"])
        assert weights.shape == (20,) and weights.sum() == pytest.approx(1.0, abs=1e-5)


def test_the_surrogate_fidelity_recomputed_independently(attention_run):
    result = explain(attention_run, "test", examples=1)
    s = result["surrogate"]
    assert s["features"][:2] == ["value_mean", "marker_mean"] and s["fidelity"]["metric"] == "r2"
    config, base = load_config(attention_run / "config.yaml")
    x_test = runs.prepare(config, base).x_test
    network = load_model(attention_run).predict(x_test)[:, 0]
    tree = tree_predict(s["tree"], _features(x_test))
    r2 = 1 - np.sum((network - tree) ** 2) / np.sum((network - network.mean()) ** 2)
    assert s["fidelity"]["test"] == pytest.approx(r2, abs=1e-6)
    perm = {r["feature"]: r for r in result["permutation_importance"]}
    assert set(perm) == {"value", "marker"} and all(r["std"] >= 0 for r in perm.values())


def test_text_tokens_attributions_and_a_classifier_surrogate(shared_data, tmp_path):
    config = {"data": {"kind": "text", "path": str(shared_data / "sst2" / "train.tsv"),
                       "test_path": str(shared_data / "sst2" / "dev.tsv"), "max_len": 32, "max_vocab": 3000,
                       "limit": 3000},
              "model": [{"embedding": {"input_dim": 3000, "output_dim": 32, "padding_idx": 0}},
                        {"lstm": {"units": 32}}, {"dense": {"units": 2}}],
              "compile": {"loss": "sparse_categorical_crossentropy", "from_logits": True, "optimizer": {"lr": 0.005}},
              "train": {"epochs": 2, "batch_size": 64}}
    path = tmp_path / "text.yaml"
    path.write_text(yaml.safe_dump(config))
    runs.train(path, out=tmp_path / "run")
    texts = tmp_path / "texts.txt"
    texts.write_text("a gorgeous , witty , seductive movie .\nthe plot is dull and the acting is terrible\n")
    result = explain(tmp_path / "run", texts, examples=2)
    model = load_model(tmp_path / "run")
    first, second = result["examples"]
    assert first["tokens"][:2] == ["a", "gorgeous"] and len(first["attributions"]) == len(first["tokens"])
    assert first["label"] == "1" and second["label"] == "0"
    for e in result["examples"]:
        assert sum(e["attributions"]) == pytest.approx(e["output"] - e["baseline_output"], abs=2e-3)
    # the sentiment words carry the decision
    top = first["tokens"][int(np.argmax(first["attributions"]))]
    assert top in {"gorgeous", "witty", "seductive"}
    # agreement recomputed: the tree on length + top-token counts against the network's classes
    s = result["surrogate"]
    assert s["fidelity"]["metric"] == "agreement"
    config_, base = load_config(tmp_path / "run" / "config.yaml")
    prepared = runs.prepare(config_, base)
    x_test = prepared.x_test
    vocab = {t: i for i, t in enumerate(Vocabulary.from_dict(prepared.state["vocab"]).tokens)}
    ids = [vocab[name[len("count("):-1]] for name in s["features"][1:]]
    features = np.column_stack([(x_test != 0).sum(1)] + [(x_test == i).sum(1) for i in ids])
    agreement = np.mean(tree_predict(s["tree"], features) == model.predict(x_test).argmax(1))
    assert s["fidelity"]["test"] == pytest.approx(agreement)
    assert "permutation_importance" not in result  # tokens have one feature


def test_a_missing_input_is_a_clear_error(attention_run):
    with pytest.raises(ConfigError, match="input not found"):
        explain(attention_run, "/nonexistent/file.csv")


def test_one_unit_classifiers_are_thresholded_where_their_outputs_split():
    from seqlab.analysis.generic_target import network_targets

    logits = np.array([[-1.0], [0.2], [3.0]])
    assert network_targets(logits, classify=True, from_logits=True).tolist() == [0, 1, 1]
    assert network_targets(1 / (1 + np.exp(-logits)), classify=True).tolist() == [0, 1, 1]


def test_npy_inputs_are_checked_and_explained(attention_run, tmp_path):
    from seqlab.errors import DataError

    config, base = load_config(attention_run / "config.yaml")
    x = runs.prepare(config, base).x_test[:3].astype(np.float64)  # float64, as np.save of lists gives
    np.save(tmp_path / "x.npy", x)
    assert len(runs.predict(attention_run, tmp_path / "x.npy")) == 3
    result = explain(attention_run, tmp_path / "x.npy", examples=2)
    assert len(result["examples"]) == 2
    np.save(tmp_path / "bad.npy", x[:, :, :1])
    with pytest.raises(DataError, match=r"bad.npy: arrays of shape \(N, 20, 2\) are needed"):
        runs.predict(attention_run, tmp_path / "bad.npy")


def test_a_padded_text_transformer_and_a_binary_logit_classifier(shared_data, tmp_path):
    config = {"data": {"kind": "text", "path": str(shared_data / "sst2" / "train.tsv"), "max_len": 20,
                       "max_vocab": 1500, "limit": 800},
              "model": [{"embedding": {"input_dim": 1500, "output_dim": 16, "padding_idx": 0}},
                        {"transformer_encoder": {"d_model": 16, "num_heads": 2, "num_layers": 1}},
                        {"global_average_pooling1d": {}}, {"dense": {"units": 1}}],
              "compile": {"loss": "binary_crossentropy", "from_logits": True, "metrics": ["accuracy"]},
              "train": {"epochs": 2, "batch_size": 64}}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(config))
    trained = runs.train(path, out=tmp_path / "run")
    logits = load_model(tmp_path / "run").predict(runs.prepare(*load_config(tmp_path / "run" / "config.yaml")).x_test)
    y = runs.prepare(*load_config(tmp_path / "run" / "config.yaml")).y_test[:, 0]
    assert trained["test"]["accuracy"] == pytest.approx(np.mean((logits[:, 0] >= 0) == y))  # logits split at 0
    result = explain(tmp_path / "run", "test", examples=3)
    for e in result["examples"]:
        n = len(e["tokens"])
        weights = np.asarray(e["attention"])
        assert weights[:n].sum() == pytest.approx(1.0, abs=1e-5) and np.all(weights[n:] == 0)  # padding gets none
        assert e["label"] == ("1" if e["prediction"][0] >= 0 else "0")


def test_mnist_images_are_explained_row_by_row(shared_data, tmp_path):
    config = {"data": {"kind": "mnist", "path": str(shared_data / "mnist"), "layout": "image", "limit": 300},
              "model": [{"conv2d": {"filters": 4, "kernel_size": 3, "activation": "relu"}}, {"flatten": {}},
                        {"dense": {"units": 10}}],
              "compile": {"loss": "sparse_categorical_crossentropy", "from_logits": True},
              "train": {"epochs": 1}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(config))
    runs.train(path, out=tmp_path / "run")
    result = explain(tmp_path / "run", "test", examples=1)
    assert np.asarray(result["examples"][0]["attributions"]).shape == (28, 28, 1)
    assert len(result["surrogate"]["features"]) == 7 * 28
    from seqlab.analysis.outputs import write_run_report
    assert write_run_report(tmp_path / "run").is_file()  # no sequence layer: no gradient-flow section
