"""``seqlab speech`` end to end with typer's CliRunner, exactly as the issue's CLI contract calls it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from seqlab.cli.main import app
from cli_json import result_json

runner = CliRunner()
SPEAKERS, DIGITS, INDICES = ("jackson", "nicolas", "theo"), range(6), range(15)




def _error(result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output
    return result.output


@pytest.fixture(scope="module")
def recordings(shared_data, tmp_path_factory):
    """Links to 270 FSDD recordings: 3 speakers x digits 0-5 x indices 0-14 (0-4 the test files)."""
    source = shared_data / "speech" / "fsdd" / "recordings"
    folder = tmp_path_factory.mktemp("cli") / "recordings"
    folder.mkdir()
    for name in (f"{d}_{s}_{i}.wav" for s in SPEAKERS for d in DIGITS for i in INDICES):
        (folder / name).symlink_to(source / name)
    return folder


@pytest.fixture(scope="module")
def trained(recordings, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli-run") / "run"
    result = result_json(runner.invoke(app, ["speech", "train", "--data", str(recordings), "--model", "conv1d", "--epochs",
                                       "6", "--set", "train.batch_size=16", "--set", "optimizer.lr=0.005", "--out",
                                       str(out), "--json"]))
    return out, result


def test_train_evaluate_predict(trained, recordings, tmp_path):
    out, result = trained
    assert result["split"] == "test" and result["files"] == 90 and result["model"] == "conv1d"
    test = tmp_path / "test"
    test.mkdir()
    for f in sorted(recordings.glob("*_[0-4].wav")):
        (test / f.name).symlink_to(f.resolve())
    evaluated = result_json(runner.invoke(app, ["speech", "evaluate", str(out), "--data", str(test), "--json"]))
    assert evaluated["accuracy"] == result["accuracy"] > 0.5  # majority class: 1/6
    assert evaluated["files"] == 90
    table = runner.invoke(app, ["speech", "evaluate", str(out), "--data", str(test)])
    assert table.exit_code == 0 and "accuracy" in table.stdout
    files = [str(recordings / "3_theo_0.wav"), str(recordings / "5_jackson_2.wav")]
    predicted = runner.invoke(app, ["speech", "predict", str(out), *files])
    assert predicted.exit_code == 0, predicted.output
    rows = [json.loads(line) for line in predicted.stdout.strip().splitlines()]
    assert [r["file"] for r in rows] == files
    assert all(r["label"] in list("012345") and abs(sum(r["probabilities"].values()) - 1) < 1e-5 for r in rows)


def test_other_rates_stereo_and_pcm_formats_are_resampled_and_mixed(trained, recordings, tmp_path):
    """The test files as 16 kHz stereo 24-bit and 11.025 kHz 8-bit: accuracy close to the 8 kHz originals."""
    from scipy.signal import resample_poly

    out, result = trained
    other = tmp_path / "other"
    other.mkdir()
    for k, f in enumerate(sorted(recordings.glob("*_[0-4].wav"))):
        wave, _ = sf.read(f, dtype="float64")
        if k % 2:
            up = resample_poly(wave, 2, 1)
            sf.write(other / f.name, np.stack([up, up], axis=1), 16000, subtype="PCM_24")
        else:
            sf.write(other / f.name, resample_poly(wave, 441, 320), 11025, subtype="PCM_U8")
    evaluated = result_json(runner.invoke(app, ["speech", "evaluate", str(out), "--data", str(other), "--json"]))
    assert evaluated["files"] == 90 and evaluated["accuracy"] >= result["accuracy"] - 0.1


def test_noise_option_reports_the_snr(trained):
    out, result = trained
    noisy = result_json(runner.invoke(app, ["speech", "evaluate", str(out), "--snr", "10", "--json"]))
    assert noisy["snr_db"] == 10.0 and noisy["files"] == 90 and 0.0 <= noisy["accuracy"] <= 1.0


def test_bad_input_is_a_clear_error(trained, recordings, tmp_path):
    out, _ = trained
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    (unknown / "9_theo_0.wav").symlink_to((recordings / "0_theo_0.wav").resolve())  # label 9: never trained on
    _error(runner.invoke(app, ["speech", "evaluate", str(out), "--data", str(unknown), "--json"]),
           "9_theo_0.wav", "never occurs in the training data")
    badname = tmp_path / "badname"
    badname.mkdir()
    (badname / "hello.wav").symlink_to((recordings / "0_theo_0.wav").resolve())
    _error(runner.invoke(app, ["speech", "evaluate", str(out), "--data", str(badname)]), "hello.wav", "{label}")
    empty = tmp_path / "empty"
    empty.mkdir()
    sf.write(empty / "1_theo_0.wav", np.zeros((0, 1)), 8000, subtype="PCM_16")
    _error(runner.invoke(app, ["speech", "evaluate", str(out), "--data", str(empty)]), "1_theo_0.wav", "no audio")
    (empty / "1_theo_0.wav").unlink()
    sf.write(empty / "1_theo_0.wav", np.full(800, np.nan, dtype=np.float32), 8000, subtype="FLOAT")
    _error(runner.invoke(app, ["speech", "predict", str(out), str(empty / "1_theo_0.wav")]), "1_theo_0.wav", "NaN")
    _error(runner.invoke(app, ["speech", "evaluate", str(tmp_path), "--data", str(recordings)]), "not a seqlab run")
    _error(runner.invoke(app, ["speech", "train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]),
           "nowhere")
    _error(runner.invoke(app, ["speech", "train", "--data", str(recordings), "--model", "transformer",
                               "--out", str(tmp_path / "r")]), "unknown model")
    _error(runner.invoke(app, ["speech", "train", "--data", str(recordings), "--set", "data.n_mel=20",
                               "--out", str(tmp_path / "r")]), "n_mel")
    _error(runner.invoke(app, ["speech", "train", "--data", str(recordings), "--out", str(out)]), "already exists")
    assert not (tmp_path / "r").exists()
