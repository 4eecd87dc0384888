"""Spoken-word recognition from WAV files: read, featurise (log-mel/MFCC), train, evaluate, label.

``run.train(SpeechConfig(...), out)`` trains into a run directory, ``run.evaluate`` scores a run on
a folder of ``{label}_{speaker}_{index}.wav`` files (optionally with white noise at a given SNR),
``run.predict_files`` labels any WAV files.
"""
