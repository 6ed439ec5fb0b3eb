"""The Keras adapter in real training: update k uses schedule(k), a model compiled with it saves
and loads, the epoch callback passes 0-based epochs; and the adapter's argument contract."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lrcourse import schedules as S
from lrcourse.keras import schedules as KS
from lrcourse.keras.schedules import KerasSchedule, epoch_callback, keras_curve, to_keras

keras = KS.keras
K = keras.optimizers.schedules

# A one-weight model: loss (w - 1)^2 on every sample, so each step is w -= lr * 2 (w - 1).
X = np.ones((8, 1), dtype="float32")
Y = np.ones((8, 1), dtype="float32")


def one_weight_model(learning_rate):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def hand_trajectory(schedule, steps):
    """The same descent by hand, in float32 like Keras: update k uses schedule(k)."""
    w = np.float32(0.0)
    for k in range(steps):
        w = np.float32(w - np.float32(schedule(k)) * np.float32(2) * (w - np.float32(1)))
    return w


SCHEDULE = S.warmup(S.CosineDecay(0.2, 6, alpha=0.1), 3, start=0.05)  # changes at every step


@pytest.fixture(scope="module")
def trained():
    model = one_weight_model(to_keras(SCHEDULE))
    rates = []
    for _ in range(2):  # 2 epochs of 4 batches; read the rate after each epoch
        model.fit(X, Y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        rates.append(float(model.optimizer.learning_rate))
    return model, rates


def test_optimizer_learning_rate_follows_the_schedule(trained):
    model, rates = trained
    assert int(model.optimizer.iterations) == 8
    # after N updates Keras reports schedule(N): the rate the next update will use
    np.testing.assert_allclose(rates, [SCHEDULE(4), SCHEDULE(8)], rtol=1e-6)


def test_update_k_uses_schedule_k(trained):
    model, _ = trained
    w = float(model.layers[0].kernel.numpy().ravel()[0])
    assert w == pytest.approx(float(hand_trajectory(SCHEDULE, 8)), rel=1e-6)
    # an off-by-one (update k using schedule(k + 1)) would land elsewhere
    assert abs(w - hand_trajectory(lambda step: SCHEDULE(step + 1), 8)) > 1e-3


def test_saved_and_loaded_model_keeps_our_schedule(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    schedule = loaded.optimizer._learning_rate
    assert isinstance(schedule, KerasSchedule)
    assert type(schedule.schedule) is S.Warmup
    assert schedule.schedule.get_config() == SCHEDULE.get_config()
    assert int(loaded.optimizer.iterations) == 8
    assert float(loaded.optimizer.learning_rate) == pytest.approx(SCHEDULE(8), rel=1e-6)
    saved = loaded.optimizer.get_config()["learning_rate"]
    assert saved["registered_name"] == "lrcourse>KerasSchedule"


def test_a_fresh_kernel_loads_after_importing_the_adapter(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "model.keras"
    model.save(path)
    code = (
        "import json, sys, keras, lrcourse.keras.schedules as KS, lrcourse.schedules as S;"
        "m = keras.saving.load_model(sys.argv[1], custom_objects=KS.custom_objects());"
        "print(json.dumps(S.serialize(m.optimizer._learning_rate.schedule)))"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == S.serialize(SCHEDULE)


def test_epoch_callback_gets_0_based_epochs_and_returns_a_float():
    schedule = S.step_decay(0.1, 0.5, 1)  # halves every epoch
    callback = epoch_callback(schedule)
    assert isinstance(callback, keras.callbacks.LearningRateScheduler)
    assert type(callback.schedule(0)) is float and callback.schedule(0) == 0.1
    assert callback.schedule(2, 0.1) == 0.025  # Keras first tries schedule(epoch, lr)

    model = one_weight_model(0.5)
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[callback])
    # epoch 1 of fit's output is epoch 0 for the callback: it trains with schedule(0)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025], rtol=1e-6)
    w = model.layers[0].kernel.numpy().ravel()[0]
    assert w == pytest.approx(float(hand_trajectory(schedule, 3)), rel=1e-6)


def test_epoch_callback_takes_any_function_and_checks_what_it_returns():
    assert epoch_callback(lambda epoch: 0.1 / (1 + epoch)).schedule(3) == 0.025
    for bad in (lambda epoch: "fast", lambda epoch: float("nan"), lambda epoch: -0.1):
        with pytest.raises(ValueError, match="schedule"):
            epoch_callback(bad).schedule(0)


# ------------------------------------------------------------------ the adapter's contract


def test_adapter_is_a_registered_keras_schedule():
    adapter = to_keras(S.CosineDecay(0.1, 10))
    assert isinstance(adapter, K.LearningRateSchedule) and type(adapter) is KerasSchedule
    assert keras.saving.get_registered_name(KerasSchedule) == "lrcourse>KerasSchedule"
    assert KS.custom_objects() == {"lrcourse>KerasSchedule": KerasSchedule}
    assert adapter(3).dtype == "float32"
    builtin = K.ExponentialDecay(0.1, 10, 0.5)
    assert to_keras(builtin) is builtin  # a Keras schedule already
    assert "CosineDecay" in repr(adapter)


def test_adapter_round_trips_through_keras_serialization():
    for schedule in (
        S.step_decay(0.1, 0.5, 3),
        S.sequence([S.Constant(0.1), S.Cyclical(0.1, 1, 4)], [5]),
    ):
        rebuilt = K.deserialize(json.loads(json.dumps(K.serialize(to_keras(schedule)))))
        assert type(rebuilt) is KerasSchedule
        assert rebuilt.schedule.get_config() == schedule.get_config()
        assert rebuilt.schedule.counts == schedule.counts


def test_eager_steps_are_checked_like_numpy_steps():
    adapter = to_keras(S.CosineDecay(0.1, 10))
    for bad in (-1, np.int64(-3), keras.ops.convert_to_tensor(-2), [0, -1], "3", None, True, {}):
        with pytest.raises(ValueError, match="step"):
            adapter(bad)
    variable = keras.Variable(4, dtype="int64")
    assert float(adapter(variable)) == pytest.approx(S.CosineDecay(0.1, 10)(4), rel=1e-7)


def test_the_traced_and_compiled_adapter_equal_the_numpy_curve():
    import tensorflow as tf

    schedule = S.sequence(
        [S.CosineDecayRestarts(1.0, 1, t_mul=3.0), S.ExponentialDecay(1.0, 110, 0.5, True)], [364]
    )
    steps = np.array([0, 1, 3, 4, 12, 13, 39, 40, 120, 121, 363, 364, 473, 474, 584, 694])
    adapter = to_keras(schedule)
    for jit in (False, True):
        compiled = tf.function(adapter.__call__, jit_compile=jit)
        got = np.array([float(compiled(tf.constant(k, tf.int64))) for k in steps])
        np.testing.assert_allclose(got, schedule(steps), rtol=1e-7, atol=0)


def test_keras_curve_shapes_and_inputs():
    schedule = S.ExponentialDecay(0.1, 10, 0.5)
    steps = np.arange(12).reshape(3, 4)
    out = keras_curve(schedule, steps)
    assert out.dtype == np.float64 and out.shape == (3, 4)
    np.testing.assert_allclose(out, schedule(steps), rtol=1e-7)
    np.testing.assert_allclose(keras_curve(schedule, [2.5]), [schedule(2.5)], rtol=1e-7)
    assert keras_curve(schedule, []).shape == (0,)
    builtin = K.CosineDecay(0.0, 40, warmup_target=0.1, warmup_steps=10)  # needs one step at a time
    ours = S.CosineDecay(0.0, 40, warmup_target=0.1, warmup_steps=10)
    np.testing.assert_allclose(keras_curve(builtin, np.arange(60)), ours(np.arange(60)), atol=1e-8)


BAD = [
    (lambda: to_keras(lambda step: 0.1), "schedule"),
    (lambda: to_keras(0.1), "schedule"),
    (lambda: KerasSchedule("CosineDecay"), "schedule"),
    (lambda: KerasSchedule({}), "schedule"),
    (lambda: KerasSchedule({"schedule": "Nope"}), "config"),
    (
        lambda: KerasSchedule.from_config({"schedule": S.serialize(S.Constant(0.1)), "x": 1}),
        "config",
    ),
    (lambda: epoch_callback(0.1), "schedule"),
    (lambda: epoch_callback(S.Constant(0.1), verbose="yes"), "verbose"),
    (lambda: epoch_callback(S.Constant(0.1), verbose=-1), "verbose"),
    (lambda: keras_curve(S.Constant(0.1), [-1, 2]), "steps"),
    (lambda: keras_curve(S.Constant(0.1), np.zeros(10**6 + 1)), "steps"),
    (lambda: keras_curve(S.Constant(0.1), "0 to 10"), "steps"),
    (lambda: keras_curve(lambda step: 0.1, [1, 2]), "schedule"),
]


@pytest.mark.parametrize("make, argument", BAD, ids=[f"{i}-{a}" for i, (_, a) in enumerate(BAD)])
def test_bad_arguments_raise_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        make()
