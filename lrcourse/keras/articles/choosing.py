""" "Choosing a learning rate" (notebooks 28a and 28b), written down once.

What the article states is in :data:`ARTICLE`: its annealing recipe (0.1 for epochs 0-399, 0.01
for epochs 400-699, 0.001 from epoch 700 to the end of 1,000 epochs), the three rates it trains
Adam at, the optimizers of its table of methods, and its advice to prefer Adam and to start it at
0.001. Where the article is silent, :data:`CHOSEN` holds the course's reading and its reason.

The article's images, photos of 120 dog breeds, cannot ship with the course. :data:`SETUP` is
what replaces them: scikit-learn's 8x8 digits (the course's only offline images), the small
network of Part III, batches of 128, and 50 epochs: the recipe is scaled by :data:`SCALE` = 20
(boundaries at epochs 20 and 35 of 50), its rates unchanged (and by 10, 100 epochs, in a second
race that tests whether the length changes the verdict).

- :func:`annealing_rate`: the recipe as a function of the 0-based epoch, what a
  ``keras.callbacks.LearningRateScheduler`` would be given.
- :func:`annealing_schedule`: the same rates as a Keras ``PiecewiseConstantDecay`` counting
  updates, so the recipe trains inside one compiled race (no callback). Keras's boundaries are
  upper-inclusive: boundary ``b`` is the LAST update at the old rate, so the boundary of epoch
  ``e`` is ``e * steps_per_epoch - 1``.
- :func:`optimizer`: a fresh Keras optimizer of the article's list with the course's settings.
- :func:`dataset`: the digits, split as the notebook trains on them.

``tests/test_article_choosing.py`` checks these against the article's numbers.
"""

from __future__ import annotations

import warnings

from lrcourse import _checks
from lrcourse._setup import quiet_tensorflow

quiet_tensorflow()  # environment variables only: TensorFlow must not print its C++ logs
with warnings.catch_warnings():  # TensorFlow's own deprecation warnings are not the learner's
    warnings.simplefilter("ignore")
    import keras

__all__ = [
    "ARTICLE",
    "CHOSEN",
    "MOMENTUM",
    "OPTIMIZERS",
    "SCALE",
    "SETUP",
    "SHARED_RATE",
    "annealing_rate",
    "annealing_schedule",
    "boundaries",
    "dataset",
    "optimizer",
]

#: What the article states. ``boundaries`` are the first epochs (0-based) of the second and
#: third rates: 0.1 for epochs 0-399, 0.01 for 400-699, 0.001 for 700-999.
ARTICLE = {
    "annealing": {"values": (0.1, 0.01, 0.001), "boundaries": (400, 700), "epochs": 1000},
    "adam_rates": (1e-4, 1e-3, 1e-2),
    "optimizers": ("RMSprop", "Adagrad", "Adadelta", "Adam"),
    "prefer": "Adam",
    "start_rate": 1e-3,
    "data": "photos of 120 dog breeds",
}

#: Where the article is silent: the course's reading, and why.
CHOSEN = {
    "annealing_optimizer": (
        "SGD with momentum 0.9: the recipe names no optimizer; step annealing from 0.1 by "
        "factors of 10 comes from SGD with momentum 0.9 (He et al. 2016)"
    ),
    "sgd_in_the_race": (
        "SGD with momentum 0.9 joins the article's four adaptive optimizers: it is the optimizer "
        "the recipe is read with, and the one Adam is most often preferred to"
    ),
    "shared_rate": (
        "0.001, the rate the article advises to start Adam at, and Keras's default for RMSprop, "
        "Adagrad, Adadelta and Adam; the notebook also races them all at 0.01, Keras's default "
        "for SGD and notebook 09's shared rate, since the choice of rate is the course's"
    ),
    "other_settings": "Keras 3's defaults for every optimizer (beta, rho, epsilon, accumulator)",
}

#: The optimizers the notebook races, in this order: SGD (momentum 0.9) and the article's four.
OPTIMIZERS = ("SGD", *ARTICLE["optimizers"])
MOMENTUM = 0.9  # of SGD, see CHOSEN["annealing_optimizer"]
SHARED_RATE = 1e-3  # see CHOSEN["shared_rate"]

#: The recipe's epochs are divided by SCALE in the notebook's main race (1,000 epochs -> 50), and
#: by 10 in a second, timed race of the recipe and three constants (100 epochs). The reason is
#: time, not the cap on updates: that small race alone, at the article's 1,000 epochs, would take
#: more than the notebook's whole budget of 60 seconds.
SCALE = 20

#: What replaces the article's dog photos, and the notebook's training (the course's choices).
SETUP = {
    "dataset": "digits",
    "validation_fraction": 0.25,
    "split_seed": 0,
    "train_rows": 1347,
    "validation_rows": 450,
    "hidden": (32,),
    "activation": "relu",
    "outputs": 10,
    "loss": "sparse categorical cross-entropy on logits",
    "batch_size": 128,
    "epochs": ARTICLE["annealing"]["epochs"] // SCALE,
    "seeds": (0, 1, 2, 3, 4),
}

_EPOCHS = ARTICLE["annealing"]["epochs"]
MAX_SCALE = 100  # the largest scale that keeps both boundaries whole epochs (400 and 700 / 100)


def _scale(scale):
    scale = _checks.count("scale", scale, maximum=MAX_SCALE)
    if any(b % scale for b in ARTICLE["annealing"]["boundaries"]):
        raise ValueError(
            f"scale must divide the boundaries 400 and 700 (1, 2, 4, 5, 10, 20, 25, 50 or 100), "
            f"got {scale}"
        )
    return scale


def boundaries(*, scale=1):
    """The recipe's switch epochs (0-based first epochs of 0.01 and of 0.001), divided by
    ``scale``: ``(400, 700)`` for the article, ``(20, 35)`` for the notebook's ``scale=20``."""
    scale = _scale(scale)
    return tuple(b // scale for b in ARTICLE["annealing"]["boundaries"])


def annealing_rate(epoch, *, scale=1):
    """The recipe's rate in the 0-based ``epoch``: 0.1 before the first boundary, 0.01 before
    the second, 0.001 after, for ``1000 / scale`` epochs. ``scale`` divides the epochs (20: 50
    epochs, boundaries 20 and 35). It is a ``keras.callbacks.LearningRateScheduler`` rule as it
    stands (``scale`` is keyword-only, so Keras's call with ``(epoch, lr)`` falls back to
    ``(epoch)``); for a scaled run pass ``functools.partial(annealing_rate, scale=20)``."""
    scale = _scale(scale)
    epoch = _checks.count("epoch", epoch, minimum=0, maximum=_EPOCHS // scale - 1)
    first, second = boundaries(scale=scale)
    values = ARTICLE["annealing"]["values"]
    return values[0] if epoch < first else values[1] if epoch < second else values[2]


def annealing_schedule(steps_per_epoch, *, scale=1):
    """The recipe counted in updates: ``keras.optimizers.schedules.PiecewiseConstantDecay`` with
    a boundary at the last update of epochs 399 and 699 (divided by ``scale``), since Keras keeps
    the old rate AT a boundary. It gives :func:`annealing_rate` of every update's epoch."""
    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=10**4)
    last_updates = [b * steps_per_epoch - 1 for b in boundaries(scale=scale)]
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        last_updates, list(ARTICLE["annealing"]["values"])
    )


def optimizer(name, learning_rate):
    """A fresh Keras optimizer ``name`` (one of :data:`OPTIMIZERS`) at ``learning_rate`` (a
    number > 0 or a Keras ``LearningRateSchedule``): SGD with momentum 0.9, the others with
    Keras's defaults."""
    _checks.choice("name", name, OPTIMIZERS)
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        learning_rate = _checks.positive("learning_rate", learning_rate)
    if name == "SGD":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=MOMENTUM)
    return getattr(keras.optimizers, name)(learning_rate=learning_rate)


def dataset():
    """The digits as the notebook trains on them: 1347 training and 450 validation images
    (stratified, split seed 0), pixels scaled to [0, 1]."""
    from lrcourse.data import load

    return load(
        SETUP["dataset"],
        validation_fraction=SETUP["validation_fraction"],
        seed=SETUP["split_seed"],
    )
