"""Text classification and sentiment analysis: read labelled texts, tokenise, train, evaluate, label.

``run.train(TextConfig(...), out)`` trains into a run directory, ``run.evaluate`` scores a run on
labelled texts, ``run.predict`` labels new ones. ``generic`` is the text data kind of the generic
``seqlab train`` (a Sequential model from a YAML file).
"""
