"""Notebook 26 trains the diamonds article's experiment: the model, loss, optimizer, data split
and every update's learning rate are checked here against what the article states and what the
notebook chose, so that an edit cannot drift from either unnoticed."""

import math

import numpy as np
import pytest

from lrcourse.data import Dataset, article_split, raw_table
from lrcourse.keras.articles import diamonds
from lrcourse.keras.schedules import keras_curve
from lrcourse.keras.training import build_model, keras, loss_and_metrics, train
from lrcourse.schedules import Cyclical

STEPS = 338  # ceil(43152 training rows / batches of 128)
EPOCHS = 8


@pytest.fixture(scope="module")
def dataset():
    return article_split("diamonds")


def tfa_triangular(step, initial, maximal, step_size):
    """tensorflow-addons' CyclicalLearningRate.__call__ with scale_fn=lambda x: 1.0."""
    cycle = np.floor(1 + step / (2 * step_size))
    x = np.abs(step / step_size - 2 * cycle + 1)
    return initial + (maximal - initial) * np.maximum(0, 1 - x) * 1.0


def test_the_spec_is_the_articles():
    spec = diamonds.SPEC
    assert spec["dropped"] == ("cut", "color", "clarity") and spec["target"] == "price"
    assert spec["features"] == ("carat", "depth", "table", "x", "y", "z")
    assert spec["hidden"] == (50, 50) and spec["activation"] == "relu"
    assert (spec["output"], spec["loss"], spec["optimizer"]) == ("linear", "mae", "adam")
    assert spec["runs"] == ("constant", "exponential", "cyclical", "custom")


def test_the_chosen_values_are_the_notebooks():
    chosen = diamonds.CHOSEN
    assert (chosen["test_size"], chosen["random_state"]) == (0.2, 42)
    assert chosen["scaler"] == "StandardScaler" and "test_size" not in diamonds.SPEC
    assert (chosen["batch_size"], chosen["epochs"], chosen["article_batch_size"]) == (128, 8, 32)
    assert chosen["seeds"] == (0, 1, 2, 3, 4)
    assert chosen["constant"] == 0.001  # Adam's default (float32 in Keras)
    assert keras.optimizers.Adam().get_config()["learning_rate"] == pytest.approx(0.001)
    assert chosen["exponential"] == {"learning_rate": 0.01, "decay_rate": 0.9}
    cyc = chosen["cyclical"]
    assert (cyc["initial_learning_rate"], cyc["maximal_learning_rate"]) == (1e-4, 1e-2)
    assert cyc["step_size_epochs"] == 1 and cyc["scale_fn"] == "triangular"
    assert chosen["custom"] == {"starts": (0, 4, 6), "rates": (0.01, 0.001, 0.01)}
    sweep = np.array(chosen["sweep"])
    assert chosen["constant"] in chosen["sweep"] and np.all(sweep[1:] / sweep[:-1] <= 2)


def test_the_split_is_the_articles(dataset):
    columns, rows = raw_table("diamonds")
    kept = [c for c in columns if c not in diamonds.SPEC["dropped"] and c != "price"]
    assert tuple(kept) == diamonds.SPEC["features"] and len(rows) == 53940
    assert (len(dataset.x_train), len(dataset.x_val), dataset.n_features) == (43152, 10788, 6)
    assert dataset.task == "regression" and dataset.loss == "mae"
    assert dataset.steps_per_epoch(diamonds.CHOSEN["batch_size"]) == STEPS
    assert dataset.steps_per_epoch(diamonds.CHOSEN["article_batch_size"]) == 1349
    assert dataset.y_train.min() >= 326 and dataset.y_train.max() > 18000  # dollars, unscaled


def test_the_split_is_train_test_split_then_a_scaler_fitted_on_the_training_part(dataset):
    from sklearn.model_selection import train_test_split

    columns, rows = raw_table("diamonds")
    kept = [columns.index(name) for name in diamonds.SPEC["features"]]
    x = np.array([[float(row[i]) for i in kept] for row in rows])
    y = np.array([float(row[columns.index("price")]) for row in rows])
    chosen = diamonds.CHOSEN
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=chosen["test_size"], random_state=chosen["random_state"]
    )
    np.testing.assert_allclose(dataset.y_train, y_tr)
    np.testing.assert_allclose(dataset.y_val, y_va)
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    np.testing.assert_allclose(dataset.x_train, (x_tr - mean) / std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dataset.x_val, (x_va - mean) / std, rtol=1e-5, atol=1e-5)
    # scaled on the training part only: mean 0 and std 1 there, not on the held-out part
    np.testing.assert_allclose(dataset.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(dataset.x_train.std(axis=0), 1, atol=1e-4)


def test_the_model_is_50_50_relu_then_one_linear_output_under_mae(dataset):
    model = build_model(dataset, diamonds.SPEC["hidden"], seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [50, 50, 1]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "linear"]
    assert model.count_params() == 6 * 50 + 50 + 50 * 50 + 50 + 50 + 1
    loss, metrics = loss_and_metrics(dataset)
    assert isinstance(loss, keras.losses.MeanAbsoluteError) and metrics == []


def test_the_epoch_rules():
    assert [diamonds.exponential(e) for e in range(3)] == pytest.approx([0.01, 0.009, 0.0081])
    assert [diamonds.custom(e) for e in range(EPOCHS)] == [0.01] * 4 + [0.001] * 2 + [0.01] * 2
    flat = [diamonds.custom_without_raise(e) for e in range(EPOCHS)]
    assert flat == [0.01] * 4 + [0.001] * 4


@pytest.mark.parametrize("run", diamonds.RUNS)
def test_every_update_trains_at_the_rules_rate(run):
    """The Keras objects the notebook trains with give each epoch's rule at every update."""
    updates = np.arange(EPOCHS * STEPS)
    rate = diamonds.learning_rates(STEPS)[run]
    trained = keras_curve(rate, updates) if callable(rate) else np.full(len(updates), rate)
    stated = diamonds.rates(run, STEPS)
    np.testing.assert_allclose(trained, stated, rtol=1e-6)
    if run in ("exponential", "custom", "custom without raise"):
        rule = {
            "exponential": diamonds.exponential,
            "custom": diamonds.custom,
            "custom without raise": diamonds.custom_without_raise,
        }[run]
        per_epoch = [rule(e) for e in range(EPOCHS)]
        np.testing.assert_allclose(trained, np.repeat(per_epoch, STEPS), rtol=1e-6)


def test_the_cyclical_rate_is_tensorflow_addons_triangle():
    updates = np.arange(EPOCHS * STEPS)
    trained = keras_curve(diamonds.learning_rates(STEPS)["cyclical"], updates)
    np.testing.assert_allclose(trained, tfa_triangular(updates, 1e-4, 1e-2, STEPS), rtol=1e-6)
    assert trained[0] == pytest.approx(1e-4) and trained[STEPS] == pytest.approx(1e-2)
    assert trained[2 * STEPS] == pytest.approx(1e-4)  # step_size is half a cycle
    assert isinstance(diamonds.cyclical(STEPS), Cyclical)


def test_the_optimizers_are_adam_with_kerass_defaults():
    optimizers = diamonds.optimizers(STEPS)
    assert tuple(optimizers) == diamonds.RUNS
    default = keras.optimizers.Adam().get_config()
    for optimizer in optimizers.values():
        config = optimizer.get_config()
        assert isinstance(optimizer, keras.optimizers.Adam)
        for key in ("beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay"):
            assert config[key] == default[key]
    assert optimizers["constant"].get_config()["learning_rate"] == pytest.approx(0.001)


@pytest.mark.parametrize("run", ["exponential", "custom", "custom without raise"])
def test_the_articles_scheduler_callback_trains_at_the_same_rates(dataset, run):
    """The article's form, a LearningRateScheduler with the epoch rule, and the notebook's
    staircase schedule give the same rate to every update (on a slice: 8 batches an epoch)."""
    rows = 8 * 128
    part = Dataset(
        "diamonds_slice",
        "regression",
        dataset.x_train[:rows],
        dataset.y_train[:rows],
        dataset.x_val[:256],
        dataset.y_val[:256],
        "the first rows of the article's split",
        "mae",
    )
    rule = {
        "exponential": diamonds.exponential,
        "custom": diamonds.custom,
        "custom without raise": diamonds.custom_without_raise,
    }[run]
    run_by_callback = train(
        part,
        keras.optimizers.Adam(learning_rate=0.5),  # overwritten by the callback every epoch
        epochs=EPOCHS,
        batch_size=128,
        hidden=diamonds.SPEC["hidden"],
        callbacks=[keras.callbacks.LearningRateScheduler(rule)],
    )
    np.testing.assert_allclose(
        run_by_callback.history["learning_rate"], [rule(e) for e in range(8)]
    )
    staircase = keras_curve(diamonds.learning_rates(8)[run], np.arange(EPOCHS * 8))
    np.testing.assert_allclose(run_by_callback.batch_learning_rates, staircase, rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: diamonds.rates("linear", STEPS), "run"),
        (lambda: diamonds.rates("custom", 0), "steps_per_epoch"),
        (lambda: diamonds.rates("custom", STEPS, epochs=0), "epochs"),
        (lambda: diamonds.exponential(-1), "epoch"),
        (lambda: diamonds.custom(1.5), "epoch"),
        (lambda: diamonds.custom_without_raise(None), "epoch"),
        (lambda: diamonds.cyclical(0), "steps_per_epoch"),
        (lambda: diamonds.learning_rates(2.5), "steps_per_epoch"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        call()


def test_the_rates_count_epochs_from_zero():
    rates = diamonds.rates("custom", 3)
    assert len(rates) == EPOCHS * 3 and rates[3 * 4 - 1] == 0.01 and rates[3 * 4] == 0.001
    assert math.isclose(diamonds.rates("exponential", 3)[-1], 0.01 * 0.9**7)
