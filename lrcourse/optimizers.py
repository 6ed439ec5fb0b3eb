"""Optimizers written by hand in NumPy, one small interface, state explicit.

Every optimizer is an object holding its hyperparameters and two methods::

    state = opt.init(params)                          # a dict: arrays like params, "iterations"
    params, state = opt.update(params, grads, state)  # pure: inputs are not modified

The rules follow Keras 3 (``keras.optimizers``) by default, defaults included, so every one can be
checked against TensorFlow with :func:`compare_with_keras`. ``learning_rate`` is a number or a
schedule: any callable of the step (0 for the first update, like Keras's ``optimizer.iterations``).
Updates are elementwise, so ``params`` may hold many independent points at once (shape ``(n, 2)``
runs n starts together). Arithmetic follows the dtype of ``params``: with float32 arrays the
updates repeat Keras's float32 operations in the same order, so the two agree to the last bit.

Where a paper writes the method differently, the paper's form is one argument or one classmethod
away: ``Adam.paper()`` (Algorithm 1), ``Adagrad.paper()`` (Duchi et al.), ``Adadelta.paper()``
(Zeiler, no learning rate). ``get("adam", learning_rate=0.01)`` builds one by name and
``OPTIMIZERS`` lists them all.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks

EPSILON_PLACEMENTS = ("keras", "paper")


class Optimizer:
    """Base class: hyperparameter checks, the learning rate at a step, and the update contract.

    A subclass names its state arrays in ``slots`` (zeros at the start) and writes one update in
    ``_step(w, g, state, lr, step)``, returning the new parameters and the new slot arrays.
    """

    name = "optimizer"
    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate):
        self.learning_rate = _learning_rate(learning_rate)

    def learning_rate_at(self, step):
        """The learning rate used by update number ``step`` (0-based, as Keras counts)."""
        lr = self.learning_rate
        if not callable(lr):
            return lr
        value = float(lr(step))
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"learning_rate({step}) must be a finite number >= 0, got {value!r}")
        return value

    def init(self, params):
        """The state before the first update: zeros shaped like ``params`` and ``iterations`` 0."""
        params = _params(params)
        return {"iterations": 0, **{k: np.zeros_like(params) for k in self.slots}}

    def update(self, params, grads, state):
        """One step: returns ``(new_params, new_state)`` and leaves the inputs untouched."""
        params, grads = _params(params), _grads(grads, params)
        step = state["iterations"]
        lr = params.dtype.type(self.learning_rate_at(step))
        # A diverging run is reported by the caller; inf and nan simply flow through here.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            new_params, new_slots = self._step(params, grads, state, lr, step)
        return new_params, {**state, **new_slots, "iterations": step + 1}

    def _step(self, w, g, state, lr, step):
        raise NotImplementedError

    def get_config(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (Keras keeps the learning rate in the velocity).

    ``v = momentum * v - lr * g;  w = w + v``; Nesterov: ``w = w + momentum * v - lr * g``.
    """

    name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = _checks.number("momentum", momentum, low=0, high=1, high_open=True)
        self.nesterov = bool(nesterov)

    @property
    def slots(self):
        return ("velocity",) if self.momentum else ()

    def _step(self, w, g, state, lr, step):
        if not self.momentum:
            return w - lr * g, {}
        mu = w.dtype.type(self.momentum)
        v = mu * state["velocity"] - lr * g
        if self.nesterov:
            return w + (mu * v - lr * g), {"velocity": v}
        return w + v, {"velocity": v}


class Adagrad(Optimizer):
    """Adagrad: each parameter's step shrinks with the sum of its squared gradients so far.

    Keras (default)::

        accumulator = accumulator + g**2             # starts at initial_accumulator_value (0.1)
        w = w - lr * g / sqrt(accumulator + epsilon)

    ``epsilon_placement="paper"`` (Duchi, Hazan & Singer 2011) adds epsilon (the paper's delta)
    outside the square root: ``w = w - lr * g / (epsilon + sqrt(accumulator))``;
    :meth:`Adagrad.paper` also starts the accumulator at 0 as the paper does.
    """

    name = "Adagrad"
    slots = ("accumulator",)

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        epsilon_placement="keras",
    ):
        super().__init__(learning_rate)
        self.initial_accumulator_value = _checks.non_negative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = _checks.positive("epsilon", epsilon)
        self.epsilon_placement = _checks.choice(
            "epsilon_placement", epsilon_placement, EPSILON_PLACEMENTS
        )

    @classmethod
    def paper(cls, learning_rate=0.001, epsilon=1e-7):
        """The paper's form (Duchi et al.): accumulator from 0, epsilon outside the square root.

        ``accumulator = accumulator + g**2;  w = w - lr * g / (epsilon + sqrt(accumulator))``
        """
        return cls(learning_rate, 0.0, epsilon, epsilon_placement="paper")

    def init(self, params):
        state = super().init(params)
        state["accumulator"] = state["accumulator"] + self.initial_accumulator_value
        return state

    def _step(self, w, g, state, lr, step):
        acc = state["accumulator"] + g * g
        if self.epsilon_placement == "keras":
            w = w - lr * g / np.sqrt(acc + self.epsilon)
        else:
            w = w - lr * g / (self.epsilon + np.sqrt(acc))
        return w, {"accumulator": acc}


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a moving root mean square of recent gradients.

    ::

        mean_square = rho * mean_square + (1 - rho) * g**2
        increment = lr * g / sqrt(mean_square + epsilon)          # Keras: epsilon inside the sqrt
        w = w - increment

    ``centered=True`` also tracks ``mean_grad = rho * mean_grad + (1 - rho) * g`` and divides by
    ``sqrt(mean_square - mean_grad**2 + epsilon)`` (an estimate of the variance, not the raw second
    moment). ``momentum > 0`` accumulates the steps: ``v = momentum * v - increment;  w = w + v``.
    Hinton's lecture 6e has rho 0.9 and no epsilon; PyTorch puts epsilon outside the sqrt.
    """

    name = "RMSprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
        super().__init__(learning_rate)
        self.rho = _checks.number("rho", rho, low=0, high=1)
        self.momentum = _checks.number("momentum", momentum, low=0, high=1, high_open=True)
        self.epsilon = _checks.positive("epsilon", epsilon)
        self.centered = bool(centered)

    @property
    def slots(self):
        names = ["mean_square"]
        if self.centered:
            names.append("mean_grad")
        if self.momentum:
            names.append("velocity")
        return tuple(names)

    def _step(self, w, g, state, lr, step):
        rho = self.rho
        new = {"mean_square": rho * state["mean_square"] + (1 - rho) * (g * g)}
        if self.centered:
            new["mean_grad"] = rho * state["mean_grad"] + (1 - rho) * g
            denominator = new["mean_square"] - new["mean_grad"] ** 2 + self.epsilon
        else:
            denominator = new["mean_square"] + self.epsilon
        increment = lr * g / np.sqrt(denominator)
        if not self.momentum:
            return w - increment, new
        new["velocity"] = self.momentum * state["velocity"] - increment
        return w + new["velocity"], new


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012): the step carries its own units, a ratio of two running RMS.

    ::

        mean_square_grad  = rho * mean_square_grad + (1 - rho) * g**2
        delta = -sqrt(mean_square_delta + epsilon) / sqrt(mean_square_grad + epsilon) * g
        mean_square_delta = rho * mean_square_delta + (1 - rho) * delta**2
        w = w + lr * delta

    The paper has no learning rate (``lr = 1``) and epsilon 1e-6: that is :meth:`Adadelta.paper`.
    Keras's default ``learning_rate=0.001`` makes every step a thousand times smaller than the
    paper's; its documentation recommends 1.0 to match the paper.
    """

    name = "Adadelta"
    slots = ("mean_square_grad", "mean_square_delta")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = _checks.number("rho", rho, low=0, high=1)
        self.epsilon = _checks.positive("epsilon", epsilon)

    @classmethod
    def paper(cls, rho=0.95, epsilon=1e-6):
        """Zeiler's Algorithm 1: no learning rate (it is 1) and epsilon 1e-6."""
        return cls(1.0, rho, epsilon)

    def _step(self, w, g, state, lr, step):
        rho, eps = self.rho, self.epsilon
        msg = rho * state["mean_square_grad"] + (1 - rho) * (g * g)
        delta = -(np.sqrt(state["mean_square_delta"] + eps) * g / np.sqrt(msg + eps))
        msd = rho * state["mean_square_delta"] + (1 - rho) * (delta * delta)
        return w + lr * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): momentum on the gradient, RMSprop on its scale, both debiased.

    With ``t = iterations + 1`` (the first update has t = 1)::

        m = m + (1 - beta_1) * (g - m)          # = beta_1 * m + (1 - beta_1) * g
        v = v + (1 - beta_2) * (g**2 - v)       # = beta_2 * v + (1 - beta_2) * g**2

    ``epsilon_placement="keras"`` (default, the paper's "efficient" form with epsilon-hat)::

        lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - lr_t * m / (sqrt(v) + epsilon)

    ``epsilon_placement="paper"`` (Algorithm 1; also PyTorch's form)::

        m_hat = m / (1 - beta_1**t);  v_hat = v / (1 - beta_2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    The two agree when ``epsilon_keras = epsilon_paper * sqrt(1 - beta_2**t)``: they differ only
    when gradients are tiny. :meth:`Adam.paper` is Algorithm 1 with its epsilon 1e-8.
    ``amsgrad=True`` (Reddi et al. 2018) divides by the largest ``v`` seen so far, ``v_max``.
    """

    name = "Adam"

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        epsilon_placement="keras",
    ):
        super().__init__(learning_rate)
        self.beta_1 = _checks.number("beta_1", beta_1, low=0, high=1, high_open=True)
        self.beta_2 = _checks.number("beta_2", beta_2, low=0, high=1, high_open=True)
        self.epsilon = _checks.positive("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)
        self.epsilon_placement = _checks.choice(
            "epsilon_placement", epsilon_placement, EPSILON_PLACEMENTS
        )

    @classmethod
    def paper(cls, learning_rate=0.001, epsilon=1e-8, **hyperparameters):
        """Algorithm 1 of the paper, its defaults included (epsilon 1e-8 on sqrt(v_hat)).

        Other hyperparameters (``beta_1``, ``beta_2``, ``amsgrad``, AdamW's ``weight_decay``) are
        passed on by name.
        """
        return cls(
            learning_rate=learning_rate,
            epsilon=epsilon,
            epsilon_placement="paper",
            **hyperparameters,
        )

    @property
    def slots(self):
        return ("m", "v") + ("v_max",) * self.amsgrad

    def _step(self, w, g, state, lr, step):
        # beta**t in the parameters' precision, as Keras computes it
        t = w.dtype.type(step + 1)
        beta_1_t, beta_2_t = w.dtype.type(self.beta_1) ** t, w.dtype.type(self.beta_2) ** t
        m = state["m"] + (g - state["m"]) * (1 - self.beta_1)
        v = state["v"] + (g * g - state["v"]) * (1 - self.beta_2)
        new = {"m": m, "v": v}
        if self.amsgrad:
            v = new["v_max"] = np.maximum(state["v_max"], v)
        if self.epsilon_placement == "keras":
            lr_t = lr * np.sqrt(1 - beta_2_t) / (1 - beta_1_t)
            return w - m * lr_t / (np.sqrt(v) + self.epsilon), new
        m_hat, v_hat = m / (1 - beta_1_t), v / (1 - beta_2_t)
        return w - lr * m_hat / (np.sqrt(v_hat) + self.epsilon), new


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): Adam plus weight decay kept out of the gradient.

    Each step first shrinks the weights, ``w = w - lr * weight_decay * w`` (Keras scales the decay
    by the learning rate), then takes the Adam step. Adding ``weight_decay * w`` to the gradient
    instead (L2 regularisation) would be divided by ``sqrt(v)`` like the rest: not the same thing.
    """

    name = "AdamW"

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        epsilon_placement="keras",
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, epsilon_placement)
        self.weight_decay = _checks.non_negative("weight_decay", weight_decay)

    def _step(self, w, g, state, lr, step):
        w = w - w * self.weight_decay * lr
        return super()._step(w, g, state, lr, step)


class Nadam(Optimizer):
    """Nadam (Dozat 2016): Adam with a Nesterov look-ahead on the momentum, as Keras 3 writes it.

    With ``t = iterations + 1``, a momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and
    ``u_product = u_1 * u_2 * ... * u_t`` (kept in the state)::

        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g**2 - v)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Keras 3 decays with ``0.96**t``; Dozat's paper and PyTorch use ``0.96**(0.004 * t)``, so
    their momentum schedule warms up 250 times more slowly.
    """

    name = "Nadam"
    slots = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _checks.number("beta_1", beta_1, low=0, high=1, high_open=True)
        self.beta_2 = _checks.number("beta_2", beta_2, low=0, high=1, high_open=True)
        self.epsilon = _checks.positive("epsilon", epsilon)

    def init(self, params):
        state = super().init(params)
        state["u_product"] = _params(params).dtype.type(1.0)
        return state

    def _step(self, w, g, state, lr, step):
        real = w.dtype.type  # Keras computes the schedule in the parameters' precision
        beta_1, beta_2, decay = real(self.beta_1), real(self.beta_2), real(0.96)
        t = real(step + 1)
        u_t = beta_1 * (1 - 0.5 * decay**t)
        u_next = beta_1 * (1 - 0.5 * decay ** (t + 1))
        u_product = state["u_product"] * beta_1 * (1 - 0.5 * decay**t)  # u_product * u_t
        m = state["m"] + (g - state["m"]) * (1 - beta_1)
        v = state["v"] + (g * g - state["v"]) * (1 - beta_2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        w = w - m_hat * lr / (np.sqrt(v_hat) + self.epsilon)
        return w, {"m": m, "v": v, "u_product": u_product}


#: Every optimizer by its lower-case name: ``for name, cls in OPTIMIZERS.items(): ...``
OPTIMIZERS = {
    cls.name.lower(): cls for cls in (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Nadam)
}


def get(name, **hyperparameters):
    """Build an optimizer by name: ``get("adam", learning_rate=0.01)`` (case does not matter)."""
    key = name.lower() if isinstance(name, str) else name
    return OPTIMIZERS[_checks.choice("name", key, tuple(OPTIMIZERS))](**hyperparameters)


# ---------------------------------------------------------------- checking against Keras


def keras_equivalent(opt):
    """The ``keras.optimizers`` object with the same rule and hyperparameters as ``opt``.

    A float learning rate or a Keras ``LearningRateSchedule`` is passed as it is, a schedule of
    :mod:`lrcourse.schedules` becomes its ``to_keras()`` twin, and any other callable of the step
    is wrapped in a Keras schedule that calls it with the step number.
    """
    keras = _keras()
    if not isinstance(opt, Optimizer):
        raise ValueError(f"opt must be an lrcourse optimizer, got {opt!r}")
    config = opt.get_config()
    if config.pop("epsilon_placement", "keras") != "keras":
        raise ValueError(
            f"epsilon_placement must be 'keras' to have a Keras equivalent; {opt!r} is the "
            "paper's form, which Keras does not implement"
        )
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

    grads_sequence: array of shape ``(steps, *params0.shape)``, the gradient of each update.
    keras_optimizer: a fresh ``keras.optimizers`` object to compare with; by default
        ``keras_equivalent(opt)``.
    Returns a :class:`Comparison`; ``print`` it for the max difference.
    """
    params0 = _float32("params0", params0)
    grads = _float32("grads_sequence", grads_sequence)
    if grads.ndim == 0 or grads.shape[1:] != params0.shape:
        raise ValueError(
            f"grads_sequence must have shape (steps, *{params0.shape}), got shape {grads.shape}"
        )
    return _compare(opt, lambda step, x: grads[step], params0, len(grads), keras_optimizer)


def compare_on_function(opt, grad_fn, x0, steps, *, keras_optimizer=None):
    """Run ``opt`` and its Keras twin on a landscape, each following the gradient at its own point.

    grad_fn: a function of a float32 point returning the gradient there (``landscape.grad``).
    Small float32 differences can grow along the way where the landscape amplifies them, so
    compare on a landscape after checking on a fixed gradient sequence.
    """
    x0 = _float32("x0", x0)
    steps = _checks.count("steps", steps)
    return _compare(opt, lambda step, x: grad_fn(x), x0, steps, keras_optimizer)


def _compare(opt, gradient, params0, steps, keras_optimizer):
    if keras_optimizer is None:
        keras_optimizer = keras_equivalent(opt)
    elif int(keras_optimizer.iterations) != 0:
        raise ValueError("keras_optimizer must be fresh (no update made yet): build a new one")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x, state, ours = params0, opt.init(params0), [params0]
        for step in range(steps):
            x, state = opt.update(x, np.asarray(gradient(step, x), np.float32), state)
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
    keras = _keras()
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


def _keras():
    from lrcourse._setup import quiet_tensorflow

    quiet_tensorflow()  # before TensorFlow is first imported, or its C++ logs reach the notebook
    import keras

    return keras


def _keras_learning_rate(lr):
    if not callable(lr):
        return lr
    import keras

    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        return lr
    if callable(getattr(lr, "to_keras", None)):  # a schedule of lrcourse.schedules
        return lr.to_keras()
    return _step_function_schedule()(lr)


@functools.cache
def _step_function_schedule():
    import keras

    class StepFunctionSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """A Python function of the step as a Keras schedule (runs outside the graph)."""

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

    return StepFunctionSchedule


# ---------------------------------------------------------------- argument checks


def _learning_rate(value):
    if callable(value):
        return value
    return _checks.number("learning_rate", value, low=0, low_open=True)


def _params(params):
    arr = np.asarray(params)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(float)
    return arr


def _grads(grads, params):
    g = np.asarray(grads, dtype=params.dtype)
    if g.shape != params.shape:
        raise ValueError(f"grads must have the shape of params {params.shape}, got shape {g.shape}")
    return g


def _float32(name, value):
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None


def _short(value):
    return f"{value:g}" if isinstance(value, float) else repr(value)
