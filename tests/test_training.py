"""The one training loop: it equals plain ``model.fit`` fed the same batches, its fast path equals
it to float32 rounding, true batch losses, divergence reported, and every bad argument named."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse import data
from lrcourse import schedules as S
from lrcourse.keras import training as T
from lrcourse.keras.schedules import epoch_callback, to_keras

keras = T.keras
KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def wine():
    return data.load("wine")  # 133 training rows: the cheapest runs


@pytest.fixture(scope="module")
def wine_runs(wine):
    """Two identical 2-epoch SGD runs on wine (batches of 16), and one epoch with another seed."""
    return [
        T.train(
            wine, keras.optimizers.SGD(learning_rate=0.1), epochs=epochs, batch_size=16, seed=seed
        )
        for seed, epochs in ((0, 2), (0, 2), (1, 1))
    ]


def assert_same_history(a, b, keys=KEYS):
    assert set(a.history) == set(b.history)
    for key in keys:
        np.testing.assert_array_equal(a.history[key], b.history[key], err_msg=key)


def assert_close_history(fast, plain, keys=KEYS):
    """The fast path computes the same float32 operations as ``fit``, some summed in another
    order (a whole validation set at once, several networks in one matrix product): equal to
    rounding, not to the bit."""
    assert set(fast.history) == set(plain.history)
    for key in keys:
        np.testing.assert_allclose(
            fast.history[key], plain.history[key], rtol=2e-5, atol=1e-6, err_msg=key
        )


# ---------------------------------------------------------------- the plain path


def test_train_history_and_batch_records(wine_runs, wine):
    run = wine_runs[0]
    assert set(run.history) == set(KEYS)
    assert all(len(v) == 2 for v in run.history.values())
    steps = wine.steps_per_epoch(16)
    assert run.batch_losses.shape == run.batch_learning_rates.shape == (2 * steps,)
    np.testing.assert_allclose(run.batch_learning_rates, 0.1, rtol=1e-6)
    assert not run.diverged and run.epochs == 2 and not run.fast
    assert run.history["loss"][1] < run.history["loss"][0]  # SGD at 0.1 learns something
    assert run.final("val_loss") == run.history["val_loss"][-1]
    assert run.best("val_loss") == run.history["val_loss"].min()
    assert run.best("val_accuracy") == run.history["val_accuracy"].max()
    assert run.message.startswith("2 epochs, loss ") and repr(run) == f"Run({run.message})"
    for got, want in zip(run.weights, run.model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_same_seed_gives_identical_runs_another_seed_does_not(wine_runs):
    a, b, c = wine_runs
    assert_same_history(a, b)
    np.testing.assert_array_equal(a.batch_losses, b.batch_losses)
    first_epoch = slice(0, len(c.batch_losses))
    assert np.abs(a.batch_losses[first_epoch] - c.batch_losses).max() > 1e-3


def test_epoch_loss_is_the_sample_weighted_mean_of_the_batch_losses(wine_runs, wine):
    # Keras's epoch "loss" averages over samples: every batch counts with its size, and the last
    # batch of wine (133 rows, batch 16) has only 5 rows.
    n = len(wine.x_train)
    sizes = np.minimum(16, n - 16 * np.arange(math.ceil(n / 16)))
    assert sizes.sum() == n and sizes[-1] < 16
    run = wine_runs[0]
    for epoch, losses in enumerate(run.batch_losses.reshape(2, -1)):
        assert np.average(losses, weights=sizes) == pytest.approx(
            run.history["loss"][epoch], rel=2e-5
        )


def test_batch_losses_are_the_true_losses_of_each_batch(digits):
    """With a learning rate so small the weights do not move, batch k's loss is the initial
    model's mean cross-entropy on the rows epoch 0 visits k-th, computed here in NumPy."""
    model = T.build_model(digits, seed=0)
    logits = np.asarray(model(digits.x_train), dtype=float)
    top = logits.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    per_row = log_norm - logits[np.arange(len(logits)), digits.y_train]
    # Rearrange the rows so that epoch 0 (seed 0) visits them from easiest to hardest: the short
    # last batch then stands out.
    by_difficulty = np.argsort(per_row, kind="stable")
    visit = T.epoch_orders(len(per_row), 1, seed=0)[0]
    rows = np.empty_like(by_difficulty)
    rows[visit] = by_difficulty
    ds = data.Dataset(
        "digits",
        "multiclass",
        digits.x_train[rows],
        digits.y_train[rows],
        digits.x_val,
        digits.y_val,
        "rearranged",
    )
    seen = per_row[by_difficulty]
    expected = np.array([seen[i : i + 32].mean() for i in range(0, len(seen), 32)])
    assert expected[-1] - expected[-2] > 0.05

    run = T.train(ds, keras.optimizers.SGD(learning_rate=1e-9), epochs=1, model=model)
    np.testing.assert_allclose(run.batch_learning_rates, 1e-9, rtol=1e-6)
    np.testing.assert_allclose(run.batch_losses, expected, rtol=1e-4)


def plain_fit(ds, optimizer, *, epochs, batch_size, seed, callbacks=()):
    """What train() does, written with model.fit on NumPy arrays: one fit call per epoch, fed
    that epoch's permutation with shuffle=False."""
    model = T.build_model(ds, seed=seed)
    loss, metrics = T.loss_and_metrics(ds)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    log = T.BatchLog(len(ds.x_train), batch_size)
    history = {}
    for epoch, order in enumerate(T.epoch_orders(len(ds.x_train), epochs, seed)):
        once = model.fit(
            ds.x_train[order],
            ds.y_train[order],
            batch_size=batch_size,
            epochs=epoch + 1,
            initial_epoch=epoch,
            validation_data=(ds.x_val, ds.y_val),
            shuffle=False,
            verbose=0,
            callbacks=[log, *callbacks],
        )
        for key, values in once.history.items():
            history.setdefault(key, []).extend(values)
    return history, np.asarray(log.losses), np.asarray(log.learning_rates)


@pytest.mark.parametrize(
    ("name", "optimizer", "batch_size", "seed", "with_callback"),
    [("digits", "SGD", 64, 0, False), ("wine", "Adam", 16, 3, True)],
)
def test_train_is_plain_fit_fed_a_fresh_permutation_every_epoch(
    digits, wine, name, optimizer, batch_size, seed, with_callback
):
    ds, epochs = {"digits": digits, "wine": wine}[name], 3 if with_callback else 2

    def callbacks():  # a fresh callback per run: it changes the rate at every epoch
        rate = keras.callbacks.LearningRateScheduler(lambda e, lr: 0.05 / (1 + e))
        return [rate] if with_callback else []

    def fresh():
        return getattr(keras.optimizers, optimizer)(learning_rate=0.05)

    same = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    history, losses, rates = plain_fit(ds, fresh(), callbacks=callbacks(), **same)
    run = T.train(ds, fresh(), callbacks=callbacks(), **same)
    assert set(run.history) == set(history)
    for key in history:  # exactly equal: the same float32 computations on the same batches
        np.testing.assert_array_equal(run.history[key], history[key], err_msg=key)
    np.testing.assert_array_equal(run.batch_losses, losses)
    np.testing.assert_array_equal(run.batch_learning_rates, rates)
    assert len(losses) == epochs * ds.steps_per_epoch(batch_size)
    assert np.unique(np.round(rates, 9)).size == (epochs if with_callback else 1)


def test_a_diverging_run_is_reported_without_warnings(wine):
    class RawLogs(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.means = []

        def on_train_batch_end(self, batch, logs=None):
            self.means.append(float(logs["loss"]))

    raw = RawLogs()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = T.train(wine, keras.optimizers.SGD(learning_rate=1e4), epochs=5, callbacks=[raw])
    assert caught == []
    assert run.diverged
    epoch, batch = run.diverged_at
    first_bad = int(np.argmin(np.isfinite(raw.means)))
    assert not np.isfinite(raw.means[first_bad])
    assert (epoch, batch) == divmod(first_bad, wine.steps_per_epoch(32))
    where = f"epoch {epoch + 1}, batch {batch + 1}"
    assert run.message == f"diverged in {where}: the loss became nan or inf"
    assert run.epochs == epoch + 1  # stopped, not five epochs of nan
    assert len(run.batch_losses) == len(raw.means) == first_bad + 1
    assert not np.isfinite(run.batch_losses[-1]) and "diverged" in repr(run)


def test_build_model_sizes_and_seeded_weights(digits, wine):
    for ds, outputs in ((digits, 10), (data.load("breast_cancer"), 1), (wine, 3)):
        model = T.build_model(ds, hidden=(8, 4))
        assert model.input_shape == (None, ds.n_features)
        assert model.output_shape == (None, outputs)
        assert [layer.units for layer in model.layers] == [8, 4, outputs]
    a, b = T.build_model(wine, seed=5), T.build_model(wine, seed=5)
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert len(T.build_model(wine, hidden=()).layers) == 1  # a linear model


# ---------------------------------------------------------------- the fast path


def test_fast_runs_equal_plain_runs_whatever_ran_before(wine):
    """Keras's own schedule, a course schedule, Adagrad's slots (which start at 0.1, not 0):
    every fast run equals the plain one (to rounding), even after other runs left other weights,
    rates, step counts and slots behind."""
    same = {"epochs": 3, "batch_size": 16}
    cases = [  # (a float rate with callbacks: the next test)
        (lambda: keras.optimizers.SGD(keras.optimizers.schedules.CosineDecay(0.6, 27)), 2),
        (lambda: keras.optimizers.SGD(to_keras(S.warmup(S.CosineDecay(0.6, 20), 7))), 0),
        (lambda: keras.optimizers.Adagrad(learning_rate=0.05), 1),
    ]
    for make, seed in cases:
        T.train(wine, make(), seed=seed + 1, fast=True, **same)  # something else first
        fast = T.train(wine, make(), seed=seed, fast=True, **same)
        plain = T.train(wine, make(), seed=seed, **same)
        assert_close_history(fast, plain)
        assert fast.fast and not plain.fast
        np.testing.assert_allclose(fast.batch_losses, plain.batch_losses, rtol=2e-5, atol=1e-6)
        # the plain path reads each rate eagerly, the fast one as training computes it in its
        # graph: the same float32 formula, rounded differently where a cosine nears zero
        np.testing.assert_allclose(
            fast.batch_learning_rates, plain.batch_learning_rates, rtol=1e-6, atol=1e-7
        )
        assert fast.history["val_loss"][-1] < fast.history["val_loss"][0]  # it trained


def test_fast_runs_with_callbacks_equal_plain_runs(wine):
    def plateau():  # min_delta 10: no epoch after the first counts as an improvement
        return keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=10.0)

    same = {"epochs": 3, "batch_size": 16}
    T.train(wine, keras.optimizers.SGD(0.9), seed=1, callbacks=[plateau()], fast=True, **same)
    fast = T.train(
        wine, keras.optimizers.SGD(0.3), seed=2, callbacks=[plateau()], fast=True, **same
    )
    plain = T.train(wine, keras.optimizers.SGD(0.3), seed=2, callbacks=[plateau()], **same)
    assert_close_history(fast, plain, KEYS + ("learning_rate",))
    # logged at the end of each epoch BEFORE that epoch's cut: the rate the epoch used
    np.testing.assert_allclose(fast.history["learning_rate"], [0.3, 0.3, 0.15], rtol=1e-6)
    assert float(fast.model.optimizer.learning_rate) == pytest.approx(0.075)  # after the last
    per_batch = np.repeat([0.3, 0.3, 0.15], wine.steps_per_epoch(16))
    np.testing.assert_allclose(fast.batch_learning_rates, per_batch, rtol=1e-6)
    np.testing.assert_allclose(plain.batch_learning_rates, per_batch, rtol=1e-6)
    steps = epoch_callback(S.step_decay(0.4, 0.5, 1))
    fast = T.train(wine, keras.optimizers.SGD(1.0), seed=0, callbacks=[steps], fast=True, **same)
    np.testing.assert_allclose(fast.history["learning_rate"], [0.4, 0.2, 0.1], rtol=1e-6)


def test_fast_run_keeps_its_weights_and_guards_its_shared_model(wine):
    first = T.train(wine, keras.optimizers.SGD(0.3), epochs=2, batch_size=16, fast=True)
    weights = [w.copy() for w in first.model.get_weights()]
    T.train(wine, keras.optimizers.SGD(0.3), epochs=2, batch_size=16, seed=4, fast=True)
    with pytest.raises(RuntimeError, match="reset for another fast run"):
        first.model  # noqa: B018
    for kept, saved in zip(first.weights, weights, strict=True):
        np.testing.assert_array_equal(kept, saved)


def test_scoring_validation_less_often_changes_no_training(wine):
    same = {"epochs": 3, "batch_size": 16, "fast": True}
    every = T.train(wine, keras.optimizers.SGD(0.3), **same)
    last_only = T.train(wine, keras.optimizers.SGD(0.3), validation_freq=3, **same)
    np.testing.assert_array_equal(last_only.history["loss"], every.history["loss"])
    np.testing.assert_array_equal(last_only.history["val_loss"], every.history["val_loss"][-1:])


def test_fast_divergence_is_reported_by_batch_and_does_not_leak(wine):
    plain = T.train(wine, keras.optimizers.SGD(1e4), epochs=3, batch_size=16)
    fast = T.train(wine, keras.optimizers.SGD(1e4), epochs=3, batch_size=16, fast=True)
    assert fast.diverged_at == plain.diverged_at and fast.epochs == plain.epochs
    epoch, batch = fast.diverged_at
    assert fast.message == (
        f"diverged in epoch {epoch + 1}, batch {batch + 1}: the loss became nan or inf"
    )
    healthy = T.train(wine, keras.optimizers.SGD(0.3), epochs=3, batch_size=16, fast=True)
    assert not healthy.diverged and healthy.epochs == 3


def test_fast_path_runs_epoch_callbacks_and_refuses_what_it_cannot_do(wine):
    class Stop(keras.callbacks.Callback):  # stops after two epochs, as EarlyStopping may
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 1
            self.seen = sorted(logs)

    stop = Stop()
    run = T.train(
        wine, keras.optimizers.SGD(0.3), epochs=5, batch_size=16, callbacks=[stop], fast=True
    )
    assert run.epochs == 2 and stop.seen == sorted(KEYS)
    assert len(run.batch_losses) == 2 * wine.steps_per_epoch(16)
    with pytest.raises(ValueError, match="^callbacks: BatchLog acts on every batch"):
        T.train(wine, keras.optimizers.SGD(0.3), epochs=1, callbacks=[T.BatchLog()], fast=True)
    clipped = keras.optimizers.SGD(0.3, clipnorm=1.0)
    with pytest.raises(ValueError, match="^optimizer must not clip by norm"):
        T.train(wine, clipped, epochs=1, fast=True)
    assert T.train(wine, clipped, epochs=1).epochs == 1  # the plain path clips as Keras does


# ---------------------------------------------------------------- the reference experiment


def test_reference_run_is_train_with_the_reference_settings(digits):
    cosine = S.CosineDecay(0.6, 44)  # a course schedule: converted with to_keras
    run = T.reference_run(cosine, seed=1, epochs=2)
    same = T.train(
        digits,
        keras.optimizers.SGD(to_keras(cosine)),
        epochs=2,
        batch_size=64,
        seed=1,
        hidden=(32,),
        fast=True,
    )
    assert_same_history(run, same)
    assert run.fast and len(run.batch_learning_rates) == 2 * digits.steps_per_epoch(64)
    np.testing.assert_allclose(run.batch_learning_rates, cosine(np.arange(44)), rtol=1e-6)
    assert T.REFERENCE["epochs"] == 20 and T.REFERENCE["batch_size"] == 64


# ---------------------------------------------------------------- batch order


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), epochs=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_epoch_orders_are_fresh_seeded_permutations(n, epochs, seed):
    orders = T.epoch_orders(n, epochs, seed)
    assert orders.shape == (epochs, n)
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(n))
    np.testing.assert_array_equal(T.epoch_orders(n, epochs, seed), orders)
    rng = np.random.default_rng(seed)  # the convention: one generator, a permutation per epoch
    np.testing.assert_array_equal(orders, [rng.permutation(n) for _ in range(epochs)])
    if n >= 8 and epochs > 1:  # 8! orders: two equal epochs are (almost) impossible
        assert not np.array_equal(orders[0], orders[1])


def test_the_training_pipeline_feeds_exactly_the_epoch_orders(wine):
    batches = T._training_batches(wine, 16, 2, seed=3)
    x = np.concatenate([np.asarray(xb) for xb, _ in batches])
    orders = T.epoch_orders(len(wine.x_train), 2, seed=3).ravel()
    np.testing.assert_array_equal(x, wine.x_train[orders])
    sizes = [len(yb) for _, yb in batches]
    assert sizes == [16] * 8 + [5] + [16] * 8 + [5]  # 133 rows: no batch crosses an epoch


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"dataset": "wine"}, "dataset"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"optimizer": 0.1}, "optimizer"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.0}, "epochs"),
        ({"epochs": 10**6}, "epochs"),  # 9 batches per epoch: over MAX_STEPS updates
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 134}, "batch_size"),  # more than the 133 training rows
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"hidden": (0,)}, "hidden"),
        ({"hidden": 32}, "hidden"),
        ({"hidden": (8,) * 9}, "hidden"),
        ({"hidden": (10**6,)}, "hidden"),
        ({"callbacks": [print]}, "callbacks"),
        ({"callbacks": "ReduceLROnPlateau"}, "callbacks"),
        ({"fast": "True"}, "fast"),
        ({"validation_freq": 0}, "validation_freq"),
        ({"model": "mlp"}, "model"),
        ({"model": "fresh", "fast": True}, "model"),
        ({"model": "wrong inputs"}, "model"),
        ({"model": "wrong outputs"}, "model"),
        ({"optimizer": "used"}, "optimizer"),
        ({"optimizer": "unserializable", "fast": True}, "optimizer"),
        ({"optimizer": "negative rate"}, "optimizer"),
        ({"optimizer": "nan rate", "fast": True}, "optimizer"),
        ({"optimizer": "negative schedule", "fast": True}, "optimizer"),
    ],
)
def test_train_bad_arguments_name_the_argument(wine, digits, kwargs, argument):
    models = {
        "fresh": lambda: T.build_model(wine),
        "wrong inputs": lambda: T.build_model(digits),
        "wrong outputs": lambda: keras.Sequential([keras.Input((13,)), keras.layers.Dense(2)]),
    }
    if kwargs.get("model") in models:
        kwargs["model"] = models[kwargs["model"]]()
    if kwargs.get("optimizer") == "used":
        used = keras.optimizers.SGD(0.1)
        used.build(T.build_model(wine).trainable_variables)
        kwargs["optimizer"] = used
    if kwargs.get("optimizer") == "unserializable":
        kwargs["optimizer"] = keras.optimizers.SGD(learning_rate=lambda: 0.1)
    bad_rates = {
        "negative rate": -0.1,
        "nan rate": float("nan"),
        "negative schedule": keras.optimizers.schedules.PolynomialDecay(0.1, 3, -0.1),
    }
    if kwargs.get("optimizer") in bad_rates:
        kwargs["optimizer"] = keras.optimizers.SGD(bad_rates[kwargs["optimizer"]])
    args = {"dataset": wine, "optimizer": keras.optimizers.SGD(learning_rate=0.1), **kwargs}
    with pytest.raises(ValueError, match=f"^{argument} must"):
        T.train(args.pop("dataset"), args.pop("optimizer"), **args)


JUNK = [
    None,
    "3",
    b"3",
    -1,
    0,
    1.5,
    float("nan"),
    float("inf"),
    10**12,
    True,
    [],
    {},
    (1, "a"),
    object(),
    np.float64("nan"),
    "fast",
    [None],
]
VALID = {
    "epochs": 1,
    "batch_size": 32,
    "seed": 0,
    "hidden": (4,),
    "callbacks": (),
    "fast": False,
    "validation_freq": 1,
}


@settings(max_examples=120, deadline=None)
@given(argument=st.sampled_from(sorted(VALID)), value=st.sampled_from(JUNK))
def test_fuzzed_arguments_raise_a_named_error_or_nothing_odd(wine, argument, value):
    """Any junk in any argument: a ValueError naming it, never another exception (and never a
    run: junk that happens to be valid is skipped)."""
    valid = {
        "epochs": [1],
        "seed": [0],
        "fast": [True],
        "validation_freq": [1],
        "callbacks": [[]],
        "hidden": [[]],
    }
    if any(value is v or (type(value) is type(v) and value == v) for v in valid.get(argument, [])):
        return
    with pytest.raises(ValueError, match=f"^{argument} must"):
        T.train(wine, keras.optimizers.SGD(0.1), **{**VALID, argument: value})


def test_other_bad_input_names_the_argument(wine):
    with pytest.raises(ValueError, match="^n_samples must"):
        T.epoch_orders(0, 2, 0)
    with pytest.raises(ValueError, match="^epochs \\* n_samples must"):
        T.epoch_orders(10**4, T.MAX_ORDER_ENTRIES // 10**4 + 1, 0)
    with pytest.raises(ValueError, match="^seed must"):
        T.epoch_orders(5, 2, -3)
    with pytest.raises(ValueError, match="^activation must"):
        T.build_model(wine, activation="swishy")
    with pytest.raises(ValueError, match="^dataset must"):
        T.loss_and_metrics(None)
    with pytest.raises(ValueError, match="^optimizer must"):
        T.current_learning_rate("adam")
    with pytest.raises(ValueError, match="^n_samples and batch_size must"):
        T.BatchLog(n_samples=10)
    with pytest.raises(ValueError, match="^learning_rate must"):
        T.reference_run(-0.1)
    with pytest.raises(ValueError, match="^learning_rate must count batches"):
        T.reference_run(S.step_decay(0.4, 0.5, 2))
    run = T.Run({"loss": np.array([1.0, np.nan])}, np.empty(0), np.empty(0), (1, None))
    assert run.best("loss") == 1.0 and math.isnan(run.final("loss"))
    with pytest.raises(ValueError, match="^key must"):
        run.final("val_loss")
    for kwargs, argument in (
        ({"history": [1.0]}, "history"),
        ({"history": {"loss": np.ones((2, 2))}}, "history"),
        ({"batch_losses": [np.nan]}, "batch_losses"),  # nan: only in a run that diverged
        ({"batch_learning_rates": 0.1}, "batch_learning_rates"),
        ({"diverged_at": (1, 2, 3)}, "diverged_at"),
        ({"diverged_at": (-1, None)}, "diverged_at"),
        ({"weights": [np.float32(1.0)]}, "weights"),
        ({"fast": "yes"}, "fast"),
    ):
        args = {"history": {}, "batch_losses": [], "batch_learning_rates": [], **kwargs}
        with pytest.raises(ValueError, match=f"^{argument}"):
            T.Run(**args)
    good = {"names": ("a",), "seeds": (0,), "epochs": 1, "batch_size": 8, "steps_per_epoch": 3}
    for kwargs, argument in (
        ({"names": ("a", "a")}, "names"),
        ({"seeds": (0, 0)}, "seeds"),
        ({"epochs": 0}, "epochs"),
        ({"history": {"loss": np.ones((1, 1, 3))}}, "history"),  # epochs + 1 = 2 columns
    ):
        with pytest.raises(ValueError, match=f"^{argument}"):
            T.DataRace(**{**good, "history": {"loss": np.ones((1, 1, 2))}, **kwargs})


def test_a_dataset_name_with_spaces_still_gives_a_model_that_trains(wine):
    """Keras names its graph scopes after the model: a name with spaces or brackets must not
    break tracing (the model's name is made safe)."""
    named = data.Dataset(
        "wine (my split)", wine.task, wine.x_train, wine.y_train, wine.x_val, wine.y_val, "mine"
    )
    model = T.build_model(named, (4,), seed=0)
    assert model.name == "mlp_wine__my_split_"
    run = T.train(named, keras.optimizers.SGD(0.01), epochs=1, batch_size=64, hidden=(4,))
    assert np.isfinite(run.history["loss"]).all()
