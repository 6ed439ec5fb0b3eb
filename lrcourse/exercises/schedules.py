"""Checkers for the schedule exercises (notebooks 09-17).

Each checker calls the learner's function at many steps, compares with the reference schedule from
:mod:`lrcourse.schedules` and names the first step that differs. Before that it looks for the
classic mistakes (a 1-based epoch, ``step_size`` read as a whole cycle, a cosine that forgets the
warmup, ...) and says which one it is. A checker never raises.
"""

from __future__ import annotations

import math

import numpy as np

from lrcourse import schedules as sch
from lrcourse.exercises import (
    NOT_ATTEMPTED,
    call_learner,
    check_sequence,
    correct,
    fmt,
    is_placeholder,
    not_attempted,
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


def check_step_decay(fn, initial_learning_rate=0.1, drop=0.5, steps_per_drop=10, epochs=40):
    """``fn(epoch)`` should return ``lr0 * drop ** floor(epoch / steps_per_drop)``.

    ``epoch`` is 0-based, as ``keras.callbacks.LearningRateScheduler`` passes it.
    """
    reference = sch.StepDecay(initial_learning_rate, drop, steps_per_drop)
    epochs = np.arange(epochs)
    lr0, d = initial_learning_rate, steps_per_drop
    bugs = {
        "one_based": (
            reference(epochs + 1),
            "your rate drops one epoch early: Keras passes a 0-based epoch, so use "
            "floor(epoch / steps_per_drop), not floor((1 + epoch) / steps_per_drop).",
        ),
        "late": (
            reference(np.maximum(epochs - 1, 0)),
            "your rate drops one epoch late: epoch 0 is the first epoch, no need to subtract 1.",
        ),
        "no_floor": (
            lr0 * drop ** (epochs / d),
            "your rate decays smoothly: step decay keeps it constant between drops "
            "(floor the exponent).",
        ),
    }
    return _check_schedule(fn, reference, epochs, bugs, what="epoch")


def check_warmup_cosine(
    fn, peak=0.1, warmup_steps=10, decay_steps=40, alpha=0.0, start=0.0, steps=None
):
    """``fn(step)``: a linear warmup from ``start`` to ``peak`` over ``warmup_steps`` steps, then a
    cosine from ``peak`` down to ``alpha * peak`` over ``decay_steps`` steps, then flat (Keras's
    ``CosineDecay(start, decay_steps, alpha, warmup_target=peak, warmup_steps=warmup_steps)``).
    """
    cosine = sch.CosineDecay(peak, decay_steps, alpha=alpha)
    reference = sch.Warmup(cosine, warmup_steps, start=start)
    if steps is None:
        steps = warmup_steps + decay_steps + 10
    steps = np.arange(steps)
    w, t = warmup_steps, decay_steps

    def cosine_factor(step):
        return (1 - alpha) * 0.5 * (1 + np.cos(np.pi * step / t)) + alpha

    ramp = start + (peak - start) * steps / max(w, 1)
    ramp_early = start + (peak - start) * steps / max(w - 1, 1)
    bugs = {
        "unshifted": (
            np.where(steps < w, ramp, peak * cosine_factor(np.minimum(steps, t))),
            "after the warmup your cosine does not start from the peak: measure its progress "
            "from the end of the warmup, (step - warmup_steps) / decay_steps.",
        ),
        "unclamped": (
            np.where(steps < w, ramp, peak * cosine_factor(steps - w)),
            "after warmup_steps + decay_steps your rate climbs again: clamp the step, "
            "min(step - warmup_steps, decay_steps), so it stays at alpha * peak.",
        ),
        "early_peak": (
            np.where(steps < w - 1, ramp_early, reference(steps)),
            "your warmup reaches the peak one step early: the ramp is start + (peak - start) * "
            "step / warmup_steps, which reaches the peak at step warmup_steps.",
        ),
    }
    return _check_schedule(fn, reference, steps, bugs, what="step")


def check_cyclical(
    fn, base_learning_rate=1e-3, max_learning_rate=6e-3, step_size=20, mode="triangular", steps=None
):
    """``fn(step)``: Smith's cyclical learning rate, ``step_size`` being HALF a cycle."""
    reference = sch.Cyclical(base_learning_rate, max_learning_rate, step_size, mode=mode)
    if steps is None:
        steps = 4 * step_size + 1
    steps = np.arange(steps)
    bugs = {
        "full_cycle": (
            sch.Cyclical(base_learning_rate, max_learning_rate, step_size / 2, mode=mode)(steps),
            "your cycles are twice too short: step_size is HALF a cycle (the peak is at step "
            "step_size, the next low point at 2 * step_size).",
        ),
        "double_cycle": (
            sch.Cyclical(base_learning_rate, max_learning_rate, 2 * step_size, mode=mode)(steps),
            "your cycles are twice too long: the rate should reach its peak at step step_size.",
        ),
    }
    for other in ("triangular", "triangular2"):
        if other != mode:
            bugs[other] = (
                sch.Cyclical(base_learning_rate, max_learning_rate, step_size, mode=other)(steps),
                f"that is the {other!r} policy; this exercise asks for {mode!r}.",
            )
    return _check_schedule(fn, reference, steps, bugs, what="step")


def check_time_based_replacement(
    schedule, learning_rate=0.01, decay=1e-3, steps_per_epoch=50, steps=None
):
    """``schedule`` (any callable of the step, a Keras schedule included) should reproduce Keras 2's
    ``SGD(lr=learning_rate, decay=decay)``: ``learning_rate / (1 + decay * step)``, per BATCH.
    """
    reference = sch.InverseTimeDecay(learning_rate, 1, decay)
    if steps is None:
        steps = 3 * steps_per_epoch + 1
    steps = np.arange(steps)
    bugs = {
        "per_epoch": (
            sch.InverseTimeDecay(learning_rate, steps_per_epoch, decay, staircase=True)(steps),
            "that decays once per epoch; Keras 2's decay= was applied after every batch "
            "(decay_steps=1).",
        ),
        "per_epoch_smooth": (
            sch.InverseTimeDecay(learning_rate, steps_per_epoch, decay)(steps),
            "that decays steps_per_epoch times too slowly; Keras 2's decay= counted batches "
            "(decay_steps=1).",
        ),
        "exponential": (
            learning_rate * (1 - decay) ** steps,
            "that is an exponential decay; Keras 2's decay= was time-based: lr / (1 + decay * t).",
        ),
    }
    return _check_schedule(schedule, reference, steps, bugs, what="step")


def check_plateau_reductions(answer, losses, learning_rate=0.1, **plateau_args):
    """``answer``: the 0-based epochs at whose end ReduceLROnPlateau cuts the rate on ``losses``.

    ``plateau_args`` are ReduceLROnPlateau's (factor, patience, min_delta, cooldown, min_lr, mode).
    """
    if is_placeholder(answer):
        return not_attempted()
    try:
        got = sorted(int(e) for e in answer)
        if any(int(e) != e for e in answer):
            raise ValueError
    except (TypeError, ValueError):
        return wrong(f"answer should be a list of epoch numbers, got {answer!r}.")
    want = list(replay_plateau(losses, learning_rate, **plateau_args).reductions)
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
        return wrong(f"expected a function of the {what}, got {fn!r}.")
    got = []
    for step in steps:
        value, feedback = call_learner(fn, int(step))
        if feedback is not None:
            if feedback.state == NOT_ATTEMPTED:
                return feedback
            return wrong(f"at {what} {int(step)}: {feedback.message}")
        number = _as_float(value)
        if number is None:
            return wrong(f"at {what} {int(step)} your function returned {value!r}, not a number.")
        got.append(number)
    got = np.array(got)
    want = reference(steps)
    rtol, atol = 1e-5, 1e-9  # float32 answers (a Keras schedule) are fine
    if np.allclose(got, want, rtol=rtol, atol=atol):
        return correct(f"all {len(steps)} {what}s match, from {fmt(want[0])} to {fmt(want[-1])}.")
    for values, hint in bugs.values():
        if not np.allclose(values, want, rtol=rtol, atol=atol) and np.allclose(
            got, values, rtol=rtol, atol=atol
        ):
            i = int(np.argmax(~np.isclose(got, want, rtol=rtol, atol=atol)))
            return wrong(f"at {what} {i} expected {fmt(want[i])}, got {fmt(got[i])}: {hint}")
    return check_sequence(got, want, what=what, rtol=rtol, atol=atol)


def _as_float(value):
    try:
        number = float(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
