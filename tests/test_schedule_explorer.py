"""noisy_descent and ScheduleExplorer: the schedule slider pattern of Part III."""

import numpy as np
import pytest

from lrcourse import landscapes, schedules
from lrcourse.descent import noisy_descent
from lrcourse.ui.widgets import ScheduleExplorer, log_slider, slider


def test_noisy_descent_without_noise_is_plain_gradient_descent():
    bowl = landscapes.bowl(condition_number=4.0)
    rates = np.full(30, 0.1)
    losses, blew_up = noisy_descent(bowl, [2.0, 1.0], rates, noise=0.0, runs=3)
    x = np.array([2.0, 1.0])
    expected = [bowl(x)]
    for lr in rates:
        x = x - lr * bowl.grad(x)
        expected.append(bowl(x))
    assert blew_up is None
    np.testing.assert_allclose(losses, expected, rtol=1e-12)


def test_noisy_descent_decaying_rate_beats_constant_rate_under_noise():
    bowl = landscapes.bowl(condition_number=10.0)
    steps = 400
    constant, _ = noisy_descent(bowl, [2.5, 1.5], np.full(steps, 0.1), noise=2.0, runs=32)
    decayed, _ = noisy_descent(bowl, [2.5, 1.5], 0.1 * 0.99 ** np.arange(steps), noise=2.0, runs=32)
    # A constant rate leaves a noise floor proportional to the rate; decay shrinks it.
    assert decayed[-50:].mean() < 0.5 * constant[-50:].mean()


def test_noisy_descent_reports_the_step_where_it_blew_up():
    bowl = landscapes.bowl(condition_number=10.0)
    rates = np.r_[np.full(5, 0.05), np.full(500, 0.5)]  # 0.5 > 2 / lambda_max = 0.2
    losses, blew_up = noisy_descent(bowl, [2.5, 1.5], rates, noise=0.0, runs=2)
    assert blew_up is not None and blew_up > 5
    assert np.all(np.isfinite(losses[:blew_up]))
    assert np.all(np.isinf(losses[blew_up:]))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"learning_rates": [[0.1]]}, "learning_rates"),
        ({"learning_rates": [-0.1]}, "learning_rates"),
        ({"noise": -1.0}, "noise"),
        ({"runs": 0}, "runs"),
        ({"x0": [9.0, 0.0]}, "x0"),
    ],
)
def test_noisy_descent_rejects_bad_input(kwargs, name):
    args = {"landscape": landscapes.bowl(), "x0": [1.0, 1.0], "learning_rates": [0.1]} | kwargs
    with pytest.raises(ValueError, match=name):
        noisy_descent(**args)


def make_explorer():
    return ScheduleExplorer(
        lambda initial_learning_rate, decay_rate: schedules.ExponentialDecay(
            initial_learning_rate, 100, decay_rate
        ),
        {
            "initial_learning_rate": log_slider("initial lr", 0.05, 1e-3, 0.3),
            "decay_rate": slider("decay rate", 0.5, 0.05, 1.0),
        },
        steps=300,
    )


def test_schedule_explorer_draws_the_schedule_it_is_given():
    explorer = make_explorer()
    explorer.update(initial_learning_rate=0.1, decay_rate=0.5)
    steps, rates = explorer.lr_line.get_data()
    np.testing.assert_allclose(rates, 0.1 * 0.5 ** (np.asarray(steps) / 100), rtol=1e-12)


def test_schedule_explorer_updates_loss_curve_status_and_picture():
    explorer = make_explorer()
    first_status = explorer.update(initial_learning_rate=0.1, decay_rate=0.3)
    first_loss, first_png = np.array(explorer.loss_line.get_data()[1]), explorer.png
    second_status = explorer.update(decay_rate=1.0)  # no decay: the constant 0.1
    assert second_status != first_status
    assert not np.allclose(first_loss, explorer.loss_line.get_data()[1])
    assert explorer.png != first_png
    assert "with the schedule" in second_status


def test_schedule_explorer_reports_divergence():
    explorer = make_explorer()
    status = explorer.update(initial_learning_rate=0.3, decay_rate=1.0)
    assert status.startswith("Diverged at step")


def test_schedule_explorer_slider_drag_triggers_the_same_redraw():
    explorer = make_explorer()
    explorer.update(initial_learning_rate=0.1, decay_rate=0.5)
    before = explorer.status
    explorer.controls["decay_rate"].value = 0.9  # what the browser does
    assert explorer.status != before
    assert explorer.lr_line.get_data()[1][-1] == pytest.approx(0.1 * 0.9 ** (299 / 100))


def test_the_default_baseline_is_the_best_constant_of_a_fine_five_seed_sweep():
    from lrcourse.descent import noisy_descent
    from lrcourse.evidence import best_constant
    from lrcourse.landscapes import bowl
    from lrcourse.ui.widgets import TOY_BEST_CONSTANT, ScheduleExplorer

    explorer = ScheduleExplorer(
        lambda rate: schedules.Constant(rate), {"rate": slider("r", 0.01, 0.001, 0.1, 0.001)}
    )
    assert explorer.baseline_loss is not None
    grid = TOY_BEST_CONSTANT * 1.5 ** np.arange(-3, 4)

    def final(rate, seed):
        losses, _ = noisy_descent(bowl(10.0), [2.5, 1.5], np.full(400, rate), noise=2.0, seed=seed)
        return losses[-40:].mean()

    scores = {float(rate): [final(rate, seed) for seed in range(5)] for rate in grid}
    assert best_constant(scores) == pytest.approx(TOY_BEST_CONSTANT)
