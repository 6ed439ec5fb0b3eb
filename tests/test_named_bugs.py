"""Every named-bug message that states an effect is checked against that effect: the mistake,
run, does what its message says it does."""

import numpy as np
import pytest

from lrcourse import schedules as sch
from lrcourse.exercises import optimizers as ex
from lrcourse.optimizers import adadelta_step, adam_step

ADAM = {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}


def message_of(exercise, bug):
    return next(text for text, fn in exercise.bugs.items() if fn is bug)


def step_lengths(step, steps, g=1.0, **hyper):
    """The length of each of the first ``steps`` steps for a steady gradient ``g``."""
    w, state, lengths = np.zeros(1), {"m": 0.0, "v": 0.0, "t": 0}, []
    for _ in range(steps):
        new, state = step(w, np.array([g]), state, **hyper)
        lengths.append(float(abs(new - w)[0]))
        w = new
    return np.array(lengths)


def test_adam_without_bias_correction_takes_the_longer_steps_its_message_names():
    text = message_of(ex._ADAM, ex._adam_uncorrected)
    assert "too long" in text and "3.2 times at step 1" in text and "6.6 times at step 12" in text
    ratio = step_lengths(ex._adam_uncorrected, 12, **ADAM) / step_lengths(adam_step, 12, **ADAM)
    assert round(ratio[0], 1) == 3.2 and round(ratio[11], 1) == 6.6
    assert np.all(ratio > 1)


def test_adam_with_t_stuck_uses_the_correction_of_step_1_every_step():
    assert "correction of step 1" in message_of(ex._ADAM, ex._adam_t_stuck)
    stuck = step_lengths(ex._adam_t_stuck, 5, **ADAM)
    m = v = 0.0
    for k in range(5):  # the moments of a steady gradient 1, corrected as at t = 1
        m, v = 0.9 * m + 0.1, 0.999 * v + 0.001
        assert stuck[k] == pytest.approx(0.1 * (m / 0.1) / (np.sqrt(v / 0.001) + 1e-7))


def test_adam_with_t_used_before_the_increment_divides_by_zero():
    assert "divides by zero" in message_of(ex._ADAM, ex._adam_t_zero)
    with np.errstate(all="ignore"):
        w, _ = ex._adam_t_zero(np.zeros(1), np.ones(1), {"m": 0.0, "v": 0.0, "t": 0}, **ADAM)
    assert not np.all(np.isfinite(w))


RHO = {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-7}
EMPTY = {"mean_square_grad": 0.0, "mean_square_delta": 0.0}


def test_adadelta_without_epsilon_below_makes_huge_steps_on_tiny_gradients():
    text = message_of(ex._ADADELTA, ex._adadelta_eps_top_only)
    assert "tiny gradients make huge steps" in text
    g = np.array([1e-6])
    bug, _ = ex._adadelta_eps_top_only(np.zeros(1), g, dict(EMPTY), **RHO)
    right, _ = adadelta_step(np.zeros(1), g, dict(EMPTY), **RHO)
    assert abs(bug[0]) > 100 * abs(right[0])


def test_adadelta_without_epsilon_above_never_moves():
    assert "never move" in message_of(ex._ADADELTA, ex._adadelta_eps_bottom_only)
    w, state = np.ones(1), dict(EMPTY)
    for _ in range(20):
        w, state = ex._adadelta_eps_bottom_only(w, np.ones(1), state, **RHO)
    assert w[0] == 1.0


EPOCHS = np.arange(40)


def first_drop(values):
    return int(np.argmax(np.asarray(values) < values[0]))


def test_step_decay_bugs_drop_when_their_messages_say():
    right = sch.step_decay(0.1, 0.5, 10)
    assert first_drop(right(EPOCHS)) == 10
    assert first_drop(right(EPOCHS + 1)) == 9  # "drops one epoch early"
    assert first_drop(right(np.maximum(EPOCHS - 1, 0))) == 11  # "one epoch late"


def test_cyclical_bugs_have_the_cycle_lengths_their_messages_say():
    right = sch.Cyclical(0.01, 0.1, step_size=10)
    short = sch.Cyclical(0.01, 0.1, step_size=5)  # the "twice too short" mistake
    steps = np.arange(41)
    assert int(np.argmax(right(steps))) == 10 and int(np.argmax(short(steps))) == 5
