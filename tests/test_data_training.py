"""Datasets: honest splits and scaling. Training: repeatable runs, true batch losses, divergence."""

import math
import warnings

import numpy as np
import pytest
import sklearn.datasets

from lrcourse import data

NAMES = list(data.DATASETS)
SCALED = [n for n in NAMES if n != "digits"]  # StandardScaler on the features


def raw(name):
    return getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)


@pytest.fixture(scope="module")
def loaded():
    return {name: data.load(name) for name in NAMES}


# ---------------------------------------------------------------- data.load


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_and_split_sizes(loaded, name):
    ds = loaded[name]
    x, y = raw(name)
    n_val = len(ds.x_val)
    assert ds.x_train.dtype == ds.x_val.dtype == np.float32
    assert ds.x_train.ndim == ds.x_val.ndim == 2
    assert ds.x_train.shape[1] == ds.x_val.shape[1] == x.shape[1] == ds.n_features
    assert len(ds.x_train) == len(ds.y_train) and n_val == len(ds.y_val)
    assert len(ds.x_train) + n_val == len(x)
    assert abs(n_val - 0.25 * len(x)) <= 1
    assert ds.y_train.ndim == ds.y_val.ndim == 1
    if ds.task == "regression":
        assert ds.y_train.dtype == ds.y_val.dtype == np.float32 and ds.n_classes == 0
    else:
        assert np.issubdtype(ds.y_train.dtype, np.integer)
        assert ds.n_classes == len(np.unique(y))
    assert ds.steps_per_epoch(32) == math.ceil(len(ds.x_train) / 32)
    assert np.all(np.isfinite(ds.x_train)) and np.all(np.isfinite(ds.x_val))


def match_rows(reconstructed, original):
    """The original row each reconstructed row is (columns compared in units of their spread)."""
    spread = original.std(axis=0)
    a, b = reconstructed / spread, original / spread
    dist = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)
    nearest = dist.argmin(axis=1)
    assert dist[np.arange(len(a)), nearest].max() < 1e-4, "a row matches no original row"
    return nearest


def test_digits_split_is_a_partition_of_the_original_images(loaded):
    ds, (x, y) = loaded["digits"], raw("digits")
    for part in (ds.x_train, ds.x_val):
        pixels = part.astype(float) * 16
        np.testing.assert_array_equal(pixels, np.round(pixels))  # scaled by 1/16, nothing else
        assert part.min() >= 0 and part.max() <= 1
    rows = np.concatenate([ds.x_train, ds.x_val]).astype(float) * 16
    position = {row.tobytes(): i for i, row in enumerate(x.astype(float))}  # images are distinct
    assert len(position) == len(x)
    index = np.array([position[row.tobytes()] for row in rows])  # KeyError: not an original image
    assert sorted(index) == list(range(len(x)))  # every image once: none in both parts
    np.testing.assert_array_equal(np.concatenate([ds.y_train, ds.y_val]), y[index])


@pytest.mark.parametrize("name", SCALED)
def test_scaled_split_is_a_partition_scaled_with_training_statistics_only(loaded, name):
    ds, (x, y) = loaded[name], raw(name)
    scaled = np.concatenate([ds.x_train, ds.x_val]).astype(float)
    # One increasing affine map per column takes the scaled values back to the raw ones: fit it on
    # the sorted columns; it must fit training and validation rows alike.
    back = np.empty_like(scaled)
    for j in range(x.shape[1]):
        slope, shift = np.polyfit(np.sort(scaled[:, j]), np.sort(x[:, j]), 1)
        back[:, j] = slope * scaled[:, j] + shift
        assert slope > 0
    index = match_rows(back, x)
    assert sorted(index) == list(range(len(x)))  # a partition: no validation row in training
    # ... and the map is the training part's: mean 0 and standard deviation 1 there
    np.testing.assert_allclose(ds.x_train.mean(axis=0, dtype=float), 0, atol=2e-6)
    np.testing.assert_allclose(ds.x_train.std(axis=0, dtype=float), 1, rtol=2e-6)
    assert np.abs(ds.x_val.mean(axis=0, dtype=float)).max() > 0.02  # not scaled on its own
    targets = np.concatenate([ds.y_train, ds.y_val]).astype(float)
    if ds.task == "regression":
        np.testing.assert_allclose(ds.y_train.mean(dtype=float), 0, atol=2e-6)
        np.testing.assert_allclose(ds.y_train.std(dtype=float), 1, rtol=2e-6)
        slope, shift = np.polyfit(targets, y[index], 1)
        np.testing.assert_allclose(slope * targets + shift, y[index], rtol=1e-5, atol=1e-3)
        train_raw = y[index[: len(ds.y_train)]]
        assert slope == pytest.approx(train_raw.std(), rel=1e-5)
        assert shift == pytest.approx(train_raw.mean(), rel=1e-5)
    else:
        np.testing.assert_array_equal(targets, y[index])


@pytest.mark.parametrize("name", [n for n in NAMES if data.DATASETS[n][0] != "regression"])
@pytest.mark.parametrize("fraction", [0.25, 0.1])
def test_classification_splits_are_stratified(name, fraction):
    ds, (_, y) = data.load(name, validation_fraction=fraction), raw(name)
    for c in np.unique(y):
        in_val = np.count_nonzero(ds.y_val == c)
        assert abs(in_val - fraction * np.count_nonzero(y == c)) <= 1, (c, in_val)


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = data.load("wine", seed=3), data.load("wine", seed=3), data.load("wine", seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert a.x_train.shape == c.x_train.shape and not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"name": "mnist"}, "name"),
        ({"name": None}, "name"),
        ({"validation_fraction": 0.9}, "validation_fraction"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"validation_fraction": "0.2"}, "validation_fraction"),
        ({"seed": -1}, "seed"),
        ({"seed": 0.5}, "seed"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        data.load(**kwargs)


# ---------------------------------------------------------------- training (Keras)


@pytest.fixture(scope="module")
def training():
    from lrcourse import training

    return training


@pytest.fixture(scope="module")
def digits_runs(training, loaded):
    """Two identical 2-epoch SGD runs on digits, and one epoch with another seed."""
    sgd = training.keras.optimizers.SGD
    ds = loaded["digits"]
    return [
        training.train(ds, sgd(learning_rate=0.1), epochs=epochs, seed=seed)
        for seed, epochs in ((0, 2), (0, 2), (1, 1))
    ]


def test_train_history_and_batch_records(digits_runs, loaded):
    run = digits_runs[0]
    ds = loaded["digits"]
    assert set(run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 2 for v in run.history.values())
    steps = ds.steps_per_epoch(32)
    assert run.batch_losses.shape == run.batch_learning_rates.shape == (2 * steps,)
    np.testing.assert_allclose(run.batch_learning_rates, 0.1, rtol=1e-6)
    assert not run.diverged and run.epochs == 2
    assert run.history["loss"][1] < run.history["loss"][0]  # SGD at 0.1 learns something
    assert run.final("val_loss") == run.history["val_loss"][-1]
    assert run.best("val_loss") == run.history["val_loss"].min()
    assert run.best("val_accuracy") == run.history["val_accuracy"].max()
    assert run.message.startswith("2 epochs, loss ")


def test_same_seed_gives_identical_runs_another_seed_does_not(digits_runs):
    a, b, c = digits_runs
    for key in a.history:
        np.testing.assert_array_equal(a.history[key], b.history[key])
    np.testing.assert_array_equal(a.batch_losses, b.batch_losses)
    first_epoch = slice(0, len(c.batch_losses))
    assert np.abs(a.batch_losses[first_epoch] - c.batch_losses).max() > 1e-3


def test_epoch_loss_is_the_sample_weighted_mean_of_the_batch_losses(digits_runs, loaded):
    # Keras's epoch "loss" averages over samples: every batch counts with its size, and the last
    # batch of digits (1347 rows, batch 32) has only 3 rows.
    n = len(loaded["digits"].x_train)
    sizes = np.minimum(32, n - 32 * np.arange(math.ceil(n / 32)))
    assert sizes.sum() == n and sizes[-1] < 32
    run = digits_runs[0]
    for epoch, losses in enumerate(run.batch_losses.reshape(2, -1)):
        assert np.average(losses, weights=sizes) == pytest.approx(
            run.history["loss"][epoch], rel=2e-5
        )


def test_batch_losses_are_the_true_losses_of_each_batch(training, loaded):
    """With a learning rate so small the weights do not move, batch k's loss is the initial
    model's mean cross-entropy on rows 32k..32k+31, computed here in NumPy."""
    ds = loaded["digits"]
    model = training.build_model(ds, seed=0)
    logits = np.asarray(model(ds.x_train), dtype=float)
    top = logits.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    per_row = log_norm - logits[np.arange(len(logits)), ds.y_train]
    # Put the rows the model finds hardest last, so the short last batch stands out.
    order = np.argsort(per_row, kind="stable")
    ds = data.Dataset(
        ds.name, ds.task, ds.x_train[order], ds.y_train[order], ds.x_val, ds.y_val, ds.description
    )
    per_row = per_row[order]
    expected = np.array([per_row[i : i + 32].mean() for i in range(0, len(per_row), 32)])
    assert expected[-1] - expected[-2] > 0.05

    run = training.train(
        ds, training.keras.optimizers.SGD(learning_rate=1e-9), epochs=1, model=model, shuffle=False
    )
    np.testing.assert_allclose(run.batch_learning_rates, 1e-9, rtol=1e-6)
    np.testing.assert_allclose(run.batch_losses, expected, rtol=1e-4)


def plain_fit(training, ds, optimizer, *, epochs, batch_size, seed, callbacks=(), spe=1):
    """What train() replaces: model.fit on the NumPy arrays, shuffling every epoch."""
    model = training.build_model(ds, seed=seed)
    loss, metrics = training.loss_and_metrics(ds)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, steps_per_execution=spe)
    log = training.BatchLog(len(ds.x_train), batch_size)
    training.keras.utils.set_random_seed(seed)
    history = model.fit(
        ds.x_train,
        ds.y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(ds.x_val, ds.y_val),
        shuffle=True,
        verbose=0,
        callbacks=[log, *callbacks],
    )
    return history.history, np.asarray(log.losses), np.asarray(log.learning_rates)


@pytest.mark.parametrize(
    "name, optimizer, batch_size, seed, spe, with_callback",
    [
        ("digits", "SGD", 64, 0, 1, False),
        ("digits", "SGD", 32, 3, 5, True),
        ("wine", "Adam", 16, 1, 1, True),
    ],
)
def test_train_draws_exactly_the_batches_of_plain_fit(
    training, loaded, name, optimizer, batch_size, seed, spe, with_callback
):
    ds, epochs = loaded[name], 3

    def callbacks():  # a fresh callback per run: it changes the rate at epoch 1
        rate = training.keras.callbacks.LearningRateScheduler(lambda e, lr: 0.05 / (1 + e))
        return [rate] if with_callback else []

    def fresh_optimizer():
        return getattr(training.keras.optimizers, optimizer)(learning_rate=0.05)

    same = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    history, losses, rates = plain_fit(
        training, ds, fresh_optimizer(), callbacks=callbacks(), spe=spe, **same
    )
    run = training.train(
        ds, fresh_optimizer(), callbacks=callbacks(), steps_per_execution=spe, **same
    )
    assert set(run.history) == set(history)
    for key in history:
        np.testing.assert_array_equal(run.history[key], history[key], err_msg=key)
    np.testing.assert_array_equal(run.batch_losses, losses)
    np.testing.assert_array_equal(run.batch_learning_rates, rates)
    assert len(losses) == epochs * math.ceil(ds.steps_per_epoch(batch_size) / spe)
    assert np.unique(np.round(rates, 9)).size == (3 if with_callback else 1)


def test_fit_order_is_a_seeded_permutation_and_bad_input_is_named(training):
    first = training.fit_order(100, 16, seed=4)
    assert sorted(first) == list(range(100))
    np.testing.assert_array_equal(training.fit_order(100, 16, seed=4), first)
    assert not np.array_equal(training.fit_order(100, 16, seed=5), first)
    first[0] = -1  # a caller's copy: the cached order must not change
    assert training.fit_order(100, 16, seed=4)[0] != -1
    for kwargs, argument in (
        ({"n_samples": 0}, "n_samples"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
    ):
        args = {"n_samples": 10, "batch_size": 4, "seed": 0, **kwargs}
        with pytest.raises(ValueError, match=argument):
            training.fit_order(**args)


def test_absurd_learning_rate_is_reported_as_diverged_without_warnings(training, loaded):
    class RawLogs(training.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.means = []

        def on_train_batch_end(self, batch, logs=None):
            self.means.append(float(logs["loss"]))

    raw_logs = RawLogs()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = training.train(
            loaded["diabetes"],
            training.keras.optimizers.SGD(learning_rate=1e3),
            epochs=5,
            callbacks=[raw_logs],
        )
    assert caught == []
    assert run.diverged
    epoch, batch = run.diverged_at
    first_bad = int(np.argmin(np.isfinite(raw_logs.means)))
    assert not np.isfinite(raw_logs.means[first_bad]) and (epoch, batch) == (0, first_bad)
    assert run.message == f"diverged in epoch 1, batch {batch + 1}: the loss became nan or inf"
    assert run.epochs == 1  # stopped, not five epochs of nan
    assert len(run.batch_losses) == batch + 1
    assert np.all(np.isfinite(run.batch_losses[:-1])) and not np.isfinite(run.batch_losses[-1])
    assert "diverged" in repr(run)


def test_a_sensible_learning_rate_on_the_same_data_does_not_diverge(training, loaded):
    run = training.train(
        loaded["diabetes"], training.keras.optimizers.SGD(learning_rate=1e-2), epochs=1
    )
    assert not run.diverged and np.all(np.isfinite(run.batch_losses))


def test_build_model_sizes(training, loaded):
    for name, outputs in (("digits", 10), ("breast_cancer", 1), ("wine", 3), ("diabetes", 1)):
        model = training.build_model(loaded[name], hidden=(8, 4))
        assert model.input_shape == (None, loaded[name].n_features)
        assert model.output_shape == (None, outputs)
        assert [layer.units for layer in model.layers] == [8, 4, outputs]


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"hidden": (0,)}, "hidden"),
    ],
)
def test_train_bad_arguments(training, loaded, kwargs, argument):
    args = {"optimizer": training.keras.optimizers.SGD(learning_rate=0.1), **kwargs}
    with pytest.raises(ValueError, match=f"^{argument} must"):
        training.train(loaded["wine"], **args)
