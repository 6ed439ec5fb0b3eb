""" "Learning rate decay", the TensorFlow API walk-through (notebooks 27a-27c), written down once.

The article walks through TensorFlow 1's decay functions, each fed a ``global_step`` variable that
``minimize(loss, global_step=global_step)`` increments after every update:
``tf.train.exponential_decay`` (smooth or ``staircase``), ``tf.train.piecewise_constant``,
``tf.train.cosine_decay_restarts``, and the Keras callback ``ReduceLROnPlateau``.
:data:`ARTICLE_CALLS` holds those calls as the article writes them. The article names the
arguments but gives no numbers for a run on our data, so the values here are the course's
choices, each with its reason in :data:`CHOSEN`: they are sized for Part III's reference
experiment (:data:`TRAINING`: the digits, 22 batches per epoch, 440 updates in 20 epochs) and all
start at 0.9, twice the best constant rate of that experiment's sweep, and end below it.

- :func:`keras_schedules`: the Keras 3 form of each schedule, built from these values.
- :func:`plateau_callback`: a fresh ``keras.callbacks.ReduceLROnPlateau`` with :data:`PLATEAU`.
- :func:`tf1_rates`: the article's TensorFlow 1 calls, run through ``tf.compat.v1`` in graph mode (a
  graph and a session, as TensorFlow 1 code ran; TensorFlow 1.x itself is not tested), read at
  every step.
- :func:`compiled_rates`: the Keras 3 schedules at every step, computed the way a compiled train
  step computes them (inside a traced function), which is the rate ``fit`` trains with.

``tests/test_article_tf_api.py`` checks these against each other and against the article's calls.
"""

from __future__ import annotations

import warnings

import numpy as np

from lrcourse import _checks
from lrcourse._setup import quiet_tensorflow

quiet_tensorflow()  # environment variables only: TensorFlow must not print its C++ logs
with warnings.catch_warnings():  # TensorFlow's own deprecation warnings are not the learner's
    warnings.simplefilter("ignore")
    import keras

__all__ = [
    "ARTICLE_CALLS",
    "CHOSEN",
    "COSINE_RESTARTS",
    "EXPONENTIAL",
    "MAX_STEPS",
    "NAMES",
    "PIECEWISE",
    "PLATEAU",
    "START",
    "TRAINING",
    "compiled_rates",
    "keras_schedules",
    "plateau_callback",
    "tf1_rates",
]

#: The article's calls, as it writes them (TensorFlow 1; ``tf.train`` is ``tf.compat.v1.train``
#: in TensorFlow 2).
ARTICLE_CALLS = {
    "global_step": "global_step = tf.Variable(0, trainable=False)",
    "exponential": (
        "tf.train.exponential_decay(learning_rate, global_step, decay_steps, decay_rate, "
        "staircase=True)"
    ),
    "piecewise": "tf.train.piecewise_constant(global_step, boundaries, values)",
    "cosine restarts": (
        "tf.train.cosine_decay_restarts(learning_rate, global_step, first_decay_steps, "
        "t_mul, m_mul, alpha)"
    ),
    "minimize": (
        "tf.train.GradientDescentOptimizer(learning_rate).minimize(loss, global_step=global_step)"
    ),
    "plateau": "tf.keras.callbacks.ReduceLROnPlateau(monitor, factor, patience, min_delta, min_lr)",
}

#: Part III's reference experiment, which every run of notebooks 27b-27c trains: the digits (1,347
#: training images, so 22 batches of 64 per epoch), one hidden layer of 32 ReLU units, 10 logits,
#: sparse categorical cross-entropy on the logits, plain SGD (no momentum), 20 epochs, five seeds,
#: and the sweep of constant rates (neighbours x1.5 apart) whose best is the baseline.
TRAINING = {
    "dataset": "digits",
    "inputs": 64,
    "hidden": (32,),
    "activation": "relu",
    "outputs": 10,
    "loss": "SparseCategoricalCrossentropy(from_logits=True)",
    "optimizer": "SGD",
    "momentum": 0.0,
    "batch_size": 64,
    "epochs": 20,
    "steps_per_epoch": 22,
    "seeds": (0, 1, 2, 3, 4),
    "sweep": (0.2, 0.3, 0.45, 0.675, 1.0),
}

#: Where every schedule starts: twice 0.45, the best constant of the reference sweep.
START = 0.9

#: ``tf.train.exponential_decay``'s arguments (TensorFlow 1 names): halve every 5 epochs.
EXPONENTIAL = {"learning_rate": START, "decay_steps": 110, "decay_rate": 0.5, "staircase": True}

#: ``tf.train.piecewise_constant``'s arguments: 0.9, then 0.45 after epoch 10, 0.09 after 15.
PIECEWISE = {"boundaries": (220, 330), "values": (START, 0.45, 0.09)}

#: ``tf.train.cosine_decay_restarts``'s arguments (TensorFlow 1 names): a first period of 5 epochs,
#: a second three times as long that ends with the run, its peak half the first one's.
COSINE_RESTARTS = {
    "learning_rate": START,
    "first_decay_steps": 110,
    "t_mul": 3.0,
    "m_mul": 0.5,
    "alpha": 0.01,
}

#: ``ReduceLROnPlateau``'s arguments (notebook 16's, for a 20-epoch run), from a float rate START.
PLATEAU = {"monitor": "val_loss", "factor": 0.5, "patience": 2, "min_delta": 0.01, "min_lr": 0.001}

#: Why each value was chosen where the article gives none.
CHOSEN = {
    "START": (
        "0.9, twice the best constant of the reference sweep (0.45): a decay should start above "
        "the best constant and end below it (notebook 11)"
    ),
    "EXPONENTIAL": (
        "decay_steps=110 (5 epochs) and decay_rate=0.5: four stairs in 20 epochs, "
        "0.9 down to 0.1125; staircase=True as in the article's call"
    ),
    "PIECEWISE": (
        "boundaries 220 and 330 updates (10 and 15 epochs of 22); with upper-inclusive "
        "boundaries the change comes one batch into epochs 10 and 15 (section 6); values "
        "0.9, 0.45, 0.09 (the ratios 1, 0.5, 0.1 of TensorFlow's own example)"
    ),
    "COSINE_RESTARTS": (
        "first_decay_steps=110, t_mul=3 so that the second period (330 steps) ends with the run "
        "at step 440, m_mul=0.5 (the restart peaks at 0.4545), alpha=0.01 (a floor of 0.009)"
    ),
    "PLATEAU": (
        "notebook 16's settings: Keras's defaults (patience=10, min_delta=1e-4) never cut the "
        "rate within 20 epochs of the reference experiment"
    ),
}

#: The names of the schedules, in the order of the article.
NAMES = ("exponential", "exponential, smooth", "piecewise", "cosine restarts")

#: The most steps :func:`tf1_rates` and :func:`compiled_rates` evaluate in one call.
MAX_STEPS = 10_000


def keras_schedules():
    """The Keras 3 replacement of each of the article's TensorFlow 1 calls, ``{name: schedule}``
    (names as in :data:`NAMES`; "exponential, smooth" is the same call with ``staircase=False``).
    Each goes straight into an optimizer: ``keras.optimizers.SGD(learning_rate=schedule)``."""
    schedules = keras.optimizers.schedules
    e, p, c = EXPONENTIAL, PIECEWISE, COSINE_RESTARTS
    exponential = dict(
        initial_learning_rate=e["learning_rate"],
        decay_steps=e["decay_steps"],
        decay_rate=e["decay_rate"],
    )
    return {
        "exponential": schedules.ExponentialDecay(**exponential, staircase=e["staircase"]),
        "exponential, smooth": schedules.ExponentialDecay(**exponential, staircase=False),
        "piecewise": schedules.PiecewiseConstantDecay(list(p["boundaries"]), list(p["values"])),
        "cosine restarts": schedules.CosineDecayRestarts(
            initial_learning_rate=c["learning_rate"],
            first_decay_steps=c["first_decay_steps"],
            t_mul=c["t_mul"],
            m_mul=c["m_mul"],
            alpha=c["alpha"],
        ),
    }


def plateau_callback():
    """A fresh ``keras.callbacks.ReduceLROnPlateau`` with the settings of :data:`PLATEAU` (use it
    with an optimizer built with a float rate: a schedule object cannot be lowered)."""
    return keras.callbacks.ReduceLROnPlateau(**PLATEAU)


def tf1_rates(steps):
    """The article's TensorFlow 1 calls run through ``tf.compat.v1`` in graph mode, as TensorFlow 1
    code ran: built into a graph and evaluated by a session, at ``global_step`` = 0, 1, ...,
    ``steps - 1``.
    Returns ``{name: float array of steps rates}`` (names as in :data:`NAMES`).

    The graph loops over the steps itself (one session call in all): ``global_step``, the integer
    tensor the article's calls read, is the loop's counter here, an int32 as
    ``tf.Variable(0, trainable=False)`` makes it. steps: 1 to MAX_STEPS = 10,000.
    """
    steps = _checks.count("steps", steps, maximum=MAX_STEPS)
    import tensorflow as tf

    v1 = tf.compat.v1
    e, p, c = EXPONENTIAL, PIECEWISE, COSINE_RESTARTS

    def article_calls(global_step):  # the article's four calls, with the chosen values
        return {
            "exponential": v1.train.exponential_decay(
                e["learning_rate"], global_step, e["decay_steps"], e["decay_rate"], staircase=True
            ),
            "exponential, smooth": v1.train.exponential_decay(
                e["learning_rate"], global_step, e["decay_steps"], e["decay_rate"], staircase=False
            ),
            "piecewise": v1.train.piecewise_constant(
                global_step, list(p["boundaries"]), list(p["values"])
            ),
            "cosine restarts": v1.train.cosine_decay_restarts(
                c["learning_rate"],
                global_step,
                c["first_decay_steps"],
                c["t_mul"],
                c["m_mul"],
                c["alpha"],
            ),
        }

    def one_more(global_step, tables):
        rates = article_calls(global_step).values()
        tables = [
            t.write(global_step, tf.cast(r, tf.float32)) for t, r in zip(tables, rates, strict=True)
        ]
        return global_step + 1, tables

    with tf.Graph().as_default():
        tables = [tf.TensorArray(tf.float32, size=steps) for _ in NAMES]
        start = tf.constant(0, tf.int32)
        _, tables = tf.while_loop(lambda step, _: step < steps, one_more, (start, tables))
        with v1.Session() as session:
            columns = session.run([t.stack() for t in tables])
    return {
        name: np.asarray(column, dtype=float) for name, column in zip(NAMES, columns, strict=True)
    }


def compiled_rates(steps):
    """The Keras 3 schedules of :func:`keras_schedules` at steps 0 to ``steps - 1``, computed as a
    compiled train step computes them (the schedule called with the step counter inside a traced
    function), which is the rate ``model.fit`` trains with; ``{name: float array}``.

    steps: 1 to MAX_STEPS = 10,000.
    """
    steps = _checks.count("steps", steps, maximum=MAX_STEPS)
    import tensorflow as tf

    schedules = keras_schedules()

    @tf.function(autograph=False)
    def every_step():
        def one_more(step, tables):
            rates = [tf.cast(s(step), tf.float32) for s in schedules.values()]
            tables = [
                t.write(tf.cast(step, tf.int32), r) for t, r in zip(tables, rates, strict=True)
            ]
            return step + 1, tables

        tables = [tf.TensorArray(tf.float32, size=steps) for _ in schedules]
        start = tf.constant(0, tf.int64)  # the optimizer's iterations counter is an int64
        _, tables = tf.while_loop(lambda step, _: step < steps, one_more, (start, tables))
        return [t.stack() for t in tables]

    return {
        name: values.numpy().astype(float)
        for name, values in zip(schedules, every_step(), strict=True)
    }
