"""Many runs of Part III's reference experiment, fast: one model traced once, reset between runs.

A fresh ``lrcourse.training.train`` run builds a new model and pays for tracing its Keras
functions (about 0.7 s), which adds up when a notebook trains thirty runs. :class:`Bench` builds
the model once and, before every run, puts back what a fresh run would have:

* the seed's initial weights (``build_model(dataset, hidden, seed=seed)``'s, computed once);
* zeroed optimizer variables (``iterations`` and any slots);
* the learning rate: a float for the optimizer that callbacks may change, or, for a schedule, a
  per-step table in a Keras variable read by :class:`TableSchedule` (assigning new values to a
  variable does not trigger a new trace, passing a new schedule object would);
* the batches ``model.fit(x, y, batch_size, shuffle=True)`` would draw after
  ``keras.utils.set_random_seed(seed)``, fed as a ``tf.data`` pipeline that is built once.

The result is the same history, number for number, as ``train(...)`` with the same seed, schedule
and callbacks (``tests/test_showdown.py`` checks this), at a fraction of the cost. Per-batch losses
are not recorded: one call of the compiled step runs a whole epoch.

Imports Keras: import this module only to train.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse.data import load
from lrcourse.training import (
    REFERENCE,
    Run,
    build_model,
    fit_order,
    keras,
    loss_and_metrics,
    pipelines,
)

__all__ = ["Bench", "BenchRun", "TableSchedule", "fit_order"]


@keras.saving.register_keras_serializable(package="lrcourse")
class TableSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A learning rate read from a table, one entry per step: ``lr(step) = values[min(step, n-1)]``.

    The step counts batches, like every schedule passed to an optimizer. The table is a Keras
    variable, so :meth:`assign` switches to another schedule without tracing anything again.
    """

    def __init__(self, values):
        super().__init__()
        values = _rates("values", values)
        self.values = keras.Variable(
            values.astype("float32"), trainable=False, name="learning_rate_table"
        )

    def assign(self, values):
        """Replace the table by ``values`` (same length)."""
        values = _rates("values", values)
        if values.shape != tuple(self.values.shape):
            raise ValueError(
                f"values must have {self.values.shape[0]} entries (one per step), got {len(values)}"
            )
        self.values.assign(values.astype("float32"))

    def __call__(self, step):
        last = self.values.shape[0] - 1  # after the table ends, the last rate stays
        index = keras.ops.minimum(keras.ops.cast(step, "int32"), last)
        return keras.ops.take(self.values, index)

    def get_config(self):
        return {"values": keras.ops.convert_to_numpy(self.values).astype(float).tolist()}


@dataclass(eq=False, repr=False)
class BenchRun(Run):
    """A :class:`lrcourse.training.Run` from a :class:`Bench`: no per-batch losses; divergence is
    reported by epoch (``diverged_at = (epoch, None)``)."""

    @property
    def message(self):
        if self.diverged:
            return f"diverged in epoch {self.diverged_at[0] + 1}: the loss became nan or inf"
        return super().message


class Bench:
    """The reference experiment (``lrcourse.training.REFERENCE``) ready to be run many times.

    ``bench.run(0.3, seed=1)`` trains with a constant rate the optimizer owns (callbacks such as
    ``ReduceLROnPlateau`` may change it); ``bench.run(schedule, seed=1)`` trains with the rates
    ``bench.learning_rates(schedule)``, one per batch. Plain SGD, like the reference experiment.
    """

    def __init__(
        self,
        dataset=None,
        *,
        hidden=REFERENCE["hidden"],
        batch_size=REFERENCE["batch_size"],
        epochs=REFERENCE["epochs"],
    ):
        self.dataset = dataset if dataset is not None else load(REFERENCE["dataset"])
        self.hidden = tuple(_checks.count("hidden", h) for h in hidden)
        self.batch_size = _checks.count("batch_size", batch_size)
        self.epochs = _checks.count("epochs", epochs)
        self.steps_per_epoch = self.dataset.steps_per_epoch(self.batch_size)
        self.total_steps = self.epochs * self.steps_per_epoch
        self.table = TableSchedule(np.ones(self.total_steps))
        self._validation = pipelines(self.dataset, self.batch_size, 0, shuffle=False)[1]
        self._models, self._weights, self._batches = {}, {}, {}

    # -- what a fresh run would start from ----------------------------------------------------
    def initial_weights(self, seed):
        """The initial weights of ``build_model(dataset, hidden, seed=seed)``."""
        seed = _checks.count("seed", seed, minimum=0)
        if seed not in self._weights:
            self._weights[seed] = build_model(self.dataset, self.hidden, seed=seed).get_weights()
        return self._weights[seed]

    def batches(self, seed):
        """The batches ``fit(x, y, batch_size, shuffle=True)`` trains on with ``seed``, repeated."""
        seed = _checks.count("seed", seed, minimum=0)
        if seed not in self._batches:
            self._batches[seed] = pipelines(self.dataset, self.batch_size, seed)[0].repeat()
        return self._batches[seed]

    def learning_rates(self, schedule):
        """The rate of every batch of a run, from a schedule (any callable of an array of steps).

        A schedule whose ``counts`` is "epochs" (like ``StepDecay``) is called with the 0-based
        epoch of each batch, as a ``LearningRateScheduler`` would; any other with the batch index.
        """
        if not callable(schedule):
            raise ValueError(f"schedule must be a callable of the step, got {schedule!r}")
        steps = np.arange(self.total_steps)
        if getattr(schedule, "counts", "batches") == "epochs":
            steps = steps // self.steps_per_epoch
        try:
            rates = np.broadcast_to(np.asarray(schedule(steps), dtype=float), steps.shape)
        except (TypeError, ValueError) as err:
            raise ValueError(f"schedule must return one number per step: {err}") from None
        return _rates("schedule", rates)

    # -- training -------------------------------------------------------------------------------
    def run(self, learning_rate, *, seed=0, callbacks=(), validation_freq=1):
        """Train once from the seed's initial weights and return a :class:`BenchRun`.

        ``validation_freq=k`` scores the validation set only every k-th epoch (and Keras's
        history then holds one ``val_*`` entry per scored epoch): it saves time and changes
        nothing in the training. A callback that monitors ``val_loss`` needs ``k = 1``.
        """
        validation_freq = _checks.count("validation_freq", validation_freq)
        if callable(learning_rate):
            rates = self.learning_rates(learning_rate)
            self.table.assign(rates)
            kind = "table"
        else:
            rate = _checks.positive("learning_rate", learning_rate)
            kind = "float"
        model, optimizer = self._compiled(kind)
        model.set_weights(self.initial_weights(seed))
        batches = self.batches(seed)
        for variable in optimizer.variables:  # iterations (and slots) back to zero
            variable.assign(np.zeros(variable.shape, variable.dtype))
        if kind == "float":
            optimizer.learning_rate = rate
        with np.errstate(all="ignore"):
            history = model.fit(
                batches,
                epochs=self.epochs,
                steps_per_epoch=self.steps_per_epoch,
                validation_data=self._validation,
                validation_freq=validation_freq,
                shuffle=False,
                verbose=0,
                callbacks=[keras.callbacks.TerminateOnNaN(), *callbacks],
            )
        history = {k: np.asarray(v, dtype=float) for k, v in history.history.items()}
        if kind == "float":
            per_epoch = history.get("learning_rate", np.full(len(history["loss"]), rate))
            rates = np.repeat(per_epoch, self.steps_per_epoch)
        bad = np.flatnonzero(~np.isfinite(history["loss"]))
        diverged_at = (int(bad[0]), None) if len(bad) else None
        return BenchRun(
            history,
            np.empty(0),
            rates[: len(history["loss"]) * self.steps_per_epoch],
            diverged_at,
            model,
        )

    def _compiled(self, kind):
        """One model per kind of learning rate ("table" or "float"), compiled once."""
        if kind not in self._models:
            model = build_model(self.dataset, self.hidden, seed=0)
            rate = self.table if kind == "table" else float(REFERENCE["baseline_learning_rate"])
            optimizer = keras.optimizers.SGD(learning_rate=rate)
            loss, metrics = loss_and_metrics(self.dataset)
            # one call of the compiled step runs a whole epoch: no per-batch Python overhead
            model.compile(
                optimizer=optimizer,
                loss=loss,
                metrics=metrics,
                steps_per_execution=self.steps_per_epoch,
            )
            self._models[kind] = (model, optimizer)
        return self._models[kind]


def _rates(name, values):
    """A 1-D array of finite learning rates >= 0 (at least one), one per step."""
    try:
        rates = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {values!r}") from None
    if rates.ndim != 1 or not len(rates):
        raise ValueError(
            f"{name} must be a 1-D sequence of learning rates (one per step), "
            f"got shape {rates.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(rates) | (rates < 0))
    if len(bad):
        raise ValueError(
            f"{name} must be finite and >= 0 at every step, got {rates[bad[0]]:g} at step {bad[0]}"
        )
    return rates
