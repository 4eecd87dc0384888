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


# -- one tiny run of every task command (tests/analysis/task_runs.py) ------------------------

@pytest.fixture(scope="session")
def forecast_run(shared_data, tmp_path_factory):
    from .task_runs import forecast_univariate

    return forecast_univariate(shared_data, tmp_path_factory.mktemp("forecast") / "run")


@pytest.fixture(scope="session")
def ett_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("ett")


@pytest.fixture(scope="session")
def forecast_m_run(shared_data, ett_folder):
    from .task_runs import forecast_multivariate

    return forecast_multivariate(shared_data, ett_folder)


@pytest.fixture(scope="session")
def text_run(shared_data, tmp_path_factory):
    from .task_runs import text_run as make

    return make(shared_data, tmp_path_factory.mktemp("text"))


@pytest.fixture(scope="session")
def classify_run(shared_data, tmp_path_factory):
    from .task_runs import classify_run as make

    return make(shared_data, tmp_path_factory.mktemp("classify") / "run")


@pytest.fixture(scope="session")
def speech_run(shared_data, tmp_path_factory):
    from .task_runs import speech_run as make

    return make(shared_data, tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="session")
def anomaly_run(shared_data, tmp_path_factory):
    from .task_runs import anomaly_run as make

    return make(shared_data, tmp_path_factory.mktemp("anomaly") / "run")


@pytest.fixture(scope="session")
def generate_run(shared_data, tmp_path_factory):
    from .task_runs import generate_run as make

    return make(shared_data, tmp_path_factory.mktemp("generate"))


@pytest.fixture(scope="session")
def translate_run(shared_data, tmp_path_factory):
    from .task_runs import translate_run as make

    return make(shared_data, tmp_path_factory.mktemp("translate"))
