"""Tokenizer, vocabulary, padding and text tables on SST-2."""

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seqlab.data.text import PAD, UNK, Vocabulary, WordTokenizer, pad_sequences, read_text_table
from seqlab.errors import ConfigError, DataError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SST2_TRAIN = DATA / "sst2" / "train.tsv"
SST2_DEV = DATA / "sst2" / "dev.tsv"


@pytest.fixture(scope="module")
def sst2():
    texts, labels = read_text_table(SST2_TRAIN, "sentence", "label")
    tokenize = WordTokenizer()
    return texts, labels, [tokenize(t) for t in texts]


# ---------------------------------------------------------------------------------- tokenizer


def test_tokenizer_normalises():
    tok = WordTokenizer()
    assert tok("A GREAT film!<br /><br />Loved it.") == ["a", "great", "film", "!", "loved", "it", "."]
    assert tok("it 's not bad , it isn't -- ( really ) 'fun'... well-made") == [
        "it", "'s", "not", "bad", ",", "it", "isn't", "--", "(", "really", ")", "'", "fun", "'", "...", "well-made",
    ]
    assert WordTokenizer(lowercase=False)("Hello<BR>World's") == ["Hello", "World's"]
    assert WordTokenizer.from_dict(json.loads(json.dumps(tok.to_dict()))).lowercase is True
    with pytest.raises(ConfigError, match="unknown key"):
        WordTokenizer.from_dict({"lower": True})


def test_tokenizer_keeps_sst2_tokens(sst2):
    # SST-2 is already tokenised with spaces (and lowercase): the tokenizer gives back the same
    # words except where it cuts a dot or slash off an abbreviation ("mr.", "and/or"), 1.4% of lines.
    texts, _, tokens = sst2
    same = sum(t.split() == toks for t, toks in zip(texts, tokens))
    assert same / len(texts) > 0.98


# ---------------------------------------------------------------------------------- vocabulary


def test_vocabulary_on_sst2(sst2):
    _, _, tokens = sst2
    counts = Counter(t for toks in tokens for t in toks)
    vocab = Vocabulary.build(tokens)
    assert vocab.tokens[PAD] == "<pad>" and vocab.tokens[UNK] == "<unk>"
    assert (PAD, UNK) == (0, 1)
    assert len(vocab) == len(counts) + 2
    # Most frequent first, ties alphabetical.
    keys = [(-counts[t], t) for t in vocab.tokens[2:]]
    assert keys == sorted(keys)
    assert vocab.tokens[2:5] == ["the", ",", "a"]
    assert vocab.encode(["the", "qwertyuiop", "film"]) == [2, UNK, vocab.tokens.index("film")]


def test_vocabulary_min_freq_and_max_size(sst2):
    _, _, tokens = sst2
    counts = Counter(t for toks in tokens for t in toks)
    vocab = Vocabulary.build(tokens, min_freq=5)
    assert set(vocab.tokens[2:]) == {t for t, c in counts.items() if c >= 5}
    rare = next(t for t, c in counts.items() if c == 1)
    assert rare not in vocab and vocab.encode([rare]) == [UNK]
    small = Vocabulary.build(tokens, max_size=100)
    assert len(small) == 100 and small.tokens == vocab.tokens[:100]


def test_vocabulary_is_deterministic_and_round_trips(sst2):
    _, _, tokens = sst2
    vocab = Vocabulary.build(tokens, min_freq=2)
    shuffled = list(tokens)
    random.Random(0).shuffle(shuffled)
    assert Vocabulary.build(shuffled, min_freq=2).tokens == vocab.tokens
    again = Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again.tokens == vocab.tokens
    assert again.encode(tokens[0]) == vocab.encode(tokens[0])
    assert vocab.decode(pad_sequences([vocab.encode(["a", "film"])], 5)[0]) == ["a", "film"]
    with pytest.raises(ConfigError, match="must start with"):
        Vocabulary.from_dict({"tokens": ["a", "b"]})


# ---------------------------------------------------------------------------------- padding


def test_pad_sequences_modes():
    ids = [[1, 2, 3, 4, 5, 6, 7], [8, 9], []]
    head = pad_sequences(ids, 4)
    assert head.dtype == np.int64 and head.shape == (3, 4)
    assert head.tolist() == [[1, 2, 3, 4], [8, 9, 0, 0], [0, 0, 0, 0]]
    assert pad_sequences(ids, 4, "tail").tolist() == [[4, 5, 6, 7], [8, 9, 0, 0], [0, 0, 0, 0]]
    assert pad_sequences(ids, 4, "head+tail").tolist()[0] == [1, 2, 6, 7]
    assert pad_sequences(ids, 5, "head+tail").tolist()[0] == [1, 2, 3, 6, 7]
    assert pad_sequences(ids, 3, pad_id=-1).tolist()[1] == [8, 9, -1]
    assert pad_sequences([], 3).shape == (0, 3)
    with pytest.raises(ConfigError, match="truncation"):
        pad_sequences(ids, 4, "middle")


def test_pad_sequences_on_sst2(sst2):
    _, _, tokens = sst2
    vocab = Vocabulary.build(tokens)
    ids = [vocab.encode(t) for t in tokens]
    padded = pad_sequences(ids, 20, "tail")
    lengths = np.array([len(i) for i in ids])
    np.testing.assert_array_equal((padded != PAD).sum(axis=1), np.minimum(lengths, 20))
    longest = int(lengths.argmax())
    assert padded[longest].tolist() == ids[longest][-20:]


# ---------------------------------------------------------------------------------- tables


def test_read_sst2(sst2):
    texts, labels, _ = sst2
    assert len(texts) == len(labels) == 67349
    assert set(labels) == {"0", "1"}
    assert texts[0] == "hide new secretions from the parental units " and labels[0] == "0"
    dev_texts, dev_labels = read_text_table(SST2_DEV)
    assert len(dev_texts) == 872
    only_texts, none = read_text_table(SST2_DEV, label_col=None)
    assert only_texts == dev_texts and none is None


def test_read_gzipped_and_jsonl(tmp_path):
    lines = SST2_DEV.read_text(encoding="utf-8").splitlines()[:11]
    gz = tmp_path / "dev.tsv.gz"
    gz.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    texts, labels = read_text_table(gz)
    jl = tmp_path / "dev.jsonl"
    jl.write_text("\n".join(json.dumps({"text": t, "y": int(y)}) for t, y in zip(texts, labels)) + "\n\n")
    assert read_text_table(jl, "text", "y") == (texts, labels)
    csv_path = tmp_path / "multi.csv"
    csv_path.write_text('text,label\n"two\nlines, quoted",pos\nplain,neg\n')
    assert read_text_table(csv_path, "text") == (["two\nlines, quoted", "plain"], ["pos", "neg"])


def test_read_text_table_errors(tmp_path):
    expected = r"train\.tsv: column 'review' not found at line 1; available columns: sentence, label"
    with pytest.raises(DataError, match=expected):
        read_text_table(SST2_TRAIN, text_col="review")
    bad = tmp_path / "bad.tsv"
    bad.write_text("sentence\tlabel\ngood\t1\nno label here\nfine\t0\n")
    with pytest.raises(DataError, match=r"bad\.tsv: line 3 has 1 field\(s\), the header has 2"):
        read_text_table(bad)
    bad.write_text("sentence\tlabel\ngood\t1\n\nfine\t \n")
    with pytest.raises(DataError, match=r"empty label in column 'label' at line 4"):
        read_text_table(bad)
    multi = tmp_path / "bad.csv"
    multi.write_text('text,label\n"a\nb",1\nc,2,3\n')
    with pytest.raises(DataError, match=r"bad\.csv: line 4 has 3 field"):
        read_text_table(multi, "text")
    jl = tmp_path / "bad.jsonl"
    jl.write_text('{"text": "a", "label": 1}\n{"text": "b"}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl: column 'label' not found at line 2; available columns: text"):
        read_text_table(jl, "text")
    jl.write_text('{"text": "a", "label": 1}\n\n{"text": "b", label: 1}\n')
    with pytest.raises(DataError, match=r"bad\.jsonl: line 3 is not valid JSON"):
        read_text_table(jl, "text")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.tsv: empty file"):
        read_text_table(empty)
    other = tmp_path / "data.txt"
    other.write_text("x\n")
    with pytest.raises(DataError, match=r"unknown text table format '\.txt'"):
        read_text_table(other)
