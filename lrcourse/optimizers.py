"""Optimizers written by hand in NumPy, one small interface, state explicit.

Every optimizer is an object holding its hyperparameters and two methods::

    state = opt.init(params)                        # a dict: arrays shaped like params + "iterations"
    params, state = opt.update(params, grads, state)  # pure: inputs are not modified

The rules follow Keras 3 (``keras.optimizers``) by default, defaults included, so every one can be
checked against TensorFlow. ``learning_rate`` is a number or a schedule: any callable of the step
(0 for the first update, like Keras's ``optimizer.iterations``). Updates are elementwise, so
``params`` may hold many independent points at once (shape ``(n, 2)`` runs n starts together).
Arithmetic follows the dtype of ``params``: pass float32 arrays to mirror Keras bit for bit.
"""

from __future__ import annotations

import numpy as np

from lrcourse import _checks


class Optimizer:
    """Base class: hyperparameter checks, the learning rate at a step, and the update contract."""

    name = "optimizer"

    def __init__(self, learning_rate):
        self.learning_rate = _learning_rate(learning_rate)

    def learning_rate_at(self, step):
        """The learning rate used by update number ``step`` (0-based, as Keras counts)."""
        lr = self.learning_rate
        return float(lr(step)) if callable(lr) else lr

    def init(self, params):
        """The state before the first update: zeros shaped like ``params`` and ``iterations`` 0."""
        params = _params(params)
        return {"iterations": 0, **{k: np.zeros_like(params) for k in self.slots}}

    slots: tuple[str, ...] = ()

    def update(self, params, grads, state):
        params, grads = _params(params), _grads(grads, params)
        step = state["iterations"]
        lr = params.dtype.type(self.learning_rate_at(step))
        new_params, new_slots = self._step(params, grads, state, lr, step)
        return new_params, {**state, **new_slots, "iterations": step + 1}

    def _step(self, params, grads, state, lr, step):
        raise NotImplementedError

    def get_config(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (Keras keeps the learning rate inside the velocity).

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
            return w + mu * v - lr * g, {"velocity": v}
        return w + v, {"velocity": v}


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


def _short(value):
    return f"{value:g}" if isinstance(value, float) else repr(value)
