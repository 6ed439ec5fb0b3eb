"""The range test: its sweep, its smoothing, its stop rule, its three rules and its restore.

The rules are checked against definitions written here independently of lrcourse.finder (fastai's
``lr_find`` names them); the Keras trainer is checked by training after a test and without one.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from lrcourse import finder, softmax
from lrcourse.finder import NumpyTrainer, RangeTest, range_test
from lrcourse.optimizers import SGD, Adam
from lrcourse.ui.plotting import draw_range_test

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import keras

    from lrcourse.keras.finder import KerasTrainer

# ------------------------------------------------------------------ independent definitions


def ema_debiased(xs, beta):
    """Closed form: a weighted mean with weights (1 - beta) beta**(k - j), over their sum."""
    out = []
    for k in range(len(xs)):
        weights = [(1 - beta) * beta ** (k - j) for j in range(k + 1)]
        out.append(sum(w * x for w, x in zip(weights, xs[: k + 1], strict=True)) / sum(weights))
    return np.array(out)


def steepest_by_hand(rates, losses):
    best, where = math.inf, None
    for k in range(len(rates) - 1):
        slope = (losses[k + 1] - losses[k]) / (math.log(rates[k + 1]) - math.log(rates[k]))
        if slope < best:
            best, where = slope, rates[k]
    return where


def valley_by_hand(rates, losses):
    """Longest strictly decreasing subsequence (first end reaching the longest length), then the
    point a third plus a sixth of the way along it (halfway), as fastai's valley code picks it."""
    n = len(losses)
    length = []
    for i in range(n):
        length.append(1 + max((length[j] for j in range(i) if losses[j] > losses[i]), default=0))
    end = int(np.argmax(length))  # the first index of the longest
    start = end - length[end]
    if length[end] == 1:  # nothing falls: fastai starts and ends its valley at the first point
        start = end = 0
    third = (end - start) / 3
    return rates[start + int(third) + int(third / 2)]


curves = st.integers(3, 60).flatmap(
    lambda n: st.tuples(
        st.just(np.geomspace(1e-5, 1.0, n)),
        st.lists(st.floats(0.01, 10.0), min_size=n, max_size=n).map(np.array),
    )
)


@given(curves)
@settings(max_examples=200, deadline=None)
def test_the_rules_agree_with_their_definitions(curve):
    rates, losses = curve
    assert finder.steepest(rates, losses) == steepest_by_hand(rates, losses)
    assert finder.minimum(rates, losses) == rates[int(np.argmin(losses))] / 10
    assert finder.valley(rates, losses) == valley_by_hand(rates, losses)


def test_valley_on_a_hand_made_curve():
    # the longest fall: 5 (point 0), 4, 3.5, 3, 2, 1.5, 1.2, 1 (point 8), eight points; fastai's
    # start is 8 - 8 = 0 and its third (8 - 0) / 3: the point 0 + 2 + 1
    losses = np.array([5.0, 6.0, 4.0, 3.5, 3.0, 2.0, 1.5, 1.2, 1.0, 3.0, 9.0])
    rates = np.geomspace(1e-4, 1.0, len(losses))
    assert finder.valley(rates, losses) == rates[0 + 2 + 1]


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40), st.floats(0.0, 0.99))
@settings(max_examples=200, deadline=None)
def test_the_debiased_average_is_the_weighted_mean(xs, beta):
    np.testing.assert_allclose(
        finder.debiased_average(xs, beta), ema_debiased(xs, beta), rtol=1e-9, atol=1e-9
    )


# subnormal losses (below 2.2e-308) are left out: (1 - beta) * value underflows to 0 there, and
# no loss a network reports is that small
@given(st.floats(-100, 100, allow_subnormal=False), st.integers(1, 50), st.floats(0.0, 0.99))
@settings(max_examples=100, deadline=None)
def test_a_constant_loss_stays_constant_after_smoothing(value, n, beta):
    np.testing.assert_allclose(finder.debiased_average([value] * n, beta), value, rtol=1e-9)


def test_without_the_correction_the_first_values_would_be_too_small():
    smoothed = finder.debiased_average([2.0] * 5, beta=0.98)
    assert smoothed[0] == pytest.approx(2.0)  # a plain average would say 0.04


@given(st.floats(1e-9, 1.0), st.floats(1.5, 1e6), st.integers(10, 500))
@settings(max_examples=100, deadline=None)
def test_the_sweep_grows_by_one_factor_from_min_to_max(low, ratio, steps):
    rates = finder.exponential_rates(low, low * ratio, steps)
    assert len(rates) == steps
    assert rates[0] == pytest.approx(low) and rates[-1] == pytest.approx(low * ratio)
    np.testing.assert_allclose(rates[1:] / rates[:-1], ratio ** (1 / (steps - 1)), rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"min_rate": 1.0, "max_rate": 1.0}, "min_rate"),
        ({"min_rate": 2.0, "max_rate": 1.0}, "min_rate"),
        ({"min_rate": 0.0}, "min_rate"),
        ({"min_rate": -1e-3}, "min_rate"),
        ({"max_rate": 0.0}, "max_rate"),
        ({"max_rate": math.inf}, "max_rate"),
        ({"steps": 5}, "steps"),
        ({"steps": 10.5}, "steps"),
        ({"beta": 1.0}, "beta"),
        ({"stop_factor": 1.0}, "stop_factor"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, named):
    trainer = Quadratic()
    with pytest.raises(ValueError, match=named):
        range_test(trainer, **kwargs)
    assert not trainer.steps_taken  # refused before it trained anything


# ------------------------------------------------------------------ the driver


class Quadratic:
    """A fake trainer: the loss of a batch depends only on the rate; a minimum near rate 0.01,
    a blow-up past 1. Counts what it was asked to do."""

    def __init__(self, blow_up_at=1.0, nan_at=None):
        self.blow_up_at, self.nan_at = blow_up_at, nan_at
        self.steps_taken, self.restored, self.state = 0, None, "start"

    def save(self):
        return "start"

    def step(self, rate):
        self.steps_taken += 1
        self.state = "trained"
        if self.nan_at is not None and rate >= self.nan_at:
            return math.nan
        return 1.0 + (math.log10(rate) + 2) ** 2 / 10 + (100.0 if rate > self.blow_up_at else 0.0)

    def restore(self, saved):
        self.restored, self.state = saved, saved


def test_the_test_stops_when_the_smoothed_loss_passes_four_times_its_minimum():
    trainer = Quadratic()
    test = range_test(trainer, min_rate=1e-5, max_rate=100.0, steps=200)
    assert test.steps < 200 and "4 x its minimum" in test.stopped
    assert test.smoothed[-1] > 4 * test.smoothed.min()
    assert np.all(test.smoothed[:-1] <= 4 * np.minimum.accumulate(test.smoothed[:-1]))
    assert trainer.steps_taken == test.steps and trainer.state == "start"


def test_the_test_stops_at_the_first_loss_that_is_not_finite():
    trainer = Quadratic(blow_up_at=math.inf, nan_at=0.5)
    test = range_test(trainer, min_rate=1e-5, max_rate=100.0, steps=200)
    assert "not finite" in test.stopped and np.isnan(test.losses[-1])
    assert test.rates[-1] >= 0.5 > test.rates[-2]
    rates, smoothed = test.curve()
    assert np.all(np.isfinite(smoothed)) and rates[-1] < 0.5


def test_without_a_blow_up_the_test_runs_to_max_rate():
    test = range_test(Quadratic(blow_up_at=math.inf), min_rate=1e-3, max_rate=1e-1, steps=50)
    assert test.steps == 50 and test.stopped.startswith("reached max_rate")
    assert test.rates[-1] == pytest.approx(0.1)


def test_the_rules_read_the_trimmed_smoothed_curve():
    test = range_test(Quadratic(), min_rate=1e-5, max_rate=100.0, steps=200)
    rates, smoothed = test.curve()
    np.testing.assert_array_equal(rates, test.rates[20:-5])  # a tenth of 200, and 5 at the end
    assert test.suggest("minimum") == finder.minimum(rates, smoothed)
    assert test.suggestions() == {
        name: rule(rates, smoothed) for name, rule in finder.RULES.items()
    }
    # the loss of a batch is lowest at rate 0.01; the smoothed curve lags behind the rate (its
    # average reaches back about beta / (1 - beta) = 49 steps), so its minimum comes later
    raw_minimum = test.rates[np.argmin(test.losses)]
    assert raw_minimum == pytest.approx(0.01, rel=0.05)
    assert raw_minimum < test.suggest("minimum") * 10 < 1.0


def test_a_test_that_stopped_at_once_says_it_has_too_few_points():
    test = range_test(Quadratic(nan_at=2e-3), min_rate=1e-3, max_rate=1.0, steps=100)
    assert test.steps == 11
    with pytest.raises(ValueError, match="too few points"):
        test.suggest()


def test_the_trainer_is_restored_even_when_a_step_raises():
    class Broken(Quadratic):
        def step(self, rate):
            super().step(rate)
            raise RuntimeError("out of memory")

    trainer = Broken()
    with pytest.raises(RuntimeError, match="out of memory"):
        range_test(trainer)
    assert trainer.state == "start"


def test_a_trainer_without_the_three_methods_is_refused():
    with pytest.raises(TypeError, match="trainer"):
        range_test(object())


def test_an_unknown_rule_is_refused_by_name():
    test = range_test(Quadratic(), min_rate=1e-5, max_rate=100.0, steps=200)
    with pytest.raises(ValueError, match="rule"):
        test.suggest("steep")


class Noisy(Quadratic):
    """The fake trainer with a seeded jitter on every batch's loss, so smoothing matters."""

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.rng = np.random.default_rng(seed)

    def save(self):
        self.rng = np.random.default_rng(0)
        return super().save()

    def step(self, rate):
        return super().step(rate) * (1 + 0.3 * self.rng.random())


@given(st.floats(0.0, 0.99), st.floats(1.01, 20.0))
@settings(max_examples=60, deadline=None)
def test_a_replay_is_the_test_that_would_have_run_with_those_settings(beta, factor):
    """Replaying a recording with (beta, stop_factor) gives what a fresh test with them gives, up
    to where the recording ends; with the test's own settings it gives the test itself."""
    recorded = range_test(Noisy(), min_rate=1e-5, max_rate=100.0, steps=150)
    again = recorded.replay()
    for name in ("rates", "losses", "smoothed"):
        np.testing.assert_array_equal(getattr(again, name), getattr(recorded, name))
    assert again.stopped == recorded.stopped
    fresh = range_test(
        Noisy(), min_rate=1e-5, max_rate=100.0, steps=150, beta=beta, stop_factor=factor
    )
    replayed = recorded.replay(beta=beta, stop_factor=factor)
    n = replayed.steps
    assert n == min(fresh.steps, recorded.steps)
    np.testing.assert_array_equal(replayed.losses, fresh.losses[:n])
    np.testing.assert_allclose(replayed.smoothed, fresh.smoothed[:n], rtol=1e-12)
    assert (replayed.beta, replayed.stop_factor, replayed.planned) == (beta, factor, 150)
    if fresh.steps <= recorded.steps:
        assert replayed.stopped == fresh.stopped
    else:
        assert replayed.stopped.startswith("the recording ends at rate")


def test_a_replay_refuses_bad_settings_by_name():
    recorded = range_test(Quadratic(), min_rate=1e-5, max_rate=100.0, steps=200)
    with pytest.raises(ValueError, match="beta"):
        recorded.replay(beta=1.0)
    with pytest.raises(ValueError, match="stop_factor"):
        recorded.replay(stop_factor=1.0)


# ------------------------------------------------------------------ the NumPy trainer


@pytest.fixture(scope="module")
def digits():
    from lrcourse import data

    return data.load("digits")


def test_the_numpy_trainer_leaves_params_and_optimizer_as_they_were(digits):
    params = np.zeros((65, 10))
    optimizer = Adam(learning_rate=0.123)
    trainer = NumpyTrainer(
        softmax.loss_and_gradient, params, digits.x_train, digits.y_train, optimizer=optimizer
    )
    test = range_test(trainer, min_rate=1e-4, max_rate=100.0, steps=100)
    assert trainer.params is params and not params.any()
    assert optimizer.learning_rate == 0.123
    assert test.steps > 20 and np.all(np.isfinite(test.losses[:20]))


def test_the_numpy_trainer_records_the_loss_of_each_batch_before_its_update(digits):
    params = np.zeros((65, 10))
    trainer = NumpyTrainer(softmax.loss_and_gradient, params, digits.x_train, digits.y_train)
    test = range_test(trainer, min_rate=1e-3, max_rate=1.0, steps=10)
    rng = np.random.default_rng(0)  # the trainer's order: seed 0, full batches of 32
    order = rng.permutation(len(digits.x_train))
    expected, w = [], params
    for k in range(10):
        rows = order[32 * k : 32 * (k + 1)]
        loss, grad = softmax.loss_and_gradient(w, digits.x_train[rows], digits.y_train[rows])
        expected.append(loss)
        w = w - test.rates[k] * grad
    np.testing.assert_allclose(test.losses, expected, rtol=1e-12)


def test_the_numpy_trainer_refuses_bad_input_by_name(digits):
    x, y = digits.x_train, digits.y_train
    with pytest.raises(TypeError, match="loss_and_gradient"):
        NumpyTrainer(None, np.zeros((65, 10)), x, y)
    with pytest.raises(ValueError, match="y must"):
        NumpyTrainer(softmax.loss_and_gradient, np.zeros((65, 10)), x, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        NumpyTrainer(softmax.loss_and_gradient, np.zeros((65, 10)), x, y, batch_size=len(x) + 1)
    with pytest.raises(TypeError, match="optimizer"):
        NumpyTrainer(softmax.loss_and_gradient, np.zeros((65, 10)), x, y, optimizer="adam")
    trainer = NumpyTrainer(softmax.loss_and_gradient, np.zeros((65, 10)), x, y, optimizer=SGD())
    with pytest.raises(ValueError, match="rate"):
        trainer.step(-1.0)
    with pytest.raises(ValueError, match="saved"):
        trainer.restore(None)


# ------------------------------------------------------------------ the Keras trainer


def small_model(seed=0, optimizer=None):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=optimizer or keras.optimizers.Adam(0.01), loss="mse")
    return model


def regression_data(n=96):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1).astype("float32")


def test_training_after_a_keras_test_equals_training_without_one():
    x, y = regression_data()
    tested, untouched = small_model(), small_model()
    test = range_test(KerasTrainer(tested, x, y, batch_size=16), min_rate=1e-4, max_rate=10.0)
    assert test.steps > 10
    assert float(tested.optimizer.learning_rate) == pytest.approx(0.01)
    histories = []
    for model in (tested, untouched):
        histories.append(model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0))
    for a, b in zip(tested.get_weights(), untouched.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert histories[0].history["loss"] == histories[1].history["loss"]
    for a, b in zip(tested.optimizer.variables, untouched.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_the_keras_trainer_records_the_true_batch_loss_not_a_running_mean():
    x, y = regression_data()
    model = small_model()
    reference = small_model()
    test = range_test(
        KerasTrainer(model, x, y, batch_size=16), min_rate=1e-3, max_rate=1e-2, steps=12
    )
    rng = np.random.default_rng(0)  # the trainer's orders: one generator, a permutation an epoch
    order = np.concatenate([rng.permutation(96) for _ in range(2)])
    for k in range(12):
        rows = order[16 * k : 16 * (k + 1)]
        loss = float(keras.ops.mean((reference(x[rows])[:, 0] - y[rows]) ** 2))
        assert test.losses[k] == pytest.approx(loss, rel=1e-5)
        reference.optimizer.learning_rate = test.rates[k]
        reference.train_on_batch(x[rows], y[rows])


def test_the_keras_trainer_refuses_what_it_cannot_test():
    x, y = regression_data()
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        KerasTrainer(uncompiled, x, y)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(ValueError, match="float learning rate"):
        KerasTrainer(small_model(optimizer=keras.optimizers.SGD(schedule)), x, y)
    with pytest.raises(TypeError, match="model"):
        KerasTrainer("model", x, y)
    with pytest.raises(ValueError, match="one target per row"):
        KerasTrainer(small_model(), x, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        KerasTrainer(small_model(), x, y, batch_size=0)


# ------------------------------------------------------------------ the plot


def test_the_plot_shows_the_recorded_curves_and_marks_each_suggestion():
    test = range_test(Quadratic(), min_rate=1e-5, max_rate=100.0, steps=200)
    ax = Figure().subplots()
    draw_range_test(ax, test)
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), test.losses)
    np.testing.assert_array_equal(lines[1].get_ydata(), test.smoothed)
    marked = {line.get_label().split(":")[0]: line.get_xdata()[0] for line in lines[2:]}
    assert marked == test.suggestions()
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="test"):
        draw_range_test(ax, {"rates": [1, 2]})
    with pytest.raises(ValueError, match="rules"):
        draw_range_test(ax, test, rules=("valey",))


def test_the_explorer_replays_the_recording_and_marks_the_chosen_rule():
    from lrcourse.ui.finder import RangeTestExplorer

    recorded = range_test(Noisy(), min_rate=1e-5, max_rate=100.0, steps=200)
    explorer = RangeTestExplorer(recorded)
    status = explorer.update(beta=0.9, rule="steepest")
    replayed = recorded.replay(beta=0.9)
    np.testing.assert_array_equal(explorer.smoothed_line.get_ydata(), replayed.smoothed)
    suggested = replayed.suggestions()
    for name, mark in explorer.marks.items():
        assert mark.get_xdata()[0] == suggested[name]
        assert mark.get_markersize() == (12 if name == "steepest" else 7)
    assert explorer.rule_line.get_xdata()[0] == suggested["steepest"]
    assert f"steepest {suggested['steepest']:.2g}" in status and "β 0.90" in status
    status = explorer.update(stop_factor=1.5, beta=0.0)
    assert explorer.stop_line.get_xdata()[0] == recorded.replay(beta=0.0, stop_factor=1.5).rates[-1]
    short = RangeTestExplorer(range_test(Quadratic(nan_at=2e-3), min_rate=1e-3, steps=100))
    assert "too few points" in short.update() and len(short.marks["valley"].get_xdata()) == 0
    with pytest.raises(ValueError, match="rule"):
        explorer.update(rule="fastest")
    with pytest.raises(ValueError, match="test"):
        RangeTestExplorer(recorded.losses)
    with pytest.raises(ValueError, match="stop_factor"):
        RangeTestExplorer(recorded, stop_factor=20)


def test_a_range_test_reports_itself_plainly():
    test = range_test(Quadratic(), min_rate=1e-5, max_rate=100.0, steps=200)
    assert isinstance(test, RangeTest)
    assert repr(test).startswith(f"RangeTest({test.steps} of 200 steps")


class FakeRace:
    """What RaceEpochExplorer reads from a race: names, seeds, epochs, history, curves()."""

    names, seeds, epochs = ("slow", "fast"), (0, 1, 2, 3, 4), 6

    def __init__(self):
        rng = np.random.default_rng(1)
        self.history = {"val_accuracy": 0.7 + 0.2 * rng.random((2, 5, 7))}
        self.history["val_accuracy"][1, 2, 4:] = np.nan  # one diverged run

    def curves(self, name, key):
        return self.history[key][self.names.index(name)]


def test_the_epoch_explorer_shows_each_seed_and_mean_after_the_chosen_epoch():
    from lrcourse.ui.finder import RaceEpochExplorer

    race = FakeRace()
    explorer = RaceEpochExplorer(race)
    status = explorer.update(epoch=2)
    at = race.history["val_accuracy"][:, :, 2]
    for row in range(2):
        np.testing.assert_array_equal(explorer.seed_marks[row].get_xdata(), at[row])
        assert explorer.mean_marks[row].get_xdata()[0] == pytest.approx(at[row].mean())
    best = int(np.argmax(at.mean(axis=1)))
    assert f"{at[best].mean():.3f} ({race.names[best]})" in status
    explorer.update(epoch=5)  # the diverged run has no mean: its setting is left out
    assert np.isnan(explorer.mean_marks[1].get_xdata()[0])
    assert "(fast)" not in explorer.status
    for epoch in (0, 7):  # epoch 0 is the untrained networks: not on the slider
        with pytest.raises(ValueError, match="epoch"):
            explorer.update(epoch=epoch)
    with pytest.raises(ValueError, match="key"):
        RaceEpochExplorer(race, "loss")
    with pytest.raises(ValueError, match="race"):
        RaceEpochExplorer({"names": ("a",)})


def test_the_epoch_explorer_draws_losses_that_span_decades_on_a_log_axis():
    from lrcourse.ui.finder import RaceEpochExplorer

    race = FakeRace()
    explorer = RaceEpochExplorer(race, scale="log")
    assert explorer.ax.get_xscale() == "log"
    low, high = explorer.ax.get_xlim()
    trained = race.history["val_accuracy"][:, :, 1:]
    assert low < np.nanmin(trained) and high > np.nanmax(trained)
    race.history["val_accuracy"][0, 0, 3] = 0.0
    with pytest.raises(ValueError, match="^scale 'log' needs"):
        RaceEpochExplorer(race, scale="log")
    with pytest.raises(ValueError, match="^scale must"):
        RaceEpochExplorer(FakeRace(), scale="symlog")
