"""A tiny comparison on the adding problem, trained once per session and shared by the tests."""

from __future__ import annotations

import pytest

from seqlab.analysis.compare import compare, parse_compare_config

TINY = {"data": {"kind": "synthetic", "task": "adding", "length": 20, "n_train": 160, "n_val": 64, "n_test": 64},
        "units": 8, "seeds": [0, 1, 2], "train": {"epochs": 1, "batch_size": 32}}


@pytest.fixture(scope="session")
def tiny_comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "adding"
    result = compare(parse_compare_config(TINY, "tiny"), out)
    return result, out
