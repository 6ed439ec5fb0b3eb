"""Gradient descent that records its path and stops cleanly when it diverges.

``descend(landscape, x0, learning_rate=0.1, steps=50)`` walks downhill with
``x <- x - learning_rate * grad f(x)`` and returns a :class:`Trajectory`. Pass ``optimizer=``
to walk with any optimizer of :mod:`lrcourse.optimizers` instead, and ``noise=`` to add Gaussian
noise to each gradient (a stand-in for the noise of mini-batches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse.optimizers import SGD, Optimizer

#: A point this far from the origin has left the map: the run is stopped and called diverged.
ESCAPE_RADIUS = 1e6


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The path of one run: ``points[k]`` is the position after ``k`` updates."""

    points: np.ndarray
    losses: np.ndarray
    learning_rates: np.ndarray
    steps_requested: int
    diverged_at: int | None = None
    reason: str = ""

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
        hits = np.nonzero(self.losses <= loss)[0]
        return int(hits[0]) if len(hits) else None

    def steps_to_stay(self, loss):
        """The first step from which the loss stays at or below ``loss`` to the end of the run;
        None if the run ends above it (a run that dips below and bounces out does not count)."""
        above = np.nonzero(self.losses > loss)[0]
        if not len(above):
            return 0
        last_above = int(above[-1])
        return last_above + 1 if last_above + 1 < len(self.losses) else None

    def __repr__(self):
        return f"Trajectory({self.message})"


def descend(landscape, x0, learning_rate=0.1, steps=50, *, optimizer=None, noise=0.0, seed=0):
    """Run ``steps`` updates from ``x0`` on ``landscape`` and record the path.

    learning_rate: a positive number or a schedule (a callable of the 0-based step); ignored
        when ``optimizer`` is given.
    optimizer: an :class:`lrcourse.optimizers.Optimizer`; the default is plain gradient descent.
    noise: standard deviation of Gaussian noise added to every gradient component.
    The run stops early, and says why, when the loss or the position stops being finite or the
    point flies further than ``ESCAPE_RADIUS`` from the origin.
    """
    x = landscape.check_point(x0, "x0")
    steps = _checks.count("steps", steps)
    noise = _checks.non_negative("noise", noise)
    if optimizer is None:
        optimizer = SGD(learning_rate)
    elif not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an lrcourse Optimizer, got {optimizer!r}")
    rng = np.random.default_rng(seed)
    state = optimizer.init(x)
    points, losses, rates = [x], [float(landscape(x))], []
    diverged_at, reason = None, ""
    with np.errstate(all="ignore"):
        for step in range(steps):
            g = landscape.grad(x)
            if noise:
                g = g + noise * rng.standard_normal(np.shape(g))
            rates.append(optimizer.learning_rate_at(step))
            x, state = optimizer.update(x, g, state)
            reason = _why_diverged(x, landscape)
            if reason:
                diverged_at = step + 1
                break
            points.append(x)
            losses.append(float(landscape(x)))
    return Trajectory(
        np.array(points),
        np.array(losses),
        np.array(rates[: len(points) - 1]),
        steps,
        diverged_at,
        reason,
    )


def _why_diverged(x, landscape):
    if not np.all(np.isfinite(x)):
        return "the position became inf or nan"
    size = float(np.max(np.abs(x)))
    if size > ESCAPE_RADIUS:
        return f"the position left the map (|x| = {size:.3g} > {ESCAPE_RADIUS:.0e})"
    loss = landscape(x)
    if not np.isfinite(loss):
        return f"loss became {loss}"
    return ""


def sweep(landscape, x0, learning_rates, steps=50, **kwargs):
    """One trajectory per learning rate, from the same start: ``{learning_rate: Trajectory}``."""
    rates = [_checks.positive("learning_rates", lr) for lr in np.atleast_1d(learning_rates)]
    return {lr: descend(landscape, x0, lr, steps, **kwargs) for lr in rates}


def noisy_descent(landscape, x0, learning_rates, *, noise=1.0, runs=16, seed=0):
    """Mini-batch-like SGD: many runs at once, each gradient plus Gaussian noise of size ``noise``.

    ``learning_rates`` holds one rate per step (e.g. ``schedule(np.arange(steps))``), so any
    schedule can be tried. Returns the mean loss over the runs after each step (``steps + 1``
    values); a run that blows up makes the rest of the curve ``inf``, and the step where that
    happened is returned as the second value (None when every run stayed finite).
    """
    rates = _checks.array("learning_rates", learning_rates, ndim=1)
    if np.any(rates < 0):
        raise ValueError("learning_rates must be non-negative")
    x = np.tile(landscape.check_point(x0, "x0"), (_checks.count("runs", runs), 1))
    noise = _checks.non_negative("noise", noise)
    kicks = np.random.default_rng(seed).standard_normal((len(rates), *x.shape)) * noise
    losses = np.full(len(rates) + 1, np.inf)
    losses[0] = float(np.mean(landscape(x)))
    with np.errstate(all="ignore"):
        for k, lr in enumerate(rates):
            x = x - lr * (landscape.grad(x) + kicks[k])
            mean = float(np.mean(landscape(x)))
            if not np.isfinite(mean) or np.abs(x).max() > ESCAPE_RADIUS:
                return losses, k + 1
            losses[k + 1] = mean
    return losses, None
