"""Gradient descent that records its path and stops cleanly when it diverges.

``descend(landscape, x0, learning_rate=0.1, steps=50)`` walks downhill with
``x <- x - learning_rate * grad f(x)`` and returns a :class:`Trajectory`. Pass ``optimizer=``
to walk with any optimizer of :mod:`lrcourse.optimizers` instead, and ``noise=`` to add Gaussian
noise to each gradient (a stand-in for the noise of mini-batches).

Every loop here is bounded: at most ``MAX_STEPS`` (1,000,000) updates in one call, counting every
run of a :func:`sweep` and every parallel run of :func:`noisy_descent`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse.landscapes import Landscape
from lrcourse.optimizers import SGD, Optimizer

#: A point this far from the origin has left the map: the run is stopped and called diverged.
ESCAPE_RADIUS = 1e6
MAX_STEPS = _checks.MAX_STEPS


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The path of one run: ``points[k]`` is the position after ``k`` updates.

    ``losses[k]`` is the loss there and ``learning_rates[k]`` the rate of update ``k`` (one fewer
    than points). ``diverged_at`` is the step at which the run was stopped (None if it was not) and
    ``reason`` says why; the point that gave up is not kept, so every point is finite.
    """

    points: np.ndarray
    losses: np.ndarray
    learning_rates: np.ndarray
    steps_requested: int
    diverged_at: int | None = None
    reason: str = ""

    def __post_init__(self):
        points = _checks.array("points", self.points, max_size=np.inf)
        losses = _checks.array("losses", self.losses, ndim=1, max_size=np.inf, finite=False)
        rates = _checks.array("learning_rates", self.learning_rates, ndim=1, max_size=np.inf)
        if points.ndim not in (1, 2) or len(points) != len(losses) or not len(points):
            raise ValueError(
                f"points must hold one point per loss (at least one), got shape {points.shape} "
                f"for {len(losses)} losses"
            )
        if len(rates) != len(points) - 1:
            raise ValueError(
                f"learning_rates must hold {len(points) - 1} rates (one per update), "
                f"got {len(rates)}"
            )
        _checks.count("steps_requested", self.steps_requested, minimum=len(points) - 1)
        if self.diverged_at is not None:
            _checks.count("diverged_at", self.diverged_at, minimum=0)
        if not isinstance(self.reason, str):
            raise ValueError(f"reason must be a string, got {self.reason!r}")
        for name, value in (("points", points), ("losses", losses), ("learning_rates", rates)):
            object.__setattr__(self, name, value)  # the dataclass is frozen

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def steps(self):
        """How many updates were made (fewer than requested when the run diverged)."""
        return len(self.points) - 1

    @property
    def final_point(self):
        return self.points[-1]

    @property
    def final_loss(self):
        return float(self.losses[-1])

    @property
    def message(self):
        if self.diverged:
            return f"diverged at step {self.diverged_at}: {self.reason}"
        return f"{self.steps} steps, final loss {self.final_loss:.4g}"

    def steps_to_reach(self, loss):
        """The first step whose loss is at or below ``loss``; None if it never gets there."""
        loss = _checks.number("loss", loss)
        hits = np.nonzero(self.losses <= loss)[0]
        return int(hits[0]) if len(hits) else None

    def steps_to_stay(self, loss):
        """The first step from which the loss stays at or below ``loss`` to the end of the run;
        None if the run ends above it (a run that dips below and bounces out does not count)."""
        loss = _checks.number("loss", loss)
        above = np.nonzero(~(self.losses <= loss))[0]  # a nan loss is not below anything
        if not len(above):
            return 0
        last_above = int(above[-1])
        return last_above + 1 if last_above + 1 < len(self.losses) else None

    def __repr__(self):
        return f"Trajectory({self.message})"


def descend(landscape, x0, learning_rate=0.1, steps=50, *, optimizer=None, noise=0.0, seed=0):
    """Run ``steps`` updates from ``x0`` on ``landscape`` and record the path.

    x0: the start, inside the landscape's domain (a number in 1-D, a pair ``[x, y]`` in 2-D).
    learning_rate: a positive number or a schedule (a callable of the 0-based step); ignored
        when ``optimizer`` is given.
    steps: how many updates, 1 to ``MAX_STEPS`` (1,000,000).
    optimizer: an :class:`lrcourse.optimizers.Optimizer`; the default is plain gradient descent.
    noise: standard deviation of Gaussian noise added to every gradient component (>= 0), drawn
        from ``numpy.random.default_rng(seed)`` (seed: an integer in [0, 2**32 - 1]).
    The run stops early, and says why, when the loss or the position stops being finite or the
    point flies further than ``ESCAPE_RADIUS`` from the origin: a diverging run is a result, not
    an error.
    """
    landscape = _landscape(landscape)
    x = landscape.check_point(x0, "x0")
    steps = _checks.count("steps", steps)
    noise = _checks.non_negative("noise", noise)
    rng = np.random.default_rng(_seed(seed))
    plain = SGD(learning_rate)  # checks learning_rate even when an optimizer replaces it
    if optimizer is None:
        optimizer = plain
    elif not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an lrcourse Optimizer, got {optimizer!r}")
    state = optimizer.init(x)
    points = np.empty((steps + 1, *x.shape))
    losses = np.empty(steps + 1)
    rates = np.empty(steps)
    points[0], (losses[0], reason) = x, _loss_or_reason(x, landscape)
    done, diverged_at = 0, (0 if reason else None)  # done: updates made and kept
    with np.errstate(all="ignore"):
        while diverged_at is None and done < steps:
            g = landscape.gradient(x)
            if noise:
                g = g + noise * rng.standard_normal(np.shape(g))
            rates[done] = optimizer.learning_rate_at(done)
            x, state = optimizer.update(x, g, state)
            loss, reason = _loss_or_reason(x, landscape)
            if reason:
                diverged_at = done + 1
            else:
                done += 1
                points[done], losses[done] = x, loss
    keep = done + 1
    return Trajectory(points[:keep], losses[:keep], rates[:done], steps, diverged_at, reason)


def _loss_or_reason(x, landscape):
    """``(loss, "")`` at a point that is still on the map, else ``(nan, why the run stops)``."""
    size = float(np.max(np.abs(x)))
    if not np.isfinite(size):
        return np.nan, "the position became inf or nan"
    if size > ESCAPE_RADIUS:
        return np.nan, f"the position left the map (|x| = {size:.3g} > {ESCAPE_RADIUS:.0e})"
    loss = float(landscape.value(x))
    return (loss, "") if np.isfinite(loss) else (np.nan, f"loss became {loss}")


def _why_diverged(x, landscape):
    """Why a run must stop at ``x`` ("" if it need not)."""
    return _loss_or_reason(np.asarray(x, dtype=float), landscape)[1]


def sweep(landscape, x0, learning_rates, steps=50, **kwargs):
    """One trajectory per learning rate, from the same start: ``{learning_rate: Trajectory}``.

    ``learning_rates`` is one positive number or a list of them; the keyword arguments go to
    :func:`descend`. All runs together make at most ``MAX_STEPS`` updates.
    """
    landscape = _landscape(landscape)
    steps = _checks.count("steps", steps)
    rates = learning_rates
    if isinstance(rates, np.ndarray) and rates.ndim < 2:
        rates = rates.ravel()
    elif not isinstance(rates, list | tuple):
        rates = [rates]  # one rate (anything else is refused below, one value at a time)
    if not len(rates):
        raise ValueError("learning_rates must hold at least one learning rate, got none")
    _total("len(learning_rates) * steps", len(rates) * steps)
    rates = [_checks.positive("learning_rates", lr) for lr in rates]
    return {lr: descend(landscape, x0, lr, steps, **kwargs) for lr in rates}


def noisy_descent(landscape, x0, learning_rates, *, noise=1.0, runs=16, seed=0):
    """Mini-batch-like SGD: many runs at once, each gradient plus Gaussian noise of size ``noise``.

    ``learning_rates`` holds one rate (>= 0) per step (e.g. ``schedule(np.arange(steps))``), so
    any schedule can be tried; ``runs`` (>= 1) runs start together from ``x0``, and
    ``runs * len(learning_rates)`` is at most ``MAX_STEPS``. Returns the mean loss over the runs
    after each step (``steps + 1`` values); a run that blows up makes the rest of the curve
    ``inf``, and the step where that happened is returned as the second value (None when every
    run stayed finite).
    """
    landscape = _landscape(landscape)
    rates = _checks.numeric("learning_rates", learning_rates, ndim=1)
    if not len(rates) or np.any(rates < 0):
        raise ValueError("learning_rates must be a non-empty list of rates >= 0")
    x0 = landscape.check_point(x0, "x0")
    runs = _checks.count("runs", runs)
    _total("runs * len(learning_rates)", runs * len(rates))
    noise = _checks.non_negative("noise", noise)
    rng = np.random.default_rng(_seed(seed))
    x = np.tile(x0, (runs, 1))
    losses = np.full(len(rates) + 1, np.inf)
    losses[0] = float(np.mean(landscape.value(x)))
    with np.errstate(all="ignore"):
        kicks = rng.standard_normal((len(rates), *x.shape)) * noise
        for k, lr in enumerate(rates):
            x = x - lr * (landscape.gradient(x) + kicks[k])
            mean = float(np.mean(landscape.value(x)))
            if not np.isfinite(mean) or np.abs(x).max() > ESCAPE_RADIUS:
                return losses, k + 1
            losses[k + 1] = mean
    return losses, None


def follow(optimizer, gradients, start=None):
    """The positions an optimizer moves through when fed ``gradients``, one update each.

    ``gradients[k]`` is the gradient of update k (no landscape: you choose the stream), so
    ``follow(SGD(0.01, momentum=0.9), np.ones(60))`` shows momentum building up on a constant
    slope. Returns an array of shape ``(len(gradients) + 1, *shape)``: the start (zeros unless
    given) and the position after each update.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"optimizer must be an lrcourse optimizer, e.g. SGD(0.01), got {optimizer!r}"
        )
    stream = _checks.numeric("gradients", gradients)
    if stream.ndim == 0 or len(stream) == 0:
        raise ValueError(
            f"gradients must be a non-empty sequence (one per update), got {gradients!r}"
        )
    w = (
        np.zeros(stream.shape[1:])
        if start is None
        else _checks.numeric("start", start, shape=stream.shape[1:])
    )
    state, path = optimizer.init(w), [w]
    for g in stream:
        w, state = optimizer.update(w, g, state)
        path.append(w)
    return np.array(path)


def _landscape(value):
    if not isinstance(value, Landscape):
        raise ValueError(f"landscape must be an lrcourse Landscape, got {_checks._brief(value)}")
    return value


def _seed(seed):
    return _checks.number("seed", seed, low=0, high=2**32 - 1, integer=True)


def _total(what, value):
    if value > MAX_STEPS:
        raise ValueError(f"{what} must be at most {MAX_STEPS:,} updates, got {value:,}")
