"""Looking into models and runs: comparisons, gradients, explanations and reports."""
