"""The optimizer race: every optimizer on several landscapes at once, from the same start.

``race(landscapes, optimizers, x0, steps)`` runs every optimizer on every landscape together: the
optimizers are elementwise, so one call of ``update`` moves an optimizer on every landscape at
once. Each path is exactly the one :func:`lrcourse.descent.descend` walks with the same
optimizer. NumPy only; the figures and the slider explorer are in :mod:`lrcourse.ui.race`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks, landscapes
from lrcourse.descent import ESCAPE_RADIUS, Trajectory, _why_diverged
from lrcourse.optimizers import SGD, Adadelta, Adagrad, Adam, Optimizer, RMSprop

#: The field: name -> (optimizer class, its hyperparameters other than the learning rate).
FIELD = {
    "SGD": (SGD, {}),
    "Momentum": (SGD, {"momentum": 0.9}),
    "Nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (Adagrad, {}),
    "RMSprop": (RMSprop, {}),
    "Adadelta": (Adadelta, {}),
    "Adam": (Adam, {}),
}

#: Keras 3's default learning rate of each runner (``keras.optimizers.Adam().learning_rate``...).
KERAS_DEFAULTS = {
    "SGD": 0.01,
    "Momentum": 0.01,
    "Nesterov": 0.01,
    "Adagrad": 0.001,
    "RMSprop": 0.001,
    "Adadelta": 0.001,
    "Adam": 0.001,
}

#: How the learning rates are chosen: "same" for every runner, or Keras's default ratios.
RATES = ("same", "keras")

#: The most points one race records: (steps + 1) x optimizers x landscapes. At 16 bytes a point
#: (plus its loss) this keeps a race under about 50 MB of memory.
MAX_POINTS = _checks.MAX_STEPS


def learning_rates(learning_rate=0.01, rates="same", names=tuple(FIELD)):
    """The learning rate of each runner, ``{name: rate}``.

    rates="same": every runner uses ``learning_rate``. rates="keras": every runner uses its Keras
    default times ``learning_rate / 0.001``, so ``learning_rate`` is Adam's rate and the others
    keep Keras's ratio to it (at 0.001 these are exactly the Keras defaults; SGD's is 10 x Adam's).
    names: which runners of :data:`FIELD`, in the order wanted.
    """
    learning_rate = _checks.positive("learning_rate", learning_rate)
    _checks.choice("rates", rates, RATES)
    names = _names(names)
    if rates == "same":
        return {name: learning_rate for name in names}
    out = {name: KERAS_DEFAULTS[name] * learning_rate / KERAS_DEFAULTS["Adam"] for name in names}
    if not all(np.isfinite(rate) for rate in out.values()):
        raise ValueError(
            f"learning_rate must be at most {np.finfo(float).max / 10:.3g} with rates='keras' "
            f"(SGD's rate is 10 times it), got {learning_rate!r}"
        )
    return out


def racers(learning_rate=0.01, rates="same", names=tuple(FIELD)):
    """The runners as :mod:`lrcourse.optimizers` objects, ``{name: optimizer}`` (arguments as for
    :func:`learning_rates`)."""
    return {
        name: FIELD[name][0](learning_rate=lr, **FIELD[name][1])
        for name, lr in learning_rates(learning_rate, rates, names).items()
    }


def default_landscapes():
    """The four courses of the race: a narrow bowl, a banana valley, a saddle, a mountain range."""
    return {
        "bowl": landscapes.bowl(condition_number=30.0),
        "Rosenbrock": landscapes.rosenbrock(),
        "saddle": landscapes.saddle(),
        "mountain range": landscapes.mountain_range(),
    }


@dataclass(frozen=True, eq=False)
class Race:
    """Every optimizer on every landscape, as :func:`race` returns it.

    ``points[j, i, k]`` is optimizer i on landscape j after k updates (nan once that run
    diverged), ``losses[j, i, k]`` its loss; ``diverged_at[j, i]`` is the step where the run was
    stopped (0 when it was not) and ``reasons[j][i]`` says why.
    """

    landscape_names: tuple
    optimizer_names: tuple
    landscapes: tuple
    optimizers: tuple
    points: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray
    reasons: tuple
    steps: int

    def __post_init__(self):  # a Race is made by race(); this only guards against mix-ups
        for name in ("landscape_names", "optimizer_names", "landscapes", "optimizers", "reasons"):
            if not isinstance(getattr(self, name), tuple):
                raise TypeError(
                    f"{name} must be a tuple, got {_checks._brief(getattr(self, name))}"
                )
        for name in ("points", "losses", "diverged_at"):
            if not isinstance(getattr(self, name), np.ndarray):
                raise TypeError(
                    f"{name} must be a NumPy array, got {_checks._brief(getattr(self, name))}"
                )
        for name in ("landscape_names", "optimizer_names"):
            names = getattr(self, name)
            if not names or not all(isinstance(n, str) for n in names):
                raise ValueError(f"{name} must hold one or more strings, got {names!r}")
        shape = (len(self.landscape_names), len(self.optimizer_names))
        for name, n in (("landscapes", shape[0]), ("optimizers", shape[1]), ("reasons", shape[0])):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"{name} must hold {n} entries, one per name, got {len(getattr(self, name))}"
                )
        steps = _checks.count("steps", self.steps)
        for name, ending in (("points", (steps + 1, 2)), ("losses", (steps + 1,))):
            got = np.shape(getattr(self, name))
            if got != (*shape, *ending):
                raise ValueError(f"{name} must have shape {(*shape, *ending)}, got {got}")
        if np.shape(self.diverged_at) != shape:
            raise ValueError(
                f"diverged_at must have shape {shape}, got {np.shape(self.diverged_at)}"
            )

    def trajectory(self, landscape, optimizer):
        """One run as a :class:`lrcourse.descent.Trajectory` (by name or index)."""
        j = _index("landscape", landscape, self.landscape_names)
        i = _index("optimizer", optimizer, self.optimizer_names)
        at = int(self.diverged_at[j, i])
        n = at if at else self.steps + 1
        opt = self.optimizers[i]
        rates = np.array([opt.learning_rate_at(step) for step in range(n - 1)], dtype=float)
        return Trajectory(
            self.points[j, i, :n],
            self.losses[j, i, :n],
            rates,
            self.steps,
            at or None,
            self.reasons[j][i],
        )

    def path(self, landscape, optimizer):
        """The points of one run up to its last finite point, shape ``(n, 2)`` (by name or
        index): what a figure draws."""
        j = _index("landscape", landscape, self.landscape_names)
        i = _index("optimizer", optimizer, self.optimizer_names)
        return self.points[j, i, : int(self.diverged_at[j, i]) or None]

    @property
    def final_losses(self):
        """``(landscapes, optimizers)``: the loss after the last step, nan for a diverged run."""
        return self.losses[..., -1]

    def table(self):
        """One row per optimizer, one column per landscape: the final loss, or where the run
        was stopped ("diverged@k")."""
        width = max(14, *(len(n) + 2 for n in self.landscape_names))
        lines = [" " * 10 + "".join(f"{n:>{width}s}" for n in self.landscape_names)]
        for i, name in enumerate(self.optimizer_names):
            cells = [
                f"diverged@{at}" if at else f"{self.losses[j, i, -1]:.3g}"
                for j, at in enumerate(self.diverged_at[:, i])
            ]
            lines.append(f"{name:10s}" + "".join(f"{c:>{width}s}" for c in cells))
        return "\n".join(lines)

    def leader(self, landscape):
        """``(name, final loss)`` of the run with the lowest final loss that did not diverge;
        ``(None, inf)`` when every run diverged."""
        j = _index("landscape", landscape, self.landscape_names)
        finals = np.where(self.diverged_at[j] == 0, self.losses[j, :, -1], np.inf)
        if not np.isfinite(finals).any():
            return None, np.inf
        i = int(np.argmin(finals))
        return self.optimizer_names[i], float(finals[i])

    def diverged(self, landscape):
        """The names of the optimizers whose run on this landscape was stopped."""
        j = _index("landscape", landscape, self.landscape_names)
        return [n for n, at in zip(self.optimizer_names, self.diverged_at[j], strict=True) if at]


def race(landscapes, optimizers, x0, steps=50):
    """Run every optimizer on every landscape from ``x0``, all at once, and record the paths.

    landscapes: a dict ``{name: Landscape}`` of 2-D landscapes, or a list of them (named by
        their ``name``).
    optimizers: a dict ``{name: lrcourse Optimizer}``; each is used on every landscape.
    x0: one start ``[x, y]`` for every landscape, or one per landscape (shape ``(n, 2)``), inside
        each landscape's domain.
    steps: updates per run, from 1 to 1,000,000, and at most ``MAX_POINTS`` (1,000,000) recorded
        points in all: ``(steps + 1) x optimizers x landscapes`` (7 optimizers on 4 landscapes:
        up to 35,713 steps).

    A run is stopped, as :func:`~lrcourse.descent.descend` stops it, at the first point that is
    not finite, lies further than ``ESCAPE_RADIUS`` from the origin or has a non-finite loss.
    Returns a :class:`Race`.
    """
    names, lands = _named_landscapes(landscapes)
    opt_names, opts = _named_optimizers(optimizers)
    steps = _steps(steps, len(opts), len(lands))
    starts = _starts(x0, lands)
    x = np.repeat(starts[None], len(opts), axis=0)  # x[i, j]: optimizer i on landscape j
    states = [opt.init(x[i]) for i, opt in enumerate(opts)]
    path = np.empty((steps + 1, *x.shape))
    path[0] = x
    grads = np.empty_like(x)
    with np.errstate(all="ignore"):
        for k in range(steps):
            for j, land in enumerate(lands):
                grads[:, j] = land.grad(x[:, j])
            for i, opt in enumerate(opts):  # elementwise: one update moves it on every landscape
                x[i], states[i] = opt.update(x[i], grads[i], states[i])
            path[k + 1] = x
        points = path.transpose(2, 1, 0, 3).copy()  # (landscape, optimizer, step, xy)
        del path
        losses = np.stack([land(points[j]) for j, land in enumerate(lands)])
        bad = ~np.isfinite(points).all(-1) | ~np.isfinite(losses)
        bad |= np.nan_to_num(np.abs(points), nan=0.0).max(-1) > ESCAPE_RADIUS
    diverged_at = np.where(bad.any(-1), bad.argmax(-1), 0)
    reasons = []
    for j, land in enumerate(lands):
        row = []
        for i in range(len(opts)):
            at = diverged_at[j, i]
            row.append(_why_diverged(points[j, i, at], land) if at else "")
            points[j, i, at or steps + 1 :] = np.nan
            losses[j, i, at or steps + 1 :] = np.nan
        reasons.append(tuple(row))
    return Race(names, opt_names, lands, opts, points, losses, diverged_at, tuple(reasons), steps)


def common_domain(lands):
    """The part of the plane inside every landscape's domain: ``((xlo, xhi), (ylo, yhi))``.

    lands: a dict or a list of 2-D landscapes whose domains overlap.
    """
    _, lands = _named_landscapes(lands)
    lows = np.max([[lo for lo, _ in land.domain] for land in lands], axis=0)
    highs = np.min([[hi for _, hi in land.domain] for land in lands], axis=0)
    if np.any(lows >= highs):
        raise ValueError("lands must have overlapping domains to share a start point")
    return tuple((float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True))


# ---------------------------------------------------------------- argument checks


def _names(names):
    if hasattr(names, "__len__") and len(names) > len(FIELD):  # before listing a long array
        raise ValueError(f"names must hold at most the {len(FIELD)} runners, got {len(names):,}")
    names = _checks.sequence("names", names)
    if not names:
        raise ValueError(f"names must hold at least one of {', '.join(FIELD)}; got none")
    for name in names:
        _checks.choice("names", name, tuple(FIELD))
    if len(set(names)) != len(names):
        raise ValueError(f"names must not repeat a runner, got {names!r}")
    return tuple(names)


def _index(what, key, names):
    """The position of ``key`` (a name or an index) in ``names``."""
    if isinstance(key, str):
        return names.index(_checks.choice(what, key, names))
    return _checks.number(what, key, low=0, high=len(names) - 1, integer=True)


def _steps(steps, n_optimizers, n_landscapes):
    """``steps`` checked against MAX_STEPS and against the memory of the recorded points."""
    runs = n_optimizers * n_landscapes
    most = min(_checks.MAX_STEPS, MAX_POINTS // runs - 1)
    if most < 1:
        raise ValueError(
            f"optimizers x landscapes must be at most {MAX_POINTS // 2:,} runs, got {runs:,}"
        )
    if isinstance(steps, numbers.Integral) and not isinstance(steps, bool) and steps > most:
        raise ValueError(
            f"steps must be in [1, {most:,}] for {n_optimizers} optimizer(s) on {n_landscapes} "
            f"landscape(s) (at most {MAX_POINTS:,} recorded points), got {steps!r}"
        )
    return _checks.count("steps", steps, maximum=most)


def _named_landscapes(value):
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, landscapes.Landscape):
        items = [(value.name, value)]
    elif isinstance(value, np.ndarray) and value.dtype != object:  # numbers: refused at once
        raise ValueError(f"landscapes must hold 2-D Landscape objects, got {_checks._brief(value)}")
    else:
        items = [
            (getattr(land, "name", None), land) for land in _checks.sequence("landscapes", value)
        ]
    if not items:
        raise ValueError("landscapes must hold at least one 2-D landscape, got none")
    names = []
    for name, land in items:
        if not isinstance(land, landscapes.Landscape) or land.dim != 2:
            raise ValueError(f"landscapes must hold 2-D Landscape objects, got {land!r}")
        if not isinstance(name, str):
            raise ValueError(f"landscapes must be named by strings, got the name {name!r}")
        # two landscapes of one name (a list of two bowls): number them, so each has its own
        names.append(name if name not in names else f"{name} ({names.count(name) + 1})")
    if len(set(names)) != len(names):
        raise ValueError(f"landscapes must have different names, got {names!r}")
    return tuple(names), tuple(land for _, land in items)


def _named_optimizers(value):
    if not isinstance(value, dict) or not value:
        raise ValueError(f"optimizers must be a non-empty dict {{name: Optimizer}}, got {value!r}")
    for name, opt in value.items():
        if not isinstance(name, str):
            raise ValueError(f"optimizers must be named by strings, got the name {name!r}")
        if not isinstance(opt, Optimizer):
            raise ValueError(f"optimizers[{name!r}] must be an lrcourse Optimizer, got {opt!r}")
    return tuple(value), tuple(value.values())


def _starts(x0, lands):
    arr = _checks.array("x0", x0)
    if arr.shape == (2,):
        arr = np.repeat(arr[None], len(lands), axis=0)
        labels = ["x0"] * len(lands)
    else:
        labels = [f"x0[{j}]" for j in range(len(lands))]
    if arr.shape != (len(lands), 2):
        raise ValueError(f"x0 must have shape (2,) or ({len(lands)}, 2), got shape {arr.shape}")
    for j, land in enumerate(lands):
        land.check_point(arr[j], labels[j])
    return arr
