"""The analysis adapters of the tasks whose inputs are float steps: forecasting, time-series
classification, speech recognition and anomaly detection (see :mod:`seqlab.analysis.targets`).

Inputs are standardised (forecasting, classify, anomaly) or normalised per utterance (speech),
so the integrated-gradients baseline of zeros is the training mean everywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import default_collate

from seqlab.analysis.targets import AnalysisNotApplicable, Examples, Target, given_file, spread
from seqlab.data.audio import FeatureSpec, list_wavs
from seqlab.data.nab import read_nab_series
from seqlab.data.series import read_series
from seqlab.data.ucr import resolve_pair
from seqlab.data.windows import StandardScaler
from seqlab.errors import DataError
from seqlab.models.anomaly import LSTMForecaster, RollingZScore
from seqlab.tasks.anomaly import run as anomaly
from seqlab.tasks.classify import data as classify_data
from seqlab.tasks.classify import run as classify
from seqlab.tasks.forecasting import run as forecasting
from seqlab.tasks.forecasting.data import history_inputs, prepare_series, unscale
from seqlab.tasks.speech import data as speech_data
from seqlab.tasks.speech import run as speech
from seqlab.training.losses import get_loss


class _Classifier(Target):
    """Explains the predicted class's logit (a log-probability for an ensemble); loss: cross-entropy."""

    labels: list[str]

    def choose(self, ex: Examples) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return {"target": self.logits(ex.x, ex.fixed).argmax(dim=1)}  # (N,)

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.logits(x, fixed).gather(1, fixed["target"][:, None])[:, 0]  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        with torch.no_grad():
            p = torch.softmax(self.logits(ex.x[i:i + 1], {k: v[i:i + 1] for k, v in ex.fixed.items()}), -1)[0]
        k = int(fixed["target"][i])
        return {"prediction": self.labels[k], "label": self.labels[k], "target": k, "probability": float(p[k]),
                **(ex.info[i] if ex.info else {})}

    def loss(self, ex: Examples) -> torch.Tensor:
        return F.cross_entropy(self.logits(ex.x, ex.fixed), ex.y)

    def logits(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError


def _truth(y: np.ndarray | None, labels: list[str]) -> tuple[torch.Tensor | None, list[dict]]:
    if y is None:
        return None, []
    return torch.as_tensor(y, dtype=torch.long), [{"actual": labels[int(k)]} for k in y]


# --------------------------------------------------------------------------------------------


class ForecastTarget(Target):
    """``seqlab forecast train``: the mean forecast of the first target over the horizon."""

    kind, command, rank_by = "forecast", "seqlab forecast train", ("mse", False)

    @classmethod
    def load(cls, run_dir: Path) -> ForecastTarget:
        config, net, state = forecasting.load_run(run_dir)
        H, first = state["horizon"], state["targets"][0]
        target = cls(run_dir, net, config, list(state["columns"]),
                     f"the mean forecast of {first} over the {H} horizon steps (standardised)")
        target.state = state
        return target

    def examples(self, source: str | Path, n: int) -> Examples:
        state = self.state
        if str(source) == "test":
            setup = prepare_series(self.config.data)
            setup.scaler = StandardScaler.from_dict(state["scaler"])  # the scale the model was trained on
            windows = setup.dataset("test")
            rows = spread(len(windows), n)
            inputs, y = default_collate([windows[i] for i in rows])  # {"x": (N, L, C), "tau": (N,), "marks"?}, (N, H, K)
            start = setup.rows("test")[0]
            stamps = setup.timestamps
            names = [f"test window {i}" + (f" (from {stamps[start + i]})" if stamps is not None else "") for i in rows]
            info = [{"actual": a[:, 0].tolist()} for a in self._units(y.numpy())]
        else:
            path = given_file(source)
            frame = read_series(path, columns=state["columns"], timestamp_col=state["timestamp_col"],
                                missing=self.config.data.missing or "error")
            inputs, _ = history_inputs(frame, state, source=str(path))
            y, names, info = None, [f"{path}: the last {state['lookback']} rows"], []
        x = inputs.pop("x")
        return Examples(x=x, fixed=inputs, names=names, lengths=[x.shape[1]] * len(x), y=y, info=info)

    def forecast(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.net({"x": x, **fixed})  # (N, H, K)

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.forecast(x, fixed)[:, :, 0].mean(dim=1)  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        with torch.no_grad():
            y = self.forecast(ex.x[i:i + 1], {k: v[i:i + 1] for k, v in fixed.items()}).numpy()  # (1, H, K)
        return {"prediction": self._units(y)[0, :, 0].tolist(), "unit": f"{self.state['targets'][0]}, data units",
                **(ex.info[i] if ex.info else {})}

    def _units(self, y: np.ndarray) -> np.ndarray:
        columns = self.state["columns"]
        return unscale(y, StandardScaler.from_dict(self.state["scaler"]),
                       [columns.index(t) for t in self.state["targets"]])

    def loss(self, ex: Examples) -> torch.Tensor:
        return get_loss(self.config.loss)(self.forecast(ex.x, ex.fixed), ex.y)  # the loss the run trained with

    def evaluate(self) -> dict:
        return forecasting.evaluate(self.run_dir)


class ClassifyTarget(_Classifier):
    """``seqlab classify train``: the predicted class's logit for a (T, D) series."""

    kind, command, rank_by = "time-series-classification", "seqlab classify train", ("accuracy", True)

    @classmethod
    def load(cls, run_dir: Path) -> ClassifyTarget:
        config, net, state = classify.load_run(run_dir)
        dims = int(state["dims"])
        names = ["value"] if dims == 1 else [f"dimension {j}" for j in range(dims)]
        target = cls(run_dir, net, config, names, "the predicted class's logit")
        target.state, target.labels = state, list(state["labels"])
        return target

    def examples(self, source: str | Path, n: int) -> Examples:
        y = None
        if str(source) == "test":
            test = self.config.data.test_path or resolve_pair(self.config.data.path)[1]
            if test is not None:
                s, series = classify_data.series_for_run(test, self.state, labelled=True)
                y = classify_data.label_ids(s, self.labels)
                where = [f"{s.source} series {i}" for i in range(len(series))]
            else:  # no test file: the validation series (carved as training carved them), else the training ones
                setup = classify_data.prepare(self.config.data, None, seed=self.config.train.seed or 0)
                split = "val" if "val" in setup.splits else "train"
                part = setup.splits[split]
                series, y, where = part.series, part.y, [f"{split} series {i}" for i in range(len(part.y))]
            rows = spread(len(series), n)
            series, y, where = [series[i] for i in rows], y[rows], [where[i] for i in rows]
        else:
            s, series = classify_data.series_for_run(given_file(source), self.state, labelled=False)
            series, where = series[:n], [f"{s.source} series {i}" for i in range(min(n, len(series)))]
        inputs, = classify_data.pad_series([(torch.from_numpy(np.ascontiguousarray(a)),) for a in series])
        truth, info = _truth(y, self.labels)
        return Examples(x=inputs["x"], fixed={"lengths": inputs["lengths"]}, names=where,
                        lengths=inputs["lengths"].tolist(), y=truth, info=info)

    def logits(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.net({"x": x, "lengths": fixed["lengths"]})  # (N, K)

    def evaluate(self) -> dict:
        return classify.evaluate(self.run_dir)


class SpeechTarget(_Classifier):
    """``seqlab speech train``: the predicted word's logit for the (T, D) frames of an utterance."""

    kind, command, rank_by = "speech-recognition", "seqlab speech train", ("accuracy", True)

    @classmethod
    def load(cls, run_dir: Path) -> SpeechTarget:
        config, net, state = speech.load_run(run_dir)
        spec = FeatureSpec.from_dict(state["features"])
        band = "mfcc" if spec.kind == "mfcc" else "mel"
        base = [f"{band} {j}" for j in range(spec.dim // (2 if spec.deltas else 1))]
        names = base + ([f"Δ{name}" for name in base] if spec.deltas else [])
        target = cls(run_dir, net, config, names, "the predicted label's logit (a log-probability for an ensemble)")
        target.spec, target.labels = spec, list(state["labels"])
        return target

    def examples(self, source: str | Path, n: int) -> Examples:
        y = None
        if str(source) == "test":
            _, rec = speech_data.split_recordings(speech_data.read_recordings(self.config.data.path), self.config.data)
            if rec is None:
                raise DataError(f"{self.run_dir}: the run's data {self.config.data.path} has no test files; "
                                "give WAV files or a folder of them instead of 'test'")
            rec = rec.subset(spread(len(rec), n))
            files, y = rec.files, speech_data.label_ids(rec, self.labels)
        else:
            files = list_wavs(given_file(source))[:n]
        feats = speech_data.compute_features(files, self.spec)
        inputs, = speech_data.pad_features([(torch.as_tensor(f, dtype=torch.float32),) for f in feats])
        truth, info = _truth(y, self.labels)
        return Examples(x=inputs["features"], fixed={"lengths": inputs["lengths"]}, names=[Path(f).name for f in files],
                        lengths=inputs["lengths"].tolist(), y=truth, info=info)

    def logits(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.net({"features": x, "lengths": fixed["lengths"]})  # (N, C)

    def evaluate(self) -> dict:
        return speech.evaluate(self.run_dir)


class AnomalyTarget(Target):
    """``seqlab anomaly fit``: the anomaly score of the last row of a window, recomputed from the
    window alone, for the highest-scoring rows after the part the detector was fitted on."""

    kind, command, rank_by = "anomaly", "seqlab anomaly fit", ("nab_score", True)

    @classmethod
    def load(cls, run_dir: Path) -> AnomalyTarget:
        config, net, state = anomaly.load_run(run_dir)
        if isinstance(net, LSTMForecaster):
            note = ("the anomaly score |z_t - forecast of z_t| of the window's last row, the forecast made from the "
                    "window's earlier rows alone (the run's own scores carry the state from the series' start)")
        else:
            note = "the anomaly score of the window: the mean squared error of its reconstruction"
        target = cls(run_dir, net, config, ["value"], note)
        target.state = state
        return target

    def _check(self) -> None:
        if isinstance(self.net, RollingZScore):
            raise AnalysisNotApplicable(
                f"{self.run_dir} is a rolling z-score detector, which has no network: its score is "
                "|z_t - mean| / std of the previous window rows, so every row's score is its own distance from "
                "that mean and there is nothing to attribute or trace; fit a network detector (--model lstm-ae, "
                "conv-ae or lstm-forecast) to explain one")

    @property
    def window(self) -> int:
        W = self.net.config.window
        return W + 1 if isinstance(self.net, LSTMForecaster) else W  # the forecaster also reads the row it scores

    def examples(self, source: str | Path, n: int) -> Examples:
        self._check()
        if str(source) == "test":
            path, first = self.state["split"]["path"], int(self.state["split"]["fit_rows"])
        else:
            path, first = given_file(source), 0
        series = read_nab_series(path)
        z = anomaly.standardise(series, self.state)  # (N,)
        scores = anomaly.series_scores(self.net, z)
        W = self.window
        rows = _top_rows(scores, max(first, W - 1), n, W // 2)
        if not rows:
            raise DataError(f"{path}: no row after the first {max(first, W - 1)} to explain (window {W})")
        x = torch.as_tensor(np.stack([z[t - W + 1:t + 1] for t in rows]), dtype=torch.float32)[..., None]  # (N, W, 1)
        names = [f"row {t} ({series.timestamps[t]})" for t in rows]
        info = [{"row": t, "run_score": float(scores[t])} for t in rows]
        return Examples(x=x, fixed={}, names=names, lengths=[W] * len(rows), y=x, info=info)

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        if isinstance(self.net, LSTMForecaster):
            return (x[:, -1, 0] - self.net(x[:, :-1])[:, -1, 0]).abs()  # (N,)
        return ((self.net(x) - x) ** 2).mean(dim=(1, 2))  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        with torch.no_grad():
            score = float(self.output(ex.x[i:i + 1], {})[0])
        alarm = score > self.state["threshold"]["threshold"]
        return {"prediction": score, "label": "alarm" if alarm else "no alarm", **ex.info[i]}

    def loss(self, ex: Examples) -> torch.Tensor:
        self._check()
        if isinstance(self.net, LSTMForecaster):
            return F.mse_loss(self.net(ex.x[:, :-1]), ex.x[:, 1:])
        return F.mse_loss(self.net(ex.x), ex.x)

    def evaluate(self) -> dict:
        data = Path(self.state["split"]["path"])
        labels = next((p / "labels" / "combined_windows.json" for p in data.parents
                       if (p / "labels" / "combined_windows.json").is_file()), None)
        if labels is None:
            raise AnalysisNotApplicable(
                f"compare: {self.run_dir} is an anomaly run, ranked by its NAB score on labelled windows, but no "
                f"labels/combined_windows.json was found above {data}; score each run with `seqlab anomaly score "
                "RUN --data SERIES --labels LABELS`")
        return anomaly.score(self.run_dir, data, labels)


def _top_rows(scores: np.ndarray, first: int, n: int, gap: int) -> list[int]:
    """The rows from ``first`` on with the highest scores, at least ``gap`` rows apart, in time order."""
    chosen: list[int] = []
    for t in np.argsort(-scores[first:], kind="stable") + first:
        if all(abs(int(t) - c) >= max(gap, 1) for c in chosen):
            chosen.append(int(t))
            if len(chosen) == n:
                break
    return sorted(chosen)


TARGETS = (ForecastTarget, ClassifyTarget, SpeechTarget, AnomalyTarget)
