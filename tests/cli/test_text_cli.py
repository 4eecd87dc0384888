"""``seqlab text`` end to end with typer's CliRunner, exactly as the issue's CLI contract calls it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()




def _csv(lines: list[str], path):
    """SST-2 rows as a CSV with other column names and label names, as a user's own file would have."""
    path.write_text("review,sentiment\n" + "\n".join('"' + l.rsplit("\t", 1)[0].strip().replace('"', '""') + '",'
                                                    + ("pos" if l.endswith("1") else "neg") for l in lines) + "\n",
                    encoding="utf-8")
    return path


def test_train_evaluate_predict(shared_data, tmp_path):
    data = _csv((shared_data / "sst2" / "train.tsv").read_text(encoding="utf-8").splitlines()[1:4001],
                tmp_path / "reviews.csv")
    dev = _csv((shared_data / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:], tmp_path / "dev.csv")
    out = tmp_path / "run"
    trained = result_json(runner.invoke(app, ["text", "train", "--data", str(data), "--text-col", "review", "--label-col",
                                        "sentiment", "--model", "cnn", "--epochs", "2", "--set", "model.embed_dim=16",
                                        "--out", str(out), "--json"]))
    assert trained["split"] == "val" and set(trained["per_class"]) == {"neg", "pos"}
    evaluated = result_json(runner.invoke(app, ["text", "evaluate", str(out), "--data", str(dev), "--json"]))
    assert {"accuracy", "macro_f1", "per_class", "confusion_matrix"} <= set(evaluated)
    assert evaluated["texts"] == 872 and evaluated["accuracy"] > 0.6  # majority class: 0.51
    texts = tmp_path / "new.txt"
    texts.write_text("a gorgeous , witty , seductive movie .\n\nthe plot is nothing but boilerplate clichés\n",
                     encoding="utf-8")
    predicted = runner.invoke(app, ["text", "predict", str(out), str(texts)])
    assert predicted.exit_code == 0, predicted.output
    rows = [json.loads(line) for line in predicted.stdout.strip().splitlines()]
    assert [r["text"] for r in rows] == texts.read_text(encoding="utf-8").splitlines()  # the empty line too
    assert rows[1].get("empty") is True and "empty" not in rows[0]
    assert all(r["label"] in ("neg", "pos") and abs(sum(r["probabilities"].values()) - 1) < 1e-5 for r in rows)
    piped = runner.invoke(app, ["text", "predict", str(out), "-"], input="dull and lifeless\n")
    assert piped.exit_code == 0 and json.loads(piped.stdout)["label"] in ("neg", "pos")
    bad = runner.invoke(app, ["text", "predict", str(out), "-"], input=b"fine\ncaf\xe9 au lait\n")
    assert bad.exit_code == 2 and "<stdin>: line 2 is not UTF-8" in bad.output
    written = tmp_path / "out.jsonl"
    assert runner.invoke(app, ["text", "predict", str(out), str(texts), "--out", str(written)]).exit_code == 0
    assert [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()] == rows
    table = runner.invoke(app, ["text", "evaluate", str(out), "--data", str(dev)])
    assert table.exit_code == 0 and "macro-F1" in table.stdout


def test_user_errors_are_one_red_line(tmp_path):
    missing = runner.invoke(app, ["text", "train", "--data", str(tmp_path / "nope.tsv"), "--out", str(tmp_path / "r")])
    assert missing.exit_code == 2 and "nope.tsv" in missing.output
    bad_model = runner.invoke(app, ["text", "train", "--data", "sst2", "--model", "transformer", "--out",
                                    str(tmp_path / "r")])
    assert bad_model.exit_code == 2 and "unknown model 'transformer'" in bad_model.output
    not_a_run = runner.invoke(app, ["text", "evaluate", str(tmp_path), "--json"])
    assert not_a_run.exit_code == 2
