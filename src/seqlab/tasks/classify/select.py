"""``--model auto``: the recommended classifier for any UCR/UEA dataset, chosen without the test split.

``auto`` is the FCN of Wang et al. 2017. In the largest comparison of deep time-series
classifiers (Fawaz et al. 2019: 85 UCR and 13 MTS datasets, 5 runs each) FCN and ResNet are the
two best, ResNet ahead on average; FCN is within a point of it on the four univariate datasets
shipped here (GunPoint 1.000/.991, ItalyPowerDemand .963/.962, ArrowHead .843/.838, OSULeaf
.979/.980 FCN/ResNet) and on JapaneseVowels (.993/.992), has fewer layers (3 convolutions
instead of 9, about half of ResNet's multiply-adds per step: 263k against 500k) and no hyperparameter
to tune. It needs no minimum length ('same' padding), works for any number of dimensions, masks
padded steps of unequal-length series, and trains from a handful of series (batch min(16, n/10)).

With a validation split (``data.val_fraction`` > 0) ``auto`` still returns FCN: on the tiny UCR
training sets (36-270 series here) a held-out split of a few series cannot tell two models a
point apart, so the literature's choice is the better guess.
"""

from __future__ import annotations

from seqlab.models.tsc import TSCConfig
from seqlab.tasks.classify.data import ClassifySetup

RECOMMENDED = "fcn"


def select_model(setup: ClassifySetup) -> tuple[TSCConfig, dict]:
    """The model ``auto`` trains on ``setup`` and why: ``(TSCConfig, {"chosen", "reason"})``."""
    model = TSCConfig(name=RECOMMENDED).resolved()
    info = setup.info
    reason = (f"FCN (Wang et al. 2017), the recommended model of Fawaz et al. 2019, for {info['train_series']} "
              f"training series of {info['dims']} dimension(s), lengths {info['train_lengths'][0]}-"
              f"{info['train_lengths'][1]}")
    return model, {"chosen": RECOMMENDED, "reason": reason}
