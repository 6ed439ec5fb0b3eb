"""Learning-rate schedules, each formula written once.

A schedule is a function of the step. Each one here is written a single time, as
``formula(step, ops)``, where ``ops`` is either NumPy or ``keras.ops`` (the two share ``floor``,
``power``, ``cos``, ``exp``, ``log``, ``minimum``, ``maximum``, ``abs``, ``where``...). So the curve
you plot is the curve you train with::

    s = CosineDecay(0.1, decay_steps=1000, alpha=0.01)
    s(0), s(np.arange(2000))                              # NumPy: a float, a float64 array
    keras.optimizers.SGD(learning_rate=s.to_keras())      # inside Keras, computed with keras.ops
    lrcourse.optimizers.SGD(learning_rate=s)              # the hand-written optimizers
    model.fit(..., callbacks=[StepDecay(0.1, 0.5, 10).as_epoch_callback()])  # once per epoch

What does the step count? Whatever you feed it. An optimizer calls its schedule with the number
of updates done so far (0 for the first update): the step counts BATCHES. A
``LearningRateScheduler`` callback calls it with the 0-based epoch: the step counts EPOCHS. Every
schedule has a ``counts`` attribute saying which one it is meant for ("batches" for all of them
except ``StepDecay``, the classic per-epoch formula); it documents intent and changes nothing.

Schedules that Keras also has (``ExponentialDecay``, ``InverseTimeDecay``,
``PiecewiseConstantDecay``, ``PolynomialDecay``, ``CosineDecay``, ``CosineDecayRestarts``) use
Keras's argument names and match ``keras.optimizers.schedules`` at every step (Keras computes in
float32, so to about 1e-7 of the peak learning rate). The others follow their papers; each
docstring says which convention it takes.

Saving and loading: ``to_keras()`` returns a ``KerasSchedule``, registered with Keras as
``"lrcourse>KerasSchedule"``, so a model compiled with it saves to ``.keras`` and loads again. In
a fresh kernel, call :func:`register_keras` (or pass ``custom_objects=custom_objects()``) before
``keras.saving.load_model``: Keras can only find classes that have been defined.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from lrcourse import _checks

__all__ = [
    "Constant",
    "CosineDecay",
    "CosineDecayRestarts",
    "Cyclical",
    "ExponentialDecay",
    "InverseTimeDecay",
    "NaturalExponentialDecay",
    "OneCycle",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "Schedule",
    "Sequence",
    "StepDecay",
    "Warmup",
    "custom_objects",
    "deserialize",
    "register_keras",
    "sequence",
    "serialize",
    "warmup",
]

_REGISTRY: dict[str, type] = {}


class Schedule:
    """Base class: a learning rate as a function of the 0-based step.

    Subclasses store their (checked) arguments and define ``formula(step, ops)``; everything else
    (evaluation on numbers and arrays, configs, the Keras adapter, the epoch callback) lives here.
    """

    counts = "batches"  # what the step is meant to count: "batches" or "epochs"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def formula(self, step, ops):
        """The learning rate at ``step`` (float array or tensor), using only ``ops`` functions."""
        raise NotImplementedError

    def __call__(self, step):
        """Evaluate with NumPy: a float for a number, a float64 array for an array of steps."""
        steps = _steps(step)
        # where() evaluates both branches; the unused one may overflow or divide by zero
        with np.errstate(all="ignore"):
            value = np.asarray(self.formula(steps, np), dtype=float)
        value = np.broadcast_to(value, steps.shape).copy()
        return float(value) if value.ndim == 0 else value

    _fields: tuple[str, ...] = ()  # the constructor arguments, in order

    def get_config(self):
        return {name: _plain(getattr(self, name)) for name in self._fields}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def to_keras(self):
        """This schedule as a Keras ``LearningRateSchedule``: its step counts batches."""
        return register_keras()(self)

    def as_epoch_callback(self, verbose=0):
        """A Keras ``LearningRateScheduler`` that sets ``self(epoch)`` when each epoch starts.

        Keras passes the 0-based epoch, so the first epoch uses ``self(0)``; the optimizer must
        be built with a float learning rate (a schedule object cannot be overwritten).
        """
        keras = _keras()

        def learning_rate_for_epoch(epoch, learning_rate=None):
            return self(epoch)  # a Python float, as LearningRateScheduler requires

        return keras.callbacks.LearningRateScheduler(learning_rate_for_epoch, verbose=verbose)

    def __repr__(self):
        args = ", ".join(f"{name}={_short(getattr(self, name))}" for name in self._fields)
        return f"{type(self).__name__}({args})"


# --------------------------------------------------------------------------- the schedules


class Constant(Schedule):
    """``lr(step) = learning_rate``: the baseline every schedule is compared with."""

    _fields = ("learning_rate",)

    def __init__(self, learning_rate):
        self.learning_rate = _checks.positive("learning_rate", learning_rate)

    def formula(self, step, ops):
        return ops.zeros_like(step) + self.learning_rate


class _RateDecay(Schedule):
    """Shared arguments of the two Keras decays below: a rate applied once per ``decay_steps``."""

    _fields = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        self.initial_learning_rate = _positive_lr(initial_learning_rate)
        self.decay_steps = _positive_steps("decay_steps", decay_steps)
        self.decay_rate = _checks.positive("decay_rate", decay_rate)
        self.staircase = _flag("staircase", staircase)


class InverseTimeDecay(_RateDecay):
    """Time-based decay ``lr0 / (1 + decay_rate * step / decay_steps)`` (Keras InverseTimeDecay).

    With ``staircase=True`` the ratio ``step / decay_steps`` is floored. Keras 2's
    ``SGD(lr, decay=k)`` is exactly ``InverseTimeDecay(lr, decay_steps=1, decay_rate=k)`` per batch.
    """

    def formula(self, step, ops):
        p = _progress(step, self.decay_steps, self.staircase, ops)
        return self.initial_learning_rate / (1 + self.decay_rate * p)


class StepDecay(Schedule):
    """Step decay ``lr0 * drop ** floor(step / steps_per_drop)``, meant for EPOCHS.

    The classic callback formula: with ``as_epoch_callback()`` the rate is multiplied by ``drop``
    at epochs ``steps_per_drop``, ``2 * steps_per_drop``, ... (0-based, as Keras passes them).
    """

    _fields = ("initial_learning_rate", "drop", "steps_per_drop")

    counts = "epochs"

    def __init__(self, initial_learning_rate, drop, steps_per_drop):
        self.initial_learning_rate = _positive_lr(initial_learning_rate)
        self.drop = _checks.number("drop", drop, low=0, high=1, low_open=True)
        self.steps_per_drop = _positive_steps("steps_per_drop", steps_per_drop)

    def formula(self, step, ops):
        drops = ops.floor(step / self.steps_per_drop)
        return self.initial_learning_rate * ops.power(self.drop, drops)


class PiecewiseConstantDecay(Schedule):
    """``values[i]`` on ``boundaries[i-1] < step <= boundaries[i]`` (Keras PiecewiseConstantDecay).

    The upper boundary is INCLUSIVE: with ``boundaries=[3, 6]`` steps 0-3 get ``values[0]``, 4-6
    get ``values[1]`` and 7 onwards ``values[2]`` (torch's MultiStepLR changes one step earlier).
    """

    _fields = ("boundaries", "values")

    def __init__(self, boundaries, values):
        self.boundaries = _increasing("boundaries", boundaries)
        values = _list("values", values)
        self.values = [_checks.positive(f"values[{i}]", v) for i, v in enumerate(values)]
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError(
                f"values must have one more entry than boundaries ({len(self.boundaries)} "
                f"boundaries need {len(self.boundaries) + 1} values), got {len(self.values)}"
            )

    def formula(self, step, ops):
        value = ops.zeros_like(step) + self.values[0]
        for boundary, v in zip(self.boundaries, self.values[1:], strict=True):
            value = ops.where(step > boundary, v, value)
        return value


class ExponentialDecay(_RateDecay):
    """``lr0 * decay_rate ** (step / decay_steps)`` (Keras ExponentialDecay).

    ``staircase=True`` floors the exponent: the rate drops by ``decay_rate`` every ``decay_steps``.
    ``decay_rate > 1`` grows instead (the sweep of an LR range test).
    """

    def formula(self, step, ops):
        p = _progress(step, self.decay_steps, self.staircase, ops)
        return self.initial_learning_rate * ops.power(self.decay_rate, p)


class NaturalExponentialDecay(Schedule):
    """``lr0 * exp(-decay_rate * step / decay_steps)``: the ``lr0 * e^(-k t)`` form.

    With ``decay_steps=1`` the rate ``k`` is per step. The same curve as
    ``ExponentialDecay(lr0, decay_steps, exp(-k))``; ``staircase=True`` floors the exponent.
    """

    _fields = ("initial_learning_rate", "decay_rate", "decay_steps", "staircase")

    def __init__(self, initial_learning_rate, decay_rate, decay_steps=1, staircase=False):
        self.initial_learning_rate = _positive_lr(initial_learning_rate)
        self.decay_rate = _checks.positive("decay_rate", decay_rate)
        self.decay_steps = _positive_steps("decay_steps", decay_steps)
        self.staircase = _flag("staircase", staircase)

    def formula(self, step, ops):
        p = _progress(step, self.decay_steps, self.staircase, ops)
        return self.initial_learning_rate * ops.exp(-self.decay_rate * p)


class PolynomialDecay(Schedule):
    """``(lr0 - end) * (1 - step / decay_steps) ** power + end`` (Keras PolynomialDecay).

    The step is clamped at ``decay_steps`` (then the rate stays at ``end_learning_rate``). With
    ``cycle=True`` the horizon becomes the first multiple of ``decay_steps`` not below the step
    (``decay_steps`` itself at step 0), so the rate jumps back up after each multiple.
    """

    _fields = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle")

    def __init__(
        self, initial_learning_rate, decay_steps, end_learning_rate=1e-4, power=1.0, cycle=False
    ):
        self.initial_learning_rate = _positive_lr(initial_learning_rate)
        self.decay_steps = _positive_steps("decay_steps", decay_steps)
        self.end_learning_rate = _checks.non_negative("end_learning_rate", end_learning_rate)
        self.power = _checks.positive("power", power)
        self.cycle = _flag("cycle", cycle)

    def formula(self, step, ops):
        horizon = self.decay_steps
        if self.cycle:
            horizon = horizon * ops.where(ops.equal(step, 0), 1.0, ops.ceil(step / horizon))
        else:
            step = ops.minimum(step, horizon)
        decayed = ops.power(1 - step / horizon, self.power)
        end = self.end_learning_rate
        return (self.initial_learning_rate - end) * decayed + end


class CosineDecay(Schedule):
    """Cosine annealing with an optional linear warmup (Keras CosineDecay).

    Without ``warmup_target``: ``lr0 * ((1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2 + alpha)``
    with ``s = min(step, decay_steps)``: from ``lr0`` down to ``alpha * lr0``, then flat (clamped;
    torch's CosineAnnealingLR is not clamped and rises again). ``warmup_steps`` is IGNORED without
    ``warmup_target``, as in Keras. With ``warmup_target``: a straight line from ``lr0`` to
    ``warmup_target`` over ``warmup_steps`` steps, then the cosine from ``warmup_target`` over the
    next ``decay_steps`` steps.
    """

    _fields = ("initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps")

    def __init__(
        self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0
    ):
        if warmup_target is None:
            self.initial_learning_rate = _checks.positive(
                "initial_learning_rate", initial_learning_rate
            )
            self.warmup_target = None
        else:  # a warmup may start from zero
            self.initial_learning_rate = _checks.non_negative(
                "initial_learning_rate", initial_learning_rate
            )
            self.warmup_target = _checks.positive("warmup_target", warmup_target)
        self.decay_steps = _positive_steps("decay_steps", decay_steps)
        self.alpha = _checks.number("alpha", alpha, low=0, high=1)
        self.warmup_steps = _checks.count("warmup_steps", warmup_steps, minimum=0)

    def formula(self, step, ops):
        lr0, total = self.initial_learning_rate, self.decay_steps
        if self.warmup_target is None:
            return lr0 * _cosine(ops.minimum(step, total), total, self.alpha, ops)
        warm = self.warmup_steps
        step = ops.minimum(step, total + warm)
        ramp = lr0 + (self.warmup_target - lr0) * step / max(warm, 1)
        decay = self.warmup_target * _cosine(step - warm, total, self.alpha, ops)
        return ops.where(step < warm, ramp, decay)


class CosineDecayRestarts(Schedule):
    """Cosine annealing with warm restarts, SGDR (Keras CosineDecayRestarts).

    The first cosine lasts ``first_decay_steps``; each next one is ``t_mul`` times longer and
    starts ``m_mul`` times higher; ``alpha * lr0`` is the floor. With ``m_mul=1`` this is torch's
    ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min=alpha * lr0)``. ``t_mul < 1`` is refused:
    shrinking periods end the schedule after ``first_decay_steps / (1 - t_mul)`` steps (Keras
    returns NaN there).
    """

    _fields = ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha")

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
        self.initial_learning_rate = _positive_lr(initial_learning_rate)
        self.first_decay_steps = _positive_steps("first_decay_steps", first_decay_steps)
        self.t_mul = _checks.number("t_mul", t_mul, low=1)
        self.m_mul = _checks.positive("m_mul", m_mul)
        self.alpha = _checks.number("alpha", alpha, low=0, high=1)

    def formula(self, step, ops):
        t_mul, f = self.t_mul, step / self.first_decay_steps  # f: progress in first-period units
        if t_mul == 1:
            restart = ops.floor(f)
            f = f - restart
        else:  # restart i starts at f = (1 - t_mul**i) / (1 - t_mul): invert that geometric sum
            restart = ops.floor(ops.log(1 - f * (1 - t_mul)) / math.log(t_mul))
            f = (f - (1 - ops.power(t_mul, restart)) / (1 - t_mul)) / ops.power(t_mul, restart)
        height = ops.power(self.m_mul, restart)
        decayed = (1 - self.alpha) * 0.5 * height * (1 + ops.cos(math.pi * f)) + self.alpha
        return self.initial_learning_rate * decayed


class Cyclical(Schedule):
    """Cyclical learning rates (Smith 2017): a triangle between base and max, counted in batches.

    ``step_size`` is HALF a cycle: the rate climbs from ``base_learning_rate`` at step 0 to
    ``max_learning_rate`` at ``step_size`` and is back at the base at ``2 * step_size``.
    ``mode``: "triangular" (same height every cycle), "triangular2" (height halves each cycle),
    "exp_range" (height times ``gamma ** step``). Same formula as tensorflow-addons'
    CyclicalLearningRate and torch's CyclicLR (which also cycles momentum by default)::

        cycle = floor(1 + step / (2 step_size));  x = |step / step_size - 2 cycle + 1|
        lr = base + (max - base) * max(0, 1 - x) * scale
    """

    _fields = ("base_learning_rate", "max_learning_rate", "step_size", "mode", "gamma")

    def __init__(
        self, base_learning_rate, max_learning_rate, step_size, mode="triangular", gamma=1.0
    ):
        self.base_learning_rate = _checks.positive("base_learning_rate", base_learning_rate)
        self.max_learning_rate = _checks.number(
            "max_learning_rate", max_learning_rate, low=self.base_learning_rate
        )
        self.step_size = _positive_steps("step_size", step_size)
        self.mode = _checks.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
        self.gamma = _checks.number("gamma", gamma, low=0, high=1, low_open=True)

    def formula(self, step, ops):
        cycle = ops.floor(1 + step / (2 * self.step_size))
        x = ops.abs(step / self.step_size - 2 * cycle + 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = ops.power(0.5, cycle - 1)
        else:
            scale = ops.power(self.gamma, step)
        height = self.max_learning_rate - self.base_learning_rate
        return self.base_learning_rate + height * ops.maximum(0.0, 1 - x) * scale


class OneCycle(Schedule):
    """The one-cycle policy, in torch's ``OneCycleLR`` convention (two phases).

    Phase 1 anneals from ``max_learning_rate / div_factor`` up to ``max_learning_rate``, reached at
    step ``pct_start * total_steps - 1``; phase 2 anneals down to
    ``max_learning_rate / div_factor / final_div_factor``, reached at step ``total_steps - 1``.
    ``anneal_strategy`` "cos" uses half cosines (as torch and fastai do), "linear" straight lines.
    Torch raises after ``total_steps``; here the rate stays at its final value. fastai's
    ``fit_one_cycle`` starts at ``max/div`` (div=25), peaks at ``pct_start=0.25`` and ends at
    ``max/div_final`` (div_final=1e5), which in this convention is ``final_div_factor=4e3``.
    Momentum cycling is not part of a learning-rate schedule.
    """

    _fields = (
        "max_learning_rate",
        "total_steps",
        "pct_start",
        "div_factor",
        "final_div_factor",
        "anneal_strategy",
    )

    def __init__(
        self,
        max_learning_rate,
        total_steps,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal_strategy="cos",
    ):
        self.max_learning_rate = _checks.positive("max_learning_rate", max_learning_rate)
        self.total_steps = _checks.count("total_steps", total_steps, minimum=2)
        self.pct_start = _checks.number(
            "pct_start", pct_start, low=0, high=1, low_open=True, high_open=True
        )
        if self.pct_start * self.total_steps <= 1:
            raise ValueError(
                "pct_start * total_steps must be > 1 so that the warm-up phase lasts at least a "
                f"step, got pct_start={pct_start!r} with total_steps={total_steps!r}"
            )
        self.div_factor = _checks.number("div_factor", div_factor, low=1)
        self.final_div_factor = _checks.number("final_div_factor", final_div_factor, low=1)
        self.anneal_strategy = _checks.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))

    def formula(self, step, ops):
        peak = self.max_learning_rate
        start = peak / self.div_factor
        final = start / self.final_div_factor
        top = self.pct_start * self.total_steps - 1  # the step where the peak is reached
        last = self.total_steps - 1
        step = ops.minimum(step, last)
        up = self._anneal(start, peak, step / top, ops)
        down = self._anneal(peak, final, (step - top) / (last - top), ops)
        return ops.where(step <= top, up, down)

    def _anneal(self, begin, end, pct, ops):
        if self.anneal_strategy == "linear":
            return begin + (end - begin) * pct
        return end + (begin - end) / 2 * (1 + ops.cos(math.pi * pct))


class Warmup(Schedule):
    """A linear warmup from ``start`` in front of another schedule.

    For ``step < warmup_steps`` the rate is the straight line from ``start`` (at step 0) towards
    the value where the wrapped schedule takes over (reached at ``warmup_steps``). Then:

    - ``shift=True`` (default): the wrapped schedule starts afresh at
      ``schedule(step - warmup_steps)``, so its whole shape follows the warmup:
      ``Warmup(CosineDecay(peak, T), W, start)`` is Keras's
      ``CosineDecay(start, T, warmup_target=peak, warmup_steps=W)``.
    - ``shift=False``: ``schedule(step)``, as if the warmup had covered the schedule's first steps.
    """

    _fields = ("schedule", "warmup_steps", "start", "shift")

    def __init__(self, schedule, warmup_steps, start=0.0, shift=True):
        self.schedule = _schedule("schedule", schedule)
        self.warmup_steps = _checks.count("warmup_steps", warmup_steps, minimum=0)
        self.start = _checks.non_negative("start", start)
        self.shift = _flag("shift", shift)

    @property
    def counts(self):
        return self.schedule.counts

    def get_config(self):
        return {
            "schedule": serialize(self.schedule),
            "warmup_steps": self.warmup_steps,
            "start": self.start,
            "shift": self.shift,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "schedule": deserialize(config["schedule"])})

    def formula(self, step, ops):
        warm = self.warmup_steps
        handover = 0 if self.shift else warm
        target = self.schedule(handover)  # a constant: the wrapped schedule where it takes over
        after = self.schedule.formula(ops.maximum(step - warm, 0) if self.shift else step, ops)
        ramp = self.start + (target - self.start) * step / max(warm, 1)
        return ops.where(step < warm, ramp, after)


class Sequence(Schedule):
    """Schedules one after another (like ``optax.join_schedules``).

    ``schedules[i]`` runs for ``boundaries[i-1] <= step < boundaries[i]`` and counts its own steps
    from 0 there (it is called with ``step - boundaries[i-1]``). The switch happens AT the boundary,
    unlike Keras's ``PiecewiseConstantDecay``, whose upper boundaries are inclusive.
    """

    _fields = ("schedules", "boundaries")

    def __init__(self, schedules, boundaries):
        schedules = _list("schedules", schedules)
        self.schedules = [_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
        self.boundaries = _increasing("boundaries", boundaries)
        if len(self.boundaries) != len(self.schedules) - 1:
            raise ValueError(
                f"boundaries must have one entry fewer than schedules ({len(self.schedules)} "
                f"schedules need {len(self.schedules) - 1} boundaries), got {len(self.boundaries)}"
            )

    @property
    def counts(self):
        return self.schedules[0].counts

    def get_config(self):
        return {
            "schedules": [serialize(s) for s in self.schedules],
            "boundaries": list(self.boundaries),
        }

    @classmethod
    def from_config(cls, config):
        return cls([deserialize(s) for s in config["schedules"]], config["boundaries"])

    def formula(self, step, ops):
        value = self.schedules[0].formula(step, ops)
        for boundary, schedule in zip(self.boundaries, self.schedules[1:], strict=True):
            later = schedule.formula(ops.maximum(step - boundary, 0), ops)
            value = ops.where(step < boundary, value, later)
        return value


def warmup(schedule, warmup_steps, start=0.0, shift=True):
    """``schedule`` preceded by a linear warmup from ``start`` over ``warmup_steps`` steps."""
    return Warmup(schedule, warmup_steps, start=start, shift=shift)


def sequence(schedules, boundaries):
    """Join schedules: ``schedules[i]`` from ``boundaries[i-1]`` on, restarted at its step 0."""
    return Sequence(schedules, boundaries)


# --------------------------------------------------------------------------- configs and Keras


def serialize(schedule):
    """A JSON-ready dict ``{"schedule": class name, "config": get_config()}``."""
    schedule = _schedule("schedule", schedule)
    return {"schedule": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """The schedule described by :func:`serialize`'s output."""
    if isinstance(config, Schedule):
        return config
    if not isinstance(config, dict) or config.get("schedule") not in _REGISTRY:
        raise ValueError(
            "config must be a dict made by serialize(), naming one of "
            f"{', '.join(sorted(_REGISTRY))}; got {config!r}"
        )
    return _REGISTRY[config["schedule"]].from_config(dict(config.get("config", {})))


_KERAS_ADAPTER = None
_KERAS_NAME = "lrcourse>KerasSchedule"


def register_keras():
    """Define (once) and return the Keras adapter class, registered as ``"lrcourse>KerasSchedule"``.

    Imports Keras. Call it before ``keras.saving.load_model`` in a kernel that has not built a
    schedule with ``to_keras()`` yet.
    """
    global _KERAS_ADAPTER
    if _KERAS_ADAPTER is not None:
        return _KERAS_ADAPTER
    keras = _keras()
    existing = keras.saving.get_registered_object(_KERAS_NAME)
    if existing is not None:  # this module was reloaded; Keras keeps the first registration
        _KERAS_ADAPTER = existing
        return existing

    class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """A course schedule inside Keras: the same formula, computed with ``keras.ops`` in float32.

        ``step`` is the optimizer's ``iterations`` (batches so far); ``schedule`` is the wrapped
        course schedule.
        """

        def __init__(self, schedule):
            super().__init__()
            self.schedule = deserialize(schedule)

        def __call__(self, step):
            ops = keras.ops
            value = self.schedule.formula(ops.cast(step, "float32"), ops)
            return ops.cast(value, "float32")

        def get_config(self):
            return {"schedule": serialize(self.schedule)}

        @classmethod
        def from_config(cls, config):
            return cls(config["schedule"])

        def __repr__(self):
            return f"KerasSchedule({self.schedule!r})"

    KerasSchedule.__module__ = __name__
    KerasSchedule.__qualname__ = "KerasSchedule"
    _KERAS_ADAPTER = keras.saving.register_keras_serializable(package="lrcourse")(KerasSchedule)
    return _KERAS_ADAPTER


def custom_objects():
    """``{"lrcourse>KerasSchedule": class}`` for ``keras.saving.load_model(custom_objects=...)``."""
    return {_KERAS_NAME: register_keras()}


def _keras():
    import warnings

    from lrcourse._setup import quiet_tensorflow

    quiet_tensorflow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
    return keras


# --------------------------------------------------------------------------- small pieces


def _progress(step, decay_steps, staircase, ops):
    """``step / decay_steps``, floored for a staircase."""
    p = step / decay_steps
    return ops.floor(p) if staircase else p


def _cosine(step, decay_steps, alpha, ops):
    """The cosine factor, from 1 at step 0 down to ``alpha`` at ``decay_steps``."""
    return (1 - alpha) * 0.5 * (1 + ops.cos(math.pi * step / decay_steps)) + alpha


def _steps(step):
    steps = _checks.array("step", step)
    if np.any(steps < 0):
        raise ValueError(f"step must be >= 0 (0 is the first step), got {step!r}")
    return steps


def _positive_lr(value):
    return _checks.positive("initial_learning_rate", value)


def _positive_steps(name, value):
    """A positive number of steps, kept an int when given as one (it reads better in configs)."""
    value_f = _checks.positive(name, value)
    return int(value) if isinstance(value, numbers.Integral) else value_f


def _flag(name, value):
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _list(name, value):
    if isinstance(value, str | bytes | dict) or not hasattr(value, "__len__"):
        raise ValueError(f"{name} must be a list, got {value!r}")
    return list(value)


def _increasing(name, values):
    out = []
    for i, b in enumerate(_list(name, values)):
        b_f = _checks.non_negative(f"{name}[{i}]", b)
        out.append(int(b) if isinstance(b, numbers.Integral) else b_f)
    if any(later <= earlier for earlier, later in zip(out, out[1:], strict=False)):
        raise ValueError(f"{name} must be strictly increasing, got {list(values)!r}")
    return out


def _schedule(name, value):
    if not isinstance(value, Schedule):
        raise ValueError(f"{name} must be an lrcourse schedule (e.g. CosineDecay), got {value!r}")
    return value


def _plain(value):
    return list(value) if isinstance(value, list) else value


def _short(value):
    return f"{value:g}" if isinstance(value, float) else repr(value)
