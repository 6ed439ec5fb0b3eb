"""Bench: one compiled model reset between runs gives the same history as a fresh train() run."""

import numpy as np
import pytest

from lrcourse import schedules as S
from lrcourse.data import load
from lrcourse.showdown import Bench, TableSchedule
from lrcourse.training import keras, train

# Keras 3.15 reads variables with np.array(variable) in its callbacks, which NumPy 2 reports as
# deprecated; it is Keras's business, not something these tests check.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

EPOCHS = 3  # short runs: the reset is what is tested, not the schedule
KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@pytest.fixture(scope="module")
def digits():
    return load("digits")


@pytest.fixture(scope="module")
def bench(digits):
    return Bench(digits, epochs=EPOCHS)


def assert_same_history(a, b, keys=KEYS):
    for key in keys:
        np.testing.assert_array_equal(a.history[key], b.history[key], err_msg=key)


def test_a_reused_run_equals_a_fresh_train_run(bench, digits):
    schedule = S.warmup(S.CosineDecay(0.6, bench.total_steps - 10), 10)  # changes every step
    bench.run(S.Constant(1.5), seed=2)  # leave other weights, rates and step count behind
    reused = bench.run(schedule, seed=1)
    rates = bench.learning_rates(schedule)
    fresh = train(
        digits,
        keras.optimizers.SGD(learning_rate=TableSchedule(rates)),
        epochs=EPOCHS,
        batch_size=64,
        seed=1,
    )
    assert_same_history(reused, fresh)
    np.testing.assert_allclose(reused.batch_learning_rates, fresh.batch_learning_rates, rtol=1e-7)
    assert reused.history["val_loss"][-1] < reused.history["val_loss"][0]  # it trained


def test_a_callback_run_equals_a_fresh_train_run(bench, digits):
    def plateau():  # min_delta 10: no epoch after the first counts as an improvement
        return keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=10.0)

    bench.run(S.Cyclical(0.1, 1.0, 5), seed=0)  # the other model: must not matter
    bench.run(0.9, seed=1, callbacks=[plateau()])  # this model, left at another rate
    reused = bench.run(0.3, seed=2, callbacks=[plateau()])
    fresh = train(
        digits,
        keras.optimizers.SGD(learning_rate=0.3),
        epochs=EPOCHS,
        batch_size=64,
        seed=2,
        callbacks=[plateau()],
    )
    assert_same_history(reused, fresh, KEYS + ("learning_rate",))
    # logged at the end of each epoch BEFORE that epoch's cut: the rate the epoch used
    np.testing.assert_allclose(reused.history["learning_rate"], [0.3, 0.3, 0.15], rtol=1e-6)
    assert float(reused.model.optimizer.learning_rate) == pytest.approx(0.075)  # after the last
    per_batch = np.repeat([0.3, 0.3, 0.15], bench.steps_per_epoch)
    np.testing.assert_allclose(reused.batch_learning_rates, per_batch, rtol=1e-6)


def test_scoring_validation_less_often_changes_no_training(bench):
    schedule = S.ExponentialDecay(0.5, bench.total_steps, 0.1)
    every, last_only = bench.run(schedule, seed=0), bench.run(schedule, seed=0, validation_freq=3)
    np.testing.assert_array_equal(last_only.history["loss"], every.history["loss"])
    assert len(last_only.history["val_loss"]) == 1  # epoch 3 only
    assert last_only.final("val_loss") == every.final("val_loss")
    with pytest.raises(ValueError, match="validation_freq"):
        bench.run(schedule, validation_freq=0)


def test_the_table_reproduces_the_keras_schedule(bench):
    peak, steps = 0.3, bench.total_steps
    table = TableSchedule(S.CosineDecay(peak, steps, alpha=0.1)(np.arange(steps)))
    builtin = keras.optimizers.schedules.CosineDecay(peak, steps, alpha=0.1)
    ours = np.array([float(table(k)) for k in range(steps + 5)])
    theirs = np.array([float(builtin(k)) for k in range(steps)])
    assert np.abs(ours[:steps] - theirs).max() <= 4e-8  # float32 rounding of numbers near 0.3
    np.testing.assert_array_equal(ours[steps:], ours[steps - 1])  # held after the table ends


def test_epoch_schedules_are_called_with_the_epoch(bench):
    step = S.StepDecay(0.4, 0.5, 2)
    rates = bench.learning_rates(step)
    epochs = np.arange(bench.total_steps) // bench.steps_per_epoch
    np.testing.assert_allclose(rates, 0.4 * 0.5 ** (epochs // 2))
    cosine = S.CosineDecay(0.4, bench.total_steps)  # counts batches
    assert len(np.unique(bench.learning_rates(cosine)[: bench.steps_per_epoch])) > 1


def test_divergence_is_reported(bench):
    run = bench.run(1e30, seed=0)
    assert run.diverged and run.diverged_at == (0, None)
    assert run.message == "diverged in epoch 1: the loss became nan or inf"
    healthy = bench.run(0.3, seed=0)  # stop_training must not leak into the next run
    assert not healthy.diverged and healthy.epochs == EPOCHS


def test_table_schedule_config_round_trip():
    table = TableSchedule([0.3, 0.2, 0.1])
    again = TableSchedule.from_config(table.get_config())
    np.testing.assert_allclose([float(again(k)) for k in range(4)], [0.3, 0.2, 0.1, 0.1], rtol=1e-7)


def test_bad_input_names_the_argument(bench, digits):
    with pytest.raises(ValueError, match="learning_rate"):
        bench.run(-0.1)
    with pytest.raises(ValueError, match="seed"):
        bench.run(0.3, seed=-1)
    with pytest.raises(ValueError, match="schedule"):
        bench.run(lambda step: -0.1 + 0 * step)
    with pytest.raises(ValueError, match="schedule"):
        bench.run(lambda step: np.full(3, 0.1))
    with pytest.raises(ValueError, match="schedule"):
        bench.learning_rates("cosine")
    with pytest.raises(ValueError, match="values"):
        TableSchedule([])
    with pytest.raises(ValueError, match="values"):
        TableSchedule([0.1, float("nan")])
    with pytest.raises(ValueError, match="values"):
        bench.table.assign(np.ones(3))
    with pytest.raises(ValueError, match="epochs"):
        Bench(digits, epochs=0)
