"""Language modelling and text generation (``seqlab generate``): char/word models, truncated BPTT, sampling."""
