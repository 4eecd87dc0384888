"""``seqlab classify`` end to end with typer's CliRunner, exactly as the issue's CLI contract calls it."""

from __future__ import annotations

import json

import torch
from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()




def test_train_evaluate_predict(shared_data, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is the faster on a shared machine
    try:
        folder = shared_data / "ucr" / "ItalyPowerDemand"
        out = tmp_path / "run"
        trained = result_json(runner.invoke(app, ["classify", "train", "--train", str(folder / "ItalyPowerDemand_TRAIN.ts"),
                                            "--model", "fcn", "--epochs", "20", "--set", "model.filters=[8,16,8]",
                                            "--out", str(out), "--json"]))
        assert trained["split"] == "test" and trained["model"] == "fcn" and trained["series"] == 1029
        evaluated = result_json(runner.invoke(app, ["classify", "evaluate", str(out), "--data",
                                              str(folder / "ItalyPowerDemand_TEST.ts"), "--json"]))
        assert evaluated["accuracy"] == trained["accuracy"] > 0.8  # majority class: 0.50; published FCN 0.963
        assert {"macro_f1", "per_class", "confusion_matrix"} <= set(evaluated)
        folder_eval = result_json(runner.invoke(app, ["classify", "evaluate", str(out), "--data", str(folder), "--json"]))
        assert folder_eval["accuracy"] == evaluated["accuracy"]  # a dataset folder means its _TEST file
        predicted = runner.invoke(app, ["classify", "predict", str(out), str(folder / "ItalyPowerDemand_TEST.ts")])
        assert predicted.exit_code == 0, predicted.output
        rows = [json.loads(line) for line in predicted.stdout.strip().splitlines()]
        truth = [line.rsplit(":", 1)[1] for line in (folder / "ItalyPowerDemand_TEST.ts").read_text().splitlines()
                 if line[:1] in "-0123456789" and ":" in line]
        assert len(rows) == 1029 and abs(sum(r["label"] == t for r, t in zip(rows, truth)) / 1029 - evaluated["accuracy"]) < 1e-9
        table = runner.invoke(app, ["classify", "evaluate", str(out)])  # the run's own test file, as a table
        assert table.exit_code == 0 and "macro-F1" in table.stdout
        default = result_json(runner.invoke(app, ["classify", "train", "--train", str(folder), "--epochs", "1",
                                            "--out", str(tmp_path / "auto"), "--json"]))
        assert default["model"] == "fcn" and default["selection"]["chosen"] == "fcn"
    finally:
        torch.set_num_threads(threads)


def test_user_errors_are_one_red_line(shared_data, tmp_path):
    missing = runner.invoke(app, ["classify", "train", "--train", str(tmp_path / "nope.ts"), "--out", str(tmp_path / "r")])
    assert missing.exit_code == 2 and "nope.ts: no such file" in missing.output
    (tmp_path / "Empty_TRAIN.ts").write_text("")
    empty = runner.invoke(app, ["classify", "train", "--train", str(tmp_path / "Empty_TRAIN.ts"), "--out", str(tmp_path / "r")])
    assert empty.exit_code == 2 and "the file is empty" in empty.output and "Traceback" not in empty.output
    model = runner.invoke(app, ["classify", "train", "--train", str(shared_data / "ucr" / "GunPoint"),
                                "--model", "inception", "--out", str(tmp_path / "r")])
    assert model.exit_code == 2 and "unknown model 'inception'" in model.output
    notrun = runner.invoke(app, ["classify", "evaluate", str(tmp_path), "--data", str(tmp_path / "x.ts"), "--json"])
    assert notrun.exit_code == 2 and "not a seqlab run directory" in notrun.output
    assert not (tmp_path / "r").exists()
