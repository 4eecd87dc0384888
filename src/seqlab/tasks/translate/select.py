"""``--model auto``: the recommended encoder-decoder, and the beam width chosen on validation.

The architecture is fixed (one model is what a CPU budget affords): ``RECOMMENDED``, chosen by
validation BLEU on the English-French benchmark (``bench/translate_fra.py``; the test split was
not looked at). What ``auto`` (and any run with ``decode.beam: null``) decides per run is the
search: after training it translates up to ``VAL_SENTENCES`` validation sentences greedily and
with a beam of ``BEAM_CHOICES[-1]`` and keeps the width with the higher BLEU.
"""

from __future__ import annotations

from seqlab.models.seq2seq import Seq2SeqConfig

RECOMMENDED = Seq2SeqConfig(name="lstm", attention="luong")
BEAM_CHOICES = (1, 5)
VAL_SENTENCES = 1000
