"""The architecture zoo: every name builds a model that runs on each kind of task."""

from __future__ import annotations

import pytest
import torch

from seqlab.errors import ConfigError
from seqlab.models import Sequential
from seqlab.models.spec import layers_from_spec, spec_from_layers
from seqlab.models.zoo import ARCHITECTURES, TaskShape, architecture_spec, default_architectures


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_architecture_runs_on_features_and_tokens(name):
    torch.manual_seed(0)
    for task, x in ((TaskShape(40, 3), torch.randn(4, 40, 2)),
                    (TaskShape(40, 2, vocab=50), torch.randint(1, 50, (4, 40)))):
        spec = architecture_spec(name, task, units=8)
        model = Sequential(layers_from_spec(spec), input_shape=tuple(x.shape[1:]))
        assert model(x).shape == (4, task.n_outputs)
        assert spec_from_layers(list(model.layers))[-1] == {"dense": model.layers[-1].get_config()}


@pytest.mark.parametrize("name", default_architectures(TaskShape(30, 10, per_step=True)))
def test_per_step_architectures_are_causal(name):
    torch.manual_seed(0)
    model = Sequential(layers_from_spec(architecture_spec(name, TaskShape(30, 10, per_step=True), units=8)),
                       input_shape=(30, 10)).eval()
    x = torch.randn(2, 30, 10)
    later = x.clone()
    later[:, 20:] += 1.0
    y = model(x)
    assert y.shape == (2, 30, 10)
    assert torch.allclose(y[:, :20], model(later)[:, :20], atol=1e-5)  # step t sees steps <= t only


def test_per_step_tasks_rule_out_bidirectional_and_pooled_models():
    assert set(ARCHITECTURES) - set(default_architectures(TaskShape(30, 10, per_step=True))) == {"bilstm", "lstm-attention"}
    with pytest.raises(ConfigError, match="'lstm-attention' cannot make per-step predictions"):
        architecture_spec("lstm-attention", TaskShape(30, 10, per_step=True))


def test_tcn_covers_the_sequence():
    spec = architecture_spec("tcn", TaskShape(1000, 1))
    model = Sequential(layers_from_spec(spec), input_shape=(1000, 1))
    assert model.layers[0].receptive_field >= 1000
