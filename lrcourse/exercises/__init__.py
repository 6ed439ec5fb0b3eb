"""Automatic feedback for the exercises, in three states: not attempted, not yet, correct.

A checker never raises and never hangs: whatever the learner wrote, it returns a
:class:`Feedback` that prints one short message. Placeholders (``...``, ``None`` or a function that
raises ``NotImplementedError``) mean "not attempted yet", so a notebook runs top to bottom before
anyone has touched it. :func:`checker` turns any slip the checker did not foresee (a setting out
of range, an answer of an odd kind) into "not yet" with the reason.
"""

from __future__ import annotations

import functools
import html
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "not yet", "not attempted"
_ICONS = {CORRECT: "✔", WRONG: "✘", NOT_ATTEMPTED: "…"}
_COLOURS = {CORRECT: "#009E73", WRONG: "#D55E00", NOT_ATTEMPTED: "#666666"}
_HEADS = {CORRECT: "Correct", WRONG: "Not yet", NOT_ATTEMPTED: "Not attempted yet"}


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: ``state`` is "correct", "not yet" or "not attempted"."""

    state: str
    message: str = ""

    def __post_init__(self):
        _checks.choice("state", self.state, (CORRECT, WRONG, NOT_ATTEMPTED))
        if not isinstance(self.message, str):
            raise ValueError(f"message must be a string, got {brief(self.message)}")

    @property
    def correct(self):
        return self.state == CORRECT

    def __str__(self):
        text = f"{_ICONS[self.state]} {_HEADS[self.state]}"
        return f"{text}: {self.message}" if self.message else f"{text}."

    __repr__ = __str__

    def _repr_html_(self):
        colour = _COLOURS[self.state]
        return (
            f'<div style="border-left:4px solid {colour};padding:2px 8px">'
            f"{html.escape(str(self))}</div>"
        )


def correct(message=""):
    return Feedback(CORRECT, message)


def wrong(message):
    return Feedback(WRONG, message)


def not_attempted(message="replace the placeholder with your answer and run the cell again."):
    return Feedback(NOT_ATTEMPTED, message)


def is_placeholder(answer):
    return answer is None or answer is Ellipsis


def checker(check):
    """Decorate a checker so that it always answers: a ValueError or TypeError (a setting out of
    range, a missing argument) and any other slip become "not yet" with the reason."""
    _checks.function("check", check)

    @functools.wraps(check)
    def answer(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            return wrong(f"{_text(exc).rstrip('.') or type(exc).__name__}.")
        except Exception as exc:  # a checker must answer, never stop the notebook with a traceback
            return wrong(f"this could not be checked ({type(exc).__name__}: {_text(exc)}).")

    return answer


def brief(value, limit=80):
    """``repr(value)``, cut to ``limit`` (at least 4) characters; never raises, even for odd
    objects (a ``limit`` that is not a whole number >= 4 is a ValueError)."""
    limit = _checks.count("limit", limit, minimum=4)
    try:
        text = repr(value)
    except Exception:  # a learner's object may break its own repr
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text(exc):
    """The message of an exception, cut short; never raises."""
    try:
        text = str(exc)
    except Exception:  # a learner's exception may break its own str
        text = ""
    return text if len(text) <= 200 else text[:197] + "..."


def as_numbers(value):
    """``value`` as a float array, or None when it is not numbers (None, a string, True, a dict,
    a generator, more than 1,000,000 entries, complex numbers, ...). Never raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # complex -> float would silently drop a part
            return _checks.numeric("answer", value, finite=False)
    except Exception:
        return None


def fmt(value):
    """A short, stable rendering of a number or array for feedback messages (never raises)."""
    try:
        if len(value) > _checks.MAX_STEPS:  # too long to render, let alone to convert
            return brief(value)
    except Exception:  # no length: a number, or something odd
        pass
    try:
        arr = np.asarray(value)
        if arr.ndim == 0:
            return f"{float(arr):.6g}" if np.issubdtype(arr.dtype, np.number) else brief(value)
        text = np.array2string(arr, precision=6, separator=", ", threshold=8)
        return " ".join(text.split())
    except Exception:
        return brief(value)


@checker
def check_value(answer, expected, *, name="your answer", rtol=1e-6, atol=1e-9, hint=""):
    """Compare a number (or array) with the expected one."""
    rtol, atol = _checks.fraction("rtol", rtol, high_open=False), _checks.non_negative("atol", atol)
    if is_placeholder(answer):
        return not_attempted()
    got = as_numbers(answer)
    if got is None:
        return wrong(f"{name} should be a number, got {brief(answer)}.")
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return wrong(f"{name} should have shape {want.shape}, got {got.shape}.")
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return correct(f"{name} = {fmt(got)}.")
    return wrong(f"{name} is {fmt(got)}; expected {fmt(want)}. {hint}".strip())


@checker
def check_sequence(answer, expected, *, what="step", rtol=1e-6, atol=1e-9, hint=""):
    """Compare a sequence step by step and name the first step that differs."""
    rtol, atol = _checks.fraction("rtol", rtol, high_open=False), _checks.non_negative("atol", atol)
    if is_placeholder(answer):
        return not_attempted()
    got = as_numbers(answer)
    if got is None:
        return wrong(f"expected a sequence of numbers, got {brief(answer)}.")
    want = np.asarray(expected, dtype=float)
    if got.shape[:1] != want.shape[:1]:
        count = len(got) if got.ndim else "a single number"
        return wrong(f"expected {len(want)} values, got {count}.")
    if got.shape != want.shape:
        return wrong(f"each value should have shape {want.shape[1:]}, got {got.shape[1:]}.")
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    close = close.reshape(len(want), -1).all(axis=1)
    if close.all():
        return correct(f"all {len(want)} values match.")
    i = int(np.argmin(close))
    return wrong(f"at {what} {i} expected {fmt(want[i])}, got {fmt(got[i])}. {hint}".strip())


def call_learner(fn, *args, **kwargs):
    """Run the learner's function: ``(result, None)`` on success, else ``(None, feedback)``."""
    if is_placeholder(fn):
        return None, not_attempted()
    if not callable(fn):
        return None, wrong(f"expected a function, got {brief(fn)}.")
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, not_attempted("your function still raises NotImplementedError.")
    except (Exception, SystemExit) as exc:  # the learner's code may raise anything: report it
        why = _text(exc)
        return None, wrong(
            f"your function raised {type(exc).__name__}" + (f": {why}" if why else "")
        )


def _same(answer, option):
    """``answer == option`` for plain strings and numbers; False for anything else, never raises."""
    if isinstance(answer, bool | np.bool_) or not isinstance(answer, str | numbers.Number):
        return False
    try:
        return bool(answer == option)
    except Exception:
        return False


@checker
def check_choice(
    answer, correct_option, options, *, explanation="", hint="think it through and try again."
):
    """A multiple-choice question: ``answer`` is one of ``options`` (1 to 100 letters or words)."""
    listable = hasattr(options, "__len__") and not isinstance(options, str | bytes | dict)
    if not listable or not 1 <= len(options) <= 100:  # a long list would take long to print
        raise ValueError(f"options must be a list of 1 to 100 choices, got {brief(options)}")
    listed = ", ".join(map(repr, options))
    if is_placeholder(answer):
        return not_attempted(f"set the answer to one of {listed}.")
    if not any(_same(answer, option) for option in options):
        close = [o for o in options if isinstance(answer, str) and _loose(answer) == _loose(o)]
        tip = f" Did you mean {close[0]!r}?" if close else ""
        return wrong(f"{brief(answer)} is not one of the options {listed}.{tip}")
    if _same(answer, correct_option):
        return correct(explanation)
    return wrong(f"{answer!r} is not it: {hint}")


def _loose(text):
    return str(text).strip().strip("'\"").lower()
