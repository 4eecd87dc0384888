"""Time-series forecasting: data, models, training, evaluation, backtesting and plots.

``generic`` holds the windows that the generic ``seqlab train`` uses for a ``series`` config.
"""

from seqlab.tasks.forecasting.generic import format_predictions, predict_inputs, prepare

__all__ = ["format_predictions", "predict_inputs", "prepare"]
