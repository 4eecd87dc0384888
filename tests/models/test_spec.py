"""Model specs: YAML layer lists to layers and back, with errors that name the key."""

import pytest
import yaml

from seqlab.errors import ConfigError
from seqlab.layers import GRU, LSTM, Dense
from seqlab.models.spec import layers_from_spec, spec_from_layers


def test_yaml_spec_builds_the_layers_it_names():
    spec = yaml.safe_load("[{lstm: {units: 50, return_sequences: true}}, {gru: {units: 8}}, {dense: {units: 1}}]")
    layers = layers_from_spec(spec, "m.yaml")
    assert [type(layer) for layer in layers] == [LSTM, GRU, Dense]
    assert layers[0].units == 50 and layers[0].return_sequences and layers[2].units == 1


def test_spec_round_trips_through_get_config():
    layers = layers_from_spec([{"lstm": {"units": 7, "peephole": True, "bidirectional": True}}, {"dense": {"units": 3, "activation": "softmax"}}])
    again = layers_from_spec(spec_from_layers(layers))
    assert [layer.get_config() for layer in again] == [layer.get_config() for layer in layers]


@pytest.mark.parametrize("spec, words", [
    ([{"lstm": {"unit": 50}}], ["m.yaml", "model[0]", "`unit`", "units"]),
    ([{"lstm": {"units": "many"}}], ["model[0]", "`units`"]),
    ([{"dense": {}}], ["model[0]", "missing", "`units`"]),
    ([{"lstmm": {"units": 3}}], ["model[0]", "lstmm"]),
    ([{"lstm": {"units": 3}, "dense": {"units": 1}}], ["model[0]", "one key"]),
    ([], ["non-empty"]),
])
def test_bad_specs_name_the_file_position_and_key(spec, words):
    with pytest.raises(ConfigError) as info:
        layers_from_spec(spec, "m.yaml")
    for word in words:
        assert word in str(info.value)
