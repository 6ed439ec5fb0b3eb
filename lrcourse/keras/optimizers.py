"""The hand-written optimizers of :mod:`lrcourse.optimizers` checked against ``keras.optimizers``.

``keras_equivalent(opt)`` builds the Keras optimizer with the same rule and hyperparameters;
``compare_with_keras(opt, grads_sequence, params0)`` feeds both the same gradients, step by step,
in float32; ``compare_on_function(opt, grad_fn, x0, steps)`` lets each follow the gradient at its
own point on a landscape. Both return a :class:`Comparison`: print it for the largest gap.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse._setup import quiet_tensorflow
from lrcourse.optimizers import OPTIMIZERS, Optimizer

quiet_tensorflow()  # before TensorFlow is first imported, or its C++ logs reach the notebook
_random_state = random.getstate()  # importing TensorFlow draws from Python's generator
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # TensorFlow's own deprecation notes at import
    import keras
random.setstate(_random_state)


def keras_equivalent(opt):
    """The ``keras.optimizers`` object with the same rule and hyperparameters as ``opt``.

    A float learning rate or a Keras ``LearningRateSchedule`` is passed as it is, a schedule of
    :mod:`lrcourse.schedules` becomes its Keras twin, and any other callable of the step is
    wrapped in a Keras schedule that calls it with the step number.
    """
    if not isinstance(opt, Optimizer):
        raise ValueError(f"opt must be an lrcourse optimizer (lrcourse.optimizers), got {opt!r}")
    config = opt.get_config()
    if config.pop("epsilon_placement", "keras") != "keras":
        raise ValueError(
            f"epsilon_placement must be 'keras' to have a Keras equivalent; {opt!r} is the "
            "paper's form, which Keras does not implement"
        )
    if opt.name.lower() not in OPTIMIZERS:
        raise ValueError(f"opt must be one of lrcourse.optimizers.OPTIMIZERS, got {opt!r}")
    config["learning_rate"] = _keras_learning_rate(opt.learning_rate)
    return getattr(keras.optimizers, opt.name)(**config)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two trajectories from the same start: ``ours[k]`` and ``keras[k]`` after ``k`` updates.

    ``max_abs_diff`` is the largest ``|ours - keras|`` over all steps and coordinates;
    ``max_rel_diff`` divides it by the largest distance Keras moved from the start, so a run
    whose parameters barely move is judged against how far they moved, not how large they are.
    """

    ours: np.ndarray
    keras: np.ndarray
    max_abs_diff: float
    max_rel_diff: float

    def __post_init__(self):  # made by the comparisons below: this only guards against mix-ups
        ours = _checks.numeric("ours", self.ours, finite=False, max_size=np.inf)
        theirs = _checks.numeric("keras", self.keras, finite=False, max_size=np.inf)
        if ours.ndim < 1 or not len(ours) or theirs.shape != ours.shape:
            raise ValueError(
                f"ours and keras must be paths of one shape (steps + 1, ...), got {ours.shape} "
                f"and {theirs.shape}"
            )
        for name in ("max_abs_diff", "max_rel_diff"):
            value = getattr(self, name)
            try:  # inf and nan are differences too: those of a run that diverged
                ok = _checks._is_number(value) and not float(value) < 0
            except OverflowError:  # an int too large for a float
                ok = False
            if not ok:
                raise ValueError(f"{name} must be a number >= 0 (or inf, or nan), got {value!r}")

    @property
    def steps(self):
        return len(self.ours) - 1

    def __str__(self):
        return (
            f"{self.steps} steps: max |ours - keras| = {self.max_abs_diff:.3g} "
            f"(relative to the distance travelled: {self.max_rel_diff:.3g})"
        )

    __repr__ = __str__


def compare_with_keras(opt, grads_sequence, params0, *, keras_optimizer=None):
    """Feed the same gradients to ``opt`` and to its Keras twin, step by step, in float32.

    grads_sequence: finite numbers of shape ``(steps, *params0.shape)``, the gradient of each
        update; at most ``lrcourse._checks.MAX_STEPS`` (a million) numbers in all.
    params0: the finite starting point.
    keras_optimizer: a fresh ``keras.optimizers`` object to compare with; by default
        ``keras_equivalent(opt)``.
    Returns a :class:`Comparison`; ``print`` it for the max difference.
    """
    _optimizer(opt)
    params0 = _start("params0", params0)
    grads = _float32("grads_sequence", grads_sequence)
    if grads.ndim == 0 or grads.shape[1:] != params0.shape or not len(grads):
        raise ValueError(
            f"grads_sequence must have shape (steps >= 1, *{params0.shape}), got {grads.shape}"
        )
    return _compare(opt, lambda step, x: grads[step], params0, len(grads), keras_optimizer)


def compare_on_function(opt, grad_fn, x0, steps, *, keras_optimizer=None):
    """Run ``opt`` and its Keras twin on a landscape, each following the gradient at its own point.

    grad_fn: a function of a float32 point returning the gradient there (``landscape.grad``).
    steps: the number of updates, 1 to ``lrcourse._checks.MAX_STEPS`` (a million).
    Small float32 differences can grow along the way where the landscape amplifies them, so
    compare on a landscape after checking on a fixed gradient sequence.
    """
    _optimizer(opt)
    grad_fn = _checks.function("grad_fn", grad_fn)
    x0 = _start("x0", x0)
    steps = _checks.count("steps", steps)

    def gradient(step, x):
        g = grad_fn(x)
        try:
            g = np.asarray(g, dtype=np.float32)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"grad_fn must return numbers, got {g!r}") from None
        if g.shape != x0.shape:
            raise ValueError(f"grad_fn must return the shape of x0 {x0.shape}, got {g.shape}")
        return g

    return _compare(opt, gradient, x0, steps, keras_optimizer)


def _compare(opt, gradient, params0, steps, keras_optimizer):
    if keras_optimizer is None:
        keras_optimizer = keras_equivalent(opt)
    elif not isinstance(keras_optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"keras_optimizer must be a keras optimizer, got {keras_optimizer!r}")
    elif keras_optimizer.built or int(keras_optimizer.iterations) != 0:
        raise ValueError("keras_optimizer must be fresh (never used): build a new one")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x, state, ours = params0, opt.init(params0), [params0]
        for step in range(steps):
            x, state = opt.update(x, gradient(step, x), state)
            ours.append(x)
        theirs = _run_keras(keras_optimizer, gradient, params0, steps)
        ours = np.array(ours)
        diff = np.abs(ours - theirs)
        diff[(ours == theirs) | (np.isnan(ours) & np.isnan(theirs))] = 0.0  # same inf or nan
        # TensorFlow flushes subnormal float32 numbers to zero on the CPU, NumPy keeps them.
        diff[diff < np.finfo(np.float32).tiny] = 0.0
        max_abs = float(np.max(diff))
        travelled = float(np.max(np.abs(theirs - params0)))
    if max_abs == 0:
        max_rel = 0.0
    else:
        max_rel = max_abs / travelled if travelled > 0 else float("inf")
    return Comparison(ours, theirs, max_abs, max_rel)


def _run_keras(optimizer, gradient, params0, steps):
    """Keras's path: ``optimizer.apply`` on a float32 ``keras.Variable``, one step at a time."""
    variable = keras.Variable(params0, dtype="float32")
    if keras.backend.backend() == "tensorflow":
        return _run_tensorflow(optimizer, variable, gradient, params0, steps)
    path = [params0]
    for step in range(steps):
        optimizer.apply([np.asarray(gradient(step, path[-1]), np.float32)], [variable])
        path.append(np.array(variable.numpy()))
    return np.array(path)


def _run_tensorflow(optimizer, variable, gradient, params0, steps):
    """The same loop as one TensorFlow graph, twenty times faster; NumPy still computes each
    gradient, at the variable's current value.

    TensorFlow's graph optimizer rewrites arithmetic (``x / sqrt(y)`` becomes ``x * rsqrt(y)``,
    constants are folded), which moves the last bits: it is switched off meanwhile, so the graph
    computes exactly what Keras's update rule says, as eager execution does.
    """
    import tensorflow as tf

    def gradient_at(step, x):
        return np.asarray(gradient(int(step), x), np.float32)

    @tf.function
    def run():
        path = tf.TensorArray(tf.float32, size=steps)
        for step in tf.range(steps):
            g = tf.numpy_function(gradient_at, [step, variable.value], tf.float32)
            optimizer.apply([tf.reshape(g, variable.shape)], [variable])
            path = path.write(step, variable.value)
        return path.stack()

    optimizer.build([variable])  # its slots must exist before the loop
    options = tf.config.optimizer.get_experimental_options()
    logger, level = tf.get_logger(), tf.get_logger().level  # no "retracing" notes in notebooks
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    logger.setLevel("ERROR")
    try:
        path = run().numpy()
    finally:
        tf.config.optimizer.set_experimental_options(
            {"disable_meta_optimizer": options.get("disable_meta_optimizer", False)}
        )
        logger.setLevel(level)
    return np.concatenate([params0[None], path])


class _StepFunctionSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Python function of the step as a Keras schedule (it runs outside the graph)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, step):
        if keras.backend.backend() != "tensorflow":
            return float(self.fn(int(step)))
        import tensorflow as tf

        def rate(s):
            return np.float32(self.fn(int(s)))

        return tf.reshape(tf.numpy_function(rate, [step], tf.float32, stateful=False), [])

    def get_config(self):
        return {"fn": self.fn}


def _keras_learning_rate(lr):
    if not callable(lr) or isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        return lr
    if callable(getattr(lr, "to_keras", None)):  # a schedule that knows its Keras twin
        return lr.to_keras()
    twin = _lrcourse_twin(lr)
    return twin if twin is not None else _StepFunctionSchedule(lr)


def _lrcourse_twin(lr):
    """The Keras form of a schedule of :mod:`lrcourse.schedules`, None for other callables."""
    from lrcourse import schedules

    base = getattr(schedules, "Schedule", None)
    if base is None or not isinstance(lr, base):
        return None
    from lrcourse.keras.schedules import to_keras

    return to_keras(lr)


def _optimizer(opt):
    if not isinstance(opt, Optimizer):
        raise ValueError(f"opt must be an lrcourse optimizer (lrcourse.optimizers), got {opt!r}")


def _float32(name, value):
    """Finite numbers that a float32 holds (the comparison runs in float32), as float32."""
    arr = _checks.numeric(name, value)
    if arr.size and np.abs(arr).max() > np.finfo(np.float32).max:
        raise ValueError(f"{name} must fit in float32 (|x| <= 3.4e38), got {_checks._brief(value)}")
    return arr.astype(np.float32)


def _start(name, value):
    arr = _float32(name, value)
    if not arr.size:
        raise ValueError(f"{name} must hold at least one number, got an empty array")
    return arr
