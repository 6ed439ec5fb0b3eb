"""One valid call of every public callable of lrcourse, for tests/test_public_api_fuzz.py.

``EXAMPLES[key]`` is an :class:`Example`: the keyword arguments of a call that works. The key is
the dotted path of the callable (``"lrcourse.descent.descend"``); a method is keyed by the class
that defines it or any base of it (``"lrcourse.schedules.Schedule.__call__"`` serves every
schedule), and is called on the instance that ``INSTANCES`` builds for the class being probed.
Callables without parameters need no entry: the fuzz calls them once. ``SKIP`` lists, with the
reason, the few that are not probed.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from lrcourse import citations, data, evidence, exercises, finder, pbt, schedules
from lrcourse import landscapes as L
from lrcourse import optimizers as O
from lrcourse import race as R
from lrcourse.descent import descend
from lrcourse.plateau import ReduceLROnPlateau, replay_plateau
from lrcourse.softmax import DigitsTask
from lrcourse.ui import widgets as W
from lrcourse.ui.finder import RaceEpochExplorer, RangeTestExplorer
from lrcourse.ui.pbt import PBTExplorer
from lrcourse.ui.playground import PlateauExplorer, PlaygroundExplorer
from lrcourse.ui.race import RaceExplorer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # TensorFlow's own notes at import
    import keras
    from test_exercises_schedules import WSDBase

    from lrcourse.keras import pbt as KP
    from lrcourse.keras import training as T
    from lrcourse.keras import tune as KT
    from lrcourse.keras.finder import KerasTrainer
    from lrcourse.keras.schedules import KerasSchedule


@dataclass
class Example:
    """A call that works, and what the fuzz may expect of its variants.

    kwargs: the arguments by keyword, or a function giving fresh ones (of the instance, for a
        method): every parameter of the signature is probed, given here or not.
    answer: the learner's argument, on which nothing may raise (an exercise checker's answer).
    feedback: the call answers with a Feedback (an exercise checker).
    ok: parameter -> labels of bad values it may accept in silence (nan for a loss trace, ...).
    named: parameter -> the word its error message holds, when that is not the parameter's name.
    result: ``result(value) -> str | None``, a cheap check of what an accepted call returned.
    seconds: the time limit of one call.
    skip: parameter -> labels of values not tried, because they are valid and slow.
    fresh: a method is called on a new instance every time (its state matters).
    """

    kwargs: dict | Callable = field(default_factory=dict)
    answer: str | None = None
    feedback: bool = True
    ok: dict = field(default_factory=dict)
    named: dict = field(default_factory=dict)
    result: Callable | None = None
    seconds: float = 5.0
    skip: dict = field(default_factory=dict)
    fresh: bool = False

    def arguments(self, *instance):
        made = self.kwargs(*instance) if callable(self.kwargs) else self.kwargs
        return {
            k: v.copy() if isinstance(v, list | dict | np.ndarray) else v for k, v in made.items()
        }


# ---------------------------------------------------------------- what results must look like


def rates(value):
    """Learning rates: finite numbers >= 0."""
    arr = np.asarray(value, dtype=float)
    if not (np.all(np.isfinite(arr)) and np.all(arr >= 0)):
        return f"rates must be finite and >= 0, got {value!r:.80}"
    return None


def rate_dict(value):
    return rates(list(value.values()))


def schedule_rates(value):
    """A schedule: its rates over a long range of steps are finite and >= 0."""
    return rates(value(np.array([0, 1, 2, 10, 99, 1000, 10**6, 2**40])))


def optimizer_rates(value):
    return rates([value.learning_rate_at(k) for k in (0, 1, 10, 1000)])


def plateau_rates(value):
    return rates(value.learning_rates) or rates([value.final_learning_rate])


def whole_number(value):
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else f"expected a whole number >= 0, got {value!r}"


def finite(value):
    arr = np.asarray(value, dtype=float)
    return None if np.all(np.isfinite(arr)) else f"expected finite numbers, got {value!r:.80}"


def text(value):
    return None if isinstance(value, str) else f"expected a string, got {value!r:.80}"


# ---------------------------------------------------------------- shared valid objects

BOWL = L.bowl()
PARABOLA = L.parabola()
RUN = descend(BOWL, [1.0, 1.0], 0.1, steps=5)
SMALL_RACE = R.race({"bowl": BOWL}, R.racers(0.01, names=("SGD", "Adam")), [1.0, 1.0], 3)
DIGITS = data.load("digits")
TASK = DigitsTask(DIGITS, steps=20, batch_size=16, eval_every=5)
_rng = np.random.default_rng(0)
# A dataset small enough that a Keras run of one epoch takes a fraction of a second.
TINY = data.Dataset(
    "tiny",
    "multiclass",
    _rng.normal(size=(24, 4)).astype("float32"),
    (np.arange(24) % 3).astype("int32"),
    _rng.normal(size=(12, 4)).astype("float32"),
    (np.arange(12) % 3).astype("int32"),
    "24 random rows in 3 classes",
)
KERAS = 60.0  # seconds for a call that may build, compile or train a Keras model
NON_FINITE = {"nan", "inf", "-inf", "array([nan])"}
SCHEDULE_OK = {"learning_rate": {"raising callable"}}  # a schedule: any function of the step


def axes():
    return Figure().subplots()


# ---------------------------------------------------------------- instances whose methods run

SEED_SCORES = {"base": [0.50, 0.52, 0.49, 0.51, 0.50], "m": [0.45, 0.50, 0.46, 0.47, 0.49]}
COMPARISON = evidence.compare(SEED_SCORES, "base")
CURVE = {"rates": np.geomspace(1e-3, 1.0, 6), "losses": np.array([3.0, 2.0, 1.5, 1.0, 2.0, 5.0])}


def numpy_trainer():
    """A range-test trainer on four examples of a least-squares line: each step is instant."""
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([1.0, 3.0, 5.0, 7.0])

    def loss_and_gradient(w, xb, yb):
        error = xb[:, 0] * w[0] + w[1] - yb
        return float(np.mean(error**2)), np.array(
            [2 * np.mean(error * xb[:, 0]), 2 * np.mean(error)]
        )

    return finder.NumpyTrainer(loss_and_gradient, np.zeros(2), x, y, batch_size=2)


def pbt_parts():
    """A tiny PBT task: members descend w^2 / 2 with their own learning rate."""

    def init(member, rng):
        return np.array([1.0]), None, {"learning_rate": 0.1 * (member + 1)}

    def step(params, state, hyper):
        return params - hyper["learning_rate"] * params, state

    def evaluate(params):
        return float(params[0] ** 2)

    return init, step, evaluate


PBT_RESULT = pbt.pbt(*pbt_parts(), population=4, rounds=3, ready_steps=2, fraction=0.25)
DATA_RACE = T.DataRace(
    ("a", "b"),
    (0, 1),
    2,
    8,
    3,
    {k: np.full((2, 2, 3), 0.5) for k in ("loss", "val_loss", "accuracy", "val_accuracy")},
)
RANGE_TEST = finder.range_test(numpy_trainer(), min_rate=1e-4, max_rate=10.0, steps=60)


def keras_trainer():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return KerasTrainer(model, TINY.x_train, TINY.y_train.astype("float32"), batch_size=8)


DATA_PBT = KP.pbt_on_data(
    TINY, keras.optimizers.SGD(0.1), [0.1, 0.3, 0.05], epochs=2, batch_size=8, hidden=(4,)
)
RAY_PBT = KT.RayPBT(
    DATA_PBT.result,
    DATA_PBT.report,
    DATA_PBT.report_accuracy,
    0,
    2,
    True,
    restores=(KT.Restore(1, 0, 1, 0.24, "0a1b", "0a1b"),),
    policy=((1, 0, 1, 0.3, 0.24),),
    digests=(("0a1b", "2c3d"), ("0a1b", "4e5f"), ("0a1b", "6a7b")),
    settings={"synch": True},
    version="2.60.0",
)


def data_pbt_fields():
    """DataPBT's fields, as DATA_PBT holds them."""
    names = ("result", "report", "report_accuracy", "seed", "epochs", "exploit")
    return {name: getattr(DATA_PBT, name) for name in names}


SWEEP = {0.1: [0.5, 0.52, 0.49, 0.51, 0.5], 0.15: [0.4, 0.42, 0.41, 0.4, 0.43], 0.22: [0.45] * 5}

INSTANCES = {
    "lrcourse.data.Dataset": lambda: TINY,
    "lrcourse.descent.Trajectory": lambda: RUN,
    "lrcourse.landscapes.Landscape": lambda: L.mountain_range(),
    "lrcourse.plateau.ReduceLROnPlateau": lambda: ReduceLROnPlateau(0.1, patience=1),
    "lrcourse.race.Race": lambda: SMALL_RACE,
    "lrcourse.schedules.Schedule": schedules.Schedule,
    "lrcourse.softmax.DigitsTask": lambda: TASK,
    "lrcourse.keras.schedules.KerasSchedule": lambda: KerasSchedule(schedules.CosineDecay(0.1, 10)),
    "lrcourse.keras.training.BatchLog": lambda: T.BatchLog(24, 8),
    "lrcourse.keras.training.DataRace": lambda: T.DataRace(
        ("a", "b"),
        (0, 1),
        1,
        8,
        3,
        {k: np.ones((2, 2, 2)) for k in ("loss", "val_loss", "accuracy", "val_accuracy")},
        tuple(tuple([np.ones((2, 3)), np.zeros(3)] for _ in range(2)) for _ in range(2)),
    ),
    "lrcourse.evidence.Comparison": lambda: COMPARISON,
    "lrcourse.finder.RangeTest": lambda: RANGE_TEST,
    "lrcourse.pbt.PBTResult": lambda: PBT_RESULT,
    "lrcourse.keras.pbt.DataPBT": lambda: DATA_PBT,
    "lrcourse.keras.tune.RayPBT": lambda: RAY_PBT,
    "lrcourse.finder.NumpyTrainer": numpy_trainer,
    "lrcourse.keras.finder.KerasTrainer": keras_trainer,
    "lrcourse.keras.training.Run": lambda: T.Run(
        {"loss": np.array([1.0, 0.5]), "val_loss": np.array([1.1, 0.6])}, np.ones(6), np.ones(6)
    ),
    # every optimizer and every schedule: built from its own constructor's example
}


# ---------------------------------------------------------------- the examples

_SCHEDULES = {
    "Constant": {"learning_rate": 0.1},
    "ExponentialDecay": {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": True,
        "counts": "batches",
    },
    "InverseTimeDecay": {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": False,
        "counts": "epochs",
    },
    "NaturalExponentialDecay": {
        "initial_learning_rate": 0.1,
        "decay_rate": 0.5,
        "decay_steps": 3,
        "staircase": True,
    },
    "PiecewiseConstantDecay": {"boundaries": [3, 6], "values": [1.0, 0.5, 0.1]},
    "PolynomialDecay": {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "end_learning_rate": 1e-3,
        "power": 2.0,
        "cycle": True,
    },
    "CosineDecay": {
        "initial_learning_rate": 0.0,
        "decay_steps": 10,
        "alpha": 0.1,
        "warmup_target": 0.1,
        "warmup_steps": 3,
    },
    "CosineDecayRestarts": {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 4,
        "t_mul": 2.0,
        "m_mul": 0.5,
        "alpha": 0.1,
    },
    "Cyclical": {
        "base_learning_rate": 0.1,
        "max_learning_rate": 1.0,
        "step_size": 4,
        "mode": "exp_range",
        "gamma": 0.99,
    },
    "OneCycle": {
        "max_learning_rate": 0.1,
        "total_steps": 100,
        "pct_start": 0.3,
        "div_factor": 25.0,
        "final_div_factor": 1e4,
        "anneal_strategy": "linear",
    },
    "Warmup": {
        "schedule": schedules.Constant(0.1),
        "warmup_steps": 5,
        "start": 0.0,
        "shift": False,
    },
    "Sequence": {
        "schedules": [schedules.Constant(0.1), schedules.Constant(0.2)],
        "boundaries": [5],
    },
}

_OPTIMIZERS = {
    "Optimizer": {"learning_rate": 0.1},
    "SGD": {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
    "Adagrad": {
        "learning_rate": 0.1,
        "initial_accumulator_value": 0.1,
        "epsilon": 1e-7,
        "epsilon_placement": "paper",
    },
    "RMSprop": {
        "learning_rate": 0.1,
        "rho": 0.9,
        "momentum": 0.5,
        "epsilon": 1e-7,
        "centered": True,
    },
    "Adadelta": {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-6},
    "Adam": {
        "learning_rate": 0.1,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": True,
        "epsilon_placement": "keras",
    },
    "AdamW": {"learning_rate": 0.1, "weight_decay": 0.004, "amsgrad": False},
    "Nadam": {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}

_W, _G = np.array([1.0, -2.0]), np.array([0.5, 0.25])
_RULES = {
    "sgd_step": ({}, {"learning_rate": 0.1}),
    "momentum_step": ({"velocity": np.zeros(2)}, {"learning_rate": 0.1, "momentum": 0.9}),
    "nesterov_step": ({"velocity": np.zeros(2)}, {"learning_rate": 0.1, "momentum": 0.9}),
    "adagrad_step": (
        {"accumulator": np.full(2, 0.1)},
        {"learning_rate": 0.1, "epsilon": 1e-7, "epsilon_placement": "keras"},
    ),
    "rmsprop_step": (
        {"mean_square": np.zeros(2), "mean_grad": np.zeros(2), "velocity": np.zeros(2)},
        {"learning_rate": 0.1, "rho": 0.9, "epsilon": 1e-7, "momentum": 0.5, "centered": True},
    ),
    "adadelta_step": (
        {"mean_square_grad": np.zeros(2), "mean_square_delta": np.zeros(2)},
        {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-6},
    ),
    "adam_step": (
        {"m": np.zeros(2), "v": np.zeros(2), "t": 0, "v_max": np.zeros(2)},
        {
            "learning_rate": 0.1,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-7,
            "amsgrad": True,
            "epsilon_placement": "paper",
            "weight_decay": 0.01,
        },
    ),
    "nadam_step": (
        {"m": np.zeros(2), "v": np.zeros(2), "u_product": 1.0, "t": 0},
        {"learning_rate": 0.1, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    ),
}


def _landscape_fields():
    return {
        "name": "line",
        "dim": 1,
        "value": lambda x: x,
        "gradient": lambda x: np.ones_like(x),
        "domain": ((-1.0, 1.0),),
        "minima": [0.0],
        "saddles": [],
        "maxima": [],
        "hessian": None,
        "description": "a line",
    }


def _plateau_result():
    result = replay_plateau([1.0, 0.9, 0.95], 0.1, patience=1)
    return {name: getattr(result, name) for name in result.__dataclass_fields__}


def _explorer_update(explorer):
    """The explorer's own slider values: a valid update of every control."""
    return dict(explorer.values)


INSTANCES.update(
    {
        "lrcourse.ui.widgets.Explorer": lambda: W.Explorer((3.0, 2.0)),
        "lrcourse.ui.widgets.DescentExplorer": lambda: W.DescentExplorer(
            BOWL, [1.0, 1.0], 0.1, 5, lr_range=(0.01, 1.0), noise_max=0.5
        ),
        "lrcourse.ui.widgets.ScheduleExplorer": lambda: W.ScheduleExplorer(
            schedules.Constant, {"learning_rate": W.log_slider("lr", 0.05, 0.01, 0.1)}, steps=20
        ),
        "lrcourse.ui.race.RaceExplorer": lambda: RaceExplorer(
            [BOWL], (1.0, 1.0), 0.01, 5, names=("SGD", "Adam")
        ),
        "lrcourse.ui.playground.PlaygroundExplorer": lambda: PlaygroundExplorer(
            TASK, baseline=1.0, warmup_steps=2, decay_steps=10, lr_range=(0.1, 10.0)
        ),
        "lrcourse.ui.playground.PlateauExplorer": lambda: PlateauExplorer(
            [1.0, 0.9, 0.9, 0.9], 0.1, patience=1
        ),
        "lrcourse.ui.finder.RangeTestExplorer": lambda: RangeTestExplorer(RANGE_TEST),
        "lrcourse.ui.finder.RaceEpochExplorer": lambda: RaceEpochExplorer(DATA_RACE),
        "lrcourse.ui.pbt.PBTExplorer": lambda: PBTExplorer(population=4, rounds=3, ready_steps=2),
    }
)
# A schedule or optimizer that no longer exists is left out (the fuzz then asks for new ones).
_SCHEDULES = {n: kw for n, kw in _SCHEDULES.items() if hasattr(schedules, n)}
_OPTIMIZERS = {n: kw for n, kw in _OPTIMIZERS.items() if hasattr(O, n)}


def _maker(cls, kwargs):
    return lambda: cls(**kwargs)


for _name, _kwargs in _SCHEDULES.items():
    INSTANCES[f"lrcourse.schedules.{_name}"] = _maker(getattr(schedules, _name), _kwargs)
for _name, _kwargs in _OPTIMIZERS.items():
    INSTANCES[f"lrcourse.optimizers.{_name}"] = _maker(getattr(O, _name), _kwargs)


EXAMPLES = {
    # ------------------------------------------------------------ lrcourse, doctor, __main__
    "lrcourse.setup": Example({"seed": 3, "tensorflow": False}),
    "lrcourse.__main__.main": Example({"argv": ["doctor", "--no-tensorflow"]}),
    "lrcourse.classroom.build_course": Example(
        lambda: {"out": tempfile.mkdtemp(prefix="lrcourse-classroom-"), "notebooks": ["01"]},
        ok={"source": {"None"}},
        skip={"out": {"text", "'False'"}},  # valid: a course directory named so, in the cwd
        seconds=20,
    ),
    "lrcourse.classroom.main": Example({"argv": ["--help"]}),
    "lrcourse.doctor.version": Example({"dist": "numpy"}, ok={"dist": {"text", "'False'"}}),
    "lrcourse.doctor.python_status": Example({"version_info": (3, 11, 2)}),
    "lrcourse.doctor.report": Example({"check_tensorflow": False}),
    "lrcourse.doctor.main": Example({"argv": ["--no-tensorflow", "--json"]}),
    # ------------------------------------------------------------ data
    "lrcourse.data.load": Example({"name": "wine", "validation_fraction": 0.25, "seed": 0}),
    "lrcourse.data.Dataset": Example(
        lambda: {
            f: getattr(TINY, f)
            for f in ("name", "task", "x_train", "y_train", "x_val", "y_val", "description", "loss")
        }
    ),
    "lrcourse.data.Dataset.steps_per_epoch": Example({"batch_size": 8}, result=whole_number),
    "lrcourse.bundled.read_table": Example({"name": "wine_quality", "folder": None}),
    "lrcourse.bundled.raw_table": Example({"name": "ionosphere"}),
    "lrcourse.bundled.article_split": Example({"name": "ionosphere"}),
    "lrcourse.keras.articles.decay.step_decay": Example({"epoch": 10}),
    "lrcourse.keras.articles.decay.exp_decay": Example({"epoch": 10}),
    "lrcourse.keras.articles.decay.rates": Example(
        {"run": "step", "steps_per_epoch": 9, "epochs": 12}
    ),
    "lrcourse.keras.articles.decay.learning_rates": Example({"steps_per_epoch": 9}),
    "lrcourse.keras.articles.decay.optimizers": Example({"steps_per_epoch": 9}),
    "lrcourse.keras.articles.diamonds.exponential": Example({"epoch": 3}),
    "lrcourse.keras.articles.diamonds.custom": Example({"epoch": 5}),
    "lrcourse.keras.articles.diamonds.custom_without_raise": Example({"epoch": 5}),
    "lrcourse.keras.articles.diamonds.cyclical": Example({"steps_per_epoch": 338}),
    "lrcourse.keras.articles.diamonds.rates": Example(
        {"run": "cyclical", "steps_per_epoch": 10, "epochs": 8}
    ),
    "lrcourse.keras.articles.diamonds.learning_rates": Example({"steps_per_epoch": 10}),
    "lrcourse.keras.articles.diamonds.optimizers": Example({"steps_per_epoch": 10}),
    "lrcourse.keras.articles.tf_api.tf1_rates": Example({"steps": 20}, result=rate_dict),
    "lrcourse.keras.articles.tf_api.compiled_rates": Example({"steps": 20}, result=rate_dict),
    "lrcourse.keras.articles.choosing.boundaries": Example({"scale": 20}),
    "lrcourse.keras.articles.choosing.annealing_rate": Example({"epoch": 10, "scale": 20}),
    "lrcourse.keras.articles.choosing.annealing_schedule": Example(
        {"steps_per_epoch": 11, "scale": 20}
    ),
    "lrcourse.keras.articles.choosing.optimizer": Example({"name": "Adam", "learning_rate": 0.001}),
    # ------------------------------------------------------------ evidence
    "lrcourse.evidence.compare": Example(
        lambda: {
            "scores": dict(SEED_SCORES),
            "baseline": "base",
            "lower_is_better": True,
            "metric": "val_loss",
            "confidence": 0.95,
        },
        ok={"metric": {"text", "'False'"}},  # any name of the score
    ),
    "lrcourse.evidence.best_constant": Example(
        lambda: {"scores": dict(SWEEP), "lower_is_better": True}
    ),
    "lrcourse.evidence.Comparison": Example(
        lambda: {
            "baseline": "base",
            "baseline_mean": 0.5,
            "rows": COMPARISON.rows,
            "n_seeds": 5,
            "level": 0.95,
            "metric": "val_loss",
            "lower_is_better": True,
        },
        ok={"baseline": {"text", "'False'"}, "metric": {"text", "'False'"}},  # any names
    ),
    "lrcourse.evidence.Claim": Example(
        lambda: {
            "says": "m is better",
            "comparison": COMPARISON,
            "method": "m",
            "expected": "better",
        },
        ok={"says": {"text", "'False'"}},  # any words
    ),
    "lrcourse.evidence.claim_table": Example(
        lambda: {"claims": [evidence.Claim("m is better", COMPARISON, "m", "better")]},
        result=text,
    ),
    "lrcourse.evidence.Comparison.verdict": Example({"name": "m"}, result=text),
    "lrcourse.evidence.Comparison.row": Example({"name": "m"}),
    "lrcourse.evidence.Comparison.names": Example({"verdict": "better"}),
    "lrcourse.evidence.Row": Example(
        {
            "name": "m",
            "mean": 0.47,
            "difference": -0.03,
            "low": -0.05,
            "high": -0.01,
            "wins": 5,
            "verdict": "better",
        }
    ),
    # ------------------------------------------------------------ landscapes
    "lrcourse.landscapes.Landscape": Example(
        _landscape_fields, ok={"hessian": {"None", "raising callable"}}
    ),
    "lrcourse.landscapes.Landscape.__call__": Example(
        {"x": [0.5, 0.5]}, ok={"x": {"nan", "-inf", "inf"}}
    ),
    "lrcourse.landscapes.Landscape.grad": Example(
        {"x": [0.5, 0.5]}, ok={"x": {"nan", "-inf", "inf"}}
    ),
    "lrcourse.landscapes.Landscape.check_point": Example(
        {"x": [0.5, 0.5], "name": "w0"}, named={"x": "w0"}
    ),
    "lrcourse.landscapes.Landscape.hessian_at": Example({"x": [0.5, 0.5], "h": 1e-5}),
    "lrcourse.landscapes.Landscape.grid": Example({"n": 5}),
    "lrcourse.landscapes.parabola": Example({"curvature": 2.0}),
    "lrcourse.landscapes.bowl": Example(
        {"condition_number": 10.0, "angle": 0.3, "lambda_min": 1.0}
    ),
    "lrcourse.landscapes.rosenbrock": Example({"a": 1.0, "b": 100.0}),
    # ------------------------------------------------------------ descent
    "lrcourse.descent.descend": Example(
        lambda: {
            "landscape": BOWL,
            "x0": [1.0, 1.0],
            "learning_rate": 0.1,
            "steps": 5,
            "optimizer": None,
            "noise": 0.1,
            "seed": 1,
        },
        result=lambda t: finite(t.losses),
    ),
    "lrcourse.descent.sweep": Example(
        lambda: {
            "landscape": BOWL,
            "x0": [1.0, 1.0],
            "learning_rates": [0.1, 0.2],
            "steps": 5,
            "noise": 0.1,
        }
    ),
    "lrcourse.descent.noisy_descent": Example(
        lambda: {
            "landscape": BOWL,
            "x0": [1.0, 1.0],
            "learning_rates": [0.1] * 5,
            "noise": 0.5,
            "runs": 4,
            "seed": 0,
        }
    ),
    "lrcourse.descent.follow": Example(
        lambda: {"optimizer": O.SGD(0.1, momentum=0.9), "gradients": np.ones(5), "start": 1.0},
        result=finite,
    ),
    "lrcourse.descent.Trajectory": Example(
        lambda: {
            "points": np.zeros((3, 2)),
            "losses": np.zeros(3),
            "learning_rates": np.full(2, 0.1),
            "steps_requested": 2,
            "diverged_at": None,
            "reason": "",
        },
        ok={"losses": {"nan", "inf", "-inf", "array([nan])"}},
    ),
    "lrcourse.descent.Trajectory.steps_to_reach": Example({"loss": 0.1}),
    "lrcourse.descent.Trajectory.steps_to_stay": Example({"loss": 0.1}),
    # ------------------------------------------------------------ optimizers
    **{
        f"lrcourse.optimizers.{name}": Example(
            {"w": _W, "g": _G, "state": state, **hyper},
            ok={"w": NON_FINITE, "g": NON_FINITE},  # a diverging run's parameters are parameters
            named={"w": ("w", "g")},  # a new w: the error may say g does not match it
        )
        for name, (state, hyper) in _RULES.items()
    },
    **{
        f"lrcourse.optimizers.{name}": Example(kwargs, ok=SCHEDULE_OK, result=optimizer_rates)
        for name, kwargs in _OPTIMIZERS.items()
    },
    "lrcourse.optimizers.Optimizer.init": Example(
        {"params": [1.0, 2.0]}, ok={"params": NON_FINITE}
    ),
    "lrcourse.optimizers.Optimizer.update": Example(
        lambda opt: {"params": _W, "grads": _G, "state": opt.init(_W)},
        ok={"params": NON_FINITE, "grads": NON_FINITE},
        named={"params": ("params", "grads", "state")},
        result=lambda r: finite(r[0]),
    ),
    "lrcourse.optimizers.Optimizer.learning_rate_at": Example({"step": 3}, result=rates),
    "lrcourse.optimizers.Adagrad.paper": Example(
        {"learning_rate": 0.01, "epsilon": 1e-7}, ok=SCHEDULE_OK, result=optimizer_rates
    ),
    "lrcourse.optimizers.Adadelta.paper": Example({"rho": 0.9, "epsilon": 1e-6}),
    "lrcourse.optimizers.Adam.paper": Example(
        {"learning_rate": 0.01, "epsilon": 1e-8, "beta_1": 0.8},
        ok=SCHEDULE_OK,
        result=optimizer_rates,
    ),
    "lrcourse.optimizers.get": Example(
        {"name": "adam", "learning_rate": 0.01}, ok=SCHEDULE_OK, result=optimizer_rates
    ),
    # ------------------------------------------------------------ schedules
    **{
        f"lrcourse.schedules.{name}": Example(kwargs, result=schedule_rates)
        for name, kwargs in _SCHEDULES.items()
    },
    "lrcourse.schedules.Schedule": Example({}),
    "lrcourse.schedules.Schedule.__call__": Example({"step": [0, 3, 7]}, result=rates),
    "lrcourse.schedules.Schedule.from_config": Example(
        lambda s: {"config": s.get_config()}, result=schedule_rates
    ),
    "lrcourse.schedules.step_decay": Example(
        {"initial_learning_rate": 0.1, "drop": 0.5, "epochs_per_drop": 10}, result=schedule_rates
    ),
    "lrcourse.schedules.serialize": Example({"schedule": schedules.CosineDecay(0.1, 100)}),
    "lrcourse.schedules.deserialize": Example(
        {"config": schedules.serialize(schedules.CosineDecay(0.1, 100))}, result=schedule_rates
    ),
    # ------------------------------------------------------------ plateau
    "lrcourse.plateau.ReduceLROnPlateau": Example(
        {
            "learning_rate": 0.1,
            "factor": 0.5,
            "patience": 2,
            "min_delta": 1e-4,
            "cooldown": 1,
            "min_lr": 1e-3,
            "mode": "max",
            "dtype": "float64",
        }
    ),
    "lrcourse.plateau.ReduceLROnPlateau.update": Example(
        {"current": 1.0}, ok={"current": {"nan", "inf", "-inf"}}, fresh=True
    ),
    # ------------------------------------------------------------ population-based training
    "lrcourse.pbt.truncation": Example(
        lambda: {
            "scores": [0.5, 0.1, 0.3, 0.2, 0.9],
            "fraction": 0.2,
            "rng": np.random.default_rng(0),
            "lower_is_better": True,
        },
        ok={"scores": {"nan", "inf", "-inf", "array([nan])"}},  # a diverged member ranks last
    ),
    "lrcourse.pbt.explore": Example(
        lambda: {
            "hyper": {"learning_rate": 0.1},
            "rng": np.random.default_rng(0),
            "factors": (0.8, 1.2),
            "resample_probability": 0.5,
            "space": {"learning_rate": lambda g: 0.05},
        }
    ),
    "lrcourse.pbt.pbt": Example(
        lambda: dict(
            zip(("init", "step", "evaluate"), pbt_parts(), strict=True),
            population=4,
            rounds=2,
            ready_steps=2,
            fraction=0.25,
            factors=(0.8, 1.2),
            resample_probability=0.0,
            space=None,
            seed=0,
        )
    ),
    "lrcourse.pbt.PBTResult.ancestors": Example({"member": 1}),
    "lrcourse.ui.pbt.noisy_bowl_task": Example({"noise": 1.0, "steps": 100}),
    "lrcourse.ui.pbt.PBTExplorer": Example(
        {"population": 4, "fraction": 0.25, "factor": 1.25, "rounds": 3, "ready_steps": 2},
        seconds=10,
    ),
    "lrcourse.pbt.Copy": Example(
        {
            "round": 0,
            "step": 2,
            "loser": 0,
            "winner": 3,
            "copied": {"learning_rate": 0.4},
            "explored": {"learning_rate": 0.32},
        }
    ),
    "lrcourse.pbt.PBTResult": Example(
        lambda: {
            "hyper": PBT_RESULT.hyper,
            "scores": PBT_RESULT.scores,
            "copies": PBT_RESULT.copies,
            "members": PBT_RESULT.members,
            "ready_steps": PBT_RESULT.ready_steps,
        },
        ok={"scores": {"nan", "inf", "-inf", "array([nan])"}},  # a diverged member's score
    ),
    "lrcourse.plateau.replay_plateau": Example(
        {
            "losses": [1.0, 0.9, 0.95, 0.97],
            "learning_rate": 0.1,
            "factor": 0.5,
            "patience": 1,
            "min_delta": 1e-4,
            "cooldown": 1,
            "min_lr": 1e-3,
            "mode": "min",
            "dtype": "float32",
        },
        ok={"losses": {"nan", "inf", "-inf", "array([nan])"}},
        result=plateau_rates,
    ),
    "lrcourse.plateau.PlateauResult": Example(_plateau_result),
    # ------------------------------------------------------------ race
    "lrcourse.race.learning_rates": Example(
        {"learning_rate": 0.01, "rates": "keras", "names": ("SGD", "Adam")}, result=rate_dict
    ),
    "lrcourse.race.racers": Example(
        {"learning_rate": 0.01, "rates": "same", "names": ["Momentum"]}
    ),
    "lrcourse.race.race": Example(
        lambda: {
            "landscapes": {"bowl": BOWL, "saddle": L.saddle()},
            "optimizers": R.racers(0.01, names=("SGD", "Adam")),
            "x0": [1.0, 0.5],
            "steps": 5,
        }
    ),
    "lrcourse.race.common_domain": Example(lambda: {"lands": [BOWL, L.saddle()]}),
    "lrcourse.race.Race": Example(
        lambda: {f: getattr(SMALL_RACE, f) for f in SMALL_RACE.__dataclass_fields__}
    ),
    "lrcourse.race.Race.trajectory": Example({"landscape": "bowl", "optimizer": "Adam"}),
    "lrcourse.race.Race.path": Example({"landscape": 0, "optimizer": 1}),
    "lrcourse.race.Race.leader": Example({"landscape": "bowl"}),
    "lrcourse.race.Race.diverged": Example({"landscape": 0}),
    # ------------------------------------------------------------ softmax
    "lrcourse.softmax.loss_and_gradient": Example(
        {"params": np.zeros((3, 2)), "x": np.ones((4, 2)), "y": [0, 1, 0, 1]},
        result=lambda r: finite(r[0]),
    ),
    "lrcourse.softmax.DigitsTask": Example(
        {"dataset": DIGITS, "steps": 5, "batch_size": 8, "eval_every": 2, "seed": 0}
    ),
    "lrcourse.softmax.DigitsTask.train": Example({"learning_rates": np.full(20, 0.5)}),
    "lrcourse.softmax.SoftmaxRun": Example(
        {
            "steps": [0, 10],
            "val_losses": [2.3, 1.0],
            "val_accuracy": 0.5,
            "learning_rates": np.ones(10),
            "diverged_at": None,
        },
        ok={"val_losses": {"nan", "inf", "-inf", "array([nan])"}, "val_accuracy": {"nan"}},
    ),
    "lrcourse.softmax.designed_schedule": Example(
        {
            "warmup_steps": 2,
            "peak_learning_rate": 1.0,
            "decay": "exponential",
            "decay_steps": 10,
            "end_fraction": 0.1,
        },
        result=schedule_rates,
    ),
    # ------------------------------------------------------------ exercises
    "lrcourse.exercises.Feedback": Example(
        {"state": "not yet", "message": "m", "answer": "0.5"},
        ok={"message": {"text", "'False'"}, "answer": {"text", "'False'"}},  # free text
    ),
    "lrcourse.exercises.correct": Example({"message": "m"}, ok={"message": {"text", "'False'"}}),
    "lrcourse.exercises.wrong": Example(
        {"message": "m", "answer": "0.5"},
        ok={"message": {"text", "'False'"}, "answer": {"text", "'False'"}},
    ),
    "lrcourse.exercises.not_attempted": Example(
        {"message": "m", "answer": "0.5"},
        ok={"message": {"text", "'False'"}, "answer": {"text", "'False'"}},
    ),
    # these three take anything at all: that is what they are for
    "lrcourse.exercises.is_placeholder": Example({"answer": 1.0}, ok={"answer": "*"}),
    "lrcourse.exercises.as_numbers": Example({"value": [1.0, 2.0]}, ok={"value": "*"}),
    "lrcourse.exercises.fmt": Example({"value": 0.5}, ok={"value": "*"}, result=text),
    "lrcourse.exercises.brief": Example(
        {"value": 0.5, "limit": 20}, ok={"value": "*"}, result=text
    ),
    "lrcourse.exercises.checker": Example({"check": lambda answer: exercises.correct()}),
    "lrcourse.exercises.questions.check_question": Example(
        {"answer": "B", "question": "18.1"}, answer="answer"
    ),
    "lrcourse.exercises.questions.Question": Example(
        {"options": ("a", "b"), "correct": "a", "explanation": "e", "hint": "h"},
        ok={"explanation": {"text", "'False'"}, "hint": {"text", "'False'"}},  # free text
    ),
    "lrcourse.exercises.reveals": Example({"check": lambda answer: exercises.correct()}),
    "lrcourse.exercises.reveal_answers": Example({"on": True}),
    "lrcourse.exercises.call_learner": Example(
        {"fn": lambda *a, **k: 1.0}, answer="fn", feedback=False, ok={"fn": "*"}
    ),
    "lrcourse.exercises.check_value": Example(
        {"answer": 0.5, "expected": 0.5, "name": "x", "rtol": 1e-6, "atol": 1e-9, "hint": "h"},
        answer="answer",
    ),
    "lrcourse.exercises.check_sequence": Example(
        {
            "answer": [1, 2],
            "expected": [1, 2],
            "what": "step",
            "rtol": 1e-6,
            "atol": 1e-9,
            "hint": "h",
        },
        answer="answer",
    ),
    "lrcourse.exercises.check_choice": Example(
        {
            "answer": "b",
            "correct_option": "b",
            "options": ("a", "b"),
            "explanation": "e",
            "hint": "h",
        },
        answer="answer",
    ),
    "lrcourse.exercises.landscape.check_gd_step": Example(
        {"gd_step": lambda x, g, lr: x - lr * g}, answer="gd_step"
    ),
    "lrcourse.exercises.landscape.check_largest_stable_lr": Example(
        {"answer": 0.2, "eigenvalues": (1.0, 10.0)}, answer="answer"
    ),
    "lrcourse.exercises.landscape.check_best_lr": Example(
        {"answer": 2 / 11, "eigenvalues": (1.0, 10.0)}, answer="answer"
    ),
    "lrcourse.exercises.landscape.check_classify": Example(
        {
            "classify": lambda h: (
                "minimum"
                if np.linalg.eigvalsh(h).min() > 0
                else "maximum"
                if np.linalg.eigvalsh(h).max() < 0
                else "saddle"
            )
        },
        answer="classify",
    ),
    "lrcourse.exercises.landscape.saddle_escape_steps": Example(
        {"offset": 1e-6, "learning_rate": 0.1, "radius": 1.0}, result=whole_number
    ),
    "lrcourse.exercises.landscape.check_escape_steps": Example(
        {"answer": 76, "offset": 1e-6, "learning_rate": 0.1, "radius": 1.0}, answer="answer"
    ),
    **{
        f"lrcourse.exercises.optimizers.check_{name}_step": Example({"fn": rule}, answer="fn")
        for name, rule in (
            ("momentum", O.momentum_step),
            ("nesterov", O.nesterov_step),
            ("adagrad", O.adagrad_step),
            ("rmsprop", O.rmsprop_step),
            ("adadelta", O.adadelta_step),
            ("adam", O.adam_step),
        )
    },
    "lrcourse.exercises.optimizers.check_adadelta_first_step": Example(
        {
            "answer": 0.001 * math.sqrt(1e-7) * 2 / math.sqrt(0.05 * 4 + 1e-7),
            "gradient": 2.0,
            "learning_rate": 0.001,
            "rho": 0.95,
            "epsilon": 1e-7,
        },
        answer="answer",
    ),
    "lrcourse.exercises.schedules.check_cyclical": Example(
        {
            "fn": schedules.Cyclical(1e-3, 6e-3, 20),
            "base_learning_rate": 1e-3,
            "max_learning_rate": 6e-3,
            "step_size": 20,
            "mode": "triangular",
            "steps": 50,
        },
        answer="fn",
    ),
    "lrcourse.exercises.schedules.check_plateau_reductions": Example(
        {
            "answer": [3],
            "losses": [1.0, 0.9, 0.95, 0.97, 0.99],
            "learning_rate": 0.1,
            "patience": 2,
            "factor": 0.5,
            "cooldown": 1,
            "min_delta": 1e-4,
        },
        answer="answer",
        ok={"losses": {"nan", "inf", "-inf", "array([nan])"}},
    ),
    "lrcourse.exercises.finder.check_exponential_rates": Example(
        {"fn": finder.exponential_rates, "min_rate": 1e-6, "max_rate": 1.0, "steps": 50},
        answer="fn",
    ),
    "lrcourse.exercises.finder.check_debiased_average": Example(
        {"fn": finder.debiased_average, "losses": [2.0, 1.5, 1.2, 1.1], "beta": 0.9},
        answer="fn",
    ),
    "lrcourse.exercises.finder.check_rate_read": Example(
        lambda: {
            "answer": RANGE_TEST.suggest("steepest"),
            "test": RANGE_TEST,
            "rule": "steepest",
            "factor": 2.0,
        },
        answer="answer",
    ),
    "lrcourse.exercises.schedules.check_step_decay": Example(
        {
            "fn": schedules.step_decay(0.1, 0.5, 10),
            "initial_learning_rate": 0.1,
            "drop": 0.5,
            "steps_per_drop": 10,
            "epochs": 40,
        },
        answer="fn",
    ),
    "lrcourse.exercises.schedules.check_time_based_replacement": Example(
        {
            "schedule": schedules.InverseTimeDecay(0.01, 1, 1e-3),
            "learning_rate": 0.01,
            "decay": 1e-3,
            "steps_per_epoch": 50,
            "steps": 60,
        },
        answer="schedule",
    ),
    "lrcourse.exercises.schedules.check_warmup_cosine": Example(
        {
            "fn": schedules.CosineDecay(0.0, 40, 0.0, warmup_target=0.1, warmup_steps=10),
            "peak": 0.1,
            "warmup_steps": 10,
            "decay_steps": 40,
            "alpha": 0.0,
            "start": 0.0,
            "steps": 60,
        },
        answer="fn",
    ),
    # ------------------------------------------------------------ keras.optimizers
    "lrcourse.keras.optimizers.keras_equivalent": Example(lambda: {"opt": O.Adam(0.01)}),
    "lrcourse.keras.optimizers.Comparison": Example(
        {
            "ours": np.zeros((2, 1)),
            "keras": np.zeros((2, 1)),
            "max_abs_diff": 0.0,
            "max_rel_diff": 0.0,
        },
        # a diverged run: nan and inf in the paths and in the differences
        ok={k: {"nan", "inf"} for k in ("ours", "keras", "max_abs_diff", "max_rel_diff")},
    ),
    "lrcourse.keras.optimizers.compare_with_keras": Example(
        lambda: {
            "opt": O.SGD(0.1),
            "grads_sequence": [[1.0], [0.5]],
            "params0": [1.0],
            "keras_optimizer": None,
        },
        named={"params0": ("params0", "grads_sequence")},
        seconds=KERAS,
    ),
    "lrcourse.keras.optimizers.compare_on_function": Example(
        lambda: {
            "opt": O.SGD(0.1),
            "grad_fn": lambda x: 2 * x,
            "x0": [1.0],
            "steps": 2,
            "keras_optimizer": None,
        },
        seconds=KERAS,
    ),
    # ------------------------------------------------------------ keras.schedules
    "lrcourse.keras.schedules.KerasSchedule": Example({"schedule": schedules.Constant(0.1)}),
    "lrcourse.keras.schedules.KerasSchedule.__call__": Example(
        {"step": 3}, result=lambda r: rates(keras.ops.convert_to_numpy(r))
    ),
    "lrcourse.keras.schedules.KerasSchedule.from_config": Example(
        lambda s: {"config": s.get_config()}
    ),
    "lrcourse.keras.schedules.epoch_callback": Example(
        {"schedule": schedules.step_decay(0.1, 0.5, 2), "verbose": 0}
    ),
    "lrcourse.keras.schedules.keras_curve": Example(
        {"schedule": schedules.CosineDecay(0.1, 10), "steps": np.arange(12)},
        result=rates,
        seconds=KERAS,
    ),
    "lrcourse.keras.schedules.to_keras": Example({"schedule": schedules.Constant(0.1)}),
    # ------------------------------------------------------------ keras.training
    "lrcourse.keras.training.build_model": Example(
        {"dataset": TINY, "hidden": (4,), "seed": 0, "activation": "tanh"}, seconds=KERAS
    ),
    "lrcourse.keras.training.loss_and_metrics": Example({"dataset": TINY}),
    "lrcourse.keras.training.current_learning_rate": Example(
        lambda: {"optimizer": keras.optimizers.SGD(0.1)}, result=rates
    ),
    "lrcourse.keras.training.epoch_orders": Example({"n_samples": 5, "epochs": 2, "seed": 0}),
    "lrcourse.keras.training.BatchLog": Example({"n_samples": 24, "batch_size": 8}),
    "lrcourse.keras.training.Run": Example(
        lambda: {
            "history": {"loss": np.array([1.0]), "val_loss": np.array([1.0])},
            "batch_losses": np.ones(3),
            "batch_learning_rates": np.ones(3),
            "diverged_at": None,
            "weights": [],
            "fast": False,
        }
    ),
    "lrcourse.keras.training.Run.final": Example({"key": "val_loss"}),
    "lrcourse.keras.training.Run.best": Example({"key": "loss"}),
    "lrcourse.keras.training.DataRace": Example(
        lambda: {
            "names": ("a",),
            "seeds": (0,),
            "epochs": 1,
            "batch_size": 8,
            "steps_per_epoch": 3,
            "history": {"loss": np.ones((1, 1, 2)), "val_loss": np.ones((1, 1, 2))},
        }
    ),
    "lrcourse.keras.training.DataRace.curves": Example({"name": "a", "key": "val_loss"}),
    "lrcourse.keras.training.DataRace.final_weights": Example({"name": "b", "seed": 1}),
    "lrcourse.keras.training.DataRace.diverged": Example({"name": "b"}),
    "lrcourse.keras.training.DataRace.final": Example({"key": "loss"}),
    "lrcourse.keras.training.DataRace.table": Example({"names": ["a"], "keys": ["val_loss"]}),
    "lrcourse.keras.training.train": Example(
        lambda: {
            "dataset": TINY,
            "optimizer": keras.optimizers.SGD(0.1),
            "epochs": 1,
            "batch_size": 8,
            "seed": 0,
            "hidden": (4,),
            "callbacks": (),
            "model": None,
            "fast": False,
            "validation_freq": 1,
        },
        seconds=KERAS,
        fresh=True,  # an optimizer trains once
    ),
    "lrcourse.keras.training.reference_run": Example(
        {
            "learning_rate": 0.1,
            "seed": 0,
            "epochs": 1,
            "callbacks": (),
            "fast": True,
            "validation_freq": 1,
        },
        skip={"epochs": {"None"}},  # the default: the whole 20-epoch reference run
        seconds=KERAS,
    ),
    "lrcourse.keras.training.reference_race": Example(
        {"learning_rates": {"a": 0.1}, "seeds": (0,), "epochs": 1},
        skip={"epochs": {"None"}, "seeds": {"None"}},  # the defaults: the whole reference race
        seconds=KERAS,
    ),
    "lrcourse.keras.training.race_on_data": Example(
        lambda: {
            "dataset": TINY,
            "optimizers": {"sgd": keras.optimizers.SGD(0.1)},
            "seeds": (0,),
            "epochs": 1,
            "batch_size": 8,
            "hidden": (4,),
            "score_training": False,
        },
        seconds=KERAS,
    ),
    "lrcourse.keras.pbt.pbt_on_data": Example(
        lambda: {
            "dataset": TINY,
            "optimizer": keras.optimizers.SGD(0.1),
            "learning_rates": [0.1, 0.2, 0.05],
            "seed": 0,
            "epochs": 2,
            "ready_epochs": 1,
            "batch_size": 8,
            "hidden": (4,),
            "fraction": 0.4,
            "factors": (0.8, 1.2),
            "resample_probability": 0.5,
            "space": {"learning_rate": lambda rng: float(rng.uniform(0.01, 0.5))},
            "exploit": True,
        },
        seconds=KERAS,
    ),
    "lrcourse.keras.pbt.DataPBT": Example(data_pbt_fields),
    "lrcourse.keras.pbt.DataPBT.curve": Example({"key": "report"}),
    "lrcourse.keras.tune.RayPBT": Example(
        lambda: {
            **data_pbt_fields(),
            "restores": RAY_PBT.restores,
            "policy": RAY_PBT.policy,
            "digests": RAY_PBT.digests,
            "settings": {"synch": True},
            "resumes": 3,
            "workers": 1,
            "version": "2.60.0",
        },
        ok={"version": {"text", "'False'"}},
    ),
    "lrcourse.keras.tune.Restore": Example(
        {
            "epoch": 1,
            "member": 0,
            "donor": 1,
            "learning_rate": 0.24,
            "saved": "0a1b",
            "loaded": "0a1b",
        },
        ok={"saved": {"text", "'False'"}, "loaded": {"text", "'False'"}},
    ),
    "lrcourse.keras.tune.scheduler_settings": Example(
        {
            "population": 10,
            "ready_epochs": 1,
            "fraction": 0.2,
            "factors": (0.8, 1.2),
            "resample_probability": 0.0,
        }
    ),
    "lrcourse.keras.pbt.DataPBT.final": Example({"key": "report_accuracy"}),
    # ------------------------------------------------------------ finder
    "lrcourse.finder.exponential_rates": Example(
        {"min_rate": 1e-4, "max_rate": 1.0, "steps": 20}, result=rates
    ),
    "lrcourse.finder.debiased_average": Example(
        {"losses": [1.0, 2.0, 3.0], "beta": 0.9}, ok={"losses": NON_FINITE}
    ),
    "lrcourse.finder.steepest": Example(CURVE, result=rates),
    "lrcourse.finder.minimum": Example(CURVE, result=rates),
    "lrcourse.finder.valley": Example(CURVE, result=rates),
    "lrcourse.finder.range_test": Example(
        lambda: {
            "trainer": numpy_trainer(),
            "min_rate": 1e-4,
            "max_rate": 10.0,
            "steps": 20,
            "beta": 0.9,
            "stop_factor": 4.0,
        }
    ),
    "lrcourse.finder.RangeTest": Example(
        lambda: {
            "rates": RANGE_TEST.rates,
            "losses": RANGE_TEST.losses,
            "smoothed": RANGE_TEST.smoothed,
            "stopped": RANGE_TEST.stopped,
            "planned": RANGE_TEST.planned,
            "beta": RANGE_TEST.beta,
            "stop_factor": RANGE_TEST.stop_factor,
        },
        # a blow-up is recorded as it was; stopped is the test's own words
        ok={"losses": NON_FINITE, "smoothed": NON_FINITE, "stopped": {"text", "'False'"}},
    ),
    "lrcourse.finder.RangeTest.suggest": Example({"rule": "valley"}, result=rates),
    "lrcourse.finder.RangeTest.replay": Example({"beta": 0.9, "stop_factor": 3.0}),
    "lrcourse.finder.NumpyTrainer": Example(
        lambda: {
            "loss_and_gradient": numpy_trainer().loss_and_gradient,
            "params": np.zeros(2),
            "x": np.ones((4, 1)),
            "y": np.ones(4),
            "optimizer": None,
            "batch_size": 2,
            "seed": 0,
        }
    ),
    "lrcourse.finder.NumpyTrainer.step": Example({"rate": 0.01}, result=finite, fresh=True),
    "lrcourse.finder.NumpyTrainer.restore": Example(lambda t: {"saved": t.save()}, fresh=True),
    "lrcourse.keras.finder.KerasTrainer": Example(
        lambda: {
            "model": keras_trainer().model,
            "x": TINY.x_train,
            "y": TINY.y_train.astype("float32"),
            "batch_size": 8,
            "seed": 0,
        },
        seconds=KERAS,
    ),
    "lrcourse.keras.finder.KerasTrainer.step": Example(
        {"rate": 0.01}, result=finite, seconds=KERAS, fresh=True
    ),
    "lrcourse.keras.finder.KerasTrainer.restore": Example(
        lambda t: {"saved": t.save()}, seconds=KERAS, fresh=True
    ),
    # ------------------------------------------------------------ ui.plotting
    "lrcourse.ui.plotting.draw_range_test": Example(
        lambda: {"ax": axes(), "test": RANGE_TEST, "rules": ("valley", "minimum")}
    ),
    "lrcourse.ui.plotting.draw_comparison": Example(
        lambda: {"ax": axes(), "comparison": COMPARISON}
    ),
    "lrcourse.ui.plotting.figure": Example({"ncols": 2, "nrows": 1, "width": 4.0, "height": 2.0}),
    "lrcourse.ui.plotting.draw_landscape": Example(
        lambda: {
            "ax": axes(),
            "landscape": BOWL,
            "levels": 5,
            "log_levels": True,
            "n": 20,
            "critical_points": True,
        }
    ),
    "lrcourse.ui.plotting.mark_critical_points": Example(
        lambda: {"ax": axes(), "landscape": L.mountain_range()}
    ),
    "lrcourse.ui.plotting.draw_path": Example(
        lambda: {"ax": axes(), "trajectory": RUN, "landscape": BOWL, "color": "C1", "label": "run"},
        ok={"color": {"None"}},  # matplotlib's next colour
    ),
    "lrcourse.ui.plotting.plot_losses": Example(
        lambda: {
            "ax": axes(),
            "trajectories": {0.1: RUN},
            "minimum": 0.0,
            "labels": ["run"],
            "colors": ["C1"],
        }
    ),
    "lrcourse.ui.plotting.loss_gap": Example(
        {"losses": [1.0, 0.5], "minimum": 0.0, "floor": 1e-16},
        ok={"losses": {"nan", "inf", "-inf", "array([nan])"}},
    ),
    "lrcourse.ui.plotting.band": Example(
        lambda: {
            "ax": axes(),
            "runs": np.ones((2, 3)),
            "label": "runs",
            "color": "C2",
            "key": "val_loss",
            "x": [1, 2, 3],
            "spread": "std",
            "alpha": 0.3,
        },
        ok={"runs": {"nan", "inf", "-inf", "array([nan])"}, "key": {"text", "'False'"}},
    ),
    # ------------------------------------------------------------ ui.widgets
    "lrcourse.ui.widgets.slider": Example(
        {
            "description": "a",
            "value": 0.5,
            "low": 0.0,
            "high": 1.0,
            "step": 0.1,
            "readout_format": ".1f",
        },
        ok={"readout_format": {"text", "'False'"}},  # a d3-format string, read by the browser
        named={"low": ("low", "value", "step"), "high": ("high", "value", "step")},
    ),
    "lrcourse.ui.widgets.log_slider": Example(
        {"description": "lr", "value": 0.1, "low": 0.01, "high": 1.0, "continuous_update": False},
        named={"low": ("low", "value"), "high": ("high", "value")},
    ),
    "lrcourse.ui.widgets.describe": Example(
        {"trajectory": RUN, "landscape": BOWL, "tolerance": 1e-6, "gap": True}, result=text
    ),
    "lrcourse.ui.widgets.Explorer": Example({"figsize": (3.0, 2.0)}),
    "lrcourse.ui.widgets.DescentExplorer": Example(
        lambda: {
            "landscape": BOWL,
            "x0": [1.0, 1.0],
            "learning_rate": 0.1,
            "steps": 5,
            "lr_range": (0.01, 1.0),
            "noise_max": 0.1,
            "gap": True,
            "optimizer": lambda learning_rate: O.Adam(learning_rate),
            "extra_controls": {},
            "seed": 0,
        },
        seconds=10,
    ),
    "lrcourse.ui.widgets.DescentExplorer.start_point": Example(
        lambda e: {"values": dict(e.values)}
    ),
    "lrcourse.ui.widgets.ScheduleExplorer": Example(
        lambda: {
            "make_schedule": lambda lr: schedules.Constant(lr),
            "controls": {"lr": W.log_slider("lr", 0.05, 0.01, 0.1)},
            "steps": 20,
            "baseline": 0.05,
            "noise": 1.0,
            "runs": 2,
            "landscape": None,
            "lr_limits": (0.001, 0.2),
            "log_lr": True,
            "step_label": "step",
        },
        ok={"step_label": {"text", "'False'", "None"}},  # None: no axis label
        seconds=10,
    ),
    "lrcourse.ui.widgets.Explorer.add_control": Example(
        lambda e: {"name": f"extra_{len(e.controls)}", "control": widgets.FloatSlider()}
    ),
    "lrcourse.ui.widgets.Explorer.moving": Example(lambda e: {"artist": e.fig.text(0.5, 0.5, "x")}),
    "lrcourse.ui.widgets.Explorer.update": Example(_explorer_update, seconds=10),
    "lrcourse.ui.widgets.Explorer.snapshot": Example(_explorer_update, seconds=10),
    # ------------------------------------------------------------ ui.race
    "lrcourse.ui.race.draw_course": Example(
        lambda: {"ax": axes(), "landscape": L.saddle(), "levels": 5, "n": 20}
    ),
    "lrcourse.ui.race.draw_race": Example(
        lambda: {"axes": [axes()], "result": SMALL_RACE, "colors": {}, "legend": False}
    ),
    "lrcourse.ui.race.RaceExplorer": Example(
        lambda: {
            "landscapes": [BOWL],
            "x0": (1.0, 1.0),
            "learning_rate": 0.01,
            "steps": 5,
            "lr_range": (1e-3, 1.0),
            "rates": "keras",
            "names": ("SGD", "Adam"),
        },
        seconds=10,
    ),
    "lrcourse.ui.race.RaceExplorer.path": Example({"landscape": 0, "optimizer": "Adam"}),
    "lrcourse.ui.race.RaceExplorer.describe": Example(
        lambda e: {"values": dict(e.values)}, result=text
    ),
    # ------------------------------------------------------------ ui.playground
    "lrcourse.ui.playground.PlaygroundExplorer": Example(
        {
            "task": TASK,
            "baseline": 1.0,
            "warmup_steps": 2,
            "peak_learning_rate": 1.0,
            "decay": "cosine",
            "decay_steps": 10,
            "lr_range": (0.1, 10.0),
        },
        seconds=10,
    ),
    "lrcourse.ui.finder.RaceEpochExplorer": Example(
        lambda: {"race": DATA_RACE, "key": "val_accuracy", "epoch": 1, "scale": "linear"},
        seconds=10,
    ),
    "lrcourse.ui.finder.RangeTestExplorer": Example(
        lambda: {"test": RANGE_TEST, "beta": 0.9, "stop_factor": 4.0, "rule": "valley"},
        seconds=10,
    ),
    "lrcourse.ui.playground.PlateauExplorer": Example(
        {
            "losses": [1.0, 0.9, 0.9, 0.9],
            "learning_rate": 0.1,
            "patience": 1,
            "factor": 0.5,
            "cooldown": 0,
            "min_delta": 0.01,
            "min_lr": 0.0,
        },
        seconds=10,
    ),
}

# Callables the fuzz does not probe, each with the reason.
SKIP = {
    "lrcourse.classroom.graded": "raises NotYetCorrect, by design, on any answer its checker does "
    "not call correct (that is how nbgrader sees a failed test); tests/test_classroom.py probes "
    "its arguments and every hidden test",
    "lrcourse.keras.tune.pbt_on_ray": "starts a Ray cluster (half a minute); tests/test_tune.py "
    "probes its arguments and runs it end to end",
    # hooks: the package calls them with arguments it has already checked
    "lrcourse.schedules.Schedule.formula": "the hook a schedule defines: __call__ (NumPy) and "
    "KerasSchedule (keras.ops) call it with checked steps and an ops module",
    "lrcourse.ui.widgets.Explorer.draw": "the hook an explorer defines: update() and the sliders "
    "call it with the sliders' own, checked values",
    # abstract bases: their methods only make sense on a subclass (probed there)
    "lrcourse.schedules.Schedule.__call__@Schedule": "abstract: Schedule has no formula",
    "lrcourse.schedules.Schedule.from_config@Schedule": "abstract: Schedule has no formula",
    "lrcourse.ui.widgets.Explorer.update@Explorer": "abstract: Explorer has no draw",
    "lrcourse.ui.widgets.Explorer.snapshot@Explorer": "abstract: Explorer has no draw",
    "lrcourse.ui.widgets.Explorer.widget@Explorer": "abstract: Explorer has no draw",
    # Keras calls these with its own arguments during fit
    "lrcourse.keras.training.BatchLog.on_epoch_begin": "a Keras callback hook, called by fit",
    "lrcourse.keras.training.BatchLog.on_train_batch_begin": "a Keras callback hook, called by fit",
    "lrcourse.keras.training.BatchLog.on_train_batch_end": "a Keras callback hook, called by fit",
}

#: Free text: any string is a valid value of these parameters.
FREE_TEXT = {
    "description",
    "message",
    "label",
    "hint",
    "explanation",
    "name",
    "what",
    "reason",
    "step_label",
    "color",
}

__all__ = ["EXAMPLES", "FREE_TEXT", "INSTANCES", "SKIP", "Example"]


# ---------------------------------------------------------------- checkers of 13 and 17


# a right answer to check_serializable_schedule: the one its own tests use, registered here
_WarmupStableDecay = keras.saving.register_keras_serializable(package="api_examples")(
    type("WarmupStableDecay", (WSDBase,), {})
)


NEW_EXAMPLES = {
    "lrcourse.exercises.schedules.check_decay_arguments": Example(
        {
            "fn": lambda half_life_epochs, steps_per_epoch: (
                half_life_epochs * steps_per_epoch,
                0.5,
            ),
            "cases": [(5, 22), (2, 100)],
        },
        answer="fn",
    ),
    "lrcourse.exercises.schedules.check_warmup_stable_decay": Example(
        {
            "fn": schedules.sequence(
                [
                    schedules.warmup(schedules.Constant(0.1), 10),
                    schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.0),
                ],
                [70],
            ),
            "peak": 0.1,
            "warmup_steps": 10,
            "stable_steps": 60,
            "decay_steps": 20,
            "steps": 100,
        },
        answer="fn",
    ),
    "lrcourse.exercises.schedules.check_serializable_schedule": Example(
        {
            "schedule_class": _WarmupStableDecay,
            "peak": 0.1,
            "warmup_steps": 10,
            "stable_steps": 60,
            "decay_steps": 20,
            "steps": 100,
        },
        answer="schedule_class",
        seconds=KERAS,
    ),
}
EXAMPLES.update(NEW_EXAMPLES)

# ---------------------------------------------------------------- citations (notebook 24)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_FAIR_RACE = {"notebook": "09", "cell": "fair-race"}
INSTANCES["lrcourse.citations.Sources"] = lambda: citations.Sources(NOTEBOOKS)
EXAMPLES.update(
    {
        "lrcourse.citations.parse_comparisons": Example(
            {"text": str(COMPARISON)}, ok={"text": {"text", "'False'"}}
        ),
        "lrcourse.citations.Sources": Example({"directory": str(NOTEBOOKS)}),
        "lrcourse.citations.Sources.path": Example({"notebook": "09"}),
        "lrcourse.citations.Sources.available": Example(
            dict(_FAIR_RACE), ok={"cell": {"text", "'False'"}}
        ),
        "lrcourse.citations.Sources.read": Example(dict(_FAIR_RACE), result=text),
        "lrcourse.citations.Sources.section": Example(dict(_FAIR_RACE), result=text),
        "lrcourse.citations.Sources.link": Example({**_FAIR_RACE, "label": "09"}, result=text),
        "lrcourse.citations.Sources.quote": Example({**_FAIR_RACE, "text": "Adam 0.02"}),
        "lrcourse.citations.Sources.find": Example({**_FAIR_RACE, "pattern": r"Adam (\S+)"}),
        "lrcourse.citations.Sources.comparison": Example({**_FAIR_RACE, "index": 0}),
        "lrcourse.citations.Sources.row": Example({**_FAIR_RACE, "name": "Adam 0.02", "index": 0}),
        "lrcourse.citations.Sources.article_says": Example(
            {"notebook": "09", "cell": "article-adam"}, result=text
        ),
    }
)
