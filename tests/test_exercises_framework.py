"""The feedback framework: three states, one short message, never a traceback."""

import numpy as np
import pytest

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
    checker,
    correct,
    fmt,
    not_attempted,
    wrong,
)


def raises_not_implemented(*args, **kwargs):
    raise NotImplementedError("your code here")


# ---------------------------------------------------------------- Feedback


def test_feedback_states_and_text():
    assert correct("x = 1.").correct and str(correct("x = 1.")) == "✔ Correct: x = 1."
    assert str(correct()) == "✔ Correct."
    fb = wrong("at step 2 expected 3, got 5.")
    assert fb.state == WRONG and not fb.correct
    assert str(fb) == "✘ Not yet: at step 2 expected 3, got 5."
    fb = not_attempted()
    assert fb.state == NOT_ATTEMPTED and not fb.correct
    assert str(fb).startswith("… Not attempted yet: replace the placeholder")
    assert repr(fb) == str(fb)


def test_feedback_html_is_escaped_and_coloured_by_state():
    html = wrong("<b>a</b> & 'b'")._repr_html_()
    assert "<b>a</b>" not in html and "&lt;b&gt;a&lt;/b&gt; &amp;" in html
    colours = {
        state: Feedback(state, "m")._repr_html_() for state in (CORRECT, WRONG, NOT_ATTEMPTED)
    }
    assert len(set(colours.values())) == 3
    assert "#009E73" in colours[CORRECT] and "#D55E00" in colours[WRONG]


def test_fmt_is_short_and_stable():
    assert fmt(1 / 3) == "0.333333"
    assert fmt(np.float32(2.5)) == "2.5"
    assert fmt(np.arange(3.0)) == "[0., 1., 2.]"
    long = fmt(np.arange(100.0))
    assert "..." in long and len(long) < 60 and "\n" not in long
    assert fmt("lr") == "'lr'"


# ---------------------------------------------------------------- check_value


def test_check_value_states():
    assert check_value(0.2, 0.2).correct
    assert check_value(0.2 * (1 + 1e-8), 0.2).correct
    assert check_value([1.0, 2.0], np.array([1.0, 2.0])).correct
    assert check_value(float("nan"), float("nan")).correct
    for placeholder in (..., None):
        assert check_value(placeholder, 1.0).state == NOT_ATTEMPTED
    fb = check_value(0.3, 0.2, name="the rate", hint="Halve it.")
    assert fb.state == WRONG and fb.message.startswith("the rate is 0.3: too high. Halve it.")
    assert "0.2" not in fb.message  # the direction, not the value, on a first try
    fb = check_value([1.0, 2.0], 1.0)
    assert fb.state == WRONG and "shape ()" in fb.message and "(2,)" in fb.message
    fb = check_value("fast", 1.0)
    assert fb.state == WRONG and "should be a number" in fb.message and "'fast'" in fb.message
    assert check_value(1.1, 1.0, rtol=0.2).correct and not check_value(1.1, 1.0).correct


# ---------------------------------------------------------------- check_sequence


def test_check_sequence_names_the_first_wrong_step():
    expected = [1.0, 2.0, 3.0, 4.0]
    assert check_sequence([1, 2, 3, 4], expected).correct
    fb = check_sequence([1.0, 2.0, 5.0, 6.0], expected)
    assert fb.state == WRONG and fb.message.startswith("at step 2 your value 5 is too high.")
    fb = check_sequence([9.0, 2.0, 3.0, 4.0], expected, what="epoch", hint="Start at 1.")
    assert fb.message.startswith("at epoch 0 your value 9 is much too high. Start at 1.")
    fb = check_sequence([9.0, 2.0, 3.0, 4.0], expected, what="epoch", show_answer=True)
    assert fb.message.endswith("The answer: 1 at epoch 0.")
    fb = check_sequence([1.0, 2.0, 3.0, 4.0 + 1e-3], expected)
    assert fb.message.startswith("at step 3 ")


def test_check_sequence_of_points_compares_whole_rows():
    expected = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    got = expected.copy()
    got[1, 1] = 7.0
    got[2, 0] = 7.0
    fb = check_sequence(got, expected)
    assert fb.message.startswith("at step 1 your value [1., 7.] is much too high.")


def test_check_sequence_shapes_and_placeholders():
    assert check_sequence(..., [1.0]).state == NOT_ATTEMPTED
    assert check_sequence(None, [1.0]).state == NOT_ATTEMPTED
    fb = check_sequence([1.0, 2.0], [1.0, 2.0, 3.0])
    assert fb.state == WRONG and fb.message == "expected 3 values, got 2."
    fb = check_sequence([[1.0], [2.0]], [1.0, 2.0])
    assert fb.state == WRONG and "each value should have shape ()" in fb.message
    fb = check_sequence(["a", "b"], [1.0, 2.0])
    assert fb.state == WRONG and "sequence of numbers" in fb.message


# ---------------------------------------------------------------- call_learner


def test_call_learner_returns_the_result_or_feedback_never_raises():
    assert call_learner(lambda a, b=0: a + b, 1, b=2) == (3, None)
    for placeholder in (..., None):
        result, fb = call_learner(placeholder, 1)
        assert result is None and fb.state == NOT_ATTEMPTED
    result, fb = call_learner(raises_not_implemented)
    assert result is None and fb.state == NOT_ATTEMPTED and "NotImplementedError" in fb.message
    result, fb = call_learner(lambda: {}["lr"])
    assert result is None and fb.state == WRONG
    assert fb.message == "your function raised KeyError: 'lr'"
    result, fb = call_learner(42)
    assert fb.state == WRONG and fb.message == "expected a function, got 42."


# ---------------------------------------------------------------- check_choice

OPTIONS = ("lr", "learning_rate", "eta")


def test_check_choice_states():
    fb = check_choice("learning_rate", "learning_rate", OPTIONS, explanation="Keras 3 says so.")
    assert fb.correct and fb.message == "Keras 3 says so."
    fb = check_choice("lr", "learning_rate", OPTIONS, hint="look at Keras 3.")
    assert fb.state == WRONG and fb.message.startswith("'lr' is not it: look at Keras 3. (")
    assert "'learning_rate'" not in fb.message
    shown = check_choice("lr", "learning_rate", OPTIONS, hint="look at Keras 3.", show_answer=True)
    assert shown.message.endswith("The answer: 'learning_rate'.")
    fb = check_choice("alpha", "learning_rate", OPTIONS)
    assert fb.state == WRONG and "not one of the options 'lr', 'learning_rate', 'eta'" in fb.message
    fb = check_choice(..., "learning_rate", OPTIONS)
    assert fb.state == NOT_ATTEMPTED and "'lr', 'learning_rate', 'eta'" in fb.message
    assert check_choice(None, "learning_rate", OPTIONS).state == NOT_ATTEMPTED


@pytest.mark.parametrize("answer", [["lr"], {"lr": 1}, np.array(["lr", "eta"]), np.array([1, 2])])
def test_check_choice_never_raises_on_odd_answers(answer):
    assert check_choice(answer, "lr", OPTIONS).state == WRONG


# ---------------------------------------------------------------- never raise, never hang


def test_feedback_refuses_an_unknown_state_or_a_message_that_is_not_text():
    with pytest.raises(ValueError, match="^state must be one of"):
        Feedback("maybe", "m")
    with pytest.raises(ValueError, match="^message must be a string"):
        Feedback(WRONG, None)
    with pytest.raises(ValueError, match="^message must be a string"):
        wrong(3)


def test_checker_turns_any_slip_into_not_yet_with_the_reason():
    @checker
    def strict(answer, limit=1.0):
        if limit <= 0:
            raise ValueError("limit must be positive, got 0")
        if answer == "boom":
            raise KeyError("boom")
        return correct()

    assert strict.__name__ == "strict" and strict(0.5).correct
    fb = strict(0.5, limit=0)
    assert fb.state == WRONG and fb.message == "limit must be positive, got 0."
    fb = strict("boom")
    assert fb.state == WRONG and fb.message == "this could not be checked (KeyError: 'boom')."
    fb = strict()  # called without the answer
    assert fb.state == WRONG and "answer" in fb.message


def test_strings_and_booleans_are_not_numbers():
    for answer in ("0.2", True, np.bool_(False), [True, False], {"lr": 0.2}, None, ["1", "2"]):
        assert as_numbers(answer) is None  # numpy would turn them into numbers
    assert as_numbers([None, 1.0]) is None  # ... or into nan
    fb = check_value("0.2", 0.2)
    assert fb.state == WRONG and "should be a number" in fb.message
    assert check_value(True, 1.0).state == WRONG
    assert as_numbers(np.array([1 + 2j])) is None  # the imaginary part would be lost
    assert as_numbers(range(10**12)) is None  # refused by its length, not allocated


def test_check_sequence_with_a_single_number_says_so():
    fb = check_sequence(5.0, [1.0, 2.0, 3.0])
    assert fb.state == WRONG and fb.message == "expected 3 values, got a single number."


def test_check_choice_hints_at_a_near_miss():
    fb = check_choice("B ", "b", ("a", "b", "c"))
    assert fb.state == WRONG and "Did you mean 'b'?" in fb.message
    fb = check_choice("'c'", "b", ("a", "b", "c"))
    assert "Did you mean 'c'?" in fb.message
    fb = check_choice(1, "b", ("a", "b", "c"))
    assert fb.state == WRONG and "Did you mean" not in fb.message


def test_call_learner_reports_exit_recursion_and_broken_exceptions():
    def recurse():
        return recurse()

    def exits():
        raise SystemExit(3)

    class Broken(Exception):
        def __str__(self):
            raise RuntimeError("no str")

    def broken():
        raise Broken

    _, fb = call_learner(recurse)
    assert fb.state == WRONG and "RecursionError" in fb.message
    _, fb = call_learner(exits)
    assert fb.message == "your function raised SystemExit: 3"
    _, fb = call_learner(broken)
    assert fb.message == "your function raised Broken"
    _, fb = call_learner(lambda: (_ for _ in ()).throw(ValueError("x" * 500)))
    assert len(fb.message) < 260 and fb.message.endswith("...")


class NoRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


def test_messages_stay_short_and_never_raise():
    assert brief(NoRepr()) == "<a NoRepr>"
    assert fmt(NoRepr()) == "<a NoRepr>"
    assert len(brief(list(range(1000)))) == 80
    assert fmt(range(10**12)) == "range(0, 1000000000000)"
    fb = check_value(list(range(2000)), 1.0)
    assert fb.state == WRONG and len(fb.message) < 200


# ---------------------------------------------------------------- the answer after tries


def test_the_expected_value_appears_after_three_wrong_tries_only():
    from lrcourse.exercises import TRIES_BEFORE_ANSWER

    assert TRIES_BEFORE_ANSWER == 3
    messages = [check_value(0.5, 0.125, name="the rate").message for _ in range(4)]
    assert all("0.125" not in m for m in messages[:2])
    assert "after 2 more tries" in messages[0] and "after 1 more try" in messages[1]
    assert messages[2].endswith("The answer: 0.125.") and messages[3].endswith("0.125.")


def test_show_answer_reveals_at_once_and_tries_count_per_question():
    assert check_value(0.5, 0.125, show_answer=True).message.endswith("The answer: 0.125.")
    assert check_value(..., 0.125, show_answer=True).message.endswith("The answer: 0.125.")
    check_value(0.5, 0.125)
    check_value(0.5, 0.125)
    other = check_value(0.5, 0.375)  # another question: its own count
    assert "0.375" not in other.message
    assert check_value(0.125, 0.125).message == "your answer = 0.125."  # right: no suffix


def test_a_checker_calling_another_counts_one_try():
    from lrcourse.exercises.landscape import check_best_lr

    first = check_best_lr(0.5).message
    second = check_best_lr(0.5).message
    assert "after 2 more tries" in first and "after 1 more try" in second
    assert check_best_lr(0.5).message.endswith("The answer: 0.181818.")


def test_direction_words():
    from lrcourse.exercises import _way

    assert _way(1.05, 1.0) == "slightly too high" and _way(0.95, 1.0) == "slightly too low"
    assert _way(1.5, 1.0) == "too high" and _way(3.0, 1.0) == "much too high"
    assert _way(-1.0, 1.0) == "much too low" and _way(float("nan"), 1.0) == "not a number"
