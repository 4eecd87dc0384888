"""Reading, splitting, encoding and batching text for language models, on Tiny Shakespeare."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from seqlab.errors import DataError
from seqlab.tasks.generate.data import (TokenCodec, prepare_corpus, read_text, scoring_batches, split_text,
                                        train_loader, unigram_baseline, val_loader)


@pytest.fixture(scope="module")
def shakespeare(shared_data):
    return shared_data / "text" / "tinyshakespeare.txt"


def test_read_and_split_ninety_ten(shakespeare):
    text = read_text(shakespeare)
    train, val = split_text(text, 0.1)
    assert train + val == text
    assert len(train) == int(len(text) * 0.9)
    assert train.startswith("First Citizen:") and len(val) == len(text) - len(train)


@pytest.mark.parametrize("level", ["char", "word"])
def test_codec_round_trip(shakespeare, level):
    text = read_text(shakespeare)[:20_000]
    codec = TokenCodec.build(text, level)
    ids = codec.encode(text)
    assert (ids > 1).all()  # everything seen in training is known: no <pad>, no <unk>
    back = codec.decode(ids)
    if level == "char":
        assert back == text
    else:  # the same tokens, spaces normalised
        assert codec.tokenize(back) == codec.tokenize(text)
        assert back.splitlines()[:2] == ["First Citizen:", "Before we proceed any further, hear me speak."]


def test_word_vocabulary_is_capped_and_unknowns_counted(shakespeare):
    corpus = prepare_corpus(shakespeare, "word", 0.1, max_vocab=500, steps=8)
    assert corpus.codec.vocab_size == 500
    counts = Counter(corpus.codec.tokenize(read_text(shakespeare)[: int(1115394 * 0.9)]))
    kept = set(corpus.codec.vocab.tokens[2:])
    assert kept == {t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:498]}
    assert 0.05 < corpus.info["val_unknown_rate"] < 0.5


def test_unigram_baseline_matches_a_direct_count(shakespeare):
    corpus = prepare_corpus(shakespeare, "char", 0.1, steps=8)
    counts = np.bincount(corpus.train, minlength=corpus.codec.vocab_size) + 1.0
    direct = -np.mean([math.log(counts[i] / counts.sum()) for i in corpus.val[:5000]])
    base = unigram_baseline(corpus)
    sample = -np.log(counts[corpus.val[:5000]] / counts.sum()).mean()
    assert sample == pytest.approx(direct)
    assert 3.2 < base["val_loss_nats"] < 3.4  # about 4.7 bits per character
    assert base["bpc"] == pytest.approx(base["val_loss_nats"] / math.log(2))


def test_epochs_are_consecutive_slices_of_the_stream():
    ids = np.arange(1 + 4 * 8 * 12)  # 12 batches of 4 rows x 8 steps
    loader = train_loader(ids, 4, 8, epoch_tokens=4 * 8 * 4)
    assert len(loader) == 4 and loader.batch_sampler.parts == 3
    per_epoch = []
    for epoch in range(4):
        loader.batch_sampler.sampler.set_epoch(epoch)  # what Lightning calls
        per_epoch.append([(x.numpy(), y.numpy()) for x, y in loader])
    for x, y in per_epoch[0] + per_epoch[1]:
        np.testing.assert_array_equal(y, x + 1)  # targets are the next ids
    rows = np.concatenate([x for x, _ in per_epoch[0] + per_epoch[1] + per_epoch[2]], axis=1)  # (4, 96)
    np.testing.assert_array_equal(rows, np.arange(384).reshape(4, 96))  # row b continues row b
    np.testing.assert_array_equal(per_epoch[3][0][0], per_epoch[0][0][0])  # epoch 3 starts the next pass


def test_scoring_covers_every_token_once():
    ids = np.arange(1000)
    batches = scoring_batches(ids, 300)
    xs = np.concatenate([x.numpy()[0] for (x, _), _ in batches])
    ys = np.concatenate([y.numpy()[0] for (_, y), _ in batches])
    np.testing.assert_array_equal(xs, ids[:-1])
    np.testing.assert_array_equal(ys, ids[1:])
    assert [x.shape[1] for (x, _), _ in batches] == [300, 300, 300, 99]
    assert len(val_loader(np.arange(50), 32, 8).dataset) == 6  # a short text: fewer rows, whole chunks
    short = train_loader(np.arange(50), 32, 8, None)  # training too: 6 rows of 8 steps, not an error
    assert [tuple(x.shape) for x, _ in short] == [(6, 8)]


def test_bad_text_files(tmp_path):
    with pytest.raises(DataError, match="text file not found"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(DataError, match="not a file"):
        read_text(tmp_path)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataError, match=r"empty\.txt: the file is empty"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "blank.txt").write_text(" \n\n \n")
    with pytest.raises(DataError, match="the file is empty"):
        read_text(tmp_path / "blank.txt")
    (tmp_path / "latin1.txt").write_bytes("line one\nline two\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1\.txt: line 3 is not UTF-8"):
        read_text(tmp_path / "latin1.txt")
    (tmp_path / "short.txt").write_text("To be, or not to be: that is the question.\n")
    with pytest.raises(DataError, match=r"the validation part has \d+ char tokens, fewer than one chunk of data.steps=32"):
        prepare_corpus(tmp_path / "short.txt", "char", 0.1, steps=32)
    with pytest.raises(DataError, match="too few to hold out"):
        split_text("a", 0.1)
