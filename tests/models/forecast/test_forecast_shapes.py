"""Every model × channel independence × RevIN × marks: output shapes, gradients, flags."""

from __future__ import annotations

import itertools

import pytest
import torch

from seqlab.models.forecast import BASELINES, MODEL_NAMES, Forecaster, ForecasterConfig, ForecastShape, build_forecaster

L, H, C, F = 24, 6, 3, 2
TARGETS = (2, 0)  # out of order on purpose: the output follows target_idx
MARK_MODELS = {"lstm", "gru", "rnn", "stacked-lstm", "cnn", "tcn", "seq2seq"}
SIZED = {"lstm", "gru", "rnn", "stacked-lstm", "cnn", "tcn", "seq2seq", "segrnn", "cycle-segrnn"}


def config(name: str, **kw) -> ForecasterConfig:
    if name in SIZED:
        kw.setdefault("hidden", 8)
    return ForecasterConfig(name=name, **kw)


def cases():
    for name, ci, revin, marks in itertools.product(MODEL_NAMES, (False, True), (False, True), (False, True)):
        if (name in BASELINES and revin) or (marks and name not in MARK_MODELS):
            continue
        yield pytest.param(name, ci, revin, marks, id=f"{name}-ci{int(ci)}-revin{int(revin)}-marks{int(marks)}")


@pytest.mark.parametrize("name, ci, revin, marks", list(cases()))
def test_output_shape_and_gradients(name, ci, revin, marks):
    torch.manual_seed(0)
    shape = ForecastShape(L, H, C, TARGETS, n_marks=F if marks else 0, season=12)
    net = build_forecaster(config(name, channel_independent=ci, revin=revin), shape)
    assert isinstance(net, Forecaster)
    assert net.channel_independent is ci and (net.revin is not None) is revin
    assert net.uses_marks is marks and net.needs_targets is (name == "seq2seq")
    assert net.trainable is (name not in BASELINES)
    x = torch.randn(5, L, C)
    inputs = {"x": x, "marks": torch.randn(5, L + H, F)} if marks else x
    if name == "seq2seq":
        inputs = {**(inputs if marks else {"x": x}), "y": torch.randn(5, H, len(TARGETS))}
    if name == "cycle-segrnn":  # its cycle reads each window's step index
        inputs = {"x": x, "tau": torch.arange(5) * 7}
    y = net(inputs)
    assert y.shape == (5, H, len(TARGETS)) and torch.isfinite(y).all()
    if net.trainable:
        y.pow(2).mean().backward()
        unused = [n for n, p in net.named_parameters() if p.grad is None]
        assert not unused, f"parameters without gradient: {unused}"
    else:
        assert list(net.parameters()) == []


@pytest.mark.parametrize("name", ["lstm", "tcn", "seq2seq"])
def test_marks_change_the_forecast(name):
    torch.manual_seed(0)
    net = build_forecaster(config(name), ForecastShape(L, H, C, TARGETS, n_marks=F)).eval()
    x, m = torch.randn(2, L, C), torch.randn(2, L + H, F)
    m2 = m.clone()
    m2[:, -1] += 1.0  # only the last future step's marks
    assert not torch.allclose(net({"x": x, "marks": m}), net({"x": x, "marks": m2}))


def test_models_without_marks_ignore_them():
    net = build_forecaster(config("linear"), ForecastShape(L, H, C, TARGETS, n_marks=F)).eval()
    x = torch.randn(2, L, C)
    assert not net.uses_marks
    assert torch.equal(net(x), net({"x": x, "marks": torch.randn(2, L + H, F)}))


def test_horizon_not_a_multiple_of_seg_len_is_cut():
    net = build_forecaster(config("segrnn", seg_len=8), ForecastShape(L, 13, C, TARGETS))
    assert net(torch.randn(2, L, C)).shape == (2, 13, 2)
