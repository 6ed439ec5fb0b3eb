"""The optimizer race on landscapes: paths against descend, bounds, and the explorer's pictures."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse import landscapes as L
from lrcourse import race as R
from lrcourse.descent import ESCAPE_RADIUS, descend
from lrcourse.ui.race import RaceExplorer

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


@settings(max_examples=10, deadline=None)
@given(
    learning_rate=st.floats(1e-4, 1.0),
    start=st.tuples(st.floats(-2.0, 2.0), st.floats(-1.0, 2.0)),
    rates=st.sampled_from(R.RATES),
)
def test_any_race_is_every_runner_alone(learning_rate, start, rates):
    courses = R.default_landscapes()
    result = R.race(courses, R.racers(learning_rate, rates), start, steps=25)
    for j, land in enumerate(courses.values()):
        for i, opt in enumerate(R.racers(learning_rate, rates).values()):
            alone = descend(land, start, steps=25, optimizer=opt)
            np.testing.assert_array_equal(result.path(j, i), alone.points)
            assert result.trajectory(j, i).diverged_at == alone.diverged_at
        finals = np.where(result.diverged_at[j] == 0, result.final_losses[j], np.inf)
        best, loss = result.leader(j)
        if np.isfinite(finals).any():
            assert (best, loss) == (result.optimizer_names[np.argmin(finals)], finals.min())
        else:
            assert (best, loss) == (None, np.inf)


def test_a_list_of_landscapes_of_one_name_is_numbered_and_domains_are_shared():
    result = R.race([L.bowl(), L.bowl(30.0)], R.racers(0.01, names=("Adam",)), START, steps=3)
    assert result.landscape_names == ("bowl", "bowl (2)")
    assert result.trajectory("bowl (2)", "Adam").steps == 3
    assert R.common_domain(R.default_landscapes()) == ((-2.0, 2.0), (-1.0, 2.0))
    with pytest.raises(ValueError, match="^lands must have overlapping domains"):
        far = L.Landscape("far", 2, L.bowl().value, L.bowl().gradient, ((5.0, 6.0), (5.0, 6.0)))
        R.common_domain([L.bowl(), far])


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
    return RaceExplorer(x0=START, learning_rate=0.01, steps=30)


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
    before = explorer.values
    with pytest.raises(ValueError, match="^rates must be one of 'same', 'keras'; got 'fair'"):
        explorer.update(learning_rate=0.1, rates="fair")
    with pytest.raises(ValueError, match=r"^learning_rate must be in \[0.0001, 1\]"):
        explorer.update(learning_rate=3.0)  # a slider would clamp it to 1 without a word
    assert explorer.values == before
    with pytest.raises(ValueError, match="^lr_range"):
        RaceExplorer(lr_range=(1.0, 0.1))
    with pytest.raises(ValueError, match="^x0"):
        RaceExplorer(x0=(2.5, 0.0))
    with pytest.raises(ValueError, match="^rates"):
        RaceExplorer(rates="fair")
