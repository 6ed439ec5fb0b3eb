"""Notebook 28 re-tests "Choosing a learning rate": the article's recipe, rates and optimizers, and
the data and model that replace its dog photos, are checked against the article's numbers, so
that an edit cannot drift from the article unnoticed."""

import functools

import numpy as np
import pytest

from lrcourse.data import load
from lrcourse.keras.articles import choosing
from lrcourse.keras.schedules import keras_curve
from lrcourse.keras.training import build_model, keras, loss_and_metrics, train

STEPS = 11  # ceil(1347 training digits / batches of 128)


@pytest.fixture(scope="module")
def digits():
    return choosing.dataset()


def test_the_article_values():
    article = choosing.ARTICLE
    assert article["annealing"] == {
        "values": (0.1, 0.01, 0.001),
        "boundaries": (400, 700),
        "epochs": 1000,
    }
    assert article["adam_rates"] == (1e-4, 1e-3, 1e-2)
    assert article["optimizers"] == ("RMSprop", "Adagrad", "Adadelta", "Adam")
    assert (article["prefer"], article["start_rate"]) == ("Adam", 1e-3)
    # the course's readings where the article is silent
    assert choosing.OPTIMIZERS == ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam")
    assert (choosing.MOMENTUM, choosing.SHARED_RATE) == (0.9, 1e-3)
    assert set(choosing.CHOSEN) >= {"annealing_optimizer", "shared_rate"}
    # the scaled run keeps the article's proportions: 40% at 0.1, 30% at 0.01, 30% at 0.001
    assert (choosing.SCALE, choosing.SETUP["epochs"]) == (20, 50)
    assert choosing.boundaries() == (400, 700)
    assert choosing.boundaries(scale=choosing.SCALE) == (20, 35)


def test_the_epoch_rule_is_the_recipe():
    rate = choosing.annealing_rate
    assert [rate(e) for e in (0, 399)] == [0.1, 0.1]
    assert [rate(e) for e in (400, 699)] == [0.01, 0.01]
    assert [rate(e) for e in (700, 999)] == [0.001, 0.001]
    scaled = [rate(e, scale=20) for e in range(50)]
    assert scaled == [0.1] * 20 + [0.01] * 15 + [0.001] * 15


@pytest.mark.parametrize("scale", [1, choosing.SCALE])
def test_the_schedule_gives_the_epoch_rule_at_every_update(scale):
    """PiecewiseConstantDecay's boundaries are upper-inclusive: the last update of epoch 399
    still trains at 0.1, the first of epoch 400 at 0.01, and every update from epoch 700 on at
    0.001 (each divided by ``scale``)."""
    schedule = choosing.annealing_schedule(STEPS, scale=scale)
    first, second = choosing.boundaries(scale=scale)
    assert list(schedule.boundaries) == [first * STEPS - 1, second * STEPS - 1]
    updates = np.arange(1000 // scale * STEPS)
    trained = keras_curve(schedule, updates)
    stated = [choosing.annealing_rate(int(e), scale=scale) for e in updates // STEPS]
    np.testing.assert_allclose(trained, stated, rtol=1e-6)
    assert trained[first * STEPS - 1] == pytest.approx(0.1)  # epoch 399's last update
    assert trained[first * STEPS] == pytest.approx(0.01)  # epoch 400's first
    assert trained[second * STEPS - 1] == pytest.approx(0.01)
    np.testing.assert_allclose(trained[second * STEPS :], 0.001, rtol=1e-6)  # epoch 700 on
    if scale == 1:
        assert list(schedule.boundaries) == [4399, 7699]


def test_the_callback_and_the_schedule_train_alike(digits):
    """The recipe as the epoch rule of a LearningRateScheduler and as the schedule object the
    notebook's race trains with: the same rate at every update, the same training (the recipe
    at scale 100: 10 epochs, switches when epochs 4 and 7 begin)."""
    common = {"epochs": 10, "batch_size": 128, "seed": 0, "hidden": choosing.SETUP["hidden"]}
    rule = functools.partial(choosing.annealing_rate, scale=100)
    by_callback = train(
        digits,
        choosing.optimizer("SGD", 0.5),  # any float: the callback sets the rate every epoch
        callbacks=[keras.callbacks.LearningRateScheduler(rule)],
        **common,
    )
    by_schedule = train(
        digits, choosing.optimizer("SGD", choosing.annealing_schedule(STEPS, scale=100)), **common
    )
    stated = [rule(e) for e in np.arange(10 * STEPS) // STEPS]
    np.testing.assert_allclose(by_callback.batch_learning_rates, stated, rtol=1e-6)
    np.testing.assert_allclose(by_schedule.batch_learning_rates, stated, rtol=1e-6)
    np.testing.assert_allclose(by_callback.batch_losses, by_schedule.batch_losses, rtol=1e-4)


def test_the_race_trains_the_recipe_as_train_does(digits):
    """The notebook's "SGD recipe" row: the race, given the recipe as a schedule object, trains
    seed 0 as ``train`` does with the same schedule, whose rates are checked update by update
    (the recipe at scale 100: 10 epochs, switches when epochs 4 and 7 begin, so both switches
    fall inside this short run)."""
    from lrcourse.keras.training import race_on_data

    common = {"batch_size": 128, "hidden": choosing.SETUP["hidden"]}
    schedule = choosing.annealing_schedule(STEPS, scale=100)
    race = race_on_data(
        digits,
        {"SGD recipe": choosing.optimizer("SGD", schedule)},
        seeds=(0,),
        epochs=10,
        score_training=False,
        **common,
    )
    alone = train(
        digits,
        choosing.optimizer("SGD", choosing.annealing_schedule(STEPS, scale=100)),
        epochs=10,
        seed=0,
        **common,
    )
    rule = functools.partial(choosing.annealing_rate, scale=100)
    stated = [rule(e) for e in np.arange(10 * STEPS) // STEPS]
    np.testing.assert_allclose(alone.batch_learning_rates, stated, rtol=1e-6)
    for key in ("val_loss", "val_accuracy", "loss"):
        np.testing.assert_allclose(
            race.curves("SGD recipe", key)[0, 1:], alone.history[key], rtol=2e-5, atol=1e-6
        )
    # the switches show in the race's curves: a constant 0.1 trains differently after epoch 4
    constant = race_on_data(
        digits,
        {"SGD 0.1": choosing.optimizer("SGD", 0.1)},
        seeds=(0,),
        epochs=10,
        score_training=False,
        **common,
    )
    np.testing.assert_allclose(
        constant.curves("SGD 0.1")[0, :5], race.curves("SGD recipe")[0, :5], rtol=2e-5
    )
    assert not np.allclose(constant.curves("SGD 0.1")[0, 5:], race.curves("SGD recipe")[0, 5:])


def test_the_callback_takes_the_rule_as_it_stands():
    """Keras calls a rule with (epoch, lr) and falls back to (epoch): scale is keyword-only."""
    with pytest.raises(TypeError):
        choosing.annealing_rate(3, 0.1)


@pytest.mark.parametrize("name", choosing.OPTIMIZERS)
def test_the_optimizers_and_their_settings(name):
    opt = choosing.optimizer(name, 0.001)
    assert type(opt) is getattr(keras.optimizers, name)
    assert float(opt.learning_rate) == pytest.approx(0.001)
    defaults = getattr(keras.optimizers, name)().get_config()
    config = opt.get_config()
    if name == "SGD":
        assert (config["momentum"], config["nesterov"]) == (0.9, False)
        defaults["momentum"] = 0.9
    for key in ("learning_rate", "name"):
        config.pop(key), defaults.pop(key)
    assert config == defaults  # everything else at Keras's defaults
    schedule = choosing.annealing_schedule(STEPS)
    assert choosing.optimizer(name, schedule).learning_rate is not None


def test_the_split_is_the_digits_of_the_course(digits):
    assert (len(digits.x_train), len(digits.x_val)) == (1347, 450)
    assert (digits.n_features, digits.n_classes) == (64, 10)
    assert (len(digits.x_train), len(digits.x_val)) == (
        choosing.SETUP["train_rows"],
        choosing.SETUP["validation_rows"],
    )
    same = load("digits", validation_fraction=0.25, seed=0)
    np.testing.assert_array_equal(digits.x_train, same.x_train)
    np.testing.assert_array_equal(digits.y_val, same.y_val)
    assert 0 <= digits.x_train.min() and digits.x_train.max() <= 1  # pixels 0..16 scaled
    held_out, total = np.bincount(digits.y_val), np.bincount(np.r_[digits.y_train, digits.y_val])
    assert np.abs(held_out - 0.25 * total).max() <= 1  # stratified: a quarter of every digit
    assert digits.steps_per_epoch(choosing.SETUP["batch_size"]) == STEPS


def test_the_model_is_32_relu_then_10_logits_under_cross_entropy(digits):
    model = build_model(digits, choosing.SETUP["hidden"], seed=0)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [32, choosing.SETUP["outputs"]]
    assert dense[0].activation.__name__ == choosing.SETUP["activation"] == "relu"
    assert dense[1].activation.__name__ == "linear"  # logits: the softmax lives in the loss
    assert model.count_params() == 2410
    loss, _ = loss_and_metrics(digits)
    assert isinstance(loss, keras.losses.SparseCategoricalCrossentropy)
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]], "float32")
    labels = np.array([0, 1])
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    softmax_ce = keras.losses.SparseCategoricalCrossentropy()(labels, softmax)
    assert float(loss(labels, logits)) == pytest.approx(float(softmax_ce), rel=1e-5)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: choosing.annealing_rate(-1), "epoch"),
        (lambda: choosing.annealing_rate(1000), "epoch"),
        (lambda: choosing.annealing_rate(50, scale=20), "epoch"),
        (lambda: choosing.annealing_rate(0, scale=3), "scale"),
        (lambda: choosing.boundaries(scale=0), "scale"),
        (lambda: choosing.annealing_schedule(0), "steps_per_epoch"),
        (lambda: choosing.annealing_schedule(11, scale=7), "scale"),
        (lambda: choosing.optimizer("Nadam", 0.1), "name"),
        (lambda: choosing.optimizer("SGD", -0.1), "learning_rate"),
        (lambda: choosing.optimizer("Adam", "0.001"), "learning_rate"),
    ],
)
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        call()
