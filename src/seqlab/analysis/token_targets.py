"""The analysis adapters of the tasks whose inputs are token ids: text classification, language
models and translation (see :mod:`seqlab.analysis.targets`).

Attributions are taken at the embedding vectors of the tokens (from zero vectors), so a token's
attribution is the sum over its vector; padding keeps its mask.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.nn import functional as F

from seqlab.analysis.targets import Examples, Target, given_file, spread
from seqlab.data.batching import pad_collate
from seqlab.data.encoders import encoder_from_dict
from seqlab.data.textsets import eval_split, is_text_dataset
from seqlab.errors import DataError
from seqlab.models.text.ensemble import EnsembleClassifier
from seqlab.tasks.generate import run as generate
from seqlab.tasks.generate.data import read_text, split_text
from seqlab.tasks.text import data as text_data
from seqlab.tasks.text import run as text
from seqlab.tasks.translate import run as translate
from seqlab.tasks.translate.data import collate_pairs, read_pairs
from seqlab.tasks.translate.decode import translate_ids
from seqlab.tasks.translate.detok import detokenize
from seqlab.training.losses import IGNORE_ID

LM_CONTEXT = 128  # the most tokens of context a language-model example shows


class TextTarget(Target):
    """``seqlab text train``: the predicted label's logit (a log-probability for an ensemble)."""

    kind, command, rank_by = "text-classification", "seqlab text train", ("accuracy", True)

    @classmethod
    def load(cls, run_dir: Path) -> TextTarget:
        config, net, state = text.load_run(run_dir)
        members = net.members if isinstance(net, EnsembleClassifier) else [net]
        target = cls(run_dir, net, config, ["token"], "the predicted label's logit (a log-probability for an ensemble)",
                     embeddings=[m.embedding for m in members])
        target.state, target.labels = state, list(state["labels"])
        target.vocab = encoder_from_dict(state["encoder"]).token_list()
        return target

    def examples(self, source: str | Path, n: int) -> Examples:
        d, y = self.config.data, None
        if str(source) == "test":
            spec = d.test_path
            if spec is None and is_text_dataset(d.path) and ":" not in d.path:
                spec = f"{d.path}:{eval_split(d.path)}"
            if spec is not None:
                table = text_data.read_labelled(spec, d, None, split="test")
                rows = spread(len(table.texts), n)
                texts, where = [table.texts[i] for i in rows], [table.where[i] for i in rows]
                y = text_data.label_ids(table, self.labels)[rows]
                ids = text_data.encode_for_run(texts, self.state)
            else:  # no test data: the validation texts, carved as training carved them
                part = text_data.prepare_text(d, None, seed=self.config.train.seed or 0).splits["val"]
                rows = spread(len(part.ids), n)
                ids, where, y = [part.ids[i] for i in rows], [part.where[i] for i in rows], part.y[rows]
        else:
            texts = text.read_inputs(given_file(source), self.run_dir)[:n]
            ids, where = text_data.encode_for_run(texts, self.state), [f"{source}: text {i + 1}" for i in range(len(texts))]
        inputs, = pad_collate([(torch.as_tensor(seq, dtype=torch.long),) for seq in ids])
        return Examples(x=inputs["ids"], fixed={"lengths": inputs["lengths"]}, names=where,
                        lengths=inputs["lengths"].tolist(), tokens=[[self.vocab[t] for t in seq] for seq in ids],
                        y=None if y is None else torch.as_tensor(y, dtype=torch.long),
                        info=[] if y is None else [{"actual": self.labels[int(k)]} for k in y])

    def logits(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.net({"ids": x, "lengths": fixed["lengths"]})  # (N, C)

    def choose(self, ex: Examples) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return {"target": self.logits(ex.x, ex.fixed).argmax(dim=1)}

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.logits(x, fixed).gather(1, fixed["target"][:, None])[:, 0]  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        with torch.no_grad():
            p = torch.softmax(self.logits(ex.x[i:i + 1], {"lengths": ex.fixed["lengths"][i:i + 1]}), dim=-1)[0]
        k = int(fixed["target"][i])
        return {"prediction": self.labels[k], "label": self.labels[k], "target": k, "probability": float(p[k]),
                **(ex.info[i] if ex.info else {})}

    def loss(self, ex: Examples) -> torch.Tensor:
        return F.cross_entropy(self.logits(ex.x, ex.fixed), ex.y)

    def evaluate(self) -> dict:
        return text.evaluate(self.run_dir)


class GenerateTarget(Target):
    """``seqlab generate train``: the log-probability of the token the model predicts next."""

    kind, command, rank_by = "language-model", "seqlab generate train", ("val_loss_nats", False)

    @classmethod
    def load(cls, run_dir: Path) -> GenerateTarget:
        config, net, codec = generate.load_run(run_dir)
        target = cls(run_dir, net, config, ["token"], "the log-probability of the token the model predicts next",
                     embeddings=[net.embedding])
        target.codec = codec
        return target

    def examples(self, source: str | Path, n: int) -> Examples:
        T = min(self.config.data.steps, LM_CONTEXT)
        if str(source) == "test":
            path = self.config.data.path
            _, held_out = split_text(read_text(path), self.config.data.val_fraction, path)
            where = "validation text"
        else:
            held_out, where = read_text(given_file(source)), str(source)
        ids = torch.as_tensor(self.codec.encode(held_out), dtype=torch.long)
        if len(ids) < 2:
            raise DataError(f"{where}: {len(ids)} token(s); a language-model example needs at least 2")
        T = min(T, len(ids) - 1)
        starts = spread(len(ids) - T, n)
        x = torch.stack([ids[s:s + T] for s in starts])  # (N, T)
        y = torch.stack([ids[s + 1:s + T + 1] for s in starts])  # (N, T): each step's next token
        tokens = [self.codec.vocab.decode(row.tolist()) for row in x]
        return Examples(x=x, fixed={}, names=[f"{where}, tokens {s} to {s + T - 1}" for s in starts],
                        lengths=[T] * len(starts), tokens=tokens, y=y,
                        info=[{"actual": self.codec.vocab.decode([int(row[-1])])[0]} for row in y])

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        self.net.reset_states()  # every call is a stream of its own, whatever its batch size
        return self.net(x)  # (N, T, V)

    def choose(self, ex: Examples) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return {"target": self.logits(ex.x)[:, -1].argmax(dim=-1)}  # (N,)

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        logp = torch.log_softmax(self.logits(x)[:, -1], dim=-1)  # (N, V)
        return logp.gather(1, fixed["target"][:, None])[:, 0]  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        k = int(fixed["target"][i])
        with torch.no_grad():
            p = float(torch.softmax(self.logits(ex.x[i:i + 1])[0, -1], dim=-1)[k])
        token = self.codec.vocab.decode([k])[0]
        return {"prediction": token, "label": repr(token), "target": k, "probability": p,
                **(ex.info[i] if ex.info else {})}

    def loss(self, ex: Examples) -> torch.Tensor:
        logits = self.logits(ex.x)  # (N, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ex.y.reshape(-1))

    def evaluate(self) -> dict:
        return generate.evaluate(self.run_dir)

    @property
    def token_separator(self) -> str:
        return "" if self.codec.level == "char" else " "


class TranslateTarget(Target):
    """``seqlab translate train``: the log-probability of the greedy translation, attributed to
    the source tokens; the attention of each output token over the source is shown beside it."""

    kind, command, rank_by = "translation", "seqlab translate train", ("bleu", True)

    @classmethod
    def load(cls, run_dir: Path) -> TranslateTarget:
        config, translator = translate.load_run(run_dir)
        net = translator.net
        target = cls(run_dir, net, config, ["token"],
                     "the log-probability of the greedy translation (its tokens and <eos>) under teacher forcing",
                     embeddings=[net.encoder.embedding])
        target.translator = translator
        return target

    def examples(self, source: str | Path, n: int) -> Examples:
        tr = self.translator
        references = None
        if str(source) == "test":
            pairs = read_pairs(self.run_dir / translate.TEST_FILE)
            rows = spread(len(pairs), n)
            sentences, references = [pairs.src[i] for i in rows], [pairs.tgt[i] for i in rows]
            names = [f"test pair {i + 1}" for i in rows]
        else:
            path = given_file(source)
            sentences = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:n]
            if not sentences:
                raise DataError(f"{path}: no sentences to translate")
            names = [f"{path}: line {i + 1}" for i in range(len(sentences))]
        src = tr.source_ids(sentences)
        out, weights = translate_ids(self.net, src, beam=1, max_len=int(tr.state["max_target_tokens"]) + 5)
        (inputs, tgt_in), tgt_out = collate_pairs([(torch.as_tensor(s), torch.as_tensor(o, dtype=torch.long))
                                                   for s, o in zip(src, out)])
        src_vocab, tgt_vocab = tr.src_encoder.token_list(), tr.tgt_encoder.vocabulary.tokens
        y = None
        if references is not None:
            y = collate_pairs([(torch.as_tensor(s), torch.as_tensor(t, dtype=torch.long))
                               for s, t in zip(src, tr.tgt_encoder.encode_batch(references))])
        info = []
        for i, (o, w) in enumerate(zip(out, weights)):
            output_tokens = [tgt_vocab[t] for t in o] + ["<eos>"]
            info.append({"output_tokens": output_tokens[:len(w)], "attention": w.tolist(),
                         **({"reference": references[i]} if references is not None else {})})
        return Examples(x=inputs["ids"], fixed={"lengths": inputs["lengths"], "tgt_in": tgt_in, "tgt_out": tgt_out},
                        names=names, lengths=inputs["lengths"].tolist(),
                        tokens=[[src_vocab[t] for t in s] for s in src], y=y, info=info)

    def output(self, x: torch.Tensor, fixed: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self.net(({"ids": x, "lengths": fixed["lengths"]}, fixed["tgt_in"]))  # (N, T, V)
        tgt = fixed["tgt_out"]
        real = tgt != IGNORE_ID  # (N, T)
        logp = torch.log_softmax(logits, dim=-1).gather(2, tgt.clamp_min(0)[..., None])[..., 0]  # (N, T)
        return (logp * real).sum(dim=1)  # (N,)

    def describe(self, ex: Examples, fixed: dict[str, torch.Tensor], i: int) -> dict:
        info = ex.info[i]
        tokens = info["output_tokens"][:-1] if info["output_tokens"][-1:] == ["<eos>"] else info["output_tokens"]
        translation = detokenize(tokens, self.translator.state["surface"])
        return {"prediction": translation, "label": translation, **{k: v for k, v in info.items() if k != "attention"}}

    def attention(self, ex: Examples, fixed: dict[str, torch.Tensor]) -> list | None:
        return [info["attention"] for info in ex.info]

    def loss(self, ex: Examples) -> torch.Tensor:
        (src, tgt_in), tgt_out = ex.y
        logits = self.net((src, tgt_in))  # (N, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=IGNORE_ID)

    def evaluate(self) -> dict:
        return translate.evaluate(self.run_dir)


TARGETS = (TextTarget, GenerateTarget, TranslateTarget)
