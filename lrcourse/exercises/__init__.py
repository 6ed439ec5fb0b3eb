"""Automatic feedback for the exercises, in three states: not attempted, not yet, correct.

A checker never raises and never hangs: whatever the learner wrote, it returns a
:class:`Feedback` that prints one short message. Placeholders (``...``, ``None`` or a function that
raises ``NotImplementedError``) mean "not attempted yet", so a notebook runs top to bottom before
anyone has touched it. :func:`checker` turns any slip the checker did not foresee (a setting out
of range, an answer of an odd kind) into "not yet" with the reason.

A wrong answer gets a direction ("too high") or the property it breaks, never the expected value
at once: that appears after :data:`TRIES_BEFORE_ANSWER` wrong tries at the same question, or at
once when the learner asks for it with ``show_answer=True`` (every checker takes it).
"""

from __future__ import annotations

import functools
import html
import numbers
import os
import signal
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks

CORRECT, WRONG, NOT_ATTEMPTED = "correct", "not yet", "not attempted"
TRIES_BEFORE_ANSWER = 3  # wrong tries at one question before its checker shows the answer
# Seconds one check may take before the learner's code counts as endless (a grader may set
# LRCOURSE_TIME_LIMIT, 0.1 to 3600, for the kernels that grade).
TIME_LIMIT = min(max(float(os.environ.get("LRCOURSE_TIME_LIMIT", "30") or 30), 0.1), 3600.0)
_tries = {}  # question -> wrong tries so far in this kernel
_reveal = [True]  # False in a graded assignment: no checker shows the expected answer
_depth = [0]  # > 1 while a checker calls another: only the outermost one counts and reveals
_ICONS = {CORRECT: "✔", WRONG: "✘", NOT_ATTEMPTED: "…"}
_COLOURS = {CORRECT: "#009E73", WRONG: "#D55E00", NOT_ATTEMPTED: "#666666"}
_HEADS = {CORRECT: "Correct", WRONG: "Not yet", NOT_ATTEMPTED: "Not attempted yet"}


@dataclass(frozen=True)
class Feedback:
    """The verdict of a checker: ``state`` is "correct", "not yet" or "not attempted"."""

    state: str
    message: str = ""
    answer: str = ""  # what a wrong try is not told at once (the expected value)

    def __post_init__(self):
        _checks.choice("state", self.state, (CORRECT, WRONG, NOT_ATTEMPTED))
        for field in ("message", "answer"):
            if not isinstance(getattr(self, field), str):
                raise ValueError(f"{field} must be a string, got {brief(getattr(self, field))}")

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


def wrong(message, answer=""):
    """A wrong try: ``message`` says what is wrong (a direction, a broken property); ``answer``
    (the expected value) is shown only after several tries or on request."""
    return Feedback(WRONG, message, answer)


def reset_tries():
    """Forget every wrong try counted so far (as a fresh kernel would)."""
    _tries.clear()


def not_attempted(
    message="replace the placeholder with your answer and run the cell again.", answer=""
):
    return Feedback(NOT_ATTEMPTED, message, answer)


def is_placeholder(answer):
    return answer is None or answer is Ellipsis


def checker(check):
    """Decorate a checker so that it always answers: a ValueError or TypeError (a setting out of
    range, a missing argument) and any other slip become "not yet" with the reason. It also
    takes ``show_answer`` (see :func:`reveals`)."""
    _checks.function("check", check)

    @functools.wraps(check)
    def answer(*args, **kwargs):
        return _run_check(check, args, kwargs)

    return reveals(answer)


def reveals(check):
    """Decorate a checker so that it takes ``show_answer=False``: True shows the expected value
    of a wrong (or not yet attempted) answer at once; otherwise it appears after
    :data:`TRIES_BEFORE_ANSWER` wrong tries at the same question (same checker, same settings).
    A check that takes longer than :data:`TIME_LIMIT` seconds (an endless loop in the learner's
    code) answers "not yet"."""
    _checks.function("check", check)

    @functools.wraps(check)
    def answer(*args, show_answer=False, **kwargs):
        _depth[0] += 1
        try:
            if _depth[0] > 1:  # called by another checker: the outer one decides what to show
                return check(*args, **kwargs)
            feedback = _within_time_limit(check, args, kwargs)
        finally:
            _depth[0] -= 1
        return _with_answer(feedback, _question(check, args, kwargs), show_answer is True)

    return answer


def reveal_answers(on):
    """Whether checkers may show the expected answer (on request or after several wrong tries):
    True in the course, False in a graded assignment."""
    if not isinstance(on, bool):
        raise ValueError(f"on must be True or False, got {brief(on)}")
    _reveal[0] = on


class _TooSlow(BaseException):
    """Raised by the alarm inside the learner's code; a BaseException, so that the learner's own
    ``except Exception`` cannot swallow it."""


def _within_time_limit(check, args, kwargs):
    """``check(*args, **kwargs)``, stopped after TIME_LIMIT seconds where the platform allows
    (an alarm signal: POSIX, main thread, no alarm of the caller's running); else unlimited."""
    main = threading.current_thread() is threading.main_thread()
    if not (main and hasattr(signal, "setitimer")) or signal.getitimer(signal.ITIMER_REAL)[0]:
        return check(*args, **kwargs)  # no alarms here, or a caller's alarm already runs

    def stop(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        return check(*args, **kwargs)
    except _TooSlow:
        return wrong(
            f"this took longer than {TIME_LIMIT:g} s and was stopped: does your code loop "
            "forever (a while loop whose condition never turns false)?"
        )
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_check(check, args, kwargs):
    try:
        return check(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        return wrong(f"{_text(exc).rstrip('.') or type(exc).__name__}.")
    except Exception as exc:  # a checker must answer, never stop the notebook with a traceback
        return wrong(f"this could not be checked ({type(exc).__name__}: {_text(exc)}).")


def _question(check, args, kwargs):
    """What identifies one question: the checker and every argument except the answer."""
    return (check.__qualname__, brief(args[1:], 200), brief(sorted(kwargs.items()), 200))


def _with_answer(feedback, question, asked):
    if feedback.state == CORRECT:
        return Feedback(CORRECT, feedback.message)
    if feedback.state == WRONG:
        _tries[question] = _tries.get(question, 0) + 1
    if not feedback.answer or not _reveal[0]:
        return Feedback(feedback.state, feedback.message)
    tries = _tries.get(question, 0)
    if asked or tries >= TRIES_BEFORE_ANSWER:
        text = f"{feedback.message} The answer: {feedback.answer}".strip()
    elif feedback.state == WRONG:
        left = TRIES_BEFORE_ANSWER - tries
        text = (
            f"{feedback.message} (The expected answer appears after {left} more "
            f"tr{'y' if left == 1 else 'ies'}, or at once with show_answer=True.)"
        )
    else:
        text = feedback.message
    return Feedback(feedback.state, text)


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
    want = np.asarray(expected, dtype=float)
    if is_placeholder(answer):
        return not_attempted(answer=f"{fmt(want)}.")
    got = as_numbers(answer)
    if got is None:
        return wrong(f"{name} should be a number, got {brief(answer)}.")
    if got.shape != want.shape:
        return wrong(f"{name} should have shape {want.shape}, got {got.shape}.")
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return correct(f"{name} = {fmt(got)}.")
    return wrong(f"{name} {_direction(got, want, rtol, atol)}. {hint}".strip(), f"{fmt(want)}.")


def _direction(got, want, rtol, atol):
    """Which way ``got`` is off from ``want``: "is 1.5, too high (about 1.5 times the right
    value)", naming the first entry that is off in an array."""
    with np.errstate(all="ignore"):
        off = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        i = np.unravel_index(int(np.argmax(off)), want.shape) if want.shape else ()
        where = f" at index {i if len(i) > 1 else i[0]}" if want.shape else ""
        return f"is {fmt(got)}: {_way(got[i], want[i])}{where}"


def _way(got, want):
    """"too high" or "too low", "slightly" within 10%, "much" beyond a factor 2; never the value
    (a ratio would give it away)."""
    with np.errstate(all="ignore"):
        if np.isnan(got) or np.isnan(want):
            return "not a number" if np.isnan(got) else "should not be a number here"
        word = "too high" if got > want else "too low"
        ratio = got / want if want and np.sign(got) == np.sign(want) else None
        if ratio is None or not 0.5 <= ratio <= 2:
            return f"much {word}"
        return f"slightly {word}" if 0.9 <= ratio <= 1.1 else word


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
    entry_off = ~np.isclose(got[i], want[i], rtol=rtol, atol=atol, equal_nan=True)
    j = int(np.argmax(np.ravel(entry_off)))  # the first entry off, if each value is an array
    off = _way(np.ravel(got[i])[j], np.ravel(want[i])[j])
    return wrong(
        f"at {what} {i} your value {fmt(got[i])} is {off}. {hint}".strip(),
        f"{fmt(want[i])} at {what} {i}.",
    )


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
    return wrong(f"{answer!r} is not it: {hint}", f"{correct_option!r}.")


def _loose(text):
    return str(text).strip().strip("'\"").lower()
