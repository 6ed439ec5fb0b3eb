"""Course schedules inside real Keras training: per batch, per epoch, saved and loaded."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lrcourse import schedules as S
from lrcourse.optimizers import SGD

keras = S._keras()  # quiet TensorFlow, then import Keras

# Keras 3.15 reads variables with np.array(variable) when saving and in LearningRateScheduler,
# which NumPy 2 reports as deprecated; it is Keras's business, not something these tests check.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

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
    """The same descent with the hand-written SGD, in float32 like Keras."""
    opt = SGD(learning_rate=schedule)
    w = np.zeros(1, dtype="float32")
    state = opt.init(w)
    for _ in range(steps):
        w, state = opt.update(w, 2 * (w - 1), state)
    return w


SCHEDULE = S.warmup(S.CosineDecay(0.2, 6, alpha=0.1), 3, start=0.05)  # changes at every step


@pytest.fixture(scope="module")
def trained():
    model = one_weight_model(SCHEDULE.to_keras())
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
    w = model.layers[0].kernel.numpy().ravel()
    np.testing.assert_allclose(w, hand_trajectory(SCHEDULE, 8), rtol=1e-6)
    # an off-by-one (update k using schedule(k + 1)) would land elsewhere
    shifted = hand_trajectory(lambda step: SCHEDULE(step + 1), 8)
    assert abs(w[0] - shifted[0]) > 1e-3


def test_saved_and_loaded_model_keeps_our_schedule(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    schedule = loaded.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule)
    assert type(schedule.schedule) is S.Warmup
    assert schedule.schedule.get_config() == SCHEDULE.get_config()
    assert int(loaded.optimizer.iterations) == 8
    assert float(loaded.optimizer.learning_rate) == pytest.approx(SCHEDULE(8), rel=1e-6)
    saved = loaded.optimizer.get_config()["learning_rate"]
    assert saved["registered_name"] == "lrcourse>KerasSchedule"


def test_a_fresh_kernel_loads_after_register_keras(trained, tmp_path):
    model, _ = trained
    path = tmp_path / "model.keras"
    model.save(path)
    code = (
        "import json, sys, lrcourse.schedules as S; S.register_keras(); import keras;"
        "m = keras.saving.load_model(sys.argv[1]);"
        "print(json.dumps(S.serialize(m.optimizer._learning_rate.schedule)))"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == S.serialize(SCHEDULE)


def test_epoch_callback_gets_0_based_epochs_and_returns_a_float():
    schedule = S.StepDecay(0.1, 0.5, 1)  # halves every epoch
    callback = schedule.as_epoch_callback()
    assert isinstance(callback, keras.callbacks.LearningRateScheduler)
    assert type(callback.schedule(0)) is float and callback.schedule(0) == 0.1
    assert callback.schedule(2, 0.1) == 0.025  # Keras first tries schedule(epoch, lr)

    model = one_weight_model(0.5)
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[callback])
    # epoch 1 of fit's output is epoch 0 for the callback: it trains with schedule(0)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025], rtol=1e-6)
    w = model.layers[0].kernel.numpy().ravel()
    np.testing.assert_allclose(w, hand_trajectory(schedule, 3), rtol=1e-6)
