"""A leak-free validation split on SST-2, whose training set lists the phrases of its sentences."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.data.text import read_text_table
from seqlab.data.text_split import carve_validation


@pytest.fixture(scope="module")
def sst2_texts(shared_data) -> list[str]:
    return read_text_table(shared_data / "sst2" / "train.tsv")[0]


def _inside(short: str, long: str) -> bool:
    return f" {' '.join(short.lower().split())} " in f" {' '.join(long.lower().split())} "


def test_validation_takes_whole_sentences_and_training_keeps_none_of_their_phrases(sst2_texts):
    train, val, dropped = carve_validation(sst2_texts, fraction=0.1, seed=0)
    assert len(set(train) | set(val) | set(dropped)) == len(train) + len(val) + len(dropped) == len(sst2_texts)
    # SST-2 has 6,920 training sentences; about a tenth of the roots go to validation
    assert 600 < len(val) < 750
    assert len(dropped) > 5 * len(val)  # each sentence's phrases leave training with it
    rng = np.random.default_rng(0)
    val_texts = [sst2_texts[i] for i in val]
    joined = "\n".join(" " + " ".join(t.lower().split()) + " " for t in val_texts)
    for i in rng.choice(train, size=300, replace=False):  # no training text lies inside a validation text
        assert f" {' '.join(sst2_texts[i].lower().split())} " not in joined
    for i in rng.choice(val, size=20, replace=False):  # a validation text is not part of a longer text
        longer = [t for t in sst2_texts if len(t) > len(sst2_texts[i])]
        assert not any(_inside(sst2_texts[i], t) for t in longer)


def test_same_seed_same_split_and_fallback_for_long_texts(sst2_texts):
    a = carve_validation(sst2_texts[:3000], 0.1, seed=3)
    b = carve_validation(sst2_texts[:3000], 0.1, seed=3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    train, val, dropped = carve_validation(sst2_texts[:3000], 0.1, seed=3, max_spans=10)
    assert len(val) == 300 and len(dropped) == 0 and len(train) == 2700
