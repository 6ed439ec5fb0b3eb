"""The one training loop for Keras runs, its traced fast path, and the runs built on it.

``train(dataset, optimizer, epochs=20)`` trains a small network quietly and returns a :class:`Run`:
the history as arrays, the true loss and the learning rate of every batch, and a plain report if
the loss became nan or inf (a diverging run stops; it does not raise).

Batch order: epoch ``e`` visits the training rows in ``epoch_orders(n, epochs, seed)[e]``, a NumPy
permutation drawn afresh every epoch from ``np.random.default_rng(seed)``. ``fit`` is fed these
batches from one ``tf.data`` pipeline with ``shuffle=False``, so a run equals plain
``model.fit(x[order], y[order], shuffle=False)`` called epoch by epoch (``tests/test_training.py``
checks it number for number).

``train(..., fast=True)`` gives the same history to float32 rounding at a fraction of the cost,
for notebooks that train many runs. A fresh Keras model must trace its functions (about a
second) and ``fit`` spends time around every epoch; the fast path instead keeps, per (dataset,
hidden layers, batch size, optimizer class and settings other than the learning rate), one
traced *stack*: the network's weights as one row of a Keras variable, one twin optimizer built
from the settings, and a TensorFlow function that trains a whole epoch per call (the batches in
a graph loop: no Python between them). Before every run it puts back what a fresh run starts
from (the seed's initial weights, the twin's initial variables, the learning rate). A schedule
becomes a table of per-step rates held in a variable; a float rate is the twin's own, so
epoch-level callbacks such as ``ReduceLROnPlateau`` can change it.

:func:`race_on_data` trains many networks on the same stack: one row per (optimizer, seed). The
loss is the sum of the networks' own mean batch losses, so each gets exactly its own gradient,
and every update rule is elementwise, so each trains as it would alone.

Also here: Part III's reference experiment (:data:`REFERENCE`, :func:`reference_run`) and the
optimizer race on real data (:func:`race_on_data`).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import random
import re
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
    "reference_race",
    "reference_run",
    "train",
]

#: Part III's reference experiment. Every schedule notebook and the showdown train exactly this,
#: so their numbers can be compared. Plain SGD (no momentum): the schedule alone sets the step.
#: The baseline is the best constant rate of notebook 10's sweep (steps of x1.5, five seeds, the
#: final validation loss); every schedule is compared with it over the five seeds.
REFERENCE = {
    "dataset": "digits",
    "hidden": (32,),
    "batch_size": 64,
    "epochs": 20,
    "baseline_learning_rate": 0.45,
    "seeds": (0, 1, 2, 3, 4),
    "sweep": (0.2, 0.3, 0.45, 0.675, 1.0),
}

MAX_UNITS = 4096  # the widest hidden layer build_model accepts
MAX_LAYERS = 8  # the most hidden layers build_model accepts
MAX_SEED = 2**32 - 1  # keras.utils.set_random_seed's limit
MAX_ORDER_ENTRIES = 10_000_000  # epoch_orders builds epochs x rows integers in memory
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
    # a model name must be a valid TensorFlow scope name: no spaces or brackets
    return keras.Sequential(layers, name="mlp_" + re.sub(r"[^A-Za-z0-9_.-]", "_", dataset.name))


def loss_and_metrics(dataset):
    """``(loss, metrics)`` for ``model.compile``: cross-entropy on logits and accuracy for
    classification, mean squared error for regression (mean absolute error if the dataset's
    ``loss`` is ``"mae"``)."""
    dataset = _dataset(dataset)
    task = dataset.task
    if task == "multiclass":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    if task == "binary":
        return keras.losses.BinaryCrossentropy(from_logits=True), [
            keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")
        ]
    if dataset.loss == "mae":
        return keras.losses.MeanAbsoluteError(), []
    return keras.losses.MeanSquaredError(), []


def epoch_orders(n_samples, epochs, seed):
    """The order in which :func:`train` visits the training rows: row ``e`` is epoch ``e``'s
    permutation of ``range(n_samples)``, each drawn afresh from ``np.random.default_rng(seed)``.

    ``epochs * n_samples`` is at most ``MAX_ORDER_ENTRIES`` = 10,000,000 (the array is built in
    memory: 80 MB).
    """
    n_samples = _checks.count("n_samples", n_samples)
    epochs = _checks.count("epochs", epochs)
    seed = _checks.count("seed", seed, minimum=0, maximum=MAX_SEED)
    if epochs * n_samples > MAX_ORDER_ENTRIES:
        raise ValueError(
            f"epochs * n_samples must be at most {MAX_ORDER_ENTRIES:,}, got {epochs * n_samples:,}"
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


@dataclass(eq=False)
class Run:
    """One training run.

    ``history[key]``: one value per epoch (Keras's ``history.history`` as arrays; the ``val_*``
    keys only for the epochs that were scored). ``batch_losses``: the true loss of every batch.
    ``batch_learning_rates``: the rate of every batch. ``diverged_at``: ``(epoch, batch)`` where
    the loss stopped being finite (``batch`` None if unknown), else None. ``weights``: the
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

    fast=True: the traced fast path (see the module's docstring). The same history and batch
    losses to float32 rounding; ``model`` must be None; the optimizer you pass is only read (a
    twin with the same class and settings trains), so it can be passed again. A schedule must be
    serializable (``get_config``). Callbacks act on the twin and see every epoch, not every
    batch (one that acts per batch, such as :class:`BatchLog`, needs fast=False), and clipping
    by norm needs fast=False (Keras clips each layer, the fast path holds one row).

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


class _TracingNotice(logging.Filter):
    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@lru_cache(maxsize=1)
def _expected_tracing():
    """Every stack traces its own two functions once, by design: TensorFlow's warning that the
    same code traced again is not the learner's."""
    logging.getLogger("tensorflow").addFilter(_TracingNotice())


_CACHES = {}  # name -> {key: value}: stacks of networks, initial weights, rate tables
_CACHE_SIZES = {"stacks": 16, "weights": 64, "rates": 64}
_OWN_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


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
class _Stack:
    """Networks of one architecture side by side in one traced graph: one row of weights per
    (setting, seed), one twin optimizer per setting, all reset before every use."""

    optimizers: list  # one twin per setting, built from the settings it was asked for
    tables: list  # per setting: its _RateTable, or None for a float rate
    initial_state: list  # per setting: the twin's variables right after it was built
    variables: list  # per setting: a (seeds, parameters) variable, the seeds' weights as rows
    shapes: list  # the shapes of one network's weights, in build_model's order
    run_epoch: object  # order (seeds, n) -> (batch losses (steps, nets), correct (nets,))
    evaluate: object  # (x, y) -> [loss (nets,), accuracy (nets,)]
    host: object  # a compiled Keras model for callbacks and Run.model (one-network stacks)
    runs: int = 0  # uses so far: a Run's model is stale once this moves on

    def reset(self, rows, rates):
        """Every network to its seed's initial weights, every twin to a fresh optimizer with
        ``rates[c]`` (a float, or a table of per-step rates)."""
        self.runs += 1
        for c, (opt, table) in enumerate(zip(self.optimizers, self.tables, strict=True)):
            self.variables[c].assign(rows)
            for variable, value in zip(opt.variables, self.initial_state[c], strict=True):
                variable.assign(value)  # step count and slots as a fresh optimizer has them
            if table is None:
                opt.learning_rate = float(rates[c])  # the twin's own: callbacks may change it
            else:
                table.values.assign(rates[c])

    def weights(self, setting, seed):
        """One network's weights as build_model's ``get_weights()`` lists them."""
        row = keras.ops.convert_to_numpy(self.variables[setting][seed])
        cuts = np.cumsum([int(np.prod(shape)) for shape in self.shapes])[:-1]
        return [p.reshape(s) for p, s in zip(np.split(row, cuts), self.shapes, strict=True)]


def _stack(dataset, hidden, batch_size, optimizers, n_seeds, total_steps):
    """The traced stack for these settings (built and traced on first use, then reused).

    Each setting's networks are ONE variable of shape (seeds, parameters), so one call of its
    optimizer updates all of them and the graph stays small. The loss is the sum of the networks'
    own mean batch losses: each network gets exactly its own gradient, and since every update
    rule is elementwise, each trains as it would alone.
    """
    settings = []
    for opt in optimizers:
        config = _config(opt)
        rate = config.pop("learning_rate")
        config.pop("name", None)  # the name changes nothing
        table = None if isinstance(rate, int | float) else total_steps
        settings.append((type(opt), repr(sorted(config.items())), config, table))
    key = (_fingerprint(dataset), hidden, batch_size, n_seeds, [s[:2] + s[3:] for s in settings])
    return _remember(
        "stacks", repr(key), lambda: _build_stack(dataset, hidden, batch_size, settings, n_seeds)
    )


def _build_stack(dataset, hidden, batch_size, settings, n_seeds):
    import tensorflow as tf

    _deterministic()
    _expected_tracing()
    shapes = [w.shape for w in _initial_weights(dataset, hidden, 0)]
    sizes = [int(np.prod(shape)) for shape in shapes]
    n_settings, task, absolute = len(settings), dataset.task, dataset.loss == "mae"
    n_nets, n_train = n_settings * n_seeds, len(dataset.x_train)
    steps = dataset.steps_per_epoch(batch_size)
    twins, tables, variables = [], [], []
    for c, (kind, _, config, table_length) in enumerate(settings):
        table = None if table_length is None else _RateTable(np.zeros(table_length))
        rate = 0.01 if table is None else table  # the float is set before every run
        twins.append(kind.from_config({**config, "learning_rate": rate}))
        tables.append(table)
        rows = np.zeros((n_seeds, sum(sizes)), "float32")
        variables.append(keras.Variable(rows, name=f"networks_{c}"))
    for twin, variable in zip(twins, variables, strict=True):
        twin.build([variable])
    state = [[keras.ops.convert_to_numpy(v) for v in twin.variables] for twin in twins]
    x_train, y_train = tf.constant(dataset.x_train), tf.constant(dataset.y_train)

    def forward(x, theta):  # x (nets or 1, batch, features), theta (nets, parameters)
        parts = tf.split(theta, sizes, axis=1)
        weights = [tf.reshape(p, (n_nets, *shape)) for p, shape in zip(parts, shapes, strict=True)]
        for layer in range(0, len(weights), 2):
            x = tf.matmul(x, weights[layer]) + weights[layer + 1][:, None, :]
            if layer < len(weights) - 2:
                x = tf.nn.relu(x)
        return x  # logits (nets, batch, outputs)

    def losses_of(logits, y):  # each network's mean loss over its batch: (nets,)
        y = tf.broadcast_to(y, tf.shape(logits)[:2])
        if task == "multiclass":
            per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        elif task == "binary":
            per = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(y, logits.dtype), logits=logits[..., 0]
            )
        elif absolute:
            per = tf.abs(logits[..., 0] - y)
        else:
            per = tf.square(logits[..., 0] - y)
        return tf.reduce_mean(per, axis=1)

    def correct_of(logits, y):  # each network's number of right answers: (nets,)
        if task == "multiclass":
            hit = tf.argmax(logits, axis=-1, output_type=y.dtype) == y
        elif task == "binary":
            hit = tf.cast(logits[..., 0] > 0, y.dtype) == y
        else:
            return tf.zeros((n_nets,))
        return tf.reduce_sum(tf.cast(hit, tf.float32), axis=1)

    @tf.function(input_signature=[tf.TensorSpec((n_seeds, n_train), tf.int32)], autograph=False)
    def run_epoch(order):  # one call trains a whole epoch: no Python between the batches
        def one_batch(b, losses, correct):
            rows = order[:, b * batch_size : tf.minimum((b + 1) * batch_size, n_train)]
            rows = tf.tile(rows, [n_settings, 1])  # every setting's copy of seed s: its batch
            x, y = tf.gather(x_train, rows), tf.gather(y_train, rows)
            with tf.GradientTape() as tape:
                logits = forward(x, tf.concat(variables, axis=0))
                loss = losses_of(logits, y)
                total = tf.reduce_sum(loss)
            grads = tape.gradient(total, variables)
            for twin, grad, variable in zip(twins, grads, variables, strict=True):
                twin.apply([grad], [variable])
            return b + 1, losses.write(b, loss), correct + correct_of(logits, y)

        start = (tf.constant(0), tf.TensorArray(tf.float32, size=steps), tf.zeros((n_nets,)))
        _, losses, correct = tf.while_loop(lambda b, *_: b < steps, one_batch, start)
        return losses.stack(), correct

    parts = [tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in (x_train, y_train)]

    @tf.function(input_signature=parts, autograph=False)
    def evaluate(x, y):  # the whole training or validation set at once
        logits = forward(x[None], tf.concat(variables, axis=0))
        return losses_of(logits, y), correct_of(logits, y) / tf.cast(tf.shape(y)[0], tf.float32)

    host = None
    if n_nets == 1:  # what callbacks and Run.model see
        host = build_model(dataset, hidden, seed=0)
        loss, metrics = loss_and_metrics(dataset)
        host.compile(optimizer=twins[0], loss=loss, metrics=metrics)
    return _Stack(twins, tables, state, variables, shapes, run_epoch, evaluate, host)


def _train_stacked(
    stack, dataset, orders, batch_size, *, freq=1, callbacks=None, race=False, score_training=True
):
    """Train every network of a freshly reset ``stack`` on ``orders`` (seeds, epochs, n).

    Returns ``(history, batch_losses, rates)``: ``history[key]`` a list with one array (nets,)
    per recorded epoch, under Keras's keys and meanings (``loss`` and ``accuracy``: over the
    epoch's batches, sample-weighted; ``val_*``: the validation set after every ``freq``-th
    epoch); ``batch_losses`` (steps, nets); ``rates`` the rate of each epoch for a float rate.
    One network (``race=False``): training stops after the epoch in which its loss stopped being
    finite, or when a callback of ``callbacks`` (a ``CallbackList`` on ``stack.host`` that ends
    with a ``History``) says so.
    ``race=True``: every epoch runs, and ``train_loss``, ``train_accuracy`` and the ``val_*``
    keys are scored on the whole sets before training (epoch 0) and after every epoch (the
    ``train_*`` keys before training only, if not ``score_training``).
    """
    import tensorflow as tf

    n_train, epochs = len(dataset.x_train), orders.shape[1]
    sizes = np.minimum(batch_size, n_train - batch_size * np.arange(-(-n_train // batch_size)))
    parts = {
        "train_": (tf.constant(dataset.x_train), tf.constant(dataset.y_train)),
        "val_": (tf.constant(dataset.x_val), tf.constant(dataset.y_val)),
    }
    classify = dataset.task != "regression"
    history, batch_losses, rates = {}, [], []

    def record(key, value):
        history.setdefault(key, []).append(np.asarray(value, dtype=float).reshape(-1))

    def score(prefix):
        loss, accuracy = stack.evaluate(*parts[prefix])
        record(prefix + "loss", loss.numpy())
        if classify:
            record(prefix + "accuracy", accuracy.numpy())

    if race:
        score("train_")
        score("val_")
    if callbacks is not None:
        stack.host.stop_training = False
        callbacks.on_train_begin()
    for epoch in range(epochs):
        if callbacks is not None:
            callbacks.on_epoch_begin(epoch)
        if stack.tables[0] is None:
            rates.append(current_learning_rate(stack.optimizers[0]))
        losses, correct = stack.run_epoch(tf.constant(orders[:, epoch], dtype=tf.int32))
        losses = losses.numpy().astype(float)
        batch_losses.append(losses)
        with np.errstate(all="ignore"):  # a diverged network's losses are inf or nan
            record("loss", sizes @ losses / n_train)
        if classify:
            record("accuracy", correct.numpy() / n_train)
        if race and score_training:
            score("train_")
        if race or (epoch + 1) % freq == 0:
            score("val_")
        if race:
            continue
        stop = not np.all(np.isfinite(losses))
        if callbacks is not None:
            stack.host.set_weights(stack.weights(0, 0))  # what a callback reads or restores
            logs = {key: float(values[-1][0]) for key, values in history.items()}
            if (epoch + 1) % freq:
                logs = {key: value for key, value in logs.items() if not key.startswith("val_")}
            callbacks.on_epoch_end(epoch, logs)
            for key, values in callbacks.callbacks[-1].history.items():  # the History: what
                if key not in _OWN_KEYS:  # the callbacks added, e.g. learning_rate
                    history[key] = [np.asarray([v], dtype=float) for v in values]
            stop = stop or stack.host.stop_training
        if stop:
            break
    if callbacks is not None:
        callbacks.on_train_end()
    return history, np.concatenate(batch_losses), np.asarray(rates, dtype=float)


def _train_fast(dataset, optimizer, epochs, batch_size, seed, hidden, callbacks, freq):
    for callback in callbacks:
        for hook in _BATCH_HOOKS:
            if getattr(type(callback), hook) is not getattr(keras.callbacks.Callback, hook):
                raise ValueError(
                    f"callbacks: {type(callback).__name__} acts on every batch ({hook}), and the "
                    "fast path trains a whole epoch per call: train with fast=False"
                )
    _refuse_clipping({"optimizer": optimizer}, hint=": train with fast=False")
    steps = dataset.steps_per_epoch(batch_size)
    rate = _rate(optimizer, epochs * steps)
    stack = _stack(dataset, hidden, batch_size, [optimizer], 1, epochs * steps)
    stack.reset(_rows(dataset, hidden, [seed]), [rate])
    orders = epoch_orders(len(dataset.x_train), epochs, seed)[None]
    listed = None
    if callbacks:
        listed = keras.callbacks.CallbackList(  # the last one records what the others log
            [*callbacks, keras.callbacks.History()],
            model=stack.host,
            epochs=epochs,
            steps=steps,
            verbose=0,
        )
    keras.utils.set_random_seed(seed)  # as the plain path: a callback may draw random numbers
    history, losses, rates = _train_stacked(
        stack, dataset, orders, batch_size, freq=freq, callbacks=listed
    )
    history = {key: np.concatenate(values) for key, values in history.items()}
    losses = losses[:, 0]
    broken = np.flatnonzero(~np.isfinite(losses))
    if listed is None:
        stack.host.set_weights(stack.weights(0, 0))
    run = Run(
        history,
        batch_losses=losses,
        batch_learning_rates=np.repeat(rates, steps) if np.ndim(rate) == 0 else rate[: len(losses)],
        diverged_at=divmod(int(broken[0]), steps) if len(broken) else None,
        weights=stack.host.get_weights(),  # a callback may have restored other weights
        fast=True,
    )
    run._model, run._ticket = stack.host, (stack, stack.runs)
    return run


def _rate(optimizer, total_steps):
    """The optimizer's float rate, or its schedule's rate at every step (an array)."""
    rate = _config(optimizer)["learning_rate"]
    return float(rate) if isinstance(rate, int | float) else _rate_table(rate, total_steps)


def _refuse_clipping(optimizers, hint=""):
    for name, opt in optimizers.items():
        if opt.clipnorm is not None or opt.global_clipnorm is not None:
            raise ValueError(
                f"{name} must not clip by norm (clipnorm, global_clipnorm) on the fast path, "
                f"which holds a network's weights in one row and cannot clip them layer by "
                f"layer as Keras does{hint}"
            )


def _rows(dataset, hidden, seeds):
    """The initial weights of each seed's network, flattened into one row per seed."""
    rows = [_initial_weights(dataset, hidden, s) for s in seeds]
    return np.stack([np.concatenate([w.ravel() for w in ws]) for ws in rows]).astype("float32")


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
    """A short digest of the dataset's content: equal datasets share stacks."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val):
        digest.update(f"{part.dtype}{part.shape}".encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    return dataset.task, dataset.loss, digest.hexdigest()


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
    epochs: ``REFERENCE["epochs"]`` unless given. fast=True uses the traced fast path
    (callbacks see epochs, not batches); see :func:`train` for ``callbacks`` and
    ``validation_freq``.
    """
    epochs = REFERENCE["epochs"] if epochs is None else epochs
    return train(
        _reference_dataset(),
        keras.optimizers.SGD(learning_rate=_reference_rate("learning_rate", learning_rate)),
        epochs=epochs,
        batch_size=REFERENCE["batch_size"],
        seed=seed,
        hidden=REFERENCE["hidden"],
        callbacks=callbacks,
        fast=fast,
        validation_freq=validation_freq,
    )


def reference_race(learning_rates, *, seeds=None, epochs=None):
    """Part III's reference experiment for several learning rates or schedules at once, on every
    seed: a :class:`DataRace` (one stack of networks; ``race.final("val_loss")`` gives each
    name's final validation loss per seed, ready for :func:`lrcourse.evidence.compare`).

    learning_rates: ``{name: rate}``, each rate as :func:`reference_run` takes it (a float > 0, a
    Keras schedule, or a course schedule that counts batches). seeds: ``REFERENCE["seeds"]``
    unless given; epochs: ``REFERENCE["epochs"]`` unless given. Each run equals
    ``reference_run(rate, seed)`` to float32 rounding; the race also scores the untrained
    network (epoch 0) and the whole training set after each epoch.
    """
    if not isinstance(learning_rates, dict) or not learning_rates:
        raise ValueError(
            f"learning_rates must be a non-empty dict {{name: rate}}, got {_brief(learning_rates)}"
        )
    optimizers = {}
    for name, rate in learning_rates.items():
        if not isinstance(name, str):
            raise ValueError(f"learning_rates must be keyed by names (strings), got {name!r}")
        rate = _reference_rate(f"learning_rates[{name!r}]", rate)
        optimizers[name] = keras.optimizers.SGD(learning_rate=rate)
    return race_on_data(
        _reference_dataset(),
        optimizers,
        seeds=REFERENCE["seeds"] if seeds is None else seeds,
        epochs=REFERENCE["epochs"] if epochs is None else epochs,
        batch_size=REFERENCE["batch_size"],
        hidden=REFERENCE["hidden"],
    )


def _reference_rate(name, learning_rate):
    """A rate as SGD takes it: a float, a Keras schedule, or a course schedule converted."""
    from lrcourse import schedules
    from lrcourse.keras.schedules import to_keras

    if isinstance(learning_rate, schedules.Schedule):
        if learning_rate.counts != "batches":
            raise ValueError(
                f"{name} must count batches; a schedule that counts epochs goes in "
                "callbacks=[lrcourse.keras.schedules.epoch_callback(schedule)] of reference_run"
            )
        return to_keras(learning_rate)
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        return learning_rate
    top = float(np.finfo(np.float32).max)  # Keras keeps the rate in float32
    return _checks.number(name, learning_rate, low=0, low_open=True, high=top)


# ---------------------------------------------------------------- the optimizer race on real data


@dataclass(frozen=True, eq=False)
class DataRace:
    """Curves of every (optimizer, seed) run: ``history[key][c, s, e]`` for optimizer c, seed s,
    after e epochs. Keys: loss, val_loss (and accuracy, val_accuracy for classification).

    Every column is scored after its epoch on the whole training set (``loss``, ``accuracy``) and
    on the validation set (``val_*``); column e = 0 is the seed's untrained network. (``fit``'s
    own ``loss`` is the mean over the epoch's batches instead, while the weights move; a race run
    with ``score_training=False`` records that.) A diverged run is nan from the epoch where its
    loss stopped being finite. :meth:`final_weights` gives the weights a run ended with.
    """

    names: tuple
    seeds: tuple
    epochs: int
    batch_size: int
    steps_per_epoch: int
    history: dict
    weights: tuple = ()  # weights[c][s]: the final weights of optimizer c, seed s (or empty)

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
        weights = self.weights
        if not isinstance(weights, tuple) or (
            weights
            and not (
                len(weights) == len(names)
                and all(isinstance(row, tuple) and len(row) == len(seeds) for row in weights)
                and all(isinstance(run, list | tuple) for row in weights for run in row)
            )
        ):
            raise ValueError(
                "weights must be () or a tuple per optimizer of a tuple per seed of lists of "
                f"arrays, got {_brief(weights)}"
            )
        weights = tuple(tuple([_weight(w) for w in run] for run in row) for row in weights)
        object.__setattr__(self, "weights", weights)

    def final_weights(self, name, seed):
        """The weights one run ended with, as ``build_model(...).get_weights()`` lists them
        (``model.set_weights`` takes them)."""
        if not self.weights:
            raise ValueError("this race kept no weights")
        c = self.names.index(_checks.choice("name", name, self.names))
        seed = _checks.count("seed", seed, minimum=0, maximum=MAX_SEED)
        s = self.seeds.index(_checks.choice("seed", seed, self.seeds))
        return [w.copy() for w in self.weights[c][s]]

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


def race_on_data(
    dataset,
    optimizers,
    *,
    seeds=(0, 1, 2),
    epochs=20,
    batch_size=64,
    hidden=(32,),
    score_training=True,
):
    """Train one small network per optimizer and seed, all at once, with real Keras optimizers.

    optimizers: ``{name: keras optimizer}``, elementwise, without clipping by norm; they are
    only read (twins with the same settings train). Seed s gives every optimizer the same start
    (the initial weights of ``build_model(dataset, hidden, seed=s)``) and the same batch order
    (:func:`epoch_orders`), as :func:`train` would.

    It is the fast path of :func:`train` with every network in one stack (see the module's
    docstring), so sixty-five runs cost little more than one: each curve equals ``train``'s to
    float32 rounding (``tests/test_race_on_data.py``). Unlike ``fit``'s history, ``loss`` (and
    ``accuracy``) is scored on the whole training set after each epoch, and epoch 0 is the
    untrained network. At most ``MAX_STEPS`` = 1,000,000 updates in all runs together.

    score_training=False skips scoring the whole training set after every epoch (for a wide
    network a fifth of the work): ``loss`` and ``accuracy`` after epoch e are then ``fit``'s, the
    mean over the epoch's batches while the weights move (column 0 is still the untrained network).
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
    score_training = _checks.flag("score_training", score_training)
    steps = dataset.steps_per_epoch(batch_size)
    updates = len(optimizers) * len(seeds) * epochs * steps
    if updates > _checks.MAX_STEPS:
        raise ValueError(
            f"epochs must be smaller: {len(optimizers)} optimizers x {len(seeds)} seeds x "
            f"{epochs} epochs x {steps} batches = {updates:,} updates, more than "
            f"{_checks.MAX_STEPS:,}"
        )
    _refuse_clipping({f"optimizers[{name!r}]": opt for name, opt in optimizers.items()})
    total = epochs * steps
    stack = _stack(dataset, hidden, batch_size, list(optimizers.values()), len(seeds), total)
    stack.reset(_rows(dataset, hidden, seeds), [_rate(opt, total) for opt in optimizers.values()])
    orders = np.stack([epoch_orders(len(dataset.x_train), epochs, s) for s in seeds])
    records, _, _ = _train_stacked(
        stack, dataset, orders, batch_size, race=True, score_training=score_training
    )
    if not score_training:  # fit's running means after the untrained network's whole-set score
        for key in ("loss", "accuracy"):
            if key in records:
                records[f"train_{key}"] += records[key]
    shape = (len(optimizers), len(seeds), epochs + 1)
    history = {
        key.removeprefix("train_"): np.stack(values, axis=-1).reshape(shape)
        for key, values in records.items()
        if key.startswith(("train_", "val_"))
    }
    broken = ~np.isfinite(history["loss"]) | ~np.isfinite(history["val_loss"])
    first = np.where(broken.any(-1), broken.argmax(-1), epochs + 1)
    after = np.arange(epochs + 1) >= first[..., None]
    for values in history.values():
        values[after] = np.nan
    weights = tuple(
        tuple(stack.weights(c, s) for s in range(len(seeds))) for c in range(len(optimizers))
    )
    return DataRace(tuple(optimizers), seeds, epochs, batch_size, steps, history, weights)


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
