"""Learning-rate schedules: each formula written once, the others built by composition.

Each is ``formula(step, ops)`` with ``ops`` NumPy or ``keras.ops``: the curve you plot is the one a
hand-written optimizer (``s(step)``) or Keras (``lrcourse.keras.schedules.to_keras(s)``) trains
with. One cosine, one warmup (:class:`Warmup`); step decay is a staircase ``ExponentialDecay`` in
epochs. Optimizers pass the updates done so far, 0 first (BATCHES); ``LearningRateScheduler`` the
0-based EPOCH; ``counts`` tells which. Stair and restart indices are checked against the exact
step where each stair or period starts (Keras's float32 ``floor(log)`` can restart a step off).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers

import numpy as np

from lrcourse import _checks

__all__ = (
    "Constant CosineDecay CosineDecayRestarts Cyclical ExponentialDecay InverseTimeDecay OneCycle "
    "PiecewiseConstantDecay PolynomialDecay Schedule Sequence Warmup deserialize "
    "sequence serialize step_decay warmup"
).split()

MAX_PIECES = 1000  # the most boundaries a piecewise schedule or a sequence accepts
LAST_STEP = 2**53  # steps and lengths: float64 counts whole steps exactly up to here
_REGISTRY: dict[str, type] = {}
_lr0 = functools.partial(_checks.positive, "initial_learning_rate")


class Schedule:
    """A learning rate as a function of the 0-based step (numbers, or arrays of at most
    ``MAX_STEPS`` = 1,000,000 steps, in [0, 2**53]). A subclass stores its constructor arguments
    under their own names (the config) and defines ``formula(step, ops)``."""

    counts = "batches"  # what the step is meant to count: "batches" or "epochs"
    _fields, _required = (), set()  # the constructor's arguments (the config), those needed

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            params = list(inspect.signature(cls.__init__).parameters.values())[1:]
            cls._fields = tuple(p.name for p in params)
            cls._required = {p.name for p in params if p.default is p.empty}
        if not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls

    def formula(self, step, ops):
        """The rate at ``step`` (a float array or tensor), written with ``ops`` functions only."""
        raise NotImplementedError

    def __call__(self, step):
        """Evaluate with NumPy: a float for a number, a float64 array for an array of steps."""
        steps = _steps(step)
        with np.errstate(all="ignore"):  # where() computes both branches; one may overflow
            value = np.asarray(self.formula(steps, np), dtype=float)
        value = np.broadcast_to(value, steps.shape).copy()
        return float(value) if value.ndim == 0 else value

    def get_config(self):
        return {name: _plain(getattr(self, name)) for name in self._fields}

    @classmethod
    def from_config(cls, config):
        if not isinstance(config, dict) or not cls._required <= set(config) <= set(cls._fields):
            raise ValueError(f"config must be a dict of {cls._fields}: {_checks._brief(config)}")
        return cls(**{key: _revive(value) for key, value in config.items()})

    def __repr__(self):
        items = ((name, getattr(self, name)) for name in self._fields)
        args = ", ".join(f"{n}={v:g}" if isinstance(v, float) else f"{n}={v!r}" for n, v in items)
        return f"{type(self).__name__}({args})"


def _cosine(pct, ops):
    """THE cosine: from 1 at ``pct = 0`` down to 0 at ``pct = 1``, ``(1 + cos(pi pct)) / 2``."""
    return 0.5 * (1 + ops.cos(math.pi * pct))


def _cycle(step, guess, start, ops):
    """The index ``i`` with ``start(i) <= step < start(i + 1)`` from a rounded ``guess`` (one
    off at worst, exactly at a boundary), settled by comparing the step with the exact starts."""
    i = ops.where(start(guess) > step, guess - 1, guess)
    return ops.where(start(i + 1) <= step, i + 1, i)


def _floor_div(step, size, ops):  # floor(step / size), exact at every multiple of size
    return _cycle(step, ops.floor(step / size), lambda i: i * size, ops)


class Constant(Schedule):
    """``lr(step) = learning_rate``: the baseline every schedule is compared with."""

    def __init__(self, learning_rate):
        self.learning_rate = _checks.positive("learning_rate", learning_rate)

    def formula(self, step, ops):
        return ops.zeros_like(step) + self.learning_rate


class _RateDecay(Schedule):
    """The arguments of Keras's rate decays: ``decay_rate`` applied once per ``decay_steps``."""

    def __init__(
        self, initial_learning_rate, decay_steps, decay_rate, staircase=False, counts="batches"
    ):
        self.initial_learning_rate = _lr0(initial_learning_rate)
        self.decay_steps = _length("decay_steps", decay_steps)
        top = 1 if isinstance(self, ExponentialDecay) else None  # growing, it would overflow
        self.decay_rate = _checks.number("decay_rate", decay_rate, low=0, high=top, low_open=True)
        self.staircase = _checks.flag("staircase", staircase)
        self.counts = _checks.choice("counts", counts, ("batches", "epochs"))

    def _exponent(self, step, ops):  # step / decay_steps, floored for a staircase
        d = self.decay_steps
        return _floor_div(step, d, ops) if self.staircase else step / d


class ExponentialDecay(_RateDecay):
    """``lr0 * decay_rate ** (step / decay_steps)`` (Keras ExponentialDecay): ``lr0 e^(-kt)`` is
    ``ExponentialDecay(lr0, 1, exp(-k))``. ``staircase=True`` floors the exponent (a drop every
    ``decay_steps``). ``decay_rate`` is in (0, 1]: a growing rate would overflow to infinity."""

    def formula(self, step, ops):
        return self.initial_learning_rate * ops.power(self.decay_rate, self._exponent(step, ops))


class InverseTimeDecay(_RateDecay):
    """Time-based ``lr0 / (1 + decay_rate * step / decay_steps)`` (Keras InverseTimeDecay), floored
    with ``staircase``. Keras 2's ``SGD(lr, decay=k)`` is ``InverseTimeDecay(lr, 1, k)`` per batch.
    """

    def formula(self, step, ops):
        return self.initial_learning_rate / (1 + self.decay_rate * self._exponent(step, ops))


def step_decay(initial_learning_rate, drop, epochs_per_drop):
    """Step decay ``lr0 * drop ** floor(epoch / epochs_per_drop)``, the classic per-epoch formula:
    ``ExponentialDecay(lr0, epochs_per_drop, drop, staircase=True, counts="epochs")``. The rate is
    multiplied by ``drop`` (in (0, 1]) at 0-based epochs ``epochs_per_drop``, twice that, ..."""
    drop = _checks.number("drop", drop, low=0, high=1, low_open=True)
    epochs = _length("epochs_per_drop", epochs_per_drop)
    return ExponentialDecay(initial_learning_rate, epochs, drop, staircase=True, counts="epochs")


class PiecewiseConstantDecay(Schedule):
    """``values[i]`` on ``boundaries[i-1] < step <= boundaries[i]`` (Keras PiecewiseConstantDecay).
    The upper boundary is INCLUSIVE: ``boundaries=[3, 6]`` gives steps 0-3 ``values[0]``, 4-6
    ``values[1]``, 7 on ``values[2]`` (torch's MultiStepLR changes one step earlier)."""

    def __init__(self, boundaries, values):
        self.boundaries = _boundaries("boundaries", boundaries, low=0)
        values = _list("values", values)
        if len(values) != len(self.boundaries) + 1:
            raise ValueError(f"values must have len(boundaries) + 1 entries, got {len(values)}")
        self.values = [_checks.positive(f"values[{i}]", v) for i, v in enumerate(values)]

    def formula(self, step, ops):
        value = ops.zeros_like(step) + self.values[0]
        for boundary, v in zip(self.boundaries, self.values[1:], strict=True):
            value = ops.where(step > boundary, v, value)
        return value


class PolynomialDecay(Schedule):
    """``(lr0 - end) * (1 - step / decay_steps) ** power + end`` (Keras PolynomialDecay), the step
    clamped at ``decay_steps``. ``cycle=True`` stretches the horizon to the first multiple of
    ``decay_steps`` not below the step (``decay_steps`` at step 0): the rate jumps back up."""

    def __init__(
        self, initial_learning_rate, decay_steps, end_learning_rate=1e-4, power=1.0, cycle=False
    ):
        self.initial_learning_rate = _lr0(initial_learning_rate)
        self.decay_steps = _length("decay_steps", decay_steps)
        self.end_learning_rate = _checks.non_negative("end_learning_rate", end_learning_rate)
        self.power = _checks.positive("power", power)
        self.cycle = _checks.flag("cycle", cycle)

    def formula(self, step, ops):
        d, end = self.decay_steps, self.end_learning_rate
        if self.cycle:  # the horizon: d times ceil(step / d), at least 1
            d = d * ops.maximum(-_floor_div(-step, d, ops), 1)
        step = ops.minimum(step, d)
        return (self.initial_learning_rate - end) * ops.power(1 - step / d, self.power) + end


class CosineDecay(Schedule):
    """Cosine annealing (Keras CosineDecay): ``lr0 * ((1 - alpha) * cosine(s / decay_steps) +
    alpha)``, ``s = min(step, decay_steps)``: down to ``alpha * lr0``, then flat (torch's is not
    clamped). As in Keras, ``warmup_steps`` is IGNORED without ``warmup_target``; with it, this is
    ``Warmup(CosineDecay(warmup_target, decay_steps, alpha), warmup_steps, start=lr0)``."""

    def __init__(
        self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0
    ):
        lr0 = _checks.non_negative("initial_learning_rate", initial_learning_rate)
        if warmup_target is None and lr0 == 0:
            raise ValueError("initial_learning_rate must be > 0 without a warmup_target")
        self.initial_learning_rate, self.warmup_target, self._warmup = lr0, warmup_target, None
        self.decay_steps = _length("decay_steps", decay_steps)
        self.alpha = _checks.number("alpha", alpha, low=0, high=1)
        self.warmup_steps = _checks.count("warmup_steps", warmup_steps, minimum=0)
        if warmup_target is not None:  # Keras's warmup is the one Warmup
            self.warmup_target = _checks.positive("warmup_target", warmup_target)
            cosine = CosineDecay(self.warmup_target, self.decay_steps, self.alpha)
            self._warmup = Warmup(cosine, self.warmup_steps, start=lr0)

    def formula(self, step, ops):
        if self._warmup is not None:
            return self._warmup.formula(step, ops)
        pct = ops.minimum(step, self.decay_steps) / self.decay_steps
        return self.initial_learning_rate * ((1 - self.alpha) * _cosine(pct, ops) + self.alpha)


class CosineDecayRestarts(Schedule):
    """SGDR (Keras CosineDecayRestarts): period ``i`` (from 0) lasts ``first_decay_steps *
    t_mul**i`` steps, ``lr0 * ((1 - alpha) * m_mul**i * cosine(pct) + alpha)`` with ``pct`` from 0
    to 1 through it. ``m_mul`` is in (0, 1], ``t_mul`` in [1, 1e6] (shrinking periods would all end
    by ``first_decay_steps / (1 - t_mul)``). Torch's CosineAnnealingWarmRestarts(T0, T_mult,
    eta_min) is ``(lr, T0, T_mult, 1, eta_min / lr)``."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
        self.initial_learning_rate = _lr0(initial_learning_rate)
        self.first_decay_steps = _length("first_decay_steps", first_decay_steps)
        self.t_mul = _checks.number("t_mul", t_mul, low=1, high=1e6)
        self.m_mul = _checks.number("m_mul", m_mul, low=0, high=1, low_open=True)
        self.alpha = _checks.number("alpha", alpha, low=0, high=1)

    def formula(self, step, ops):
        first, t_mul = self.first_decay_steps, self.t_mul
        if t_mul == 1:
            i = _floor_div(step, first, ops)
            pct = (step - i * first) / first
        else:  # period i starts at first * (1 + t_mul + ... + t_mul**(i-1)), a geometric sum

            def start(i):
                return first * (ops.power(t_mul, i) - 1) / (t_mul - 1)

            guess = ops.floor(ops.log1p(step / first * (t_mul - 1)) / math.log(t_mul))
            i = _cycle(step, guess, start, ops)
            pct = (step - start(i)) / (first * ops.power(t_mul, i))
        decayed = (1 - self.alpha) * ops.power(self.m_mul, i) * _cosine(pct, ops) + self.alpha
        return self.initial_learning_rate * decayed


class Cyclical(Schedule):
    """Cyclical learning rates (Smith 2017), a triangle wave. ``step_size`` is HALF a cycle: base
    at step 0, max at ``step_size``, base again at ``2 * step_size``. ``mode`` "triangular" keeps
    the height, "triangular2" halves it each cycle, "exp_range" multiplies it by ``gamma ** step``.
    The paper's (and torch's CyclicLR's) formula: ``cycle = floor(1 + step / (2 step_size))``,
    ``lr = base + (max - base) * max(0, 1 - |step / step_size - 2 cycle + 1|) * scale``."""

    def __init__(
        self, base_learning_rate, max_learning_rate, step_size, mode="triangular", gamma=1.0
    ):
        self.base_learning_rate = _checks.positive("base_learning_rate", base_learning_rate)
        self.max_learning_rate = _checks.positive("max_learning_rate", max_learning_rate)
        if self.max_learning_rate < self.base_learning_rate:
            raise ValueError("max_learning_rate must be >= base_learning_rate")
        self.step_size = _length("step_size", step_size)
        self.mode = _checks.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
        self.gamma = _checks.number("gamma", gamma, low=0, high=1, low_open=True)

    def formula(self, step, ops):
        done = _floor_div(step, 2 * self.step_size, ops)  # cycles completed: the paper's cycle - 1
        x = ops.abs((step - 2 * self.step_size * done) / self.step_size - 1)
        scale = {"triangular": 1.0, "triangular2": 0.5, "exp_range": self.gamma}[self.mode]
        scale = ops.power(scale, step if self.mode == "exp_range" else done)
        height = self.max_learning_rate - self.base_learning_rate
        return self.base_learning_rate + height * ops.maximum(0.0, 1 - x) * scale


class OneCycle(Schedule):
    """One-cycle, as torch's ``OneCycleLR``: from ``max / div_factor`` up to ``max`` at step
    ``pct_start * total_steps - 1``, down to ``max / div_factor / final_div_factor`` at step
    ``total_steps - 1``, kept after (torch raises). ``anneal_strategy`` "cos" or "linear". fastai's
    ``fit_one_cycle`` (div 25, pct_start 0.25, div_final 1e5) is ``final_div_factor=4e3`` here."""

    def __init__(
        self, max_learning_rate, total_steps, pct_start=0.3, div_factor=25.0,
        final_div_factor=1e4, anneal_strategy="cos",
    ):  # fmt: skip
        self.max_learning_rate = _checks.positive("max_learning_rate", max_learning_rate)
        self.total_steps = _checks.count("total_steps", total_steps, minimum=2)
        self.pct_start = _checks.number("pct_start", pct_start, low=0, high=1, high_open=True)
        if self.pct_start * self.total_steps <= 1:
            raise ValueError("pct_start * total_steps must be > 1: the way up lasts a step or more")
        self.div_factor = _checks.number("div_factor", div_factor, low=1)
        self.final_div_factor = _checks.number("final_div_factor", final_div_factor, low=1)
        self.anneal_strategy = _checks.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))

    def formula(self, step, ops):
        peak, last = self.max_learning_rate, self.total_steps - 1
        start = peak / self.div_factor
        top = self.pct_start * self.total_steps - 1  # the step where the peak is reached
        step = ops.minimum(step, last)
        up = self._anneal(start, peak, step / top, ops)
        down = self._anneal(peak, start / self.final_div_factor, (step - top) / (last - top), ops)
        return ops.where(step <= top, up, down)

    def _anneal(self, begin, end, pct, ops):
        if self.anneal_strategy == "linear":
            return begin + (end - begin) * pct
        return end + (begin - end) * _cosine(pct, ops)


class Warmup(Schedule):
    """A linear warmup (also spelt ``warmup``): a straight line from ``start`` at step 0 to where
    ``schedule`` takes over at ``warmup_steps``, then ``schedule(step - warmup_steps)`` (``shift``;
    ``Warmup(CosineDecay(peak, T), W, start)`` is Keras's ``CosineDecay(start, T,
    warmup_target=peak, warmup_steps=W)``) or, with ``shift=False``, ``schedule(step)``."""

    def __init__(self, schedule, warmup_steps, start=0.0, shift=True):
        self.schedule = _schedule("schedule", schedule)
        self.warmup_steps = _checks.count("warmup_steps", warmup_steps, minimum=0)
        self.start = _checks.non_negative("start", start)
        self.shift = _checks.flag("shift", shift)
        self.counts = self.schedule.counts

    def formula(self, step, ops):
        warm = self.warmup_steps
        target = self.schedule(0 if self.shift else warm)  # a number: where the schedule takes over
        after = self.schedule.formula(ops.maximum(step - warm, 0) if self.shift else step, ops)
        ramp = self.start + (target - self.start) * (step / max(warm, 1))
        return ops.where(step < warm, ramp, after)


class Sequence(Schedule):
    """Schedules one after another, like ``optax.join_schedules`` (also spelt ``sequence``):
    ``schedules[i]`` runs for ``boundaries[i-1] <= step < boundaries[i]``, called with ``step -
    boundaries[i-1]``. It switches AT the boundary (Keras's piecewise one step later)."""

    def __init__(self, schedules, boundaries):
        schedules = _list("schedules", schedules)
        self.schedules = [_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
        self.boundaries = _boundaries("boundaries", boundaries, low=1e-6)
        counts = {s.counts for s in self.schedules}  # all "batches" or all "epochs"
        if len(self.boundaries) != len(self.schedules) - 1 or len(counts) > 1:
            raise ValueError("schedules must count the same thing and outnumber boundaries by one")
        self.counts = counts.pop()

    def formula(self, step, ops):
        value = self.schedules[0].formula(step, ops)
        for boundary, schedule in zip(self.boundaries, self.schedules[1:], strict=True):
            later = schedule.formula(ops.maximum(step - boundary, 0), ops)
            value = ops.where(step < boundary, value, later)
        return value


warmup, sequence = Warmup, Sequence  # the names that read well in a formula: warmup(cosine, 10)


def serialize(schedule):
    """A JSON-ready dict ``{"schedule": class name, "config": get_config()}``."""
    schedule = _schedule("schedule", schedule)
    return {"schedule": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """The schedule described by :func:`serialize`'s output."""
    name = config.get("schedule") if isinstance(config, dict) else None
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"config must come from serialize(), got {_checks._brief(config)}")
    return _REGISTRY[name].from_config(config.get("config", {}))


def _steps(step, name="step"):
    """The steps as a float64 array: numbers in [0, 2**53], at most MAX_STEPS of them."""
    is_bool = isinstance(step, bool | np.bool_) or getattr(step, "dtype", None) == np.bool_
    steps = _checks.array(name, 0 if is_bool else step)
    if is_bool or np.any(steps < 0) or np.any(steps > LAST_STEP):
        raise ValueError(f"{name} must be in [0, 2**53], 0 the first; got {_checks._brief(step)}")
    return steps


def _length(name, value, low=1e-6):
    """A number of steps in [low, 2**53], kept an int when given as one."""
    value_f = _checks.number(name, value, low=low, high=LAST_STEP)
    return int(value) if isinstance(value, numbers.Integral) else value_f


def _boundaries(name, values, *, low):
    values = _list(name, values)
    if not 1 <= len(values) <= MAX_PIECES:
        raise ValueError(f"{name} must have 1 to {MAX_PIECES} entries, got {len(values)}")
    out = [_length(f"{name}[{i}]", b, low) for i, b in enumerate(values)]
    if any(later <= earlier for earlier, later in zip(out, out[1:], strict=False)):
        raise ValueError(f"{name} must be strictly increasing, got {out!r}")
    return out


def _list(name, value):
    if isinstance(value, np.ndarray) and value.ndim != 1:  # a 0-d array has no length
        raise ValueError(f"{name} must be a list, got {_checks._brief(value)}")
    return _checks.sequence(name, value)


def _schedule(name, value):
    if not isinstance(value, Schedule):
        raise ValueError(f"{name} must be an lrcourse schedule, got {_checks._brief(value)}")
    return value


def _plain(value):  # config values as JSON data: a schedule becomes its serialize() dict
    if isinstance(value, Schedule):
        return serialize(value)
    return [_plain(v) for v in value] if isinstance(value, list | tuple) else value


def _revive(value):  # and back
    if isinstance(value, dict) and "schedule" in value:
        return deserialize(value)
    return [_revive(v) for v in value] if isinstance(value, list) else value
