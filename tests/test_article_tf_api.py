"""Faithfulness of notebooks 27a to 27c to "Learning rate decay", the TensorFlow API walk-through.

The article's TensorFlow 1 calls (``lrcourse.keras.articles.tf_api``) with the values the course
chose for them, their Keras 3 forms, the rates each gives at every step (boundaries, stairs and
restarts included), the ReduceLROnPlateau settings, and the experiment the notebook trains.
"""

import inspect
import re

import numpy as np
import pytest

from lrcourse import data, schedules
from lrcourse.keras.articles import tf_api
from lrcourse.keras.training import REFERENCE, build_model, loss_and_metrics, train
from lrcourse.plateau import replay_plateau

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

STEPS = 3000  # past the stairs at 110 k, the boundaries 220 and 330, the restarts 110, 440, 1430


@pytest.fixture(scope="module")
def tf1():
    return tf_api.tf1_rates(STEPS)


@pytest.fixture(scope="module")
def trained():
    return tf_api.compiled_rates(STEPS)


def documented(name, steps):
    """Each call's rate as TensorFlow's documentation writes it, in float64."""
    if name == "exponential":
        return 0.9 * 0.5 ** (steps // 110)
    if name == "exponential, smooth":
        return 0.9 * 0.5 ** (steps / 110)
    if name == "piecewise":
        return np.where(steps <= 220, 0.9, np.where(steps <= 330, 0.45, 0.09))
    return schedules.CosineDecayRestarts(0.9, 110, 3.0, 0.5, 0.01)(steps)


# ---------------------------------------------------------------- the article's calls and values


@pytest.mark.parametrize("key", ["exponential", "piecewise", "cosine restarts", "minimize"])
def test_the_article_calls_exist_in_tensorflow_1_with_these_arguments(key):
    call = tf_api.ARTICLE_CALLS[key]
    match = re.fullmatch(r"tf\.train\.(\w+)\((.*?)\)(?:\.minimize\((.*)\))?", call)
    assert match, call
    function = getattr(tf.compat.v1.train, match.group(1))
    assert not hasattr(tf.train, match.group(1))  # gone from TensorFlow 2's tf.train
    parameters = list(inspect.signature(function).parameters)
    arguments = [a.strip() for a in match.group(2).split(",")]
    positional = [a for a in arguments if "=" not in a]
    assert len(positional) <= len(parameters)
    for argument in arguments:
        if "=" in argument:
            assert argument.split("=")[0] in parameters
    if key == "minimize":
        assert "global_step" in inspect.signature(function.minimize).parameters


def test_the_chosen_values_are_those_the_notebook_states():
    assert tf_api.START == 2 * REFERENCE["baseline_learning_rate"] == 0.9
    assert tf_api.EXPONENTIAL == {
        "learning_rate": 0.9,
        "decay_steps": 110,
        "decay_rate": 0.5,
        "staircase": True,
    }
    assert tf_api.PIECEWISE == {"boundaries": (220, 330), "values": (0.9, 0.45, 0.09)}
    assert tf_api.COSINE_RESTARTS == {
        "learning_rate": 0.9,
        "first_decay_steps": 110,
        "t_mul": 3.0,
        "m_mul": 0.5,
        "alpha": 0.01,
    }
    assert tf_api.PLATEAU == {
        "monitor": "val_loss",
        "factor": 0.5,
        "patience": 2,
        "min_delta": 0.01,
        "min_lr": 0.001,
    }
    assert set(tf_api.CHOSEN) == {"START", "EXPONENTIAL", "PIECEWISE", "COSINE_RESTARTS", "PLATEAU"}


def test_the_experiment_is_part_iii_reference_experiment():
    t = tf_api.TRAINING
    for key in ("dataset", "hidden", "batch_size", "epochs", "seeds", "sweep"):
        assert t[key] == REFERENCE[key], key
    digits = data.load(t["dataset"])
    assert (len(digits.x_train), len(digits.x_val)) == (1347, 450)
    assert digits.n_features == t["inputs"] == 64 and digits.n_classes == t["outputs"] == 10
    assert digits.steps_per_epoch(t["batch_size"]) == t["steps_per_epoch"] == 22
    model = build_model(digits, t["hidden"], seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [32, 10]
    assert [layer.activation.__name__ for layer in dense] == [t["activation"], "linear"]
    loss, _ = loss_and_metrics(digits)
    assert isinstance(loss, keras.losses.SparseCategoricalCrossentropy)
    assert loss.get_config()["from_logits"] is True
    assert t["optimizer"] == "SGD" and t["momentum"] == 0.0


def test_the_keras_forms_take_the_chosen_values():
    s = tf_api.keras_schedules()
    assert list(s) == list(tf_api.NAMES)
    exp = s["exponential"].get_config()
    assert (exp["initial_learning_rate"], exp["decay_steps"], exp["decay_rate"]) == (0.9, 110, 0.5)
    assert exp["staircase"] is True and s["exponential, smooth"].get_config()["staircase"] is False
    piece = s["piecewise"].get_config()
    assert list(piece["boundaries"]) == [220, 330] and list(piece["values"]) == [0.9, 0.45, 0.09]
    cos = s["cosine restarts"].get_config()
    assert (cos["initial_learning_rate"], cos["first_decay_steps"]) == (0.9, 110)
    assert (cos["t_mul"], cos["m_mul"], cos["alpha"]) == (3.0, 0.5, 0.01)


def test_the_plateau_callback_has_the_chosen_settings_and_is_fresh():
    callback = tf_api.plateau_callback()
    assert isinstance(callback, keras.callbacks.ReduceLROnPlateau)
    assert (callback.monitor, callback.factor, callback.patience) == ("val_loss", 0.5, 2)
    assert (callback.min_delta, callback.min_lr, callback.cooldown) == (0.01, 0.001, 0)
    assert tf_api.plateau_callback() is not callback


# ---------------------------------------------------------------- rate against rate, every step


@pytest.mark.parametrize("name", tf_api.NAMES)
def test_each_keras_form_gives_the_tf1_rate_at_every_step(tf1, trained, name):
    assert tf1[name].shape == trained[name].shape == (STEPS,)
    np.testing.assert_array_equal(tf1[name], trained[name])


@pytest.mark.parametrize("name", tf_api.NAMES)
def test_called_in_python_each_keras_form_gives_the_documented_rate(name):
    steps = np.arange(STEPS)
    printed = np.asarray(tf_api.keras_schedules()[name](steps), dtype=float)
    np.testing.assert_allclose(printed, documented(name, steps), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["exponential, smooth", "piecewise", "cosine restarts"])
def test_as_trained_the_other_forms_give_the_documented_rate_too(trained, name):
    np.testing.assert_allclose(
        trained[name], documented(name, np.arange(STEPS)), rtol=1e-6, atol=1e-7
    )


def test_the_staircase_is_discrete_and_the_smooth_decay_is_not(trained):
    stairs, smooth = trained["exponential"], trained["exponential, smooth"]
    levels = 0.9 * 0.5 ** np.arange(STEPS // 110 + 1)
    assert np.isclose(stairs[:, None], levels[None, :], rtol=1e-6).any(axis=1).all()
    starts = np.flatnonzero(np.diff(stairs) < 0) + 1
    assert len(starts) == (STEPS - 1) // 110
    assert all(s % 110 in (0, 1) for s in starts)  # at a multiple, or one step late
    assert np.all(np.diff(smooth) < 0)  # a new rate at every step
    assert np.all(stairs >= smooth * (1 - 1e-6))


def test_compiled_the_staircase_is_late_exactly_where_float32_says(trained):
    steps = np.arange(STEPS)
    late = np.flatnonzero(~np.isclose(trained["exponential"], documented("exponential", steps)))
    assert late.tolist() == [110, 220, 440, 880, 1760]
    reciprocal = np.float32(1) / np.float32(110)
    emulated = 0.9 * 0.5 ** np.floor(steps.astype("float32") * reciprocal)
    np.testing.assert_allclose(trained["exponential"], emulated, rtol=1e-6)


def test_without_constant_folding_the_compiled_staircase_is_not_late():
    before = tf.config.optimizer.get_experimental_options()
    tf.config.optimizer.set_experimental_options({"constant_folding": False})
    try:
        rates = tf_api.compiled_rates(450)["exponential"]
    finally:
        tf.config.optimizer.set_experimental_options(
            {"constant_folding": before.get("constant_folding", True)}
        )
    np.testing.assert_allclose(rates, documented("exponential", np.arange(450)), rtol=1e-6)


def traced_staircase(decay_steps, steps, jit_compile):
    """ExponentialDecay(0.9, decay_steps, 0.5, staircase=True) at steps 0 to steps - 1, the step a
    loop variable as in a train step, in a traced function (with XLA if jit_compile)."""
    schedule = keras.optimizers.schedules.ExponentialDecay(0.9, decay_steps, 0.5, staircase=True)

    @tf.function(jit_compile=jit_compile, autograph=False)
    def every_step():
        def one_more(step, table):
            return step + 1, table.write(
                tf.cast(step, tf.int32), tf.cast(schedule(step), tf.float32)
            )

        table = tf.TensorArray(tf.float32, size=steps)
        start = tf.constant(0, tf.int64)
        _, table = tf.while_loop(lambda step, _: step < steps, one_more, (start, table))
        return table.stack()

    return every_step().numpy().astype(float)


def late_steps(rates, decay_steps):
    steps = np.arange(len(rates))
    return np.flatnonzero(~np.isclose(rates, 0.9 * 0.5 ** (steps // decay_steps))).tolist()


@pytest.mark.parametrize("constant_folding", [True, False])
def test_with_xla_the_staircase_is_late_too_with_or_without_constant_folding(constant_folding):
    before = tf.config.optimizer.get_experimental_options()
    tf.config.optimizer.set_experimental_options({"constant_folding": constant_folding})
    try:
        rates = traced_staircase(110, 450, jit_compile=True)
    finally:
        tf.config.optimizer.set_experimental_options(
            {"constant_folding": before.get("constant_folding", True)}
        )
    assert late_steps(rates, 110) == [110, 220, 440]


@pytest.mark.parametrize("decay_steps", [10, 22, 55, 100, 330, 1000])
def test_the_float32_product_predicts_which_decay_steps_have_late_stairs(decay_steps):
    """Notebook 27b's one-line check (section 2) against a traced staircase, 20 stairs long."""
    k = np.arange(1, 21)
    product = np.float32(k * decay_steps) * (np.float32(1) / np.float32(decay_steps))
    predicted = (k[np.floor(product) < k] * decay_steps).tolist()
    rates = traced_staircase(decay_steps, 20 * decay_steps + 1, jit_compile=False)
    assert late_steps(rates, decay_steps) == predicted
    assert (decay_steps in (10, 22, 100, 1000)) == (predicted == [])


def test_the_piecewise_boundaries_are_upper_inclusive(trained):
    rates = trained["piecewise"]
    np.testing.assert_allclose(rates[[219, 220, 221]], [0.9, 0.9, 0.45], rtol=1e-6)
    np.testing.assert_allclose(rates[[329, 330, 331]], [0.45, 0.45, 0.09], rtol=1e-6)


def test_the_cosine_restarts_follow_t_mul_m_mul_and_alpha(trained):
    rates = trained["cosine restarts"]
    restarts = np.flatnonzero(np.diff(rates) > 0) + 1
    assert restarts.tolist() == [110, 440, 1430]
    peaks = rates[[0, *restarts]]
    np.testing.assert_allclose(peaks, 0.9 * (0.99 * 0.5 ** np.arange(4) + 0.01), rtol=1e-5)
    assert rates.min() >= 0.009 * (1 - 1e-6)
    assert rates[439] == pytest.approx(0.009, rel=2e-3)  # the second period ends with the run


# ---------------------------------------------------------------- what training really uses


def recorder_rates(schedule, updates=450):
    """The rate of every update of model.fit, read from a recorder (weight k: gradient 1 at k)."""
    recorder = keras.Sequential(
        [keras.Input((updates,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    recorder.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule),
        loss=lambda y, p: keras.ops.mean(p),
        steps_per_execution=updates,
    )
    one_hot = np.eye(updates, dtype="float32")
    recorder.fit(one_hot, one_hot[:, :1], batch_size=1, shuffle=False, verbose=0)
    assert int(recorder.optimizer.iterations) == updates
    return -recorder.get_weights()[0][:, 0].astype(float)


def test_fit_trains_with_the_compiled_rates_at_every_update():
    compiled = tf_api.compiled_rates(450)
    for name, schedule in tf_api.keras_schedules().items():
        np.testing.assert_array_equal(recorder_rates(schedule), compiled[name], err_msg=name)


def test_the_article_minimize_with_global_step_uses_the_same_rates(tf1):
    v1, e = tf.compat.v1, tf_api.EXPONENTIAL
    with tf.Graph().as_default():
        global_step = tf.Variable(0, trainable=False)
        recorder = tf.Variable(tf.zeros(450))
        loss = tf.gather(recorder, global_step)
        rate = v1.train.exponential_decay(
            e["learning_rate"], global_step, e["decay_steps"], e["decay_rate"], staircase=True
        )
        train_op = v1.train.GradientDescentOptimizer(rate).minimize(loss, global_step=global_step)
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            for _ in range(450):
                session.run(train_op)
            used, count = -session.run(recorder), session.run(global_step)
    assert count == 450
    np.testing.assert_array_equal(used.astype(float), tf1["exponential"][:450])


def test_reduce_on_plateau_trains_as_its_rule_replays():
    digits = data.load("digits")
    run = train(
        digits,
        keras.optimizers.SGD(learning_rate=tf_api.START),
        epochs=20,
        batch_size=64,
        seed=0,
        hidden=tf_api.TRAINING["hidden"],
        callbacks=[tf_api.plateau_callback()],
        fast=True,
    )
    settings = {k: v for k, v in tf_api.PLATEAU.items() if k != "monitor"}
    replayed = replay_plateau(run.history["val_loss"], tf_api.START, **settings)
    np.testing.assert_allclose(replayed.learning_rates, run.history["learning_rate"], rtol=1e-6)
    assert replayed.reductions  # the settings do cut the rate within 20 epochs


@pytest.mark.parametrize("function", [tf_api.tf1_rates, tf_api.compiled_rates])
@pytest.mark.parametrize("steps", [0, -1, 1.5, True, "10", tf_api.MAX_STEPS + 1])
def test_a_bad_number_of_steps_is_refused(function, steps):
    with pytest.raises(ValueError, match="steps"):
        function(steps)
