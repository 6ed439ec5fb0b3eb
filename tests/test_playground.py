"""The schedule playground (softmax regression in NumPy) and the ReduceLROnPlateau explorer."""

import math

import numpy as np
import pytest

from lrcourse import data
from lrcourse.softmax import DigitsTask, designed_schedule, loss_and_gradient
from lrcourse.ui.playground import PlateauExplorer, PlaygroundExplorer


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def task(digits):
    return DigitsTask(digits, steps=120, batch_size=64, eval_every=10, seed=0)


@pytest.fixture(scope="module")
def playground(task):
    return PlaygroundExplorer(task, baseline=1.0)


def line_data(line):
    x, y = line.get_data()
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


# ---------------------------------------------------------------- the model


def tiny_case(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, 3))
    y = np.array([0, 3, 1, 3, 2])
    params = rng.standard_normal((4, 4))  # 3 weights rows + 1 bias row, 4 classes
    return params, x, y


def test_loss_is_the_mean_cross_entropy_of_the_softmax():
    params, x, y = tiny_case()
    logits = x @ params[:3] + params[3]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # small logits: no shift
    expected = -np.mean(np.log(probs[np.arange(5), y]))
    loss, _ = loss_and_gradient(params, x, y)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_gradient_matches_central_finite_differences():
    params, x, y = tiny_case(1)
    _, grad = loss_and_gradient(params, x, y)
    h = 1e-6
    numeric = np.zeros_like(params)
    for index in np.ndindex(params.shape):
        step = np.zeros_like(params)
        step[index] = h
        up, _ = loss_and_gradient(params + step, x, y)
        down, _ = loss_and_gradient(params - step, x, y)
        numeric[index] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(grad).max() > 1e-2  # a real gradient, not zeros matching zeros


def test_huge_logits_do_not_overflow():
    params, x, y = tiny_case(2)
    loss, grad = loss_and_gradient(params * 1e6, x, y)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


# ---------------------------------------------------------------- training


def test_training_really_learns(task):
    run = task.train(np.full(task.steps, 1.0))
    # zero weights predict 1/10 for every class: the loss starts at ln(10) exactly
    assert run.val_losses[0] == pytest.approx(math.log(10), rel=1e-12)
    assert run.val_losses[-1] < 0.4 * run.val_losses[0]
    assert run.val_accuracy > 0.85  # chance is 0.10
    assert not run.diverged
    assert run.steps[0] == 0 and run.steps[-1] == task.steps
    np.testing.assert_array_equal(np.diff(run.steps), 10)


def test_update_k_uses_learning_rate_k(task):
    # rates that stop at step 60: the run must freeze at its step-60 state
    rates = np.full(task.steps, 0.8)
    stopped = rates.copy()
    stopped[60:] = 0.0
    full, frozen = task.train(rates), task.train(stopped)
    at_60 = list(full.steps).index(60)
    np.testing.assert_array_equal(frozen.val_losses[: at_60 + 1], full.val_losses[: at_60 + 1])
    np.testing.assert_array_equal(frozen.val_losses[at_60:], full.val_losses[at_60])
    zero = task.train(np.zeros(task.steps))
    np.testing.assert_allclose(zero.val_losses, math.log(10), rtol=1e-12)


def test_each_epoch_visits_distinct_samples_in_a_new_order(digits):
    task = DigitsTask(digits, steps=50, batch_size=64, seed=3)
    per_epoch = len(digits.x_train) // 64
    first, second = task.x_batches[:per_epoch], task.x_batches[per_epoch : 2 * per_epoch]
    rows = first.reshape(-1, first.shape[-1])
    assert len(np.unique(rows, axis=0)) >= 0.95 * len(rows)  # digits has a few duplicate images
    assert not np.array_equal(first[0], second[0])
    again = DigitsTask(digits, steps=50, batch_size=64, seed=3)
    np.testing.assert_array_equal(again.x_batches, task.x_batches)


def test_far_too_large_rates_are_reported_not_warned(task):
    run = task.train(np.full(task.steps, 1e6))  # the gradient is bounded: the loss stays finite
    assert not run.diverged and run.final_loss > run.val_losses[0]
    assert "higher than at the start" in run.message
    run = task.train(np.full(task.steps, 1e308))  # the weights overflow
    assert run.diverged and run.diverged_at == 10  # found at the first scoring after step 0
    assert run.message.startswith("diverged by step 10")
    assert not task.train(np.full(task.steps, 1.0)).message.endswith("too large)")


# ---------------------------------------------------------------- the designed schedule


def test_warmup_then_cosine_reaches_the_peak_and_the_end_value():
    s = designed_schedule(20, 2.0, "cosine", 100, end_fraction=0.01)
    assert s(0) == 0.0
    assert s(10) == pytest.approx(1.0)  # halfway up a straight line
    assert s(20) == pytest.approx(2.0)
    assert s(70) == pytest.approx(2.0 * (0.01 + 0.99 * 0.5))  # cosine halfway: the midpoint
    assert s(120) == pytest.approx(0.02)
    assert s(500) == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("decay", "halfway"),
    [("linear", (1.0 + 0.01) / 2), ("exponential", math.sqrt(0.01)), ("none", 1.0)],
)
def test_decay_shapes(decay, halfway):
    s = designed_schedule(0, 1.0, decay, 100, end_fraction=0.01)
    assert s(0) == pytest.approx(1.0)
    assert s(50) == pytest.approx(halfway)
    end = 1.0 if decay == "none" else 0.01
    assert s(100) == pytest.approx(end)
    assert s(300) == pytest.approx(end)  # flat after the decay, exponential included


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"warmup_steps": -1}, "warmup_steps"),
        ({"peak_learning_rate": 0.0}, "peak_learning_rate"),
        ({"decay": "square"}, "decay"),
        ({"decay_steps": 0}, "decay_steps"),
        ({"end_fraction": 0.0}, "end_fraction"),
        ({"end_fraction": 1.5}, "end_fraction"),
    ],
)
def test_designed_schedule_rejects_bad_input(kwargs, name):
    args = {
        "warmup_steps": 10,
        "peak_learning_rate": 1.0,
        "decay": "cosine",
        "decay_steps": 50,
        **kwargs,
    }
    with pytest.raises(ValueError, match=name):
        designed_schedule(**args)


def test_task_and_explorer_reject_bad_input(digits, task):
    with pytest.raises(ValueError, match="steps"):
        DigitsTask(digits, steps=0)
    with pytest.raises(ValueError, match="batch_size"):
        DigitsTask(digits, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        DigitsTask(digits, batch_size=10_000)
    with pytest.raises(ValueError, match="dataset"):
        DigitsTask(data.load("diabetes"))
    with pytest.raises(ValueError, match="learning_rates"):
        task.train(np.ones(task.steps - 1))
    with pytest.raises(ValueError, match="learning_rates"):
        task.train(np.full(task.steps, -0.1))
    with pytest.raises(ValueError, match="baseline"):
        PlaygroundExplorer(task, baseline=-1.0)


# ---------------------------------------------------------------- the playground explorer


def test_sliders_change_the_curve_the_run_and_the_status(playground, task):
    e = playground
    first = e.update(warmup_steps=20, peak_learning_rate=1.0, decay="cosine", decay_steps=100)
    steps, rates = line_data(e.lr_line)
    np.testing.assert_array_equal(steps, np.arange(task.steps))
    np.testing.assert_allclose(rates, designed_schedule(20, 1.0, "cosine", 100)(steps))
    scored, losses = line_data(e.loss_line)
    own = task.train(designed_schedule(20, 1.0, "cosine", 100)(np.arange(task.steps)))
    np.testing.assert_array_equal(scored, own.steps)
    np.testing.assert_allclose(losses, own.val_losses)
    assert f"{own.final_loss:.3f}" in first and "Constant 1" in first

    second = e.update(decay="linear", peak_learning_rate=3.0)
    _, rates_after = line_data(e.lr_line)
    _, losses_after = line_data(e.loss_line)
    assert rates_after.max() == pytest.approx(3.0)
    assert not np.allclose(losses_after, losses)
    assert second != first


def test_the_baseline_is_the_constant_run(playground, task):
    e = playground
    e.update(warmup_steps=0, decay="none", peak_learning_rate=1.0)
    _, losses = line_data(e.loss_line)
    np.testing.assert_array_equal(losses, e.baseline_run.val_losses)
    np.testing.assert_array_equal(e.baseline_run.learning_rates, np.full(task.steps, 1.0))


def test_unknown_control_is_refused(playground):
    with pytest.raises(ValueError, match="unknown control"):
        playground.update(momentum=0.9)


# ---------------------------------------------------------------- the plateau explorer

# Worked by hand from Keras's rule: epoch 0 sets best = 1.0, epoch 1 improves (0.9), then every
# epoch fails to beat 0.9 by more than min_delta.
TRACE = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]


@pytest.fixture
def plateau_explorer():
    return PlateauExplorer(TRACE, 0.1, patience=2, factor=0.5, cooldown=0, min_delta=0.01)


def test_plateau_cuts_are_drawn_where_the_rule_fires(plateau_explorer):
    e = plateau_explorer
    status = e.update(patience=2, cooldown=0)
    cuts, marked = line_data(e.cut_marks)
    np.testing.assert_array_equal(cuts, [3, 5])  # the 2nd and 4th epochs without improvement
    np.testing.assert_array_equal(marked, [0.9, 0.9])
    _, rates = line_data(e.lr_line)
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05], rtol=1e-6)
    assert "[3, 5]" in status and "0.025" in status  # the rate after the last cut
    xs, _ = line_data(e.cut_lines)
    np.testing.assert_array_equal(xs[~np.isnan(xs)], [3.5, 3.5, 5.5, 5.5])


def test_cooldown_rests_one_epoch_fewer_than_its_value(plateau_explorer):
    e = plateau_explorer
    e.update(cooldown=1)  # Keras counts the cooldown down BEFORE judging the epoch: no rest
    np.testing.assert_array_equal(line_data(e.cut_marks)[0], [3, 5])
    e.update(cooldown=2)  # one epoch of rest: epoch 4 is not counted, epoch 5 is only the first
    np.testing.assert_array_equal(line_data(e.cut_marks)[0], [3])


def test_no_cut_status_and_min_delta(plateau_explorer):
    e = plateau_explorer
    status = e.update(patience=5, cooldown=0)
    assert len(line_data(e.cut_marks)[0]) == 0
    assert status.startswith("No cut")
    e.update(patience=1, min_delta=0.2)  # 0.9 is not 0.2 better than 1.0: epoch 1 is bad too
    np.testing.assert_array_equal(line_data(e.cut_marks)[0], [1, 2, 3, 4, 5])


def test_plateau_explorer_rejects_bad_input():
    with pytest.raises(ValueError, match="losses"):
        PlateauExplorer([[1.0, 2.0]], 0.1)
    with pytest.raises(ValueError, match="losses"):
        PlateauExplorer([1.0, float("nan")], 0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        PlateauExplorer(TRACE, 0.0)
    with pytest.raises(ValueError, match="min_lr"):
        PlateauExplorer(TRACE, 0.1, min_lr=-1.0)
