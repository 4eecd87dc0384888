"""Bad text input gets a clear error naming the file and line (or a warning and a defined output)."""

from __future__ import annotations

import logging

import pytest

from seqlab.errors import ConfigError, DataError
from seqlab.tasks.text import run
from seqlab.tasks.text.config import TextConfig
from seqlab.tasks.text.data import prepare_text


@pytest.fixture(scope="module")
def rows(shared_data) -> list[str]:
    return (shared_data / "sst2" / "train.tsv").read_text(encoding="utf-8").splitlines()[:601]


def _write(path, lines: list[str]):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _prepare(path, **data):
    return prepare_text(TextConfig(data={"path": str(path), **data}).data)


def test_empty_text_at_training_names_file_and_line(rows, tmp_path):
    lines = rows[:]
    lines[57] = "   \t1"
    with pytest.raises(DataError, match=r"train\.tsv:58: empty text"):
        _prepare(_write(tmp_path / "train.tsv", lines))


def test_non_utf8_bytes_name_file_and_line(rows, tmp_path):
    path = tmp_path / "train.tsv"
    body = ("\n".join(rows[:30]) + "\n").encode() + b"caf\xe9 au lait\t1\n" + ("\n".join(rows[30:]) + "\n").encode()
    path.write_bytes(body)
    with pytest.raises(DataError, match=r"train\.tsv.*line 31"):
        _prepare(path)


def test_missing_label_and_malformed_row_name_the_line(rows, tmp_path):
    lines = rows[:]
    lines[10] = lines[10].split("\t")[0] + "\t"
    with pytest.raises(DataError, match=r"line 11"):
        _prepare(_write(tmp_path / "a.tsv", lines))
    lines = rows[:]
    lines[20] = lines[20] + "\textra"
    with pytest.raises(DataError, match=r"line 21 has 3 field"):
        _prepare(_write(tmp_path / "b.tsv", lines))


def test_a_single_label_and_unknown_columns_are_refused(rows, tmp_path):
    one = [rows[0]] + [r for r in rows[1:] if r.endswith("\t1")]
    with pytest.raises(DataError, match="two labels or more"):
        _prepare(_write(tmp_path / "one.tsv", one))
    with pytest.raises(DataError, match="column 'review' not found|review"):
        _prepare(_write(tmp_path / "c.tsv", rows), text_col="review")


def test_labels_unseen_in_training_are_an_error_at_evaluation(rows, tmp_path, shared_data):
    train = _write(tmp_path / "train.tsv", rows)
    out = tmp_path / "run"
    run.train(TextConfig(data={"path": str(train)}, model={"name": "cnn", "embed_dim": 8, "filters": 4},
                         train={"epochs": 1}), out)
    dev = (shared_data / "sst2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[:40]
    dev[12] = dev[12].rsplit("\t", 1)[0] + "\tneutral"
    with pytest.raises(DataError, match=r"eval\.tsv:13: label 'neutral' never occurs in the training data"):
        run.evaluate(out, str(_write(tmp_path / "eval.tsv", dev)))


def test_long_texts_are_truncated_and_said_once(rows, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        setup = _prepare(_write(tmp_path / "train.tsv", rows), max_len=5, truncation="head+tail")
    warnings = [r.message for r in caplog.records if "longer than max_len=5" in r.message]
    assert "train 310 of 539" in warnings[0]
    assert len(warnings) == 1  # once for the training file, not once per text
    assert max(len(ids) for ids in setup.splits["train"].ids) == 5


def test_empty_text_at_prediction_warns_and_gets_a_defined_output(rows, tmp_path, caplog):
    train = _write(tmp_path / "train.tsv", rows)
    run.train(TextConfig(data={"path": str(train)}, model={"name": "gru", "embed_dim": 8, "units": 4},
                         train={"epochs": 1}), tmp_path / "run")
    with caplog.at_level(logging.WARNING):
        out = run.predict_texts(tmp_path / "run", ["a fine film", "  ", "dull"])
    assert len(out) == 3 and out[1]["empty"] is True and set(out[1]["probabilities"]) == {"0", "1"}
    assert any("1 empty text" in r.message for r in caplog.records)


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ValueError, match="unknown model 'transformer'"):
        TextConfig(data={"path": "x.tsv"}, model="transformer")
    from seqlab.tasks.text.config import build_config

    with pytest.raises(ConfigError, match="model.unitz"):
        build_config(None, ["model.unitz=3"], data="x.tsv", model="bilstm")
    with pytest.raises(ConfigError, match="data.truncation"):
        build_config(None, [], data="x.tsv", truncation="middle")
    with pytest.raises(ConfigError, match="pretrained word vectors need tokenizer 'word'"):
        build_config(None, [], data="x.tsv", tokenizer="bpe", vectors="glove.txt")
    with pytest.raises(ConfigError, match="pooling: the cnn pools by max over time"):
        build_config(None, ["model.pooling=mean"], data="x.tsv", model="cnn")


def test_epochs_keep_the_task_training_defaults():
    from seqlab.tasks.text.config import build_config

    config = build_config(None, [], data="x.tsv", epochs=3)
    assert config.train.epochs == 3 and config.train.batch_size == 64 and config.train.gradient_clip_val == 5.0
    assert config.train.early_stopping.monitor == "val_accuracy" and config.train.early_stopping.patience == 3
    config = build_config(None, ["train.early_stopping.patience=4"], data="x.tsv")
    assert config.train.early_stopping.monitor == "val_accuracy" and config.train.early_stopping.patience == 4


def test_evaluate_needs_data_when_the_run_has_no_test_file(rows, tmp_path):
    train = _write(tmp_path / "train.tsv", rows)
    run.train(TextConfig(data={"path": str(train)}, model={"name": "cnn", "embed_dim": 8, "filters": 4},
                         train={"epochs": 1}), tmp_path / "run")
    with pytest.raises(DataError, match="without a test file; pass --data"):
        run.evaluate(tmp_path / "run")
