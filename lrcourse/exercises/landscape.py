"""Checkers for Part I: gradient steps, the stability bound, critical points, escape times.

Every checker answers (correct, not yet, or not attempted) and never raises, whatever it is given.
"""

from __future__ import annotations

import math

import numpy as np

from lrcourse import _checks
from lrcourse.exercises import (
    _way,
    as_numbers,
    brief,
    call_learner,
    check_value,
    checker,
    correct,
    fmt,
    is_placeholder,
    not_attempted,
    wrong,
)


@checker
def check_gd_step(gd_step):
    """``gd_step(x, gradient, learning_rate) -> new x``, tried for 5 steps on f(x) = 3/2 x^2 and
    on a 2-D point. Recognises the uphill step (sign) and the step without a learning rate."""
    x, lr = 2.0, 0.1
    for step in range(5):
        g = 3.0 * x
        got, problem = call_learner(gd_step, x, g, lr)
        if problem is not None:
            return problem
        want = x - lr * g
        if not _close(got, want):
            return wrong(
                f"at step {step} (x = {fmt(x)}, gradient {fmt(g)}, learning rate {lr}) "
                f"your step gave {fmt(got)}. {_diagnose(got, x, g, lr)}".strip(),
                f"x = {fmt(want)} after that step.",
            )
        x = want
    point, grad = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    got, problem = call_learner(gd_step, point.copy(), grad.copy(), lr)
    if problem is not None:
        return problem
    if not _close(got, point - lr * grad):
        return wrong(
            f"on the 2-D point {fmt(point)} with gradient {fmt(grad)} your step gave "
            f"{fmt(got)}: use array arithmetic, no loops over coordinates needed.",
            f"{fmt(point - lr * grad)}.",
        )
    return correct("five steps downhill on a parabola and one on a 2-D bowl all match.")


def _close(got, want):
    """True when ``got`` holds numbers close to ``want``, one for one; False for anything else."""
    got = as_numbers(got)
    if got is None or got.size != np.size(want):
        return False
    return bool(np.allclose(got.reshape(np.shape(want)), want, rtol=1e-9, atol=1e-12))


def _is_number_near(answer, value):
    """True when ``answer`` is one number close to ``value``; False for anything else."""
    got = as_numbers(answer)
    return got is not None and got.shape == () and bool(np.isclose(got, value))


def _diagnose(got, x, g, lr):
    if _close(got, x + lr * g):
        return "You stepped uphill: move against the gradient (subtract it)."
    if _close(got, x - g):
        return "The learning rate is missing: the stride is learning_rate times the gradient."
    if _close(got, -lr * g):
        return "That is the step itself; add it to the current position."
    if as_numbers(got) is not None and as_numbers(got).size == 1:
        return f"The new x is {_way(float(as_numbers(got).reshape(())), x - lr * g)}."
    return ""


def _eigenvalues(eigenvalues):
    lam = _checks.array("eigenvalues", eigenvalues, ndim=1)
    if not lam.size or np.any(lam <= 0):
        raise ValueError(
            f"eigenvalues must be a list of positive numbers, got {brief(eigenvalues)}"
        )
    return lam


@checker
def check_largest_stable_lr(answer, eigenvalues=(1.0, 10.0)):
    """Gradient descent on a quadratic converges iff ``lr < 2 / lambda_max``."""
    lam = _eigenvalues(eigenvalues)
    if _is_number_near(answer, 2 / lam.min()):
        return wrong(
            f"{fmt(answer)} is 2 / lambda_min: the steepest direction (lambda_max = "
            f"{fmt(lam.max())}) is the first to blow up."
        )
    return check_value(
        answer,
        2 / lam.max(),
        name="the stability bound (every smaller rate converges)",
        rtol=1e-3,
        hint="Each eigen-direction multiplies its coordinate by (1 - lr * lambda) every step.",
    )


@checker
def check_best_lr(answer, eigenvalues=(1.0, 10.0)):
    """The learning rate that minimises ``max |1 - lr * lambda|`` over the eigenvalues."""
    lam = _eigenvalues(eigenvalues)
    return check_value(
        answer,
        2 / (lam.min() + lam.max()),
        name="the best learning rate",
        rtol=1e-3,
        hint="Balance the slowest and the fastest direction: "
        "make |1 - lr*lambda_min| equal |1 - lr*lambda_max|.",
    )


HESSIANS = [
    (np.array([[2.0, 0.0], [0.0, 3.0]]), "minimum"),
    (np.array([[-1.0, 0.0], [0.0, -4.0]]), "maximum"),
    (np.array([[2.0, 0.0], [0.0, -2.0]]), "saddle"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "saddle"),  # positive diagonal, yet a saddle
    (np.array([[2.0, -1.0], [-1.0, 2.0]]), "minimum"),
    (np.diag([1.0, 2.0, -0.5]), "saddle"),
    (np.diag([-1.0, -2.0, 4.0]), "saddle"),  # positive determinant: 2x2 shortcuts fail here
]


@checker
def check_classify(classify):
    """``classify(hessian) -> "minimum" | "maximum" | "saddle"`` for non-degenerate Hessians."""
    for hessian, want in HESSIANS:
        got, problem = call_learner(classify, hessian.copy())
        if problem is not None:
            return problem
        if not (isinstance(got, str) and got == want):
            hint = ""
            if not isinstance(got, str):
                hint = " Return one of 'minimum', 'maximum' or 'saddle' (a string)."
            if isinstance(got, str) and got.strip().lower() == want:
                hint = " Write the word exactly: lower case, no spaces."
            elif want == "saddle" and np.all(np.diag(hessian) > 0):
                hint = " The diagonal is positive, but look at the eigenvalues, not the diagonal."
            shown = repr(got) if isinstance(got, str) else brief(got)
            said = f"for the Hessian {fmt(hessian)} your function said {shown}.{hint}"
            return wrong(said, f"{want!r}.")
    return correct(f"all {len(HESSIANS)} Hessians classified.")


def saddle_escape_steps(offset, learning_rate, radius=1.0):
    """Steps gradient descent on x^2 - y^2 needs to carry |y| from ``offset`` beyond ``radius``.

    Each step multiplies y by ``1 + 2 * learning_rate``. ``offset`` is a non-zero number,
    ``learning_rate`` and ``radius`` are positive, and the count may be at most 1,000,000 steps
    (a tiny learning rate from a tiny offset would take longer: that is refused, not counted).
    """
    y = _checks.number("offset", offset)
    if y == 0:
        raise ValueError(
            "offset must be a non-zero number: from y = 0 gradient descent never moves"
        )
    learning_rate = _checks.positive("learning_rate", learning_rate)
    radius = _checks.positive("radius", radius)
    factor = 1 + 2 * learning_rate
    distance = math.log(radius) - math.log(abs(y))  # in units of e-fold growth
    if distance >= 0 and distance > _checks.MAX_STEPS * math.log(factor):
        raise ValueError(
            f"learning_rate must be large enough to escape within {_checks.MAX_STEPS:,} steps "
            f"from offset {y:g}, got {learning_rate:g}"
        )
    steps = 0
    while abs(y) <= radius:
        y *= factor
        steps += 1
    return steps


@checker
def check_escape_steps(answer, offset=1e-6, learning_rate=0.1, radius=1.0):
    """The learner's estimate of the escape time; within one step of the exact count is correct."""
    if is_placeholder(answer):
        return not_attempted()
    want = saddle_escape_steps(offset, learning_rate, radius)
    got = as_numbers(answer)
    if got is None or got.shape != ():
        return wrong(f"expected a number of steps, got {brief(answer)}.")
    got = float(got)
    if abs(got - want) <= 1:
        return correct(
            f"{want} steps: y grows by a factor {1 + 2 * learning_rate:g} per step, "
            f"so it takes log({radius:g}/{offset:g}) / log({1 + 2 * learning_rate:g})."
        )
    return wrong(
        f"{fmt(got)} steps is {_way(got, want)}. Each step multiplies y by "
        "(1 + 2 * learning_rate): how many factors carry it from the offset past the radius?",
        f"{want} steps.",
    )
