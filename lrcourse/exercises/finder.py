"""Checkers for the range-test exercises (notebooks 20-21).

Each compares the learner's answer with the course's own rule in :mod:`lrcourse.finder` and, when
it is wrong, first looks for the classic slips (rates spaced evenly instead of by one factor, a
last rate short of ``max_rate``, an average without its correction), each built from the same
reference. The first argument is the learner's answer and never makes a checker raise; a bad
setting (written by the notebook) raises ``ValueError`` naming it.
"""

from __future__ import annotations

import warnings

import numpy as np

from lrcourse import _checks
from lrcourse import finder as F
from lrcourse.exercises import (
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

__all__ = ["check_debiased_average", "check_exponential_rates", "check_rate_read"]

RTOL, ATOL = 1e-6, 1e-12


@reveals
def check_exponential_rates(fn, min_rate=1e-6, max_rate=1.0, steps=50):
    """``fn(min_rate, max_rate, steps)`` should return the ``steps`` rates of
    :func:`lrcourse.finder.exponential_rates`: one common factor from ``min_rate`` to ``max_rate``.
    """
    want = F.exponential_rates(min_rate, max_rate, steps)
    got, feedback = _numbers(fn, (float(min_rate), float(max_rate), int(steps)), len(want))
    if feedback is not None:
        return feedback
    if np.allclose(got, want, rtol=RTOL, atol=ATOL):
        return correct(
            f"{len(want)} rates from {fmt(want[0])} to {fmt(want[-1])}, each "
            f"{want[1] / want[0]:.4g} times the one before."
        )
    k = np.arange(steps)
    bugs = [
        (
            np.linspace(min_rate, max_rate, steps),
            "your rates grow by equal amounts; a range test multiplies the rate by the same "
            "factor every step (equal steps in log(rate)).",
        ),
        (
            min_rate * (max_rate / min_rate) ** (k / steps),
            "your last rate falls short of max_rate: with t running from 0 to steps - 1, the "
            "exponent is t / (steps - 1).",
        ),
        (
            min_rate * (max_rate / min_rate) ** ((k + 1) / steps),
            "your first rate is above min_rate: step 0 should use exactly min_rate (exponent 0).",
        ),
    ]
    return _diagnose(got, want, bugs, what="step")


@reveals
def check_debiased_average(fn, losses=None, beta=0.9):
    """``fn(losses, beta)`` should return :func:`lrcourse.finder.debiased_average` of ``losses``:
    the exponential moving average started at 0, divided by ``1 - beta**(t + 1)``."""
    losses = _losses() if losses is None else _checks.array("losses", losses, ndim=1)
    if not 2 <= len(losses) <= 10_000:
        raise ValueError(f"losses must hold 2 to 10,000 values, got {len(losses)}")
    want = F.debiased_average(losses, beta)
    first_step = (
        "after the first loss the correction divides by 1 - beta**1, not by 1 - beta**0 = 0 "
        "(count the losses from 1)."
    )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a division by 0 is diagnosed below, not printed
        got, feedback = _numbers(fn, (losses.copy(), float(beta)), len(want))
    if feedback is not None:
        if "ZeroDivisionError" in feedback.message:
            return wrong(
                f"your function divided by zero: {first_step}", f"{fmt(want[0])} at step 0."
            )
        return feedback
    if np.allclose(got, want, rtol=RTOL, atol=ATOL):
        return correct(f"all {len(want)} smoothed values match.")
    plain, swapped = np.empty(len(losses)), np.empty(len(losses))
    average = other = 0.0
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        other = (1 - beta) * other + beta * loss
        plain[k], swapped[k] = average, other / (1 - (1 - beta) ** (k + 1))
    bugs = [
        (
            plain,
            "the average starts at 0, so it starts too small: divide the average after t + 1 "
            "losses by 1 - beta**(t + 1).",
        ),
        (
            swapped,
            "you give the new loss the weight beta: it gets (1 - beta), the old average beta.",
        ),
    ]
    if not np.all(np.isfinite(got[:1])):
        return wrong(
            f"your first value is {fmt(got[0])}: {first_step}", f"{fmt(want[0])} at step 0."
        )
    return _diagnose(got, want, bugs, what="step")


@reveals
def check_rate_read(answer, test, rule="steepest", factor=2.0):
    """A rate read off a plotted range test by eye: right if within ``factor`` (> 1) of the rate
    that ``rule`` reads off ``test`` (a :class:`lrcourse.finder.RangeTest`), on a log axis."""
    if not isinstance(test, F.RangeTest):
        raise ValueError(f"test must be a RangeTest, got {brief(test)}")
    want = test.suggest(rule)
    factor = _checks.number("factor", factor, low=1, low_open=True, high=100)
    if is_placeholder(answer):
        return not_attempted(answer=f"{want:.3g}.")
    got = as_numbers(answer)
    if got is None or got.shape != () or not np.isfinite(got) or got <= 0:
        return wrong(f"your rate should be one positive number, got {brief(answer)}.")
    got = float(got)
    if want / factor <= got <= want * factor:
        return correct(
            f"{got:.3g} is within a factor {factor:g} of the {rule} rule's {want:.3g}; by eye on a "
            "log axis that is as close as one can read."
        )
    off = "much " if not want / factor**3 <= got <= want * factor**3 else ""
    way = f"{off}too high" if got > want else f"{off}too low"
    return wrong(
        f"{got:.3g} is {way} (more than a factor {factor:g} from the rate the {rule} rule reads). "
        "Look for the point where the smoothed curve falls most steeply, before the bottom.",
        f"{want:.3g}.",
    )


def _losses():
    """A fixed curve with a descent, a bottom and a rise: the shape of a range test."""
    k = np.arange(40)
    return 2.0 - 1.5 * np.tanh(k / 10) + 0.002 * (k - 25).clip(0) ** 2 + 0.05 * np.sin(1.7 * k)


def _numbers(fn, args, n):
    """Call the learner's ``fn(*args)``: ``(numbers, None)`` or ``(None, feedback)``."""
    if is_placeholder(fn):
        return None, not_attempted()
    result, feedback = call_learner(fn, *args)
    if feedback is not None:
        return None, feedback
    got = as_numbers(result)
    if got is None or got.ndim != 1:
        return None, wrong(f"expected a list or 1-D array of {n} numbers, got {brief(result)}.")
    if len(got) != n:
        return None, wrong(f"expected {n} values, got {len(got)}.")
    return got, None


def _diagnose(got, want, bugs, *, what):
    """A recognised slip with its hint at the first step it shows, else the first wrong step."""
    for values, hint in bugs:
        if np.allclose(got, values, rtol=RTOL, atol=ATOL) and not np.allclose(
            values, want, rtol=RTOL, atol=ATOL
        ):
            i = int(np.argmax(~np.isclose(got, want, rtol=RTOL, atol=ATOL)))
            return wrong(
                f"at {what} {i} your value {fmt(got[i])} is {_way(got[i], want[i])}: {hint}",
                f"{fmt(want[i])} at {what} {i}.",
            )
    return check_sequence(got, want, what=what, rtol=RTOL, atol=ATOL)
