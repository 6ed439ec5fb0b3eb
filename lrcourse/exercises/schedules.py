"""Checkers for the schedule exercises (notebooks 10-18).

Each checker calls the learner's function at many steps, compares with the reference schedule from
:mod:`lrcourse.schedules` and names the first step that differs. Before that it looks for the
classic mistakes (a 1-based epoch, ``step_size`` read as a whole cycle, a cosine that forgets the
warmup, ...), each built from the same reference schedules with shifted or altered steps.

Who typed what: the FIRST argument is the learner's answer, and nothing in it makes a checker
raise; a wrong kind of answer is "not yet" with the reason. The other arguments set up the
exercise (written by the notebook): a bad one raises ``ValueError`` naming it, placeholder or not,
so a broken exercise is noticed at once. A checker calls the learner's function at most
``MAX_CALLS`` times (it cannot stop a function that never returns).
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import re
import tempfile
import warnings

import numpy as np

from lrcourse import _checks
from lrcourse import schedules as sch
from lrcourse.exercises import (
    NOT_ATTEMPTED,
    _way,
    as_numbers,
    brief,
    call_learner,
    check_sequence,
    correct,
    fmt,
    is_placeholder,
    not_attempted,
    reveals,
    wrong,
)
from lrcourse.plateau import replay_plateau

__all__ = [
    "check_cyclical",
    "check_decay_arguments",
    "check_plateau_reductions",
    "check_serializable_schedule",
    "check_step_decay",
    "check_time_based_replacement",
    "check_warmup_cosine",
    "check_warmup_stable_decay",
]

MAX_CALLS = 10_000  # the most steps (or epochs) a checker asks the learner's function about


@reveals
def check_step_decay(fn, initial_learning_rate=0.1, drop=0.5, steps_per_drop=10, epochs=40):
    """``fn(epoch)`` should return ``lr0 * drop ** floor(epoch / steps_per_drop)``.

    ``epoch`` is 0-based, as ``keras.callbacks.LearningRateScheduler`` passes it. The reference is
    :func:`lrcourse.schedules.step_decay`.
    """
    sch._length("steps_per_drop", steps_per_drop)  # named as this checker names it
    reference = sch.step_decay(initial_learning_rate, drop, steps_per_drop)
    epochs = np.arange(_checks.count("epochs", epochs, maximum=MAX_CALLS))
    bugs = {
        "one_based": (
            lambda: reference(epochs + 1),
            "your rate drops one epoch early: Keras passes a 0-based epoch, so use "
            "floor(epoch / steps_per_drop), not floor((1 + epoch) / steps_per_drop).",
        ),
        "late": (
            lambda: reference(np.maximum(epochs - 1, 0)),
            "your rate drops one epoch late: epoch 0 is the first epoch, no need to subtract 1.",
        ),
        "no_floor": (
            lambda: sch.ExponentialDecay(initial_learning_rate, steps_per_drop, drop)(epochs),
            "your rate decays smoothly: step decay keeps it constant between drops "
            "(floor the exponent).",
        ),
    }
    return _check_schedule(fn, reference, epochs, bugs, what="epoch")


@reveals
def check_warmup_cosine(
    fn, peak=0.1, warmup_steps=10, decay_steps=40, alpha=0.0, start=0.0, steps=None
):
    """``fn(step)``: a linear warmup from ``start`` to ``peak`` over ``warmup_steps`` steps, then a
    cosine from ``peak`` down to ``alpha * peak`` over ``decay_steps`` steps, then flat (Keras's
    ``CosineDecay(start, decay_steps, alpha, warmup_target=peak, warmup_steps=warmup_steps)``).
    """
    _checks.positive("peak", peak)  # checked here too, to name them as this checker does
    _checks.non_negative("start", start)
    reference = sch.CosineDecay(
        start, decay_steps, alpha, warmup_target=peak, warmup_steps=warmup_steps
    )
    cosine = sch.CosineDecay(peak, decay_steps, alpha=alpha)
    steps = _steps(steps, warmup_steps + decay_steps + 10)
    w, t = warmup_steps, decay_steps
    warming = steps < w
    # an unclamped cosine climbs back up: the clamped one at the step reflected about t (period 2t)
    reflected = t - np.abs(np.mod(np.maximum(steps - w, 0), 2 * t) - t)
    bugs = {
        "unshifted": (
            lambda: np.where(warming, reference(steps), cosine(steps)),
            "after the warmup your cosine does not start from the peak: measure its progress "
            "from the end of the warmup, (step - warmup_steps) / decay_steps.",
        ),
        "unclamped": (
            lambda: np.where(warming, reference(steps), cosine(reflected)),
            "after warmup_steps + decay_steps your rate climbs again: clamp the step, "
            "min(step - warmup_steps, decay_steps), so it stays at alpha * peak.",
        ),
        "early_peak": (
            lambda: np.where(
                steps < w - 1, sch.Warmup(cosine, w - 1, start)(steps), reference(steps)
            ),
            "your warmup reaches the peak one step early: the ramp is start + (peak - start) * "
            "step / warmup_steps, which reaches the peak at step warmup_steps.",
        ),
    }
    return _check_schedule(fn, reference, steps, bugs, what="step")


@reveals
def check_cyclical(
    fn, base_learning_rate=1e-3, max_learning_rate=6e-3, step_size=20, mode="triangular", steps=None
):
    """``fn(step)``: Smith's cyclical learning rate, ``step_size`` being HALF a cycle."""
    reference = sch.Cyclical(base_learning_rate, max_learning_rate, step_size, mode=mode)
    steps = _steps(steps, 4 * step_size + 1)

    def variant(size=step_size, policy=mode):
        return lambda: sch.Cyclical(base_learning_rate, max_learning_rate, size, policy)(steps)

    bugs = {
        "full_cycle": (
            variant(size=step_size / 2),
            "your cycles are twice too short: step_size is HALF a cycle (the peak is at step "
            "step_size, the next low point at 2 * step_size).",
        ),
        "double_cycle": (
            variant(size=2 * step_size),
            "your cycles are twice too long: the rate should reach its peak at step step_size.",
        ),
    }
    for other in ("triangular", "triangular2"):
        if other != mode:
            bugs[other] = (
                variant(policy=other),
                f"that is the {other!r} policy; this exercise asks for {mode!r}.",
            )
    return _check_schedule(fn, reference, steps, bugs, what="step")


@reveals
def check_time_based_replacement(
    schedule, learning_rate=0.01, decay=1e-3, steps_per_epoch=50, steps=None
):
    """``schedule`` (any callable of the step, a Keras schedule included) should reproduce Keras 2's
    ``SGD(lr=learning_rate, decay=decay)``: ``learning_rate / (1 + decay * step)``, per BATCH.
    """
    _checks.positive("learning_rate", learning_rate)  # named as this checker names them
    _checks.positive("decay", decay)
    reference = sch.InverseTimeDecay(learning_rate, 1, decay)
    steps_per_epoch = _checks.count("steps_per_epoch", steps_per_epoch, maximum=MAX_CALLS)
    steps = _steps(steps, 3 * steps_per_epoch + 1)
    bugs = {
        "per_epoch": (
            lambda: sch.InverseTimeDecay(learning_rate, steps_per_epoch, decay, True)(steps),
            "that decays once per epoch; Keras 2's decay= was applied after every batch "
            "(decay_steps=1).",
        ),
        "per_epoch_smooth": (
            lambda: sch.InverseTimeDecay(learning_rate, steps_per_epoch, decay)(steps),
            "that decays steps_per_epoch times too slowly; Keras 2's decay= counted batches "
            "(decay_steps=1).",
        ),
        "exponential": (
            lambda: sch.ExponentialDecay(learning_rate, 1, 1 - decay)(steps),
            "that is an exponential decay; Keras 2's decay= was time-based: lr / (1 + decay * t).",
        ),
    }
    return _check_schedule(schedule, reference, steps, bugs, what="step")


@reveals
def check_plateau_reductions(answer, losses, learning_rate=0.1, **plateau_args):
    """``answer``: the 0-based epochs at whose end ReduceLROnPlateau cuts the rate on ``losses``.

    ``plateau_args`` are ReduceLROnPlateau's (factor, patience, min_delta, cooldown, min_lr, mode).
    """
    result = replay_plateau(losses, learning_rate, **plateau_args)
    if is_placeholder(answer):
        return not_attempted()
    got = _epoch_list(answer, limit=len(result.losses))
    if got is None:
        return wrong(f"answer should be a list of epoch numbers, got {_checks._brief(answer)}.")
    if len(got) > len(result.losses):
        return wrong(f"there are only {len(result.losses)} epochs, so at most as many cuts.")
    want = list(result.reductions)
    if got == want:
        if not want:
            return correct("the rate is never cut on this trace.")
        return correct(f"the rate is cut at the end of epochs {want}.")
    patience = plateau_args.get("patience", 10)
    torch_rule = list(
        replay_plateau(
            losses, learning_rate, **{**plateau_args, "patience": patience + 1}
        ).reductions
    )
    if want and got == [e + 1 for e in want]:
        return wrong("those are 1-based epoch numbers; count epochs from 0 as Keras does.")
    if got == torch_rule:
        return wrong(
            "that is torch's rule (cut on the (patience + 1)-th bad epoch); Keras cuts on the "
            "patience-th bad epoch in a row."
        )
    if plateau_args.get("cooldown", 0) and got == list(
        replay_plateau(losses, learning_rate, **{**plateau_args, "cooldown": 0}).reductions
    ):
        return wrong("remember the cooldown: after a cut, the counter rests for cooldown epochs.")
    missing = [e for e in want if e not in got]
    extra = [e for e in got if e not in want]
    parts = []
    if missing:
        parts.append(f"a cut also happens after epoch {missing[0]}")
    if extra:
        parts.append(f"there is no cut after epoch {extra[0]}")
    return wrong("; ".join(parts) + ". Replay wait and best epoch by epoch.")


DECAY_CASES = ((5, 22), (2, 100), (1.5, 40))  # (half-life in epochs, batches per epoch)


@reveals
def check_decay_arguments(fn, cases=DECAY_CASES):
    """``fn(half_life_epochs, steps_per_epoch)`` should return ``(decay_steps, decay_rate)`` for
    Keras's ``ExponentialDecay`` given to the optimizer (its step counts batches), so that the
    rate halves every ``half_life_epochs`` epochs.

    Every pair with ``decay_rate ** (1 / decay_steps) == 0.5 ** (1 / (half_life_epochs *
    steps_per_epoch))`` gives that curve, ``(half_life_epochs * steps_per_epoch, 0.5)`` the
    simplest. ``cases``: the ``(half_life_epochs > 0, steps_per_epoch >= 1)`` pairs to try.
    """
    cases = _decay_cases(cases)
    if is_placeholder(fn):
        return not_attempted()
    if not callable(fn):
        return wrong(
            f"expected a function of (half_life_epochs, steps_per_epoch), got {brief(fn)}."
        )
    for epochs, per_epoch in cases:
        feedback = _one_decay_case(fn, epochs, per_epoch)
        if feedback is not None:
            return feedback
    halves = ", ".join(f"{epochs * per_epoch:g}" for epochs, per_epoch in cases)
    return correct(
        f"in all {len(cases)} cases the rate halves every half_life_epochs * steps_per_epoch "
        f"batches ({halves})."
    )


def _decay_cases(cases):
    """The teacher's cases as (positive float, count) pairs, 1 to 20 of them."""
    listable = hasattr(cases, "__len__") and not isinstance(cases, str | bytes | dict)
    if not listable or not 1 <= len(cases) <= 20:
        raise ValueError(
            f"cases must be 1 to 20 (half_life_epochs, steps_per_epoch) pairs, got {brief(cases)}"
        )
    checked = []
    for case in cases:
        if not hasattr(case, "__len__") or len(case) != 2:
            raise ValueError(
                f"cases must hold (half_life_epochs, steps_per_epoch) pairs, got {brief(case)}"
            )
        epochs = _checks.number("half_life_epochs", case[0], low=0, low_open=True, high=1e6)
        checked.append((epochs, _checks.count("steps_per_epoch", case[1], maximum=10**6)))
    return checked


def _one_decay_case(fn, epochs, per_epoch):
    """None if ``fn`` is right for this case, else the feedback."""
    where = f"with half_life_epochs={epochs:g}, steps_per_epoch={per_epoch}"
    target = epochs * per_epoch  # the half-life in batches
    answer = (
        f"decay_steps = half_life_epochs * steps_per_epoch = {target:g} and decay_rate = 0.5 (or "
        f"any pair with decay_rate ** (1 / decay_steps) = 0.5 ** (1 / {target:g}))."
    )
    value, feedback = call_learner(fn, epochs, per_epoch)
    if feedback is not None:
        if feedback.state == NOT_ATTEMPTED:
            return feedback
        return wrong(f"{where}: {feedback.message}")
    pair = as_numbers(value) if isinstance(value, tuple | list | np.ndarray) else None
    if pair is None or pair.shape != (2,) or not np.all(np.isfinite(pair)):
        return wrong(
            f"{where} your function returned {brief(value)}; it should return two numbers, "
            "(decay_steps, decay_rate)."
        )
    steps, rate = (float(v) for v in pair)
    if steps <= 0:
        return wrong(f"{where} decay_steps is {fmt(steps)}; it must be a number of batches > 0.")
    if rate <= 0:
        return wrong(
            f"{where} decay_rate is {fmt(rate)}; it is the share of the rate KEPT over "
            "decay_steps batches, a number between 0 and 1."
        )
    if rate >= 1:
        grows = "stays flat" if rate == 1 else "grows"
        return wrong(
            f"{where} decay_rate is {fmt(rate)}, so the rate {grows}: decay_rate is the share "
            "kept over decay_steps batches, below 1 for a decay.",
            answer,
        )
    half = steps * math.log(2) / math.log(1 / rate)  # the learner's half-life, in batches
    if math.isclose(half, target, rel_tol=1e-6):
        return None
    said = f"{where} your rate halves every {fmt(half)} batches"
    for mistake, hint in (
        (
            math.isclose(half, epochs, rel_tol=1e-6),
            "every half_life_epochs batches, not epochs: the schedule object counts batches, "
            "so convert the half-life with steps_per_epoch.",
        ),
        (
            math.isclose(half, epochs / per_epoch, rel_tol=1e-6),
            "you divided by steps_per_epoch: an epoch holds steps_per_epoch batches, so a "
            "half-life in batches is longer than in epochs.",
        ),
        (
            any(math.isclose(rate, math.log(2) / h, rel_tol=1e-6) for h in (target, epochs)),
            "decay_rate looks like the decay constant k = ln 2 / half-life; Keras's decay_rate "
            "is the share kept over decay_steps batches, e^(-k * decay_steps).",
        ),
        (
            steps != 1 and math.isclose(rate, 0.5 ** (1 / target), rel_tol=1e-9),
            "your decay_rate is the factor of ONE batch, but Keras multiplies by decay_rate once "
            "every decay_steps batches.",
        ),
    ):
        if mistake:
            return wrong(f"{said}: {hint}", answer)
    slow = "slowly" if half > target else "fast"
    return wrong(
        f"{said}: that half-life is {_way(half, target)} (the rate falls too {slow}).", answer
    )


@reveals
def check_warmup_stable_decay(
    fn, peak=0.1, warmup_steps=10, stable_steps=60, decay_steps=20, steps=None
):
    """``fn(step)``: warmup-stable-decay (WSD). A straight line from 0 to ``peak`` over
    ``warmup_steps`` steps, the peak held for ``stable_steps`` more steps, then a straight line
    down to 0 over ``decay_steps`` steps (from step ``warmup_steps + stable_steps``), then 0.
    """
    reference, bugs = _wsd(peak, warmup_steps, stable_steps, decay_steps)
    steps = _steps(steps, warmup_steps + stable_steps + decay_steps + 10)
    return _check_schedule(fn, reference, steps, bugs(steps), what="step")


def _wsd(peak, warmup_steps, stable_steps, decay_steps):
    """The WSD reference, built from :mod:`lrcourse.schedules`, and ``bugs(steps)``: its classic
    mistakes, each ``(values, message)`` as :func:`_check_schedule` wants them."""
    peak = _checks.positive("peak", peak)
    w = _checks.count("warmup_steps", warmup_steps, minimum=0, maximum=MAX_CALLS)
    s = _checks.count("stable_steps", stable_steps, maximum=MAX_CALLS)
    d = _checks.count("decay_steps", decay_steps, maximum=MAX_CALLS)

    def wsd(warm=w, switch=w + s, decay=None):
        decay = decay or sch.PolynomialDecay(peak, d, end_learning_rate=0.0)
        return sch.sequence([sch.warmup(sch.Constant(peak), warm), decay], [switch])

    reference = wsd()

    def bugs(steps):
        after = np.maximum(steps - w - s, 0)
        return {
            "unshifted": (
                lambda: np.where(steps < w + s, reference(steps), wsd()(steps + w + s)),
                "right after the stable stretch your rate is already down: measure the decay's "
                "progress from its own start, (step - warmup_steps - stable_steps) / decay_steps.",
            ),
            "stable_from_zero": (
                lambda: wsd(switch=s)(steps),
                "your decay starts warmup_steps too early: the stable stretch lasts stable_steps "
                "steps AFTER the warmup, so the decay starts at warmup_steps + stable_steps.",
            ),
            "one_late": (
                lambda: wsd(switch=w + s + 1)(steps),
                "your decay runs one step late: its progress is 0 at step warmup_steps + "
                "stable_steps and 1 at warmup_steps + stable_steps + decay_steps.",
            ),
            "unclamped": (
                lambda: np.where(steps < w + s, reference(steps), peak * (1 - after / d)),
                "after the decay your rate goes below 0: clamp it at 0 (a rate is never negative).",
            ),
            "early_peak": (
                lambda: wsd(warm=w - 1)(steps),
                "your warmup reaches the peak one step early: the ramp is peak * step / "
                "warmup_steps, which reaches the peak at step warmup_steps.",
            ),
            "cosine": (
                lambda: wsd(decay=sch.CosineDecay(peak, d))(steps),
                "your decay is a cosine; in this exercise it is a straight line down to 0.",
            ),
        }

    return reference, bugs


@reveals
def check_serializable_schedule(
    schedule_class, peak=0.1, warmup_steps=10, stable_steps=60, decay_steps=20, steps=None
):
    """``schedule_class``: a ``keras.optimizers.schedules.LearningRateSchedule`` subclass taking
    ``(peak, warmup_steps, stable_steps, decay_steps)`` whose ``__call__(step)`` is WSD (see
    :func:`check_warmup_stable_decay`) and that survives saving to ``.keras`` and loading.

    The checker builds the schedule with these settings, evaluates it inside a traced function
    (as the optimizer does in training: the step is a symbolic int64 tensor), compares it with
    the reference, then saves a tiny compiled model with ``SGD(learning_rate=schedule)`` to a
    temporary folder, loads it back and compares the loaded schedule's curve. It imports Keras.
    """
    reference, bugs = _wsd(peak, warmup_steps, stable_steps, decay_steps)
    steps = _steps(steps, warmup_steps + stable_steps + decay_steps + 10)
    if is_placeholder(schedule_class):
        return not_attempted()
    from lrcourse.keras.schedules import keras, keras_curve

    base = keras.optimizers.schedules.LearningRateSchedule
    cls = schedule_class if isinstance(schedule_class, type) else type(schedule_class)
    if not issubclass(cls, base):
        return wrong(
            "expected your class itself, a subclass of "
            f"keras.optimizers.schedules.LearningRateSchedule, got {brief(schedule_class)}."
        )
    if cls.__call__ is base.__call__:
        return not_attempted("write your class's __call__(self, step) first.")
    settings = dict(
        peak=peak, warmup_steps=warmup_steps, stable_steps=stable_steps, decay_steps=decay_steps
    )
    made = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    schedule, feedback = call_learner(cls, **settings)
    if feedback is not None:
        if feedback.state == NOT_ATTEMPTED:
            return feedback
        return wrong(
            f"{cls.__name__}({made}) failed: {feedback.message}. Your class should take "
            "__init__(self, peak, warmup_steps, stable_steps, decay_steps)."
        )
    curve, trouble = _traced(schedule, steps, keras_curve)
    if trouble is not None:
        return trouble
    feedback = _check_schedule(lambda step: curve[step], reference, steps, bugs(steps), what="step")
    if not feedback.correct:
        return feedback
    return _round_trip(cls, schedule, curve, steps, keras, keras_curve)


def _traced(schedule, steps, keras_curve):
    """``(curve, None)``: the schedule at every step, traced as in training; or ``(None, feedback)``
    naming what broke (a Python ``if`` on the step, ``math`` or NumPy on a tensor, ...)."""
    _, feedback = call_learner(schedule, 0)  # an eager call first: placeholders, plain errors
    if feedback is not None:
        return None, feedback if feedback.state == NOT_ATTEMPTED else wrong(
            f"at step 0: {feedback.message}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TensorFlow's own deprecation notes
            return keras_curve(schedule, steps), None
    except NotImplementedError as exc:  # NumPy on a symbolic tensor; or the learner's placeholder
        if "symbolic" not in _whole_text(exc):
            return None, not_attempted("your __call__ still raises NotImplementedError.")
        return None, wrong(_IN_TRAINING + "NumPy cannot compute with it: use keras.ops.")
    except Exception as exc:  # the learner's code may fail in any way once traced
        text = _last_line(exc)
        for needle, hint in _TRACED_BUGS:
            if needle in _whole_text(exc):
                return None, wrong(f"{_IN_TRAINING}{hint} (Keras said: {text})")
        return None, wrong(
            f"evaluated as in training (traced), your __call__ raised {type(exc).__name__}: {text}"
        )


_IN_TRAINING = "inside training the step is a symbolic int64 tensor (it has no value yet), so "
_TRACED_BUGS = (
    (
        "as a Python `bool`",
        "a Python `if` (or `and`, `or`, `min`, `max`) on it fails: choose with "
        "keras.ops.where(condition, a, b) and clip with keras.ops.minimum / maximum.",
    ),
    ("must be real number", "the math module cannot compute with it: use keras.ops."),
    (
        "Expected int64",
        "arithmetic with it and a float fails: cast it first, keras.ops.cast(step, 'float32').",
    ),
    (
        "Cannot convert",
        "it cannot be mixed with floats as is: cast it first, keras.ops.cast(step, 'float32').",
    ),
)


def _whole_text(exc):
    """``str(exc)``, or "" when the learner's exception breaks its own str."""
    try:
        return str(exc)
    except Exception:  # a learner's exception may break its own str
        return ""


def _last_line(exc):
    """The useful part of an exception traced by TensorFlow (which wraps it in the traceback of
    the learner's code): the line naming the error, cut after its first sentence."""
    lines = [line.strip() for line in _whole_text(exc).splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"\w+(Error|Exception): ", line)]
    text = (named or lines or [type(exc).__name__])[-1]
    first = re.match(r"(.+?[.!?])(\s|$)", text)
    text = first.group(1) if first else text
    return text if len(text) <= 160 else text[:157] + "..."


def _round_trip(cls, schedule, curve, steps, keras, keras_curve):
    """Save a tiny model compiled with ``schedule``, load it, compare the loaded schedule."""
    base = keras.optimizers.schedules.LearningRateSchedule
    config_answer = (
        "get_config returns {'peak': self.peak, 'warmup_steps': self.warmup_steps, "
        "'stable_steps': self.stable_steps, 'decay_steps': self.decay_steps}."
    )
    if cls.get_config is base.get_config:
        return wrong(
            "your class has no get_config, so Keras cannot write it into a .keras file: return "
            "the arguments of __init__ as a dict, under their own names.",
            config_answer,
        )
    config, feedback = call_learner(schedule.get_config)
    if feedback is not None:
        return wrong(f"get_config failed: {feedback.message}.")
    if not isinstance(config, dict):
        return wrong(
            f"get_config should return a dict of __init__'s arguments, got {brief(config)}."
        )
    _, feedback = call_learner(cls.from_config, config)
    if feedback is not None:
        return wrong(
            f"Keras rebuilds your schedule as {cls.__name__}(**get_config()), and that failed "
            f"({feedback.message.removeprefix('your function raised ')}): get_config must return "
            "every argument of __init__, under its own name.",
            config_answer,
        )
    name = keras.saving.get_registered_name(cls)
    if keras.saving.get_registered_object(name) is not cls:
        return wrong(
            "your class is not registered as serializable, so load_model cannot find it: decorate "
            "it with @keras.saving.register_keras_serializable(package=...).",
        )
    try:
        with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
            warnings.simplefilter("ignore")  # Keras's own notes on NumPy 2, not the learner's
            model = keras.Sequential(
                [keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")]
            )  # zeros: no random draw, the learner's seeds stay untouched
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
            path = os.path.join(folder, "tiny.keras")
            model.save(path)
            loaded = keras.saving.load_model(path).optimizer._learning_rate
    except Exception as exc:  # the learner's config may break saving or loading in any way
        return wrong(
            f"saving a model with your schedule to .keras and loading it failed "
            f"({type(exc).__name__}: {_last_line(exc)}); get_config must return plain numbers."
        )
    if type(loaded) is not cls:
        return wrong(
            f"loading rebuilt a {type(loaded).__name__}, not your class: another class is "
            f"registered under {name!r}; run your class's cell again."
        )
    again, trouble = _traced(loaded, steps, keras_curve)
    if trouble is not None:
        return wrong(f"after loading: {trouble.message}")
    close = np.isclose(again, curve, rtol=1e-6, atol=1e-9)
    if not close.all():
        i = int(np.argmin(close))
        return wrong(
            f"after saving and loading, your schedule gives {fmt(again[i])} at step {i}, "
            f"{_way(again[i], curve[i])}: get_config must return exactly what __init__ takes.",
            config_answer,
        )
    return correct(
        f"all {len(steps)} steps match, evaluated as in training, and the schedule comes back "
        f"from a .keras file as {name!r} with the same curve."
    )


def _check_schedule(fn, reference, steps, bugs, *, what):
    """Call ``fn`` at every step, then: correct, a recognised bug, or the first wrong step."""
    if is_placeholder(fn):
        return not_attempted()
    if not callable(fn):
        return wrong(f"expected a function of the {what}, got {_checks._brief(fn)}.")
    got = []
    for step in steps:
        value, feedback = call_learner(fn, int(step))
        if feedback is not None:
            if feedback.state == NOT_ATTEMPTED:
                return feedback
            return wrong(f"at {what} {int(step)}: {feedback.message}")
        number = _as_float(value)
        if number is None:
            return wrong(
                f"at {what} {int(step)} your function returned {_checks._brief(value)}, "
                "not a number."
            )
        got.append(number)
    got = np.array(got)
    want = reference(steps)
    rtol, atol = 1e-5, 1e-9  # float32 answers (a Keras schedule) are fine
    if np.allclose(got, want, rtol=rtol, atol=atol):
        return correct(f"all {len(steps)} {what}s match, from {fmt(want[0])} to {fmt(want[-1])}.")
    for make, hint in bugs.values():
        try:
            values = make()
        except ValueError:  # this mistake cannot be made with these settings (e.g. a 0-step ramp)
            continue
        if not np.allclose(values, want, rtol=rtol, atol=atol) and np.allclose(
            got, values, rtol=rtol, atol=atol
        ):
            i = int(np.argmax(~np.isclose(got, want, rtol=rtol, atol=atol)))
            return wrong(
                f"at {what} {i} your value {fmt(got[i])} is {_way(got[i], want[i])}: {hint}",
                f"{fmt(want[i])} at {what} {i}.",
            )
    return check_sequence(got, want, what=what, rtol=rtol, atol=atol)


def _steps(steps, default):
    """``np.arange(steps)``, ``steps`` (default ``default``) being 1 to MAX_CALLS."""
    steps = math.ceil(default) if steps is None else steps
    return np.arange(_checks.count("steps", steps, maximum=MAX_CALLS))


def _as_float(value):
    """The learner's value as a finite float, or None (an array of several numbers is not one)."""
    try:
        arr = np.asarray(value)
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            return None
        number = float(arr.reshape(()))
    except Exception:  # the learner's object may fail to convert in any way
        return None
    return number if math.isfinite(number) else None


def _epoch_list(answer, limit):
    """The learner's epochs, sorted, or None if ``answer`` is not a collection of whole numbers.

    Reads at most ``limit + 1`` items, so an endless generator cannot hang the checker.
    """
    if isinstance(answer, str | bytes | dict | numbers.Number) or not hasattr(answer, "__iter__"):
        return None
    try:
        items = list(itertools.islice(iter(answer), limit + 1))
    except Exception:  # the learner's object may fail to iterate in any way
        return None
    epochs = []
    for item in items:
        whole = isinstance(item, numbers.Real) and not isinstance(item, bool | np.bool_)
        if not (whole and math.isfinite(item) and item == int(item)):
            return None
        epochs.append(int(item))
    return sorted(epochs)
