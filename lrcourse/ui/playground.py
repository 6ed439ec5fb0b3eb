"""Two explorers for Part III's last notebooks, fast enough to follow a slider.

* :class:`PlaygroundExplorer` (notebook 17): design a schedule (warmup, peak, decay shape and
  length) and see its learning-rate curve next to a short, real training run: softmax regression
  on the digits (:class:`lrcourse.softmax.DigitsTask`), trained in NumPy with the course's
  hand-written SGD and that schedule, against a constant rate.
* :class:`PlateauExplorer` (notebook 16): ReduceLROnPlateau's rule replayed on a fixed loss trace;
  sliders for patience, factor, cooldown and min_delta show where the rate would be cut.

Neither imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

from lrcourse import _checks
from lrcourse._setup import PALETTE
from lrcourse.plateau import replay_plateau
from lrcourse.softmax import DECAYS, DigitsTask, designed_schedule
from lrcourse.ui.widgets import Explorer, _range, log_slider, slider

__all__ = ["PlateauExplorer", "PlaygroundExplorer"]

_STYLE = {"style": {"description_width": "initial"}}


class PlaygroundExplorer(Explorer):
    """Design a schedule with sliders; left its learning rate, right a real (NumPy) run with it.

    The run is a :class:`lrcourse.softmax.DigitsTask` (default: softmax regression on the digits,
    200 mini-batch SGD updates); the grey dashed lines are the same run at the constant rate
    ``baseline`` (> 0). The schedule is :func:`lrcourse.softmax.designed_schedule`: sliders for
    the warmup (0 to half the steps), the peak rate (log, over ``lr_range``: 0 < low < high),
    the decay shape (one of ``DECAYS``) and its length (10 to the task's steps). By default the
    warmup is 20 steps (at most half the run) and the decay fills the rest of the run. Every
    slider trains a run, so it updates when released (``continuous_update=False``).
    """

    def __init__(
        self,
        task=None,
        *,
        baseline=3.0,
        warmup_steps=None,
        peak_learning_rate=3.0,
        decay="cosine",
        decay_steps=None,
        lr_range=(0.03, 30.0),
    ):
        import ipywidgets as widgets

        task = task if task is not None else DigitsTask()
        if not isinstance(task, DigitsTask):
            raise TypeError(f"task must be a DigitsTask (lrcourse.softmax), got {task!r}")
        self.baseline = _checks.positive("baseline", baseline)
        n = task.steps
        low, high = _range("lr_range", lr_range, positive=True)
        if warmup_steps is None:
            warmup_steps = min(20, n // 2)
        warmup_steps = _checks.count("warmup_steps", warmup_steps, minimum=0, maximum=n // 2)
        peak = _checks.number("peak_learning_rate", peak_learning_rate, low=low, high=high)
        decay = _checks.choice("decay", decay, DECAYS)
        shortest = min(10, n)
        if decay_steps is None:
            decay_steps = max(n - warmup_steps, shortest)
        decay_steps = _checks.count("decay_steps", decay_steps, minimum=shortest, maximum=n)
        super().__init__()
        self.task = task
        self.grid = np.arange(n)
        self.baseline_run = self.task.train(np.full(n, self.baseline))
        self.schedule = self.run = None
        still = {"continuous_update": False, **_STYLE}
        self.add_control(
            "warmup_steps",
            widgets.IntSlider(
                value=warmup_steps, min=0, max=n // 2, step=5, description="warmup steps", **still
            ),
        )
        self.add_control(
            "peak_learning_rate",
            log_slider("peak rate", peak, low, high, continuous_update=False),
        )
        self.add_control(
            "decay", widgets.Dropdown(options=DECAYS, value=decay, description="decay")
        )
        self.add_control(
            "decay_steps",
            widgets.IntSlider(
                value=decay_steps,
                min=shortest,
                max=n,
                step=10,
                description="decay steps",
                **still,
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
            ylim=(low / 2, high * 2),
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


class PlateauExplorer(Explorer):
    """ReduceLROnPlateau replayed on a fixed trace of monitored losses (one per epoch).

    Top: the losses, with a marker at the end of every epoch where the rate is cut. Bottom: the
    rate each epoch would use (log scale). The trace does not react to the cuts: it shows where
    the rule fires, not how training would have gone with the smaller rate.

    losses: 1 to 1,000,000 finite values in [-1e100, 1e100]; learning_rate and min_lr as for
    :func:`lrcourse.plateau.replay_plateau`. The starting slider values must lie in the sliders'
    ranges: patience 0 to 15, factor 0.05 to 0.95, cooldown 0 to 10, min_delta 1e-4 to 0.3.
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

        self.losses = _checks.array("losses", losses, ndim=1)
        if not len(self.losses) or np.abs(self.losses).max() > 1e100:
            raise ValueError(
                "losses must hold at least one value, each in [-1e100, 1e100], got "
                f"{len(self.losses)} value(s) from {self.losses.min(initial=0):g} to "
                f"{self.losses.max(initial=0):g}"
            )
        patience = _checks.count("patience", patience, minimum=0, maximum=15)
        factor = _checks.number("factor", factor, low=0.05, high=0.95)
        cooldown = _checks.count("cooldown", cooldown, minimum=0, maximum=10)
        min_delta = _checks.number("min_delta", min_delta, low=1e-4, high=0.3)
        # one replay checks learning_rate and min_lr as the rule itself does
        replay_plateau(self.losses, learning_rate, factor, patience, min_delta, cooldown, min_lr)
        self.learning_rate = float(learning_rate)
        self.min_lr = float(min_lr)
        if self.min_lr > self.learning_rate:
            raise ValueError(
                f"min_lr must be at most learning_rate ({self.learning_rate:g}), got {min_lr!r}"
            )
        super().__init__(figsize=(9.0, 4.6))
        epochs = np.arange(len(self.losses))
        self.epochs = epochs
        self.result = None
        self.add_control(
            "patience",
            widgets.IntSlider(value=patience, min=0, max=15, description="patience", **_STYLE),
        )
        self.add_control("factor", slider("factor", factor, 0.05, 0.95, 0.05))
        self.add_control(
            "cooldown",
            widgets.IntSlider(value=cooldown, min=0, max=10, description="cooldown", **_STYLE),
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
        pad = 0.05 * (high - low) or 0.05 * max(abs(low), 1.0)  # a flat trace still gets a range
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
