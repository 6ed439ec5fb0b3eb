"""The optimizer checkers: each classic mistake is caught and named, right answers pass, and
nothing a learner's function does makes a checker raise."""

import functools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lrcourse import optimizers
from lrcourse.exercises import Feedback
from lrcourse.exercises import optimizers as ex

# ---------------------------------------------------------------- answers a learner might write


def momentum_right(w, g, state, learning_rate, momentum):
    v = momentum * state["velocity"] - learning_rate * g
    return w + v, {"velocity": v}


def momentum_pytorch_style(w, g, state, learning_rate, momentum):
    """PyTorch's buffer (v = mu v + g; w -= lr v): the same steps for a constant rate."""
    b = momentum * state["velocity"] + g
    return w - learning_rate * b, {"velocity": b}


def momentum_in_place(w, g, state, learning_rate=0.01, momentum=0.9):
    """cs231n style: mutates its inputs and returns them."""
    state["velocity"] *= momentum
    state["velocity"] -= learning_rate * g
    w += state["velocity"]
    return w, state


def momentum_uphill(w, g, state, learning_rate, momentum):
    v = momentum * state["velocity"] - learning_rate * g
    return w - v, {"velocity": v}


def momentum_plus_gradient(w, g, state, learning_rate, momentum):
    v = momentum * state["velocity"] + learning_rate * g
    return w + v, {"velocity": v}


def momentum_flipped(w, g, state, learning_rate, momentum):
    v = -momentum * state["velocity"] - learning_rate * g
    return w + v, {"velocity": v}


def momentum_not_carried(w, g, state, learning_rate, momentum):
    v = momentum * np.zeros_like(w) - learning_rate * g
    return w + v, state


def momentum_as_average(w, g, state, learning_rate, momentum):
    v = momentum * state["velocity"] + (1 - momentum) * g
    return w - learning_rate * v, {"velocity": v}


def nesterov_right(w, g, state, learning_rate, momentum):
    v = momentum * state["velocity"] - learning_rate * g
    return w + momentum * v - learning_rate * g, {"velocity": v}


def adagrad_right(w, g, state, learning_rate, epsilon):
    acc = state["accumulator"] + g * g
    return w - learning_rate * g / np.sqrt(acc + epsilon), {"accumulator": acc}


def adagrad_reset(w, g, state, learning_rate, epsilon):
    acc = np.square(g)
    return w - learning_rate * g / np.sqrt(acc + epsilon), {"accumulator": acc}


def adagrad_eps_outside(w, g, state, learning_rate, epsilon):
    acc = state["accumulator"] + g * g
    return w - learning_rate * g / (np.sqrt(acc) + epsilon), {"accumulator": acc}


def adagrad_no_sqrt(w, g, state, learning_rate, epsilon):
    acc = state["accumulator"] + g * g
    return w - learning_rate * g / (acc + epsilon), {"accumulator": acc}


def rmsprop_right(w, g, state, learning_rate, rho, epsilon):
    ms = rho * state["mean_square"] + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(ms + epsilon), {"mean_square": ms}


def rmsprop_eps_outside(w, g, state, learning_rate, rho, epsilon):
    ms = rho * state["mean_square"] + (1 - rho) * g**2
    return w - learning_rate * g / (np.sqrt(ms) + epsilon), {"mean_square": ms}


def rmsprop_swapped(w, g, state, learning_rate, rho, epsilon):
    ms = (1 - rho) * state["mean_square"] + rho * g**2
    return w - learning_rate * g / np.sqrt(ms + epsilon), {"mean_square": ms}


def adam_algorithm_1(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"] + 1
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    m_hat = m / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), {"m": m, "v": v, "t": t}


def adam_with_the_course_optimizer(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    """Keras's form, through lrcourse.optimizers.Adam: its state is the exercise's state."""
    return optimizers.Adam(learning_rate, beta_1, beta_2, epsilon).update(w, g, state)


def adam_no_bias_correction(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    return w - learning_rate * m / (np.sqrt(v) + epsilon), {"m": m, "v": v, "t": state["t"] + 1}


def adam_t_not_stored(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"] + 1
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), {"m": m, "v": v, "t": 0}


def adam_t_used_before_increment(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"]
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), {"m": m, "v": v, "t": t + 1}


def adam_t_before_increment_in_python_floats(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    correction = 1 / (1 - beta_1 ** state["t"])  # raises ZeroDivisionError at t = 0
    return w - learning_rate * correction * g, state


def adam_eps_inside(w, g, state, learning_rate, beta_1, beta_2, epsilon):
    t = state["t"] + 1
    m = beta_1 * state["m"] + (1 - beta_1) * g
    v = beta_2 * state["v"] + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / np.sqrt(v_hat + epsilon), {"m": m, "v": v, "t": t}


# ---------------------------------------------------------------- right answers


@pytest.mark.parametrize(
    ("checker", "answer"),
    [
        (ex.check_momentum_step, momentum_right),
        (ex.check_momentum_step, momentum_pytorch_style),
        (ex.check_momentum_step, momentum_in_place),
        (ex.check_nesterov_step, nesterov_right),
        (ex.check_adagrad_step, adagrad_right),
        (ex.check_rmsprop_step, rmsprop_right),
        (ex.check_adam_step, adam_algorithm_1),
        (ex.check_adam_step, adam_with_the_course_optimizer),
    ],
)
def test_right_answers_pass(checker, answer):
    feedback = checker(answer)
    assert feedback.state == "correct", feedback
    assert feedback.correct


def test_adam_says_which_form_it_recognised():
    assert "Algorithm 1" in ex.check_adam_step(adam_algorithm_1).message
    assert "Keras" in ex.check_adam_step(adam_with_the_course_optimizer).message


# ---------------------------------------------------------------- classic mistakes, named


MISTAKES = [
    (ex.check_momentum_step, momentum_uphill, "wrong sign", 1),
    (ex.check_momentum_step, momentum_plus_gradient, "wrong sign", 1),
    (ex.check_momentum_step, momentum_flipped, "momentum term with the wrong sign", 2),
    (ex.check_momentum_step, momentum_not_carried, "not carried", 2),
    (ex.check_momentum_step, momentum_as_average, "average", 1),
    (ex.check_nesterov_step, momentum_right, "without the look-ahead", 1),
    (ex.check_adagrad_step, adagrad_reset, "reset every step", 1),
    (ex.check_adagrad_step, adagrad_eps_outside, "epsilon in the wrong place", 1),
    (ex.check_adagrad_step, adagrad_no_sqrt, "square root", 1),
    (ex.check_rmsprop_step, rmsprop_eps_outside, "epsilon in the wrong place", 1),
    (ex.check_rmsprop_step, rmsprop_swapped, "swapped", 1),
    (ex.check_adam_step, adam_no_bias_correction, "bias correction missing", 1),
    (ex.check_adam_step, adam_t_not_stored, "t not incremented", 2),
    (ex.check_adam_step, adam_t_used_before_increment, "before it is incremented", 1),
    (ex.check_adam_step, adam_eps_inside, "epsilon in the wrong place", 1),
]


@pytest.mark.parametrize(("checker", "answer", "named", "step"), MISTAKES)
def test_classic_mistakes_are_named(checker, answer, named, step):
    feedback = checker(answer)
    assert feedback.state == "not yet"
    assert not feedback.correct
    assert named in feedback.message
    assert feedback.message.startswith(f"at step {step} ")
    assert "this looks like" in feedback.message


def test_epsilon_mistakes_are_caught_on_tiny_gradients():
    """Where epsilon sits hardly matters for ordinary gradients: the tiny ones reveal it."""
    message = ex.check_rmsprop_step(rmsprop_eps_outside).message
    assert "tiny gradients" in message
    assert "tiny gradients" in ex.check_adam_step(adam_eps_inside).message
    assert "tiny gradients" not in ex.check_rmsprop_step(rmsprop_swapped).message


def test_a_wrong_answer_nobody_predicted_gets_the_step_and_values():
    def halved(w, g, state, learning_rate, momentum):
        w, state = momentum_right(w, g, state, learning_rate, momentum)
        return w * 0.5, state

    feedback = ex.check_momentum_step(halved)
    assert feedback.state == "not yet"
    assert "at step 1" in feedback.message and "entry 0 is too low" in feedback.message
    assert "[ 0.92, -1.85, 0.47]" not in feedback.message  # the reference w: only on request
    assert "this looks like" not in feedback.message
    shown = ex.check_momentum_step(halved, show_answer=True).message
    assert shown.endswith("The answer: w = [ 0.92, -1.85, 0.47] at step 1.")


# ---------------------------------------------------------------- placeholders and broken code


CHECKERS = [
    ex.check_momentum_step,
    ex.check_nesterov_step,
    ex.check_adagrad_step,
    ex.check_rmsprop_step,
    ex.check_adam_step,
]


@pytest.mark.parametrize("checker", CHECKERS)
def test_placeholders_are_not_attempted(checker):
    def todo(w, g, state, **hyper):
        raise NotImplementedError

    for placeholder in (None, ..., todo):
        assert checker(placeholder).state == "not attempted"


@pytest.mark.parametrize("checker", CHECKERS)
def test_code_that_raises_is_not_yet_with_the_exception_named(checker):
    def broken(w, g, state, **hyper):
        return w - undefined_name * g  # noqa: F821

    feedback = checker(broken)
    assert feedback.state == "not yet"
    assert "NameError" in feedback.message and "undefined_name" in feedback.message


def test_helpful_notes_for_common_errors():
    def wrong_key(w, g, state, learning_rate, momentum):
        return w - state["v"], state

    def wrong_arguments(w, g, state, lr, mu):
        return w, state

    assert '"velocity"' in ex.check_momentum_step(wrong_key).message
    message = ex.check_momentum_step(wrong_arguments).message
    assert "TypeError" in message and "learning_rate=..., momentum=..." in message
    message = ex.check_adam_step(adam_t_before_increment_in_python_floats).message
    assert "ZeroDivisionError" in message and "t" in message and "at step 1" in message


@pytest.mark.parametrize(
    ("returned", "said"),
    [
        (None, "return w, state"),
        (np.zeros(3), "return w, state"),
        ((np.zeros(2), {}), "shape"),
        (("fast", {}), "not numeric"),
    ],
)
def test_bad_return_values_are_explained(returned, said):
    feedback = ex.check_momentum_step(lambda w, g, state, **hyper: returned)
    assert feedback.state == "not yet" and said in feedback.message


def test_nan_from_the_learner_does_not_warn():
    def explodes(w, g, state, learning_rate, momentum):
        return w / 0.0 * 0.0, state  # nan, with a numpy warning outside the checker

    assert ex.check_momentum_step(explodes).state == "not yet"


# --------------------------------------------------------------- Adadelta (notebook 06a, 06b)


def adadelta_right(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    dx = -np.sqrt(state["mean_square_delta"] + epsilon) / np.sqrt(e_g2 + epsilon) * g
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * dx**2
    return w + learning_rate * dx, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


def adadelta_with_the_course_optimizer(w, g, state, learning_rate, rho, epsilon):
    """lrcourse.optimizers.Adadelta (Keras's rule): the checker agrees with the package."""
    adadelta = optimizers.Adadelta(learning_rate, rho, epsilon)
    return adadelta.update(w, g, {"t": 0, **state})


def adadelta_as_rmsprop(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(e_g2 + epsilon), {**state, "mean_square_grad": e_g2}


def adadelta_delta_history_first(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    dx = -np.sqrt(state["mean_square_delta"] + epsilon) / np.sqrt(e_g2 + epsilon) * g
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * dx**2
    dx = -np.sqrt(e_dx2 + epsilon) / np.sqrt(e_g2 + epsilon) * g
    return w + learning_rate * dx, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


def adadelta_old_gradient_average(w, g, state, learning_rate, rho, epsilon):
    dx = -np.sqrt(state["mean_square_delta"] + epsilon) * g
    dx = dx / np.sqrt(state["mean_square_grad"] + epsilon)
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * dx**2
    return w + learning_rate * dx, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


def adadelta_eps_outside(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    dx = -(np.sqrt(state["mean_square_delta"]) + epsilon) / (np.sqrt(e_g2) + epsilon) * g
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * dx**2
    return w + learning_rate * dx, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


def adadelta_no_eps_below(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    dx = -np.sqrt(state["mean_square_delta"] + epsilon) / np.sqrt(e_g2) * g
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * dx**2
    return w + learning_rate * dx, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


def adadelta_no_eps_above(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    dx = -np.sqrt(state["mean_square_delta"]) / np.sqrt(e_g2 + epsilon) * g
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * dx**2
    return w + learning_rate * dx, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


def adadelta_paper_without_learning_rate(w, g, state, learning_rate, rho, epsilon):
    return adadelta_right(w, g, state, 1.0, rho, epsilon)


def adadelta_scaled_step_remembered(w, g, state, learning_rate, rho, epsilon):
    e_g2 = rho * state["mean_square_grad"] + (1 - rho) * g**2
    step = -learning_rate * np.sqrt(state["mean_square_delta"] + epsilon) / np.sqrt(e_g2 + epsilon)
    step = step * g
    e_dx2 = rho * state["mean_square_delta"] + (1 - rho) * step**2
    return w + step, {"mean_square_grad": e_g2, "mean_square_delta": e_dx2}


@pytest.mark.parametrize("answer", [adadelta_right, adadelta_with_the_course_optimizer])
def test_adadelta_right_answers_pass(answer):
    feedback = ex.check_adadelta_step(answer)
    assert feedback.correct, feedback


@pytest.mark.parametrize(
    ("answer", "named", "step", "case"),
    [
        (adadelta_as_rmsprop, "RMSprop, not Adadelta", 1, "the paper's settings"),
        (adadelta_delta_history_first, "E[dx^2] updated before", 1, "the paper's settings"),
        (adadelta_old_gradient_average, "E[g^2] updated after", 1, "the paper's settings"),
        (adadelta_eps_outside, "outside the square roots", 1, "the paper's settings"),
        (adadelta_no_eps_below, "missing under the lower square root", 1, "tiny gradients"),
        (adadelta_no_eps_above, "never move", 1, "the paper's settings"),
        (adadelta_paper_without_learning_rate, "learning rate ignored", 1, "learning_rate=0.5"),
        (adadelta_scaled_step_remembered, "inside the history", 2, "learning_rate=0.5"),
    ],
)
def test_adadelta_mistakes_are_named_at_the_right_step(answer, named, step, case):
    feedback = ex.check_adadelta_step(answer)
    assert feedback.state == "not yet"
    assert feedback.message.startswith(f"at step {step} (with {case}")
    assert named in feedback.message.split("this looks like ")[1]


def test_adadelta_mistakes_each_get_their_own_name():
    """No two recognised mistakes may be confused: each answer is named by its own description."""
    answers = [
        adadelta_as_rmsprop,
        adadelta_delta_history_first,
        adadelta_old_gradient_average,
        adadelta_eps_outside,
        adadelta_no_eps_below,
        adadelta_no_eps_above,
        adadelta_paper_without_learning_rate,
        adadelta_scaled_step_remembered,
    ]
    named = [ex.check_adadelta_step(a).message.split("this looks like ")[1] for a in answers]
    assert len(set(named)) == len(answers)


def test_adadelta_placeholders_and_errors():
    def todo(w, g, state, **hyper):
        raise NotImplementedError

    for placeholder in (None, ..., todo):
        assert ex.check_adadelta_step(placeholder).state == "not attempted"

    def wrong_key(w, g, state, learning_rate, rho, epsilon):
        return w - state["accumulator"], state

    message = ex.check_adadelta_step(wrong_key).message
    assert "KeyError" in message and '"mean_square_grad"' in message
    assert '"mean_square_delta"' in message

    def wrong_arguments(w, g, state, lr, rho, eps):
        return w, state

    message = ex.check_adadelta_step(wrong_arguments).message
    assert "learning_rate=..., rho=..., epsilon=..." in message


def test_adadelta_first_step_right_answers_pass():
    exact = 0.001 * np.sqrt(1e-7) * 2 / np.sqrt(0.05 * 4 + 1e-7)
    assert ex.check_adadelta_first_step(exact).correct
    assert ex.check_adadelta_first_step(-exact).correct  # the step itself, downhill
    assert ex.check_adadelta_first_step(0.001 * np.sqrt(1e-7 / 0.05)).correct  # g**2 >> epsilon
    assert not ex.check_adadelta_first_step(2 * exact).correct


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        (np.sqrt(1e-7 / 0.05), "learning rate is missing"),
        (0.001 * np.sqrt(1e-7) * 2 / np.sqrt(0.95 * 4), "swapped"),
        (0.001 * 2 / np.sqrt(0.05 * 4), "RMS[dx] is missing"),
    ],
)
def test_adadelta_first_step_mistakes_are_named(answer, named):
    feedback = ex.check_adadelta_first_step(answer)
    assert feedback.state == "not yet" and named in feedback.message


def test_adadelta_first_step_other_settings_and_placeholders():
    paper = np.sqrt(1e-6) * 0.01 / np.sqrt(0.05 * 1e-4 + 1e-6)  # a tiny gradient shortens it
    assert ex.check_adadelta_first_step(paper, 0.01, 1.0, 0.95, 1e-6).correct
    assert not ex.check_adadelta_first_step(np.sqrt(1e-6 / 0.05), 0.01, 1.0, 0.95, 1e-6).correct
    assert ex.check_adadelta_first_step(...).state == "not attempted"
    assert "number" in ex.check_adadelta_first_step("small").message


# ---------------------------------------------------------------- the package's own rules


@pytest.mark.parametrize(
    ("checker", "rule"),
    [
        (ex.check_momentum_step, optimizers.momentum_step),
        (ex.check_nesterov_step, optimizers.nesterov_step),
        (ex.check_adagrad_step, optimizers.adagrad_step),
        (ex.check_rmsprop_step, optimizers.rmsprop_step),
        (ex.check_adadelta_step, optimizers.adadelta_step),
        (ex.check_adam_step, optimizers.adam_step),
        (ex.check_adam_step, functools.partial(optimizers.adam_step, epsilon_placement="paper")),
    ],
)
def test_the_package_rules_pass_their_checkers(checker, rule):
    feedback = checker(rule)
    assert feedback.correct, feedback


def test_the_rules_of_the_wrong_method_do_not_pass():
    assert not ex.check_momentum_step(optimizers.nesterov_step).correct
    assert not ex.check_adam_step(optimizers.nadam_step).correct
    assert not ex.check_rmsprop_step(optimizers.adadelta_step).correct


def test_adadelta_first_step_is_the_rule_s_first_step():
    w, _ = optimizers.adadelta_step(
        np.zeros(1), np.array([2.0]), {"mean_square_grad": 0, "mean_square_delta": 0}
    )
    assert ex.check_adadelta_first_step(w[0]).correct
    assert ex.check_adadelta_first_step(np.array([w[0]])).correct  # a one-number array


# ---------------------------------------------------------------- nothing makes a checker raise


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class Uncopyable:
    def __deepcopy__(self, memo):
        raise TypeError("cannot copy me")


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.complex_numbers(),
    st.text(max_size=4),
    st.just(...),
    st.just(Uncopyable()),
    st.just(iter([1.0, 2.0, 3.0])),
    hnp.arrays(
        st.sampled_from(["f8", "f4", "i4", "b1", "c16", "U3", "O"]),
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=4),
    ),
    st.lists(st.floats(), max_size=4),
)
STATES = st.one_of(
    ODD_VALUES,
    st.dictionaries(
        st.sampled_from(["velocity", "accumulator", "m", "v", "t", "extra", "mean_square"]),
        ODD_VALUES,
    ),
)
EXCEPTIONS = st.sampled_from(
    [ValueError, KeyError, ZeroDivisionError, Unprintable, RecursionError, MemoryError, SystemExit]
)


@st.composite
def learner_functions(draw):
    """A function a learner might write: right for a while, then anything at all."""
    behaviour = draw(st.sampled_from(["return", "raise", "right then odd", "mutate"]))
    returned = draw(
        st.one_of(
            ODD_VALUES,
            st.tuples(ODD_VALUES, STATES),
            st.tuples(ODD_VALUES),
            st.tuples(ODD_VALUES, STATES, ODD_VALUES),
            st.lists(ODD_VALUES, min_size=2, max_size=2),
        )
    )
    exception = draw(EXCEPTIONS)
    good_steps = draw(st.integers(0, 5))
    calls = []

    def learner(w, g, state, **hyper):
        calls.append(1)
        if behaviour == "raise":
            raise exception("oops")
        if behaviour == "mutate" and isinstance(state, dict):
            state.clear()
            state["extra"] = returned
            return w * 0.5, state
        if behaviour == "right then odd" and len(calls) <= good_steps:
            return w - 0.1 * g, {**state, "extra": 1}
        return returned

    return learner


CHECKERS = [
    ex.check_momentum_step,
    ex.check_nesterov_step,
    ex.check_adagrad_step,
    ex.check_rmsprop_step,
    ex.check_adadelta_step,
    ex.check_adam_step,
]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CHECKERS), learner_functions())
def test_checkers_never_raise_on_what_a_learner_writes(checker, learner):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning may escape
        feedback = checker(learner)
    assert isinstance(feedback, Feedback)
    assert feedback.state in ("not yet", "not attempted") and feedback.message
    str(feedback)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CHECKERS), ODD_VALUES)
def test_checkers_never_raise_on_what_is_not_a_function(checker, answer):
    feedback = checker(answer)
    assert isinstance(feedback, Feedback) and not feedback.correct


@settings(max_examples=120, deadline=None)
@given(ODD_VALUES, st.one_of(ODD_VALUES, st.floats(-5, 5)), st.one_of(ODD_VALUES, st.floats(0, 1)))
def test_adadelta_first_step_never_raises(answer, gradient, rho):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feedback = ex.check_adadelta_first_step(answer)
        assert isinstance(feedback, Feedback)
        feedback = ex.check_adadelta_first_step(answer, gradient=gradient, rho=rho)
    assert isinstance(feedback, Feedback)


def test_a_state_that_is_not_a_dict_is_explained():
    def returns_a_list(w, g, state, learning_rate, momentum):
        return w - learning_rate * g, [0.0]

    feedback = ex.check_momentum_step(returns_a_list)
    assert feedback.state == "not yet" and "dict" in feedback.message


def test_an_unprintable_exception_is_still_reported():
    def raises(w, g, state, learning_rate, momentum):
        raise Unprintable

    feedback = ex.check_momentum_step(raises)
    assert "Unprintable" in feedback.message
