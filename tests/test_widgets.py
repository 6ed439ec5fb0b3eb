"""DescentExplorer: sliders move the artists, the status and the picture; describe's verdicts."""

import math
import re

import numpy as np
import pytest

from lrcourse import landscapes as L
from lrcourse.descent import ESCAPE_RADIUS, descend
from lrcourse.ui.widgets import TEXT_FALLBACK, DescentExplorer, describe

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def escape_step(x0, factors):
    k = 1
    while np.max(np.abs(np.asarray(x0) * np.asarray(factors) ** k)) <= ESCAPE_RADIUS:
        k += 1
    return k


@pytest.fixture(scope="module")
def bowl_explorer():
    # eigenvalues 1 and 10 along the axes: the path is known in closed form
    return DescentExplorer(
        L.bowl(condition_number=10.0),
        x0=[2.5, 1.5],
        learning_rate=0.1,
        steps=40,
        lr_range=(1e-3, 0.3),
    )


@pytest.fixture(scope="module")
def parabola_explorer():
    return DescentExplorer(L.parabola(), x0=2.5, learning_rate=0.3, steps=30)


@pytest.fixture(scope="module")
def range_explorer():
    return DescentExplorer(
        L.mountain_range(),
        x0=[2.0, -2.2],
        learning_rate=0.1,
        steps=80,
        lr_range=(1e-2, 3.0),
        noise_max=1.0,
        gap=False,
    )


def bowl_path(lr, x0=(2.5, 1.5), steps=40):
    factors = 1 - lr * np.array([1.0, 10.0])
    return np.array(x0) * factors ** np.arange(steps + 1)[:, None]


def valley_named(status):
    """The coordinates in "Settled in the valley at [x, y] ...", as numbers."""
    inside = re.search(r"valley at \[([^\]]*)\]", status).group(1)
    return np.array([float(v) for v in inside.split(",")])


def line_data(line):
    x, y = line.get_data()
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


# ---------------------------------------------------------------- the bowl


def test_bowl_learning_rate_moves_the_path_the_loss_the_status_and_the_picture(bowl_explorer):
    e = bowl_explorer
    status = e.update(learning_rate=0.1, x0=2.5, y0=1.5)
    before = line_data(e.path_line), line_data(e.loss_line), e.png
    path = bowl_path(0.1)
    np.testing.assert_allclose(np.column_stack(line_data(e.path_line)), path, rtol=1e-10)
    steps, gap = line_data(e.loss_line)
    np.testing.assert_array_equal(steps, np.arange(41))
    loss = 0.5 * (path**2 * [1.0, 10.0]).sum(axis=1)
    np.testing.assert_allclose(gap, np.maximum(loss, 1e-16), rtol=1e-10)
    assert status == e.status and status.startswith("Not there yet: after 40 steps")

    status = e.update(learning_rate=0.25)  # above 2 / lambda_max = 0.2: diverges
    step = escape_step([2.5, 1.5], 1 - 0.25 * np.array([1.0, 10.0]))
    assert status.startswith(f"Diverged at step {step}:")
    x, y = line_data(e.path_line)
    assert len(x) == step and np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    np.testing.assert_allclose(np.column_stack([x, y]), bowl_path(0.25)[:step], rtol=1e-10)
    assert len(line_data(e.loss_line)[0]) == step
    assert not np.array_equal(before[0][0][:5], x[:5])
    assert e.png != before[2] and e.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert e.title.get_text() == "learning rate 0.25"


def test_bowl_converged_wording_counts_the_steps(bowl_explorer):
    e = bowl_explorer
    status = e.update(learning_rate=0.18, x0=2.5, y0=1.5)
    path = bowl_path(0.18)
    loss = 0.5 * (path**2 * [1.0, 10.0]).sum(axis=1)
    above = np.nonzero(loss > 1e-6)[0]
    first = int(above[-1]) + 1  # from here on the loss stays below the tolerance
    assert first > 0 and np.all(loss[first:] <= 1e-6)
    assert status == f"Within 1e-06 of the minimum from step {first} on."


def test_bowl_start_sliders_move_the_start_marker(bowl_explorer):
    e = bowl_explorer
    e.update(learning_rate=0.1, x0=-1.0, y0=2.0)
    x, y = line_data(e.start_dot)
    np.testing.assert_allclose([x[0], y[0]], [-1.0, 2.0])
    assert len(x) == 1
    px, py = line_data(e.path_line)
    assert (px[0], py[0]) == (-1.0, 2.0)
    np.testing.assert_allclose(np.column_stack([px, py]), bowl_path(0.1, (-1.0, 2.0)), rtol=1e-10)


def test_bowl_sliders_have_the_right_names_and_ranges(bowl_explorer):
    c = bowl_explorer.controls
    assert list(c) == ["learning_rate", "x0", "y0"]
    lr = c["learning_rate"]
    assert type(lr).__name__ == "FloatLogSlider" and lr.base == 10
    assert 10**lr.min == pytest.approx(1e-3) and 10**lr.max == pytest.approx(0.3)
    assert (c["x0"].min, c["x0"].max) == (-3.0, 3.0)
    assert (c["y0"].min, c["y0"].max) == (-3.0, 3.0)
    assert all(control.continuous_update for control in c.values())


def test_moving_a_slider_value_directly_redraws_like_the_browser(bowl_explorer):
    e = bowl_explorer
    e.update(learning_rate=0.1, x0=2.5, y0=1.5)
    box = e.widget()
    sliders, image, status_html = box.children
    assert list(sliders.children) == list(e.controls.values())
    png = e.png
    e.controls["learning_rate"].value = 0.25  # what a drag in the browser does
    assert e.status.startswith("Diverged at step")
    assert len(line_data(e.path_line)[0]) < 41
    assert e.png != png
    assert image.value == e.png  # the picture in the page follows
    assert e.status in status_html.value
    e.controls["y0"].value = -2.0
    assert line_data(e.start_dot)[1][0] == -2.0
    assert image.value == e.png


def test_unknown_control_raises_value_error(bowl_explorer):
    with pytest.raises(ValueError, match="momentum"):
        bowl_explorer.update(momentum=0.9)


def test_mimebundle_has_a_widget_view_and_a_stable_text(bowl_explorer):
    bundle = bowl_explorer._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == bowl_explorer.widget().model_id
    assert bundle["text/plain"] == TEXT_FALLBACK.format(name="DescentExplorer")
    assert "0x" not in bundle["text/plain"]
    other = DescentExplorer(L.parabola(), x0=1.0, steps=5)
    assert other._repr_mimebundle_()["text/plain"] == bundle["text/plain"]


# ---------------------------------------------------------------- the parabola (1-D)


def test_parabola_explorer_draws_on_the_curve_and_reports_divergence(parabola_explorer):
    e = parabola_explorer
    assert list(e.controls) == ["learning_rate", "x0"]
    assert (e.controls["x0"].min, e.controls["x0"].max) == (-3.0, 3.0)

    status = e.update(learning_rate=0.3, x0=2.5)
    png = e.png
    x, y = line_data(e.path_line)
    expected = 2.5 * 0.7 ** np.arange(31)
    np.testing.assert_allclose(x, expected, rtol=1e-12)
    np.testing.assert_allclose(y, 0.5 * expected**2, rtol=1e-12)  # points lie on the curve
    np.testing.assert_allclose(line_data(e.loss_line)[1], np.maximum(0.5 * expected**2, 1e-16))
    assert not status.startswith("Diverged")

    status = e.update(learning_rate=3.0)  # x multiplied by -2 per step
    step = escape_step([2.5], [-2.0])
    assert step < 30
    assert status.startswith(f"Diverged at step {step}: ")
    x, y = line_data(e.path_line)
    np.testing.assert_allclose(x, 2.5 * (-2.0) ** np.arange(step), rtol=1e-12)
    assert e.png != png

    e.update(learning_rate=0.3, x0=-1.2)
    sx, sy = line_data(e.start_dot)
    np.testing.assert_allclose([sx[0], sy[0]], [-1.2, 0.5 * 1.2**2])


def test_parabola_slider_value_path(parabola_explorer):
    e = parabola_explorer
    e.update(learning_rate=0.3, x0=2.5)
    before = line_data(e.path_line)[0].copy()
    e.controls["learning_rate"].value = 0.05
    np.testing.assert_allclose(line_data(e.path_line)[0], 2.5 * 0.95 ** np.arange(31), rtol=1e-12)
    assert not np.array_equal(before, line_data(e.path_line)[0])
    e.controls["x0"].value = 1.0
    assert line_data(e.start_dot)[0][0] == 1.0


# ---------------------------------------------------------------- the mountain range


def test_mountain_range_explorer_settles_or_not(range_explorer):
    e = range_explorer
    land = e.landscape
    assert list(e.controls) == ["learning_rate", "x0", "y0", "noise"]
    assert (e.controls["noise"].min, e.controls["noise"].max) == (0.0, 1.0)
    assert 10 ** e.controls["learning_rate"].max == pytest.approx(3.0)

    status = e.update(learning_rate=0.1, noise=0.0, x0=2.0, y0=-2.2)
    x, y = line_data(e.path_line)
    end = np.array([x[-1], y[-1]])
    nearest = land.minima[np.argmin(np.linalg.norm(land.minima - end, axis=1))]
    assert np.linalg.norm(end - nearest) < 1e-3
    assert status.startswith("Settled in the valley at ")
    np.testing.assert_allclose(valley_named(status), nearest, atol=0.006)
    steps, values = line_data(e.loss_line)
    np.testing.assert_allclose(values, land(np.column_stack([x, y])), rtol=1e-12)  # f, not a gap
    png = e.png

    status = e.update(learning_rate=2.5)
    assert status.startswith("Not settled after 80 steps")
    assert e.png != png
    assert not np.allclose(line_data(e.path_line)[0][:10], x[:10])


def test_mountain_range_noise_slider_changes_the_path_reproducibly(range_explorer):
    e = range_explorer
    e.update(learning_rate=0.1, noise=0.0, x0=2.0, y0=-2.2)
    quiet = np.column_stack(line_data(e.path_line))
    e.controls["noise"].value = 0.8
    noisy = np.column_stack(line_data(e.path_line))
    assert noisy.shape == quiet.shape and not np.allclose(noisy, quiet)
    e.update(noise=0.0)
    e.update(noise=0.8)
    np.testing.assert_array_equal(np.column_stack(line_data(e.path_line)), noisy)


# ---------------------------------------------------------------- describe


def test_describe_diverged_names_the_step_and_the_reason():
    run = descend(L.parabola(), 2.5, 3.0, steps=100)
    text = describe(run, L.parabola())
    assert text == f"Diverged at step {run.diverged_at}: {run.reason}."
    assert f"step {escape_step([2.5], [-2.0])}" in text


def test_describe_settled_and_not_settled():
    land = L.mountain_range()
    target = land.minima[2]
    settled = descend(land, target + [0.2, -0.1], 0.05, steps=400)
    text = describe(settled, land, gap=False)
    assert text.startswith("Settled in the valley at ")
    np.testing.assert_allclose(valley_named(text), target, atol=0.006)
    assert f"f = {land(target):.4g}" in text and "after 400 steps" in text
    early = descend(land, [2.5, 2.5], 0.05, steps=3)
    assert describe(early, land, gap=False) == (
        f"Not settled after 3 steps: f = {early.final_loss:.4g}."
    )


def test_describe_gap_wording_and_landscapes_without_minima():
    land = L.parabola()
    fast = descend(land, 2.0, 0.5, steps=40)  # loss_k = 2 * 0.25^k
    k = math.ceil(math.log(1e-6 / 2.0) / math.log(0.25))
    assert describe(fast, land) == f"Within 1e-06 of the minimum from step {k} on."
    slow = descend(land, 2.0, 0.01, steps=10)
    assert describe(slow, land).startswith("Not there yet: after 10 steps f - f* = ")
    saddle = L.saddle()
    run = descend(saddle, [1.0, 0.0], 0.1, steps=5)
    assert describe(run, saddle) == f"After 5 steps: f = {run.final_loss:.4g}."


def test_describe_does_not_call_a_run_that_bounces_back_out_converged():
    land = L.bowl(condition_number=30.0)
    from lrcourse.optimizers import RMSprop

    bouncing = descend(land, [2.5, 1.5], optimizer=RMSprop(0.3), steps=100)
    assert bouncing.steps_to_reach(1e-6) is not None  # it dips below once...
    assert bouncing.final_loss > 1e-6  # ...but ends far above
    assert describe(bouncing, land).startswith("Not there yet")


def test_gap_needs_a_known_minimum_and_steps_are_bounded():
    with pytest.raises(ValueError, match="^gap must be False for saddle"):
        DescentExplorer(L.saddle(), x0=[1.8, 0.0])
    with pytest.raises(ValueError, match=r"^steps must be in \[1, 1e\+06\]"):
        DescentExplorer(L.parabola(), x0=1.0, steps=10**7)
    with pytest.raises(ValueError, match="^x0"):
        DescentExplorer(L.parabola(), x0=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"^learning_rate must be in \[0.001, 3\]"):
        DescentExplorer(L.parabola(), x0=1.0, learning_rate=5.0)  # outside its own slider
