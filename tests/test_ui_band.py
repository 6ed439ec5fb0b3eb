"""band(): the mean of several runs as a line and their spread as a band, checked against NumPy."""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from lrcourse.ui.plotting import band

FAST = settings(max_examples=20, deadline=None)


def new_axes():
    return Figure().subplots()


def band_limits(ax):
    """The lower and upper edge of the last band drawn, one value per x, from its polygon."""
    vertices = ax.collections[-1].get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    low = np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs])
    high = np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs])
    return xs, low, high


def run(values):
    return SimpleNamespace(history={"val_loss": list(values), "loss": [2 * v for v in values]})


curves = arrays(
    float,
    st.tuples(st.integers(1, 6), st.integers(1, 12)),
    elements=st.floats(-1e6, 1e6, allow_nan=False, width=64),
)


@FAST
@given(curves)
def test_mean_min_and_max_are_numpys(data):
    ax = new_axes()
    line = band(ax, data)
    xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
    np.testing.assert_array_equal(xs, np.arange(data.shape[1]))  # an array starts at x = 0
    np.testing.assert_allclose(ys, data.mean(axis=0), rtol=1e-12, atol=1e-9)
    bx, low, high = band_limits(ax)
    np.testing.assert_array_equal(bx, np.arange(data.shape[1]))
    np.testing.assert_allclose(low, data.min(axis=0), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(high, data.max(axis=0), rtol=1e-12, atol=1e-9)


@FAST
@given(curves)
def test_std_band_is_the_mean_plus_minus_numpys_std(data):
    ax = new_axes()
    band(ax, data, spread="std")
    _, low, high = band_limits(ax)
    mean, std = data.mean(axis=0), data.std(axis=0)
    np.testing.assert_allclose(low, mean - std, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(high, mean + std, rtol=1e-9, atol=1e-6)


@FAST
@given(curves, st.sampled_from(["val_loss", "loss"]))
def test_runs_are_drawn_at_epochs_from_one(data, key):
    ax = new_axes()
    runs = [run(row) for row in data]
    line = band(ax, runs, key=key, label="runs", color="C2")
    xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
    expected = data if key == "val_loss" else 2 * data
    np.testing.assert_array_equal(xs, np.arange(1, data.shape[1] + 1))
    np.testing.assert_allclose(ys, expected.mean(axis=0), rtol=1e-12, atol=1e-9)
    assert line.get_label() == "runs"
    fill = ax.collections[-1].get_facecolor()[0]
    assert np.allclose(fill[:3], to_rgba(line.get_color())[:3])
    assert np.allclose(fill[:3], to_rgba("C2")[:3])


def test_the_band_takes_the_line_colour_and_the_given_alpha_and_x():
    ax = new_axes()
    data = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    line = band(ax, data, x=[10, 20, 30], alpha=0.5)
    np.testing.assert_array_equal(line.get_xdata(), [10, 20, 30])
    assert ax.collections[-1].get_alpha() == 0.5
    assert np.allclose(ax.collections[-1].get_facecolor()[0][:3], to_rgba(line.get_color())[:3])


def test_a_shorter_run_is_padded_with_nan_and_a_diverged_seed_stops_the_line():
    ax = new_axes()
    line = band(ax, [run([3.0, 2.0, 1.0]), run([4.0, 3.0])])
    np.testing.assert_array_equal(line.get_ydata()[:2], [3.5, 2.5])
    assert np.isnan(line.get_ydata()[2])
    line = band(ax, np.array([[1.0, np.nan], [2.0, 3.0]]))
    assert line.get_ydata()[0] == 1.5 and np.isnan(line.get_ydata()[1])


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"runs": []}, "runs"),
        ({"runs": [1.0, 2.0]}, "runs"),  # one curve is not a set of runs
        ({"runs": np.empty((2, 0))}, "runs"),
        ({"runs": "runs"}, "runs"),
        ({"runs": {"a": [1.0]}}, "runs"),
        ({"runs": [run([1.0])], "key": "accuracy"}, "key"),
        ({"runs": [run([1.0])], "key": 3}, "key"),
        ({"spread": "iqr"}, "spread"),
        ({"x": [0.0]}, "x"),
        ({"x": [0.0, np.inf]}, "x"),
        ({"alpha": 2.0}, "alpha"),
        ({"alpha": "0.2"}, "alpha"),
        ({"label": 3}, "label"),
        ({"ax": "axes"}, "ax"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, argument):
    args = {"ax": new_axes(), "runs": np.ones((2, 2))} | kwargs
    ax, runs = args.pop("ax"), args.pop("runs")
    with pytest.raises((ValueError, TypeError), match=f"^{argument}"):
        band(ax, runs, **args)
