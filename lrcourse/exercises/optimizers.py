"""Checkers for the optimizer steps written by hand in notebooks 03-07.

The learner writes one update step, always with the same shape::

    def momentum_step(w, g, state, learning_rate=0.01, momentum=0.9):
        v = momentum * state["velocity"] - learning_rate * g
        w = w + v
        return w, {"velocity": v}

``w`` holds the parameters and ``g`` the gradient at ``w`` (NumPy arrays of one shape); ``state``
is a dict the step reads and returns updated: the checker builds the first one and feeds back
whatever the function returns. Hyperparameters arrive as keyword arguments named as in Keras.

- ``check_momentum_step``, ``check_nesterov_step``: state ``{"velocity": zeros}``;
  hyperparameters ``learning_rate, momentum``.
- ``check_adagrad_step``: state ``{"accumulator": initial_accumulator_value}``;
  ``learning_rate, epsilon``.
- ``check_rmsprop_step``: state ``{"mean_square": zeros}``; ``learning_rate, rho, epsilon``.
- ``check_adadelta_step``: state ``{"mean_square_grad": zeros, "mean_square_delta": zeros}``;
  ``learning_rate, rho, epsilon``. ``check_adadelta_first_step(answer, ...)`` checks a number:
  the length of Adadelta's first step.
- ``check_adam_step``: state ``{"m": zeros, "v": zeros, "t": 0}`` (``t`` counts the updates done
  so far); ``learning_rate, beta_1, beta_2, epsilon``.

A checker runs the function for a few steps on fixed gradients (normal ones, then tiny ones where
epsilon matters), compares ``w`` with the reference after every step, and when they differ names
the step and, if it recognises it, the classic mistake. Only ``w`` is compared, so any equivalent
way of writing the step passes (PyTorch's momentum buffer, Adam as in Algorithm 1 or as Keras).

The references are the rules of :mod:`lrcourse.optimizers` (``momentum_step``, ``adam_step``...),
which have exactly these signatures. A checker never raises: whatever the function does (raise,
return the wrong thing, produce nan), the answer is "not yet" with the reason.
"""

from __future__ import annotations

import copy
import functools
import reprlib
import warnings
from dataclasses import dataclass, field

import numpy as np

from lrcourse import _checks
from lrcourse.exercises import (
    _TooSlow,
    _way,
    check_value,
    correct,
    fmt,
    is_placeholder,
    not_attempted,
    reveals,
    wrong,
)
from lrcourse.optimizers import (
    adadelta_step,
    adagrad_step,
    adam_step,
    momentum_step,
    nesterov_step,
    rmsprop_step,
)

STEPS = 6
RTOL, ATOL = 1e-5, 1e-9

_W0 = np.array([1.0, -2.0, 0.5])
_GRADS = np.array(
    [
        [0.8, -1.5, 0.3],
        [1.2, -0.4, -0.9],
        [0.5, 0.7, -1.1],
        [-0.6, 1.3, 0.2],
        [0.9, -0.2, 1.4],
        [-1.0, 0.6, -0.3],
    ]
)


@dataclass(frozen=True)
class _Case:
    hyper: dict
    state: dict
    grads: np.ndarray = field(default_factory=lambda: _GRADS)
    label: str = ""  # what is special about this test, for the feedback
    w0: np.ndarray = field(default_factory=lambda: _W0)

    def describe(self):
        settings = ", ".join(f"{k}={v:g}" for k, v in self.hyper.items())
        return f"{self.label}, {settings}" if self.label else settings


@dataclass(frozen=True)
class _Exercise:
    references: dict  # what a correct answer may match: {"form name": step function}
    bugs: dict  # {"what the mistake is": step function making it}
    cases: tuple
    hint_on_error: dict = field(default_factory=dict)  # {exception name: hint}

    def check(self, fn):
        if is_placeholder(fn):
            return not_attempted()
        forms = set()
        for case in self.cases:
            got, feedback = _run_learner(fn, case, self)
            if feedback is not None:
                return feedback
            runs = {form: _run(step, case) for form, step in self.references.items()}
            matching = [form for form, want in runs.items() if _same(got, want)]
            if not matching:
                return self._explain(got, next(iter(runs.values())), case)
            forms.update(matching)
        how = f" ({' / '.join(sorted(forms))})" if len(self.references) > 1 else ""
        return correct(f"w matches the reference at all {STEPS} steps of every test{how}.")

    def _explain(self, got, want, case):
        with np.errstate(all="ignore"):
            close = np.isclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True).all(axis=1)
        k = int(np.argmin(close))
        j = int(np.argmax(~np.isclose(got[k], want[k], rtol=RTOL, atol=ATOL, equal_nan=True)))
        text = (
            f"at step {k + 1} (with {case.describe()}) your function gave w = {fmt(got[k])}: "
            f"entry {j} is {_way(got[k][j], want[k][j])}"
        )
        answer = f"w = {fmt(want[k])} at step {k + 1}."
        for mistake, step in self.bugs.items():
            if _same(got, _run(step, case)):
                return wrong(f"{text}; this looks like {mistake}.", answer)
        return wrong(f"{text}. Compare your lines one by one with the formula.", answer)


def _run(step, case):
    """The trajectory ``w_1 .. w_STEPS`` of a step function (the references and the mistakes)."""
    w, state, path = case.w0.copy(), copy.deepcopy(case.state), []
    with np.errstate(all="ignore"):
        for g in case.grads:
            w, state = step(w, g, state, **case.hyper)
            path.append(w)
    return np.array(path)


def _run_learner(fn, case, exercise):
    """``_run`` for the learner's function: ``(path, None)``, or ``(None, feedback)`` on trouble."""
    if not callable(fn):
        return None, wrong(
            f"expected your step function, fn(w, g, state, ...); got {_brief(fn)}, "
            f"a {type(fn).__name__}."
        )
    w, state, path = case.w0.copy(), copy.deepcopy(case.state), []
    for k, g in enumerate(case.grads, start=1):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn(w.copy(), g.copy(), _copy(state), **case.hyper)
        except NotImplementedError:
            return None, not_attempted("your function still raises NotImplementedError.")
        except (KeyboardInterrupt, _TooSlow):  # the learner pressed stop, or the time is up
            raise
        except BaseException as exc:  # the learner's code may raise anything (even SystemExit)
            name = type(exc).__name__
            hint = exercise.hint_on_error.get(name, "")
            if name == "TypeError":
                call = ", ".join(f"{k}=..." for k in case.hyper)
                hint = f"The checker calls your function as fn(w, g, state, {call})."
            message = f"at step {k} your function raised {name}: {_text(exc)}. {hint}".strip()
            return None, wrong(message)
        w, state, trouble = _unpack(result, case)
        if trouble:
            return None, wrong(trouble)
        path.append(w)
    return np.array(path), None


def _unpack(result, case):
    """``(w, state, None)`` from what the learner's function returned, or ``(.., .., why not)``."""
    if not isinstance(result, tuple | list) or len(result) != 2:
        got = "None" if result is None else type(result).__name__
        return None, None, f"your function should end with `return w, state`; it returned {got}."
    w, state = result
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(w)
            if arr.dtype.kind not in "iuf":
                raise TypeError
            w = arr.astype(float)
    except Exception:  # anything a learner can return, np.asarray may choke on
        return None, None, f"the w your function returned is not numeric: {_brief(w)}."
    if w.shape != case.w0.shape:
        return None, None, f"the w your function returned has shape {w.shape}, not {case.w0.shape}."
    if not isinstance(state, dict):
        why = "the state your function returned should be a dict like the one it received"
        return None, None, f"{why}, got {type(state).__name__}."
    return w, state, None


def _copy(state):
    """A deep copy of the learner's state, or the state itself if it cannot be copied."""
    try:
        return copy.deepcopy(state)
    except Exception:
        return state


def _text(exc):
    try:
        return str(exc)
    except Exception:
        return "(no message)"


def _brief(value):
    try:
        return reprlib.repr(value)
    except Exception:
        return f"a {type(value).__name__}"


def _same(got, want):
    with np.errstate(all="ignore"):
        return got.shape == want.shape and np.allclose(
            got, want, rtol=RTOL, atol=ATOL, equal_nan=True
        )


def _keys_hint(state):
    return "The state dict holds " + ", ".join(f'"{k}"' for k in state) + "."


_TINY = _GRADS * 1e-4


# ---------------------------------------------------------------- momentum and Nesterov


# The classic mistakes, each a small variation of the rule it gets wrong.


def _momentum_uphill(w, g, state, learning_rate, momentum):
    return momentum_step(w, -g, state, learning_rate, momentum)  # v = mu v + lr g


def _momentum_flipped(w, g, state, learning_rate, momentum):
    v = -momentum * state["velocity"] - learning_rate * g
    return w + v, {"velocity": v}


def _momentum_forgotten(w, g, state, learning_rate, momentum):
    return momentum_step(w, g, {"velocity": 0.0}, learning_rate, momentum)


def _momentum_averaged(w, g, state, learning_rate, momentum):
    v = momentum * state["velocity"] + (1 - momentum) * g
    return w - learning_rate * v, {"velocity": v}


def _nesterov_uphill(w, g, state, learning_rate, momentum):
    return nesterov_step(w, -g, state, learning_rate, momentum)


_UPHILL = (
    "momentum applied with the wrong sign: the step goes uphill. The velocity must point "
    "downhill, v = momentum * v - learning_rate * g, then w = w + v"
)
_FLIPPED = (
    "the momentum term with the wrong sign (v = -momentum * v - ...): the velocity must keep "
    "its direction, v = momentum * v - learning_rate * g"
)
_FORGOTTEN = (
    "plain gradient descent: the velocity is not carried from one step to the next "
    '(read it from state["velocity"] and return the new one)'
)
_AVERAGED = (
    "an average of the gradients, v = momentum * v + (1 - momentum) * g (Adam's first moment): "
    "classical momentum adds the whole step, v = momentum * v - learning_rate * g"
)

_MOMENTUM_STATE = {"velocity": np.zeros(3)}
_MOMENTUM = _Exercise(
    references={"classical momentum": momentum_step},
    bugs={
        _UPHILL: _momentum_uphill,
        _FLIPPED: _momentum_flipped,
        _FORGOTTEN: _momentum_forgotten,
        _AVERAGED: _momentum_averaged,
    },
    cases=(_Case({"learning_rate": 0.1, "momentum": 0.9}, _MOMENTUM_STATE),),
    hint_on_error={"KeyError": _keys_hint(_MOMENTUM_STATE)},
)
_NESTEROV = _Exercise(
    references={"Nesterov momentum": nesterov_step},
    bugs={
        "classical momentum without the look-ahead: Nesterov moves by "
        "momentum * v - learning_rate * g after updating v": momentum_step,
        _UPHILL: _nesterov_uphill,
        _FORGOTTEN: _momentum_forgotten,
    },
    cases=(_Case({"learning_rate": 0.1, "momentum": 0.9}, _MOMENTUM_STATE),),
    hint_on_error={"KeyError": _keys_hint(_MOMENTUM_STATE)},
)


@reveals
def check_momentum_step(fn):
    """Check ``fn(w, g, state, learning_rate, momentum) -> (w, state)``, state ``{"velocity"}``.

    Reference (Keras): ``v = momentum * v - learning_rate * g;  w = w + v``.
    """
    return _MOMENTUM.check(fn)


@reveals
def check_nesterov_step(fn):
    """Check ``fn(w, g, state, learning_rate, momentum) -> (w, state)``, state ``{"velocity"}``.

    Reference (Keras): ``v = momentum * v - learning_rate * g``, then
    ``w = w + momentum * v - learning_rate * g`` (the step looks ahead along the new velocity).
    """
    return _NESTEROV.check(fn)


# ---------------------------------------------------------------- Adagrad


def _adagrad_reset(w, g, state, learning_rate, epsilon):
    return adagrad_step(w, g, {"accumulator": 0.0}, learning_rate, epsilon)


def _adagrad_restarted(w, g, state, learning_rate, epsilon):
    return adagrad_step(w, g, {"accumulator": 0.1}, learning_rate, epsilon)  # the initial value


_adagrad_eps_outside = functools.partial(adagrad_step, epsilon_placement="paper")


def _adagrad_no_sqrt(w, g, state, learning_rate, epsilon):
    acc = state["accumulator"] + g**2
    return w - learning_rate * g / (acc + epsilon), {"accumulator": acc}


_KEEP_SUM = (
    "it must keep the running sum of all squared gradients, "
    'accumulator = state["accumulator"] + g**2'
)
_ADAGRAD_STATE = {"accumulator": np.full(3, 0.1)}
_ADAGRAD = _Exercise(
    references={"Adagrad": adagrad_step},
    bugs={
        "the accumulator reset every step: " + _KEEP_SUM: _adagrad_reset,
        "the accumulator reset to its initial value every step: " + _KEEP_SUM: _adagrad_restarted,
        "epsilon in the wrong place: outside the square root (the paper's delta); Keras adds it "
        "inside, g / sqrt(accumulator + epsilon)": _adagrad_eps_outside,
        "a missing square root: divide by sqrt(accumulator + epsilon), which has the units of g, "
        "not by the accumulator": _adagrad_no_sqrt,
    },
    cases=(
        _Case({"learning_rate": 0.1, "epsilon": 1e-7}, _ADAGRAD_STATE),
        _Case(
            {"learning_rate": 0.1, "epsilon": 1e-7},
            {"accumulator": np.zeros(3)},
            _TINY,
            "tiny gradients (about 1e-4) and the accumulator starting at 0",
        ),
    ),
    hint_on_error={"KeyError": _keys_hint(_ADAGRAD_STATE)},
)


@reveals
def check_adagrad_step(fn):
    """Check ``fn(w, g, state, learning_rate, epsilon) -> (w, state)``, state ``{"accumulator"}``.

    Reference (Keras): ``accumulator = accumulator + g**2``, then
    ``w = w - learning_rate * g / sqrt(accumulator + epsilon)``.
    The second test starts the accumulator at 0 with tiny gradients, where epsilon matters.
    """
    return _ADAGRAD.check(fn)


# ---------------------------------------------------------------- RMSprop


def _rmsprop_eps_outside(w, g, state, learning_rate, rho, epsilon):
    ms = rho * state["mean_square"] + (1 - rho) * g**2
    return w - learning_rate * g / (np.sqrt(ms) + epsilon), {"mean_square": ms}


def _rmsprop_swapped(w, g, state, learning_rate, rho, epsilon):
    return rmsprop_step(w, g, state, learning_rate, rho=1 - rho, epsilon=epsilon)


def _rmsprop_reset(w, g, state, learning_rate, rho, epsilon):
    return rmsprop_step(w, g, {"mean_square": 0.0}, learning_rate, rho=rho, epsilon=epsilon)


def _rmsprop_summed(w, g, state, learning_rate, rho, epsilon):
    ms = state["mean_square"] + g**2
    return w - learning_rate * g / np.sqrt(ms + epsilon), {"mean_square": ms}


_RMSPROP_STATE = {"mean_square": np.zeros(3)}
_RMSPROP_HYPER = {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7}
_RMSPROP = _Exercise(
    references={"RMSprop": rmsprop_step},
    bugs={
        "epsilon in the wrong place: outside the square root (PyTorch's form); Keras adds it "
        "inside, g / sqrt(mean_square + epsilon)": _rmsprop_eps_outside,
        "rho and 1 - rho swapped: rho weighs the old average, mean_square = rho * mean_square "
        "+ (1 - rho) * g**2": _rmsprop_swapped,
        "the moving average reset every step: start from the previous "
        'state["mean_square"]': _rmsprop_reset,
        "Adagrad's running sum instead of a moving average: multiply the old value by rho and "
        "g**2 by 1 - rho": _rmsprop_summed,
    },
    cases=(
        _Case(_RMSPROP_HYPER, _RMSPROP_STATE),
        _Case(_RMSPROP_HYPER, _RMSPROP_STATE, _TINY, "tiny gradients (about 1e-4)"),
    ),
    hint_on_error={"KeyError": _keys_hint(_RMSPROP_STATE)},
)


@reveals
def check_rmsprop_step(fn):
    """Check ``fn(w, g, state, learning_rate, rho, epsilon) -> (w, state)``.

    ``state`` holds ``"mean_square"``, zeros at the start.

    Reference (Keras): ``mean_square = rho * mean_square + (1 - rho) * g**2;
    w = w - lr * g / sqrt(mean_square + eps)``. The second test uses tiny gradients.
    """
    return _RMSPROP.check(fn)


# ---------------------------------------------------------------- Adadelta


def _adadelta_parts(g, state, rho, epsilon):
    mean_square_grad = rho * state["mean_square_grad"] + (1 - rho) * g**2
    rms_delta = np.sqrt(state["mean_square_delta"] + epsilon)  # RMS[dx] of the previous step
    return mean_square_grad, rms_delta


def _adadelta_rmsprop(w, g, state, learning_rate, rho, epsilon):
    msg = rho * state["mean_square_grad"] + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(msg + epsilon), {**state, "mean_square_grad": msg}


def _adadelta_delta_first(w, g, state, learning_rate, rho, epsilon):
    msg, rms_delta = _adadelta_parts(g, state, rho, epsilon)
    guess = -rms_delta / np.sqrt(msg + epsilon) * g
    msd = rho * state["mean_square_delta"] + (1 - rho) * guess**2
    delta = -np.sqrt(msd + epsilon) / np.sqrt(msg + epsilon) * g  # RMS[dx] of this step
    return w + learning_rate * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


def _adadelta_grad_late(w, g, state, learning_rate, rho, epsilon):
    _, rms_delta = _adadelta_parts(g, state, rho, epsilon)
    delta = -rms_delta / np.sqrt(state["mean_square_grad"] + epsilon) * g  # old E[g^2]
    msg = rho * state["mean_square_grad"] + (1 - rho) * g**2
    msd = rho * state["mean_square_delta"] + (1 - rho) * delta**2
    return w + learning_rate * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


def _adadelta_eps_outside(w, g, state, learning_rate, rho, epsilon):
    msg = rho * state["mean_square_grad"] + (1 - rho) * g**2
    delta = -(np.sqrt(state["mean_square_delta"]) + epsilon) / (np.sqrt(msg) + epsilon) * g
    msd = rho * state["mean_square_delta"] + (1 - rho) * delta**2
    return w + learning_rate * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


def _adadelta_eps_top_only(w, g, state, learning_rate, rho, epsilon):
    msg, rms_delta = _adadelta_parts(g, state, rho, epsilon)
    delta = -rms_delta / np.sqrt(msg) * g
    msd = rho * state["mean_square_delta"] + (1 - rho) * delta**2
    return w + learning_rate * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


def _adadelta_eps_bottom_only(w, g, state, learning_rate, rho, epsilon):
    msg = rho * state["mean_square_grad"] + (1 - rho) * g**2
    delta = -np.sqrt(state["mean_square_delta"]) / np.sqrt(msg + epsilon) * g
    msd = rho * state["mean_square_delta"] + (1 - rho) * delta**2
    return w + learning_rate * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


def _adadelta_lr_ignored(w, g, state, learning_rate, rho, epsilon):
    return adadelta_step(w, g, state, 1.0, rho, epsilon)


def _adadelta_scaled_history(w, g, state, learning_rate, rho, epsilon):
    msg, rms_delta = _adadelta_parts(g, state, rho, epsilon)
    step = -learning_rate * rms_delta / np.sqrt(msg + epsilon) * g
    msd = rho * state["mean_square_delta"] + (1 - rho) * step**2  # the scaled step remembered
    return w + step, {"mean_square_grad": msg, "mean_square_delta": msd}


_ADADELTA_STATE = {"mean_square_grad": np.zeros(3), "mean_square_delta": np.zeros(3)}
_ADADELTA_PAPER = {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-6}
_ADADELTA = _Exercise(
    references={"Adadelta": adadelta_step},
    bugs={
        "RMSprop, not Adadelta: the step is learning_rate * g / RMS[g] without the RMS[dx] "
        "factor; multiply by sqrt(mean_square_delta + epsilon), the RMS of the previous "
        "steps": _adadelta_rmsprop,
        "E[dx^2] updated before the step is computed: the numerator must be RMS[dx] of the "
        "previous steps (t - 1), so compute dx first and update mean_square_delta after": (
            _adadelta_delta_first
        ),
        "E[g^2] updated after the step is computed: RMS[g] must include the current gradient, "
        "so update mean_square_grad first": _adadelta_grad_late,
        "epsilon in the wrong place: outside the square roots; Adadelta adds it inside, "
        "RMS[y] = sqrt(E[y^2] + epsilon)": _adadelta_eps_outside,
        "epsilon missing under the lower square root: RMS[g] = sqrt(mean_square_grad + epsilon)"
        "; without it tiny gradients make huge steps": _adadelta_eps_top_only,
        "epsilon missing under the upper square root: RMS[dx] = sqrt(mean_square_delta + "
        "epsilon); without it E[dx^2] starts at 0 and the parameters never move": (
            _adadelta_eps_bottom_only
        ),
        "the learning rate ignored (the paper's form): Keras multiplies the step by "
        "learning_rate, w = w + learning_rate * dx": _adadelta_lr_ignored,
        "the learning rate inside the history: E[dx^2] accumulates the paper's dx, before it "
        "is multiplied by learning_rate": _adadelta_scaled_history,
    },
    cases=(
        _Case(_ADADELTA_PAPER, _ADADELTA_STATE, label="the paper's settings"),
        _Case(_ADADELTA_PAPER, _ADADELTA_STATE, _TINY, "tiny gradients (about 1e-4)"),
        _Case({**_ADADELTA_PAPER, "learning_rate": 0.5}, _ADADELTA_STATE),
    ),
    hint_on_error={"KeyError": _keys_hint(_ADADELTA_STATE)},
)


@reveals
def check_adadelta_step(fn):
    """Check ``fn(w, g, state, learning_rate, rho, epsilon) -> (w, state)``.

    ``state`` holds ``"mean_square_grad"`` (E[g^2]) and ``"mean_square_delta"`` (E[dx^2]), zeros
    at the start. Reference (Zeiler's Algorithm 1, times Keras's learning rate)::

        mean_square_grad = rho * mean_square_grad + (1 - rho) * g**2
        dx = -sqrt(mean_square_delta + epsilon) / sqrt(mean_square_grad + epsilon) * g
        mean_square_delta = rho * mean_square_delta + (1 - rho) * dx**2
        w = w + learning_rate * dx

    The tests use the paper's settings (learning_rate 1), tiny gradients where epsilon matters,
    and learning_rate 0.5 (Keras's form).
    """
    return _ADADELTA.check(fn)


@reveals
def check_adadelta_first_step(answer, gradient=2.0, learning_rate=0.001, rho=0.95, epsilon=1e-7):
    """The length of Adadelta's first step (Keras's form) for one gradient, from zero state.

    ``|dx_1| = learning_rate * sqrt(epsilon) * |g| / sqrt((1 - rho) * g**2 + epsilon)``, about
    ``learning_rate * sqrt(epsilon / (1 - rho))`` unless the gradient is tiny (both accepted).
    A negative answer (the step itself, downhill) is judged by its length.
    """
    if is_placeholder(answer):
        return not_attempted()
    try:
        with np.errstate(all="ignore"):  # a huge gradient squared is inf: no warning for that
            first = _first_steps(gradient, learning_rate, rho, epsilon)
    except ValueError as exc:  # the checker's own settings, if a notebook changed them
        return wrong(f"this check cannot run with these settings: {exc}.")
    want = first["adadelta"]
    mistakes = {
        "the learning rate is missing (that is the paper's step, before Keras multiplies it by "
        "learning_rate)": first["paper"],
        "rho and 1 - rho swapped: E[g^2] after one step is (1 - rho) * g**2": first["swapped"],
        "RMS[dx] is missing: at the first step it is sqrt(0 + epsilon), not 1": first["rmsprop"],
    }
    length = _number(answer)
    if length is None:
        return wrong(f"the first step should be a number, got {_brief(answer)}.")
    length = abs(length)
    for mistake, value in mistakes.items():
        with np.errstate(all="ignore"):
            looks_like = np.isclose(length, value, rtol=1e-3) and not np.isclose(
                value, want, rtol=1e-3
            )
        if looks_like:
            return wrong(f"{fmt(length)} is not it; this looks like {mistake}.")
    return check_value(
        length,
        want,
        name="the first step",
        rtol=1e-3,
        hint="Both averages start at 0: RMS[dx]_0 = sqrt(epsilon) and E[g^2]_1 = (1 - rho) * g**2.",
    )


def _first_steps(gradient, learning_rate, rho, epsilon):
    """The length of the first step from zero state, by the rule and by three mistakes."""
    g = np.array([_checks.number("gradient", gradient)])

    def first(rule, *hyper):
        state = {"mean_square_grad": 0.0, "mean_square_delta": 0.0, "mean_square": 0.0}
        return float(abs(rule(0.0 * g, g, state, *hyper)[0][0]))

    lengths = {"adadelta": first(adadelta_step, learning_rate, rho, epsilon)}  # checks them all
    lengths["paper"] = first(adadelta_step, 1.0, rho, epsilon)
    # with rho = 0 there is nothing to swap with (1 - rho = 1 is no decay rate)
    lengths["swapped"] = first(adadelta_step, learning_rate, 1 - rho, epsilon) if rho else np.nan
    lengths["rmsprop"] = first(rmsprop_step, learning_rate, rho, epsilon)
    return lengths


def _number(answer):
    """``answer`` as a float (a number or a one-number array), None if it is not one."""
    if isinstance(answer, str | bytes | bool | np.bool_):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(answer)
            if arr.size != 1 or arr.dtype.kind not in "iuf":
                return None
            return float(arr.reshape(()))
    except Exception:  # whatever the learner typed
        return None


# ---------------------------------------------------------------- Adam


def _adam_moments(g, state, beta_1, beta_2):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    return m, v


_adam_paper = functools.partial(adam_step, epsilon_placement="paper")


def _adam_uncorrected(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    m, v = _adam_moments(g, state, beta_1, beta_2)
    return w - learning_rate * m / (np.sqrt(v) + epsilon), {"m": m, "v": v, "t": state["t"] + 1}


def _adam_only_m(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"] + 1
    m, v = _adam_moments(g, state, beta_1, beta_2)
    m_hat = m / (1 - beta_1**t)
    return w - learning_rate * m_hat / (np.sqrt(v) + epsilon), {"m": m, "v": v, "t": t}


def _adam_only_v(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"] + 1
    m, v = _adam_moments(g, state, beta_1, beta_2)
    v_hat = v / (1 - beta_2**t)
    return w - learning_rate * m / (np.sqrt(v_hat) + epsilon), {"m": m, "v": v, "t": t}


def _adam_t_stuck(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    w, new = _adam_paper(w, g, state, learning_rate, beta_1, beta_2, epsilon)
    return w, {**new, "t": state["t"]}  # t + 1 used but never stored


def _adam_t_zero(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"]  # used before the increment
    m, v = _adam_moments(g, state, beta_1, beta_2)
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), {"m": m, "v": v, "t": t + 1}


def _adam_eps_inside(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"] + 1
    m, v = _adam_moments(g, state, beta_1, beta_2)
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / np.sqrt(v_hat + epsilon), {"m": m, "v": v, "t": t}


_ADAM_STATE = {"m": np.zeros(3), "v": np.zeros(3), "t": 0}
_ADAM_HYPER = {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
_ADAM = _Exercise(
    references={
        "Algorithm 1 of the paper": _adam_paper,
        "Keras's form with epsilon-hat": adam_step,
    },
    bugs={
        "the bias correction missing: divide m by 1 - beta_1**t and v by 1 - beta_2**t "
        "(without it the early steps are too long: for a steady gradient and the default "
        "betas, 3.2 times at step 1 and 6.6 times at step 12)": _adam_uncorrected,
        "the bias correction applied to m only: v needs it too, v / (1 - beta_2**t)": _adam_only_m,
        "the bias correction applied to v only: m needs it too, m / (1 - beta_1**t)": _adam_only_v,
        't not incremented: every step uses the correction of step 1; return state["t"] + 1 in '
        "the new state": _adam_t_stuck,
        "t used before it is incremented: at the first step 1 - beta_1**0 = 0 divides by zero; "
        "add 1 to t first, then correct": _adam_t_zero,
        "epsilon in the wrong place: inside the square root; Adam adds it outside, "
        "m_hat / (sqrt(v_hat) + epsilon)": _adam_eps_inside,
    },
    cases=(
        _Case(_ADAM_HYPER, _ADAM_STATE),
        _Case(_ADAM_HYPER, _ADAM_STATE, _TINY, "tiny gradients (about 1e-4)"),
    ),
    hint_on_error={
        "KeyError": _keys_hint(_ADAM_STATE),
        "ZeroDivisionError": "Is t still 0 in the bias correction? Add 1 to t first.",
    },
)


@reveals
def check_adam_step(fn):
    """Check ``fn(w, g, state, learning_rate, beta_1, beta_2, epsilon) -> (w, state)``.

    ``state`` holds ``"m"``, ``"v"`` (zeros at the start) and ``"t"``, the number of updates done
    so far (0 at the start): increment it, then use it in the bias correction. Both Algorithm 1 of
    the paper and Keras's epsilon-hat form are accepted; the second test uses tiny gradients,
    where the place of epsilon matters.
    """
    return _ADAM.check(fn)
