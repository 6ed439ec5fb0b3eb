"""Two explorers for Part III's last notebooks, fast enough to follow a slider.

* :class:`PlaygroundExplorer` (notebook 16): design a schedule (warmup, peak, decay shape and
  length) and see its learning-rate curve next to a short, real training run: softmax regression on
  the digits, trained in NumPy with the course's hand-written :class:`lrcourse.optimizers.SGD`
  and that schedule, against a constant rate. Mini-batches are drawn once, so a slider update
  only re-runs a couple of hundred cheap steps.
* :class:`PlateauExplorer` (notebook 15): ReduceLROnPlateau's rule replayed on a fixed loss trace;
  sliders for patience, factor, cooldown and min_delta show where the rate would be cut.

Neither imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse import schedules as sch
from lrcourse._setup import PALETTE
from lrcourse.optimizers import SGD
from lrcourse.plateau import replay_plateau
from lrcourse.widgets import Explorer, log_slider, slider

__all__ = [
    "DECAYS",
    "DigitsTask",
    "PlateauExplorer",
    "PlaygroundExplorer",
    "SoftmaxRun",
    "designed_schedule",
    "loss_and_gradient",
]

# --------------------------------------------------------------------------- the model


def loss_and_gradient(params, x, y):
    """Softmax regression: mean cross-entropy and its gradient with respect to ``params``.

    ``params`` has shape ``(n_features + 1, n_classes)``: the weights ``W``, then one row of
    biases ``b``. With logits ``z = x W + b``, probabilities ``p = softmax(z)`` and one-hot targets
    ``t``, the loss is ``-mean(log p[y])`` and its gradient is ``x^T (p - t) / n`` for ``W`` and
    ``sum(p - t) / n`` for ``b``.
    """
    logits = x @ params[:-1] + params[-1]
    logits = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow in exp
    exp = np.exp(logits)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = float(np.mean(np.log(total[:, 0]) - logits[rows, y]))
    error = exp / total  # p - t, built in place
    error[rows, y] -= 1.0
    error /= len(y)
    return loss, np.vstack([x.T @ error, error.sum(axis=0)])


@dataclass(frozen=True)
class SoftmaxRun:
    """A short NumPy training run: validation loss every ``eval_every`` steps (and at the end)."""

    steps: np.ndarray  # the steps at which the validation set was scored (0 = before training)
    val_losses: np.ndarray
    val_accuracy: float
    learning_rates: np.ndarray  # the rate of every update
    diverged_at: int | None = None

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
    split (float64 here). Each epoch visits the training set in a new random order.
    """

    def __init__(self, dataset=None, *, steps=200, batch_size=64, eval_every=10, seed=0):
        if dataset is None:
            from lrcourse.data import load

            dataset = load("digits")
        if dataset.task != "multiclass":
            raise ValueError(f"dataset must be a multiclass dataset, got {dataset.task!r}")
        self.steps = _checks.count("steps", steps)
        self.batch_size = _checks.count("batch_size", batch_size)
        self.eval_every = _checks.count("eval_every", eval_every)
        seed = _checks.count("seed", seed, minimum=0)
        x, y = dataset.x_train.astype(float), dataset.y_train.astype(int)
        per_epoch = len(x) // self.batch_size  # full batches only: every step has equal weight
        if per_epoch < 1:
            raise ValueError(
                f"batch_size must be at most the {len(x)} training samples, got {batch_size}"
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
        """Train from zero weights with one learning rate per step; return a :class:`SoftmaxRun`."""
        rates = np.asarray(learning_rates, dtype=float)
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
                    loss, _ = loss_and_gradient(params, self.x_val, self.y_val)
                    scored.append(k)
                    losses.append(loss)
                    if not np.isfinite(loss):
                        return SoftmaxRun(
                            np.array(scored), np.array(losses), float("nan"), rates, diverged_at=k
                        )
                if k == self.steps:
                    break
                _, grad = loss_and_gradient(params, self.x_batches[k], self.y_batches[k])
                params, state = optimizer.update(params, grad, state)
            logits = self.x_val @ params[:-1] + params[-1]
        accuracy = float(np.mean(np.argmax(logits, axis=1) == self.y_val))
        return SoftmaxRun(np.array(scored), np.array(losses), accuracy, rates)


# --------------------------------------------------------------------------- the schedule

DECAYS = ("cosine", "linear", "exponential", "none")


def designed_schedule(
    warmup_steps, peak_learning_rate, decay="cosine", decay_steps=100, end_fraction=0.01
):
    """A warmup from 0 to ``peak_learning_rate`` over ``warmup_steps`` steps, then a decay.

    ``decay`` is the shape of the fall from the peak to ``end_fraction * peak`` over
    ``decay_steps`` steps: "cosine" (``CosineDecay``), "linear" (``PolynomialDecay``, power 1) or
    "exponential" (``ExponentialDecay``), each flat at the end value afterwards; "none" keeps the
    peak. Built from :mod:`lrcourse.schedules`, so ``.to_keras()`` gives the same curve in Keras.
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


class PlaygroundExplorer(Explorer):
    """Design a schedule with sliders; left its learning rate, right a real (NumPy) run with it.

    The run is :class:`DigitsTask` (softmax regression on the digits, ``steps`` mini-batch SGD
    updates); the grey dashed lines are the same run at the constant rate ``baseline``.
    """

    def __init__(
        self,
        task=None,
        *,
        baseline=3.0,
        warmup_steps=20,
        peak_learning_rate=3.0,
        decay="cosine",
        decay_steps=180,
        lr_range=(0.03, 30.0),
    ):
        super().__init__()
        import ipywidgets as widgets

        self.task = task if task is not None else DigitsTask()
        self.baseline = _checks.positive("baseline", baseline)
        n = self.task.steps
        self.grid = np.arange(n)
        self.baseline_run = self.task.train(np.full(n, self.baseline))
        self.add_control(
            "warmup_steps",
            widgets.IntSlider(
                value=warmup_steps,
                min=0,
                max=n // 2,
                step=5,
                description="warmup steps",
                style={"description_width": "initial"},
            ),
        )
        self.add_control(
            "peak_learning_rate", log_slider("peak rate", peak_learning_rate, *lr_range)
        )
        self.add_control(
            "decay", widgets.Dropdown(options=DECAYS, value=decay, description="decay")
        )
        self.add_control(
            "decay_steps",
            widgets.IntSlider(
                value=decay_steps,
                min=10,
                max=n,
                step=10,
                description="decay steps",
                style={"description_width": "initial"},
            ),
        )

        self.ax_lr, self.ax_loss = self.fig.subplots(1, 2)
        base = self.baseline_run
        label = f"constant {self.baseline:g}"
        self.ax_lr.axhline(self.baseline, color="0.55", ls="--", label=label)
        self.ax_loss.plot(base.steps, base.val_losses, color="0.55", ls="--", label=label)
        self.lr_line = self.moving(self.ax_lr.plot([], [], color=PALETTE[0], label="yours")[0])
        self.loss_line = self.moving(
            self.ax_loss.plot([], [], "o-", ms=3, color=PALETTE[0], label="yours")[0]
        )
        self.ax_lr.set(
            xlim=(0, n),
            ylim=(lr_range[0] / 2, lr_range[1] * 2),
            yscale="log",
            xlabel="step (batches)",
            ylabel="learning rate",
            title="your schedule (log scale)",
        )
        self.ax_loss.set(
            xlim=(0, n),
            ylim=(0.08, 20.0),
            yscale="log",
            xlabel="step (batches)",
            ylabel="validation loss",
            title="softmax regression on the digits",
        )
        self.ax_lr.legend(loc="lower left", fontsize=9)
        self.ax_loss.legend(loc="upper right", fontsize=9)

    def draw(self, values):
        schedule = designed_schedule(
            values["warmup_steps"],
            values["peak_learning_rate"],
            values["decay"],
            values["decay_steps"],
        )
        self.schedule = schedule
        rates = schedule(self.grid)
        self.lr_line.set_data(self.grid, rates)  # a zero rate sits at the bottom of the log axis
        self.run = run = self.task.train(rates)
        self.loss_line.set_data(run.steps, run.val_losses)
        base = self.baseline_run
        if run.diverged:
            return (
                f"Your schedule {run.message}; the constant {self.baseline:g} reaches "
                f"{base.final_loss:.3f}."
            )
        return f"Your schedule: {run.message}. Constant {self.baseline:g}: {base.message}."


# --------------------------------------------------------------------------- plateau


class PlateauExplorer(Explorer):
    """ReduceLROnPlateau replayed on a fixed trace of monitored losses (one per epoch).

    Top: the losses, with a marker at the end of every epoch where the rate is cut. Bottom: the
    rate each epoch would use (log scale). The trace does not react to the cuts: it shows where
    the rule fires, not how training would have gone with the smaller rate.
    """

    def __init__(
        self,
        losses,
        learning_rate=0.1,
        *,
        patience=5,
        factor=0.5,
        cooldown=0,
        min_delta=1e-3,
        min_lr=0.0,
    ):
        import ipywidgets as widgets

        super().__init__(figsize=(9.0, 4.6))
        self.losses = _checks.array("losses", losses, ndim=1)
        self.learning_rate = _checks.positive("learning_rate", learning_rate)
        self.min_lr = _checks.non_negative("min_lr", min_lr)
        epochs = np.arange(len(self.losses))
        self.epochs = epochs
        int_style = {"style": {"description_width": "initial"}}
        self.add_control(
            "patience",
            widgets.IntSlider(value=patience, min=0, max=15, description="patience", **int_style),
        )
        self.add_control("factor", slider("factor", factor, 0.05, 0.95, 0.05))
        self.add_control(
            "cooldown",
            widgets.IntSlider(value=cooldown, min=0, max=10, description="cooldown", **int_style),
        )
        self.add_control("min_delta", log_slider("min_delta", min_delta, 1e-4, 0.3))

        self.ax_loss, self.ax_lr = self.fig.subplots(2, 1, sharex=True)
        self.ax_loss.plot(epochs, self.losses, color="0.35", lw=1.5, label="monitored loss")
        self.best_line = self.moving(
            self.ax_loss.plot([], [], color=PALETTE[2], lw=1.2, label="Keras's best")[0]
        )
        self.cut_marks = self.moving(
            self.ax_loss.plot([], [], "v", ms=9, color=PALETTE[3], label="rate cut here")[0]
        )
        self.lr_line = self.moving(self.ax_lr.step([], [], where="mid", color=PALETTE[0])[0])
        self.cut_lines = self.moving(self.ax_lr.plot([], [], color=PALETTE[3], lw=1, ls=":")[0])
        positive = bool(np.all(self.losses > 0))  # a log axis shows a flattening loss best
        low, high = self.losses.min(), self.losses.max()
        pad = 0.05 * (high - low)
        self.ax_loss.set(
            xlim=(-0.5, len(epochs) - 0.5),
            ylabel="loss",
            title="ReduceLROnPlateau replayed on a fixed loss trace",
            yscale="log" if positive else "linear",
            ylim=(low / 1.15, high * 1.15) if positive else (low - pad, high + pad),
        )
        low = max(self.min_lr, self.learning_rate * 1e-6)
        self.ax_lr.set(
            yscale="log",
            ylim=(low / 2, self.learning_rate * 2),
            xlabel="epoch (0-based)",
            ylabel="learning rate",
        )
        self.ax_loss.legend(loc="upper right", fontsize=9)

    def draw(self, values):
        result = replay_plateau(
            self.losses,
            self.learning_rate,
            factor=values["factor"],
            patience=values["patience"],
            min_delta=values["min_delta"],
            cooldown=values["cooldown"],
            min_lr=self.min_lr,
        )
        self.result = result
        cuts = np.array(result.reductions, dtype=int)
        self.best_line.set_data(self.epochs, result.best)
        self.cut_marks.set_data(cuts, self.losses[cuts])
        self.lr_line.set_data(self.epochs, result.learning_rates)
        # one vertical dotted line per cut, at the boundary after the epoch: NaN breaks the line
        xs = np.repeat(cuts + 0.5, 3).astype(float)
        ys = np.tile([1e-12, 1e12, np.nan], len(cuts))
        xs[2::3] = np.nan
        self.cut_lines.set_data(xs, ys)
        if not len(cuts):
            return (
                f"No cut: the loss never went {values['patience']} epochs without improving "
                f"by more than {values['min_delta']:.3g}."
            )
        return (
            f"{len(cuts)} cut(s), at the end of epochs {list(result.reductions)}; the rate ends "
            f"at {result.final_learning_rate:.3g}."
        )
