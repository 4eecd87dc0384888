"""Real English-French pairs for the translation tests, and one torch thread per test.

``simple_pairs`` is a slice of Tatoeba's fra-eng.txt: the first pairs whose English starts with
"I'm", "He's", "She's", "We're", "You're" or "They're" (short sentences of one pattern, which a
tiny model learns in seconds). Training runs on one thread: on a shared 2-core machine, torch's
two OpenMP threads spin against other processes and a step costs several times more CPU.
"""

from __future__ import annotations

import re

import pytest
import torch

PATTERN = re.compile(r"^(I'm|He's|She's|We're|You're|They're) ")


def write_simple_pairs(shared_data, path, n: int):
    lines = (shared_data / "translation" / "fra-eng.txt").read_text(encoding="utf-8").splitlines()[:40000]
    path.write_text("\n".join([l for l in lines if PATTERN.match(l)][:n]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def simple_pairs(shared_data, tmp_path_factory):
    return write_simple_pairs(shared_data, tmp_path_factory.mktemp("translate") / "pairs.tsv", 1500)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
