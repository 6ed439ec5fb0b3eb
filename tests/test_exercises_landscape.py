"""Part I checkers: right answers pass, placeholders are "not attempted", mistakes are named."""

import math

import numpy as np
import pytest

from lrcourse.exercises import CORRECT, NOT_ATTEMPTED, WRONG, reset_tries
from lrcourse.exercises import landscape as check


def raises_not_implemented(*args):
    raise NotImplementedError


def raises_zero_division(*args):
    return 1 / 0


PLACEHOLDERS = [..., None, raises_not_implemented]


def assert_state(feedback, state, *words):
    assert feedback.state == state, str(feedback)
    for word in words:
        assert word in feedback.message, (word, str(feedback))


# ---------------------------------------------------------------- check_gd_step


def test_gd_step_right_answer():
    fb = check.check_gd_step(lambda x, g, lr: x - lr * g)
    assert_state(fb, CORRECT)
    assert fb.correct


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_gd_step_placeholders_are_not_attempted(placeholder):
    assert_state(check.check_gd_step(placeholder), NOT_ATTEMPTED)


@pytest.mark.parametrize(
    ("gd_step", "words"),
    [
        (lambda x, g, lr: x + lr * g, ["uphill", "step 0"]),
        (lambda x, g, lr: x - g, ["learning rate is missing"]),
        (lambda x, g, lr: -lr * g, ["the step itself"]),
        (lambda x, g, lr: x - 2 * lr * g, ["step 0", "gave 0.8", "too low"]),
    ],
    ids=["uphill", "no-learning-rate", "step-only", "other"],
)
def test_gd_step_mistakes_are_named(gd_step, words):
    assert_state(check.check_gd_step(gd_step), WRONG, *words)


def test_gd_step_right_in_1d_wrong_in_2d_says_so():
    def scalar_only(x, g, lr):  # mixes the coordinates up
        return x - lr * np.mean(g)

    assert_state(check.check_gd_step(scalar_only), WRONG, "2-D point", "array arithmetic")


def test_gd_step_wrong_only_at_a_later_step_names_that_step():
    calls = []

    def forgets_after_two(x, g, lr):
        calls.append(x)
        return x - lr * g if len(calls) <= 2 else x

    assert_state(check.check_gd_step(forgets_after_two), WRONG, "at step 2")


def test_gd_step_other_exception_is_not_yet_and_named():
    assert_state(check.check_gd_step(raises_zero_division), WRONG, "ZeroDivisionError")
    assert_state(check.check_gd_step(lambda x, g, lr: "x"), WRONG)


def test_gd_step_does_not_let_the_learner_modify_the_checker_arrays():
    def in_place(x, g, lr):
        x -= lr * g
        return x

    assert_state(check.check_gd_step(in_place), CORRECT)


# ---------------------------------------------------------------- stability bound and best rate


@pytest.mark.parametrize("eigenvalues", [(1.0, 10.0), (2, 50), (0.5, 3.0)])
def test_largest_stable_lr(eigenvalues):
    lo, hi = min(eigenvalues), max(eigenvalues)
    assert_state(check.check_largest_stable_lr(2 / hi, eigenvalues), CORRECT)
    assert_state(check.check_largest_stable_lr(2 / hi * (1 + 5e-4), eigenvalues), CORRECT)
    assert_state(check.check_largest_stable_lr(2 / lo, eigenvalues), WRONG, "lambda_min")
    assert_state(check.check_largest_stable_lr(1 / hi, eigenvalues), WRONG, "(1 - lr * lambda)")
    assert_state(check.check_largest_stable_lr(2 / hi * 1.01, eigenvalues), WRONG)


@pytest.mark.parametrize("placeholder", [..., None])
def test_largest_stable_lr_placeholders(placeholder):
    assert_state(check.check_largest_stable_lr(placeholder, (2, 50)), NOT_ATTEMPTED)
    assert_state(check.check_best_lr(placeholder, (2, 50)), NOT_ATTEMPTED)


@pytest.mark.parametrize("answer", ["abc", [0.04, 0.1], np.array([0.04, 0.1]), {"lr": 0.04}])
def test_largest_stable_lr_never_raises_on_odd_answers(answer):
    fb = check.check_largest_stable_lr(answer, (2, 50))
    assert fb.state == WRONG


@pytest.mark.parametrize("eigenvalues", [(1.0, 10.0), (2, 50)])
def test_best_lr(eigenvalues):
    lo, hi = min(eigenvalues), max(eigenvalues)
    best = 2 / (lo + hi)
    assert_state(check.check_best_lr(best, eigenvalues), CORRECT)
    # the best rate balances the slowest and the fastest direction
    assert abs(1 - best * lo) == pytest.approx(abs(1 - best * hi))
    assert_state(check.check_best_lr(2 / hi, eigenvalues), WRONG, "Balance")
    assert_state(check.check_best_lr(1 / hi, eigenvalues), WRONG)


# ---------------------------------------------------------------- classify


def by_eigenvalues(hessian):
    eig = np.linalg.eigvalsh(hessian)
    if np.all(eig > 0):
        return "minimum"
    if np.all(eig < 0):
        return "maximum"
    return "saddle"


def by_diagonal(hessian):
    d = np.diag(hessian)
    if np.all(d > 0):
        return "minimum"
    if np.all(d < 0):
        return "maximum"
    return "saddle"


def test_classify_right_answer():
    assert_state(check.check_classify(by_eigenvalues), CORRECT, str(len(check.HESSIANS)))


def test_the_checker_hessians_are_labelled_by_their_eigenvalues():
    for hessian, label in check.HESSIANS:
        assert np.allclose(hessian, hessian.T)
        assert by_eigenvalues(hessian) == label


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_classify_placeholders(placeholder):
    assert_state(check.check_classify(placeholder), NOT_ATTEMPTED)


def test_classify_by_the_diagonal_is_caught_with_a_hint():
    assert_state(check.check_classify(by_diagonal), WRONG, "'minimum'", "diagonal", "eigenvalues")
    shown = check.check_classify(by_diagonal, show_answer=True)
    assert shown.message.endswith("The answer: 'saddle'.")


def test_classify_other_mistakes():
    swapped = {"minimum": "maximum", "maximum": "minimum", "saddle": "saddle"}
    assert_state(
        check.check_classify(lambda h: swapped[by_eigenvalues(h)]),
        WRONG,
        "said 'maximum'",
    )
    assert_state(check.check_classify(lambda h: "Minimum"), WRONG, "'Minimum'")
    assert_state(check.check_classify(raises_zero_division), WRONG, "ZeroDivisionError")
    # right on the first (positive definite) Hessian, then Cholesky fails on the second
    assert_state(
        check.check_classify(lambda h: (np.linalg.cholesky(h), "minimum")[1]), WRONG, "LinAlgError"
    )


# ---------------------------------------------------------------- saddle escape


@pytest.mark.parametrize(("offset", "lr"), [(1e-6, 0.1), (1e-3, 0.25), (0.3, 0.05)])
def test_saddle_escape_steps_matches_the_logarithm(offset, lr):
    # smallest n with offset * (1 + 2 lr)^n > 1
    expected = math.floor(math.log(1 / offset) / math.log(1 + 2 * lr)) + 1
    assert check.saddle_escape_steps(offset, lr) == expected
    assert offset * (1 + 2 * lr) ** expected > 1 >= offset * (1 + 2 * lr) ** (expected - 1)


def test_escape_steps_checker():
    want = math.floor(math.log(1e6) / math.log(1.2)) + 1
    for answer in (want, want - 1, want + 1, float(want), np.int64(want)):
        assert_state(check.check_escape_steps(answer, 1e-6, 0.1), CORRECT, str(want))
    for answer in (want - 2, want + 2, 10 * want, -want, float("nan")):
        reset_tries()  # each answer as a first try
        first = check.check_escape_steps(answer, 1e-6, 0.1)
        assert first.state == WRONG and str(want) not in first.message.replace(str(answer), "")
        shown = check.check_escape_steps(answer, 1e-6, 0.1, show_answer=True)
        assert_state(shown, WRONG, str(want))
    assert "too low" in check.check_escape_steps(want - 2, 1e-6, 0.1).message
    for placeholder in (..., None):
        assert_state(check.check_escape_steps(placeholder), NOT_ATTEMPTED)
    for odd in ("many", [76, 77]):
        assert_state(check.check_escape_steps(odd), WRONG, "expected a number")


# ---------------------------------------------------------------- never raise, never hang


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"offset": 0.0}, "offset"),
        ({"offset": float("nan")}, "offset"),
        ({"offset": "small"}, "offset"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": 1e-300}, "learning_rate"),  # 1 + 2 lr == 1: y would never grow
        ({"learning_rate": 1e-9}, "learning_rate"),  # would take billions of steps
        ({"radius": 0.0}, "radius"),
        ({"radius": float("inf")}, "radius"),
    ],
)
def test_escape_steps_refuses_settings_that_never_escape_or_take_forever(kwargs, argument):
    args = {"offset": 1e-6, "learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=f"^{argument} must"):
        check.saddle_escape_steps(**args)
    fb = check.check_escape_steps(76, **args)  # the checker answers instead of raising
    assert_state(fb, WRONG, argument)


def test_escape_steps_from_either_side_and_from_outside():
    assert check.saddle_escape_steps(-1e-6, 0.1) == check.saddle_escape_steps(1e-6, 0.1)
    assert check.saddle_escape_steps(2.0, 0.1) == 0  # already outside the radius
    distance = math.log(1e300) - math.log(1e-300)  # no overflow on the way, though 1e600 would
    assert (
        check.saddle_escape_steps(1e-300, 0.1, radius=1e300)
        == math.floor(distance / math.log(1.2)) + 1
    )
    assert check.saddle_escape_steps(1e-6, 1e300) == 1  # one enormous step


def test_escape_steps_answers_must_be_one_number():
    for odd in ("76", True, [76], {"steps": 76}, 10**400, float("inf"), 1 + 2j):
        fb = check.check_escape_steps(odd)
        assert fb.state == WRONG, (odd, str(fb))


def test_classify_says_when_only_the_spelling_is_off():
    fb = check.check_classify(lambda h: by_eigenvalues(h).capitalize())
    assert_state(fb, WRONG, "'Minimum'", "lower case")
    fb = check.check_classify(lambda h: by_eigenvalues(h) + " ")
    assert_state(fb, WRONG, "lower case")


@pytest.mark.parametrize(
    "result",
    [np.array(["minimum"]), np.array([1.0, 2.0]), 1, None, ["minimum"], {"kind": "minimum"}],
)
def test_classify_never_raises_on_odd_results(result):
    assert_state(check.check_classify(lambda h: result), WRONG, "one of 'minimum'")


@pytest.mark.parametrize(
    "result",
    [
        lambda x, g, lr: [x - lr * g, 0.0],  # one number too many
        lambda x, g, lr: np.full((2, 2), x - lr * g),  # the right values, broadcast
        lambda x, g, lr: str(x - lr * g),
        lambda x, g, lr: None,
        lambda x, g, lr: range(10**12),
    ],
)
def test_gd_step_needs_the_right_number_of_numbers(result):
    assert_state(check.check_gd_step(result), WRONG, "step 0")


@pytest.mark.parametrize("eigenvalues", [(0.0, 10.0), (-1.0, 2.0), (), "1, 10", [[1.0, 10.0]]])
def test_stability_checkers_answer_bad_eigenvalues_with_the_reason(eigenvalues):
    for check_lr in (check.check_largest_stable_lr, check.check_best_lr):
        assert_state(check_lr(0.2, eigenvalues), WRONG, "eigenvalues")
