"""The estimators in memory on real data: fit -> self, predict, predict_proba, evaluate, clone,
save -> seqlab.load -> identical predictions, for every task."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import seqlab
from seqlab.data.series import read_series
from seqlab.data.textsets import read_text_source
from seqlab.data.ucr import read_series as read_ucr
from seqlab.errors import DataError
from seqlab.tasks import rundir


def check_clone(est) -> None:
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "run_dir_")


@pytest.fixture(scope="module")
def etth1() -> pd.DataFrame:
    return read_series("etth1", columns=["HUFL", "OT"]).iloc[:3000]


def test_forecaster_on_a_dataframe_forecasts_the_rows_after_its_end(etth1, tmp_path):
    f = seqlab.Forecaster(model="dlinear", lookback=48, horizon=12, features="MS", target="OT", epochs=2)
    assert f.fit(etth1) is f
    history = etth1.iloc[:2500]
    out = f.predict(history)
    step = pd.Timedelta(hours=1)
    assert list(out.columns) == ["OT"] and len(out) == 12
    assert out.index[0] == history["date"].iloc[-1] + step and (out.index[1:] - out.index[:-1] == step).all()
    assert np.isfinite(out["OT"]).all() and abs(out["OT"].iloc[0] - history["OT"].iloc[-1]) < 10  # degrees, not z-scores
    scores = f.evaluate(etth1)
    assert set(scores) >= {"metrics", "baselines", "model", "run_dir"}
    assert scores["model"] == "dlinear" and {"naive", "mean"} <= set(scores["baselines"])
    assert scores["metrics"]["mse"] < scores["baselines"]["mean"]["mse"]  # it learned something
    check_clone(f)
    f.save(tmp_path / "run")
    loaded = seqlab.load(tmp_path / "run")
    assert isinstance(loaded, seqlab.Forecaster) and loaded.get_params() == f.get_params()
    pd.testing.assert_frame_equal(loaded.predict(history), out)


def test_forecaster_takes_a_datetime_index_and_names_a_missing_timestamp(etth1):
    indexed = etth1.set_index("date")
    f = seqlab.Forecaster(model="naive", lookback=24, horizon=6).fit(indexed)
    out = f.predict(indexed)
    assert out.index[0] == indexed.index[-1] + pd.Timedelta(hours=1)
    np.testing.assert_allclose(out["OT"], indexed["OT"].iloc[-1])  # persistence, in the data's units
    with pytest.raises(DataError, match="no timestamp column"):
        seqlab.Forecaster().fit(etth1.drop(columns="date"))


def test_text_classifier_on_sst2_lists(tmp_path):
    train, dev = read_text_source("sst2", split="train"), read_text_source("sst2", split="dev")
    labels = [int(v) for v in train.labels[:3000]]
    clf = seqlab.TextClassifier(model="cnn", epochs=2).fit(train.texts[:3000], labels)
    assert list(clf.classes_) == [0, 1] and isinstance(clf.classes_[0], (int, np.integer))
    probs = clf.predict_proba(dev.texts)
    assert probs.shape == (len(dev.texts), 2) and np.allclose(probs.sum(axis=1), 1)
    predicted = clf.predict(dev.texts[:10])
    assert list(predicted) == [clf.classes_[i] for i in probs[:10].argmax(axis=1)]
    scores = clf.evaluate(dev.texts, [int(v) for v in dev.labels])
    assert scores["metrics"]["accuracy"] > scores["baselines"]["majority_class"]["accuracy"] + 0.1
    check_clone(clf)
    clf.save(tmp_path / "run")
    loaded = seqlab.load(tmp_path / "run")
    np.testing.assert_allclose(loaded.predict_proba(dev.texts[:20]), probs[:20], atol=1e-6)
    assert list(loaded.classes_) == [0, 1]
    frame = pd.DataFrame({"sentence": train.texts[:200], "label": train.labels[:200]})
    assert set(seqlab.TextClassifier(model="cnn", epochs=1).fit(frame).classes_) == {"0", "1"}
    with pytest.raises(DataError, match=r"texts\[1\]: a string is needed"):
        clf.predict_proba(["fine", 3])


def test_series_classifier_on_gunpoint_arrays(shared_data, tmp_path):
    train = read_ucr(shared_data / "ucr/GunPoint/GunPoint_TRAIN.ts")
    test = read_ucr(shared_data / "ucr/GunPoint/GunPoint_TEST.ts")
    X, X_test = np.stack(train.series), np.stack(test.series)  # (n, T, 1)
    clf = seqlab.SeriesClassifier(model="fcn", epochs=20).fit(X, train.labels)
    assert list(clf.classes_) == ["1", "2"]
    scores = clf.evaluate(X_test, test.labels)
    assert scores["metrics"]["accuracy"] > scores["baselines"]["majority_class"]["accuracy"] + 0.1
    assert clf.predict_proba(X_test[:, :, 0]).shape == (len(X_test), 2)  # (n, T) means one dimension
    clf.save(tmp_path / "run")
    np.testing.assert_allclose(seqlab.load(tmp_path / "run").predict_proba(X_test), clf.predict_proba(X_test), atol=1e-6)
    with pytest.raises(DataError, match="the training data has 1"):
        clf.predict_proba(np.zeros((2, 150, 3)))


def test_series_classifier_on_unequal_japanese_vowels(shared_data):
    train = read_ucr(shared_data / "ucr/JapaneseVowels/JapaneseVowels_TRAIN.ts")
    assert len({len(s) for s in train.series}) > 1
    clf = seqlab.SeriesClassifier(model="fcn", epochs=3).fit(train.series, train.labels)
    assert clf.predict_proba(train.series[:7]).shape == (7, 9)
    assert set(clf.predict(train.series)) <= set(clf.classes_)
    check_clone(clf)


def test_speech_classifier_from_waveforms_and_paths(shared_data, tmp_path):
    folder = shared_data / "speech/fsdd/recordings"
    files = sorted(p for p in folder.glob("*_jackson_*.wav") if int(p.stem.split("_")[-1]) < 12)
    labels = [int(p.name.split("_")[0]) for p in files]
    waves = [sf.read(p, dtype="float32") for p in files]
    clf = seqlab.SpeechClassifier(model="conv1d", epochs=2).fit(waves, labels)
    from_paths = clf.predict_proba(files[:5])
    np.testing.assert_allclose(clf.predict_proba([w for w, _ in waves[:5]], rate=waves[0][1]), from_paths, atol=1e-6)
    clf.save(tmp_path / "run")
    np.testing.assert_allclose(seqlab.load(tmp_path / "run").predict_proba(files[:5]), from_paths, atol=1e-6)
    with pytest.raises(DataError, match=r"X\[0\]: a waveform needs its sample rate"):
        clf.predict_proba([waves[0][0]])


def test_anomaly_detector_on_a_nab_series(shared_data, tmp_path):
    path = shared_data / "anomaly/nab/realTraffic/speed_6005.csv"
    frame = pd.read_csv(path)
    det = seqlab.AnomalyDetector(model="zscore").fit(frame)
    out = det.predict(frame)
    assert len(out) == len(frame) and out["alarm"].dtype == bool and out["alarm"].any()
    windows = json.loads((shared_data / "anomaly/nab/labels/combined_windows.json").read_text())["realTraffic/speed_6005.csv"]
    in_memory = det.evaluate(frame, windows)
    assert in_memory["metrics"] == det.evaluate(path, shared_data / "anomaly/nab/labels/combined_windows.json")["metrics"]
    det.save(tmp_path / "run")
    pd.testing.assert_frame_equal(seqlab.load(tmp_path / "run").predict(frame), out)


def test_language_model_and_translator_round_trip(shared_data, tmp_path):
    text = (shared_data / "text/tinyshakespeare.txt").read_text()[:40000]
    lm = seqlab.LanguageModel(model={"name": "lstm", "units": 32}, epochs=1, max_time_s=3,
                              options={"data": {"epoch_tokens": 8192}}).fit(text)
    sample = lm.sample("ROMEO:", length=30, seed=1)
    assert sample.startswith("ROMEO:") and len(sample) > 30
    lm.save(tmp_path / "lm")
    assert seqlab.load(tmp_path / "lm").sample("ROMEO:", length=30, seed=1) == sample
    assert lm.evaluate(text[-4000:])["metrics"]["bpc"] > 0
    lines = (shared_data / "translation/fra-eng.txt").read_text().split("\n")[:1500]
    pairs = [tuple(line.split("\t")[:2]) for line in lines if "\t" in line]
    tr = seqlab.Translator(model={"name": "gru", "attention": "bahdanau", "units": 32, "embed_dim": 32},
                           epochs=1, max_time_s=5).fit(pairs)
    out = tr.predict(["I am happy.", "Go."])
    assert len(out) == 2 and all(isinstance(t, str) for t in out)
    tr.save(tmp_path / "tr")
    assert seqlab.load(tmp_path / "tr").predict(["I am happy.", "Go."]) == out
    assert "bleu" in tr.evaluate(pairs[:40])["metrics"]
    check_clone(tr)


def test_an_unfitted_estimator_says_so_and_a_cli_run_loads(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        seqlab.TextClassifier().predict(["a"])
    with pytest.raises(seqlab.errors.RunDirError):
        seqlab.load(tmp_path)


FIT_SCRIPT = """
import sys
import seqlab
from seqlab.data.series import read_series
df = read_series("etth1", columns=["OT"])
seqlab.Forecaster(model={"name": "lstm", "hidden": 32}, lookback=24, horizon=12, epochs=4,
                  options={"train": {"early_stopping": None}}, out=sys.argv[1]).fit(df)
"""


def test_a_stopped_fit_resumes_from_its_last_epoch_through_the_estimator(tmp_path):
    out = tmp_path / "run"
    partial = rundir.staging_dir(out)
    proc = subprocess.Popen([sys.executable, "-c", FIT_SCRIPT, str(out)], env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    while not (partial / "checkpoints" / "last.json").is_file():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() - started < 180, "no checkpoint in 180 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "SIGTERM" in stderr
    kept = json.loads((partial / "checkpoints" / "last.json").read_text())["epoch"]
    params = dict(model={"name": "lstm", "hidden": 32}, lookback=24, horizon=12, epochs=4,
                  options={"train": {"early_stopping": None}}, out=out)
    df = read_series("etth1", columns=["OT"])
    with pytest.raises(seqlab.errors.RunDirError, match="--resume"):
        seqlab.Forecaster(**params).fit(df)
    f = seqlab.Forecaster(**params, resume=True).fit(df)
    assert f.run_dir_ == out and f.fit_result_["epochs"] == 4 and kept < 3
    with open(out / "metrics.csv", newline="") as fh:
        assert [int(r["epoch"]) for r in csv.DictReader(fh)] == [0, 1, 2, 3]
    assert seqlab.load(out).predict(df).equals(f.predict(df))


def test_a_run_names_its_format_and_another_format_is_refused(shared_data, tmp_path):
    frame = pd.read_csv(shared_data / "anomaly/nab/realTraffic/speed_6005.csv")
    seqlab.AnomalyDetector(model="zscore").fit(frame).save(tmp_path / "run")
    model = json.loads((tmp_path / "run" / "model.json").read_text())
    assert model["format"] == "seqlab.run/2" and model["family"] == "zscore" and "config" in model
    model["format"] = "seqlab.run/3"
    (tmp_path / "run" / "model.json").write_text(json.dumps(model))
    with pytest.raises(seqlab.errors.RunDirError, match="run format 'seqlab.run/3'"):
        seqlab.load(tmp_path / "run")
