"""The hand-written ReduceLROnPlateau against keras.callbacks.ReduceLROnPlateau itself, and
against Keras's algorithm transcribed independently here (for many more random traces)."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse._setup import quiet_tensorflow
from lrcourse.plateau import ReduceLROnPlateau, replay_plateau

quiet_tensorflow()  # before Keras imports TensorFlow
import keras  # noqa: E402


@pytest.fixture(scope="module")
def model():
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    return m


def keras_replay(model, losses, learning_rate, **kwargs):
    """Drive the real callback by hand: one on_epoch_end per epoch, as fit() would."""
    model.optimizer.learning_rate = learning_rate
    callback = keras.callbacks.ReduceLROnPlateau(monitor="loss", **kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    used, reductions = [], []
    for epoch, loss in enumerate(losses):
        logs = {"loss": float(loss)}
        with warnings.catch_warnings():
            # Keras 3.15 reads the rate with np.array(variable), which NumPy 2 flags as deprecated
            warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
            callback.on_epoch_end(epoch, logs)
        used.append(logs["learning_rate"])  # the rate of this epoch, logged before any cut
        if float(model.optimizer.learning_rate) != logs["learning_rate"]:
            reductions.append(epoch)
    return np.array(used), tuple(reductions), float(model.optimizer.learning_rate)


def random_trace(rng, n):
    kind = rng.integers(4)
    t = np.arange(n)
    if kind == 0:  # a decaying loss with noise
        trace = 1 / (1 + 0.1 * t) + rng.normal(0, 0.02, n)
    elif kind == 1:  # a random walk
        trace = 1 + np.cumsum(rng.normal(0, 0.01, n))
    elif kind == 2:  # flat stretches with occasional drops
        trace = 1 - 0.05 * np.cumsum(rng.random(n) < 0.15)
    else:  # quantised to 1e-4: ties and improvements of exactly min_delta
        trace = np.round(1 - 2e-4 * t + rng.normal(0, 2e-4, n), 4)
    return [float(x) for x in trace]


def random_args(rng):
    return {
        "factor": float(rng.choice([0.1, 0.2, 0.5, 0.9])),
        "patience": int(rng.integers(0, 7)),
        "min_delta": float(rng.choice([0.0, 1e-4, 1e-3, 0.01])),
        "cooldown": int(rng.integers(0, 5)),
        "min_lr": float(rng.choice([0.0, 1e-3, 0.004, 0.02])),
        "mode": str(rng.choice(["min", "min", "max"])),
    }


def test_matches_keras_on_random_traces(model):
    rng = np.random.default_rng(0)
    fired = 0
    for _ in range(30):  # the Hypothesis tests below try many more traces
        losses = random_trace(rng, 50)
        args = random_args(rng)
        lr = float(rng.choice([0.1, 0.05, 1.0]))
        ours = replay_plateau(losses, lr, **args)
        used, reductions, final = keras_replay(model, losses, lr, **args)
        context = f"{args}, learning_rate={lr}"
        np.testing.assert_array_equal(ours.learning_rates, used, err_msg=context)
        assert ours.reductions == reductions, context
        assert ours.final_learning_rate == final, context
        fired += len(reductions)
    assert fired > 25  # the traces really do trigger reductions


@pytest.mark.parametrize(
    "args",
    [
        {"patience": 3, "cooldown": 2},
        {"patience": 2, "cooldown": 5, "factor": 0.5},
        {"patience": 1, "min_lr": 0.01, "factor": 0.5},
        {"patience": 0, "min_lr": 1e-3},
        {"patience": 2, "min_delta": 0.05},
    ],
)
def test_matches_keras_with_cooldown_and_min_lr(model, args):
    losses = [1.0] + [1.0 - 0.01 * k for k in range(5)] + [0.96] * 25 + [0.5, 0.45] + [0.45] * 10
    ours = replay_plateau(losses, 0.1, **args)
    used, reductions, final = keras_replay(model, losses, 0.1, **args)
    np.testing.assert_array_equal(ours.learning_rates, used)
    assert ours.reductions == reductions and ours.final_learning_rate == final


def test_cooldown_by_hand():
    # patience 3, cooldown 2, a flat loss: epoch 0 sets best; epochs 1-3 are bad -> cut after 3;
    # epochs 4-5 cool down (the counter is reset), 5-7 are bad again -> cut after 7, then 11.
    result = replay_plateau([1.0] * 12, 0.1, patience=3, cooldown=2, dtype="float64")
    assert result.reductions == (3, 7, 11)
    np.testing.assert_allclose(result.learning_rates, [0.1] * 4 + [0.01] * 4 + [0.001] * 4)
    assert list(result.wait) == [0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0]
    assert list(result.cooldown) == [0, 0, 0, 2, 1, 0, 0, 2, 1, 0, 0, 2]


def test_min_lr_floor_by_hand():
    result = replay_plateau([1.0] * 10, 0.1, factor=0.1, patience=1, min_lr=0.005, dtype="float64")
    assert result.reductions == (1, 2)  # 0.1 -> 0.01 -> 0.005 (floor), then no more cuts
    assert result.final_learning_rate == 0.005


def test_min_delta_is_absolute():
    # A loss near 1000 falling by 0.6e-4 per epoch (relative steps of 6e-8): with the absolute
    # min_delta=1e-4 only every second epoch improves enough, so patience 1 cuts after 1, 3, 5, 7.
    losses = [1000.0 - 0.6e-4 * k for k in range(9)]
    result = replay_plateau(losses, 0.1, patience=1, min_delta=1e-4, dtype="float64")
    assert result.reductions == (1, 3, 5, 7)
    assert replay_plateau(losses, 0.1, patience=1, min_delta=0.0, dtype="float64").reductions == ()


def test_max_mode_watches_for_increases():
    accuracy = [0.5, 0.6, 0.7, 0.7, 0.7, 0.7]
    assert replay_plateau(accuracy, 0.1, patience=3, mode="max").reductions == (5,)
    assert replay_plateau(accuracy, 0.1, patience=3, mode="min").reductions == (3,)


def test_nan_never_improves(model):
    losses = [1.0, 0.9, float("nan"), float("nan"), 0.1, 0.05, float("inf")]
    ours = replay_plateau(losses, 0.1, patience=2)
    used, reductions, _ = keras_replay(model, losses, 0.1, patience=2)
    assert ours.reductions == reductions == (3,)
    np.testing.assert_array_equal(ours.learning_rates, used)


def test_stateful_object_counts_like_keras():
    plateau = ReduceLROnPlateau(0.1, patience=2)
    assert [plateau.update(x) for x in [1.0, 1.0, 1.0, 1.0]] == [False, False, True, False]
    assert plateau.learning_rate == pytest.approx(0.01)
    plateau.reset()
    assert plateau.learning_rate == pytest.approx(0.1) and plateau.best is None


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"factor": 1.0}, "factor"),
        ({"factor": 1.5}, "factor"),
        ({"factor": 0.0}, "factor"),
        ({"patience": -1}, "patience"),
        ({"patience": 2.5}, "patience"),
        ({"cooldown": -1}, "cooldown"),
        ({"min_lr": -1e-3}, "min_lr"),
        ({"min_delta": -1e-4}, "min_delta"),
        ({"mode": "auto"}, "mode"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"dtype": "float16"}, "dtype"),
        ({"losses": [[1.0, 2.0]]}, "losses"),
        ({"losses": ["a", "b"]}, "losses"),
    ],
)
def test_bad_arguments(kwargs, argument):
    call = {"losses": [1.0, 0.9], "learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        replay_plateau(**call)


def test_keras_also_refuses_factor_one():
    with pytest.raises(ValueError, match="factor"):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)


# ---------------------------------------------------------------- Keras's algorithm, transcribed


def keras_algorithm(losses, lr, factor, patience, min_delta, cooldown, min_lr, mode, dtype):
    """Keras 3's ``ReduceLROnPlateau.on_epoch_end`` (and ``MonitorCallback._is_improvement``),
    written out line by line. The optimizer keeps the rate in a float32 variable, and
    ``ops.less``/``ops.greater`` compare float32 tensors; ``dtype="float64"`` drops both roundings.
    """
    cast = np.float32 if dtype == "float32" else np.float64
    signed_delta = -abs(min_delta) if mode == "min" else abs(min_delta)  # _set_monitor_op
    better = np.less if mode == "min" else np.greater
    variable, best, wait, cooldown_counter = cast(lr), None, 0, 0
    used, cuts = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch, current in enumerate(losses):
            used.append(float(variable))  # logs["learning_rate"]
            if cooldown_counter > 0:  # in_cooldown()
                cooldown_counter -= 1
                wait = 0
            if best is None or better(cast(current - signed_delta), cast(best)):
                best = current
                wait = 0
            elif not cooldown_counter > 0:
                wait += 1
                if wait >= patience:
                    old_lr = float(variable)
                    if old_lr > cast(min_lr):  # _reduce_optimizer_lr
                        variable = cast(max(old_lr * factor, min_lr))
                        cooldown_counter, wait = cooldown, 0
                        cuts.append(epoch)
    return used, tuple(cuts), float(variable)


values = st.one_of(
    st.floats(0, 2).map(lambda x: round(x, 3)),  # coarse: ties and exact min_delta steps happen
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e39, 0.0]),
)
knobs = st.fixed_dictionaries(
    {
        "factor": st.one_of(st.sampled_from([0.1, 0.5, 0.9]), st.floats(0.01, 0.99)),
        "patience": st.integers(0, 6),
        "min_delta": st.one_of(st.sampled_from([0.0, 1e-4, 1e-3, 0.01]), st.floats(0, 0.5)),
        "cooldown": st.integers(0, 4),
        "min_lr": st.one_of(st.sampled_from([0.0, 1e-3, 0.004, 0.02]), st.floats(0, 0.1)),
        "mode": st.sampled_from(["min", "max"]),
        "dtype": st.sampled_from(["float32", "float64"]),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    losses=st.lists(values, min_size=1, max_size=60),
    lr=st.one_of(st.sampled_from([0.1, 1.0]), st.floats(1e-4, 10)),
    args=knobs,
)
def test_replay_equals_keras_algorithm_on_random_traces(losses, lr, args):
    ours = replay_plateau(losses, lr, **args)
    used, cuts, final = keras_algorithm(losses, lr, **args)
    np.testing.assert_array_equal(ours.learning_rates, used)
    assert ours.reductions == cuts
    assert ours.final_learning_rate == final
    assert len(ours.best) == len(ours.wait) == len(ours.cooldown) == len(losses)


@settings(max_examples=25, deadline=None)
@given(losses=st.lists(values, min_size=1, max_size=30), lr=st.floats(1e-3, 1), args=knobs)
def test_replay_equals_the_real_keras_callback_on_random_traces(model, losses, lr, args):
    args["dtype"] = "float32"  # the real callback always rounds to float32
    # TensorFlow refuses a finite value beyond float32 (training could not log one anyway)
    losses = [x if not np.isfinite(x) or abs(x) < 1e38 else math.inf for x in losses]
    ours = replay_plateau(losses, lr, **args)
    used, reductions, final = keras_replay(model, losses, lr, **args)
    np.testing.assert_array_equal(ours.learning_rates, used)
    assert ours.reductions == reductions and ours.final_learning_rate == final


# ---------------------------------------------------------------- nothing fools it


@pytest.mark.parametrize("current", [None, "0.5", True, [0.5], {"loss": 0.5}, 10**400, object()])
def test_update_names_its_argument(current):
    plateau = ReduceLROnPlateau(0.1)
    with pytest.raises(ValueError, match="^current must"):
        plateau.update(current)
    assert plateau.best is None and plateau.wait == 0  # nothing was counted


def test_update_takes_numpy_numbers_nan_and_inf():
    plateau = ReduceLROnPlateau(0.1, patience=1)
    assert plateau.update(np.float32(1.0)) is False and plateau.best == 1.0
    assert plateau.update(np.array(math.nan)) is True  # nan never improves: one bad epoch, cut
    assert plateau.update(math.inf) is True  # nor does inf
    assert plateau.learning_rate == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"learning_rate": 1e39}, "learning_rate"),  # beyond float32: Keras would store inf
        ({"min_lr": 1e39}, "min_lr"),
        ({"learning_rate": True}, "learning_rate"),
        ({"patience": 10**7}, "patience"),
        ({"cooldown": "2"}, "cooldown"),
        ({"factor": float("nan")}, "factor"),
        ({"mode": None}, "mode"),
        ({"losses": []}, "losses"),
        ({"losses": 0.5}, "losses"),
        ({"losses": None}, "losses"),
        ({"losses": [1.0, None]}, "losses"),
        ({"losses": [True, False]}, "losses"),
        ({"losses": ["1.0", "0.9"]}, "losses"),
        ({"losses": range(10**12)}, "losses"),
        ({"losses": (x for x in [1.0, 0.9])}, "losses"),
    ],
)
def test_more_bad_arguments(kwargs, argument):
    call = {"losses": [1.0, 0.9], "learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        replay_plateau(**call)


def test_float64_takes_rates_beyond_float32():
    result = replay_plateau([1.0, 1.0], 1e39, patience=1, dtype="float64")
    assert result.final_learning_rate == pytest.approx(1e38)
