"""Slider explorers: the figure is drawn once, and a slider only moves the artists that change.

The pattern, shared by every explorer in the course:

* ``__init__`` builds the figure and its fixed parts (contours, axes with fixed limits) once;
* ``draw(values)`` is a plain method: it recomputes, updates the moving artists with ``set_data``
  and returns a one-line status; tests call ``update(...)`` and read the artists' data directly;
* ``render()`` repaints only the moving artists over a cached background (blitting) and sends the
  PNG to an ``ipywidgets.Image``, so an update costs milliseconds, not a full redraw.

Display an explorer as the last expression of a cell to get its sliders.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lrcourse._setup import PALETTE
from lrcourse.descent import descend, noisy_descent
from lrcourse.landscapes import bowl
from lrcourse.plotting import draw_landscape, loss_gap

TEXT_FALLBACK = "{name}: sliders need a running kernel (run this cell in JupyterLab)."


class Explorer:
    """Base class: owns the figure, the sliders, the status line and the fast redraw."""

    def __init__(self, figsize=(9.0, 3.6)):
        self.fig = Figure(figsize=figsize, dpi=80, layout="constrained")
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
        control.observe(lambda change: self._on_slider(name, change), names="value")
        self.controls[name] = control
        return control

    def moving(self, artist):
        """Mark an artist as one that sliders change (drawn over the cached background)."""
        artist.set_animated(True)
        self._moving.append(artist)
        return artist

    # -- updating ---------------------------------------------------------------------------
    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **values):
        """Set slider values (as a learner dragging them would), redraw, return the status."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}"
            )
        self._syncing = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._syncing = False
        self.status = self.draw(self.values)
        self.render()
        return self.status

    def draw(self, values):
        raise NotImplementedError

    def invalidate(self):
        """Call after changing anything fixed (limits, labels): the next render redraws it all."""
        self._background = None

    def render(self):
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


def log_slider(description, value, low, high, **options):
    """A slider over powers of ten, the natural scale of learning rates. ``options`` override the
    defaults (e.g. ``continuous_update=False`` for a slider that trains a network)."""
    import ipywidgets as widgets

    settings = {
        "step": 0.01,
        "readout_format": ".3g",
        "continuous_update": True,
        "style": {"description_width": "initial"},
    } | options
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=np.log10(low),
        max=np.log10(high),
        description=description,
        **settings,
    )


def slider(description, value, low, high, step=0.01, **options):
    """A linear slider; ``options`` override the defaults (e.g. ``readout_format=".4f"``)."""
    import ipywidgets as widgets

    settings = {
        "readout_format": ".2f",
        "continuous_update": True,
        "style": {"description_width": "initial"},
    } | options
    return widgets.FloatSlider(
        value=value, min=low, max=high, step=step, description=description, **settings
    )


class DescentExplorer(Explorer):
    """Gradient descent on a landscape: the path on the left, the loss against step on the right.

    Sliders: learning rate, start point (and gradient noise if ``noise_max`` > 0). The loss panel
    shows ``f(x_k) - f*`` on a log axis when the minimum is known (``gap=True``), else ``f(x_k)``.
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
        super().__init__()
        self.landscape, self.steps, self.gap, self.seed = landscape, steps, gap, seed
        # optimizer: None for plain gradient descent, or a callable that builds an Optimizer from
        # the learning rate and the extra controls, e.g. lambda learning_rate, momentum: SGD(...)
        self.optimizer = optimizer
        self.add_control("learning_rate", log_slider("learning rate", learning_rate, *lr_range))
        for name, control in (extra_controls or {}).items():
            self.add_control(name, control)
        x0 = np.atleast_1d(np.asarray(x0, dtype=float))
        for axis, (name, (lo, hi)) in enumerate(zip(("x0", "y0"), landscape.domain, strict=False)):
            self.add_control(name, slider(f"start {name[0]}", float(x0[axis]), lo, hi, 0.05))
        if noise_max:
            self.add_control("noise", slider("gradient noise", 0.0, 0.0, noise_max))
        self.ax_path, self.ax_loss = self.fig.subplots(1, 2)
        draw_landscape(self.ax_path, landscape, log_levels=gap and landscape.dim == 2)
        self.path_line = self.moving(
            self.ax_path.plot([], [], "o-", color=PALETTE[3], ms=3.5, lw=1.2)[0]
        )
        self.start_dot = self.moving(
            self.ax_path.plot([], [], "o", ms=10, mfc="none", mec=PALETTE[3], mew=2)[0]
        )
        self.loss_line = self.moving(self.ax_loss.plot([], [], color=PALETTE[0])[0])
        self.title = self.moving(self.ax_loss.set_title(" "))
        self._fix_loss_axis()

    def _fix_loss_axis(self):
        ax = self.ax_loss
        ax.set_xlim(0, self.steps)
        if self.gap:
            ax.set(yscale="log", ylim=(1e-12, 1e4), ylabel="$f(x_k) - f^*$")
        else:
            values = self.landscape.grid(120)[-1]
            span = values.max() - values.min()
            ax.set(ylim=(values.min() - 0.05 * span, values.max() + 0.05 * span), ylabel="$f(x_k)$")
        ax.set_xlabel("step")

    def start_point(self, values):
        if self.landscape.dim == 1:
            return values["x0"]
        return np.array([values["x0"], values["y0"]])

    def draw(self, values):
        lr = values["learning_rate"]
        hyper = {k: v for k, v in values.items() if k not in ("x0", "y0", "noise")}
        optimizer = self.optimizer(**hyper) if self.optimizer else None
        self.trajectory = traj = descend(
            self.landscape,
            self.start_point(values),
            lr,
            self.steps,
            optimizer=optimizer,
            noise=values.get("noise", 0.0),
            seed=self.seed,
        )
        pts = traj.points
        if self.landscape.dim == 1:
            self.path_line.set_data(pts, self.landscape(pts))
            self.start_dot.set_data(pts[:1], self.landscape(pts[:1]))
        else:
            self.path_line.set_data(pts[:, 0], pts[:, 1])
            self.start_dot.set_data(pts[:1, 0], pts[:1, 1])
        loss = loss_gap(traj.losses, self.landscape.min_value) if self.gap else traj.losses
        self.loss_line.set_data(np.arange(len(loss)), loss)
        self.title.set_text(f"learning rate {lr:.3g}")
        return describe(traj, self.landscape, gap=self.gap)


def describe(trajectory, landscape=None, tolerance=1e-6, gap=True):
    """A one-line verdict on a run, for status lines.

    With ``gap`` the verdict is about reaching the global minimum; without, about which known
    minimum (if any) the run settled in.
    """
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


class ScheduleExplorer(Explorer):
    """A schedule and what it does. Left: the learning rate against the step. Right: mini-batch-like
    SGD (noisy gradients, mean of several runs) on an ill-conditioned bowl with that schedule,
    against a constant learning rate.

    ``make_schedule(**values)`` builds the schedule from the slider values (any callable of an
    array of steps); ``controls`` maps names to slider widgets (see ``slider``/``log_slider``).
    """

    def __init__(
        self,
        make_schedule,
        controls,
        *,
        steps=400,
        baseline=0.05,
        noise=2.0,
        runs=16,
        landscape=None,
        lr_limits=None,
        log_lr=False,
        step_label="step (batches)",
    ):
        super().__init__()
        self.make_schedule, self.steps, self.noise, self.runs = make_schedule, steps, noise, runs
        self.landscape = landscape or bowl(condition_number=10.0)
        self.x0 = np.array([2.5, 1.5])
        for name, control in controls.items():
            self.add_control(name, control)
        self.ax_lr, self.ax_loss = self.fig.subplots(1, 2)
        self.grid = np.arange(steps)
        baseline_loss, _ = noisy_descent(
            self.landscape, self.x0, np.full(steps, baseline), noise=noise, runs=runs
        )
        self.baseline_loss = baseline_loss
        self.ax_lr.axhline(baseline, color="0.6", ls="--", label=f"constant {baseline:g}")
        self.ax_loss.plot(baseline_loss, color="0.6", ls="--", label=f"constant {baseline:g}")
        self.lr_line = self.moving(self.ax_lr.plot([], [], color=PALETTE[0], label="schedule")[0])
        self.loss_line = self.moving(
            self.ax_loss.plot([], [], color=PALETTE[0], label="schedule")[0]
        )
        self.title = self.moving(self.ax_loss.set_title(" "))
        self.ax_lr.set(
            xlim=(0, steps),
            xlabel=step_label,
            ylabel="learning rate",
            ylim=lr_limits or (0, 2.2 * baseline),
        )
        if log_lr:
            self.ax_lr.set_yscale("log")
        self.ax_loss.set(
            xlim=(0, steps),
            xlabel=step_label,
            yscale="log",
            ylabel="mean loss of noisy SGD",
            ylim=(1e-2 * baseline_loss.min(), 3 * baseline_loss[0]),
        )
        self.ax_lr.legend(loc="upper right", fontsize=9)
        self.ax_loss.legend(loc="upper right", fontsize=9)

    def draw(self, values):
        schedule = self.make_schedule(**values)
        rates = np.asarray(schedule(self.grid), dtype=float)
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
