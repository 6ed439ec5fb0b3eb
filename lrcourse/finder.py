"""The learning-rate range test: raise the rate every batch, watch the loss, read a rate off it.

One short training run whose rate grows exponentially, batch by batch, from ``min_rate`` to
``max_rate`` (:func:`exponential_rates`). Every batch's own loss is recorded (not a running mean
over the epoch), smoothed by a bias-corrected exponential moving average (:func:`debiased_average`),
and the run stops once the smoothed loss exceeds ``stop_factor`` times its lowest value or stops
being finite. The model is then put back exactly as it was: the test only looks.

:func:`range_test` drives any trainer; a trainer has three methods::

    saved = trainer.save()            # whatever restore needs
    loss = trainer.step(rate)         # one batch at this rate: its loss, before the update
    trainer.restore(saved)

:class:`NumpyTrainer` is one for the course's NumPy optimizers, and
``lrcourse.keras.finder.KerasTrainer`` one for any compiled Keras model.

Three rules read a rate off the smoothed curve (:data:`RULES`), after fastai's ``lr_find`` rules
``steep``, ``minimum`` and ``valley``: ``steepest`` (where the loss falls fastest per decade of
rate), ``minimum`` (the rate of the lowest loss, divided by ten) and ``valley`` (halfway along the
longest run of points over which the loss keeps falling, as fastai's code computes it; its
documentation says "about two thirds"). Like fastai, they skip the first tenth of the planned
steps (the average is still warming up) and the last five (the blow-up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse.optimizers import SGD, Optimizer

__all__ = [
    "RULES",
    "NumpyTrainer",
    "RangeTest",
    "debiased_average",
    "exponential_rates",
    "minimum",
    "range_test",
    "steepest",
    "valley",
]

SKIP_END = 5  # the last points of a curve that blew up: its rise, not its descent


def exponential_rates(min_rate=1e-7, max_rate=10.0, steps=100):
    """``steps`` rates growing by the same factor each step, from ``min_rate`` to ``max_rate``.

    The rate of step k (0-based) is ``min_rate * (max_rate / min_rate) ** (k / (steps - 1))``.
    """
    min_rate, max_rate, steps = _sweep(min_rate, max_rate, steps)
    low, high = np.log(min_rate), np.log(max_rate)  # in logs: max_rate / min_rate may overflow
    rates = np.exp(low + (high - low) * np.arange(steps) / (steps - 1))
    rates[0], rates[-1] = min_rate, max_rate
    return rates


def debiased_average(losses, beta=0.98):
    """The exponential moving average of ``losses``, divided by ``1 - beta**(k + 1)``.

    The average starts at zero, so early on it is too small; the division undoes exactly that
    (as Adam's bias correction does). A non-finite loss makes every later value non-finite.
    """
    losses = _checks.array("losses", losses, ndim=1, finite=False)
    beta = _checks.fraction("beta", beta)
    smoothed, average = np.empty(len(losses)), 0.0
    with np.errstate(all="ignore"):
        for k, loss in enumerate(losses):
            average = beta * average + (1 - beta) * loss
            smoothed[k] = average / (1 - beta ** (k + 1))
    return smoothed


# ------------------------------------------------------------------------------ the three rules


def steepest(rates, losses):
    """The rate where the loss falls fastest against log(rate): the most negative forward
    difference ``(loss[k+1] - loss[k]) / (log rate[k+1] - log rate[k])``, read at ``rate[k]``."""
    rates, losses = _curve(rates, losses, at_least=2)
    slopes = np.diff(losses) / np.diff(np.log(rates))
    return float(rates[np.argmin(slopes)])


def minimum(rates, losses):
    """A tenth of the rate at which the loss is lowest (one step back from the edge)."""
    rates, losses = _curve(rates, losses, at_least=1)
    return float(rates[np.argmin(losses)] / 10)


def valley(rates, losses):
    """fastai's "valley": the longest run of points over which the loss keeps falling (a longest
    decreasing subsequence, its start taken as its end minus its length), and the rate at
    ``start + int(third) + int(third / 2)`` with ``third = (end - start) / 3``: halfway along it
    (fastai's documentation says "about two thirds"; this is what its code computes)."""
    rates, losses = _curve(rates, losses, at_least=1)
    n = len(losses)
    run = np.ones(n, dtype=int)  # run[i]: the longest decreasing subsequence ending at i
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
            if run[end] < run[i]:
                end, start = i, i - run[i]
    third = (end - start) / 3
    return float(rates[start + int(third) + int(third / 2)])


RULES = {"steepest": steepest, "minimum": minimum, "valley": valley}


# ------------------------------------------------------------------------------ the test


@dataclass(frozen=True, eq=False)
class RangeTest:
    """What a range test recorded: ``rates[k]`` and the true ``losses[k]`` of batch k, their
    ``smoothed`` values, and why it stopped (``stopped``). ``planned`` steps were asked for."""

    rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped: str
    planned: int
    beta: float
    stop_factor: float

    def __post_init__(self):
        rates = _checks.array("rates", self.rates, ndim=1)
        if not len(rates) or np.any(rates <= 0) or np.any(np.diff(rates) <= 0):
            raise ValueError("rates must be one or more positive rates, increasing")
        for name in ("rates", "losses", "smoothed"):
            value = _checks.array(name, getattr(self, name), ndim=1, finite=name == "rates")
            if len(value) != len(self.rates):
                raise ValueError(f"{name} must hold one value per rate, got {len(value)}")
            object.__setattr__(self, name, value)
        if not isinstance(self.stopped, str):
            raise ValueError(f"stopped must be a string, got {_checks._brief(self.stopped)}")
        planned = _checks.count("planned", self.planned, minimum=len(self.rates), maximum=100_000)
        object.__setattr__(self, "planned", planned)
        object.__setattr__(self, "beta", _checks.fraction("beta", self.beta))
        factor = _checks.number("stop_factor", self.stop_factor, low=1, low_open=True)
        object.__setattr__(self, "stop_factor", factor)

    @property
    def steps(self):
        return len(self.rates)

    def curve(self):
        """The part of the smoothed curve the rules read: without the first tenth of the planned
        steps and the last ``SKIP_END`` points, and cut at the first non-finite value."""
        rates, smoothed = self.rates, self.smoothed
        finite = np.isfinite(smoothed)
        if not finite.all():
            rates, smoothed = rates[: finite.argmin()], smoothed[: finite.argmin()]
        rates, smoothed = (
            rates[self.planned // 10 : -SKIP_END],
            smoothed[self.planned // 10 : -SKIP_END],
        )
        if len(rates) < 3:
            raise ValueError(
                f"the range test stopped after {self.steps} of {self.planned} steps "
                f"({self.stopped}): too few points to read a rate from; start lower (min_rate) "
                "or take more steps"
            )
        return rates, smoothed

    def suggest(self, rule="valley"):
        """The rate ``rule`` (a name of :data:`RULES`) reads off the curve."""
        rule = _checks.choice("rule", rule, tuple(RULES))
        return RULES[rule](*self.curve())

    def suggestions(self):
        """``{rule: rate}`` for every rule of :data:`RULES`."""
        return {name: self.suggest(name) for name in RULES}

    def replay(self, *, beta=None, stop_factor=None):
        """The recorded batch losses read with another smoothing ``beta`` or ``stop_factor``
        (default: this test's): the test as it would have gone with them, as far as this one ran.

        The losses do not depend on either setting, only where the test stops does; a test that
        would have gone on stops where this recording ends.
        """
        beta = self.beta if beta is None else _checks.fraction("beta", beta)
        factor = (
            self.stop_factor
            if stop_factor is None
            else _checks.number("stop_factor", stop_factor, low=1, low_open=True)
        )
        smoothed = debiased_average(self.losses, beta)
        best, stopped, n = np.inf, None, self.steps
        with np.errstate(all="ignore"):
            for k, (value, rate) in enumerate(zip(smoothed, self.rates, strict=True)):
                best, stopped = _stop(value, best, factor, rate)
                if stopped:
                    n = k + 1
                    break
        if stopped is None:
            stopped = (
                self.stopped
                if self.stopped.startswith("reached max_rate")
                else f"the recording ends at rate {self.rates[-1]:.3g}"
            )
        return RangeTest(
            self.rates[:n], self.losses[:n], smoothed[:n], stopped, self.planned, beta, factor
        )

    def __repr__(self):
        return (
            f"RangeTest({self.steps} of {self.planned} steps, rates {self.rates[0]:.3g} to "
            f"{self.rates[-1]:.3g}; stopped: {self.stopped})"
        )


def range_test(trainer, *, min_rate=1e-7, max_rate=10.0, steps=100, beta=0.98, stop_factor=4.0):
    """Run the range test on ``trainer`` (see the module's docstring) and put it back as it was.

    min_rate < max_rate, both positive; steps: 10 to 100,000; beta in [0, 1); stop_factor > 1.
    Stops early when the smoothed loss exceeds ``stop_factor`` times its lowest value so far or
    is not finite. Returns a :class:`RangeTest`.
    """
    for method in ("save", "step", "restore"):
        if not callable(getattr(trainer, method, None)):
            raise TypeError(
                f"trainer must have save(), step(rate) and restore(saved) methods (e.g. a "
                f"NumpyTrainer or a KerasTrainer), got {_checks._brief(trainer)}"
            )
    planned = exponential_rates(min_rate, max_rate, steps)
    beta = _checks.fraction("beta", beta)
    stop_factor = _checks.number("stop_factor", stop_factor, low=1, low_open=True)
    losses, smoothed, average, best = [], [], 0.0, np.inf
    stopped = f"reached max_rate {planned[-1]:g}"
    saved = trainer.save()
    try:
        with np.errstate(all="ignore"):
            for k, rate in enumerate(planned):
                loss = float(trainer.step(float(rate)))
                average = beta * average + (1 - beta) * loss
                losses.append(loss)
                smoothed.append(average / (1 - beta ** (k + 1)))
                best, why = _stop(smoothed[-1], best, stop_factor, rate)
                if why:
                    stopped = why
                    break
    finally:
        trainer.restore(saved)
    n = len(losses)
    return RangeTest(
        planned[:n], np.array(losses), np.array(smoothed), stopped, steps, beta, stop_factor
    )


def _stop(smoothed, best, stop_factor, rate):
    """``(best so far, why the test stops here or None)`` after one smoothed loss."""
    if not np.isfinite(smoothed):
        return best, f"the loss was not finite at rate {rate:.3g}"
    best = min(best, smoothed)
    if smoothed > stop_factor * best:
        return best, f"the smoothed loss passed {stop_factor:g} x its minimum at rate {rate:.3g}"
    return best, None


class _Batches:
    """What every trainer feeds: full batches of ``x``, ``y`` (checked here), in a new order
    every epoch drawn from ``np.random.default_rng(seed)``, restarted by :meth:`_restart`."""

    def _data(self, x, y, batch_size, seed, *, min_ndim, max_size):
        self.x = _checks.array("x", x, max_size=max_size)
        self.y = np.asarray(y)
        if self.x.ndim < min_ndim or self.y.shape[:1] != self.x.shape[:1]:
            raise ValueError(
                f"y must hold one target per row of x, got shapes {self.y.shape} and {self.x.shape}"
            )
        self.batch_size = _checks.count("batch_size", batch_size, maximum=len(self.x))
        self.seed = _checks.count("seed", seed, minimum=0, maximum=2**32 - 1)
        self._restart()

    def _restart(self):
        self._rng, self._order = np.random.default_rng(self.seed), np.empty(0, dtype=int)

    def _next_batch(self):
        if len(self._order) < self.batch_size:  # a new epoch, in a new order; full batches only
            self._order = self._rng.permutation(len(self.x))
        rows, self._order = self._order[: self.batch_size], self._order[self.batch_size :]
        return self.x[rows], self.y[rows]


class NumpyTrainer(_Batches):
    """A range-test trainer for the course's NumPy optimizers (the uniform ``init``/``update``).

    loss_and_gradient(params, x, y) -> (loss, gradient); params: the starting parameters (never
    modified: the rules return new arrays); x, y: the training data; optimizer: an
    :class:`lrcourse.optimizers.Optimizer` (default plain SGD; its own learning rate is ignored:
    the test sets one per step); batch_size: 1 to len(x), full batches only, in a new seeded order
    every epoch. After a test, ``params`` is where it started.
    """

    def __init__(self, loss_and_gradient, params, x, y, *, optimizer=None, batch_size=32, seed=0):
        if not callable(loss_and_gradient):
            raise TypeError(
                f"loss_and_gradient must be callable, got {_checks._brief(loss_and_gradient)}"
            )
        self.loss_and_gradient = loss_and_gradient
        self.params = _checks.float_array("params", params)
        if not np.all(np.isfinite(self.params)):
            raise ValueError("params must be finite numbers")
        optimizer = SGD() if optimizer is None else optimizer
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "optimizer must be an lrcourse.optimizers optimizer, got "
                f"{_checks._brief(optimizer)}"
            )
        self.optimizer = optimizer
        self._data(x, y, batch_size, seed, min_ndim=1, max_size=_checks.MAX_STEPS)
        self.save()

    def save(self):
        """Start afresh (first batch order, fresh optimizer state); what :meth:`restore` needs."""
        self._restart()
        self._state = self.optimizer.init(self.params)
        return self.params, self.optimizer.learning_rate

    def step(self, rate):
        """Train one batch at ``rate`` (>= 0); the batch's loss before the update."""
        rate = _checks.non_negative("rate", rate)
        x, y = self._next_batch()
        self.optimizer.learning_rate = rate
        loss, grad = self.loss_and_gradient(self.params, x, y)
        self.params, self._state = self.optimizer.update(self.params, grad, self._state)
        return loss

    def restore(self, saved):
        """Put back what :meth:`save` returned."""
        if not (isinstance(saved, tuple) and len(saved) == 2):
            raise ValueError(f"saved must be what save() returned, got {_checks._brief(saved)}")
        self.params = _checks.float_array("saved", saved[0], self.params)
        self.optimizer.learning_rate = saved[1]


def _sweep(min_rate, max_rate, steps):
    min_rate = _checks.positive("min_rate", min_rate)
    max_rate = _checks.positive("max_rate", max_rate)
    if not min_rate < max_rate:
        raise ValueError(
            f"min_rate must be smaller than max_rate, got {min_rate:g} >= {max_rate:g}"
        )
    return min_rate, max_rate, _checks.count("steps", steps, minimum=10, maximum=100_000)


def _curve(rates, losses, *, at_least):
    rates = _checks.array("rates", rates, ndim=1)
    losses = _checks.array("losses", losses, ndim=1)
    if len(rates) != len(losses) or len(rates) < at_least:
        raise ValueError(
            f"rates and losses must be two curves of the same length, at least {at_least}, "
            f"got {len(rates)} and {len(losses)}"
        )
    if np.any(rates <= 0) or np.any(np.diff(rates) <= 0):
        raise ValueError("rates must be positive and increasing")
    return rates, losses
