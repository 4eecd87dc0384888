"""Length-bucketed batches on real SST-2 texts: every text once per epoch, far less padding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.data.batching import LengthBucketSampler, TokenDataset, pad_collate
from seqlab.data.text import WordTokenizer, read_text_table
from seqlab.errors import DataError


@pytest.fixture(scope="module")
def sst2_lengths(shared_data) -> list[int]:
    texts, _ = read_text_table(shared_data / "sst2" / "train.tsv")
    tok = WordTokenizer()
    return [len(tok(t)) for t in texts[:20000]]


def _padding_share(lengths, sampler) -> float:
    lengths = np.asarray(lengths)
    padded = sum(len(b) * lengths[b].max() for b in sampler)
    return 1 - lengths.sum() / padded


def test_every_text_once_per_epoch_and_a_new_order_each_epoch(sst2_lengths):
    sampler = LengthBucketSampler(sst2_lengths, batch_size=64, shuffle=True)
    first = [i for b in sampler for i in b]
    second = [i for b in sampler for i in b]
    assert sorted(first) == list(range(len(sst2_lengths))) == sorted(second)
    assert sampler.order == second
    assert first != second
    assert len(list(sampler)) == len(sampler)


def test_bucketing_cuts_padding_on_sst2(sst2_lengths):
    torch.manual_seed(0)
    bucketed = _padding_share(sst2_lengths, LengthBucketSampler(sst2_lengths, 64, shuffle=True))
    plain = _padding_share(sst2_lengths, LengthBucketSampler(sst2_lengths, 64, shuffle=True, bucketing=False))
    assert plain > 0.4  # SST-2 phrases run from 1 to 52 words
    assert bucketed < plain / 5


def test_evaluation_order_is_sorted_and_invertible(sst2_lengths):
    sampler = LengthBucketSampler(sst2_lengths[:500], 32, shuffle=False)
    seen = [i for b in sampler for i in b]
    lengths = np.asarray(sst2_lengths[:500])[seen]
    assert (np.diff(lengths) >= 0).all()
    assert sampler.order == seen and sorted(seen) == list(range(500))


def test_pad_collate_pads_to_the_longest_in_the_batch():
    ds = TokenDataset([[4, 5, 6, 7], [8], [9, 10]], labels=[1, 0, 1])
    x, y = pad_collate([ds[1], ds[2]])
    assert x["ids"].tolist() == [[8, 0], [9, 10]] and x["lengths"].tolist() == [1, 2] and y.tolist() == [0, 1]
    (x,) = pad_collate([TokenDataset([[3, 4]])[0]])
    assert x["ids"].tolist() == [[3, 4]]


def test_token_dataset_errors():
    with pytest.raises(DataError, match="3 texts but 2 labels"):
        TokenDataset([[1], [2], [3]], labels=[0, 1])
    with pytest.raises(DataError, match="text 1 has no tokens"):
        TokenDataset([[1], []])
