"""Every explorer, driven by random slider values: the callback never raises, and the plotted data
are exactly what the core computes for those values (read from the artists themselves)."""

import ipywidgets as widgets
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrcourse import landscapes as L
from lrcourse import schedules
from lrcourse.descent import descend, noisy_descent
from lrcourse.optimizers import SGD
from lrcourse.plateau import replay_plateau
from lrcourse.race import race, racers
from lrcourse.softmax import DigitsTask, designed_schedule
from lrcourse.ui.playground import PlateauExplorer, PlaygroundExplorer
from lrcourse.ui.race import RaceExplorer
from lrcourse.ui.widgets import DescentExplorer, ScheduleExplorer, describe, log_slider, slider

SOME = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def control_values(control):
    """A strategy for every value this widget can take (what a learner can set in the page)."""
    if isinstance(control, widgets.Checkbox):
        return st.booleans()
    if hasattr(control, "options"):
        return st.sampled_from([o[1] if isinstance(o, tuple) else o for o in control.options])
    if isinstance(control, widgets.FloatLogSlider):
        return st.floats(control.min, control.max).map(lambda e: control.base**e)
    if isinstance(control, widgets.IntSlider):
        return st.integers(control.min, control.max)
    return st.floats(control.min, control.max)


def slider_values(explorer):
    return st.fixed_dictionaries({n: control_values(c) for n, c in explorer.controls.items()})


def xy(line):
    return np.column_stack([np.asarray(v, dtype=float) for v in line.get_data()])


# ---------------------------------------------------------------- gradient descent

BOWL = DescentExplorer(L.bowl(10.0), [2.5, 1.5], 0.1, 40, lr_range=(1e-3, 0.3))
RANGE = DescentExplorer(
    L.mountain_range(), [2.0, -2.2], 0.1, 80, lr_range=(1e-2, 3.0), noise_max=1.0, gap=False
)
PARABOLA = DescentExplorer(L.parabola(), 2.5, 0.3, 30)
MOMENTUM = DescentExplorer(
    L.bowl(30.0),
    [2.5, 1.5],
    0.02,
    80,
    lr_range=(1e-3, 0.3),
    optimizer=lambda learning_rate, momentum, nesterov: SGD(learning_rate, momentum, nesterov),
    extra_controls={
        "momentum": slider("momentum", 0.9, 0.0, 0.99),
        "nesterov": widgets.Checkbox(value=False, description="Nesterov"),
    },
)


@pytest.mark.parametrize(
    "explorer", [BOWL, RANGE, PARABOLA, MOMENTUM], ids=lambda e: e.landscape.name
)
@SOME
@given(data=st.data())
def test_descent_explorer_draws_the_path_descend_walks(explorer, data):
    values = data.draw(slider_values(explorer))
    status = explorer.update(**values)
    land = explorer.landscape
    start = values["x0"] if land.dim == 1 else np.array([values["x0"], values["y0"]])
    optimizer = None
    if "momentum" in values:
        optimizer = SGD(values["learning_rate"], values["momentum"], values["nesterov"])
    run = descend(
        land,
        start,
        values["learning_rate"],
        explorer.steps,
        optimizer=optimizer,
        noise=values.get("noise", 0.0),
        seed=0,
    )
    path = xy(explorer.path_line)
    if land.dim == 1:
        np.testing.assert_array_equal(path, np.column_stack([run.points, land(run.points)]))
    else:
        np.testing.assert_array_equal(path, run.points)
    steps, losses = xy(explorer.loss_line).T
    np.testing.assert_array_equal(steps, np.arange(len(run.points)))
    expected = np.maximum(run.losses - land.min_value, 1e-16) if explorer.gap else run.losses
    np.testing.assert_array_equal(losses, expected)
    assert status == describe(run, land, gap=explorer.gap) == explorer.status
    assert explorer.png.startswith(b"\x89PNG")


def test_a_setting_the_optimizer_refuses_is_a_status_not_an_error():
    explorer = DescentExplorer(
        L.bowl(10.0),
        [2.5, 1.5],
        optimizer=lambda learning_rate, momentum: SGD(learning_rate, momentum),
        extra_controls={"momentum": slider("momentum", 0.5, 0.0, 1.0)},
    )
    status = explorer.update(momentum=1.0)  # the slider reaches 1, SGD refuses it
    assert status.startswith("optimizer could not run with learning_rate=0.1, momentum=1")
    assert "momentum" in status and len(explorer.path_line.get_xdata()) == 0
    assert explorer.trajectory is None
    explorer.controls["momentum"].value = 0.9  # the browser's path: back to a good value
    assert explorer.status.startswith(("Within", "Not there", "Going", "Diverged"))
    assert len(explorer.path_line.get_xdata()) > 1


# ---------------------------------------------------------------- the race

RACE = RaceExplorer(x0=(1.5, -0.5), learning_rate=0.01, steps=30)


@SOME
@given(data=st.data())
def test_race_explorer_draws_the_race(data):
    values = data.draw(slider_values(RACE))
    status = RACE.update(**values)
    start = [values["x0"], values["y0"]]
    expected = race(
        dict(zip(RACE.landscape_names, RACE.landscapes, strict=True)),
        racers(values["learning_rate"], values["rates"]),
        start,
        30,
    )
    for j in range(len(RACE.landscapes)):
        segments = RACE.paths[j].get_segments()
        assert len(segments) == len(expected.optimizer_names)
        for i, segment in enumerate(segments):
            np.testing.assert_array_equal(segment, expected.path(j, i))
        assert len(RACE.ends[j].get_offsets()) == len(expected.diverged(j))
        np.testing.assert_array_equal(RACE.starts[j].get_xydata(), [start])
    assert status.endswith(".") and f"{RACE.steps} steps" in status


# ---------------------------------------------------------------- schedules


def make_schedule():
    return ScheduleExplorer(
        lambda initial_learning_rate, decay_rate, decay_steps, staircase: (
            schedules.ExponentialDecay(
                initial_learning_rate, decay_steps, decay_rate, staircase=staircase
            )
        ),
        {
            "initial_learning_rate": log_slider("initial lr", 0.1, 0.01, 0.3),
            "decay_rate": slider("decay rate", 0.5, 0.01, 1.0),
            "decay_steps": widgets.IntSlider(value=100, min=10, max=200, step=10),
            "staircase": widgets.Checkbox(value=False),
        },
        steps=150,
        baseline=0.05,
        log_lr=True,
    )


SCHEDULE = make_schedule()


@SOME
@given(data=st.data())
def test_schedule_explorer_draws_the_schedule_and_its_noisy_descent(data):
    values = data.draw(slider_values(SCHEDULE))
    status = SCHEDULE.update(**values)
    schedule = schedules.ExponentialDecay(
        values["initial_learning_rate"],
        values["decay_steps"],
        values["decay_rate"],
        staircase=values["staircase"],
    )
    steps, rates = xy(SCHEDULE.lr_line).T
    np.testing.assert_array_equal(steps, np.arange(150))
    np.testing.assert_array_equal(rates, schedule(np.arange(150)))
    losses, blew_up = noisy_descent(SCHEDULE.landscape, [2.5, 1.5], rates, noise=2.0, runs=16)
    np.testing.assert_array_equal(xy(SCHEDULE.loss_line)[:, 1], losses)
    assert status.startswith("Diverged") == (blew_up is not None)


# what a learner's schedule function may do: a good schedule, a bug, negative rates, rates of the
# wrong length, a plain number; the status line says what went wrong, the sliders never raise
KINDS = {
    "good": (
        lambda peak, warmup_steps: schedules.warmup(schedules.Constant(peak), warmup_steps),
        "",
    ),
    "bug": (lambda peak, warmup_steps: 1 / 0, "No schedule for"),
    "negative": (lambda peak, warmup_steps: lambda step: -peak * np.ones_like(step), "a rate must"),
    "length": (lambda peak, warmup_steps: lambda step: np.full(3, peak), "No schedule for"),
    "number": (lambda peak, warmup_steps: lambda step: peak, ""),
}


def test_a_schedule_that_cannot_be_drawn_is_a_status_not_an_error():
    explorer = ScheduleExplorer(
        lambda kind, peak, warmup_steps: KINDS[kind][0](peak, warmup_steps),
        {
            "kind": widgets.Dropdown(options=list(KINDS), value="good"),
            "peak": log_slider("peak", 0.1, 0.01, 0.19),
            "warmup_steps": widgets.IntSlider(value=0, min=0, max=50),
        },
        steps=60,
    )
    for kind, (_, says) in KINDS.items():
        status = explorer.update(kind=kind, peak=0.1, warmup_steps=10)
        explorer.controls["warmup_steps"].value = 20  # the browser's path
        if says:
            assert says in status and says in explorer.status, kind
            assert len(explorer.lr_line.get_xdata()) == 0 and explorer.rates is None
        else:
            assert status.startswith("Mean loss") and len(explorer.lr_line.get_xdata()) == 60


# ---------------------------------------------------------------- plateau and playground

TRACE = 0.2 + 1.0 / (1 + 0.3 * np.arange(40)) + 0.02 * np.random.default_rng(0).standard_normal(40)
PLATEAU = PlateauExplorer(TRACE, 0.1, patience=5, factor=0.5, cooldown=0, min_delta=0.01)


@SOME
@given(data=st.data())
def test_plateau_explorer_marks_the_cuts_the_rule_makes(data):
    values = data.draw(slider_values(PLATEAU))
    status = PLATEAU.update(**values)
    result = replay_plateau(TRACE, 0.1, **values)
    cuts, marked = xy(PLATEAU.cut_marks).T
    np.testing.assert_array_equal(cuts, result.reductions)
    np.testing.assert_array_equal(marked, TRACE[list(result.reductions)])
    np.testing.assert_array_equal(xy(PLATEAU.lr_line)[:, 1], result.learning_rates)
    np.testing.assert_array_equal(xy(PLATEAU.best_line)[:, 1], result.best)
    assert status.startswith("No cut") == (not result.reductions)


@pytest.fixture(scope="module")
def playground():
    return PlaygroundExplorer(DigitsTask(steps=60, batch_size=32, seed=1), baseline=1.0)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_playground_draws_the_run_of_the_designed_schedule(playground, data):
    values = data.draw(slider_values(playground))
    status = playground.update(**values)
    rates = designed_schedule(
        values["warmup_steps"],
        values["peak_learning_rate"],
        values["decay"],
        values["decay_steps"],
    )(np.arange(60))
    np.testing.assert_array_equal(xy(playground.lr_line)[:, 1], rates)
    run = playground.task.train(rates)
    scored, losses = xy(playground.loss_line).T
    np.testing.assert_array_equal(scored, run.steps)
    np.testing.assert_array_equal(losses, run.val_losses)
    assert run.message in status


def test_playground_sliders_update_on_release():
    # every slider of the playground trains a run: it must not retrain on every pixel of a drag
    explorer = PlaygroundExplorer(DigitsTask(steps=40, batch_size=32), baseline=1.0)
    for name, control in explorer.controls.items():
        if hasattr(control, "continuous_update") and name != "decay":
            assert control.continuous_update is False, name
