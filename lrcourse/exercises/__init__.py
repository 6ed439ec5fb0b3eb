"""Automatic feedback for the exercises, in three states: not attempted, not yet, correct.

A checker never raises: whatever the learner wrote, it returns a :class:`Feedback` that prints one
short message. Placeholders (``...``, ``None`` or a function that raises ``NotImplementedError``)
mean "not attempted yet", so a notebook runs top to bottom before anyone has touched it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "not yet", "not attempted"
_ICONS = {CORRECT: "✔", WRONG: "✘", NOT_ATTEMPTED: "…"}
_COLOURS = {CORRECT: "#009E73", WRONG: "#D55E00", NOT_ATTEMPTED: "#666666"}


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: ``state`` is "correct", "not yet" or "not attempted"."""

    state: str
    message: str = ""

    @property
    def correct(self):
        return self.state == CORRECT

    def __str__(self):
        head = {CORRECT: "Correct", WRONG: "Not yet", NOT_ATTEMPTED: "Not attempted yet"}[
            self.state
        ]
        text = f"{_ICONS[self.state]} {head}"
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


def fmt(value):
    """A short, stable rendering of a number or array for feedback messages."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{float(arr):.6g}" if np.issubdtype(arr.dtype, np.number) else repr(value)
    text = np.array2string(arr, precision=6, separator=", ", threshold=8)
    return " ".join(text.split())


def check_value(answer, expected, *, name="your answer", rtol=1e-6, atol=1e-9, hint=""):
    """Compare a number (or array) with the expected one."""
    if is_placeholder(answer):
        return not_attempted()
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return wrong(f"{name} should be a number, got {answer!r}.")
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return wrong(f"{name} should have shape {want.shape}, got {got.shape}.")
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return correct(f"{name} = {fmt(got)}.")
    return wrong(f"{name} is {fmt(got)}; expected {fmt(want)}. {hint}".strip())


def check_sequence(answer, expected, *, what="step", rtol=1e-6, atol=1e-9, hint=""):
    """Compare a sequence step by step and name the first step that differs."""
    if is_placeholder(answer):
        return not_attempted()
    try:
        got = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return wrong(f"expected a sequence of numbers, got {answer!r}.")
    want = np.asarray(expected, dtype=float)
    if got.shape[:1] != want.shape[:1]:
        return wrong(f"expected {len(want)} values, got {len(got)}.")
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
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, not_attempted("your function still raises NotImplementedError.")
    except Exception as exc:  # the learner's code may raise anything; report it, never crash
        return None, wrong(f"your function raised {type(exc).__name__}: {exc}")


def check_choice(
    answer, correct_option, options, *, explanation="", hint="think it through and try again."
):
    """A multiple-choice question: ``answer`` is one of ``options`` (letters or words)."""
    if is_placeholder(answer):
        return not_attempted(f"set the answer to one of {', '.join(map(repr, options))}.")
    try:
        known = answer in options
    except (TypeError, ValueError):  # an array has no single truth value
        known = False
    if not known:
        return wrong(f"{answer!r} is not one of the options {', '.join(map(repr, options))}.")
    if answer == correct_option:
        return correct(explanation)
    return wrong(f"{answer!r} is not it: {hint}")
