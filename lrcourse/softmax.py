"""A real training run in milliseconds: softmax regression on the digits, in NumPy.

This is the model behind the schedule playground (``lrcourse.ui.playground.PlaygroundExplorer``):
:class:`DigitsTask` trains it with the course's hand-written :class:`lrcourse.optimizers.SGD`,
one learning rate per update, so any schedule can be tried and a slider can follow the result.
:func:`designed_schedule` builds the playground's schedules (a warmup, then a decay) from
:mod:`lrcourse.schedules`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse import schedules as sch
from lrcourse.data import Dataset
from lrcourse.optimizers import SGD

__all__ = [
    "DECAYS",
    "MAX_BATCH_NUMBERS",
    "DigitsTask",
    "SoftmaxRun",
    "designed_schedule",
    "loss_and_gradient",
]

#: The most numbers a task gathers into its mini-batches (steps x batch_size x features): 80 MB.
MAX_BATCH_NUMBERS = 10 * _checks.MAX_STEPS


def loss_and_gradient(params, x, y):
    """Softmax regression: mean cross-entropy and its gradient with respect to ``params``.

    ``params`` has shape ``(n_features + 1, n_classes)``: the weights ``W``, then one row of
    biases ``b``; ``x`` is ``(n, n_features)`` and ``y`` holds ``n`` class labels in
    ``[0, n_classes)`` (each array at most 1,000,000 numbers). With logits ``z = x W + b``,
    probabilities ``p = softmax(z)`` and one-hot targets ``t``, the loss is ``-mean(log p[y])``
    and its gradient is ``x^T (p - t) / n`` for ``W`` and ``sum(p - t) / n`` for ``b``.
    """
    params = _checks.array("params", params, ndim=2)
    if params.shape[0] < 2 or params.shape[1] < 1:
        raise ValueError(
            f"params must have shape (n_features + 1, n_classes) with at least one feature and "
            f"one class, got shape {params.shape}"
        )
    x = _checks.array("x", x, ndim=2)
    if x.shape[1] != params.shape[0] - 1 or len(x) == 0:
        raise ValueError(
            f"x must have shape (n >= 1, {params.shape[0] - 1}) to match params, got {x.shape}"
        )
    y = _labels("y", y, len(x), params.shape[1])
    return _loss_and_gradient(params, x, y)


def _loss_and_gradient(params, x, y, gradient=True):
    """:func:`loss_and_gradient` without the checks: the inner loop of training (with
    ``gradient=False``, the loss alone, for scoring)."""
    logits = x @ params[:-1] + params[-1]
    logits = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow in exp
    exp = np.exp(logits)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = float((np.log(total[:, 0]) - logits[rows, y]).sum() / len(y))
    if not gradient:
        return loss, None
    error = exp / total  # p - t, built in place
    error[rows, y] -= 1.0
    error /= len(y)
    grad = np.empty_like(params)
    grad[:-1] = x.T @ error
    grad[-1] = error.sum(axis=0)
    return loss, grad


def _labels(name, y, n, n_classes):
    labels = _checks.array(name, y, ndim=1)
    if len(labels) != n:
        raise ValueError(f"{name} must hold one label per row of x ({n}), got {len(labels)}")
    if np.any(labels != np.round(labels)) or np.any(labels < 0) or np.any(labels >= n_classes):
        raise ValueError(f"{name} must hold integer class labels in [0, {n_classes - 1}]")
    return labels.astype(int)


@dataclass(frozen=True)
class SoftmaxRun:
    """A short NumPy training run, as :meth:`DigitsTask.train` returns it: the validation loss
    at ``steps`` (every ``eval_every`` updates and at the end), the final accuracy (nan for a
    diverged run), the rate of every update and where the run diverged (None if it did not)."""

    steps: np.ndarray  # the steps at which the validation set was scored (0 = before training)
    val_losses: np.ndarray
    val_accuracy: float
    learning_rates: np.ndarray  # the rate of every update
    diverged_at: int | None = None

    def __post_init__(self):
        steps = _checks.array("steps", self.steps, ndim=1)
        losses = _checks.array("val_losses", self.val_losses, ndim=1, finite=False)
        if len(steps) == 0 or len(losses) != len(steps):
            raise ValueError(
                f"val_losses must hold one loss per scored step, got {len(losses)} losses for "
                f"{len(steps)} steps"
            )
        _checks.array("learning_rates", self.learning_rates, ndim=1)
        accuracy = self.val_accuracy
        if not (isinstance(accuracy, float) and np.isnan(accuracy)):
            _checks.number("val_accuracy", accuracy, low=0, high=1)
        if self.diverged_at is not None:
            _checks.count("diverged_at", self.diverged_at, minimum=0)

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def final_loss(self):
        return float(self.val_losses[-1])

    @property
    def message(self):
        if self.diverged:  # found when the validation set is scored, every eval_every steps
            return f"diverged by step {self.diverged_at}: the loss became nan or inf"
        text = (
            f"validation loss {self.final_loss:.3f}, accuracy {self.val_accuracy:.1%} "
            f"after {len(self.learning_rates)} steps"
        )
        if self.final_loss > self.val_losses[0]:
            text += " (higher than at the start: the rate is far too large)"
        return text


class DigitsTask:
    """Softmax regression on the digits with mini-batch SGD, batches drawn once (seeded).

    ``task.train(learning_rates)`` runs ``steps`` updates of the hand-written SGD from zero
    weights, the k-th update with ``learning_rates[k]``; the data are ``lrcourse.data.load(...)``'s
    split (float64 here). Each epoch visits the training set in a new random order; only full
    batches are used, so every update has equal weight.

    dataset: a multiclass :class:`lrcourse.data.Dataset` (default: ``load("digits")``).
    steps: updates per run, 1 to 1,000,000; batch_size: 1 to the training set size;
    steps x batch_size x features: at most ``MAX_BATCH_NUMBERS`` (10,000,000; the batches are
    gathered once, so that a run is fast): with the digits' 64 pixels and batches of 64, up to
    2,441 steps. eval_every: score the validation set every so many steps; seed: 0 to 2**32 - 1.
    """

    def __init__(self, dataset=None, *, steps=200, batch_size=64, eval_every=10, seed=0):
        if dataset is None:
            from lrcourse.data import load

            dataset = load("digits")
        if not isinstance(dataset, Dataset) or dataset.task != "multiclass":
            raise ValueError(f"dataset must be a multiclass lrcourse Dataset, got {dataset!r}")
        self.steps = _checks.count("steps", steps)
        self.batch_size = _checks.count("batch_size", batch_size)
        self.eval_every = _checks.count("eval_every", eval_every)
        seed = _checks.count("seed", seed, minimum=0, maximum=2**32 - 1)
        x, y = dataset.x_train.astype(float), dataset.y_train.astype(int)
        per_epoch = len(x) // self.batch_size  # full batches only: every step has equal weight
        if per_epoch < 1:
            raise ValueError(
                f"batch_size must be at most the {len(x)} training samples, got {batch_size}"
            )
        if self.steps * self.batch_size * x.shape[1] > MAX_BATCH_NUMBERS:
            most = MAX_BATCH_NUMBERS // (self.batch_size * x.shape[1])
            raise ValueError(
                f"steps must be in [1, {most:,}] with batches of {self.batch_size} and "
                f"{x.shape[1]} features (at most {MAX_BATCH_NUMBERS:,} numbers), got {steps!r}"
            )
        rng = np.random.default_rng(seed)
        epochs = -(-self.steps // per_epoch)
        order = np.concatenate(
            [rng.permutation(len(x))[: per_epoch * self.batch_size] for _ in range(epochs)]
        )
        batches = order[: self.steps * self.batch_size].reshape(self.steps, self.batch_size)
        self.x_batches, self.y_batches = x[batches], y[batches]  # gathered once, not per update
        self.x_val, self.y_val = dataset.x_val.astype(float), dataset.y_val.astype(int)
        self.shape = (x.shape[1] + 1, dataset.n_classes)
        self.epochs = self.steps / per_epoch

    def train(self, learning_rates):
        """Train from zero weights with one learning rate per step; return a :class:`SoftmaxRun`.

        learning_rates: ``steps`` finite rates >= 0 (e.g. ``schedule(np.arange(task.steps))``).
        A run whose validation loss stops being finite is stopped and reported as diverged.
        """
        rates = _checks.array("learning_rates", learning_rates, finite=False)
        if rates.shape != (self.steps,) or not np.all(np.isfinite(rates)) or np.any(rates < 0):
            raise ValueError(
                f"learning_rates must hold {self.steps} finite rates >= 0, one per "
                f"step, got shape {rates.shape}"
            )
        optimizer = SGD(learning_rate=rates.__getitem__)  # the rate of update k is rates[k]
        params = np.zeros(self.shape)
        state = optimizer.init(params)
        scored, losses = [], []
        with np.errstate(all="ignore"):  # a diverging run is reported, not warned about
            for k in range(self.steps + 1):
                if k % self.eval_every == 0 or k == self.steps:
                    loss, _ = _loss_and_gradient(params, self.x_val, self.y_val, gradient=False)
                    scored.append(k)
                    losses.append(loss)
                    if not np.isfinite(loss):
                        return SoftmaxRun(
                            np.array(scored), np.array(losses), float("nan"), rates, diverged_at=k
                        )
                if k == self.steps:
                    break
                _, grad = _loss_and_gradient(params, self.x_batches[k], self.y_batches[k])
                params, state = optimizer.update(params, grad, state)
            logits = self.x_val @ params[:-1] + params[-1]
        accuracy = float(np.mean(np.argmax(logits, axis=1) == self.y_val))
        return SoftmaxRun(np.array(scored), np.array(losses), accuracy, rates)

    def __repr__(self):
        return (
            f"DigitsTask({self.steps} steps of batches of {self.batch_size}, "
            f"{self.epochs:.2f} epochs)"
        )


# --------------------------------------------------------------------------- the schedule

#: The shapes of the fall after the warmup.
DECAYS = ("cosine", "linear", "exponential", "none")


def designed_schedule(
    warmup_steps, peak_learning_rate, decay="cosine", decay_steps=100, end_fraction=0.01
):
    """A warmup from 0 to ``peak_learning_rate`` over ``warmup_steps`` steps, then a decay.

    ``decay`` is the shape of the fall from the peak to ``end_fraction * peak`` over
    ``decay_steps`` steps: "cosine" (``CosineDecay``), "linear" (``PolynomialDecay``, power 1) or
    "exponential" (``ExponentialDecay``), each flat at the end value afterwards; "none" keeps the
    peak. warmup_steps: 0 to 1,000,000; decay_steps: 1 to 1,000,000; end_fraction in (0, 1].
    Built from :mod:`lrcourse.schedules`, so its Keras adapter gives the same curve in Keras.
    """
    warmup_steps = _checks.count("warmup_steps", warmup_steps, minimum=0)
    peak = _checks.positive("peak_learning_rate", peak_learning_rate)
    decay = _checks.choice("decay", decay, DECAYS)
    decay_steps = _checks.count("decay_steps", decay_steps)
    end = _checks.number("end_fraction", end_fraction, low=0, high=1, low_open=True) * peak
    if decay == "cosine":
        after = sch.CosineDecay(peak, decay_steps, alpha=end / peak)
    elif decay == "linear":
        after = sch.PolynomialDecay(peak, decay_steps, end_learning_rate=end, power=1.0)
    elif decay == "exponential":  # ExponentialDecay keeps falling: hold the end value
        after = sch.sequence(
            [sch.ExponentialDecay(peak, decay_steps, end / peak), sch.Constant(end)], [decay_steps]
        )
    else:
        after = sch.Constant(peak)
    return sch.warmup(after, warmup_steps) if warmup_steps else after
