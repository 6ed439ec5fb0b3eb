"""Slider explorers: the figure is drawn once, and a slider only moves the artists that change.

The pattern, shared by every explorer in the course:

* ``__init__`` builds the figure and its fixed parts (contours, axes with fixed limits) once;
* ``draw(values)`` is a plain method: it recomputes, updates the moving artists with ``set_data``
  and returns a one-line status; tests call ``update(...)`` and read the artists' data directly;
* ``render()`` repaints only the moving artists over a cached background (blitting) and sends the
  PNG to an ``ipywidgets.Image``, so an update costs milliseconds, not a full redraw.

A slider never raises: a value that cannot be drawn (a schedule that refuses it, say) is said in
the status line. Display an explorer as the last expression of a cell to get its sliders.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrcourse import _checks
from lrcourse._setup import PALETTE
from lrcourse.descent import descend, noisy_descent
from lrcourse.landscapes import bowl
from lrcourse.ui.plotting import MAX_INCHES, _label, _landscape, _trajectory, draw_landscape
from lrcourse.ui.plotting import loss_gap as _loss_gap

__all__ = [
    "TEXT_FALLBACK",
    "DescentExplorer",
    "Explorer",
    "ScheduleExplorer",
    "describe",
    "log_slider",
    "slider",
]

TEXT_FALLBACK = "{name}: sliders need a running kernel (run this cell in JupyterLab)."


class Explorer:
    """Base class: owns the figure, the sliders, the status line and the fast redraw.

    figsize: ``(width, height)`` in inches, each in (0, 50].
    """

    def __init__(self, figsize=(9.0, 3.6)):
        size = _checks.array("figsize", figsize, shape=(2,))
        if np.any(size <= 0) or np.any(size > MAX_INCHES):
            raise ValueError(
                f"figsize must be (width, height) in (0, {MAX_INCHES:g}], got {figsize!r}"
            )
        self.fig = Figure(figsize=tuple(size), dpi=80, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.controls = {}
        self.status = ""
        self.png = b""
        self._moving = []
        self._background = None
        self._syncing = False
        self._box = None

    # -- building -------------------------------------------------------------------------
    def add_control(self, name, control):
        """Add a slider (any ipywidgets value widget) under ``name``: its value reaches
        ``draw(values)`` as ``values[name]``."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name must be a Python identifier (a keyword of draw), got {name!r}")
        if name in self.controls:
            raise ValueError(f"name must be new: this explorer already has a control {name!r}")
        _control("control", control)
        control.observe(lambda change: self._on_slider(name, change), names="value")
        self.controls[name] = control
        return control

    def moving(self, artist):
        """Mark an artist of this figure as one that sliders change (drawn over the cached
        background)."""
        if not isinstance(artist, Artist) or artist.figure is not self.fig:
            raise TypeError(f"artist must be a matplotlib artist of this figure, got {artist!r}")
        artist.set_animated(True)
        self._moving.append(artist)
        return artist

    # -- updating ---------------------------------------------------------------------------
    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **values):
        """Set slider values (as a learner dragging them would), redraw, return the status.

        Each value must be one its slider can take (in its range, one of its options): a value
        outside raises ValueError naming the slider and what it allows, and changes nothing.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}"
            )
        checked = {name: _slider_value(name, self.controls[name], v) for name, v in values.items()}
        before = self.values
        self._syncing = True
        try:
            for name, value in checked.items():
                try:
                    self.controls[name].value = value
                except Exception as exc:  # the widget refused it: leave every slider as it was
                    for other, old in before.items():
                        self.controls[other].value = old
                    raise ValueError(f"{name} cannot take the value {value!r}: {exc}") from None
        finally:
            self._syncing = False
        self.status = self.draw(self.values)
        self.render()
        return self.status

    def draw(self, values):
        """Recompute and move the artists for the slider ``values``; return the status line."""
        raise NotImplementedError

    def _checked(self, values):
        """``values``, a dict of a value for every slider, each in its slider's range."""
        if not isinstance(values, dict) or not set(self.controls) <= set(values):
            raise ValueError(
                f"values must be a dict with a value for each of {sorted(self.controls)}, got "
                f"{_checks._brief(values)}"
            )
        return {name: _slider_value(name, c, values[name]) for name, c in self.controls.items()}

    def invalidate(self):
        """Call after changing anything fixed (limits, labels): the next render redraws it all."""
        self._background = None

    def render(self):
        """Repaint the moving artists over the cached background; return the picture as PNG."""
        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        canvas.restore_region(self._background)
        for artist in self._moving:
            artist.axes.draw_artist(artist) if artist.axes else self.fig.draw_artist(artist)
        self.png = _png(canvas)
        if self._box is not None:
            self._image.value = self.png
            self._status.value = f"<b>{self.status}</b>"
        return self.png

    def _on_slider(self, name, change):
        if not self._syncing:
            self.status = self.draw(self.values)
            self.render()

    # -- showing ----------------------------------------------------------------------------
    def widget(self):
        """The ipywidgets box (sliders, picture, status line), built on first use."""
        import ipywidgets as widgets

        if self._box is None:
            if not self.png:
                self.status = self.draw(self.values)
                self.render()
            self._image = widgets.Image(value=self.png, format="png")
            self._status = widgets.HTML(f"<b>{self.status}</b>")
            sliders = widgets.HBox(
                list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")
            )
            self._box = widgets.VBox([sliders, self._image, self._status])
        return self._box

    def snapshot(self, **values):
        """A static picture of the explorer at the given slider values (reads without a kernel)."""
        from IPython.display import Image

        if values:
            self.update(**values)
        elif not self.png:
            self.update()
        return Image(data=self.png, format="png")

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget()._repr_mimebundle_()
        bundle["text/plain"] = TEXT_FALLBACK.format(name=type(self).__name__)
        return bundle


def _png(canvas):
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    buffer = io.BytesIO()
    Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba()).save(
        buffer, "png", compress_level=1
    )
    return buffer.getvalue()


def _slider_value(name, control, value):
    """``value`` as the numeric slider ``control`` takes it, after checking it is in range.

    A slider would silently clamp a value outside its range; here it is refused. A drop-down
    takes one of its options; other widgets (check boxes) check their values when they are set.
    """
    if isinstance(control.value, tuple):  # a range slider or a multiple choice checks its own
        return value
    if hasattr(control, "options"):  # a drop-down or toggle buttons: one of its options
        options = control.options
        pairs = options.items() if isinstance(options, dict) else options
        allowed = tuple(o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in pairs)
        if all(isinstance(o, str | int | float) for o in allowed):
            return _checks.choice(name, value, allowed)
        return value
    if not (hasattr(control, "min") and hasattr(control, "max")):
        return value
    if hasattr(control, "base"):  # a log slider: min and max are exponents
        low, high = control.base**control.min, control.base**control.max
    else:
        low, high = control.min, control.max
    integer = isinstance(control.value, int) and not isinstance(control.value, bool)
    value = _checks.number(name, value, integer=integer)
    slack = 1e-9 * max(abs(low), abs(high))  # 10 ** log10(x) is not always exactly x
    if not low - slack <= value <= high + slack:
        raise ValueError(f"{name} must be in [{low:.6g}, {high:.6g}] (its slider), got {value!r}")
    return min(max(value, low), high)


def _range(name, value, *, positive=False):
    """A ``(low, high)`` pair of finite numbers with low < high (and low > 0 if ``positive``)."""
    pair = _checks.array(name, value, shape=(2,))
    low, high = float(pair[0]), float(pair[1])
    if low >= high or (positive and low <= 0):
        floor = "0 < " if positive else ""
        raise ValueError(f"{name} must be (low, high) with {floor}low < high, got {value!r}")
    return low, high


def _bounds(low, high, *, positive=False):
    """A slider's ends: numbers with low < high (and low > 0 for a log slider)."""
    if positive:
        low = _checks.positive("low", low)
    else:
        low = _checks.number("low", low)
    high = _checks.number("high", high)
    if high <= low:
        raise ValueError(f"high must be greater than low ({low:g}), got {high!r}")
    return low, high


def _control(name, control):
    """``control`` if it is a widget a learner can set (it has a value), else a TypeError."""
    import ipywidgets as widgets

    if not isinstance(control, widgets.ValueWidget):
        raise TypeError(f"{name} must be an ipywidgets slider (a value widget), got {control!r}")
    return control


def _settings(options, defaults):
    """Slider defaults updated with the caller's options (a string is not a boolean)."""
    settings = defaults | options
    if "continuous_update" in settings:
        _checks.flag("continuous_update", settings["continuous_update"])
    return settings


def _build(make, description, **kwargs):
    """Build a widget, turning its complaints about an option into a ValueError."""
    from traitlets import TraitError

    try:
        return make(description=description, **kwargs)
    except (TraitError, TypeError) as exc:
        raise ValueError(f"options must be valid {make.__name__} settings: {exc}") from None


def log_slider(description, value, low, high, **options):
    """A slider over powers of ten, the natural scale of learning rates.

    low, high: positive, low < high; value in [low, high]. ``options`` override the defaults
    (e.g. ``continuous_update=False`` for a slider that trains a network).
    """
    import ipywidgets as widgets

    _description(description)
    low, high = _bounds(low, high, positive=True)
    value = _checks.number("value", value, low=low, high=high)
    defaults = {
        "step": 0.01,
        "readout_format": ".3g",
        "continuous_update": True,
        "style": {"description_width": "initial"},
    }
    settings = _settings(options, defaults)
    return _build(
        widgets.FloatLogSlider,
        description,
        value=value,
        base=10,
        min=np.log10(low),
        max=np.log10(high),
        **settings,
    )


def slider(description, value, low, high, step=0.01, **options):
    """A linear slider from ``low`` to ``high`` (low < high) in steps of ``step`` (in
    (0, high - low]), starting at ``value``; ``options`` override the defaults
    (e.g. ``readout_format=".4f"``)."""
    import ipywidgets as widgets

    _description(description)
    low, high = _bounds(low, high)
    value = _checks.number("value", value, low=low, high=high)
    step = _checks.number("step", step, low=0, high=high - low, low_open=True)
    defaults = {
        "readout_format": ".2f",
        "continuous_update": True,
        "style": {"description_width": "initial"},
    }
    settings = _settings(options, defaults)
    return _build(
        widgets.FloatSlider, description, value=value, min=low, max=high, step=step, **settings
    )


def _description(description):
    if not isinstance(description, str):
        raise ValueError(f"description must be a string (the slider's label), got {description!r}")
    return description


# ---------------------------------------------------------------- gradient descent


class DescentExplorer(Explorer):
    """Gradient descent on a landscape: the path on the left, the loss against step on the right.

    Sliders: learning rate (log, over ``lr_range``), start point (over the landscape's domain)
    and gradient noise (if ``noise_max`` > 0). The loss panel shows ``f(w_t) - f*`` on a log axis
    when the minimum is known (``gap=True``), else ``f(w_t)``.

    optimizer: None for plain gradient descent, or a function that builds an
        :class:`lrcourse.optimizers.Optimizer` from the learning rate and the extra controls,
        e.g. ``lambda learning_rate, momentum: SGD(learning_rate, momentum)``; a setting it
        refuses is said in the status line.
    extra_controls: ``{name: slider}`` for those extra hyperparameters.
    steps: 1 to 1,000,000 (a step costs tens of microseconds: keep it in the hundreds).
    seed: of the gradient noise, 0 to 2**32 - 1.
    """

    def __init__(
        self,
        landscape,
        x0,
        learning_rate=0.1,
        steps=40,
        *,
        lr_range=(1e-3, 3.0),
        noise_max=0.0,
        gap=True,
        optimizer=None,
        extra_controls=None,
        seed=0,
    ):
        _landscape(landscape)
        x0 = np.atleast_1d(landscape.check_point(x0, "x0")).astype(float)
        lr_low, lr_high = _range("lr_range", lr_range, positive=True)
        learning_rate = _checks.number("learning_rate", learning_rate, low=lr_low, high=lr_high)
        self.steps = _checks.count("steps", steps)
        noise_max = _checks.non_negative("noise_max", noise_max)
        self.gap = _checks.flag("gap", gap)
        if self.gap and not len(landscape.minima):
            raise ValueError(
                f"gap must be False for {landscape.name}: it has no known minimum to measure from"
            )
        if optimizer is not None:
            _checks.function("optimizer", optimizer)
        extra_controls = {} if extra_controls is None else extra_controls
        if not isinstance(extra_controls, dict):
            raise ValueError(
                f"extra_controls must be a dict {{name: slider}}, got {extra_controls!r}"
            )
        taken = {"learning_rate", "x0", "y0", "noise"} & set(extra_controls)
        if taken:
            raise ValueError(f"extra_controls must not reuse the names {sorted(taken)}")
        for name, control in extra_controls.items():
            _control(f"extra_controls[{name!r}]", control)
        self.seed = _checks.count("seed", seed, minimum=0, maximum=2**32 - 1)
        super().__init__()
        self.landscape = landscape
        self.optimizer = optimizer
        self.add_control(
            "learning_rate", log_slider("learning rate", learning_rate, lr_low, lr_high)
        )
        for name, control in extra_controls.items():
            self.add_control(name, control)
        for axis, (name, (lo, hi)) in enumerate(zip(("x0", "y0"), landscape.domain, strict=False)):
            start = slider(f"start {name[0]}", float(x0[axis]), lo, hi, min(0.05, (hi - lo) / 10))
            self.add_control(name, start)
        if noise_max:
            step = min(0.01, noise_max / 10)
            self.add_control("noise", slider("gradient noise", 0.0, 0.0, noise_max, step))
        self.ax_path, self.ax_loss = self.fig.subplots(1, 2)
        draw_landscape(self.ax_path, landscape, log_levels=self.gap and landscape.dim == 2)
        self.path_line = self.moving(
            self.ax_path.plot([], [], "o-", color=PALETTE[3], ms=3.5, lw=1.2)[0]
        )
        self.start_dot = self.moving(
            self.ax_path.plot([], [], "o", ms=10, mfc="none", mec=PALETTE[3], mew=2)[0]
        )
        self.loss_line = self.moving(self.ax_loss.plot([], [], color=PALETTE[0])[0])
        self.title = self.moving(self.ax_loss.set_title(" "))
        self.trajectory = None
        self._fix_loss_axis()

    def _fix_loss_axis(self):
        ax = self.ax_loss
        ax.set_xlim(0, self.steps)
        if self.gap:
            ax.set(yscale="log", ylim=(1e-12, 1e4), ylabel="$f(w_t) - f^*$")
        else:
            values = self.landscape.grid(120)[-1]
            span = max(values.max() - values.min(), 1e-12)
            ax.set(ylim=(values.min() - 0.05 * span, values.max() + 0.05 * span), ylabel="$f(w_t)$")
        ax.set_xlabel("step")

    def start_point(self, values):
        """The start the sliders set: a number (1-D) or ``[x, y]``."""
        values = self._checked(values)
        if self.landscape.dim == 1:
            return values["x0"]
        return np.array([values["x0"], values["y0"]])

    def draw(self, values):
        lr = values["learning_rate"]
        optimizer = None
        if self.optimizer is not None:
            hyper = {k: v for k, v in values.items() if k not in ("x0", "y0", "noise")}
            try:
                optimizer = self.optimizer(**hyper)
                self.trajectory = self._descend(values, optimizer)
            except Exception as exc:  # the learner's function refused these slider values
                return self._clear(f"optimizer could not run with {_brief(hyper)}: {exc}")
        else:
            self.trajectory = self._descend(values, None)
        traj = self.trajectory
        pts = traj.points
        if self.landscape.dim == 1:
            self.path_line.set_data(pts, self.landscape(pts))
            self.start_dot.set_data(pts[:1], self.landscape(pts[:1]))
        else:
            self.path_line.set_data(pts[:, 0], pts[:, 1])
            self.start_dot.set_data(pts[:1, 0], pts[:1, 1])
        loss = _loss_gap(traj.losses, self.landscape.min_value) if self.gap else traj.losses
        self.loss_line.set_data(np.arange(len(loss)), loss)
        self.title.set_text(f"learning rate {lr:.3g}")
        return describe(traj, self.landscape, gap=self.gap)

    def _descend(self, values, optimizer):
        return descend(
            self.landscape,
            self.start_point(values),
            values["learning_rate"],
            self.steps,
            optimizer=optimizer,
            noise=values.get("noise", 0.0),
            seed=self.seed,
        )

    def _clear(self, status):
        self.trajectory = None
        for line in (self.path_line, self.start_dot, self.loss_line):
            line.set_data([], [])
        self.title.set_text("no run")
        return status


def _brief(values):
    return ", ".join(
        f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in values.items()
    )


def describe(trajectory, landscape=None, tolerance=1e-6, gap=True):
    """A one-line verdict on a run, for status lines.

    With ``gap`` the verdict is about reaching the global minimum (within ``tolerance`` > 0);
    without, about which known minimum (if any) the run settled in.
    """
    _trajectory("trajectory", trajectory)
    if landscape is not None:
        _landscape(landscape)
    tolerance = _checks.positive("tolerance", tolerance)
    gap = _checks.flag("gap", gap)
    if trajectory.diverged:
        return f"Diverged at step {trajectory.diverged_at}: {trajectory.reason}."
    minima = np.asarray(landscape.minima) if landscape is not None else np.empty(0)
    if not len(minima):
        return f"After {trajectory.steps} steps: f = {trajectory.final_loss:.4g}."
    if gap:
        hit = trajectory.steps_to_stay(landscape.min_value + tolerance)
        if hit is not None:
            return f"Within {tolerance:g} of the minimum from step {hit} on."
        left = trajectory.final_loss - landscape.min_value
        if trajectory.final_loss > trajectory.losses[0]:
            return (
                f"Going the wrong way: after {trajectory.steps} steps f - f* = {left:.3g}, "
                "more than at the start (a sign of a stride past the stability bound)."
            )
        return f"Not there yet: after {trajectory.steps} steps f - f* = {left:.3g}."
    end = trajectory.final_point
    distance = np.linalg.norm(minima.reshape(len(minima), -1) - np.ravel(end), axis=1)
    nearest = minima[np.argmin(distance)]
    where = np.array2string(np.round(np.atleast_1d(nearest), 2) + 0.0, separator=", ")
    if distance.min() < 1e-3:
        return (
            f"Settled in the valley at {where} (f = {landscape(nearest):.4g}) "
            f"after {trajectory.steps} steps."
        )
    return f"Not settled after {trajectory.steps} steps: f = {trajectory.final_loss:.4g}."


# ---------------------------------------------------------------- schedules


#: The best constant rate on ScheduleExplorer's default toy (the bowl of condition number 10,
#: noise 2, 16 runs, 400 steps, the mean loss of the last 40 steps): a sweep in steps of x1.5
#: over five noise seeds picks it (tests/test_schedule_explorer.py re-runs that sweep).
TOY_BEST_CONSTANT = 0.01


class ScheduleExplorer(Explorer):
    """A schedule and what it does. Left: the learning rate against the step. Right: mini-batch-like
    SGD (noisy gradients, mean of several runs) on an ill-conditioned bowl with that schedule,
    against a constant learning rate.

    make_schedule: a function of the slider values (as keywords) that returns the schedule, any
        function of an array of steps (a :mod:`lrcourse.schedules` object); a setting it refuses,
        or rates that are negative or not finite, are said in the status line.
    controls: ``{name: slider}``, at least one (see :func:`slider` and :func:`log_slider`).
    steps: 1 to 1,000,000 and runs: 1 to 1,000,000, with steps x runs at most 1,000,000 (the
        noise of every step of every run is drawn at once).
    baseline: the constant rate to compare with (> 0; by default :data:`TOY_BEST_CONSTANT`, the
        best constant on the default toy, so a schedule is compared with a fair constant);
        noise: gradient noise (>= 0);
    landscape: a 2-D landscape whose domain holds the start (2.5, 1.5) (default: a bowl of
    condition number 10); lr_limits: ``(low, high)`` of the rate axis (low > 0 with ``log_lr``).
    """

    def __init__(
        self,
        make_schedule,
        controls,
        *,
        steps=400,
        baseline=TOY_BEST_CONSTANT,
        noise=2.0,
        runs=16,
        landscape=None,
        lr_limits=None,
        log_lr=False,
        step_label="step (batches)",
    ):
        self.make_schedule = _checks.function("make_schedule", make_schedule)
        if not isinstance(controls, dict) or not controls:
            raise ValueError(
                f"controls must be a non-empty dict {{name: slider}}, got {controls!r}"
            )
        for name, control in controls.items():
            _control(f"controls[{name!r}]", control)
        self.steps = _checks.count("steps", steps)
        self.runs = _checks.count("runs", runs)
        if self.steps * self.runs > _checks.MAX_STEPS:
            raise ValueError(
                f"steps must be in [1, {_checks.MAX_STEPS // self.runs:,}] for {self.runs} runs "
                f"(steps x runs at most {_checks.MAX_STEPS:,}), got {steps!r}"
            )
        baseline = _checks.positive("baseline", baseline)
        self.noise = _checks.non_negative("noise", noise)
        log_lr = _checks.flag("log_lr", log_lr)
        if lr_limits is not None:
            lr_limits = _range("lr_limits", lr_limits, positive=log_lr)
        elif log_lr:
            lr_limits = (baseline / 100, 2.2 * baseline)
        _label(step_label, "step_label")
        self.landscape = _landscape(landscape, dim=2) if landscape is not None else bowl(10.0)
        self.x0 = np.array([2.5, 1.5])
        try:
            self.landscape.check_point(self.x0)
        except ValueError:
            raise ValueError(
                f"landscape must have the start (2.5, 1.5) in its domain, got {self.landscape!r}"
            ) from None
        super().__init__()
        for name, control in controls.items():
            self.add_control(name, control)
        self.ax_lr, self.ax_loss = self.fig.subplots(1, 2)
        self.grid = np.arange(self.steps)
        baseline_loss, _ = noisy_descent(
            self.landscape, self.x0, np.full(self.steps, baseline), noise=self.noise, runs=self.runs
        )
        self.baseline_loss = baseline_loss
        self.rates = self.losses = None
        self.ax_lr.axhline(baseline, color="0.6", ls="--", label=f"constant {baseline:g}")
        self.ax_loss.plot(baseline_loss, color="0.6", ls="--", label=f"constant {baseline:g}")
        self.lr_line = self.moving(self.ax_lr.plot([], [], color=PALETTE[0], label="schedule")[0])
        self.loss_line = self.moving(
            self.ax_loss.plot([], [], color=PALETTE[0], label="schedule")[0]
        )
        self.title = self.moving(self.ax_loss.set_title(" "))
        self.ax_lr.set(
            xlim=(0, self.steps),
            xlabel=step_label,
            ylabel="learning rate",
            ylim=lr_limits or (0, 2.2 * baseline),
        )
        if log_lr:
            self.ax_lr.set_yscale("log")
        finite = baseline_loss[np.isfinite(baseline_loss) & (baseline_loss > 0)]
        low = 1e-2 * finite.min() if len(finite) else 1e-6
        self.ax_loss.set(
            xlim=(0, self.steps),
            xlabel=step_label,
            yscale="log",
            ylabel="mean loss of noisy SGD",
            ylim=(low, max(3 * baseline_loss[0], 10 * low)),
        )
        self.ax_lr.legend(loc="upper right", fontsize=9)
        self.ax_loss.legend(loc="upper right", fontsize=9)

    def draw(self, values):
        try:
            schedule = self.make_schedule(**values)
            rates = np.asarray(schedule(self.grid), dtype=float)
            rates = np.broadcast_to(rates, self.grid.shape).astype(float)  # a constant: one number
        except Exception as exc:  # the learner's schedule refused these slider values
            return self._clear(f"No schedule for {_brief(values)}: {exc}")
        bad = ~np.isfinite(rates) | (rates < 0)
        if bad.any():
            k = int(np.argmax(bad))
            return self._clear(
                f"The schedule gives the rate {rates[k]:g} at step {k}: a rate must be a finite "
                "number >= 0."
            )
        self.rates = rates
        self.lr_line.set_data(self.grid, rates)
        losses, blew_up = noisy_descent(
            self.landscape, self.x0, rates, noise=self.noise, runs=self.runs
        )
        self.losses = losses
        self.loss_line.set_data(np.arange(len(losses)), losses)
        if blew_up is not None:
            self.title.set_text("diverged")
            return (
                f"Diverged at step {blew_up}: the learning rate went above the stability "
                f"bound of this bowl (2 / lambda_max)."
            )
        tail = max(1, self.steps // 10)
        ours, const = losses[-tail:].mean(), self.baseline_loss[-tail:].mean()
        self.title.set_text(f"final loss {ours:.3g} (constant: {const:.3g})")
        return (
            f"Mean loss over the last {tail} steps: {ours:.4g} with the schedule, "
            f"{const:.4g} with the constant rate."
        )

    def _clear(self, status):
        self.rates = self.losses = None
        self.lr_line.set_data([], [])
        self.loss_line.set_data([], [])
        self.title.set_text("no schedule")
        return status
