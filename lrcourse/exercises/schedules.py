"""Checkers for the schedule exercises (notebooks 09-17).

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

import numpy as np

from lrcourse import _checks
from lrcourse import schedules as sch
from lrcourse.exercises import (
    NOT_ATTEMPTED,
    call_learner,
    check_sequence,
    correct,
    fmt,
    is_placeholder,
    not_attempted,
    reveals,
    way,
    wrong,
)
from lrcourse.plateau import replay_plateau

__all__ = [
    "check_cyclical",
    "check_plateau_reductions",
    "check_step_decay",
    "check_time_based_replacement",
    "check_warmup_cosine",
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
                f"at {what} {i} your value {fmt(got[i])} is {way(got[i], want[i])}: {hint}",
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
