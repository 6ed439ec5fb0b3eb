""" "Learning rates for deep learning models": its diamonds experiment, as stated and as chosen.

The article predicts the price of a diamond from its six measurements (the categorical columns
cut, color and clarity removed) with a small network trained by Adam on the mean absolute error,
four times: at a constant rate, with exponential decay, with tensorflow-addons'
``CyclicalLearningRate`` and with a custom rule of the epoch that lowers the rate and later raises
it. What the article states is in :data:`SPEC`. It gives no epochs, batch size or rates: the
values notebook 26b trains with are in :data:`CHOSEN`, each marked as a choice.

The runs, as functions: :func:`exponential`, :func:`custom` and :func:`custom_without_raise` are
rules of the (0-based) epoch, the form ``LearningRateScheduler`` takes; :func:`cyclical` is the
course's triangular :class:`~lrcourse.schedules.Cyclical`, which counts updates as
tensorflow-addons' did (that package no longer imports). :func:`rates` gives every update's
rate; :func:`learning_rates` and :func:`optimizers` give the Keras 3 objects that train with
exactly those rates inside one compiled race: an epoch rule becomes a schedule that holds each
epoch's rate for its ``steps_per_epoch`` updates (``tests/test_article_diamonds.py`` checks them at
every update, and that a ``LearningRateScheduler`` with the rule gives the same rates).
"""

from __future__ import annotations

import numpy as np

from lrcourse import _checks
from lrcourse import schedules as course

#: What the article states.
SPEC = {
    "dataset": "diamonds",
    "target": "price",  # in dollars, unscaled
    "dropped": ("cut", "color", "clarity"),
    "features": ("carat", "depth", "table", "x", "y", "z"),
    "hidden": (50, 50),
    "activation": "relu",
    "output": "linear",  # one unit, no activation: a price
    "loss": "mae",
    "optimizer": "adam",
    "runs": ("constant", "exponential", "cyclical", "custom"),
}

#: What the article leaves open, as chosen for notebooks 26a and 26b (none of these values is the
#: article's). Epochs count from 0; ``custom`` holds ``rates[i]`` from epoch ``starts[i]`` on.
CHOSEN = {
    # the split and scaling are the course's choice, as for the range-test article (notebook 21):
    # the source gives none for this experiment
    "test_size": 0.2,
    "random_state": 42,
    "scaler": "StandardScaler",  # fitted on the training rows, features only
    "article_batch_size": 32,  # Keras's default, which a fit call without batch_size uses
    "batch_size": 128,  # trained here, for the time budget (notebook 26a says why)
    "epochs": 8,
    "seeds": (0, 1, 2, 3, 4),
    "constant": 0.001,  # Adam's default: the article's likely constant
    "exponential": {"learning_rate": 0.01, "decay_rate": 0.9},  # rate * 0.9 ** epoch
    "cyclical": {
        "initial_learning_rate": 1e-4,
        "maximal_learning_rate": 1e-2,
        "step_size_epochs": 1,  # half a cycle: a cycle lasts 2 epochs
        "scale_fn": "triangular",  # tensorflow-addons' scale_fn=lambda x: 1.0
    },
    # lower, then raise: 0.01 is where the exponential and cyclical runs start or peak, 0.001
    # Adam's default; lowered half way through the 8 epochs, raised with two epochs left
    "custom": {"starts": (0, 4, 6), "rates": (0.01, 0.001, 0.01)},
    "sweep": (0.001, 0.002, 0.004, 0.008, 0.016),  # constants, neighbours x2 apart
}

#: The runs of :func:`rates`: the article's four, and the custom rule without its late raise.
RUNS = ("constant", "exponential", "cyclical", "custom", "custom without raise")

_MAX_EPOCH = 10**6


def _epoch(epoch):
    return _checks.count("epoch", epoch, minimum=0, maximum=_MAX_EPOCH)


def exponential(epoch):
    """The exponential decay, a rule of the 0-based epoch: 0.01 * 0.9 ** epoch (chosen)."""
    settings = CHOSEN["exponential"]
    return settings["learning_rate"] * settings["decay_rate"] ** _epoch(epoch)


def custom(epoch):
    """The custom rule of the 0-based epoch (chosen): 0.01 for epochs 0-3, 0.001 for epochs 4-5,
    0.01 again from epoch 6 on: it lowers the rate, then raises it."""
    return _piecewise(_epoch(epoch), CHOSEN["custom"]["starts"], CHOSEN["custom"]["rates"])


def custom_without_raise(epoch):
    """The custom rule without its late raise: 0.01 for epochs 0-3, then 0.001 from epoch 4 on."""
    starts, values = CHOSEN["custom"]["starts"][:-1], CHOSEN["custom"]["rates"][:-1]
    return _piecewise(_epoch(epoch), starts, values)


def _piecewise(epoch, starts, values):
    return values[int(np.searchsorted(starts, epoch, side="right")) - 1]


def cyclical(steps_per_epoch):
    """The cyclical schedule (chosen bounds 1e-4 and 1e-2, half a cycle = 1 epoch), counting
    updates: tensorflow-addons' triangular ``CyclicalLearningRate`` as a course schedule."""
    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=_MAX_EPOCH)
    settings = CHOSEN["cyclical"]
    return course.Cyclical(
        settings["initial_learning_rate"],
        settings["maximal_learning_rate"],
        step_size=settings["step_size_epochs"] * steps_per_epoch,
        mode="triangular",
    )


def rates(run, steps_per_epoch, epochs=None):
    """The learning rate of every update of ``run`` (one of :data:`RUNS`), straight from the
    rules: an array of ``epochs * steps_per_epoch`` rates (``epochs``: the chosen 8)."""
    _checks.choice("run", run, RUNS)
    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=_MAX_EPOCH)
    epochs = CHOSEN["epochs"] if epochs is None else _checks.count("epochs", epochs, maximum=10**4)
    _checks.count("epochs * steps_per_epoch", epochs * steps_per_epoch)
    update = np.arange(epochs * steps_per_epoch)
    if run == "constant":
        return np.full(len(update), CHOSEN["constant"])
    if run == "cyclical":
        return cyclical(steps_per_epoch)(update)
    if run == "exponential":
        per_epoch = [exponential(e) for e in range(epochs)]
    else:
        rule = custom if run == "custom" else custom_without_raise
        per_epoch = [rule(e) for e in range(epochs)]
    return np.array(per_epoch)[update // steps_per_epoch]


def learning_rates(steps_per_epoch):
    """``{run: the learning_rate argument}`` that gives each of :data:`RUNS` its rate at every
    update: a float, or a Keras ``LearningRateSchedule`` counting updates (an epoch rule as a
    staircase: ``ExponentialDecay(..., staircase=True)`` or ``PiecewiseConstantDecay``)."""
    import keras

    from lrcourse.keras.schedules import to_keras

    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=_MAX_EPOCH)
    schedules = keras.optimizers.schedules
    exp, cust = CHOSEN["exponential"], CHOSEN["custom"]
    # PiecewiseConstantDecay holds values[i] while step <= boundaries[i]: the last update of
    # epoch e - 1 is step e * steps_per_epoch - 1
    boundaries = [start * steps_per_epoch - 1 for start in cust["starts"][1:]]
    return {
        "constant": CHOSEN["constant"],
        "exponential": schedules.ExponentialDecay(
            exp["learning_rate"], steps_per_epoch, exp["decay_rate"], staircase=True
        ),
        "cyclical": to_keras(cyclical(steps_per_epoch)),
        "custom": schedules.PiecewiseConstantDecay(boundaries, list(cust["rates"])),
        "custom without raise": schedules.PiecewiseConstantDecay(
            boundaries[:1], list(cust["rates"][:2])
        ),
    }


def optimizers(steps_per_epoch):
    """``{run: keras.optimizers.Adam}`` for :data:`RUNS`, Keras's other defaults kept, each a fresh
    optimizer with the run's rate at every update (no callback: they train in one race)."""
    import keras

    return {
        run: keras.optimizers.Adam(learning_rate=rate)
        for run, rate in learning_rates(steps_per_epoch).items()
    }
