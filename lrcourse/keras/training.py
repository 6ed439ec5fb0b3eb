"""The one training loop for Keras runs, its compiled fast path, and the runs built on it.

``train(dataset, optimizer, epochs=20)`` trains a small network quietly and returns a :class:`Run`:
the history as arrays, the true loss and the learning rate of every batch, and a plain report if
the loss became nan or inf (a diverging run stops; it does not raise).

Batch order: epoch ``e`` visits the training rows in ``epoch_orders(n, epochs, seed)[e]``, a NumPy
permutation drawn afresh every epoch from ``np.random.default_rng(seed)``. ``fit`` is fed these
batches from one ``tf.data`` pipeline with ``shuffle=False``, so a run equals plain
``model.fit(x[order], y[order], shuffle=False)`` called epoch by epoch (``tests/test_training.py``
checks it number for number).

``train(..., fast=True)`` gives the same history, number for number, at a fraction of the cost
when a notebook trains many runs. A fresh model must trace its Keras functions (about a second);
the fast path keeps one compiled model per (dataset, hidden layers, batch size, optimizer class
and settings other than the learning rate) and, before every run, puts back what a fresh run
starts from: the seed's initial weights, the optimizer's initial variables (step count and
slots), and the learning rate. A float rate is owned by the optimizer, so callbacks such as
``ReduceLROnPlateau`` can change it; a schedule is turned into a table of per-step rates held in a
Keras variable (assigning a variable traces nothing). One call of the compiled step trains a
whole epoch, so the fast path records no per-batch losses.

Also here: Part III's reference experiment (:data:`REFERENCE`, :func:`reference_run`) and the
optimizer race on real data (:func:`race_on_data`).
"""

from __future__ import annotations

import hashlib
import itertools
import random
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from lrcourse import _checks
from lrcourse._setup import quiet_tensorflow
from lrcourse.data import Dataset, load

quiet_tensorflow()  # environment variables only: TensorFlow must not print its C++ logs
_python_rng = random.getstate()  # importing TensorFlow draws from Python's generator: undo it
with warnings.catch_warnings():  # TensorFlow's own deprecation warnings are not the learner's
    warnings.simplefilter("ignore")
    import keras
random.setstate(_python_rng)

__all__ = [
    "REFERENCE",
    "BatchLog",
    "DataRace",
    "Run",
    "build_model",
    "current_learning_rate",
    "epoch_orders",
    "loss_and_metrics",
    "race_on_data",
    "reference_run",
    "train",
]

#: Part III's reference experiment. Every schedule notebook and the showdown train exactly this,
#: so their numbers can be compared. Plain SGD (no momentum): the schedule alone sets the step.
#: The baseline is the constant rate notebook 09's sweep picked; every schedule is compared with it.
REFERENCE = {
    "dataset": "digits",
    "hidden": (32,),
    "batch_size": 64,
    "epochs": 20,
    "baseline_learning_rate": 0.3,
    "seeds": (0, 1, 2),
}

MAX_UNITS = 4096  # the widest hidden layer build_model accepts
MAX_LAYERS = 8  # the most hidden layers build_model accepts
MAX_SEED = 2**32 - 1  # keras.utils.set_random_seed's limit
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "gelu", "linear")


# ---------------------------------------------------------------- the network and its batches


def build_model(dataset, hidden=(32,), *, seed=0, activation="relu"):
    """A small multilayer perceptron sized for ``dataset``, its initial weights drawn from
    ``seed`` (logits out: the losses of :func:`loss_and_metrics` use ``from_logits``).

    ``hidden``: the width of each hidden layer, at most ``MAX_LAYERS`` = 8 layers of at most
    ``MAX_UNITS`` = 4096 units (``()`` gives a linear model). Calls
    ``keras.utils.set_random_seed(seed)``, which also seeds Python's and NumPy's global generators.
    """
    dataset = _dataset(dataset)
    hidden = _hidden(hidden)
    seed = _checks.count("seed", seed, minimum=0, maximum=MAX_SEED)
    _checks.choice("activation", activation, ACTIVATIONS)
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((dataset.n_features,))]
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden]
    layers.append(keras.layers.Dense(_outputs(dataset)))
    return keras.Sequential(layers, name=f"mlp_{dataset.name}")


def loss_and_metrics(dataset):
    """``(loss, metrics)`` for ``model.compile``: cross-entropy on logits and accuracy for
    classification, mean squared error for regression."""
    task = _dataset(dataset).task
    if task == "multiclass":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    if task == "binary":
        return keras.losses.BinaryCrossentropy(from_logits=True), [
            keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")
        ]
    return keras.losses.MeanSquaredError(), []


def epoch_orders(n_samples, epochs, seed):
    """The order in which :func:`train` visits the training rows: row ``e`` is epoch ``e``'s
    permutation of ``range(n_samples)``, each drawn afresh from ``np.random.default_rng(seed)``.

    ``epochs * n_samples`` is at most ``MAX_STEPS`` = 1,000,000 (the array is built in memory).
    """
    n_samples = _checks.count("n_samples", n_samples)
    epochs = _checks.count("epochs", epochs)
    seed = _checks.count("seed", seed, minimum=0, maximum=MAX_SEED)
    if epochs * n_samples > _checks.MAX_STEPS:
        raise ValueError(
            f"epochs * n_samples must be at most {_checks.MAX_STEPS:,}, got {epochs * n_samples:,}"
        )
    return np.stack(list(itertools.islice(_orders(n_samples, seed), epochs)))


def _orders(n_samples, seed):
    """Every epoch's permutation, one after the other, from one seeded generator."""
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n_samples)


def _training_batches(dataset, batch_size, epochs, seed):
    """All ``epochs`` of training batches as one ``tf.data`` pipeline: each epoch, the rows in
    that epoch's :func:`epoch_orders` order, cut into batches (an epoch's last may be smaller)."""
    import tensorflow as tf

    x, y = dataset.x_train, dataset.y_train

    def epochs_of_rows():  # called afresh whenever the pipeline is read: the same orders each time
        for order in itertools.islice(_orders(len(x), seed), epochs):
            yield x[order], y[order]

    signature = tuple(tf.TensorSpec(a.shape, tf.as_dtype(a.dtype)) for a in (x, y))
    rows = tf.data.Dataset.from_generator(epochs_of_rows, output_signature=signature)
    return rows.flat_map(
        lambda xs, ys: tf.data.Dataset.from_tensor_slices((xs, ys)).batch(batch_size)
    )


def _validation_batches(dataset, batch_size):
    import tensorflow as tf

    pairs = (dataset.x_val, dataset.y_val)
    return tf.data.Dataset.from_tensor_slices(pairs).batch(batch_size)


# ---------------------------------------------------------------- what a run records


def current_learning_rate(optimizer):
    """The learning rate the optimizer will use for its next step, as a Python float."""
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras optimizer, got {_brief(optimizer)}")
    rate = optimizer.learning_rate
    return float(rate.numpy() if hasattr(rate, "numpy") else rate)


class BatchLog(keras.callbacks.Callback):
    """Records the TRUE loss of every batch and the learning rate each batch used.

    Keras's ``logs["loss"]`` at batch end is the running mean since the epoch began, weighted by
    the number of samples in each batch. With ``s_k`` samples seen after batch k and ``n_k`` in
    batch k, the loss of batch k is recovered as ``(s_k * mean_k - s_(k-1) * mean_(k-1)) / n_k``;
    only the last batch of an epoch can be smaller. It also stops training, quietly, as soon as
    the loss is no longer finite. ``n_samples`` and ``batch_size`` size the batches (without
    them, every batch counts the same).
    """

    def __init__(self, n_samples=None, batch_size=None):
        super().__init__()
        if (n_samples is None) != (batch_size is None):
            raise ValueError("n_samples and batch_size must be given together, or neither")
        if n_samples is not None:
            n_samples = _checks.count("n_samples", n_samples)
            batch_size = _checks.count("batch_size", batch_size)
        self.n_samples, self.batch_size = n_samples, batch_size
        self.losses, self.learning_rates = [], []
        self.diverged_at = None  # (epoch, batch) where the loss stopped being finite

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._previous_mean, self._seen = epoch, 0.0, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.learning_rates.append(current_learning_rate(self.model.optimizer))

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        seen = batch + 1  # samples seen this epoch, counting each batch as 1 if sizes are unknown
        if self.n_samples is not None:
            seen = min(seen * self.batch_size, self.n_samples)
        self.losses.append((seen * mean - self._seen * self._previous_mean) / (seen - self._seen))
        self._seen, self._previous_mean = seen, mean
        if not np.isfinite(mean) and self.diverged_at is None:
            self.diverged_at = (self._epoch, batch)
            self.model.stop_training = True


class _EpochLog(BatchLog):
    """The fast path's log: one "batch" per call of the compiled step, that is per epoch. The
    rate of a float is read as each epoch starts (a callback may have changed it); a table's
    rates are known in advance, and reading them here would only cost time."""

    def __init__(self, read_rates):
        super().__init__()
        self.read_rates = read_rates

    def on_train_batch_begin(self, batch, logs=None):
        if self.read_rates:
            super().on_train_batch_begin(batch, logs)


@dataclass(eq=False)
class Run:
    """One training run.

    ``history[key]``: one value per epoch (Keras's ``history.history`` as arrays; the ``val_*``
    keys only for the epochs that were scored). ``batch_losses``: the true loss of every batch
    (empty for a fast run: one call of its compiled step trains a whole epoch).
    ``batch_learning_rates``: the rate of every batch. ``diverged_at``: ``(epoch, batch)`` where
    the loss stopped being finite (``(epoch, None)`` for a fast run), else None. ``weights``: the
    final weights. ``model``: the trained model (see :attr:`model` for fast runs).
    """

    history: dict
    batch_losses: np.ndarray
    batch_learning_rates: np.ndarray
    diverged_at: tuple | None = None
    weights: list = field(default_factory=list, repr=False)
    fast: bool = False
    _model: object = field(default=None, init=False, repr=False)
    _ticket: tuple | None = field(default=None, init=False, repr=False)  # (entry, run number)

    def __post_init__(self):
        self.history = _history(self.history)
        if self.diverged_at is not None:
            if not isinstance(self.diverged_at, tuple) or len(self.diverged_at) != 2:
                raise ValueError(
                    f"diverged_at must be None or (epoch, batch), got {_brief(self.diverged_at)}"
                )
            epoch, batch = self.diverged_at
            self.diverged_at = (
                _checks.count("diverged_at", epoch, minimum=0),
                None if batch is None else _checks.count("diverged_at", batch, minimum=0),
            )
        for name in ("batch_losses", "batch_learning_rates"):  # nan or inf: only if it diverged
            values = _checks.array(name, getattr(self, name), ndim=1, finite=False)
            if self.diverged_at is None and not np.all(np.isfinite(values)):
                raise ValueError(f"{name} must be finite unless the run diverged (diverged_at)")
            setattr(self, name, values)
        self.weights = [_weight(w) for w in _checks.sequence("weights", self.weights)]
        self.fast = _checks.flag("fast", self.fast)

    @property
    def model(self):
        """The trained model. A fast run's model is shared: it is this run's only until the next
        fast run of the same setting resets it (then this raises; use :attr:`weights`)."""
        if self._ticket is not None and self._ticket[0].runs != self._ticket[1]:
            raise RuntimeError(
                "this fast run's model has since been reset for another fast run: use "
                "run.weights (the final weights), or train with fast=False to keep a model per run"
            )
        return self._model

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def epochs(self):
        """Epochs trained (fewer than asked if the run diverged)."""
        return len(self.history.get("loss", ()))

    def final(self, key="val_loss"):
        """The last value of ``history[key]`` (nan if there is none)."""
        values = self.history[_checks.choice("key", key, tuple(self.history))]
        return float(values[-1]) if len(values) else float("nan")

    def best(self, key="val_loss"):
        """The lowest value of a loss, the highest of any other key (nan if all are nan)."""
        values = self.history[_checks.choice("key", key, tuple(self.history))]
        finite = values[np.isfinite(values)]
        if not len(finite):
            return float("nan")
        return float(finite.min() if "loss" in key else finite.max())

    @property
    def message(self):
        if self.diverged:
            epoch, batch = self.diverged_at
            where = f"epoch {epoch + 1}" + ("" if batch is None else f", batch {batch + 1}")
            return f"diverged in {where}: the loss became nan or inf"
        parts = [f"{self.epochs} epochs"]
        for key in ("loss", "val_loss", "val_accuracy"):
            if key in self.history:
                parts.append(f"{key} {self.final(key):.4f}")
        return ", ".join(parts)

    def __repr__(self):
        return f"Run({self.message})"


# ---------------------------------------------------------------- the training loop


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
    fast=False,
    validation_freq=1,
):
    """Train a fresh small network (or ``model``) on ``dataset`` quietly; return a :class:`Run`.

    optimizer: a fresh ``keras.optimizers`` object, e.g. ``keras.optimizers.SGD(0.1)``; its
    ``learning_rate`` is a float or a Keras ``LearningRateSchedule`` (a course schedule becomes one
    with ``lrcourse.keras.schedules.to_keras``). The same ``seed`` gives the same initial weights
    (``build_model(dataset, hidden, seed=seed)``) and batch order (:func:`epoch_orders`), so runs
    that differ only in the optimizer or schedule are compared fairly.

    fast=True: the compiled fast path (see the module's docstring). Same history, no per-batch
    losses, ``model`` must be None, and the optimizer you pass is only read (a twin with the same
    class and settings trains), so it can be passed again. A schedule must be serializable
    (``get_config``); callbacks that read or set the rate act on the twin.

    validation_freq=k scores the validation set every k-th epoch only: it saves time and changes
    nothing in the training, but a callback that monitors ``val_loss`` needs k = 1.
    ``epochs * steps per epoch`` is at most ``MAX_STEPS`` = 1,000,000 updates.
    """
    dataset = _dataset(dataset)
    if isinstance(optimizer, str):
        raise ValueError(
            "optimizer must be a keras optimizer object, e.g. "
            "keras.optimizers.SGD(learning_rate=0.1), not a string"
        )
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras optimizer object, got {_brief(optimizer)}")
    epochs = _checks.count("epochs", epochs)
    batch_size = _checks.count("batch_size", batch_size, maximum=len(dataset.x_train))
    steps = dataset.steps_per_epoch(batch_size)
    if epochs * steps > _checks.MAX_STEPS:
        raise ValueError(
            f"epochs must be at most {_checks.MAX_STEPS // steps:,} with {steps} batches per "
            f"epoch (at most {_checks.MAX_STEPS:,} updates in all), got {epochs:,}"
        )
    seed = _checks.count("seed", seed, minimum=0, maximum=MAX_SEED)
    hidden = _hidden(hidden)
    callbacks = _callbacks(callbacks)
    validation_freq = _checks.count("validation_freq", validation_freq)
    rate = optimizer.learning_rate  # a variable for a float rate, the current rate for a schedule
    if isinstance(rate, keras.Variable) and not 0 <= float(rate.numpy()) < np.inf:  # nan too
        raise ValueError(f"optimizer must have a learning rate >= 0, got {float(rate.numpy())}")
    if _checks.flag("fast", fast):
        if model is not None:
            raise ValueError("model must be None with fast=True (the fast path keeps its own)")
        return _train_fast(
            dataset, optimizer, epochs, batch_size, seed, hidden, callbacks, validation_freq
        )
    if optimizer.built or int(optimizer.iterations) != 0:
        raise ValueError(
            "optimizer must be fresh (never used to train): create a new one for every run"
        )
    model = build_model(dataset, hidden, seed=seed) if model is None else _model(model, dataset)
    _deterministic()
    loss, metrics = loss_and_metrics(dataset)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    log = BatchLog(len(dataset.x_train), batch_size)
    keras.utils.set_random_seed(seed)  # anything random inside fit (dropout) follows the seed
    history = _fit(
        model,
        _training_batches(dataset, batch_size, epochs, seed),
        _validation_batches(dataset, batch_size),
        epochs,
        steps,
        validation_freq,
        [log, *callbacks],
    )
    run = Run(
        history,
        batch_losses=np.asarray(log.losses, dtype=float),
        batch_learning_rates=np.asarray(log.learning_rates, dtype=float),
        diverged_at=log.diverged_at,
        weights=model.get_weights(),
    )
    run._model = model
    return run


def _fit(model, batches, validation, epochs, steps, validation_freq, callbacks):
    # a diverging run computes with inf and nan: it is reported (Run.message), not warned about
    with np.errstate(all="ignore"):
        history = model.fit(
            batches,
            epochs=epochs,
            steps_per_epoch=steps,
            validation_data=validation,
            validation_freq=validation_freq,
            shuffle=False,  # the pipeline is already in each epoch's order
            verbose=0,
            callbacks=callbacks,
        )
    return {key: np.asarray(values, dtype=float) for key, values in history.history.items()}


@lru_cache(maxsize=1)
def _deterministic():
    """Make TensorFlow's kernels deterministic (once): same seed, same numbers."""
    import tensorflow as tf

    try:
        tf.config.experimental.enable_op_determinism()
    except (AttributeError, RuntimeError):  # older TensorFlow, or already configured
        pass


# ---------------------------------------------------------------- the fast path

_CACHES = {}  # name -> {key: value}: compiled models, initial weights, batches, rate tables
_CACHE_SIZES = {"compiled": 16, "weights": 64, "batches": 64, "rates": 64}


def _remember(cache, key, make):
    """``make()``, kept under ``key`` in a small cache (the least recently used goes first)."""
    store = _CACHES.setdefault(cache, OrderedDict())
    if key not in store:
        store[key] = make()
        if len(store) > _CACHE_SIZES[cache]:
            store.popitem(last=False)
    store.move_to_end(key)
    return store[key]


@keras.saving.register_keras_serializable(package="lrcourse")
class _RateTable(keras.optimizers.schedules.LearningRateSchedule):
    """The fast path's schedule: ``rate(step) = values[min(step, n - 1)]``, read from a Keras
    variable, so new rates are assigned without tracing anything again."""

    def __init__(self, values):
        super().__init__()
        values = np.asarray(values, dtype="float32")
        self.values = keras.Variable(values, trainable=False, name="learning_rate_table")

    def __call__(self, step):
        last = self.values.shape[0] - 1  # after the table ends, the last rate stays
        index = keras.ops.minimum(keras.ops.cast(step, "int32"), last)
        return keras.ops.take(self.values, index)

    def get_config(self):
        return {"values": keras.ops.convert_to_numpy(self.values).astype(float).tolist()}


@dataclass(eq=False)
class _Compiled:
    """One compiled model of the fast path, and what a fresh run starts from."""

    model: object
    optimizer: object  # the twin of the optimizers this setting was asked for
    initial_state: list  # the twin's variables right after it was built
    table: _RateTable | None  # the rates, for an optimizer with a schedule
    validation: object
    runs: int = 0  # fast runs so far: a Run's model is stale once this moves on


def _train_fast(dataset, optimizer, epochs, batch_size, seed, hidden, callbacks, freq):
    steps = dataset.steps_per_epoch(batch_size)
    rate = _config(optimizer)["learning_rate"]  # a float, or a schedule's config
    table = None if isinstance(rate, int | float) else _rate_table(rate, epochs * steps)
    entry = _compiled(dataset, hidden, batch_size, optimizer, None if table is None else len(table))
    entry.runs += 1
    entry.model.set_weights(_initial_weights(dataset, hidden, seed))
    for variable, value in zip(entry.optimizer.variables, entry.initial_state, strict=True):
        variable.assign(value)  # step count and slots as a fresh optimizer has them
    if table is None:
        entry.optimizer.learning_rate = float(rate)  # the optimizer's own: callbacks may change it
    else:
        entry.table.values.assign(table)
    log = _EpochLog(read_rates=table is None)
    batches = _remember(
        "batches",
        (_fingerprint(dataset), batch_size, epochs, seed),
        lambda: _training_batches(dataset, batch_size, epochs, seed),
    )
    keras.utils.set_random_seed(seed)
    history = _fit(entry.model, batches, entry.validation, epochs, steps, freq, [log, *callbacks])
    done = len(history["loss"]) * steps
    rates = np.repeat(log.learning_rates, steps) if table is None else table[:done]
    run = Run(
        history,
        batch_losses=np.empty(0),
        batch_learning_rates=np.asarray(rates, dtype=float),
        diverged_at=None if log.diverged_at is None else (log.diverged_at[0], None),
        weights=entry.model.get_weights(),
        fast=True,
    )
    run._model, run._ticket = entry.model, (entry, entry.runs)
    return run


def _compiled(dataset, hidden, batch_size, optimizer, table_length):
    """The compiled model of this setting, built and traced on first use."""
    config = _config(optimizer)
    for key in ("learning_rate", "name"):  # the rate is set per run; the name changes nothing
        config.pop(key, None)
    setting = (
        _fingerprint(dataset),
        hidden,
        batch_size,
        type(optimizer),
        repr(sorted(config.items())),
        table_length,
    )

    def compile_once():
        _deterministic()
        model = build_model(dataset, hidden, seed=0)  # its weights are replaced before every run
        table = None if table_length is None else _RateTable(np.zeros(table_length))
        twin = type(optimizer).from_config(
            {**config, "learning_rate": 0.01 if table is None else table}
        )
        loss, metrics = loss_and_metrics(dataset)
        # one call of the compiled step trains a whole epoch: no Python between the batches
        steps = dataset.steps_per_epoch(batch_size)
        model.compile(optimizer=twin, loss=loss, metrics=metrics, steps_per_execution=steps)
        twin.build(model.trainable_variables)
        state = [keras.ops.convert_to_numpy(v) for v in twin.variables]
        return _Compiled(model, twin, state, table, _validation_batches(dataset, batch_size))

    return _remember("compiled", setting, compile_once)


def _initial_weights(dataset, hidden, seed):
    """The initial weights of ``build_model(dataset, hidden, seed=seed)``."""
    return _remember(
        "weights",
        (_fingerprint(dataset), hidden, seed),
        lambda: build_model(dataset, hidden, seed=seed).get_weights(),
    )


def _rate_table(config, total_steps):
    """The rate of every step of a run under the schedule serialized in ``config``.

    Computed the way an optimizer computes it, one scalar step at a time inside a traced
    function: a vectorised call can round the last bit differently, and the fast path must train
    with exactly the rates the plain path trains with.
    """
    import tensorflow as tf

    def compute():
        try:
            schedule = keras.optimizers.schedules.deserialize(config)
        except Exception as err:  # a learner's class Keras cannot rebuild from its config
            raise ValueError(
                "optimizer must have a float learning rate or a serializable schedule (with "
                f"get_config) to train with fast=True, or use fast=False ({err})"
            ) from None

        def one_more(step, table):
            rate = tf.cast(schedule(step), tf.float32)
            return step + 1, table.write(tf.cast(step, tf.int32), rate)

        @tf.function(autograph=False)
        def every_step():
            table = tf.TensorArray(tf.float32, size=total_steps)
            start = tf.constant(0, tf.int64)
            _, table = tf.while_loop(lambda step, _: step < total_steps, one_more, (start, table))
            return table.stack()

        rates = every_step().numpy().astype(float)
        bad = np.flatnonzero(~(np.isfinite(rates) & (rates >= 0)))
        if len(bad):
            raise ValueError(
                f"optimizer must have a schedule giving rates >= 0, got {rates[bad[0]]} at step "
                f"{bad[0]}"
            )
        return rates

    return _remember("rates", (repr(config), total_steps), compute)


def _config(optimizer):
    """The optimizer's settings: the fast path trains a twin built from them."""
    try:
        return optimizer.get_config()
    except Exception as err:  # e.g. a learning rate Keras cannot serialize
        raise ValueError(
            "optimizer must have a float learning rate or a serializable schedule (with "
            f"get_config) to train with fast=True, or use fast=False ({err})"
        ) from None


def _fingerprint(dataset):
    """A short digest of the dataset's content: equal datasets share compiled models."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val):
        digest.update(f"{part.dtype}{part.shape}".encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    return dataset.task, digest.hexdigest()


# ---------------------------------------------------------------- Part III's reference experiment


@lru_cache(maxsize=1)
def _reference_dataset():
    return load(REFERENCE["dataset"])


def reference_run(
    learning_rate, seed=0, *, epochs=None, callbacks=(), fast=True, validation_freq=1
):
    """Part III's reference experiment (:data:`REFERENCE`) with plain SGD at ``learning_rate``.

    learning_rate: a float > 0, a Keras ``LearningRateSchedule``, or a course schedule that
    counts batches (converted with ``lrcourse.keras.schedules.to_keras``); a schedule that counts
    epochs goes in ``callbacks=[epoch_callback(schedule)]`` with a float rate instead.
    epochs: ``REFERENCE["epochs"]`` unless given. fast=True uses the compiled fast path (no
    per-batch losses); see :func:`train` for ``callbacks`` and ``validation_freq``.
    """
    from lrcourse import schedules
    from lrcourse.keras.schedules import to_keras

    if isinstance(learning_rate, schedules.Schedule):
        if learning_rate.counts != "batches":
            raise ValueError(
                "learning_rate must count batches; a schedule that counts epochs goes in "
                "callbacks=[lrcourse.keras.schedules.epoch_callback(schedule)]"
            )
        learning_rate = to_keras(learning_rate)
    elif not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        top = float(np.finfo(np.float32).max)  # Keras keeps the rate in float32
        learning_rate = _checks.number(
            "learning_rate", learning_rate, low=0, low_open=True, high=top
        )
    epochs = REFERENCE["epochs"] if epochs is None else epochs
    return train(
        _reference_dataset(),
        keras.optimizers.SGD(learning_rate=learning_rate),
        epochs=epochs,
        batch_size=REFERENCE["batch_size"],
        seed=seed,
        hidden=REFERENCE["hidden"],
        callbacks=callbacks,
        fast=fast,
        validation_freq=validation_freq,
    )


# ---------------------------------------------------------------- the optimizer race on real data


@dataclass(frozen=True, eq=False)
class DataRace:
    """Curves of every (optimizer, seed) run: ``history[key][c, s, e]`` for optimizer c, seed s,
    after e epochs. Keys: loss, val_loss (and accuracy, val_accuracy for classification).

    Every column is scored after its epoch on the whole training set (``loss``, ``accuracy``) and
    on the validation set (``val_*``); column e = 0 is the seed's untrained network. (``fit``'s
    own ``loss`` is the mean over the epoch's batches instead, while the weights move.) A diverged
    run is nan from the epoch where its loss stopped being finite.
    """

    names: tuple
    seeds: tuple
    epochs: int
    batch_size: int
    steps_per_epoch: int
    history: dict

    def __post_init__(self):
        names = tuple(_checks.sequence("names", self.names))
        if not names or not all(isinstance(n, str) for n in names) or len(set(names)) < len(names):
            raise ValueError(
                f"names must be different strings, at least one, got {_brief(self.names)}"
            )
        seeds = tuple(
            _checks.count("seeds", s, minimum=0, maximum=MAX_SEED)
            for s in _checks.sequence("seeds", self.seeds)
        )
        if not seeds or len(set(seeds)) < len(seeds):
            raise ValueError(f"seeds must be different integers >= 0, at least one, got {seeds}")
        epochs = _checks.count("epochs", self.epochs)
        shape = (len(names), len(seeds), epochs + 1)
        history = _history(self.history, shape)
        for name, value in (
            ("names", names),
            ("seeds", seeds),
            ("epochs", epochs),
            ("history", history),
        ):
            object.__setattr__(self, name, value)
        for name in ("batch_size", "steps_per_epoch"):
            object.__setattr__(self, name, _checks.count(name, getattr(self, name)))

    @property
    def steps(self):
        """Updates per run."""
        return self.epochs * self.steps_per_epoch

    def curves(self, name, key="val_loss"):
        """``(seeds, epochs + 1)`` array of one optimizer's runs."""
        return self.history[_checks.choice("key", key, tuple(self.history))][
            self.names.index(_checks.choice("name", name, self.names))
        ]

    def final(self, key="val_loss"):
        """``{name: array of the final value of each seed}``."""
        return {name: self.curves(name, key)[:, -1] for name in self.names}

    def diverged(self, name):
        """How many seeds of this optimizer diverged."""
        return int(np.isnan(self.curves(name, "loss")).any(axis=1).sum())

    def table(self, names=None, keys=("val_loss", "val_accuracy")):
        """The final value of each key per optimizer: mean over the seeds [min, max]."""
        names = self.names if names is None else _checks.sequence("names", names)
        names = [_checks.choice("names", name, self.names) for name in names]
        keys = [
            _checks.choice("keys", key, tuple(self.history))
            for key in _checks.sequence("keys", keys)
        ]
        if not names or not keys:
            raise ValueError("names and keys must each name at least one entry")
        width = max(len(n) for n in names) + 2
        lines = [" " * width + "".join(f"{k + ': mean [min, max]':>30s}" for k in keys)]
        for name in names:
            cells = []
            for key in keys:
                final = self.curves(name, key)[:, -1]
                gone = int(np.isnan(final).sum())
                cells.append(
                    f"{gone} of {len(final)} diverged"
                    if gone
                    else f"{final.mean():.3f} [{final.min():.3f}, {final.max():.3f}]"
                )
            lines.append(f"{name:{width}s}" + "".join(f"{c:>30s}" for c in cells))
        return "\n".join(lines)


def race_on_data(dataset, optimizers, *, seeds=(0, 1, 2), epochs=20, batch_size=64, hidden=(32,)):
    """Train one small network per optimizer and seed, all at once, with real Keras optimizers.

    optimizers: ``{name: keras optimizer}``, each fresh (never used) and elementwise. Seed s gives
    every optimizer the same start (the initial weights of ``build_model(dataset, hidden,
    seed=s)``) and the same batch order (:func:`epoch_orders`), as :func:`train` would.

    Sixty-five ``train`` runs would cost a minute or two; here the networks sit side by side in
    one TensorFlow graph, traced once. The loss is the sum of the networks' own mean batch
    losses, so each network gets exactly its own gradient, and each optimizer updates only its
    own networks' weights: every update is elementwise, so a network trains as it would alone
    (``tests/test_race_on_data.py`` compares the curves with ``train``). Unlike ``fit``'s
    history, ``loss`` (and ``accuracy``) is scored on the whole training set after each epoch.
    At most ``MAX_STEPS`` = 1,000,000 updates in all runs together.
    """
    dataset = _dataset(dataset)
    if not isinstance(optimizers, dict) or not optimizers:
        raise ValueError(
            f"optimizers must be a non-empty dict {{name: keras optimizer}}, got "
            f"{_brief(optimizers)}"
        )
    for name, opt in optimizers.items():
        if not isinstance(name, str):
            raise ValueError(f"optimizers must be keyed by names (strings), got {name!r}")
        if not isinstance(opt, keras.optimizers.Optimizer):
            raise ValueError(f"optimizers[{name!r}] must be a keras optimizer, got {_brief(opt)}")
    seeds = tuple(
        _checks.count("seeds", s, minimum=0, maximum=MAX_SEED)
        for s in _checks.sequence("seeds", seeds)
    )
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be one or more different integers >= 0, got {seeds!r}")
    epochs = _checks.count("epochs", epochs)
    batch_size = _checks.count("batch_size", batch_size, maximum=len(dataset.x_train))
    hidden = _hidden(hidden)
    steps = dataset.steps_per_epoch(batch_size)
    updates = len(optimizers) * len(seeds) * epochs * steps
    if updates > _checks.MAX_STEPS:
        raise ValueError(
            f"epochs must be smaller: {len(optimizers)} optimizers x {len(seeds)} seeds x "
            f"{epochs} epochs x {steps} batches = {updates:,} updates, more than "
            f"{_checks.MAX_STEPS:,}"
        )
    import tensorflow as tf

    for name, opt in optimizers.items():
        if opt.built or int(opt.iterations) != 0:
            raise ValueError(f"optimizers[{name!r}] must be a fresh keras optimizer (never used)")
        if opt.clipnorm is not None or opt.global_clipnorm is not None:
            raise ValueError(
                f"optimizers[{name!r}] must not clip by norm (clipnorm, global_clipnorm): a norm "
                "would mix the networks trained side by side"
            )
    if len({id(opt) for opt in optimizers.values()}) < len(optimizers):
        raise ValueError("optimizers must be different objects, one per name")
    opts, n_seeds, n_train = tuple(optimizers.values()), len(seeds), len(dataset.x_train)
    # Each optimizer owns ONE variable, (seeds, n_parameters): its networks' weights flattened
    # into rows, so one call updates all of them and the graph stays small (fast to trace).
    initial = [_initial_weights(dataset, hidden, s) for s in seeds]
    shapes = [w.shape for w in initial[0]]
    sizes = [int(np.prod(shape)) for shape in shapes]
    rows = np.stack([np.concatenate([w.ravel() for w in ws]) for ws in initial])
    variables = [keras.Variable(rows, dtype="float32", name=f"race_{c}") for c in range(len(opts))]
    for opt, variable in zip(opts, variables, strict=True):
        opt.build([variable])
    task, n_nets = dataset.task, len(opts) * n_seeds
    x_train, y_train = tf.constant(dataset.x_train), tf.constant(dataset.y_train)
    x_val, y_val = tf.constant(dataset.x_val), tf.constant(dataset.y_val)

    def forward(x, theta):  # x (nets or 1, batch, features), theta (nets, n_parameters)
        parts = tf.split(theta, sizes, axis=1)
        weights = [tf.reshape(p, (n_nets, *shape)) for p, shape in zip(parts, shapes, strict=True)]
        for layer in range(0, len(weights), 2):
            x = tf.matmul(x, weights[layer]) + weights[layer + 1][:, None, :]
            if layer < len(weights) - 2:
                x = tf.nn.relu(x)
        return x  # logits (nets, batch, outputs)

    def losses_of(logits, y):  # the mean loss of each network over its batch: (nets,)
        y = tf.broadcast_to(y, tf.shape(logits)[:2])
        if task == "multiclass":
            per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        elif task == "binary":
            per = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(y, logits.dtype), logits=logits[..., 0]
            )
        else:
            per = tf.square(logits[..., 0] - y)
        return tf.reduce_mean(per, axis=1)

    def accuracy_of(logits, y):
        if task == "multiclass":
            hit = tf.argmax(logits, axis=-1, output_type=y.dtype) == y
        else:
            hit = tf.cast(logits[..., 0] > 0, y.dtype) == y
        return tf.reduce_mean(tf.cast(hit, tf.float32), axis=1)

    @tf.function(input_signature=[tf.TensorSpec((n_seeds, None), tf.int32)], autograph=False)
    def step(index):  # index (seeds, batch): the rows of each seed's batch
        rows_of_nets = tf.tile(index, [len(opts), 1])  # every optimizer's copy of seed s: its batch
        x, y = tf.gather(x_train, rows_of_nets), tf.gather(y_train, rows_of_nets)
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(losses_of(forward(x, tf.concat(variables, axis=0)), y))
        grads = tape.gradient(total, variables)
        for opt, grad, variable in zip(opts, grads, variables, strict=True):
            opt.apply([grad], [variable])

    @tf.function(autograph=False)
    def evaluate():
        theta, out = tf.concat(variables, axis=0), []
        for x, y in ((x_train, y_train), (x_val, y_val)):
            logits = forward(x[None], theta)
            out.append(losses_of(logits, y))
            if task != "regression":
                out.append(accuracy_of(logits, y))
        return [tf.reshape(o, (len(opts), n_seeds)) for o in out]

    keys = (
        ["loss", "val_loss"]
        if task == "regression"
        else ["loss", "accuracy", "val_loss", "val_accuracy"]
    )
    records = {k: [] for k in keys}
    orders = [epoch_orders(n_train, epochs, s) for s in seeds]  # (seeds, epochs, n)
    with np.errstate(all="ignore"):
        for epoch in range(epochs + 1):
            for k, value in zip(keys, evaluate(), strict=True):
                records[k].append(value.numpy())
            if epoch == epochs:
                break
            order = np.stack([o[epoch] for o in orders])
            for begin in range(0, n_train, batch_size):
                step(tf.constant(order[:, begin : begin + batch_size], dtype=tf.int32))
    history = {k: np.stack(v, axis=-1).astype(float) for k, v in records.items()}
    broken = ~np.isfinite(history["loss"]) | ~np.isfinite(history["val_loss"])
    first = np.where(broken.any(-1), broken.argmax(-1), epochs + 1)
    after = np.arange(epochs + 1) >= first[..., None]
    for values in history.values():
        values[after] = np.nan
    return DataRace(tuple(optimizers), seeds, epochs, batch_size, steps, history)


# ---------------------------------------------------------------- argument checks


def _weight(value):
    """One layer's weights: a numeric array of at least one dimension, kept in its own dtype
    (nan allowed: the weights of a diverged run)."""
    if not (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.number)):
        value = _checks.array("weights", value, finite=False)
    if value.ndim == 0:
        raise ValueError(f"weights must be a list of arrays (one per layer), got {value!r}")
    return value


def _history(value, shape=None):
    """``{key: array}`` with string keys and numeric values (nan allowed: a diverged run)."""
    if not isinstance(value, dict):
        raise ValueError(f"history must be a dict {{key: values}}, got {_brief(value)}")
    history = {}
    for key, values in value.items():
        if not isinstance(key, str):
            raise ValueError(f"history must have string keys, got {key!r}")
        history[key] = _checks.array(f"history[{key!r}]", values, finite=False)
        wanted = shape if shape is not None else (history[key].size,)
        if history[key].shape != wanted:
            raise ValueError(f"history[{key!r}] must have shape {wanted}, got {history[key].shape}")
    return history


def _dataset(value):
    if not isinstance(value, Dataset):
        raise ValueError(
            f"dataset must be an lrcourse Dataset (lrcourse.data.load(...)), got {_brief(value)}"
        )
    return value


def _outputs(dataset):
    return dataset.n_classes if dataset.task == "multiclass" else 1


def _hidden(value):
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        raise ValueError(f"hidden must be a tuple of layer widths, e.g. ({value},); got {value!r}")
    widths = tuple(
        _checks.count("hidden", h, maximum=MAX_UNITS) for h in _checks.sequence("hidden", value)
    )
    if len(widths) > MAX_LAYERS:
        raise ValueError(f"hidden must have at most {MAX_LAYERS} layers, got {len(widths)}")
    return widths


def _callbacks(value):
    callbacks = _checks.sequence("callbacks", value)
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise ValueError(
                f"callbacks must be keras callbacks (keras.callbacks.Callback), got "
                f"{_brief(callback)}"
            )
    return callbacks


def _model(model, dataset):
    """``model`` if it maps the dataset's features to the outputs its task needs."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras Model, got {_brief(model)}")
    wanted = (1, _outputs(dataset))
    try:
        shape = tuple(keras.ops.shape(model(dataset.x_train[:1])))
    except Exception as err:  # whatever Keras raises for an input it cannot take
        raise ValueError(
            f"model must take {dataset.n_features} features per row ({type(err).__name__}: "
            f"{str(err)[:120]})"
        ) from None
    if shape != wanted:
        raise ValueError(
            f"model must give {wanted[1]} output(s) per row for a {dataset.task} dataset, "
            f"got output shape {shape}"
        )
    return model


def _brief(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
