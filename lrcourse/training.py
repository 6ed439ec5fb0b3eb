"""Small, quiet, repeatable Keras training for the notebooks (imports Keras: only to train).

``train(dataset, optimizer, epochs=20)`` builds a small network for the dataset, trains it without
progress bars and returns a :class:`Run`: the history as arrays, the true per-batch losses and
learning rates, and a plain report if the loss became nan or inf.

``model.fit(x, y, shuffle=True)`` on NumPy arrays rebuilds its shuffling input pipeline every
epoch, which on these small datasets costs more than the training itself. ``train`` therefore
hands ``fit`` the very batches it would have drawn (:func:`fit_order`) as a ``tf.data`` pipeline
built once per run: the same numbers, in about half the time (``tests/test_data_training.py``
checks the histories and batch losses against plain ``fit`` on arrays).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from lrcourse import _checks
from lrcourse._setup import seed_tensorflow

keras = seed_tensorflow(0)

#: Part III's reference experiment. Every schedule notebook and the showdown train exactly this,
#: so their numbers can be compared. Plain SGD (no momentum): the schedule alone sets the step.
#: The baseline is the best constant rate of the sweep in notebook 09: every schedule must beat it.
REFERENCE = {
    "dataset": "digits",
    "hidden": (32,),
    "batch_size": 64,
    "epochs": 20,
    "baseline_learning_rate": 0.3,
    "seeds": (0, 1, 2),
}


def build_model(dataset, hidden=(32,), *, seed=0, activation="relu"):
    """A small multilayer perceptron sized for ``dataset`` (logits out; losses use from_logits)."""
    keras.utils.set_random_seed(_checks.count("seed", seed, minimum=0))
    outputs = dataset.n_classes if dataset.task == "multiclass" else 1
    layers = [keras.Input((dataset.n_features,))]
    layers += [
        keras.layers.Dense(_checks.count("hidden", h), activation=activation) for h in hidden
    ]
    layers.append(keras.layers.Dense(outputs))
    return keras.Sequential(layers, name=f"mlp_{dataset.name}")


def loss_and_metrics(dataset):
    if dataset.task == "multiclass":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    if dataset.task == "binary":
        return keras.losses.BinaryCrossentropy(from_logits=True), [
            keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")
        ]
    return keras.losses.MeanSquaredError(), []


class BatchLog(keras.callbacks.Callback):
    """Records the TRUE loss of every batch and the learning rate each batch used.

    Keras's ``logs["loss"]`` at batch end is the running mean since the epoch began, weighted by
    the number of samples in each batch. With ``s_k`` samples seen after batch k and ``n_k`` in
    batch k, the loss of batch k is recovered as ``(s_k * mean_k - s_(k-1) * mean_(k-1)) / n_k``;
    only the last batch of an epoch can be smaller. It also stops training, quietly, as soon as
    the loss is no longer finite.
    """

    def __init__(self, n_samples=None, batch_size=None):
        super().__init__()
        self.n_samples, self.batch_size = n_samples, batch_size
        self.losses, self.learning_rates = [], []
        self.diverged_at = None  # (epoch, batch) where the loss stopped being finite

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._previous_mean, self._seen, self._last = epoch, 0.0, 0, -1

    def on_train_batch_begin(self, batch, logs=None):
        self.learning_rates.append(current_learning_rate(self.model.optimizer))

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        seen = self._samples_through(batch)
        size = seen - self._seen
        self.losses.append((seen * mean - self._seen * self._previous_mean) / size)
        self._seen, self._previous_mean, self._last = seen, mean, batch
        if not np.isfinite(mean) and self.diverged_at is None:
            self.diverged_at = (self._epoch, batch)
            self.model.stop_training = True

    def _samples_through(self, batch):
        """Samples seen in this epoch up to and including ``batch``. With steps_per_execution > 1
        Keras reports once per group of batches, so one entry covers the whole group."""
        if self.n_samples is None or self.batch_size is None:
            return batch + 1  # sizes unknown: treat the batches as equal
        return min((batch + 1) * self.batch_size, self.n_samples)


def fit_order(n_samples, batch_size, seed):
    """The order in which ``model.fit(x, y, batch_size=..., shuffle=True)`` visits the samples.

    Keras 3 draws it from the global seed that ``keras.utils.set_random_seed(seed)`` sets. With a
    global seed set, Keras (TensorFlow backend) draws the SAME permutation for every epoch, so one
    epoch's order is the order of the whole run.
    """
    n_samples = _checks.count("n_samples", n_samples)
    batch_size = _checks.count("batch_size", batch_size)
    seed = _checks.count("seed", seed, minimum=0)
    return _fit_order(n_samples, batch_size, seed).copy()


@lru_cache(maxsize=64)
def _fit_order(n_samples, batch_size, seed):
    # The array adapter is the object fit() itself uses for NumPy inputs (not a public API).
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    keras.utils.set_random_seed(seed)
    index = np.arange(n_samples, dtype="float32")[:, None]  # exact for n < 2**24
    adapter = ArrayDataAdapter(
        index, np.zeros(n_samples, "float32"), batch_size=batch_size, shuffle=True
    )
    batches = [np.asarray(x)[:, 0] for x, _ in adapter.get_tf_dataset()]
    return np.concatenate(batches).astype(int)


def pipelines(dataset, batch_size, seed, shuffle=True):
    """``(train, validation)`` ``tf.data`` pipelines giving the batches ``fit`` would draw from
    the dataset's arrays: training in :func:`fit_order` (or in data order if not ``shuffle``),
    validation in order. Each pipeline yields one epoch."""
    import tensorflow as tf

    n = len(dataset.x_train)
    order = fit_order(n, batch_size, seed) if shuffle else np.arange(n)
    pairs = (dataset.x_train[order], dataset.y_train[order])
    train_batches = tf.data.Dataset.from_tensor_slices(pairs).batch(batch_size)
    validation = (dataset.x_val, dataset.y_val)
    return train_batches, tf.data.Dataset.from_tensor_slices(validation).batch(batch_size)


def current_learning_rate(optimizer):
    """The learning rate the optimizer will use for its next step, as a Python float."""
    lr = optimizer.learning_rate
    return float(lr.numpy() if hasattr(lr, "numpy") else lr)


@dataclass(eq=False)
class Run:
    """One run: ``history[key]`` per epoch, ``batch_losses`` and ``batch_learning_rates``."""

    history: dict
    batch_losses: np.ndarray
    batch_learning_rates: np.ndarray
    diverged_at: tuple | None = None
    model: object = field(default=None, repr=False)

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def epochs(self):
        return len(self.history.get("loss", ()))

    def final(self, key="val_loss"):
        values = self.history[key]
        return float(values[-1]) if len(values) else float("nan")

    def best(self, key="val_loss"):
        values = self.history[key]
        return float(np.nanmin(values) if "loss" in key else np.nanmax(values))

    @property
    def message(self):
        if self.diverged:
            epoch, batch = self.diverged_at
            return f"diverged in epoch {epoch + 1}, batch {batch + 1}: the loss became nan or inf"
        parts = [f"{self.epochs} epochs"]
        for key in ("loss", "val_loss", "val_accuracy"):
            if key in self.history:
                parts.append(f"{key} {self.final(key):.4f}")
        return ", ".join(parts)

    def __repr__(self):
        return f"Run({self.message})"


def train(
    dataset,
    optimizer,
    *,
    epochs=20,
    batch_size=32,
    seed=0,
    hidden=(32,),
    callbacks=(),
    model=None,
    steps_per_execution=1,
    shuffle=True,
):
    """Train a fresh small network (or ``model``) on ``dataset`` quietly and return a :class:`Run`.

    The same ``seed`` gives the same initial weights and batch order, so runs that differ only in
    the optimizer or schedule are compared fairly; the batches are those ``model.fit(x, y,
    batch_size, shuffle=shuffle)`` would draw after ``keras.utils.set_random_seed(seed)``.
    With ``steps_per_execution > 1`` Keras calls batch callbacks once per group of batches, so
    ``batch_losses`` holds one (true) mean per group.
    """
    epochs = _checks.count("epochs", epochs)
    batch_size = _checks.count("batch_size", batch_size)
    seed = _checks.count("seed", seed, minimum=0)
    if isinstance(optimizer, str):
        raise ValueError(
            "optimizer must be a keras optimizer object, e.g. "
            "keras.optimizers.SGD(learning_rate=0.1), not a string"
        )
    model = model if model is not None else build_model(dataset, hidden, seed=seed)
    loss, metrics = loss_and_metrics(dataset)
    model.compile(
        optimizer=optimizer, loss=loss, metrics=metrics, steps_per_execution=steps_per_execution
    )
    log = BatchLog(len(dataset.x_train), batch_size)
    train_batches, validation = pipelines(dataset, batch_size, seed, shuffle)
    keras.utils.set_random_seed(seed)
    with np.errstate(all="ignore"):
        history = model.fit(
            train_batches,
            epochs=epochs,
            verbose=0,
            validation_data=validation,
            callbacks=[log, *callbacks],
            shuffle=False,  # the pipeline is already in fit's order
        )
    return Run(
        {k: np.asarray(v, dtype=float) for k, v in history.history.items()},
        np.asarray(log.losses),
        np.asarray(log.learning_rates),
        log.diverged_at,
        model,
    )
