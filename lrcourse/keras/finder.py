"""The range test (:mod:`lrcourse.finder`) on any compiled Keras model.

    from lrcourse.finder import range_test
    from lrcourse.keras.finder import KerasTrainer

    test = range_test(KerasTrainer(model, x_train, y_train, batch_size=32), min_rate=1e-6)
    test.suggestions()  # {"steepest": ..., "minimum": ..., "valley": ...}

The trainer trains one batch per step with the model's own optimizer at the rate the test sets,
and returns that batch's loss as the model's compiled loss computes it before the update (what
``fit`` averages into ``logs["loss"]``; the average itself is the wrong curve to read). Afterwards
the model's weights, the optimizer's variables (step count, slots) and its learning rate are put
back exactly: training after a test equals training without one, number for number
(``tests/test_finder.py``).
"""

from __future__ import annotations

import warnings

from lrcourse import _checks
from lrcourse._setup import quiet_tensorflow
from lrcourse.finder import _Batches

quiet_tensorflow()  # environment variables only: TensorFlow must not print its C++ logs
with warnings.catch_warnings():  # TensorFlow's own deprecation warnings are not the learner's
    warnings.simplefilter("ignore")
    import keras

__all__ = ["KerasTrainer"]


class KerasTrainer(_Batches):
    """A range-test trainer for a compiled Keras ``model`` on ``x``, ``y``.

    The model must be compiled with a float learning rate (the test sets one per batch; a
    schedule object cannot be overridden). batch_size: 1 to len(x); full batches only, in a new
    order every epoch drawn from ``np.random.default_rng(seed)``.
    """

    def __init__(self, model, x, y, *, batch_size=32, seed=0):
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a Keras model, got {_checks._brief(model)}")
        if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
            raise ValueError("model must be compiled first: model.compile(optimizer=..., loss=...)")
        if isinstance(
            model.optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule
        ):
            raise ValueError(
                "model must be compiled with a float learning rate: the range test sets the rate "
                "of every batch, and a LearningRateSchedule cannot be overridden"
            )
        self.model = model
        self._data(x, y, batch_size, seed, min_ndim=2, max_size=10**9)
        self._train_batch = None

    def save(self):
        """Start afresh (first batch order); the weights, optimizer variables and rate now."""
        optimizer = self.model.optimizer
        if not optimizer.built:  # built now, its variables as a fresh optimizer has them
            optimizer.build(self.model.trainable_variables)
        self._restart()
        return (
            self.model.get_weights(),
            [keras.ops.convert_to_numpy(v) for v in optimizer.variables],
            float(keras.ops.convert_to_numpy(optimizer.learning_rate)),
        )

    def step(self, rate):
        """Train one batch at ``rate`` (>= 0); the batch's loss before the update."""
        rate = _checks.non_negative("rate", rate)
        x, y = self._next_batch()
        self.model.optimizer.learning_rate = rate
        if self._train_batch is None:
            self._train_batch = _traced_step(self.model)
        return float(self._train_batch(x, y))

    def restore(self, saved):
        """Put back what :meth:`save` returned."""
        if not (isinstance(saved, tuple) and len(saved) == 3):
            raise ValueError(f"saved must be what save() returned, got {_checks._brief(saved)}")
        weights, variables, rate = saved
        self.model.set_weights(weights)
        for variable, value in zip(self.model.optimizer.variables, variables, strict=True):
            variable.assign(value)
        self.model.optimizer.learning_rate = rate


def _traced_step(model):
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def train_batch(x, y):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(grads, model.trainable_variables)
        return loss

    return train_batch
