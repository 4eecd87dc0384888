"""One CLI pattern: train | evaluate | predict in every task, --json everywhere, shared options written once,
help defaults read from the task configs, and the older names still accepted. Parsing only: nothing trains."""

import json
import re

import pytest
import typer.main
from typer.testing import CliRunner

from seqlab.cli.common import config_default
from seqlab.cli.main import app
from seqlab.tasks.anomaly.config import AnomalyConfig
from seqlab.tasks.classify.config import ClassifyConfig
from seqlab.tasks.forecasting.config import ForecastConfig
from seqlab.tasks.generate.config import GenerateConfig
from seqlab.tasks.speech.config import SpeechConfig
from seqlab.tasks.text.config import TextConfig
from seqlab.tasks.translate.config import TranslateConfig

ROOT = typer.main.get_command(app)
TASKS = {"forecast": ForecastConfig, "text": TextConfig, "classify": ClassifyConfig, "speech": SpeechConfig,
         "anomaly": AnomalyConfig, "generate": GenerateConfig, "translate": TranslateConfig}
runner = CliRunner()


def commands(group=ROOT, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from commands(cmd, path + (name,))
        else:
            yield path + (name,), cmd


def options(cmd) -> dict:
    return {opt: p for p in cmd.params for opt in getattr(p, "opts", [])}


@pytest.mark.parametrize("task", TASKS)
def test_every_task_has_train_evaluate_predict(task):
    assert {"train", "evaluate", "predict"} <= set(ROOT.commands[task].commands)


def test_every_command_takes_json():
    missing = [" ".join(path) for path, cmd in commands() if "--json" not in options(cmd)]
    assert not missing, f"commands without --json: {missing}"


@pytest.mark.parametrize("task", TASKS)
def test_shared_options_have_one_spelling(task):
    train = ROOT.commands[task].commands["train"]
    opts = options(train)
    assert {"--data", "--out", "--overwrite", "--json", "--set", "--config", "--epochs", "--model"} <= set(opts)
    assert opts["--out"].help == "Run directory."
    assert opts["--overwrite"].help == "Replace an existing run directory."
    assert opts["--set"].multiple and opts["--set"].help.startswith("Override any config key")
    assert opts["--config"].help.endswith("config YAML; options override it.")


@pytest.mark.parametrize("task, config", TASKS.items())
def test_epochs_help_shows_the_config_default(task, config):
    epochs = options(ROOT.commands[task].commands["train"])["--epochs"]
    assert config_default(config, "train.epochs") == config.model_fields["train"].default.epochs
    assert f"default {config_default(config, 'train.epochs')}" in epochs.help


def test_config_default_reads_sections_and_their_classes():
    assert config_default(ClassifyConfig, "train.epochs") == 500
    assert config_default(ForecastConfig, "data.lookback") == 96  # ForecastData's own default: `data` has none
    assert config_default(TextConfig, "data.max_len") == 400 and config_default(AnomalyConfig, "threshold.method") == "pot"
    help_text = options(ROOT.commands["text"].commands["train"])["--max-len"].help
    assert "default 400" in help_text


def test_model_help_lists_the_models_of_the_task():
    from seqlab.models.tsc import MODEL_NAMES

    model = options(ROOT.commands["classify"].commands["train"])["--model"]
    assert model.help.startswith(", ".join(MODEL_NAMES) + ", or auto")


def test_older_names_are_hidden_aliases():
    anomaly = ROOT.commands["anomaly"].commands
    assert anomaly["fit"].hidden and anomaly["score"].hidden
    from seqlab.cli.anomaly import anomaly_app
    from seqlab.cli.generate import generate_app

    def registered(typer_app) -> dict:
        return {c.name or c.callback.__name__: c.callback for c in typer_app.registered_commands}

    assert registered(anomaly_app)["fit"] is registered(anomaly_app)["train"]
    assert registered(anomaly_app)["score"] is registered(anomaly_app)["evaluate"]
    assert registered(generate_app)["predict"] is registered(generate_app)["sample"]
    help_text = runner.invoke(app, ["anomaly", "--help"]).stdout
    listed = set(re.findall(r"^│ (\w+) ", help_text, flags=re.M))
    assert listed == {"train", "evaluate", "predict"}


def test_classify_train_takes_data_and_still_train():
    train = ROOT.commands["classify"].commands["train"]
    for flag in ("--data", "--train"):
        ctx = train.make_context("train", [flag, "X_TRAIN.ts", "--out", "run"])
        assert ctx.params["data"] == "X_TRAIN.ts"


def test_a_missing_extra_names_it(monkeypatch):
    import sys

    from seqlab.extras import MissingExtraError, require

    monkeypatch.setitem(sys.modules, "sacrebleu", None)  # as if it were not installed
    with pytest.raises(MissingExtraError, match=r'pip install "seqlab\[translate\]"'):
        require("sacrebleu", extra="translate")
    from seqlab.tasks.translate.run import bleu

    with pytest.raises(MissingExtraError, match="sacrebleu is not installed"):
        bleu(["a"], ["a"])


def test_anomaly_predict_prints_json_lines(monkeypatch, tmp_path):
    import numpy as np
    import pandas as pd

    from seqlab.tasks.anomaly import run

    stamps = pd.date_range("2024-01-01", periods=3, freq="h")
    monkeypatch.setattr(run, "predict", lambda run_dir, data, streaming=False: {
        "timestamps": stamps, "scores": np.array([0.1, 5.0, 0.2]), "alarms": np.array([False, True, False]),
        "threshold": 1.0})
    result = runner.invoke(app, ["anomaly", "predict", str(tmp_path), "--data", "x.csv", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["alarm"] for r in rows] == [False, True, False] and rows[1]["score"] == 5.0
    assert rows[0]["timestamp"].startswith("2024-01-01")
    table = runner.invoke(app, ["anomaly", "predict", str(tmp_path), "--data", "x.csv"])
    assert table.exit_code == 0 and "1 alarm(s) in 3 rows" in table.stdout
