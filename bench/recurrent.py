"""Recurrent layers: seqlab's paths against torch.nn's fused kernels (and Keras 3), one run.

    python bench/recurrent.py [--json] [--quick] [--skip grid,memory,keras,alternatives]

Sections (each a table; everything goes to bench/results/recurrent.json, written atomically):

1. ``default``: training step (forward, a mean-square loss on the output sequence, backward
   to the weights and to the input, as for a layer after an embedding or another layer)
   and inference (no grad) at B=64, T=128, D=64, H=128, float32, for every cell and variant,
   timed round-robin with torch.nn's module of the same cell and with torch.nn.LSTM; ratios
   are medians over rounds of the per-round ratio. Seqlab layers hold the torch module's
   weights. ``alternatives`` adds the other ways to fuse the peephole LSTM's step that the
   issue asks to weigh: the reference loop, its step under torch.compile, a TorchScript loop.
2. ``grid``: the same for LSTM, peephole and layer-norm LSTM over T in {32, 128, 512, 2048} and
   H in {64, 256, 512} (B=64, D=64).
3. ``latency``: batch-1 inference latency at T=128.
4. ``memory``: peak resident memory added by one training step, T in {128, 512, 2048}
   (B=64, D=64, H=128), each measured in a fresh process.
5. ``keras``: the same layers in Keras 3 on its JAX and torch backends (``pip install keras
   jax``: ``make bench`` does it), each backend in its own process; ratios are seqlab's
   time in section 1 over Keras' time, both from this run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, paired, ratio, show, write_atomic  # noqa: E402

from seqlab.layers.cells import LSTMCell  # noqa: E402
from seqlab.layers.recurrent import GRU, LSTM, SimpleRNN  # noqa: E402

B, T, D, H = 64, 128, 64, 128
TARGETS = {"standard": 1.05, "variant": 1.3}  # the bounds (standard: vs the same torch cell)

# name -> (torch anchor, seqlab class and arguments, role). A None class is the anchor itself.
VARIANTS = {
    "torch.nn.LSTM": ("lstm", None, "anchor"),
    "LSTM, seqlab auto": ("lstm", (LSTM, {}), "standard"),
    "LSTM, seqlab kernel": ("lstm", (LSTM, {"backend": "native"}), "info"),
    "LSTM peephole, seqlab kernel": ("lstm", (LSTM, {"peephole": True, "backend": "native"}), "variant"),
    "LSTM layer norm, seqlab kernel": ("lstm", (LSTM, {"layer_norm": True, "backend": "native"}), "variant"),
    "LSTM peephole + layer norm, seqlab kernel": ("lstm", (LSTM, {"peephole": True, "layer_norm": True,
                                                                  "backend": "native"}), "variant"),
    "LSTM, mask with holes, seqlab kernel": ("lstm", (LSTM, {"_holes": True, "backend": "native"}), "info"),
    "torch.nn.GRU": ("gru", None, "anchor"),
    "GRU, seqlab auto": ("gru", (GRU, {}), "standard"),
    "GRU, seqlab kernel": ("gru", (GRU, {"backend": "native"}), "info"),
    "GRU layer norm, seqlab kernel": ("gru", (GRU, {"layer_norm": True, "backend": "native"}), "info"),
    "torch.nn.RNN tanh": ("rnn_tanh", None, "anchor"),
    "SimpleRNN tanh, seqlab auto": ("rnn_tanh", (SimpleRNN, {}), "standard"),
    "SimpleRNN tanh, seqlab kernel": ("rnn_tanh", (SimpleRNN, {"backend": "native"}), "info"),
    "torch.nn.RNN relu": ("rnn_relu", None, "anchor"),
    "SimpleRNN relu, seqlab auto": ("rnn_relu", (SimpleRNN, {"activation": "relu"}), "standard"),
    "SimpleRNN relu, seqlab kernel": ("rnn_relu", (SimpleRNN, {"activation": "relu", "backend": "native"}), "info"),
}
ANCHORS = {"lstm": "torch.nn.LSTM", "gru": "torch.nn.GRU", "rnn_tanh": "torch.nn.RNN tanh",
           "rnn_relu": "torch.nn.RNN relu"}


def torch_module(kind: str, d: int, h: int) -> nn.Module:
    if kind == "lstm":
        return nn.LSTM(d, h, batch_first=True)
    if kind == "gru":
        return nn.GRU(d, h, batch_first=True)
    return nn.RNN(d, h, batch_first=True, nonlinearity=kind.split("_")[1])


def holes_mask(b: int, t: int) -> torch.Tensor:
    """Every fourth step of every row masked: a mask torch's kernels cannot take."""
    mask = torch.ones(b, t, dtype=torch.bool)
    mask[:, 3::4] = False
    return mask


def contender(name: str, modules: dict[str, nn.Module], x: torch.Tensor):
    """``(f, params)``: ``f(x)`` is variant ``name``'s output sequence, on the anchor's weights."""
    kind, spec, _ = VARIANTS[name]
    module = modules[kind]
    if spec is None:
        return (lambda x: module(x)[0]), list(module.parameters())
    cls, kw = spec
    kw = dict(kw)
    holes = kw.pop("_holes", False)
    layer = cls(module.hidden_size, return_sequences=True, input_size=module.input_size, **kw)
    layer.load_state_dict(module.state_dict(), strict=False)  # extra parameters keep their init
    if holes:
        mask = holes_mask(x.shape[0], x.shape[1])
        return (lambda x: layer(x, mask=mask)), list(layer.parameters())
    return layer, list(layer.parameters())


def train_step(f, x: torch.Tensor, params: list[torch.Tensor]):
    def run():
        for p in [*params, x]:
            p.grad = None
        f(x).square().mean().backward()
    return run


def infer(f, x: torch.Tensor):
    def run():
        with torch.no_grad():
            f(x)
    return run


def time_group(names: list[str], b: int, t: int, d: int, h: int, repeats: int, warmup: int,
               mode: str, seed: int = 0) -> dict[str, dict]:
    torch.manual_seed(seed)
    kinds = {VARIANTS[n][0] for n in names}
    modules = {k: torch_module(k, d, h) for k in kinds}
    x = torch.randn(b, t, d, requires_grad=mode == "train")  # as after an embedding or a layer
    fs = {n: contender(n, modules, x) for n in names}
    jobs = {n: (train_step(f, x, ps) if mode == "train" else infer(f, x)) for n, (f, ps) in fs.items()}
    return paired(jobs, repeats, warmup)


# -- 1. the default configuration -----------------------------------------------------------
GROUPS = [
    ["torch.nn.LSTM", "LSTM, seqlab auto", "LSTM, seqlab kernel", "LSTM peephole, seqlab kernel",
     "LSTM layer norm, seqlab kernel", "LSTM peephole + layer norm, seqlab kernel",
     "LSTM, mask with holes, seqlab kernel"],
    ["torch.nn.GRU", "GRU, seqlab auto", "GRU, seqlab kernel", "GRU layer norm, seqlab kernel", "torch.nn.LSTM"],
    ["torch.nn.RNN tanh", "SimpleRNN tanh, seqlab auto", "SimpleRNN tanh, seqlab kernel", "torch.nn.LSTM"],
    ["torch.nn.RNN relu", "SimpleRNN relu, seqlab auto", "SimpleRNN relu, seqlab kernel", "torch.nn.LSTM"],
]


def default_section(repeats: int, warmup: int) -> list[dict]:
    rows = []
    for group in GROUPS:
        timed = {mode: time_group(group, B, T, D, H, repeats, warmup, mode) for mode in ("train", "infer")}
        for name in group:
            if name == "torch.nn.LSTM" and group[0] != name:
                continue  # listed once, in its own group
            kind, _, role = VARIANTS[name]
            anchor = ANCHORS[kind]
            row = {"variant": name, "role": role, "anchor": anchor}
            for mode, res in timed.items():
                row[f"{mode}_ms"] = round(res[name]["ms"], 3)
                row[f"{mode}_vs_anchor"] = round(ratio(res, name, anchor), 3)
                row[f"{mode}_vs_torch_lstm"] = round(ratio(res, name, "torch.nn.LSTM"), 3)
            rows.append(row)
    return rows


def noise_floor(repeats: int, warmup: int) -> dict:
    """torch.nn.LSTM against a copy of itself: how far from 1 identical work lands in this run."""
    torch.manual_seed(0)
    a = torch_module("lstm", D, H)
    b = torch_module("lstm", D, H)
    b.load_state_dict(a.state_dict())
    x = torch.randn(B, T, D, requires_grad=True)
    res = paired({"a": train_step(lambda x: a(x)[0], x, list(a.parameters())),
                  "b": train_step(lambda x: b(x)[0], x, list(b.parameters()))}, repeats, warmup)
    return {"train_ratio_copy_vs_itself": round(ratio(res, "b", "a"), 3)}


# -- the alternatives to a C++ kernel for the peephole step ----------------------------------
class CompiledStepLSTM(LSTM):
    """The reference loop with the cell's step compiled by torch.compile (inductor, CPU)."""

    _compiled = None

    @property
    def cell(self):
        if CompiledStepLSTM._compiled is None:
            c = LSTMCell()
            c.step = torch.compile(c.step, dynamic=False)
            CompiledStepLSTM._compiled = c
        return CompiledStepLSTM._compiled


def torchscript_peephole():
    """The whole peephole loop in TorchScript (its graph executor runs the loop, not Python)."""

    @torch.jit.script
    def loop(gx: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w_hh: torch.Tensor,
             p: torch.Tensor) -> torch.Tensor:
        outs = []
        for t in range(gx.shape[0]):
            gates = gx[t] + torch.mm(h, w_hh.t())
            i, f, g, o = gates.chunk(4, 1)
            i = torch.sigmoid(i + p[0] * c)
            f = torch.sigmoid(f + p[1] * c)
            c = f * c + i * torch.tanh(g)
            h = torch.sigmoid(o + p[2] * c) * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs, 1)

    return loop


def alternatives_section(repeats: int, warmup: int) -> list[dict]:
    torch.manual_seed(0)
    module = torch_module("lstm", D, H)
    x = torch.randn(B, T, D, requires_grad=True)
    native = LSTM(H, peephole=True, return_sequences=True, input_size=D)
    reference = LSTM(H, peephole=True, return_sequences=True, backend="reference", input_size=D)
    compiled = CompiledStepLSTM(H, peephole=True, return_sequences=True, backend="reference", input_size=D)
    for layer in (native, reference, compiled):
        layer.load_state_dict(module.state_dict(), strict=False)
    reference.load_state_dict(native.state_dict())
    compiled.load_state_dict(native.state_dict())
    loop = torchscript_peephole()

    def scripted(x):
        w = native.weights(0, 0)
        gx = torch.nn.functional.linear(x.transpose(0, 1), w.weight_ih, w.bias_ih + w.bias_hh)
        h0 = x.new_zeros(x.shape[0], H)
        return loop(gx, h0, h0, w.weight_hh, w.weight_peephole)

    torch.testing.assert_close(scripted(x), native(x), atol=1e-4, rtol=1e-4)  # same numbers
    candidates = {
        "torch.nn.LSTM (plain, for scale)": (lambda x: module(x)[0], list(module.parameters())),
        "C++ extension (seqlab kernel)": (native, list(native.parameters())),
        "reference loop (Python, autograd per op)": (reference, list(reference.parameters())),
        "reference loop, step under torch.compile": (compiled, list(compiled.parameters())),
        "TorchScript loop": (scripted, list(native.parameters())),
    }
    jobs, rows = {}, []
    for name, (f, params) in candidates.items():
        jobs[name] = train_step(f, x, params)
    timed = paired(jobs, max(5, repeats // 2), max(2, warmup))
    for name in candidates:
        rows.append({"path": name, "train_ms": round(timed[name]["ms"], 3),
                     "vs_torch_lstm": round(ratio(timed, name, "torch.nn.LSTM (plain, for scale)"), 3)})
    return rows


# -- 2. the grid ------------------------------------------------------------------------------
GRID_T, GRID_H = (32, 128, 512, 2048), (64, 256, 512)
GRID_VARIANTS = ["torch.nn.LSTM", "LSTM peephole, seqlab kernel", "LSTM layer norm, seqlab kernel"]


def grid_section(quick: bool) -> list[dict]:
    rows = []
    for h in GRID_H:
        for t in GRID_T:
            if quick and (t > 512 or h > 256):
                continue
            work = t * h * h  # repeats shrink with the work of a step
            repeats = max(3, min(15, int(15 * 128 * 128 * 128 / work)))
            row = {"T": t, "H": h, "repeats": repeats}
            for mode in ("train", "infer"):
                res = time_group(GRID_VARIANTS, B, t, D, h, repeats, 1, mode)
                row[f"{mode}_torch_lstm_ms"] = round(res["torch.nn.LSTM"]["ms"], 3)
                for name in GRID_VARIANTS[1:]:
                    key = "peephole" if "peephole" in name else "layer_norm"
                    row[f"{mode}_{key}_ms"] = round(res[name]["ms"], 3)
                    row[f"{mode}_{key}_vs_torch_lstm"] = round(ratio(res, name, "torch.nn.LSTM"), 3)
            rows.append(row)
            print(f"grid T={t} H={h} done", file=sys.stderr, flush=True)
    return rows


# -- 3. batch-1 latency ---------------------------------------------------------------------
LATENCY_GROUPS = [
    ["torch.nn.LSTM", "LSTM, seqlab auto", "LSTM peephole, seqlab kernel", "LSTM layer norm, seqlab kernel"],
    ["torch.nn.GRU", "GRU, seqlab auto", "GRU layer norm, seqlab kernel"],
    ["torch.nn.RNN relu", "SimpleRNN relu, seqlab auto", "SimpleRNN relu, seqlab kernel"],
]


def latency_section(repeats: int) -> list[dict]:
    rows = []
    for group in LATENCY_GROUPS:
        res = time_group(group, 1, T, D, H, repeats * 4, 10, "infer")
        for name in group:
            anchor = ANCHORS[VARIANTS[name][0]]
            rows.append({"variant": name, "latency_ms": round(res[name]["ms"], 3),
                         "vs_anchor": round(ratio(res, name, anchor), 3)})
    return rows


# -- 4. peak memory -----------------------------------------------------------------------------
MEMORY_T = (128, 512, 2048)
MEMORY_VARIANTS = {
    "torch.nn.LSTM": {},
    "LSTM peephole, seqlab kernel": {},
    "LSTM layer norm, seqlab kernel": {},
    "LSTM peephole, reference path": {"backend": "reference"},
}


def memory_probe(name: str, t: int) -> float:
    """MiB of resident memory one training step adds at its peak (run in a fresh process): the
    kernel's high-water mark is reset (``/proc/self/clear_refs``) just before the step, and the
    peak is read back from ``VmHWM`` (Linux)."""
    torch.manual_seed(0)
    module = torch_module("lstm", D, H)
    x = torch.randn(B, t, D, requires_grad=True)
    if name == "LSTM peephole, reference path":
        layer = LSTM(H, peephole=True, return_sequences=True, backend="reference", input_size=D)
        f, params = layer, list(layer.parameters())
    else:
        f, params = contender(name, {"lstm": module}, x)
    step = train_step(f, x, params)
    step_small = train_step(f, x[:, :2], params)
    step_small()  # kernels loaded, allocator warm, before the baseline
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status_kib("VmRSS")
    step()
    return (_status_kib("VmHWM") - before) / 1024


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/self/status")


def memory_section() -> list[dict]:
    rows = []
    for name in MEMORY_VARIANTS:
        row = {"variant": name}
        for t in MEMORY_T:
            out = subprocess.run([sys.executable, __file__, "--memory-probe", name, str(t)],
                                 capture_output=True, text=True, check=True)
            row[f"T={t}_MiB"] = round(float(out.stdout.strip().splitlines()[-1]), 1)
        rows.append(row)
    return rows


# -- 5. Keras 3 -----------------------------------------------------------------------------------
def keras_section(default_rows: list[dict], repeats: int) -> dict:
    ours = {r["variant"]: r for r in default_rows}
    result = {}
    for backend in ("jax", "torch"):
        env = {**os.environ, "KERAS_BACKEND": backend}
        cmd = [sys.executable, str(Path(__file__).with_name("keras_anchor.py")), "--layers",
               "--repeats", str(repeats)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            result[backend] = {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
            continue
        keras = json.loads(out.stdout.strip().splitlines()[-1])
        rows = []
        for name, row in ours.items():
            kind = VARIANTS[name][0]
            layer = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "SimpleRNN tanh", "rnn_relu": "SimpleRNN relu"}[kind]
            k = keras["layers"][layer]
            rows.append({"variant": name, "keras_layer": layer,
                         "keras_train_ms": k["train_ms"], "keras_infer_ms": k["infer_ms"],
                         "train_speedup": round(k["train_ms"] / row["train_ms"], 2),
                         "infer_speedup": round(k["infer_ms"] / row["infer_ms"], 2)})
        result[backend] = {"keras": keras["keras"], "backend_version": keras["backend_version"], "rows": rows}
    return result


# -- the run --------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--repeats", type=int, default=30, help="timed rounds at the default shape (default 30)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smaller grid (T <= 512, H <= 256)")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: "
                        "alternatives, grid, latency, memory, keras")
    parser.add_argument("--memory-probe", nargs=2, metavar=("VARIANT", "T"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        print(memory_probe(args.memory_probe[0], int(args.memory_probe[1])))
        return
    skip = set(filter(None, args.skip.split(",")))
    result = {"benchmark": "recurrent layers, seqlab vs torch.nn and Keras 3", "machine": machine(),
              "shape": {"B": B, "T": T, "D": D, "H": H}, "dtype": "float32", "device": "cpu",
              "targets": TARGETS, "repeats": args.repeats}
    result["default"] = default_section(args.repeats, args.warmup)
    result["noise_floor"] = noise_floor(args.repeats, args.warmup)
    if "alternatives" not in skip:
        result["alternatives"] = alternatives_section(args.repeats, args.warmup)
    if "latency" not in skip:
        result["latency"] = latency_section(args.repeats)
    if "keras" not in skip:
        result["keras"] = keras_section(result["default"], max(5, args.repeats // 3))
    if "memory" not in skip:
        result["memory"] = memory_section()
    if "grid" not in skip:
        result["grid"] = grid_section(args.quick)
    result["load_average_1min_end"] = os.getloadavg()[0]
    write_atomic(RESULTS / "recurrent.json", result)
    if args.json:
        print(json.dumps(result))
    else:
        report(result)


def report(r: dict) -> None:
    m = r["machine"]
    where = f"{m['cpu']}, {m['torch_threads']} threads, torch {m['torch']}"
    def verdict(row):
        bound = TARGETS.get(row["role"])
        if bound is None:
            return row["role"]
        value = row["train_vs_anchor"] if row["role"] == "standard" else row["train_vs_torch_lstm"]
        return f"≤ {bound}: {'yes' if value <= bound else 'NO'}"
    show(f"training step and inference, B={B} T={T} D={D} H={H} float32 ({where})",
         ["variant", "train ms", "vs same torch cell", "vs torch LSTM", "infer ms", "vs same torch cell",
          "target"],
         [[x["variant"], f"{x['train_ms']:.2f}", f"{x['train_vs_anchor']:.3f}", f"{x['train_vs_torch_lstm']:.3f}",
           f"{x['infer_ms']:.2f}", f"{x['infer_vs_anchor']:.3f}", verdict(x)] for x in r["default"]])
    print(f"noise floor (torch.nn.LSTM vs a copy of itself): {r['noise_floor']['train_ratio_copy_vs_itself']}")
    if "alternatives" in r:
        show("ways to fuse the peephole LSTM step (training step)", ["path", "ms", "vs torch.nn.LSTM"],
             [[x["path"], f"{x['train_ms']:.2f}", f"{x['vs_torch_lstm']:.2f}"] for x in r["alternatives"]])
    if "latency" in r:
        show(f"batch-1 inference latency, T={T}", ["variant", "ms", "vs same torch cell"],
             [[x["variant"], f"{x['latency_ms']:.3f}", f"{x['vs_anchor']:.3f}"] for x in r["latency"]])
    for backend, k in r.get("keras", {}).items():
        if "error" in k:
            print(f"Keras ({backend}): {k['error']}")
            continue
        show(f"speed-up over Keras {k['keras']} ({backend} {k['backend_version']}), same shape",
             ["variant", "Keras layer", "Keras train ms", "train speed-up", "Keras infer ms", "infer speed-up"],
             [[x["variant"], x["keras_layer"], f"{x['keras_train_ms']:.1f}", f"{x['train_speedup']:.2f}x",
               f"{x['keras_infer_ms']:.1f}", f"{x['infer_speedup']:.2f}x"] for x in k["rows"]])
    if "memory" in r:
        show(f"peak memory added by one training step, MiB (B={B} D={D} H={H})",
             ["variant", *[f"T={t}" for t in MEMORY_T]],
             [[x["variant"], *[f"{x[f'T={t}_MiB']:.0f}" for t in MEMORY_T]] for x in r["memory"]])
    if "grid" in r:
        show("grid, training step / inference vs torch.nn.LSTM (B=64, D=64)",
             ["T", "H", "torch LSTM train ms", "peephole", "layer norm", "torch LSTM infer ms", "peephole", "layer norm"],
             [[x["T"], x["H"], f"{x['train_torch_lstm_ms']:.1f}", f"{x['train_peephole_vs_torch_lstm']:.2f}",
               f"{x['train_layer_norm_vs_torch_lstm']:.2f}", f"{x['infer_torch_lstm_ms']:.1f}",
               f"{x['infer_peephole_vs_torch_lstm']:.2f}", f"{x['infer_layer_norm_vs_torch_lstm']:.2f}"]
              for x in r["grid"]])


if __name__ == "__main__":
    main()
