"""ReduceLROnPlateau written by hand, step for step as Keras 3 does it, to replay a loss trace.

At the end of every epoch Keras's callback looks at the monitored value (a validation loss, say)::

    if cooldown_counter > 0:                     # just reduced: rest a while
        cooldown_counter -= 1; wait = 0
    if current + min_delta < best:               # an improvement by more than min_delta (absolute)
        best = current; wait = 0
    elif cooldown_counter == 0:
        wait += 1
        if wait >= patience and lr > min_lr:     # the patience-th bad epoch in a row
            lr = max(lr * factor, min_lr); cooldown_counter = cooldown; wait = 0

The first value always counts as an improvement; ``mode="max"`` flips the comparison
(``current - min_delta > best``). The new rate applies from the NEXT epoch. Keras keeps the rate in
a float32 variable and compares the monitored values as float32 numbers; ``dtype="float32"`` (the
default) does the same, so a replay matches Keras exactly; ``dtype="float64"`` uses plain doubles.
Torch's ReduceLROnPlateau differs: it reduces on the (patience + 1)-th bad epoch and its threshold
is relative by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks

__all__ = ["PlateauResult", "ReduceLROnPlateau", "replay_plateau"]


class ReduceLROnPlateau:
    """The state machine of ``keras.callbacks.ReduceLROnPlateau``, without Keras.

    Call :meth:`update` once per epoch with the monitored value; ``learning_rate`` is the rate the
    next epoch will use. ``wait``, ``cooldown_counter`` and ``best`` are Keras's own counters.

    Allowed: ``learning_rate`` > 0, ``factor`` in (0, 1), ``patience`` and ``cooldown`` whole
    numbers of epochs (0 to 1,000,000), ``min_delta`` and ``min_lr`` >= 0, ``mode`` "min" or
    "max", ``dtype`` "float32" or "float64" (with float32 the rates must fit in a float32).
    """

    def __init__(
        self,
        learning_rate,
        factor=0.1,
        patience=10,
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        mode="min",
        dtype="float32",
    ):
        self.dtype = _checks.choice("dtype", dtype, ("float32", "float64"))
        largest = float(np.finfo(np.float32).max) if self.dtype == "float32" else None
        self.factor = _checks.number("factor", factor, low=0, high=1, low_open=True, high_open=True)
        self.patience = _checks.count("patience", patience, minimum=0)
        self.min_delta = _checks.non_negative("min_delta", min_delta)
        self.cooldown = _checks.count("cooldown", cooldown, minimum=0)
        self.min_lr = _checks.number("min_lr", min_lr, low=0, high=largest)
        self.mode = _checks.choice("mode", mode, ("min", "max"))
        self.initial_learning_rate = _checks.number(
            "learning_rate", learning_rate, low=0, high=largest, low_open=True
        )
        self.reset()

    def reset(self):
        """Back to the start of training (Keras does this in ``on_train_begin``)."""
        self.learning_rate = self._store(self.initial_learning_rate)
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def update(self, current):
        """Process one epoch's monitored value (a number; nan and inf behave as in Keras);
        return True when the rate was reduced."""
        current = _monitored(current)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self.learning_rate > self._store(self.min_lr):
                self.learning_rate = self._store(max(self.learning_rate * self.factor, self.min_lr))
                self.cooldown_counter = self.cooldown
                self.wait = 0
                return True
        return False

    def _is_improvement(self, current):
        if self.best is None:
            return True
        if self.mode == "min":  # Keras: less(current - (-min_delta), best)
            return self._compare(current + self.min_delta) < self._compare(self.best)
        return self._compare(current - self.min_delta) > self._compare(self.best)

    def _compare(self, value):
        if self.dtype == "float64":
            return value
        with np.errstate(over="ignore"):  # a huge loss becomes inf in float32, as in Keras
            return np.float32(value)

    def _store(self, value):
        if self.dtype == "float64":
            return float(value)
        with np.errstate(over="ignore"):
            return float(np.float32(value))

    def get_config(self):
        return {
            "learning_rate": self.initial_learning_rate,
            "factor": self.factor,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "cooldown": self.cooldown,
            "min_lr": self.min_lr,
            "mode": self.mode,
            "dtype": self.dtype,
        }

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"ReduceLROnPlateau({args})"


@dataclass(frozen=True)
class PlateauResult:
    """A replayed run, one entry per epoch (epochs counted from 0).

    ``learning_rates[e]`` is the rate used DURING epoch e (what Keras logs as
    ``history["learning_rate"]``); ``reductions`` lists the epochs at whose end the rate was cut
    (so it changes from epoch ``e + 1``); ``final_learning_rate`` is the rate after the last epoch.
    ``best``, ``wait`` and ``cooldown`` are the counters after each epoch, for plotting.
    """

    losses: np.ndarray
    learning_rates: np.ndarray
    reductions: tuple[int, ...]
    final_learning_rate: float
    best: np.ndarray
    wait: np.ndarray
    cooldown: np.ndarray

    def __post_init__(self):  # made by replay_plateau: this only guards against mix-ups
        n = len(_trace(self.losses))
        for name in ("learning_rates", "best", "wait", "cooldown"):
            if len(_checks.numeric(name, getattr(self, name), ndim=1, finite=name != "best")) != n:
                raise ValueError(f"{name} must hold one value per epoch, as losses does ({n})")
        for epoch in _checks.sequence("reductions", self.reductions):
            _checks.count("reductions", epoch, minimum=0, maximum=n - 1)
        _checks.non_negative("final_learning_rate", self.final_learning_rate)


def replay_plateau(
    losses,
    learning_rate,
    factor=0.1,
    patience=10,
    min_delta=1e-4,
    cooldown=0,
    min_lr=0.0,
    mode="min",
    dtype="float32",
):
    """Replay ReduceLROnPlateau on a trace of monitored values (one per epoch).

    Returns a :class:`PlateauResult`. NaN or inf values are allowed and behave as in Keras (a NaN
    never counts as an improvement, except as the very first value). At most 1,000,000 epochs;
    the other arguments are :class:`ReduceLROnPlateau`'s.
    """
    plateau = ReduceLROnPlateau(
        learning_rate, factor, patience, min_delta, cooldown, min_lr, mode, dtype
    )
    values = _trace(losses)
    rates, reductions, best, wait, cool = [], [], [], [], []
    for epoch, value in enumerate(values):
        rates.append(plateau.learning_rate)
        if plateau.update(value):
            reductions.append(epoch)
        best.append(plateau.best)
        wait.append(plateau.wait)
        cool.append(plateau.cooldown_counter)
    return PlateauResult(
        losses=values,
        learning_rates=np.array(rates, dtype=float),
        reductions=tuple(reductions),
        final_learning_rate=plateau.learning_rate,
        best=np.array(best, dtype=float),
        wait=np.array(wait, dtype=int),
        cooldown=np.array(cool, dtype=int),
    )


def _monitored(value):
    if not _checks._is_number(value):
        brief = _checks._brief(value)
        raise ValueError(f"current must be a number (nan and inf allowed), got {brief}")
    try:
        return float(value)
    except OverflowError:  # an int such as 10**400: Keras could not take it either
        raise ValueError(f"current must fit in a float, got {_checks._brief(value)}") from None


def _trace(losses):
    """One monitored value per epoch: a non-empty list of numbers (nan and inf allowed)."""
    values = _checks.numeric("losses", losses, finite=False)
    if values.ndim != 1 or not values.size:
        brief = _checks._brief(losses)
        raise ValueError(f"losses must be a non-empty list of numbers, one per epoch, got {brief}")
    return values
