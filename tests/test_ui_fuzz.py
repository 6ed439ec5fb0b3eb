"""Bad arguments to every public function of the race, the softmax trainer and lrcourse.ui.

Each argument of each call is replaced, one at a time, by values a learner could type by mistake
(wrong type, nan, inf, negative, zero, empty, absurd sizes, strings for booleans). The call must
then either work or raise ValueError/TypeError whose message names that argument, within a time
limit and without asking for gigabytes of memory.
"""

import dataclasses
import time

import _limits as limits
import ipywidgets as widgets
import numpy as np
import pytest
from _api_examples import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from lrcourse import data
from lrcourse import landscapes as L
from lrcourse import race as R
from lrcourse.descent import descend
from lrcourse.optimizers import SGD
from lrcourse.softmax import DigitsTask, SoftmaxRun, designed_schedule, loss_and_gradient
from lrcourse.ui import plotting as P
from lrcourse.ui.playground import PlateauExplorer, PlaygroundExplorer
from lrcourse.ui.race import RaceExplorer, draw_course, draw_race
from lrcourse.ui.widgets import (
    DescentExplorer,
    Explorer,
    ScheduleExplorer,
    describe,
    log_slider,
    slider,
)

SECONDS, EXTRA_MEMORY = 10, 2 * 2**30

BAD = [
    None,
    True,
    "1",
    "False",
    float("nan"),
    float("inf"),
    -float("inf"),
    -1,
    0,
    -1e-300,
    1e308,
    10**12,
    10**400,
    [],
    {},
    (),
    object(),
    [1.0, "a"],
    np.empty((0, 2)),
    np.ones((2, 2, 2)),
    print,
]


def bounded(seconds=SECONDS, extra_memory=EXTRA_MEMORY):
    """Fail a call that runs longer than ``seconds`` or asks for more than ``extra_memory``."""
    return limits.bounded(seconds, extra_memory)


def fresh_axes():
    return Figure().subplots()


DIGITS = data.load("digits")
TASK = DigitsTask(DIGITS, steps=20, batch_size=16, seed=0)
RUN = descend(L.bowl(), [1.0, 1.0], 0.1, steps=5)
SMALL_RACE = R.race({"bowl": L.bowl()}, R.racers(0.01, names=("SGD", "Adam")), [1.0, 1.0], 5)
EXPLORER = DescentExplorer(L.bowl(), [1.0, 1.0], 0.1, 5, lr_range=(0.01, 1.0), noise_max=0.5)


def figure_and_close(**kwargs):
    import matplotlib.pyplot as plt

    try:
        return P.figure(**kwargs)
    finally:
        plt.close("all")


# name -> (the callable, a function giving fresh valid keyword arguments)
TARGETS = {
    "learning_rates": (
        R.learning_rates,
        lambda: {"learning_rate": 0.01, "rates": "keras", "names": ("SGD", "Adam")},
    ),
    "racers": (
        R.racers,
        lambda: {"learning_rate": 0.01, "rates": "same", "names": ("Momentum", "Adam")},
    ),
    "race": (
        R.race,
        lambda: {
            "landscapes": {"bowl": L.bowl(), "saddle": L.saddle()},
            "optimizers": R.racers(0.01, names=("SGD", "Adam")),
            "x0": [1.0, 0.5],
            "steps": 5,
        },
    ),
    "common_domain": (R.common_domain, lambda: {"lands": [L.bowl(), L.saddle()]}),
    "Race": (
        R.Race,
        lambda: {f.name: getattr(SMALL_RACE, f.name) for f in dataclasses.fields(R.Race)},
    ),
    "Race.trajectory": (
        SMALL_RACE.trajectory,
        lambda: {"landscape": "bowl", "optimizer": "Adam"},
    ),
    "Race.path": (SMALL_RACE.path, lambda: {"landscape": 0, "optimizer": 1}),
    "Race.leader": (SMALL_RACE.leader, lambda: {"landscape": "bowl"}),
    "Race.diverged": (SMALL_RACE.diverged, lambda: {"landscape": 0}),
    "loss_and_gradient": (
        loss_and_gradient,
        lambda: {"params": np.zeros((3, 2)), "x": np.ones((4, 2)), "y": [0, 1, 0, 1]},
    ),
    "DigitsTask": (
        DigitsTask,
        lambda: {"dataset": DIGITS, "steps": 5, "batch_size": 8, "eval_every": 2, "seed": 0},
    ),
    "DigitsTask.train": (TASK.train, lambda: {"learning_rates": np.full(20, 0.5)}),
    "SoftmaxRun": (
        SoftmaxRun,
        lambda: {
            "steps": [0, 10],
            "val_losses": [2.3, 1.0],
            "val_accuracy": 0.5,
            "learning_rates": np.ones(10),
            "diverged_at": None,
        },
    ),
    "designed_schedule": (
        designed_schedule,
        lambda: {
            "warmup_steps": 2,
            "peak_learning_rate": 1.0,
            "decay": "linear",
            "decay_steps": 10,
            "end_fraction": 0.1,
        },
    ),
    "figure": (figure_and_close, lambda: {"ncols": 2, "nrows": 1, "width": 4.0, "height": 2.0}),
    "draw_landscape": (
        P.draw_landscape,
        lambda: {
            "ax": fresh_axes(),
            "landscape": L.bowl(),
            "levels": 5,
            "log_levels": True,
            "n": 20,
            "critical_points": True,
        },
    ),
    "mark_critical_points": (
        P.mark_critical_points,
        lambda: {"ax": fresh_axes(), "landscape": L.mountain_range()},
    ),
    "draw_path": (
        P.draw_path,
        lambda: {"ax": fresh_axes(), "trajectory": RUN, "landscape": L.bowl(), "label": "run"},
    ),
    "plot_losses": (
        P.plot_losses,
        lambda: {
            "ax": fresh_axes(),
            "trajectories": {0.1: RUN},
            "minimum": 0.0,
            "labels": ["run"],
            "colors": ["C1"],
        },
    ),
    "loss_gap": (P.loss_gap, lambda: {"losses": [1.0, 0.5], "minimum": 0.0, "floor": 1e-16}),
    "band": (
        P.band,
        lambda: {
            "ax": fresh_axes(),
            "runs": np.ones((2, 3)),
            "label": "runs",
            "key": "val_loss",
            "x": [1, 2, 3],
            "spread": "std",
            "alpha": 0.3,
        },
    ),
    "slider": (
        slider,
        lambda: {"description": "a", "value": 0.5, "low": 0.0, "high": 1.0, "step": 0.1},
    ),
    "log_slider": (
        log_slider,
        lambda: {"description": "lr", "value": 0.1, "low": 0.01, "high": 1.0},
    ),
    "Explorer": (Explorer, lambda: {"figsize": (3.0, 2.0)}),
    "DescentExplorer": (
        DescentExplorer,
        lambda: {
            "landscape": L.bowl(),
            "x0": [1.0, 1.0],
            "learning_rate": 0.1,
            "steps": 5,
            "lr_range": (0.01, 1.0),
            "noise_max": 0.1,
            "gap": True,
            "optimizer": None,
            "extra_controls": None,
            "seed": 0,
        },
    ),
    "describe": (
        describe,
        lambda: {"trajectory": RUN, "landscape": L.bowl(), "tolerance": 1e-6, "gap": True},
    ),
    "ScheduleExplorer": (
        ScheduleExplorer,
        EXAMPLES["lrcourse.ui.widgets.ScheduleExplorer"].kwargs,  # the probe's example
    ),
    "draw_course": (
        draw_course,
        lambda: {"ax": fresh_axes(), "landscape": L.saddle(), "levels": 5, "n": 20},
    ),
    "draw_race": (
        draw_race,
        lambda: {"axes": [fresh_axes()], "result": SMALL_RACE, "colors": {}, "legend": False},
    ),
    "RaceExplorer": (
        RaceExplorer,
        lambda: {
            "landscapes": [L.bowl()],
            "x0": (1.0, 1.0),
            "learning_rate": 0.01,
            "steps": 5,
            "lr_range": (1e-3, 1.0),
            "rates": "keras",
            "names": ("SGD", "Adam"),
        },
    ),
    "PlaygroundExplorer": (
        PlaygroundExplorer,
        lambda: {
            "task": TASK,
            "baseline": 1.0,
            "warmup_steps": 2,
            "peak_learning_rate": 1.0,
            "decay": "cosine",
            "decay_steps": 10,
            "lr_range": (0.1, 10.0),
        },
    ),
    "PlateauExplorer": (
        PlateauExplorer,
        lambda: {
            "losses": [1.0, 0.9, 0.9, 0.9],
            "learning_rate": 0.1,
            "patience": 1,
            "factor": 0.5,
            "cooldown": 0,
            "min_delta": 0.01,
            "min_lr": 0.0,
        },
    ),
    "Explorer.update": (
        EXPLORER.update,
        lambda: {"learning_rate": 0.1, "x0": 1.0, "y0": -1.0, "noise": 0.2},
    ),
}


def check(name, argument, value):
    """Call TARGETS[name] with ``argument`` replaced by ``value``: it works or names it."""
    function, valid = TARGETS[name]
    kwargs = valid() | {argument: value}
    start = time.perf_counter()
    try:
        with bounded():
            function(**kwargs)
    except (ValueError, TypeError) as exc:
        assert argument in str(exc), f"{name}({argument}={value!r}) raised {exc!r}"
    except (limits.TookTooLong, MemoryError) as exc:  # pragma: no cover - a failure
        pytest.fail(f"{name}({argument}={value!r}): {type(exc).__name__} {exc}")
    return time.perf_counter() - start


def test_every_valid_call_works():
    for function, valid in TARGETS.values():
        with bounded():
            function(**valid())


@pytest.mark.parametrize("name", list(TARGETS))
def test_bad_arguments_are_refused_by_name(name):
    function, valid = TARGETS[name]
    for argument in valid():
        for value in BAD:
            check(name, argument, value)


values = st.one_of(
    st.sampled_from(BAD),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**20), 10**20),
    st.text(max_size=4),
    st.booleans(),
    st.lists(st.floats(-10, 10), max_size=4),
    st.tuples(st.floats(), st.floats()),
)

CHEAP = [
    "learning_rates",
    "racers",
    "race",
    "Race.trajectory",
    "loss_and_gradient",
    "designed_schedule",
    "loss_gap",
    "slider",
    "log_slider",
    "describe",
    "Explorer.update",
]


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(CHEAP), data=st.data())
def test_random_arguments_never_fool_the_cheap_calls(name, data):
    argument = data.draw(st.sampled_from(list(TARGETS[name][1]())))
    check(name, argument, data.draw(values))


def test_absurd_sizes_are_refused_before_any_work():
    courses = R.default_landscapes()
    with bounded(seconds=2, extra_memory=2**28):
        for steps in (10**9, 10**6, 40_000):  # 40,000 steps x 7 x 4 > 1,000,000 points
            with pytest.raises(ValueError, match=r"^steps must be in \[1, 35,713\]"):
                R.race(courses, R.racers(), [1.5, -0.5], steps)
        with pytest.raises(ValueError, match="^steps"):
            DigitsTask(DIGITS, steps=100_000)  # 100,000 batches of 64 images: 3 GB gathered
        with pytest.raises(ValueError, match="^steps"):
            ScheduleExplorer(lambda lr: lr, {"lr": log_slider("lr", 0.1, 0.01, 1)}, steps=10**6)
        one = ({"bowl": L.bowl()}, R.racers(0.01, names=("Adam",)), [1.0, 1.0])
        with pytest.raises(ValueError, match=r"^steps must be in \[1, 999,999\] for 1 optimizer"):
            R.race(*one, steps=10**6)  # one run alone may take (almost) MAX_STEPS steps
    assert R.race(*one, steps=3000).points.shape == (1, 1, 3001, 2)


def test_log_slider_from_zero_is_refused_not_built_from_minus_infinity():
    with pytest.raises(ValueError, match=r"^low must be in \(0, inf\), got 0"):
        log_slider("lr", 0.1, 0, 1.0)
    with pytest.raises(ValueError, match="^value"):
        log_slider("lr", 5.0, 0.1, 1.0)  # a slider would silently clamp it to 1
    with pytest.raises(ValueError, match="^continuous_update"):
        log_slider("lr", 0.5, 0.1, 1.0, continuous_update="False")
    with pytest.raises(ValueError, match="^options"):
        slider("x", 0.5, 0.0, 1.0, readout_format=3)


def test_a_slider_value_out_of_range_is_refused_and_changes_nothing():
    before = dict(EXPLORER.values)
    for values, argument in (
        ({"learning_rate": 2.0}, "learning_rate"),
        ({"x0": 1.0, "y0": 9.0}, "y0"),
        ({"noise": "0.1"}, "noise"),
    ):
        with pytest.raises(ValueError, match=f"^{argument}"):
            EXPLORER.update(**values)
        assert EXPLORER.values == before
    momentum = DescentExplorer(
        L.bowl(),
        [1.0, 1.0],
        extra_controls={"nesterov": widgets.Checkbox(value=False)},
        optimizer=lambda learning_rate, nesterov: SGD(learning_rate, 0.9, nesterov),
    )
    with pytest.raises(ValueError, match="^nesterov"):
        momentum.update(learning_rate=0.05, nesterov="False")
    assert momentum.values["learning_rate"] == 0.1  # the good value was rolled back too
