"""The optimizer race on real data: many networks trained side by side in one graph, each as
``train`` trains it alone; epoch 0 is the seed's untrained network, divergence is reported, and
bad input is named."""

import numpy as np
import pytest

from lrcourse import data
from lrcourse.keras import training as T

keras = T.keras


@pytest.fixture(scope="module")
def wine():
    return data.load("wine")


def optimizers():
    return {
        "Adam": keras.optimizers.Adam(learning_rate=1e-2),
        "Momentum": keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        "Momentum slow": keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    }


@pytest.fixture(scope="module")
def race(wine):
    """Three settings x seeds 0 and 1, two epochs of batches of 32."""
    return T.race_on_data(wine, optimizers(), seeds=(0, 1), epochs=2, batch_size=32)


def test_every_curve_is_the_run_train_makes(wine, race):
    """Side by side in one graph, each network trains as ``train`` trains it alone (float32:
    the same operations summed in another order, so equal to rounding, not to the bit)."""
    for name, opt in optimizers().items():
        for s, seed in enumerate(race.seeds):
            run = T.train(
                wine, opt.from_config(opt.get_config()), epochs=2, batch_size=32, seed=seed
            )
            for key in ("val_loss", "val_accuracy"):
                np.testing.assert_allclose(
                    race.curves(name, key)[s, 1:], run.history[key], rtol=2e-5, atol=1e-6
                )
    assert race.steps == 2 * wine.steps_per_epoch(32) and race.steps_per_epoch == 5
    assert race.history["loss"].shape == (3, 2, 3) and race.names == tuple(optimizers())


def test_training_loss_is_scored_on_the_whole_training_set(wine, race):
    run = T.train(wine, optimizers()["Momentum"], epochs=2, batch_size=32, seed=0)
    model = T.build_model(wine, (32,), seed=0)
    model.set_weights(run.weights)
    logits = model.predict(wine.x_train, verbose=0)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    whole = -logp[np.arange(len(wine.y_train)), wine.y_train].mean()
    assert race.curves("Momentum", "loss")[0, -1] == pytest.approx(whole, rel=1e-4)


def test_epoch_zero_is_the_untrained_network_of_the_seed(wine, race):
    for s, seed in enumerate(race.seeds):
        w1, b1, w2, b2 = T.build_model(wine, (32,), seed=seed).get_weights()
        for x, y, key in (
            (wine.x_val, wine.y_val, "val_loss"),
            (wine.x_train, wine.y_train, "loss"),
        ):
            logits = np.maximum(x @ w1 + b1, 0) @ w2 + b2
            logp = logits - logits.max(1, keepdims=True)
            logp -= np.log(np.exp(logp).sum(1, keepdims=True))
            loss = -logp[np.arange(len(y)), y].mean()
            for name in race.names:  # every optimizer starts from the seed's network
                assert race.curves(name, key)[s, 0] == pytest.approx(loss, rel=1e-5)
    adam, momentum = race.curves("Adam"), race.curves("Momentum")
    assert not np.allclose(adam[:, 1:], momentum[:, 1:])
    assert not np.allclose(adam[0], adam[1])  # the seeds differ
    assert set(race.final()) == set(race.names) and race.final()["Adam"].shape == (2,)
    table = race.table()
    assert "Momentum slow" in table and "val_loss: mean [min, max]" in table


def test_divergence_is_reported_from_its_epoch_on():
    diabetes = data.load("diabetes")

    settings = {
        "SGD": keras.optimizers.SGD(learning_rate=1e-3),
        "too far": keras.optimizers.SGD(learning_rate=1e3),  # the same compiled model
    }
    a = T.race_on_data(diabetes, settings, seeds=range(2), epochs=2, batch_size=64)
    assert set(a.history) == {"loss", "val_loss"}  # regression: no accuracy
    assert a.diverged("too far") == 2 and a.diverged("SGD") == 0
    assert np.isnan(a.curves("too far", "loss")[:, 1:]).all()
    assert np.isfinite(a.curves("too far", "loss")[:, 0]).all()
    assert "2 of 2 diverged" in a.table(keys=("val_loss",))


def test_optimizers_are_only_read(wine):
    momentum = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    twice = T.race_on_data(wine, {"a": momentum, "b": momentum}, seeds=(1,), epochs=1)
    again = T.race_on_data(wine, {"a": momentum}, seeds=(1,), epochs=1)
    for key in twice.history:
        np.testing.assert_array_equal(twice.curves("a", key), twice.curves("b", key))
        np.testing.assert_allclose(twice.curves("a", key), again.curves("a", key), rtol=1e-6)
    assert not momentum.built and int(momentum.iterations) == 0
    clipped = keras.optimizers.Adam(clipnorm=1.0)
    with pytest.raises(ValueError, match=r"^optimizers\['c'\] must not clip"):
        T.race_on_data(wine, {"c": clipped}, seeds=(1,), epochs=1)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"optimizers": {"a": "adam"}}, r"optimizers\['a'\]"),
        ({"optimizers": {}}, "optimizers"),
        ({"optimizers": [keras.optimizers.Adam()]}, "optimizers"),
        ({"optimizers": {1: keras.optimizers.Adam()}}, "optimizers"),
        ({"seeds": (0, 0)}, "seeds"),
        ({"seeds": (-1,)}, "seeds"),
        ({"seeds": 3}, "seeds"),
        ({"seeds": ()}, "seeds"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 10**6}, "epochs"),
        ({"batch_size": 10_000}, "batch_size"),
        ({"hidden": "32"}, "hidden"),
        ({"dataset": "digits"}, "dataset"),
    ],
)
def test_bad_input_names_the_argument(wine, kwargs, argument):
    args = {"dataset": wine, "optimizers": {"a": keras.optimizers.Adam(1e-3)}, **kwargs}
    with pytest.raises(ValueError, match=f"^{argument}"):
        T.race_on_data(args.pop("dataset"), args.pop("optimizers"), **args)
    race = T.DataRace(("a",), (0,), 1, 32, 5, {"val_loss": np.zeros((1, 1, 2))})
    with pytest.raises(ValueError, match="^name must"):
        race.curves("b")
    with pytest.raises(ValueError, match="^key must"):
        race.curves("a", "val_accuracy")


def test_reference_race_equals_reference_runs_to_float32_rounding():
    from lrcourse import schedules
    from lrcourse.keras.training import reference_race, reference_run

    rates = {"constant": 0.45, "cosine": schedules.CosineDecay(0.9, 44)}
    race = reference_race(rates, seeds=(0, 3), epochs=2)
    for name, rate in rates.items():
        for i, seed in enumerate((0, 3)):
            run = reference_run(rate, seed, epochs=2)
            np.testing.assert_allclose(
                race.curves(name, "val_loss")[i, 1:], run.history["val_loss"], rtol=2e-5, atol=1e-6
            )


def schedules_step_decay():
    from lrcourse import schedules

    return schedules.step_decay(0.1, 0.5, 5)  # counts epochs


@pytest.mark.parametrize(
    ("rates", "match"),
    [
        ({}, "learning_rates must be a non-empty dict"),
        ({"a": -0.1}, r"learning_rates\['a'\]"),
        ({1: 0.1}, "keyed by names"),
        ({"a": schedules_step_decay()}, "must count batches"),
    ],
)
def test_reference_race_names_bad_rates(rates, match):
    from lrcourse.keras.training import reference_race

    with pytest.raises(ValueError, match=match):
        reference_race(rates, epochs=1)


def test_without_training_scores_the_loss_is_fits_epoch_mean(wine, race):
    """score_training=False: the same networks, and ``loss``/``accuracy`` as ``fit`` logs them
    (the mean over the epoch's batches), after the untrained network's whole-set score."""
    quick = T.race_on_data(
        wine, optimizers(), seeds=(0, 1), epochs=2, batch_size=32, score_training=False
    )
    for key in ("val_loss", "val_accuracy"):
        np.testing.assert_array_equal(quick.history[key], race.history[key])
    np.testing.assert_array_equal(quick.history["loss"][..., 0], race.history["loss"][..., 0])
    run = T.train(wine, optimizers()["Adam"], epochs=2, batch_size=32, seed=1)
    np.testing.assert_allclose(quick.curves("Adam", "loss")[1, 1:], run.history["loss"], rtol=2e-5)
    np.testing.assert_allclose(
        quick.curves("Adam", "accuracy")[1, 1:], run.history["accuracy"], atol=1e-6
    )
    assert not np.allclose(quick.history["loss"][..., 1:], race.history["loss"][..., 1:])
    with pytest.raises(ValueError, match="score_training must be True or False"):
        T.race_on_data(wine, optimizers(), epochs=1, score_training="no")


def test_the_race_keeps_each_runs_final_weights(wine, race):
    run = T.train(wine, optimizers()["Momentum slow"], epochs=2, batch_size=32, seed=1)
    kept = race.final_weights("Momentum slow", 1)
    assert [w.shape for w in kept] == [w.shape for w in run.weights]
    for ours, theirs in zip(kept, run.weights, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    model = T.build_model(wine, (32,), seed=0)
    model.set_weights(kept)
    logits = model.predict(wine.x_val, verbose=0)
    accuracy = (logits.argmax(1) == wine.y_val).mean()
    assert accuracy == pytest.approx(race.curves("Momentum slow", "val_accuracy")[1, -1], abs=1e-6)
    kept[0][:] = 0  # a copy: the race keeps its own
    assert np.any(race.final_weights("Momentum slow", 1)[0])
    with pytest.raises(ValueError, match="seed"):
        race.final_weights("Adam", 7)
    with pytest.raises(ValueError, match="name"):
        race.final_weights("SGD", 0)


def test_a_mean_absolute_error_dataset_trains_and_scores_on_that_loss():
    """The stack's loss follows the dataset's: under MAE each curve is ``train``'s, and the
    untrained network's score is the mean absolute error of its predictions."""
    full = data.article_split("diamonds")
    small = data.Dataset(
        "diamonds_small",
        "regression",
        full.x_train[:600],
        full.y_train[:600] / 1000,
        full.x_val[:200],
        full.y_val[:200] / 1000,
        "a slice",
        "mae",
    )
    opt = keras.optimizers.Adam(learning_rate=1e-2)
    race = T.race_on_data(small, {"Adam": opt}, seeds=(0,), epochs=2, batch_size=64)
    run = T.train(small, opt.from_config(opt.get_config()), epochs=2, batch_size=64, seed=0)
    np.testing.assert_allclose(race.curves("Adam")[0, 1:], run.history["val_loss"], rtol=2e-5)
    model = T.build_model(small, (32,), seed=0)
    error = np.abs(model.predict(small.x_val, verbose=0)[:, 0] - small.y_val).mean()
    assert race.curves("Adam")[0, 0] == pytest.approx(error, rel=1e-5)
    assert T.loss_and_metrics(small)[0].name == "mean_absolute_error"
