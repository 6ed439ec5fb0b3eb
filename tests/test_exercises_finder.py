"""The range-test exercise checkers: right answers, each recognised slip, placeholders, odd answers
and bad settings."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse.exercises import finder as ex
from lrcourse.exercises import reset_tries
from lrcourse.finder import RangeTest, range_test


@pytest.fixture(autouse=True)
def fresh_tries():
    reset_tries()


def ramp(min_rate, max_rate, steps):
    return [min_rate * (max_rate / min_rate) ** (k / (steps - 1)) for k in range(steps)]


def smooth(losses, beta, *, correct=True, first=1):
    average, out = 0.0, []
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (k + first)) if correct else average)
    return out


@given(st.floats(1e-8, 1e-2), st.floats(10.0, 1e6), st.integers(10, 300))
@settings(max_examples=50, deadline=None)
def test_a_right_ramp_is_correct_for_any_settings(low, ratio, steps):
    assert ex.check_exponential_rates(ramp, low, low * ratio, steps).correct


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda a, b, n: list(np.linspace(a, b, n)), "equal amounts"),
        (lambda a, b, n: [a * (b / a) ** (k / n) for k in range(n)], "falls short of max_rate"),
        (lambda a, b, n: [a * (b / a) ** ((k + 1) / n) for k in range(n)], "step 0 should use"),
        (lambda a, b, n: ramp(a, b, n)[:-1], "expected 50 values, got 49"),
        (lambda a, b, n: "rates", "expected a list"),
        (lambda a, b, n: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_each_slip_in_the_ramp_is_named(answer, says):
    feedback = ex.check_exponential_rates(answer)
    assert feedback.state == "not yet" and says in str(feedback)


def test_the_ramp_placeholders_are_not_attempted():
    assert ex.check_exponential_rates(...).state == "not attempted"

    def todo(a, b, n):
        raise NotImplementedError

    assert ex.check_exponential_rates(todo).state == "not attempted"


def test_the_ramp_checker_refuses_bad_settings_by_name():
    with pytest.raises(ValueError, match="min_rate"):
        ex.check_exponential_rates(ramp, min_rate=1.0, max_rate=0.1)
    with pytest.raises(ValueError, match="steps"):
        ex.check_exponential_rates(ramp, steps=3)


@given(st.floats(0.0, 0.99))
@settings(max_examples=50, deadline=None)
def test_a_right_average_is_correct_for_any_beta(beta):
    assert ex.check_debiased_average(smooth, beta=beta).correct


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda losses, beta: smooth(losses, beta, correct=False), "starts too small"),
        (lambda losses, beta: smooth(losses, beta, first=0), "not by 1 - beta**0"),
        (lambda losses, beta: list(losses), "at step 1"),
        (lambda losses, beta: None, "expected a list"),
    ],
)
def test_each_slip_in_the_average_is_named(answer, says):
    feedback = ex.check_debiased_average(answer)
    assert feedback.state == "not yet" and says in str(feedback)


def test_a_division_by_zero_at_the_first_step_is_named_in_python_or_numpy():
    def python_floats(losses, beta):
        return smooth([float(x) for x in losses], beta, first=0)

    for answer in (python_floats, lambda losses, beta: smooth(losses, beta, first=0)):
        feedback = ex.check_debiased_average(answer)
        assert feedback.state == "not yet" and "not by 1 - beta**0" in str(feedback)


def test_swapped_weights_are_named():
    def swapped(losses, beta):
        average, out = 0.0, []
        for k, loss in enumerate(losses):
            average = (1 - beta) * average + beta * loss
            out.append(average / (1 - (1 - beta) ** (k + 1)))
        return out

    feedback = ex.check_debiased_average(swapped)
    assert feedback.state == "not yet" and "weight beta" in str(feedback)


def test_the_average_checker_does_not_let_the_learner_change_its_losses():
    def spoil(losses, beta):
        result = smooth(losses, beta)
        losses[:] = 0
        return result

    losses = np.linspace(2, 1, 20)
    assert ex.check_debiased_average(spoil, losses=losses).correct
    assert losses[0] == 2


def test_the_average_checker_refuses_bad_settings_by_name():
    with pytest.raises(ValueError, match="beta"):
        ex.check_debiased_average(smooth, beta=1.0)
    with pytest.raises(ValueError, match="losses"):
        ex.check_debiased_average(smooth, losses=[1.0])


class Valley:
    """A deterministic trainer whose loss is a valley in log(rate)."""

    def save(self):
        return None

    def step(self, rate):
        return 1.0 + (math.log10(rate) + 2) ** 2 / 10 + (50.0 if rate > 1 else 0.0)

    def restore(self, saved):
        pass


@pytest.fixture(scope="module")
def test():
    return range_test(Valley(), min_rate=1e-5, max_rate=100.0, steps=200)


def test_a_rate_read_within_the_factor_is_correct_and_outside_it_is_not(test):
    want = test.suggest("steepest")
    for ratio in (0.51, 1.0, 1.99):
        assert ex.check_rate_read(want * ratio, test).correct
    for ratio, word in ((2.1, "too high"), (0.3, "too low"), (100, "much too high")):
        feedback = ex.check_rate_read(want * ratio, test)
        assert feedback.state == "not yet" and word in str(feedback)
        assert f"{want:.3g}" not in str(feedback).split("Look")[0].replace(
            f"{want * ratio:.3g}", ""
        )


@pytest.mark.parametrize("answer", ["0.01", -0.01, 0.0, math.nan, [0.01, 0.02], True])
def test_a_rate_that_is_not_one_positive_number_is_not_yet(test, answer):
    assert ex.check_rate_read(answer, test).state == "not yet"


def test_the_rate_checker_shows_the_answer_on_request_and_refuses_bad_settings(test):
    feedback = ex.check_rate_read(..., test, show_answer=True)
    assert feedback.state == "not attempted" and f"{test.suggest('steepest'):.3g}" in str(feedback)
    with pytest.raises(ValueError, match="test"):
        ex.check_rate_read(0.01, {"rates": [1.0]})
    with pytest.raises(ValueError, match="factor"):
        ex.check_rate_read(0.01, test, factor=1.0)
    with pytest.raises(ValueError, match="rule"):
        ex.check_rate_read(0.01, test, rule="lowest")
    assert isinstance(test, RangeTest)
