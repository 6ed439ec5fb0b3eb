"""The optimizer race in pictures: a static figure and a slider explorer.

The race itself (every optimizer on every landscape at once) is computed by
:func:`lrcourse.race.race`; this module draws it.
"""

from __future__ import annotations

import numpy as np

from lrcourse import _checks
from lrcourse.race import FIELD, Race, common_domain, default_landscapes, learning_rates, racers
from lrcourse.race import race as run_race
from lrcourse.ui.plotting import _axes, _landscape
from lrcourse.ui.widgets import Explorer, _range, log_slider, slider

__all__ = ["COLORS", "RaceExplorer", "draw_course", "draw_race"]

#: One colour per runner, the same in every figure (Okabe-Ito; yellow is hard to see on contours).
COLORS = {
    "SGD": "#000000",
    "Momentum": "#56B4E9",
    "Nesterov": "#0072B2",
    "Adagrad": "#009E73",
    "RMSprop": "#CC79A7",
    "Adadelta": "#E69F00",
    "Adam": "#D55E00",
}


def draw_course(ax, landscape, *, levels=25, n=100):
    """A light grey contour map (log-spaced levels), so coloured paths stand out on it.

    levels: 2 to 500 contour levels; n: 2 to 1,000 grid points per axis.
    """
    _axes(ax)
    _landscape(landscape, dim=2)
    levels = _checks.count("levels", levels, minimum=2, maximum=500)
    xx, yy, zz = landscape.grid(n)
    span = max(zz.max() - zz.min(), 1e-12)  # a flat map still gets increasing levels
    shift = zz.min() - 1e-2 * span
    levels = shift + np.geomspace(1e-2 * span, zz.max() - shift, levels)
    ax.contourf(xx, yy, zz, levels=levels, cmap="Greys_r", alpha=0.35, zorder=0)
    ax.contour(xx, yy, zz, levels=levels, colors="0.55", linewidths=0.4, zorder=0)
    for pts, marker in ((landscape.minima, "*"), (landscape.saddles, "X")):
        pts = np.asarray(pts).reshape(-1, 2)
        ax.scatter(
            pts[:, 0], pts[:, 1], marker=marker, s=90, color="white", edgecolor="black", zorder=5
        )
    ax.set(xlim=landscape.domain[0], ylim=landscape.domain[1], xlabel="$w_1$", ylabel="$w_2$")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)


def draw_race(axes, result, *, colors=COLORS, legend=True):
    """Static figure of a :class:`lrcourse.race.Race`: one panel per landscape (``axes`` holds
    exactly one per landscape), one path per optimizer, coloured by ``colors`` (``{name:
    colour}``; a runner not in it gets the next colour of the style)."""
    if not isinstance(result, Race):
        raise TypeError(f"result must be a Race (from lrcourse.race.race), got {result!r}")
    panels = list(np.ravel(axes)) if not hasattr(axes, "plot") else [axes]
    if len(panels) != len(result.landscapes):
        raise ValueError(
            f"axes must hold one panel per landscape ({len(result.landscapes)}), got {len(panels)}"
        )
    for j, ax in enumerate(panels):
        _axes(ax, f"axes[{j}]")
    if not isinstance(colors, dict):
        raise ValueError(f"colors must be a dict {{name: colour}}, got {colors!r}")
    legend = _checks.flag("legend", legend)
    for j, ax in enumerate(panels):
        draw_course(ax, result.landscapes[j])
        for i, name in enumerate(result.optimizer_names):
            pts = result.points[j, i]
            ax.plot(
                pts[:, 0],
                pts[:, 1],
                "o-",
                ms=2.5,
                lw=1.3,
                color=colors.get(name),
                label=name,
                zorder=3,
            )
        start = result.points[j, 0, 0]
        ax.plot(*start, "o", ms=9, mfc="none", mec="black", mew=1.5, zorder=4)
        gone = result.diverged(j)
        title = result.landscape_names[j] + (f"\ndiverged: {', '.join(gone)}" if gone else "")
        ax.set_title(title, fontsize=10)
    if legend:
        ax.figure.legend(
            *panels[0].get_legend_handles_labels(), loc="outside right upper", fontsize=9
        )


def _last_on_map(points, landscape):
    """The last point of a path that lies inside the landscape's domain (else the first)."""
    (xlo, xhi), (ylo, yhi) = landscape.domain
    x, y = points[:, 0], points[:, 1]
    inside = np.nonzero((x >= xlo) & (x <= xhi) & (y >= ylo) & (y <= yhi))[0]
    return points[inside[-1] if len(inside) else 0]


class RaceExplorer(Explorer):
    """Every optimizer on every landscape. Sliders: the learning rate (log), the start point (the
    same on every map) and how the rates are set: the same for all, or Keras's default ratios.

    landscapes: ``{name: 2-D Landscape}`` or a list, with overlapping domains (default: the four
    of :func:`~lrcourse.race.default_landscapes`); x0: one start ``(x, y)`` inside all of them.
    steps: as for :func:`~lrcourse.race.race` (keep it in the tens: every slider move runs the
    whole race). lr_range: ``(low, high)`` of the learning-rate slider, 0 < low < high;
    learning_rate: its start; rates: "same" or "keras"; names: the runners (of ``FIELD``).

    Each panel draws all its paths as one line collection (``self.paths[j]``, one segment per
    optimizer in the order of ``self.names``), so an update repaints a handful of artists.
    """

    def __init__(
        self,
        landscapes=None,
        x0=(1.5, -0.5),
        learning_rate=0.01,
        steps=50,
        *,
        lr_range=(1e-4, 1.0),
        rates="same",
        names=tuple(FIELD),
    ):
        from matplotlib.collections import LineCollection
        from matplotlib.lines import Line2D

        low, high = _range("lr_range", lr_range, positive=True)
        learning_rate = _checks.number("learning_rate", learning_rate, low=low, high=high)
        _checks.array("x0", x0, shape=(2,))  # one start for every map
        lands = landscapes if landscapes is not None else default_landscapes()
        domain = common_domain(lands)
        # the first race checks every argument and gives the names; the sliders redo it
        self.result = run_race(lands, racers(learning_rate, rates, names), x0, steps)
        self.landscape_names, self.landscapes = self.result.landscape_names, self.result.landscapes
        self.names, self.steps = self.result.optimizer_names, self.result.steps
        x0 = self.result.points[0, 0, 0]  # inside every map, so inside the shared domain
        super().__init__(figsize=(2.55 * len(self.landscapes) + 1.3, 3.0))
        import ipywidgets as widgets

        self.add_control("learning_rate", log_slider("learning rate", learning_rate, low, high))
        self.add_control(
            "rates",
            widgets.ToggleButtons(
                options=[("same for all", "same"), ("Keras ratios (slider = Adam's)", "keras")],
                value=rates,
                description="rates",
                style={"description_width": "initial"},
            ),
        )
        for name, value, (lo, hi) in zip(("x0", "y0"), x0, domain, strict=True):
            step = min(0.05, (hi - lo) / 10)
            self.add_control(name, slider(f"start {name[0]}", float(value), lo, hi, step))
        self.axes = np.atleast_1d(self.fig.subplots(1, len(self.landscapes)))
        colors = [COLORS.get(name, "0.3") for name in self.names]
        self.paths, self.starts, self.ends = [], [], []
        for ax, land, title in zip(self.axes, self.landscapes, self.landscape_names, strict=True):
            draw_course(ax, land, levels=12)  # drawn once: the cached background of every update
            ax.set_title(title, fontsize=10)
            ax.tick_params(labelsize=8)
            ax.set_xlabel(ax.get_xlabel(), fontsize=9, labelpad=1)
            ax.set_ylabel(ax.get_ylabel(), fontsize=9, labelpad=1)
            self.paths.append(
                self.moving(
                    ax.add_collection(LineCollection([], colors=colors, linewidths=1.4, zorder=3))
                )
            )
            self.starts.append(
                self.moving(
                    ax.plot([], [], "o", ms=8, mfc="none", mec="black", mew=1.5, zorder=4)[0]
                )
            )
            # a cross where a run was stopped (text would cost more to redraw than all the paths)
            self.ends.append(
                self.moving(
                    ax.scatter(
                        np.empty(0),
                        np.empty(0),
                        marker="X",
                        s=60,
                        linewidths=0.8,
                        edgecolors="white",
                        zorder=6,
                    )
                )
            )
        handles = [
            Line2D([], [], color=c, lw=2, label=n) for n, c in zip(self.names, colors, strict=True)
        ]
        self.fig.legend(handles=handles, loc="outside right upper", fontsize=9)

    def draw(self, values):
        start = np.array([values["x0"], values["y0"]])
        opts = racers(values["learning_rate"], values["rates"], self.names)
        self.result = result = run_race(
            dict(zip(self.landscape_names, self.landscapes, strict=True)), opts, start, self.steps
        )
        colors = [COLORS.get(name, "0.3") for name in self.names]
        for j in range(len(self.landscapes)):
            paths = [result.path(j, i) for i in range(len(self.names))]
            self.paths[j].set_segments(paths)
            self.starts[j].set_data([start[0]], [start[1]])
            gone = np.nonzero(result.diverged_at[j])[0]
            ends = [_last_on_map(paths[i], self.landscapes[j]) for i in gone]
            self.ends[j].set_offsets(np.array(ends).reshape(-1, 2))
            self.ends[j].set_facecolor([colors[i] for i in gone])
        return self.describe(values)

    def path(self, landscape, optimizer):
        """The points of one plotted path, up to its last finite point: ``(n, 2)``."""
        return self.result.path(landscape, optimizer)

    def describe(self, values):
        """The status line: the rates, then the leader and the diverged runs on each map."""
        values = self._checked(values)
        if values["rates"] == "same":
            head = f"lr {values['learning_rate']:.3g} for all"
        else:
            rates = learning_rates(values["learning_rate"], "keras", self.names)
            shown = [n for n in ("SGD", "Adam") if n in rates] or list(rates)[:2]
            head = f"Keras ratios ({', '.join(f'{n} {rates[n]:.3g}' for n in shown)})"
        parts = []
        for j, name in enumerate(self.landscape_names):
            best, loss = self.result.leader(j)
            part = f"{name}: lowest f {best} ({loss:.3g})" if best else f"{name}: all diverged"
            gone = len(self.result.diverged(j))
            parts.append(part + (f", {gone} diverged" if gone else ""))
        return f"{head}, {self.steps} steps. " + "; ".join(parts) + "."
