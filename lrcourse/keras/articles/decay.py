""" "Decoding learning rate decay": its ionosphere experiment as the article states it.

The article trains one small network four times: at a constant rate, and with time-based, step
and exponential decay. Everything it states is in :data:`SPEC`; :func:`rates` gives each run's
learning rate at every update, straight from the article's formulas; :func:`optimizers` builds
the Keras 3 optimizers that train with exactly those rates (``tests/test_article_decay.py``
checks one against the other at every update of the 50 epochs).

Keras 3 forms of the article's Keras 2 code:

- ``SGD(lr=0.1, momentum=0.8, decay=0.1 / 50)`` decayed after every update in Keras 2; Keras 3
  ignores ``decay=`` (notebook 11): ``InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.002)``.
- The step and exponential rules are functions of the (0-based) epoch that the article hands to
  ``LearningRateScheduler``. Inside one compiled race, the same rates come from a schedule that
  holds each epoch's rate for its ``steps_per_epoch`` updates: ``ExponentialDecay(...,
  staircase=True)`` with ``decay_steps`` a multiple of ``steps_per_epoch``.
"""

from __future__ import annotations

import math

import numpy as np

from lrcourse import _checks

#: What the article states (``decay`` is its ``lr0 / epochs``; the epoch rules count from 0).
SPEC = {
    "dataset": "ionosphere",
    "inputs": 34,
    "hidden": (34,),
    "activation": "relu",
    "output": "sigmoid",
    "loss": "binary_crossentropy",
    "validation_split": 0.33,
    "epochs": 50,
    "batch_size": 28,
    "runs": {
        "constant": {"learning_rate": 0.1, "momentum": 0.0},
        "time-based": {"learning_rate": 0.1, "decay": 0.1 / 50, "momentum": 0.8},
        "step": {"learning_rate": 0.1, "drop": 0.5, "epochs_drop": 10, "momentum": 0.9},
        "exponential": {"learning_rate": 0.01, "k": 0.01, "momentum": 0.9},
    },
}
RUNS = tuple(SPEC["runs"])


def step_decay(epoch):
    """The article's step rule: 0.1 * 0.5 ** floor(epoch / 10), epoch counted from 0."""
    epoch = _checks.count("epoch", epoch, minimum=0, maximum=10**6)
    run = SPEC["runs"]["step"]
    return run["learning_rate"] * run["drop"] ** math.floor(epoch / run["epochs_drop"])


def exp_decay(epoch):
    """The article's exponential rule: 0.01 * e^(-0.01 epoch), epoch counted from 0."""
    epoch = _checks.count("epoch", epoch, minimum=0, maximum=10**6)
    run = SPEC["runs"]["exponential"]
    return run["learning_rate"] * math.exp(-run["k"] * epoch)


def rates(run, steps_per_epoch, epochs=None):
    """The learning rate of every update of ``run`` (one of :data:`RUNS`), from the article's
    formulas: an array of ``epochs * steps_per_epoch`` rates (``epochs``: the article's 50)."""
    _checks.choice("run", run, RUNS)
    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=10**6)
    epochs = SPEC["epochs"] if epochs is None else _checks.count("epochs", epochs, maximum=10**4)
    update = np.arange(epochs * steps_per_epoch)
    epoch = update // steps_per_epoch
    settings = SPEC["runs"][run]
    if run == "constant":
        return np.full(len(update), settings["learning_rate"])
    if run == "time-based":  # Keras 2: lr / (1 + decay * iterations), iterations from 0
        return settings["learning_rate"] / (1 + settings["decay"] * update)
    rule = step_decay if run == "step" else exp_decay
    return np.array([rule(e) for e in range(epochs)])[epoch]


def learning_rates(steps_per_epoch):
    """``{run: the learning_rate argument}`` that gives each run the article's rate at every
    update: a float, or a Keras ``LearningRateSchedule`` counting updates."""
    import keras

    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=10**6)
    schedules = keras.optimizers.schedules
    runs = SPEC["runs"]
    step, exponential = runs["step"], runs["exponential"]
    return {
        "constant": runs["constant"]["learning_rate"],
        "time-based": schedules.InverseTimeDecay(
            runs["time-based"]["learning_rate"],
            decay_steps=1,
            decay_rate=runs["time-based"]["decay"],
        ),
        "step": schedules.ExponentialDecay(
            step["learning_rate"],
            decay_steps=step["epochs_drop"] * steps_per_epoch,
            decay_rate=step["drop"],
            staircase=True,
        ),
        "exponential": schedules.ExponentialDecay(
            exponential["learning_rate"],
            decay_steps=steps_per_epoch,
            decay_rate=math.exp(-exponential["k"]),
            staircase=True,
        ),
    }


def optimizers(steps_per_epoch):
    """``{run: keras.optimizers.SGD}`` that train with exactly the article's rates and momenta,
    each a fresh optimizer (no callback needed, so they run inside one compiled race)."""
    import keras

    return {
        run: keras.optimizers.SGD(learning_rate=rate, momentum=SPEC["runs"][run]["momentum"])
        for run, rate in learning_rates(steps_per_epoch).items()
    }
