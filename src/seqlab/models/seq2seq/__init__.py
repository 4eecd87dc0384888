"""Attentional encoder-decoders for translation: GRU/LSTM, Bahdanau (additive) or Luong (dot) attention.

``Seq2Seq(Seq2SeqConfig(name="gru", attention="bahdanau"), Seq2SeqShape(src_vocab, tgt_vocab))``;
the equations are in :mod:`~seqlab.models.seq2seq.attention` and :mod:`~seqlab.models.seq2seq.decoder`.
"""

from seqlab.models.seq2seq.attention import BahdanauAttention, LuongDotAttention
from seqlab.models.seq2seq.config import ATTENTIONS, MODEL_NAMES, Seq2SeqConfig, Seq2SeqShape
from seqlab.models.seq2seq.decoder import Decoder
from seqlab.models.seq2seq.encoder import Encoded, Encoder
from seqlab.models.seq2seq.model import Seq2Seq

__all__ = ["ATTENTIONS", "MODEL_NAMES", "BahdanauAttention", "LuongDotAttention", "Seq2SeqConfig", "Seq2SeqShape",
           "Decoder", "Encoded", "Encoder", "Seq2Seq"]
