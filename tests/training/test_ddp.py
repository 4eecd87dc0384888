"""DDP for real: two CPU processes (gloo) train one network through ``fit`` and end with equal weights.

Lightning's ``ddp`` launcher starts rank 1 by running the same script again, so the training runs
in a standalone script, not inside pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import torch
from safetensors.torch import load_file

from ._data import DATA

SCRIPT = textwrap.dedent(
    """
    import json
    import os
    import sys
    from pathlib import Path

    import pandas as pd
    import torch
    from safetensors.torch import save_file
    from torch.utils.data import DataLoader, TensorDataset

    from seqlab.training.config import OptimizerConfig, TrainConfig
    from seqlab.training.engine import fit

    out, data = Path(sys.argv[1]), Path(sys.argv[2])
    frame = pd.read_csv(data / "ett" / "ETTh1.csv", nrows=320)
    x = torch.tensor(frame[["HUFL", "HULL", "MUFL", "MULL"]].to_numpy(), dtype=torch.float32)
    y = torch.tensor(frame[["OT"]].to_numpy(), dtype=torch.float32)
    x, y = (x - x.mean(0)) / x.std(0), (y - y.mean(0)) / y.std(0)

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    history = fit(
        net, loss="mse", metrics=["mae"], optimizer=OptimizerConfig(lr=0.01),
        train_loader=DataLoader(TensorDataset(x[:256], y[:256]), batch_size=32, shuffle=True),
        val_loader=DataLoader(TensorDataset(x[256:], y[256:]), batch_size=32),
        config=TrainConfig(epochs=3, devices=2, strategy="ddp", accelerator="cpu"),
        run_dir=out / "run",
    )
    rank = int(os.environ.get("LOCAL_RANK", "0"))
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(out / f"rank{rank}.safetensors"))
    (out / f"history{rank}.json").write_text(json.dumps(history.history))
    """
)


def test_ddp_two_cpu_processes(tmp_path):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("LOCAL_RANK", None)
    done = subprocess.run([sys.executable, str(script), str(tmp_path), str(DATA)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]

    rank0, rank1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key  # gradients were all-reduced every step
    torch.manual_seed(0)
    init = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).state_dict()
    assert all(not torch.equal(init[k], rank0[k]) for k in init)  # and training moved them

    # both ranks report the same, all-reduced history; only rank 0 wrote the run directory
    histories = [json.loads((tmp_path / f"history{r}.json").read_text()) for r in (0, 1)]
    assert histories[0] == histories[1] and len(histories[0]["loss"]) == 3
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]
    last = load_file(str(tmp_path / "run" / "checkpoints" / "last.safetensors"))
    assert all(torch.equal(last[k], rank0[k]) for k in rank0)
    assert (tmp_path / "run" / "metrics.csv").read_text().count("\n") == 4  # header + 3 epochs
