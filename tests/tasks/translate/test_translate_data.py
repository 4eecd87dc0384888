"""Reading, checking, splitting and encoding sentence pairs; detokenisation; the masked loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqlab.data.text import WordTokenizer
from seqlab.errors import DataError, NonFiniteLossError, ShapeError
from seqlab.tasks.translate.config import TranslateData
from seqlab.tasks.translate.data import BOS, EOS, collate_pairs, prepare, read_pairs, split_by_source
from seqlab.tasks.translate.detok import detokenize, learn_surface
from seqlab.training.losses import IGNORE_ID, get_loss

FRA = "translation/fra-eng.txt"


def real_lines(shared_data, start: int, n: int) -> list[str]:
    return (shared_data / FRA).read_text(encoding="utf-8").splitlines()[start:start + n]


def test_read_pairs_ignores_extra_columns_and_names_bad_lines(shared_data, tmp_path):
    lines = real_lines(shared_data, 5000, 20)
    good = tmp_path / "three.tsv"
    good.write_text("\n".join(l + "\tCC-BY 2.0 (France) Attribution: tatoeba.org" for l in lines) + "\n\n",
                    encoding="utf-8")
    pairs = read_pairs(good)
    assert pairs.src == [l.split("\t")[0] for l in lines] and pairs.tgt == [l.split("\t")[1] for l in lines]
    bad = tmp_path / "bad.tsv"
    bad.write_text("\n".join(lines[:3] + [lines[3].split("\t")[0]] + lines[4:]), encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.tsv, line 4: expected 2 or more tab-separated columns"):
        read_pairs(bad)
    bad.write_text("\n".join(lines[:6] + ["Hello.\t  "]), encoding="utf-8")
    with pytest.raises(DataError, match=r"line 7: the target \(column 2\) is empty"):
        read_pairs(bad)
    bad.write_text("\tBonjour.\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 1: the source \(column 1\) is empty"):
        read_pairs(bad)
    bad.write_bytes(lines[0].encode() + b"\n" + "Café\tCafé".encode("latin-1") + b"\n")
    with pytest.raises(DataError, match=r"line 2: not UTF-8"):
        read_pairs(bad)
    empty = tmp_path / "empty.tsv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.tsv: empty file"):
        read_pairs(empty)
    with pytest.raises(DataError, match="file not found"):
        read_pairs(tmp_path / "missing.tsv")


def test_split_by_source_is_seeded_and_keeps_translations_together(shared_data, tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(real_lines(shared_data, 0, 3000)) + "\n", encoding="utf-8")
    pairs = read_pairs(path)
    a = split_by_source(pairs, 0.1, 0.1, seed=0)
    b = split_by_source(pairs, 0.1, 0.1, seed=0)
    c = split_by_source(pairs, 0.1, 0.1, seed=1)
    assert all((a[k] == b[k]).all() for k in a) and not (a["test"].tolist() == c["test"].tolist())
    assert sum(len(v) for v in a.values()) == len(pairs)
    sources = {k: {pairs.src[i].lower() for i in v} for k, v in a.items()}
    assert not sources["train"] & sources["test"] and not sources["train"] & sources["val"]
    assert not sources["val"] & sources["test"]
    assert len(sources["test"]) == round(0.1 * len({s.lower() for s in pairs.src}))
    run_on = pairs.src.count("Run!")  # two translations of one sentence: both in one split
    assert run_on == 2 and len({k for k, s in sources.items() if "run!" in s}) == 1


def test_prepare_filters_by_words_and_encodes_with_bos_eos(shared_data, tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(real_lines(shared_data, 60000, 1500)) + "\n", encoding="utf-8")
    setup = prepare(TranslateData(path=str(path), max_words=6, min_freq=1))
    longest = max(len(s.split()) for p in setup.splits.values() for s in p.src + p.tgt)
    assert longest <= 6 and setup.info["dropped_longer_than_max_words"] > 0
    assert setup.tgt_encoder.vocabulary.tokens[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    src, tgt = setup.ids("train")
    (x, tgt_in), tgt_out = collate_pairs([(torch.tensor(s), torch.tensor(t)) for s, t in zip(src[:4], tgt[:4])])
    n = [len(t) for t in tgt[:4]]
    assert tgt_in.shape == tgt_out.shape == (4, max(n) + 1) and x["lengths"].tolist() == [len(s) for s in src[:4]]
    for row, k in enumerate(n):
        assert tgt_in[row, 0] == BOS and tgt_in[row, 1:k + 1].tolist() == tgt[row]
        assert tgt_out[row, :k].tolist() == tgt[row] and tgt_out[row, k] == EOS
        assert (tgt_out[row, k + 1:] == IGNORE_ID).all() and (tgt_in[row, k + 1:] == 0).all()
    with pytest.raises(DataError, match="max_words=1"):
        prepare(TranslateData(path=str(path), max_words=1))


def test_detokenize_restores_most_real_french_sentences(shared_data):
    lines = real_lines(shared_data, 20000, 4000)
    train, held = [l.split("\t")[1] for l in lines[:3000]], [l.split("\t")[1] for l in lines[3000:]]
    surface = learn_surface(train)
    assert "!" in surface["space_before"] and "." not in surface["space_before"] and surface["case"]["tom"] == "Tom"
    tokenize = WordTokenizer(lowercase=True)
    same = sum(detokenize(tokenize(t), surface) == t.replace("\u202f", " ") for t in held)
    assert same / len(held) > 0.9  # what is lost: rare names, and capitals inside sentences


def test_masked_loss_matches_torch_ignore_index_and_refuses_bad_targets():
    loss = get_loss("masked_sparse_categorical_crossentropy", from_logits=True)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=g)
    y = torch.randint(0, 7, (3, 5), generator=g)
    y[0, 3:], y[2, 1:] = IGNORE_ID, IGNORE_ID
    expected = F.cross_entropy(logits.reshape(-1, 7), y.reshape(-1), ignore_index=IGNORE_ID)
    assert torch.allclose(loss(logits, y), expected)
    with pytest.raises(ShapeError, match=r"\(B, T\)"):
        loss(logits, y[:, :4])
    with pytest.raises(DataError, match="every target position is padding"):
        loss(logits, torch.full((3, 5), IGNORE_ID))
    with pytest.raises(DataError, match=r"\[0, 7\)"):
        loss(logits, y.clamp(min=0) + 7)


def test_nan_weights_stop_training_with_a_clear_error(simple_pairs):
    from seqlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, Seq2SeqShape
    from seqlab.training import engine
    from seqlab.training.config import OptimizerConfig, TrainConfig

    setup = prepare(TranslateData(path=str(simple_pairs), min_freq=1))
    net = Seq2Seq(Seq2SeqConfig(name="gru", units=8, embed_dim=4, attention_units=4),
                  Seq2SeqShape(setup.src_encoder.vocab_size, setup.tgt_encoder.vocab_size))
    with torch.no_grad():
        net.decoder.out.bias.fill_(float("nan"))
    with pytest.raises(NonFiniteLossError, match="epoch 0"):
        engine.fit(net, loss="masked_sparse_categorical_crossentropy", metrics=[], optimizer=OptimizerConfig(),
                   from_logits=True, train_loader=setup.loader("train", 64, train=True),
                   config=TrainConfig(epochs=1, accelerator="cpu"))
