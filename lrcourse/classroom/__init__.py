"""The classroom path: every course notebook as an nbgrader assignment, from the same source.

``python -m lrcourse classroom build DIR`` (:func:`build_course`) writes an nbgrader course
directory; nbgrader's own commands then generate, release, collect, autograde and give feedback.
In the assignments, each exercise's visible checker becomes a test cell with points, and
:func:`graded` adds the hidden tests: the same checker, now required to say "correct", and the
same checker on other inputs (:data:`HIDDEN`), so that an answer that only fits the visible
inputs loses the points. A wrong answer fails with the checker's own message, named bugs
included, and that message is what the student reads in the feedback.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np

from lrcourse.exercises import Feedback, brief, call_learner, correct, fmt, wrong
from lrcourse.exercises import finder as _finder
from lrcourse.exercises import landscape as _landscape
from lrcourse.exercises import optimizers as _optimizers
from lrcourse.exercises import schedules as _schedules

HIDDEN_SEED = 2027  # the hidden tests' inputs: fixed, so that every student gets the same test


class NotYetCorrect(AssertionError):
    """A graded check that did not say "correct"; its message is the checker's feedback."""


def graded(check, *args, **kwargs):
    """Run ``check(*args, **kwargs)`` and its hidden variants; raise :class:`NotYetCorrect` with
    the checker's message unless every one says "correct". Returns the visible feedback."""
    if not callable(check):
        raise TypeError(f"check must be a checker function, got {brief(check)}")
    try:
        inspect.signature(check).bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"the arguments do not fit {_name(check)}: {exc}") from None
    first = check(*args, **kwargs)
    if not isinstance(first, Feedback):
        raise TypeError(f"check must return a Feedback, {_name(check)} returned {brief(first)}")
    _require(first, "")
    for label, variant in HIDDEN.get(_name(check), ()):
        _require(variant(check, args, kwargs), f" (hidden test: {label})")
    return first


def _name(check):
    return getattr(check, "__name__", type(check).__name__)


def _require(feedback, where):
    if not feedback.correct:
        raise NotYetCorrect(f"{feedback}{where}")


def _again(**changes):
    """A hidden variant that calls the checker again with some arguments changed."""

    def variant(check, args, kwargs):
        bound = inspect.signature(check).bind(*args, **kwargs)
        bound.apply_defaults()
        return check(**{**bound.arguments, **changes})

    return variant


def _scaled(name, factor, extra=0):
    """A hidden variant that multiplies one of the checker's count arguments (more steps)."""

    def variant(check, args, kwargs):
        bound = inspect.signature(check).bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments[name] = int(factor * arguments[name]) + extra
        return check(**arguments)

    return variant


def _longer(*parts, factor=3):
    """A hidden variant asking about ``factor`` times the default steps, ``parts`` being the
    arguments whose sum is the schedule's length."""

    def variant(check, args, kwargs):
        bound = inspect.signature(check).bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        length = sum(int(arguments[p]) for p in parts)
        arguments["steps"] = min(factor * length + 7, _schedules.MAX_CALLS)
        return check(**arguments)

    return variant


# ---------------------------------------------------------------- hidden inputs


def _hidden_gd_step(check, args, kwargs):
    """Gradient steps from other points, with other rates, in 1, 3 and 5 dimensions."""
    rng = np.random.default_rng(HIDDEN_SEED)
    gd_step = inspect.signature(check).bind(*args, **kwargs).arguments["gd_step"]
    for size, lr in ((1, 0.37), (3, 0.02), (5, 1.3)):
        x, g = rng.normal(size=size), rng.normal(size=size) * 3
        x, g = (float(x[0]), float(g[0])) if size == 1 else (x, g)
        got, problem = call_learner(gd_step, np.copy(x) if size > 1 else x, np.copy(g), lr)
        if problem is not None:
            return problem
        if not _landscape._close(got, x - lr * g):
            why = _landscape._diagnose(got, x, g, lr)
            return wrong(f"at x = {fmt(x)}, gradient {fmt(g)}, learning rate {lr}: {why}".strip())
    return correct("three more steps, in 1, 3 and 5 dimensions, match.")


def _hidden_classify(check, args, kwargs):
    """Rotated Hessians (no zero on the diagonal tells the answer), 3 and 4 dimensions."""
    rng = np.random.default_rng(HIDDEN_SEED)
    classify = inspect.signature(check).bind(*args, **kwargs).arguments["classify"]
    cases = (
        ([0.5, 2.0, 7.0], "minimum"),
        ([-3.0, -0.2, -1.0, -6.0], "maximum"),
        ([4.0, 3.0, 2.0, -0.1], "saddle"),
        ([-4.0, 0.3, -2.0], "saddle"),
    )
    for eigenvalues, want in cases:
        q, _ = np.linalg.qr(rng.normal(size=(len(eigenvalues),) * 2))
        hessian = q @ np.diag(eigenvalues) @ q.T
        hessian = (hessian + hessian.T) / 2
        got, problem = call_learner(classify, hessian.copy())
        if problem is not None:
            return problem
        if not (isinstance(got, str) and got == want):
            return wrong(
                f"for a rotated {len(eigenvalues)}x{len(eigenvalues)} Hessian your "
                f"function said {brief(got)}; look at the signs of the eigenvalues."
            )
    return correct(f"all {len(cases)} rotated Hessians classified.")


def _hidden_cases(exercise):
    """The exercise's cases with other hyperparameters, gradients, start points and size."""
    rng = np.random.default_rng(HIDDEN_SEED)
    cases = []
    for case in exercise.cases:
        hyper = {}
        for key, value in case.hyper.items():
            if key == "learning_rate":
                hyper[key] = value * 0.37
            elif key in {"momentum", "beta_1", "beta_2", "rho"}:
                hyper[key] = 1 - 2 * (1 - value)  # 0.9 -> 0.8, 0.999 -> 0.998
            else:
                hyper[key] = value
        state = {k: (0 if k == "t" else np.zeros(5)) for k in case.state}
        scale = 1e-4 if "tiny" in case.label else 1.0
        grads = rng.normal(size=(_optimizers.STEPS, 5)) * scale
        label = f"hidden test{', ' + case.label if case.label else ''}"
        cases.append(_optimizers._Case(hyper, state, grads, label, rng.normal(size=5)))
    return tuple(cases)


def _hidden_steps(exercise):
    hidden = dataclasses.replace(exercise, cases=_hidden_cases(exercise))

    def variant(check, args, kwargs):
        fn = inspect.signature(check).bind(*args, **kwargs).arguments["fn"]
        return hidden.check(fn)

    return variant


def _hidden_average(check, args, kwargs):
    rng = np.random.default_rng(HIDDEN_SEED)
    losses = 1.5 + np.cumsum(rng.normal(0, 0.05, size=60))
    return _again(losses=losses, beta=0.98)(check, args, kwargs)


#: Checker name -> ((what the hidden test changes, variant), ...). A variant takes the checker
#: and the visible call's arguments and returns the checker's feedback on other inputs.
HIDDEN = {
    "check_gd_step": (("other points and rates", _hidden_gd_step),),
    "check_classify": (("rotated 3-D and 4-D Hessians", _hidden_classify),),
    "check_momentum_step": (("other settings", _hidden_steps(_optimizers._MOMENTUM)),),
    "check_nesterov_step": (("other settings", _hidden_steps(_optimizers._NESTEROV)),),
    "check_adagrad_step": (("other settings", _hidden_steps(_optimizers._ADAGRAD)),),
    "check_rmsprop_step": (("other settings", _hidden_steps(_optimizers._RMSPROP)),),
    "check_adadelta_step": (("other settings", _hidden_steps(_optimizers._ADADELTA)),),
    "check_adam_step": (("other settings", _hidden_steps(_optimizers._ADAM)),),
    "check_step_decay": (("five times the epochs", _scaled("epochs", 5, 3)),),
    "check_warmup_cosine": (("three times the steps", _longer("warmup_steps", "decay_steps")),),
    "check_cyclical": (("more cycles", _longer("step_size", factor=12)),),
    "check_warmup_stable_decay": (
        ("three times the steps", _longer("warmup_steps", "stable_steps", "decay_steps")),
    ),
    "check_serializable_schedule": (
        ("other settings", _again(peak=0.03, warmup_steps=7, stable_steps=25, decay_steps=13)),
    ),
    "check_time_based_replacement": (
        ("ten times the steps", _longer("steps_per_epoch", factor=10)),
    ),
    "check_decay_arguments": (("other half-lives", _again(cases=((3, 17), (0.5, 250), (12, 7)))),),
    "check_exponential_rates": (
        ("other ranges", _again(min_rate=1e-4, max_rate=10.0, steps=31)),
        ("ten rates", _again(min_rate=1e-7, max_rate=0.1, steps=10)),
    ),
    "check_debiased_average": (("another curve and beta", _hidden_average),),
}

# The checkers the hidden tests are written for, by name (a test keeps the two in step).
CHECKERS = {
    "check_gd_step": _landscape.check_gd_step,
    "check_classify": _landscape.check_classify,
    **{name: getattr(_optimizers, name) for name in HIDDEN if hasattr(_optimizers, name)},
    **{name: getattr(_schedules, name) for name in HIDDEN if hasattr(_schedules, name)},
    **{name: getattr(_finder, name) for name in HIDDEN if hasattr(_finder, name)},
}

from lrcourse.classroom.build import build_course, main  # noqa: E402  (uses graded's module)

__all__ = ["build_course", "graded", "main"]
