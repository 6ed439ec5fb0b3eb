"""Nothing fools the core: every public callable of landscapes, descent, plateau, data, doctor and
the exercise framework meets one contract on bad arguments.

A bad argument raises ValueError or TypeError whose message names the argument; no other exception
escapes, nothing hangs (every call runs under a time limit) and the clearly bad values (None, text,
True, nan, inf, objects, generators, huge ranges, ...) are never accepted in silence. Checkers go
further: they never raise at all, whatever a learner passes them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _api_examples import EXAMPLES
from _limits import TookTooLong, bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse import data, doctor
from lrcourse import landscapes as L
from lrcourse.descent import Trajectory, descend, noisy_descent, sweep
from lrcourse.exercises import (
    CORRECT,
    NOT_ATTEMPTED,
    WRONG,
    Feedback,
    as_numbers,
    brief,
    call_learner,
    check_choice,
    check_sequence,
    check_value,
    correct,
    fmt,
    not_attempted,
    wrong,
)
from lrcourse.exercises import landscape as check
from lrcourse.plateau import ReduceLROnPlateau, replay_plateau

LIMIT = 2.0  # seconds per call


def time_limit(seconds=LIMIT):
    return bounded(seconds)


class EqRaises:
    """An object whose comparisons, truth value, length and conversions all raise."""

    def __eq__(self, other):
        raise RuntimeError("no comparing me")

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__

    def __bool__(self):
        raise RuntimeError("no truth value")

    def __float__(self):
        raise RuntimeError("no float")

    def __len__(self):
        raise RuntimeError("no length")

    def __repr__(self):
        return "EqRaises()"


class Unprintable(EqRaises):
    """Worse still: even its repr raises (a checker must cope; an error message need not)."""

    def __repr__(self):
        raise RuntimeError("no repr")


# Values that no argument of the core accepts unless the case says so (factories: fresh each call).
ALWAYS_BAD = {
    "None": lambda: None,
    "text": lambda: "abc",
    "numeric text": lambda: "0.5",
    "True": lambda: True,
    "False": lambda: False,
    "nan": lambda: math.nan,
    "inf": lambda: math.inf,
    "-inf": lambda: -math.inf,
    "object": object,
    "dict": lambda: {"a": 1.0},
    "set": lambda: {1.0},
    "endless generator": itertools.count,
    "huge range": lambda: range(10**12),
    "complex": lambda: 1 + 2j,
    "int beyond float": lambda: 10**400,
    "raising object": EqRaises,
    "list holding None": lambda: [None, 1.0],
    "numpy bool": lambda: np.bool_(True),
}
# Values that are right for some arguments and wrong for others: only the contract is checked.
SOMETIMES = {
    "zero": lambda: 0,
    "minus zero": lambda: -0.0,
    "negative": lambda: -1,
    "half": lambda: 0.5,
    "tiny": lambda: 1e-300,
    "huge": lambda: 1e308,
    "big int": lambda: 10**12,
    "empty list": list,
    "pair": lambda: [1.0, 2.0],
    "matrix": lambda: np.ones((3, 3)),
    "float32": lambda: np.float32(2.0),
    "int64": lambda: np.int64(3),
    "pair of nan": lambda: [math.nan, 1.0],
    "big array": lambda: np.zeros(2_000_001),
}
NON_FINITE = ("nan", "inf", "-inf")
TEXT = {"text", "numeric text"}  # fine where a string is asked for


def build_cases():
    """(id, call, argument, word the message must hold, values that may be accepted, skipped)."""
    cases = []

    def add(label, fn, kwargs, arg, *, named=None, allowed=(), skip=()):
        allowed = set(allowed) | (TEXT if isinstance(kwargs[arg], str) else set())
        cases.append((f"{label}:{arg}", fn, kwargs, arg, named or arg, allowed, set(skip)))

    for name, land in L.all_landscapes().items():
        start = 0.5 if land.dim == 1 else [0.5, 0.5]
        add(f"{name}.__call__", land, {"x": start}, "x", allowed=NON_FINITE)
        add(f"{name}.grad", land.grad, {"x": start}, "x", allowed=NON_FINITE)
        add(f"{name}.check_point", land.check_point, {"x": start}, "x", named="x0")
        add(f"{name}.check_point", land.check_point, {"x": start, "name": "w0"}, "name")
        add(f"{name}.hessian_at", land.hessian_at, {"x": start}, "x")
        add(f"{name}.hessian_at", land.hessian_at, {"x": start, "h": 1e-5}, "h")
        add(f"{name}.grid", land.grid, {"n": 5}, "n")
    add("parabola", L.parabola, {"curvature": 1.0}, "curvature")
    for arg, value in (("condition_number", 10.0), ("angle", 0.0), ("lambda_min", 1.0)):
        add("bowl", L.bowl, {arg: value}, arg)
    for arg, value in (("a", 1.0), ("b", 100.0)):
        add("rosenbrock", L.rosenbrock, {arg: value}, arg)
    base = EXAMPLES["lrcourse.landscapes.Landscape"].kwargs()  # a line, the probe's example
    for arg in base:
        add("Landscape", L.Landscape, base, arg, allowed={"None"} if arg == "hessian" else ())

    bowl = L.bowl()
    run = {"landscape": bowl, "x0": [1.0, 1.0], "learning_rate": 0.1, "steps": 5}
    for arg in run:
        add("descend", descend, run, arg)
    for arg, value in (("optimizer", None), ("noise", 0.1), ("seed", 1)):
        allowed = {"None"} if arg == "optimizer" else ()
        add("descend", descend, {**run, arg: value}, arg, allowed=allowed)
    many = {"landscape": bowl, "x0": [1.0, 1.0], "learning_rates": [0.1, 0.2], "steps": 5}
    for arg in many:
        add("sweep", sweep, many, arg)
    noisy = {"landscape": bowl, "x0": [1.0, 1.0], "learning_rates": [0.1] * 5, "noise": 0.5}
    noisy.update(runs=4, seed=0)
    for arg in noisy:
        add("noisy_descent", noisy_descent, noisy, arg)
    path = EXAMPLES["lrcourse.descent.Trajectory"].kwargs()  # the probe's example
    for arg in path:
        allowed = {"None"} if arg == "diverged_at" else NON_FINITE if arg == "losses" else ()
        add("Trajectory", Trajectory, path, arg, allowed=allowed)
    traj = descend(bowl, [1.0, 1.0], 0.1, steps=10)
    add("steps_to_reach", traj.steps_to_reach, {"loss": 0.1}, "loss")
    add("steps_to_stay", traj.steps_to_stay, {"loss": 0.1}, "loss")

    knobs = {
        "learning_rate": 0.1,
        "factor": 0.5,
        "patience": 2,
        "min_delta": 1e-4,
        "cooldown": 1,
        "min_lr": 0.0,
        "mode": "min",
        "dtype": "float32",
    }
    for arg in knobs:
        add("ReduceLROnPlateau", ReduceLROnPlateau, knobs, arg)
        add("replay_plateau", replay_plateau, {"losses": [1.0, 0.9, 0.95], **knobs}, arg)
    add("replay_plateau", replay_plateau, {"losses": [1.0], **knobs}, "losses")
    add(
        "ReduceLROnPlateau.update",
        ReduceLROnPlateau(0.1).update,
        {"current": 1.0},
        "current",
        allowed=NON_FINITE,
    )

    add("data.load", data.load, {"name": "wine"}, "name")
    for arg, value in (("validation_fraction", 0.25), ("seed", 0)):
        add("data.load", data.load, {"name": "wine", arg: value}, arg)
    wine = data.load("wine")
    fields = {
        f: getattr(wine, f)
        for f in ("name", "task", "x_train", "y_train", "x_val", "y_val", "description")
    }
    for arg in fields:
        add("Dataset", data.Dataset, fields, arg)
    add("steps_per_epoch", wine.steps_per_epoch, {"batch_size": 32}, "batch_size")

    add("doctor.version", doctor.version, {"dist": "numpy"}, "dist")
    add(
        "doctor.python_status",
        doctor.python_status,
        {"version_info": (3, 11, 2)},
        "version_info",
        allowed={"None"},
    )
    add(
        "doctor.report",
        doctor.report,
        {"check_tensorflow": False},
        "check_tensorflow",
        skip={"True", "False", "numpy bool"},
    )  # True imports TensorFlow: slow, and fine
    # None reads sys.argv and [] runs the whole report: both are right, and slow here
    add("doctor.main", doctor.main, {"argv": []}, "argv", skip={"None", "empty list"})

    add("Feedback", Feedback, {"state": WRONG, "message": "m"}, "state")
    add("Feedback", Feedback, {"state": WRONG, "message": "m"}, "message")
    for make in (correct, wrong, not_attempted):
        add(make.__name__, make, {"message": "m"}, "message")
    escape = {"offset": 1e-6, "learning_rate": 0.1, "radius": 1.0}
    for arg in escape:
        add("saddle_escape_steps", check.saddle_escape_steps, escape, arg)
    return cases


CASES = build_cases()
VALUES = {**ALWAYS_BAD, **SOMETIMES}


@pytest.mark.parametrize(
    ("fn", "kwargs", "arg", "named", "allowed", "skip"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_arguments_raise_a_clear_error_quickly(fn, kwargs, arg, named, allowed, skip):
    accepted_bad, problems = [], []
    for label, make in VALUES.items():
        if label in skip:
            continue
        call = {**kwargs, arg: make()}
        try:
            with time_limit():
                fn(**call)
        except (ValueError, TypeError) as exc:
            if named not in str(exc):
                problems.append(f"{label}: {type(exc).__name__} without {named!r}: {exc}")
        except TookTooLong:
            problems.append(f"{label}: still running after {LIMIT} s")
        except Exception as exc:  # the contract: no other exception type
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
        else:
            if label in ALWAYS_BAD and label not in allowed:
                accepted_bad.append(label)
    assert not problems, "\n".join(problems)
    assert not accepted_bad, f"{arg} accepted in silence: {accepted_bad}"


# ---------------------------------------------------------------- checkers never raise


def odd_functions():
    """Learner functions that go wrong in every way a learner could manage."""

    def recurse(*args):
        return recurse(*args)

    def exits(*args):
        raise SystemExit(1)

    def no_args():
        return 0.0

    def bad_exception(*args):
        class Broken(Exception):
            def __str__(self):
                raise RuntimeError("no str")

        raise Broken

    values = [*VALUES.values(), Unprintable]
    returners = [lambda *a, v=make: v() for make in values]
    return [recurse, exits, no_args, bad_exception, *returners, *(make() for make in values)]


CHECKERS_OF_FUNCTIONS = [check.check_gd_step, check.check_classify]
CHECKERS_OF_ANSWERS = [
    check.check_largest_stable_lr,
    check.check_best_lr,
    check.check_escape_steps,
    lambda a: check_value(a, 0.5),
    lambda a: check_value(a, [1.0, 2.0]),
    lambda a: check_sequence(a, [1.0, 2.0, 3.0]),
    lambda a: check_sequence(a, [[1.0, 2.0], [3.0, 4.0]]),
    lambda a: check_choice(a, "b", ("a", "b", "c")),
]


def assert_answers(feedback, junk=True):
    assert isinstance(feedback, Feedback)
    assert feedback.state in ((WRONG, NOT_ATTEMPTED) if junk else (CORRECT, WRONG, NOT_ATTEMPTED))
    assert str(feedback) and feedback._repr_html_()


@pytest.mark.parametrize("checker", CHECKERS_OF_FUNCTIONS, ids=lambda c: c.__name__)
def test_function_checkers_never_raise_or_hang(checker):
    for fn in odd_functions():
        with time_limit():
            assert_answers(checker(fn))


@pytest.mark.parametrize("checker", CHECKERS_OF_ANSWERS, ids=range(len(CHECKERS_OF_ANSWERS)))
def test_answer_checkers_never_raise_or_hang(checker):
    for label, make in [*VALUES.items(), ("unprintable", Unprintable)]:
        with time_limit():
            assert_answers(checker(make()), junk=label not in SOMETIMES)


def test_call_learner_and_the_message_helpers_never_raise():
    for fn in odd_functions():
        with time_limit():
            result, feedback = call_learner(fn, 1.0)
        assert feedback is None or feedback.state in (WRONG, NOT_ATTEMPTED)
    for make in [*VALUES.values(), Unprintable]:
        with time_limit():
            assert isinstance(fmt(make()), str)
            assert isinstance(brief(make()), str)
            numbers = as_numbers(make())
            assert numbers is None or numbers.dtype == float


@pytest.mark.parametrize(
    "call",
    [
        lambda: check.check_escape_steps(76, offset=0.0),
        lambda: check.check_escape_steps(76, learning_rate=0.0),
        lambda: check.check_escape_steps(76, learning_rate=-0.1),
        lambda: check.check_escape_steps(76, learning_rate=1e-300),
        lambda: check.check_escape_steps(76, radius=math.inf),
        lambda: check.check_escape_steps(76, offset="tiny"),
        lambda: check.check_largest_stable_lr(0.2, eigenvalues=(0.0, 10.0)),
        lambda: check.check_best_lr(0.2, eigenvalues="abc"),
        lambda: check.check_gd_step(),
        lambda: check_value(0.5, "abc"),
        lambda: check_choice("a", "b", 42),
    ],
)
def test_bad_settings_of_a_checker_are_not_yet_with_the_reason(call):
    with time_limit():
        feedback = call()
    assert feedback.state == WRONG and feedback.message, str(feedback)


answers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.floats(allow_nan=True), max_size=5),
    st.lists(st.lists(st.integers(), max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.complex_numbers(),
)


@settings(max_examples=150, deadline=None)
@given(answer=answers, which=st.integers(0, len(CHECKERS_OF_ANSWERS) - 1))
def test_checkers_answer_any_random_value(answer, which):
    with time_limit():
        feedback = CHECKERS_OF_ANSWERS[which](answer)
    assert isinstance(feedback, Feedback) and feedback.state in (CORRECT, WRONG, NOT_ATTEMPTED)
    if feedback.state == CORRECT:  # only a real number can be right
        assert as_numbers(answer) is not None or isinstance(answer, str)
