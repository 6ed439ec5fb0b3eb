"""The optimizer race: paths against descend, the explorer's pictures, the data race against fit."""

import warnings

import numpy as np
import pytest

from lrcourse import landscapes as L
from lrcourse import race as R
from lrcourse.descent import ESCAPE_RADIUS, descend

START = [1.5, -0.5]


def line_segments(collection):
    return [np.asarray(s, dtype=float) for s in collection.get_segments()]


# ---------------------------------------------------------------- race() on landscapes


@pytest.mark.parametrize("learning_rate", [0.003, 0.1])
def test_every_path_is_the_path_descend_walks_with_the_same_optimizer(learning_rate):
    courses = R.default_landscapes()
    result = R.race(courses, R.racers(learning_rate), START, steps=40)
    assert result.points.shape == (4, 7, 41, 2)
    for j, land in enumerate(courses.values()):
        for i, (name, opt) in enumerate(R.racers(learning_rate).items()):
            alone = descend(land, START, steps=40, optimizer=opt)
            ours = result.trajectory(j, name)
            assert np.array_equal(ours.points, alone.points), (land.name, name)
            assert np.array_equal(ours.losses, alone.losses), (land.name, name)
            assert np.array_equal(ours.learning_rates, alone.learning_rates)
            assert (ours.diverged_at, ours.reason) == (alone.diverged_at, alone.reason)
            np.testing.assert_array_equal(result.points[j, i, 0], START)


def test_the_field_diverges_somewhere_and_the_rest_of_a_diverged_path_is_nan():
    # lr 0.1 is above SGD's bound 2/30 on the bowl; Rosenbrock's steep walls throw SGD off at once
    result = R.race(R.default_landscapes(), R.racers(0.1), START, steps=40)
    assert "SGD" in result.diverged("bowl") and "SGD" in result.diverged("Rosenbrock")
    assert "Adam" not in result.diverged("bowl")
    j, i = 0, result.optimizer_names.index("SGD")
    at = result.diverged_at[j, i]
    assert 0 < at <= 40
    assert np.isnan(result.points[j, i, at:]).all() and np.isfinite(result.points[j, i, :at]).all()
    assert np.isnan(result.final_losses[j, i])
    assert np.abs(descend(L.bowl(30.0), START, 0.1, steps=at).points).max() <= ESCAPE_RADIUS
    assert "diverged@" in result.table()


def test_one_start_per_landscape_and_a_landscape_list():
    lands = [L.bowl(30.0), L.saddle()]
    starts = np.array([[2.0, 1.0], [1.0, 0.01]])
    both = R.race(lands, R.racers(0.02, names=("Momentum", "Adam")), starts, steps=25)
    assert both.landscape_names == ("bowl", "saddle")
    for j, land in enumerate(lands):
        alone = R.race([land], R.racers(0.02, names=("Momentum", "Adam")), starts[j], steps=25)
        np.testing.assert_array_equal(both.points[j], alone.points[0])


def test_keras_ratios_give_sgd_ten_times_adams_rate_and_match_keras_defaults():
    same = R.learning_rates(0.02, "same")
    assert set(same.values()) == {0.02}
    ratios = R.learning_rates(0.02, "keras")
    assert ratios["Adam"] == pytest.approx(0.02) and ratios["SGD"] == pytest.approx(0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
    for name, rate in R.learning_rates(0.001, "keras").items():
        cls, hyper = R.FIELD[name]
        default = getattr(keras.optimizers, cls.name)(**hyper).learning_rate
        assert float(default) == pytest.approx(rate), name
    opts = R.racers(0.02, "keras")
    assert opts["Nesterov"].nesterov and opts["Momentum"].momentum == 0.9
    assert opts["SGD"].learning_rate == pytest.approx(0.2)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: R.race(R.default_landscapes(), R.racers(), START, steps=0), "steps"),
        (lambda: R.race(R.default_landscapes(), R.racers(), [2.5, 0.0], steps=5), "x0"),
        (lambda: R.race(R.default_landscapes(), R.racers(), [1.0, 0.0, 0.0], steps=5), "x0"),
        (lambda: R.race(R.default_landscapes(), {"sgd": "fast"}, START), r"optimizers\['sgd'\]"),
        (lambda: R.race(R.default_landscapes(), {}, START), "optimizers"),
        (lambda: R.race([L.parabola()], R.racers(), START), "landscapes"),
        (lambda: R.race([], R.racers(), START), "landscapes"),
        (lambda: R.learning_rates(-0.1), "learning_rate"),
        (lambda: R.learning_rates(0.1, "fair"), "rates"),
        (lambda: R.racers(0.1, names=("SGD", "Lion")), "names"),
        (
            lambda: R.race(R.default_landscapes(), R.racers(), START).trajectory("ridge", 0),
            "landscape",
        ),
        (lambda: R.race(R.default_landscapes(), R.racers(), START).trajectory(0, 7), "optimizer"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument}"):
        call()


# ---------------------------------------------------------------- the explorer


@pytest.fixture(scope="module")
def explorer():
    return R.RaceExplorer(x0=START, learning_rate=0.01, steps=30)


def test_explorer_draws_the_race_paths_and_a_status_naming_the_leaders(explorer):
    status = explorer.update(learning_rate=0.01, rates="same", x0=1.5, y0=-0.5)
    expected = R.race(R.default_landscapes(), R.racers(0.01), START, steps=30)
    for j in range(4):
        segments = line_segments(explorer.paths[j])
        assert len(segments) == 7
        for i, segment in enumerate(segments):
            at = expected.diverged_at[j, i] or None
            np.testing.assert_array_equal(segment, expected.points[j, i, :at])
    assert status.startswith("lr 0.01 for all, 30 steps.")
    for j, name in enumerate(expected.landscape_names):
        best, loss = expected.leader(j)
        assert f"{name}: lowest f {best} ({loss:.3g})" in status
    best, loss = expected.leader("Rosenbrock")
    assert f"Rosenbrock: lowest f {best} ({loss:.3g}), 3 diverged;" in status  # the SGD family


def test_explorer_learning_rate_changes_paths_status_crosses_and_picture(explorer):
    explorer.update(learning_rate=0.001, rates="same", x0=1.5, y0=-0.5)
    before = line_segments(explorer.paths[0]), explorer.status, explorer.png
    crosses_before = len(explorer.ends[0].get_offsets())
    status = explorer.update(learning_rate=0.2)
    after = line_segments(explorer.paths[0])
    assert not all(np.array_equal(a, b) for a, b in zip(before[0], after, strict=True))
    assert status != before[1] and status.startswith("lr 0.2 for all")
    assert explorer.png != before[2] and explorer.png.startswith(b"\x89PNG")
    gone = np.count_nonzero(explorer.result.diverged_at[0])
    assert gone > 0 and crosses_before == 0
    assert len(explorer.ends[0].get_offsets()) == gone  # one cross per diverged run on the bowl


def test_explorer_rates_toggle_and_start_sliders(explorer):
    explorer.update(learning_rate=0.01, rates="same", x0=1.5, y0=-0.5)
    same = line_segments(explorer.paths[0])
    status = explorer.update(rates="keras")
    assert status.startswith("Keras ratios (SGD 0.1, Adam 0.01)")
    keras_paths = line_segments(explorer.paths[0])
    sgd = R.FIELD["SGD"]
    alone = descend(L.bowl(30.0), START, steps=30, optimizer=sgd[0](0.1))
    np.testing.assert_array_equal(keras_paths[0], alone.points)
    assert np.array_equal(keras_paths[-1], same[-1])  # Adam keeps 0.01
    explorer.update(x0=-1.0, y0=1.5)
    for j in range(4):
        x, y = explorer.starts[j].get_data()
        assert (x[0], y[0]) == (-1.0, 1.5)
        assert all(np.array_equal(s[0], [-1.0, 1.5]) for s in line_segments(explorer.paths[j]))


def test_explorer_controls_and_bad_arguments(explorer):
    c = explorer.controls
    assert list(c) == ["learning_rate", "rates", "x0", "y0"]
    assert 10 ** c["learning_rate"].min == pytest.approx(1e-4)
    assert (c["x0"].min, c["x0"].max, c["y0"].min, c["y0"].max) == (-2.0, 2.0, -1.0, 2.0)
    with pytest.raises(ValueError, match="^unknown control"):
        explorer.update(momentum=0.9)
    with pytest.raises(ValueError, match="^lr_range"):
        R.RaceExplorer(lr_range=(1.0, 0.1))
    with pytest.raises(ValueError, match="^x0"):
        R.RaceExplorer(x0=(2.5, 0.0))
    with pytest.raises(ValueError, match="^rates"):
        R.RaceExplorer(rates="fair")


def test_plot_band_draws_the_mean_and_the_spread():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    runs = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 5.0, 2.0]])
    line = R.plot_band(ax, runs, spread="minmax")
    np.testing.assert_allclose(line.get_ydata(), runs.mean(axis=0))
    band = ax.collections[-1].get_paths()[0].vertices
    assert band[:, 1].min() == 1.0 and band[:, 1].max() == 5.0
    R.plot_band(ax, runs, spread="std")
    band = ax.collections[-1].get_paths()[0].vertices
    assert band[:, 1].max() == pytest.approx((runs.mean(0) + runs.std(0)).max())
    with pytest.raises(ValueError, match="^spread"):
        R.plot_band(ax, runs, spread="iqr")


# ---------------------------------------------------------------- the race on real data


@pytest.fixture(scope="module")
def training():
    from lrcourse import training

    return training


@pytest.fixture(scope="module")
def digits():
    from lrcourse import data

    return data.load("digits")


def optimizers(keras):
    return {
        "Adam": keras.optimizers.Adam(learning_rate=1e-3),
        "Momentum": keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    }


@pytest.fixture(scope="module")
def stacked(training, digits):
    """Two optimizers x seeds 0 and 1, two epochs in the data's order (as fit(shuffle=False))."""
    opts = optimizers(training.keras)
    return R.race_on_data(digits, opts, seeds=(0, 1), epochs=2, batch_size=128, shuffle=False)


def test_stacked_runs_are_the_runs_fit_makes(training, digits, stacked):
    for name, opt in optimizers(training.keras).items():
        run = training.train(digits, opt, epochs=2, batch_size=128, seed=1, shuffle=False)
        for key in ("val_loss", "val_accuracy"):
            np.testing.assert_allclose(
                stacked.curves(name, key)[1, 1:], run.history[key], rtol=1e-5
            )
    assert stacked.steps == 2 * digits.steps_per_epoch(128)
    assert stacked.history["loss"].shape == (2, 2, 3)


def test_epoch_zero_is_the_initial_network_of_the_seed(training, digits, stacked):
    for s, seed in enumerate(stacked.seeds):
        w1, b1, w2, b2 = training.build_model(digits, (32,), seed=seed).get_weights()
        logits = np.maximum(digits.x_val @ w1 + b1, 0) @ w2 + b2
        logp = logits - logits.max(1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(1, keepdims=True))
        loss = -logp[np.arange(len(digits.y_val)), digits.y_val].mean()
        for name in ("Adam", "Momentum"):  # every optimizer starts from the seed's network
            assert stacked.curves(name, "val_loss")[s, 0] == pytest.approx(loss, rel=1e-5)
    adam, momentum = stacked.curves("Adam"), stacked.curves("Momentum")
    assert not np.allclose(adam[:, 1:], momentum[:, 1:])
    assert not np.allclose(adam[0], adam[1])  # the seeds differ
    assert "Momentum" in stacked.table() and "val_loss: mean [min, max]" in stacked.table()


def test_same_call_same_numbers_and_divergence_is_reported(training):
    from lrcourse import data

    keras, diabetes = training.keras, data.load("diabetes")

    def once():
        opts = {
            "Adam": keras.optimizers.Adam(learning_rate=1e-3),
            "too far": keras.optimizers.SGD(learning_rate=1e3),
        }
        return R.race_on_data(diabetes, opts, seeds=(0, 1), epochs=2, batch_size=64)

    a, b = once(), once()
    np.testing.assert_array_equal(a.history["val_loss"], b.history["val_loss"])
    assert set(a.history) == {"loss", "val_loss"}  # regression: no accuracy
    assert a.diverged("too far") == 2 and a.diverged("Adam") == 0
    assert np.isnan(a.curves("too far", "loss")[:, -1]).all()
    assert np.isfinite(a.curves("too far", "loss")[:, 0]).all()
    assert "2 of 2 diverged" in a.table(keys=("val_loss",))


def test_data_race_bad_input_names_the_argument(training, digits):
    keras = training.keras
    adam = keras.optimizers.Adam(learning_rate=1e-3)
    cases = [
        (dict(optimizers={"a": adam, "b": adam}), r"optimizers\['b'\]"),
        (dict(optimizers={"a": "adam"}), r"optimizers\['a'\]"),
        (dict(optimizers={"a": keras.optimizers.SGD(0.1, clipnorm=1.0)}), r"optimizers\['a'\]"),
        (dict(optimizers={}), "optimizers"),
        (dict(seeds=(0, 0)), "seeds"),
        (dict(seeds=(-1,)), "seeds"),
        (dict(epochs=0), "epochs"),
        (dict(batch_size=10_000), "batch_size"),
    ]
    for kwargs, argument in cases:
        kwargs = {"optimizers": {"a": keras.optimizers.Adam(learning_rate=1e-3)}, **kwargs}
        with pytest.raises(ValueError, match=f"^{argument}"):
            R.race_on_data(digits, **kwargs)
