"""Translation with attention: read sentence pairs, train an encoder-decoder, search, score BLEU.

``run.train(TranslateConfig(...), out)`` trains into a run directory, ``run.evaluate`` scores a
run's translations with sacrebleu, ``run.predict`` translates new sentences (greedy or beam
search, :mod:`~seqlab.tasks.translate.decode`) and can draw the attention as a heatmap.
"""
