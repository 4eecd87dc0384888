"""Word, BPE and WordPiece encoders trained on SST-2: ids, limits, unknowns, JSON round trips."""

import json
import random
from collections import Counter

import pytest

from seqlab.data.encoders import ENCODER_KINDS, SubwordEncoder, WordEncoder, build_encoder, encoder_from_dict
from seqlab.data.text import PAD, UNK, Vocabulary, WordTokenizer
from seqlab.data.textsets import read_text_source
from seqlab.errors import ConfigError

SIZE = 6000  # subword vocabulary size of the fixtures (SST-2 train has 14,816 distinct words)


@pytest.fixture(scope="module")
def sst2():
    return read_text_source("sst2").texts, read_text_source("sst2:dev").texts


@pytest.fixture(scope="module")
def subword(sst2):
    train, _ = sst2
    return {kind: build_encoder(kind, train, vocab_size=SIZE) for kind in ("bpe", "wordpiece")}


def _unknown(encoder, texts) -> float:
    ids = [i for seq in encoder.encode_batch(texts) for i in seq]
    return sum(i == UNK for i in ids) / len(ids)


# ---------------------------------------------------------------------------------- word


def test_word_encoder_is_tokenizer_plus_vocabulary(sst2):
    train, dev = sst2
    tokenize = WordTokenizer()
    vocab = Vocabulary.build([tokenize(t) for t in train], min_freq=2)
    enc = build_encoder("word", train, min_freq=2)
    assert isinstance(enc, WordEncoder) and enc.token_list() == vocab.tokens and enc.vocab_size == len(vocab)
    assert enc.encode_batch(dev) == [vocab.encode(tokenize(t)) for t in dev]
    assert enc.tokens("a qwertyuiop film") == ["a", "<unk>", "film"]
    assert (enc.pad_id, enc.unk_id) == (PAD, UNK) == (0, 1)


def test_word_limits(sst2):
    train, _ = sst2
    counts = Counter(t for text in train for t in WordTokenizer()(text))
    enc = build_encoder("word", train, min_freq=3)
    assert set(enc.token_list()[2:]) == {t for t, c in counts.items() if c >= 3}
    small = build_encoder("word", train, max_size=500)
    assert small.vocab_size == 500 and small.token_list() == build_encoder("word", train).token_list()[:500]
    assert build_encoder("word", ["A a B"], lowercase=False).token_list() == ["<pad>", "<unk>", "A", "B", "a"]


# ---------------------------------------------------------------------------------- subwords


def test_subword_encoders_split_words_like_the_word_tokenizer(subword, sst2):
    _, dev = sst2
    tokenize = WordTokenizer()
    samples = dev[:200] + ["It's GREAT,<br />isn't it?... 'fun' -- well-made<BR/>I'LL"]
    for enc in subword.values():
        hf = enc.tokenizer
        for text in samples:
            words = [w for w, _ in hf.pre_tokenizer.pre_tokenize_str(hf.normalizer.normalize_str(text))]
            assert words == tokenize(text)
    wp = subword["wordpiece"]
    pieces = wp.tokens("unflinchingly")
    assert len(pieces) > 1 and pieces[0][:2] != "##" and all(p.startswith("##") for p in pieces[1:])
    assert "".join(p.removeprefix("##") for p in pieces) == "unflinchingly"
    assert "".join(subword["bpe"].tokens("Unflinchingly")) == "unflinchingly"  # lowercased


def test_special_ids_and_vocab_size(subword, sst2):
    _, dev = sst2
    for enc in subword.values():
        assert enc.token_list()[:2] == ["<pad>", "<unk>"] and (enc.pad_id, enc.unk_id) == (0, 1)
        assert enc.vocab_size == len(enc.token_list()) == SIZE
        assert all(PAD not in seq for seq in enc.encode_batch(dev))
        # "<pad>" written in a text is text, not padding
        assert PAD not in enc.encode("the <pad> and <unk> tokens")


def test_subwords_leave_fewer_unknowns_than_words_of_the_same_size(subword, sst2):
    train, dev = sst2
    word = build_encoder("word", train, max_size=SIZE)
    assert word.vocab_size == SIZE
    unknown_word = _unknown(word, dev)
    assert 0.08 < unknown_word < 0.14  # 1 dev token in 9 is not among the 6,000 most frequent words
    for enc in subword.values():
        assert _unknown(enc, dev) < 0.001  # only characters never seen in training (3 of ~21,000 pieces)


def test_encode_batch_equals_encode(subword, sst2):
    _, dev = sst2
    for enc in subword.values():
        assert enc.encode_batch(dev[:100]) == [enc.encode(t) for t in dev[:100]]
        assert enc.encode("") == [] and enc.encode_batch([]) == []


def test_json_round_trip_encodes_identically(subword, sst2):
    train, dev = sst2
    encoders = {**subword, "word": build_encoder("word", train, min_freq=2)}
    assert sorted(encoders) == sorted(ENCODER_KINDS)
    for kind, enc in encoders.items():
        state = json.loads(json.dumps(enc.to_dict()))
        again = encoder_from_dict(state)
        assert type(again) is type(enc) and again.kind == kind
        assert again.encode_batch(dev) == enc.encode_batch(dev) and again.token_list() == enc.token_list()


def test_training_is_deterministic(sst2):
    train, _ = sst2
    part = train[:20000]
    shuffled = list(part)
    random.Random(0).shuffle(shuffled)
    for kind in ("bpe", "wordpiece"):
        first = build_encoder(kind, part, vocab_size=2000)
        assert build_encoder(kind, part, vocab_size=2000).token_list() == first.token_list()
        assert build_encoder(kind, shuffled, vocab_size=2000).token_list() == first.token_list()


def test_case_and_html_normalisation():
    texts = ["The Film<br />was GOOD", "the film was good"]
    cased = SubwordEncoder.build(texts, kind="wordpiece", vocab_size=60, lowercase=False)
    assert cased.tokens("The<br/>Film") == ["The", "Film"] and cased.tokens("the film") == ["the", "film"]
    lower = SubwordEncoder.build(texts, kind="bpe", vocab_size=60)
    assert lower.tokens("The<BR>Film") == ["the", "film"]
    assert encoder_from_dict(json.loads(json.dumps(cased.to_dict()))).tokens("The Film") == ["The", "Film"]


def test_bad_arguments_and_states():
    with pytest.raises(ConfigError, match="unknown encoder kind 'sentencepiece'; kinds: word, bpe, wordpiece"):
        build_encoder("sentencepiece", ["a"])
    with pytest.raises(ConfigError, match="vocab_size must be an integer of at least 3"):
        build_encoder("bpe", ["a"], vocab_size=2)
    with pytest.raises(ConfigError, match="min_freq must be at least 1"):
        build_encoder("wordpiece", ["a"], min_freq=0)
    with pytest.raises(ConfigError, match="'kind' must be one of word, bpe, wordpiece"):
        encoder_from_dict({"tokens": ["<pad>", "<unk>"]})
    state = build_encoder("bpe", ["a b"], vocab_size=10).to_dict()
    with pytest.raises(ConfigError, match=r"exactly the keys \['kind', 'lowercase', 'tokenizer'\]"):
        encoder_from_dict({**state, "extra": 1})
    with pytest.raises(ConfigError, match="the saved tokenizer cannot be read"):
        encoder_from_dict({**state, "tokenizer": {"model": "nonsense"}})
