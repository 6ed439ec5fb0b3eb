"""The course's schedules inside Keras: one adapter class, an epoch callback, and curves.

- :func:`to_keras` wraps a schedule of :mod:`lrcourse.schedules` in :class:`KerasSchedule`, a
  ``keras.optimizers.schedules.LearningRateSchedule`` whose step counts BATCHES (the optimizer's
  ``iterations``): ``keras.optimizers.SGD(learning_rate=to_keras(CosineDecay(0.1, 1000)))``.
- :func:`epoch_callback` sets the rate once per epoch instead, with ``schedule(epoch)`` (0-based).
- :func:`keras_curve` evaluates any Keras schedule (or a course schedule) at many steps in one call.

The adapter runs the very same ``formula(step, ops)`` as the NumPy curve, with ``keras.ops``. It
computes in float64 and returns float32, as Keras optimizers expect: the stairs and restarts then
land on exactly the steps the NumPy curve shows, whatever the arguments (float32 cannot hold
``decay_steps = 440 / 7`` or steps beyond 2**24 exactly).

Saving: ``KerasSchedule`` is registered as ``"lrcourse>KerasSchedule"`` when this module is
imported, so a model compiled with it saves to ``.keras`` and loads again. In a fresh kernel,
import this module (or pass ``custom_objects=custom_objects()``) before ``keras.saving.load_model``.
"""

from __future__ import annotations

import logging
import numbers
import warnings

import numpy as np

from lrcourse import _checks
from lrcourse import schedules as core
from lrcourse._setup import quiet_tensorflow

quiet_tensorflow()  # environment variables only: TensorFlow must not print its C++ logs
with warnings.catch_warnings():  # TensorFlow's own deprecation warnings are not the learner's
    warnings.simplefilter("ignore")
    import keras

__all__ = ["KerasSchedule", "custom_objects", "epoch_callback", "keras_curve", "to_keras"]

_COMPUTE_DTYPE = "float64"


@keras.saving.register_keras_serializable(package="lrcourse")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A course schedule as a Keras ``LearningRateSchedule``: ``schedule.formula`` with
    ``keras.ops``. ``step`` is the optimizer's ``iterations`` (batches done so far); a step given
    eagerly is checked like the NumPy schedule checks it (a negative step raises ``ValueError``).
    """

    def __init__(self, schedule):
        super().__init__()
        if isinstance(schedule, dict) and "schedule" in schedule:  # its serialize() dict
            schedule = core.deserialize(schedule)
        if not isinstance(schedule, core.Schedule):
            raise ValueError(
                f"schedule must be an lrcourse schedule, got {_checks._brief(schedule)}"
            )
        self.schedule = schedule

    def __call__(self, step):
        _check_now(step)  # inside a traced function the optimizer's step is never negative
        ops = keras.ops
        value = self.schedule.formula(ops.cast(step, _COMPUTE_DTYPE), ops)
        return ops.cast(value, "float32")

    def get_config(self):
        return {"schedule": core.serialize(self.schedule)}

    @classmethod
    def from_config(cls, config):
        if not isinstance(config, dict) or set(config) != {"schedule"}:
            raise ValueError(
                f"config must be {{'schedule': ...}} from get_config(), got {config!r}"
            )
        return cls(config["schedule"])

    def __repr__(self):
        return f"KerasSchedule({self.schedule!r})"


def to_keras(schedule):
    """``schedule`` as a Keras ``LearningRateSchedule`` (a Keras schedule is returned as it is)."""
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return schedule
    if not isinstance(schedule, core.Schedule):
        raise ValueError(
            f"schedule must be an lrcourse schedule (e.g. CosineDecay), got {schedule!r}"
        )
    return KerasSchedule(schedule)


def epoch_callback(schedule, verbose=0):
    """A ``keras.callbacks.LearningRateScheduler`` that sets ``schedule(epoch)`` as each epoch
    starts. Keras passes the 0-based epoch, so the first epoch trains with ``schedule(0)``.

    ``schedule`` is a course schedule or any function of the epoch returning a number >= 0. The
    optimizer must be built with a float learning rate: Keras cannot overwrite a schedule object.
    """
    _checks.function("schedule", schedule)
    verbose = _checks.count("verbose", verbose, minimum=0, maximum=2)

    def learning_rate_for_epoch(epoch, learning_rate=None):
        rate = schedule(epoch)
        try:
            rate = float(np.asarray(rate, dtype=float))
        except (TypeError, ValueError):
            rate = None
        if rate is None or not np.isfinite(rate) or rate < 0:
            raise ValueError(f"schedule({epoch}) must return a number >= 0, got {rate!r}")
        return rate  # a Python float, as LearningRateScheduler requires

    return keras.callbacks.LearningRateScheduler(learning_rate_for_epoch, verbose=verbose)


def custom_objects():
    """``{"lrcourse>KerasSchedule": KerasSchedule}`` for ``load_model(custom_objects=...)``."""
    return {keras.saving.get_registered_name(KerasSchedule): KerasSchedule}


def keras_curve(schedule, steps):
    """A Keras schedule (or a course schedule, through :func:`to_keras`) at every step, in one
    call: a float64 array shaped like ``steps`` (numbers >= 0, at most ``MAX_STEPS`` = 1,000,000).

    Whole steps are passed as int64, like an optimizer's ``iterations``. A :class:`KerasSchedule`
    is elementwise and takes all the steps at once; any other schedule (Keras's ``CosineDecay``
    with a warmup takes one step at a time) goes through ``keras.ops.vectorized_map``, traced as
    in training. Traced, Keras's float32 staircases can drop one step late: ``floor(step / d)``
    may become ``floor(step * (1 / d))``.
    """
    schedule = to_keras(schedule)
    steps = core._steps(steps, "steps")
    flat = steps.ravel()
    if flat.size == 0:
        return np.zeros(steps.shape)
    whole = np.all(flat == np.round(flat)) and flat.max() < 2**53
    tensor = keras.ops.convert_to_tensor(flat.astype("int64") if whole else flat)
    if isinstance(schedule, KerasSchedule):
        values = schedule(tensor)
    else:
        tf_logger = logging.getLogger("tensorflow")  # one trace per call: no retracing warning
        level = tf_logger.level
        tf_logger.setLevel(logging.ERROR)
        try:
            values = keras.ops.vectorized_map(schedule, tensor)
        finally:
            tf_logger.setLevel(level)
    return np.asarray(keras.ops.convert_to_numpy(values), dtype=float).reshape(steps.shape)


def _check_now(step):
    """Check a step that has a value now as the NumPy schedule does; a traced one cannot be."""
    plain = step is None or isinstance(
        step, numbers.Number | str | bytes | list | tuple | np.ndarray
    )
    if not plain:
        if keras.backend.backend() != "tensorflow":  # other backends: only plain steps checked
            return
        import tensorflow as tf

        if not tf.executing_eagerly():
            return
        try:
            step = tf.convert_to_tensor(step).numpy()  # a tensor or a Variable
        except (TypeError, ValueError):
            raise ValueError(f"step must be a number, got {_checks._brief(step)}") from None
    core._steps(step)
