"""Notebook 25 trains the decay article's experiment as the article states it: the model, loss,
data split, optimizers and every update's learning rate are checked against the article's
numbers, so that an edit cannot drift from the article unnoticed."""

import math

import numpy as np
import pytest

from lrcourse.data import article_split
from lrcourse.keras.articles import decay
from lrcourse.keras.schedules import keras_curve
from lrcourse.keras.training import build_model, keras, loss_and_metrics, train

STEPS = 9  # ceil(235 training rows / batches of 28)


@pytest.fixture(scope="module")
def ionosphere():
    return article_split("ionosphere")


def test_the_spec_is_the_articles():
    spec = decay.SPEC
    assert spec["inputs"] == 34 and spec["hidden"] == (34,) and spec["activation"] == "relu"
    assert spec["output"] == "sigmoid" and spec["loss"] == "binary_crossentropy"
    assert (spec["validation_split"], spec["epochs"], spec["batch_size"]) == (0.33, 50, 28)
    runs = spec["runs"]
    assert runs["constant"] == {"learning_rate": 0.1, "momentum": 0.0}
    assert (
        runs["time-based"]["decay"] == pytest.approx(0.1 / 50)
        and runs["time-based"]["momentum"] == 0.8
    )
    assert runs["step"] == {"learning_rate": 0.1, "drop": 0.5, "epochs_drop": 10, "momentum": 0.9}
    assert runs["exponential"] == {"learning_rate": 0.01, "k": 0.01, "momentum": 0.9}


def test_the_epoch_rules_are_the_articles_formulas():
    for epoch in range(50):
        assert decay.step_decay(epoch) == 0.1 * 0.5 ** math.floor(epoch / 10)
        assert decay.exp_decay(epoch) == pytest.approx(0.01 * math.exp(-0.01 * epoch))
    assert decay.step_decay(9) == 0.1 and decay.step_decay(10) == 0.05  # epochs count from 0


def test_the_split_is_kerass_validation_split_and_the_batches_are_the_articles(ionosphere):
    assert (len(ionosphere.x_train), len(ionosphere.x_val)) == (235, 116)
    assert ionosphere.n_features == decay.SPEC["inputs"]
    assert ionosphere.steps_per_epoch(decay.SPEC["batch_size"]) == STEPS


def test_the_model_is_34_relu_then_one_output_under_cross_entropy(ionosphere):
    model = build_model(ionosphere, decay.SPEC["hidden"], seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [34, 1]
    assert dense[0].activation.__name__ == "relu"
    # the sigmoid lives in the loss: cross-entropy on logits is the article's sigmoid + BCE
    loss, _ = loss_and_metrics(ionosphere)
    assert isinstance(loss, keras.losses.BinaryCrossentropy)
    logits = np.array([[-2.0], [0.5]], "float32")
    labels = np.array([[0.0], [1.0]], "float32")
    sigmoid_bce = keras.losses.BinaryCrossentropy()(labels, 1 / (1 + np.exp(-logits)))
    assert float(loss(labels, logits)) == pytest.approx(float(sigmoid_bce), rel=1e-5)


@pytest.mark.parametrize("run", decay.RUNS)
def test_every_update_trains_at_the_articles_rate(run):
    """The Keras 3 objects give the article's rate at every one of the 450 updates: Keras 2's
    per-update time-based decay, and the epoch rules held for each epoch's updates."""
    updates = np.arange(50 * STEPS)
    rate = decay.learning_rates(STEPS)[run]
    trained = keras_curve(rate, updates) if callable(rate) else np.full(len(updates), rate)
    stated = decay.rates(run, STEPS)
    np.testing.assert_allclose(trained, stated, rtol=1e-6)
    if run == "time-based":
        assert stated[-1] == pytest.approx(0.1 / (1 + 0.002 * 449))
    if run == "step":
        assert stated[10 * STEPS - 1] == 0.1 and stated[10 * STEPS] == 0.05


def test_the_optimizers_carry_the_articles_momenta():
    for run, optimizer in decay.optimizers(STEPS).items():
        assert isinstance(optimizer, keras.optimizers.SGD) and not optimizer.nesterov
        assert optimizer.momentum == decay.SPEC["runs"][run]["momentum"]


def test_the_scheduler_overrides_the_zero_rate(ionosphere):
    """The article's SGD(lr=0.0) with a LearningRateScheduler trains at the scheduler's rates."""
    run = train(
        ionosphere,
        keras.optimizers.SGD(learning_rate=0.0, momentum=0.9),
        epochs=12,
        batch_size=28,
        seed=0,
        hidden=(34,),
        callbacks=[keras.callbacks.LearningRateScheduler(decay.step_decay)],
    )
    np.testing.assert_allclose(
        run.history["learning_rate"], [decay.step_decay(e) for e in range(12)]
    )
    np.testing.assert_allclose(run.batch_learning_rates, decay.rates("step", STEPS, 12), rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: decay.rates("linear", STEPS), "run"),
        (lambda: decay.rates("step", 0), "steps_per_epoch"),
        (lambda: decay.rates("step", STEPS, epochs=0), "epochs"),
        (lambda: decay.learning_rates(2.5), "steps_per_epoch"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        call()
