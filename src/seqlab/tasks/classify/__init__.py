"""Time-series classification on UCR/UEA data: read, normalise, train, evaluate, label.

``run.train(ClassifyConfig(...), out)`` trains into a run directory (and scores the official
``_TEST`` file when it sits beside the training file), ``run.evaluate`` scores a run on a labelled
file, ``run.predict`` labels new series. ``select`` says what ``model: auto`` means.
"""
