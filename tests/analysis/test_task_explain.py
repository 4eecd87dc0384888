"""``seqlab explain RUN --examples N --out DIR`` on a run of every task command.

Each test checks what explains the run (attributions that add up to the output's difference
from the baseline), and recomputes the explained output or the prediction on its own, through
the task's public API rather than the adapter.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from seqlab.analysis.explain import explain
from seqlab.analysis.targets import AnalysisNotApplicable
from seqlab.tasks.rundir import is_seqlab_dir

from .chromium import Dom, render
from .task_runs import ok, runner
from seqlab.cli.main import app


def _explained(run, tmp_path, n: int = 2, gap: float = 0.01) -> tuple[dict, Dom]:
    """The CLI contract's call; the folder it wrote, its JSON, and its report as a browser renders it.
    Integrated gradients must add up to the output's change within ``gap`` of it."""
    out = tmp_path / "why"
    result = ok(runner.invoke(app, ["explain", str(run), "--examples", str(n), "--out", str(out), "--json"]))
    assert json.loads((out / "explain.json").read_text()) == result
    assert is_seqlab_dir(out)  # marked: --overwrite may replace it, and nothing else
    dom = Dom()
    dom.feed(render(out / "report.html", tmp_path))
    images = int(dom.body["data-images"])
    assert dom.body["data-images-ok"] == str(images), "a figure did not decode"
    assert len(list((out / "figures").glob("*.png"))) == images  # every figure also as a PNG file
    assert len(result["examples"]) == n
    for e in result["examples"]:  # completeness: sum IG = F(x) - F(baseline), up to the reported delta
        change, total = e["output"] - e["baseline_output"], float(np.sum(e["attributions"]))
        assert total - change == pytest.approx(e["delta"], abs=1e-4)
        assert abs(e["delta"]) <= gap * max(abs(change), 1e-3) + 1e-5
        assert np.all(np.asarray(e["saliency"]) >= 0)
    return result, dom


def test_forecast_univariate_explains_the_mean_forecast_with_a_line(forecast_run, tmp_path):
    from seqlab.tasks.forecasting.data import prepare_series
    from seqlab.tasks.forecasting.run import load_run

    result, dom = _explained(forecast_run, tmp_path)
    assert result["command"] == "seqlab forecast train" and result["feature_names"] == ["Sunspots"]
    config, net, state = load_run(forecast_run)
    windows = prepare_series(config.data).dataset("test")
    last = windows[len(windows) - 1][0]  # the last test window: spread examples end there
    with torch.no_grad():
        mean = net({k: v[None] for k, v in last.items()})[0, :, 0].mean()  # (H,) -> the explained output
    e = result["examples"][-1]
    assert e["output"] == pytest.approx(float(mean), abs=1e-5)
    assert np.asarray(e["values"]) == pytest.approx(last["x"].numpy(), abs=1e-6)
    assert np.asarray(e["attributions"]).shape == (96, 1) and len(e["prediction"]) == 12
    assert int(dom.body["data-images"]) == 2  # one line figure per example, no heatmap


def test_forecast_multivariate_linear_model(forecast_m_run, tmp_path):
    result, dom = _explained(forecast_m_run, tmp_path, n=3)
    assert result["feature_names"] == ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]
    for e in result["examples"]:
        a = np.asarray(e["attributions"])  # (L, C): a linear model's IG is exact
        assert a.shape == (48, 7)
        assert a.sum() == pytest.approx(e["output"] - e["baseline_output"], abs=1e-4)
    assert int(dom.body["data-images"]) == 3  # one heatmap per example


def test_text_labels_match_the_network_and_tokens_are_highlighted(text_run, tmp_path):
    from seqlab.data.encoders import encoder_from_dict
    from seqlab.tasks.text.run import load_run

    result, dom = _explained(text_run, tmp_path, n=3)
    _, net, state = load_run(text_run)
    index = {t: i for i, t in enumerate(encoder_from_dict(state["encoder"]).token_list())}
    for e in result["examples"]:
        assert len(e["tokens"]) == len(e["attributions"]) and e["actual"] in ("0", "1")
        ids = torch.as_tensor([[index[t] for t in e["tokens"]]])
        with torch.no_grad():
            logits = net({"ids": ids, "lengths": torch.as_tensor([ids.shape[1]])})[0]
        assert e["label"] == state["labels"][int(logits.argmax())]
        assert e["output"] == pytest.approx(float(logits.max()), abs=1e-4)
    assert len(dom.tokens) == sum(len(e["tokens"]) for e in result["examples"])
    given = tmp_path / "new.txt"
    given.write_text("a gorgeous , witty , seductive movie .\n", encoding="utf-8")
    one = explain(text_run, given, examples=3)
    assert len(one["examples"]) == 1 and one["examples"][0]["tokens"][:2] == ["a", "gorgeous"]


def test_classify_predictions_match_the_run(classify_run, tmp_path, shared_data):
    from seqlab.tasks.classify.run import predict

    result, dom = _explained(classify_run, tmp_path, n=3)
    predicted = predict(classify_run, shared_data / "ucr" / "ItalyPowerDemand" / "ItalyPowerDemand_TEST.ts")
    for e in result["examples"]:
        index = int(e["name"].rsplit(" ", 1)[1])
        assert e["label"] == predicted[index]["label"]
        assert np.asarray(e["attributions"]).shape == (24, 1)
    assert int(dom.body["data-images"]) == 3  # univariate: a line figure each


def test_speech_frames_are_a_heatmap(speech_run, tmp_path):
    from seqlab.tasks.speech.run import predict_files

    # LayerNorm makes the network flat from just above the zero baseline: the path integral is poorly
    # conditioned there, and even 512 points leave a few per cent (the report shows the gap)
    result, dom = _explained(speech_run, tmp_path, gap=0.1)
    assert result["feature_names"][0] == "mfcc 0"
    recordings = speech_run.parent / "recordings"
    predicted = predict_files(speech_run, [recordings / e["name"] for e in result["examples"]])
    assert [p["label"] for p in predicted] == [e["label"] for e in result["examples"]]
    assert np.asarray(result["examples"][0]["attributions"]).shape[1] == len(result["feature_names"])
    assert int(dom.body["data-images"]) == 2


def test_anomaly_autoencoder_scores_are_the_runs(anomaly_run, tmp_path):
    result, _ = _explained(anomaly_run, tmp_path)
    for e in result["examples"]:  # the window's reconstruction error is the run's own score of its last row
        assert e["output"] == pytest.approx(e["run_score"], rel=1e-4, abs=1e-6)
        assert np.asarray(e["attributions"]).shape == (16, 1)
    scores = [e["run_score"] for e in result["examples"]]
    assert min(scores) > 0


def test_a_zscore_detector_is_a_named_error(shared_data, tmp_path):
    from .task_runs import anomaly_run as make

    run = make(shared_data, tmp_path / "z", model="zscore")
    with pytest.raises(AnalysisNotApplicable, match="rolling z-score detector, which has no network"):
        explain(run)
    bad = runner.invoke(app, ["explain", str(run), "--out", str(tmp_path / "why")])
    assert bad.exit_code == 2 and "no network" in bad.output and not (tmp_path / "why").exists()
    report = ok(runner.invoke(app, ["report", str(run), "--json"]))
    page = (run / "report.html").read_text(encoding="utf-8")
    assert report["report"] == str(run / "report.html") and "No attributions" in page and "zscore" in page


def test_generate_explains_the_next_token(generate_run, tmp_path):
    from seqlab.tasks.generate.run import load_run

    result, _ = _explained(generate_run, tmp_path)
    _, net, codec = load_run(generate_run)
    for e in result["examples"]:
        assert len(e["tokens"]) == 32 and result["token_separator"] == ""
        ids = torch.as_tensor(codec.vocab.encode(e["tokens"]))[None]
        net.reset_states()
        with torch.no_grad():
            logp = torch.log_softmax(net(ids)[0, -1], dim=-1)
        assert e["prediction"] == codec.vocab.decode([int(logp.argmax())])[0]
        assert e["output"] == pytest.approx(float(logp.max()), abs=1e-5)


def test_translate_attributes_the_greedy_translation_to_the_source(translate_run, tmp_path):
    from seqlab.tasks.translate.data import read_pairs
    from seqlab.tasks.translate.run import predict

    result, dom = _explained(translate_run, tmp_path)
    pairs = read_pairs(translate_run / "test.tsv")
    rows = [int(e["name"].rsplit(" ", 1)[1]) - 1 for e in result["examples"]]
    for e, p, row in zip(result["examples"], predict(translate_run, [pairs.src[i] for i in rows], beam=1), rows):
        assert e["prediction"] == p["translation"] and e["reference"] == pairs.tgt[row]
        assert e["output"] < 0  # a log-probability
        weights = np.asarray(e["attention"])
        assert weights.shape == (len(e["output_tokens"]), len(e["tokens"]))
        assert weights.sum(axis=1) == pytest.approx(np.ones(len(weights)), abs=1e-4)
    assert int(dom.body["data-images"]) == 2  # the attention heatmap of each example; tokens are HTML
    assert len(dom.tokens) == sum(len(e["tokens"]) for e in result["examples"])


def test_out_refuses_a_folder_seqlab_did_not_write(anomaly_run, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    bad = runner.invoke(app, ["explain", str(anomaly_run), "--out", str(mine)])
    assert bad.exit_code == 2 and "--overwrite" in bad.output
    bad = runner.invoke(app, ["explain", str(anomaly_run), "--out", str(mine), "--overwrite"])
    assert bad.exit_code == 2 and "did not write it" in bad.output and (mine / "notes.txt").read_text() == "keep me"
    out = tmp_path / "why"
    assert runner.invoke(app, ["explain", str(anomaly_run), "--examples", "1", "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["explain", str(anomaly_run), "--examples", "1", "--out", str(out), "--overwrite"])
    assert again.exit_code == 0, again.output
    assert len(json.loads((out / "explain.json").read_text())["examples"]) == 1


def test_the_default_anomaly_detector_explains_its_highest_scores(shared_data, tmp_path):
    from seqlab.tasks.anomaly.run import predict

    from .task_runs import NAB_KEY
    from .task_runs import anomaly_run as make

    run = make(shared_data, tmp_path / "f", model="lstm-forecast")
    result = explain(run, examples=3)
    scores = predict(run, shared_data / "anomaly" / "nab" / NAB_KEY)["scores"]
    fitted = json.loads((run / "preprocessing.json").read_text())["split"]["fit_rows"]
    rows = [e["row"] for e in result["examples"]]
    assert rows == sorted(rows) and min(rows) >= fitted  # after the fitted part, in time order
    assert max(scores[rows]) == pytest.approx(scores[fitted:].max())  # the highest score among them
    assert [e["run_score"] for e in result["examples"]] == pytest.approx(scores[rows].tolist())
    for e in result["examples"]:
        assert np.asarray(e["attributions"]).shape == (17, 1)  # the window and the row it scores
        assert np.sum(e["attributions"]) == pytest.approx(e["output"] - e["baseline_output"], abs=1e-3)


def test_given_inputs_a_history_and_sentences(forecast_run, translate_run, shared_data, tmp_path):
    history = tmp_path / "history.csv"
    lines = (shared_data / "series" / "monthly-sunspots.csv").read_text(encoding="utf-8").splitlines()
    history.write_text("\n".join(lines[:201]) + "\n", encoding="utf-8")
    (one,) = explain(forecast_run, history, examples=5)["examples"]
    assert one["name"].endswith("the last 96 rows") and np.asarray(one["values"]).shape == (96, 1)
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("I'm happy.\n\nWe're late.\n", encoding="utf-8")
    result = explain(translate_run, sentences, examples=5)
    assert [e["name"].rsplit(" ", 1)[1] for e in result["examples"]] == ["1", "2"]
    assert "reference" not in result["examples"][0]
    with pytest.raises(Exception, match="input not found"):
        explain(translate_run, tmp_path / "missing.txt")
