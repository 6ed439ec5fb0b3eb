"""The range test explorer: one recorded test, re-read with other smoothing and stop settings.

The batch losses of a range test do not depend on how they are smoothed or when the test would
have stopped; only the curve the rules read does. So a single recording answers "what if beta
were 0.9?" at once (:meth:`lrcourse.finder.RangeTest.replay`), with no training in the slider.
"""

from __future__ import annotations

import numpy as np

from lrcourse import _checks
from lrcourse._setup import PALETTE
from lrcourse.finder import RULES, RangeTest
from lrcourse.ui.widgets import Explorer, slider

__all__ = ["RaceEpochExplorer", "RangeTestExplorer"]

_STYLE = {"style": {"description_width": "initial"}}
_MARKERS = {"steepest": "v", "minimum": "o", "valley": "s"}


class RangeTestExplorer(Explorer):
    """A recorded range test (what :func:`lrcourse.finder.range_test` returns) with three
    controls: the smoothing ``beta`` (0 to 0.99), the ``stop_factor`` (1.5 to 10) and the
    ``rule`` that reads a rate off the curve. Grey: the loss of every batch (fixed); blue: the
    smoothed curve as far as the test would have run; a marker at each rule's rate, the chosen
    rule's large, and a dotted line at that rate.

    beta, stop_factor: the starting values (default: the test's own, which must lie in the
    sliders' ranges).
    """

    def __init__(self, test, *, beta=None, stop_factor=None, rule="valley"):
        import ipywidgets as widgets

        if not isinstance(test, RangeTest):
            got = _checks._brief(test)
            raise ValueError(f"test must be what lrcourse.finder.range_test returns, got {got}")
        beta = test.beta if beta is None else beta
        beta = _checks.number("beta", beta, low=0, high=0.99)
        stop_factor = test.stop_factor if stop_factor is None else stop_factor
        stop_factor = _checks.number("stop_factor", stop_factor, low=1.5, high=10)
        rule = _checks.choice("rule", rule, tuple(RULES))
        self.test = test
        self.replayed = None
        super().__init__(figsize=(9.0, 4.2))
        self.add_control("beta", slider("smoothing β", beta, 0.0, 0.99, 0.01))
        self.add_control("stop_factor", slider("stop at × minimum", stop_factor, 1.5, 10, 0.5))
        self.add_control(
            "rule",
            widgets.ToggleButtons(options=tuple(RULES), value=rule, description="rule", **_STYLE),
        )
        ax = self.ax = self.fig.subplots()
        ax.plot(test.rates, test.losses, color="0.75", lw=1, label="loss of each batch (recorded)")
        self.smoothed_line = self.moving(ax.plot([], [], color=PALETTE[0], lw=2)[0])
        self.stop_line = self.moving(ax.axvline(test.rates[-1], color="0.3", lw=1, ls="--"))
        self.rule_line = self.moving(ax.axvline(test.rates[0], color=PALETTE[3], lw=1, ls=":"))
        self.marks = {
            name: self.moving(
                ax.plot([], [], _MARKERS[name], color=colour, ms=7, mec="black", mew=0.5)[0]
            )
            for name, colour in zip(RULES, PALETTE[1:], strict=False)
        }
        finite = test.losses[np.isfinite(test.losses)]
        first = finite[: max(1, len(finite) // 10)].mean() if len(finite) else 1.0
        low = finite.min() if len(finite) else 0.0
        pad = 0.05 * (abs(first - low) or abs(low) or 1.0)
        ax.set(
            xscale="log",
            xlim=(test.rates[0], test.rates[-1] * 1.05),
            ylim=(low - pad, max(2 * first - low, low + 2 * pad)),
            xlabel="learning rate (log scale)",
            ylabel="loss",
            title="One recorded range test, read with other settings",
        )
        handles = [
            ax.lines[0],
            self.smoothed_line,
            self.stop_line,
            self.rule_line,
            *self.marks.values(),
        ]
        labels = [
            "loss of each batch",
            "smoothed",
            "where the test stops",
            "the chosen rule's rate",
            *RULES,
        ]
        ax.legend(handles, labels, fontsize=9, loc="upper left", ncols=2)
        self.smoothed_line.set_label("smoothed")

    def draw(self, values):
        replayed = self.test.replay(beta=values["beta"], stop_factor=values["stop_factor"])
        self.replayed = replayed
        self.smoothed_line.set_data(replayed.rates, replayed.smoothed)
        self.stop_line.set_xdata([replayed.rates[-1]] * 2)
        stops = f"stops after {replayed.steps} of {replayed.planned} steps ({replayed.stopped})"
        try:
            rates = replayed.suggestions()
        except ValueError:  # too few points before the stop: nothing to read
            for mark in self.marks.values():
                mark.set_data([], [])
            self.rule_line.set_xdata([np.nan] * 2)
            return f"β {values['beta']:.2f}: {stops}; too few points left to read a rate"
        log_rates = np.log(replayed.rates)
        for name, mark in self.marks.items():
            loss = np.interp(np.log(rates[name]), log_rates, replayed.smoothed)
            mark.set_data([rates[name]], [loss])
            mark.set_markersize(12 if name == values["rule"] else 7)
        self.rule_line.set_xdata([rates[values["rule"]]] * 2)
        read = ", ".join(f"{name} {rate:.2g}" for name, rate in rates.items())
        return f"β {values['beta']:.2f}: {stops}. Suggested: {read}"


class RaceEpochExplorer(Explorer):
    """The runs of a race on data (what ``lrcourse.keras.training.race_on_data`` returns), read
    after any epoch from 1 on: one row per setting, a dot per seed and a bar at their mean, for
    ``key`` (a history key of the race, e.g. "val_accuracy" or "val_loss"). The slider picks the
    epoch.

    It only reads the recorded curves: nothing trains when the slider moves. ``scale="log"`` draws
    the scores on a log axis (for losses that span decades across the epochs; every score must
    then be > 0).
    """

    def __init__(self, race, key="val_accuracy", *, epoch=None, scale="linear"):
        import ipywidgets as widgets

        for attribute in ("names", "seeds", "epochs", "history", "curves"):
            if not hasattr(race, attribute):
                got = _checks._brief(race)
                raise ValueError(f"race must be what race_on_data returns, got {got}")
        key = _checks.choice("key", key, tuple(race.history))
        epoch = race.epochs if epoch is None else epoch
        epoch = _checks.count("epoch", epoch, minimum=1, maximum=race.epochs)
        scale = _checks.choice("scale", scale, ("linear", "log"))
        self.race, self.key = race, key
        self.curves = {name: np.asarray(race.curves(name, key), dtype=float) for name in race.names}
        super().__init__(figsize=(9.0, 0.5 * len(race.names) + 1.6))
        self.add_control(
            "epoch",
            widgets.IntSlider(
                value=epoch, min=1, max=race.epochs, description="after epoch", **_STYLE
            ),
        )
        ax = self.ax = self.fig.subplots()
        rows = np.arange(len(race.names))
        self.seed_marks, self.mean_marks = [], []
        for row in rows:
            colour = PALETTE[row % len(PALETTE)]
            seeds = ax.plot([], [], "o", color=colour, alpha=0.6, ms=7)[0]
            mean = ax.plot([], [], "|", color="black", ms=18, mew=2)[0]
            self.seed_marks.append(self.moving(seeds))
            self.mean_marks.append(self.moving(mean))
        # one fixed axis for every epoch from 1 on (column 0, the untrained networks, would
        # squeeze the trained ones into a corner), so moves between epochs are visible
        trained = [c[:, 1:] for c in self.curves.values()]
        finite = np.concatenate([c[np.isfinite(c)] for c in trained])
        low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
        if scale == "log":
            if low <= 0:
                raise ValueError(f"scale 'log' needs every {key} > 0, got {low:g}")
            limits = (low / 1.1, high * 1.1)
        else:
            pad = 0.03 * (high - low or 1.0)
            limits = (low - pad, high + pad)
        ax.set(
            yticks=rows,
            yticklabels=race.names,
            ylim=(len(rows) - 0.5, -0.5),
            xscale=scale,
            xlim=limits,
            xlabel=f"{key} (dots: seeds; bar: their mean)",
        )
        ax.grid(True, axis="x", alpha=0.3)

    def draw(self, values):
        epoch = values["epoch"]
        means = {}
        for row, name in enumerate(self.race.names):
            at = self.curves[name][:, epoch]
            self.seed_marks[row].set_data(at, np.full(len(at), row))
            finite = at[np.isfinite(at)]
            mean = finite.mean() if len(finite) == len(at) else np.nan
            self.mean_marks[row].set_data([mean], [row])
            means[name] = mean
        known = {name: m for name, m in means.items() if np.isfinite(m)}
        if not known:
            return f"after epoch {epoch}: every setting diverged on some seed"
        low, high = min(known, key=known.get), max(known, key=known.get)
        spread = max(np.ptp(self.curves[name][:, epoch]) for name in known)
        return (
            f"after epoch {epoch}: means of {self.key} from {known[low]:.3f} ({low}) to "
            f"{known[high]:.3f} ({high}); the seeds of one setting spread up to {spread:.3f}"
        )
