"""Plot helpers shared by the notebooks: landscapes, paths, loss curves and runs over seeds.

Every helper draws on an ``ax`` it is given and returns the artists it made, so the same code
serves static figures and the sliders of :mod:`lrcourse.ui.widgets`.
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.axes import Axes

from lrcourse import _checks
from lrcourse._setup import PALETTE
from lrcourse.descent import Trajectory
from lrcourse.evidence import BETTER, NO_DIFFERENCE, WORSE, Comparison
from lrcourse.finder import RULES, RangeTest
from lrcourse.landscapes import Landscape

__all__ = [
    "band",
    "draw_comparison",
    "draw_landscape",
    "draw_path",
    "draw_range_test",
    "figure",
    "loss_gap",
    "mark_critical_points",
    "plot_losses",
]

#: Limits that keep a figure drawable: panels per row or column, inches per side.
MAX_PANELS, MAX_INCHES = 20, 50.0


def figure(ncols=1, nrows=1, *, width=None, height=3.6, **kwargs):
    """A pyplot figure (for static, inline plots) with a sensible size for the number of panels.

    ncols, nrows: 1 to 20 panels; width (default: 4.6 inches a panel, at most 12) and height
    (of one row): (0, 50] inches. ``kwargs`` go to ``plt.subplots`` (e.g. ``sharey=True``).
    Returns ``(fig, axes)`` as ``plt.subplots`` does.
    """
    import matplotlib.pyplot as plt

    ncols = _checks.count("ncols", ncols, maximum=MAX_PANELS)
    nrows = _checks.count("nrows", nrows, maximum=MAX_PANELS)
    if width is not None:
        width = _checks.number("width", width, low=0, high=MAX_INCHES, low_open=True)
    height = _checks.number("height", height, low=0, high=MAX_INCHES / nrows, low_open=True)
    width = width or min(4.6 * ncols, 12)
    return plt.subplots(
        nrows, ncols, figsize=(width, height * nrows), layout="constrained", **kwargs
    )


def draw_landscape(ax, landscape, *, levels=30, log_levels=False, n=200, critical_points=True):
    """A 1-D curve or a 2-D contour map of ``landscape``, with its known critical points marked.

    levels: 2 to 500 contour levels (2-D), spaced evenly or, with ``log_levels``, denser near the
    minimum; n: grid points per axis (2 to 1,000 in 2-D).
    """
    _axes(ax)
    _landscape(landscape)
    levels = _checks.count("levels", levels, minimum=2, maximum=500)
    log_levels = _checks.flag("log_levels", log_levels)
    critical_points = _checks.flag("critical_points", critical_points)
    if landscape.dim == 1:
        xs, ys = landscape.grid(n)
        artists = ax.plot(xs, ys, color="0.35", lw=1.5, zorder=1)
        ax.set(xlabel="$x$", ylabel="$f(x)$", xlim=landscape.domain[0])
    else:
        xx, yy, zz = landscape.grid(n)
        if log_levels:
            shift = zz.min() - 1e-3
            levels = shift + np.geomspace(1e-3, zz.max() - shift, levels)
        filled = ax.contourf(xx, yy, zz, levels=levels, cmap="Blues_r", alpha=0.9, zorder=0)
        lines = ax.contour(
            xx, yy, zz, levels=filled.levels, colors="white", linewidths=0.4, alpha=0.6, zorder=0
        )
        artists = [filled, lines]
        ax.set(xlabel="$w_1$", ylabel="$w_2$", xlim=landscape.domain[0], ylim=landscape.domain[1])
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
    if critical_points:
        artists += mark_critical_points(ax, landscape)
    return artists


_MARKERS = {"minima": ("*", "minimum"), "saddles": ("X", "saddle"), "maxima": ("^", "maximum")}


def mark_critical_points(ax, landscape):
    """White markers at the landscape's known minima (star), saddles (cross) and maxima."""
    _axes(ax)
    _landscape(landscape)
    artists = []
    for attr, (marker, label) in _MARKERS.items():
        pts = np.asarray(getattr(landscape, attr))
        if not pts.size:
            continue
        if landscape.dim == 1:
            x, y = pts, landscape(pts)
        else:
            x, y = pts[:, 0], pts[:, 1]
        artists.append(
            ax.scatter(
                x, y, marker=marker, s=90, color="white", edgecolor="black", zorder=5, label=label
            )
        )
    return artists


def draw_path(ax, trajectory, landscape, *, color=PALETTE[3], label=None, **kwargs):
    """The path of a trajectory: points joined by lines, the start circled.

    On a 1-D landscape the points sit on the curve; ``kwargs`` go to ``ax.plot``.
    """
    _axes(ax)
    _trajectory("trajectory", trajectory)
    _landscape(landscape)
    pts = trajectory.points
    if (pts.ndim == 1) != (landscape.dim == 1):
        raise ValueError(
            f"trajectory must be a run on a {landscape.dim}-D landscape like landscape, got "
            f"points of shape {pts.shape}"
        )
    _label(label)
    if landscape.dim == 1:
        xs, ys = pts, landscape(pts)
    else:
        xs, ys = pts[:, 0], pts[:, 1]
    (line,) = ax.plot(xs, ys, "o-", color=color, ms=3.5, lw=1.2, label=label, zorder=3, **kwargs)
    (start,) = ax.plot(xs[:1], ys[:1], "o", ms=9, mfc="none", mec=color, mew=2, zorder=4)
    return [line, start]


def plot_losses(ax, trajectories, *, minimum=0.0, labels=None, colors=PALETTE):
    """Loss gap ``f(w_t) - f*`` (log axis) against step for several runs on one axis.

    ``trajectories`` maps a key (e.g. the learning rate) to a Trajectory; ``minimum`` is ``f*``;
    ``labels`` (one per run) replace the default "lr = key"; ``colors`` are used in turn.
    Linear convergence shows as a straight line. A diverged run ends in a cross at the step where
    it was stopped.
    """
    _axes(ax)
    if not isinstance(trajectories, dict) or not trajectories:
        raise ValueError(
            f"trajectories must be a non-empty dict {{key: Trajectory}}, got {trajectories!r}"
        )
    for key, traj in trajectories.items():
        _trajectory(f"trajectories[{key!r}]", traj)
    minimum = _checks.number("minimum", minimum)
    if labels is not None:
        n = len(trajectories)  # the length first: a long array would take long to list
        if not hasattr(labels, "__len__") or len(labels) != n:
            raise ValueError(f"labels must be {n} strings, one per trajectory, got {labels!r:.80}")
        labels = _checks.sequence("labels", labels)
        if not all(isinstance(t, str) for t in labels):
            raise ValueError(f"labels must be {n} strings, one per trajectory, got {labels!r}")
    colors = _checks.sequence("colors", colors)
    if not colors:
        raise ValueError("colors must hold at least one colour, got none")
    artists = []
    for i, (key, traj) in enumerate(trajectories.items()):
        if labels:
            label = labels[i]
        else:
            label = f"lr = {key:g}" if isinstance(key, numbers.Real) else f"{key}"
        if traj.diverged:
            label += f" (diverged at step {traj.diverged_at})"
        ys = loss_gap(traj.losses, minimum)
        (line,) = ax.plot(np.arange(len(ys)), ys, color=colors[i % len(colors)], label=label)
        artists.append(line)
        if traj.diverged:
            artists.append(
                ax.plot(len(ys) - 1, ys[-1], "x", ms=10, mew=2, color=line.get_color())[0]
            )
    ax.set(xlabel="step", ylabel="$f(w_t) - f^*$", yscale="log")
    ax.legend(fontsize=9)
    return artists


def loss_gap(losses, minimum=0.0, floor=1e-16):
    """``f(w_t) - f*``, clipped at ``floor`` (> 0) so that a log axis can show it.

    losses: up to 1,000,000 values (inf and nan are kept: they mark a diverged run).
    """
    if losses is None:  # not a number: it would silently become nan
        raise ValueError("losses must be numbers (a list or an array), got None")
    losses = _checks.numeric("losses", losses, finite=False)  # True is not a loss
    minimum = _checks.number("minimum", minimum)
    floor = _checks.positive("floor", floor)
    return np.maximum(losses - minimum, floor)


def band(
    ax,
    runs,
    *,
    label=None,
    color=None,
    key="val_loss",
    x=None,
    spread="minmax",
    alpha=0.2,
):
    """Several runs of one setting (seeds) on one axis: their mean as a line, their spread as a
    shaded band. Returns the mean's line.

    runs: either a list of runs, anything with a ``.history`` dict (the runs the training loop
        returns): the curve of each is ``run.history[key]``, one value per epoch, drawn at
        epochs 1, 2, ... (a shorter run is padded with nan: the line stops where it stops);
        or a 2-D array of curves, one row per run, drawn at x = 0, 1, 2, ... (column 0 is then
        usually the untrained network).
    key: the history to draw for runs ("val_loss", "loss", "val_accuracy", ...).
    x: the x position of every value instead (as many as a curve has values).
    spread: "minmax" shades from the lowest to the highest run, "std" the mean +- one standard
        deviation (of the population: numpy's default).
    label, color: of the line (the band takes the line's colour); alpha: of the band, in [0, 1].
    A value that is nan in any run (a diverged seed) makes the mean and the band nan there.
    """
    _axes(ax)
    if not isinstance(key, str):  # checked even when runs are an array, which has no keys
        raise ValueError(f"key must be the name of a history, e.g. 'val_loss', got {key!r}")
    curves, first = _curves(runs, key)
    n = curves.shape[1]
    x = np.arange(first, first + n) if x is None else _checks.array("x", x, shape=(n,))
    _checks.choice("spread", spread, ("minmax", "std"))
    alpha = _checks.number("alpha", alpha, low=0, high=1)
    _label(label)
    with np.errstate(all="ignore"):
        mean = curves.mean(axis=0)
        if spread == "minmax":
            low, high = curves.min(axis=0), curves.max(axis=0)
        else:
            low, high = mean - curves.std(axis=0), mean + curves.std(axis=0)
    (line,) = ax.plot(x, mean, color=color, label=label)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=alpha, lw=0)
    return line


def draw_comparison(ax, comparison):
    """A comparison of :func:`lrcourse.evidence.compare` as a forest plot: each method's paired
    difference with the baseline (dot) and its interval (bar), coloured by its verdict, around a
    line at zero. A method that diverged has no interval and is left out. Returns ``ax``."""
    ax = _axes(ax)
    if not isinstance(comparison, Comparison):
        got = _checks._brief(comparison)
        raise ValueError(f"comparison must be what lrcourse.evidence.compare returns, got {got}")
    colours = {BETTER: PALETTE[2], WORSE: PALETTE[3], NO_DIFFERENCE: "0.4"}
    shown = [row for row in comparison.rows if not row.diverged]
    for i, row in enumerate(shown):
        colour = colours[row.verdict]
        ax.plot([row.low, row.high], [i, i], color=colour, linewidth=3)
        ax.plot(row.difference, i, "o", color=colour)
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(range(len(shown)), [row.name for row in shown])
    ax.invert_yaxis()
    side = "left" if comparison.lower_is_better else "right"
    ax.set_xlabel(f"{comparison.metric}: method - {comparison.baseline!r} (better to the {side})")
    return ax


def draw_range_test(ax, test, *, rules=tuple(RULES)):
    """A range test of :func:`lrcourse.finder.range_test`: every batch's loss (light), the smoothed
    curve (dark) against the rate on a log axis, and a marker where each of ``rules`` (names of
    :data:`lrcourse.finder.RULES`) reads its rate. The y-axis stops at twice the smoothed curve's
    start, so the blow-up does not flatten the descent. Returns ``ax``."""
    ax = _axes(ax)
    if not isinstance(test, RangeTest):
        got = _checks._brief(test)
        raise ValueError(f"test must be what lrcourse.finder.range_test returns, got {got}")
    rules = [
        _checks.choice("rules", rule, tuple(RULES)) for rule in _checks.sequence("rules", rules)
    ]
    ax.plot(test.rates, test.losses, color="0.75", lw=1, label="loss of each batch")
    ax.plot(test.rates, test.smoothed, color=PALETTE[0], label=f"smoothed (beta {test.beta:g})")
    markers = dict(zip(RULES, ("v", "o", "s"), strict=True))
    for rule, colour in zip(rules, PALETTE[1:], strict=False):
        rate = test.suggest(rule)
        loss = np.interp(np.log(rate), np.log(test.rates), test.smoothed)
        ax.plot(rate, loss, markers[rule], color=colour, ms=9, label=f"{rule}: {rate:.2g}")
    finite = test.smoothed[np.isfinite(test.smoothed)]
    if len(finite):
        low = min(finite.min(), np.nanmin(test.losses))
        ax.set_ylim(low - 0.1 * abs(low), max(2 * finite[0], low + 0.1 * abs(low) + 1e-12))
    ax.set(xscale="log", xlabel="learning rate (log scale)", ylabel="loss")
    ax.legend(fontsize=9)
    return ax


def _curves(runs, key):
    """``(curves, first x)``: one row per run, from runs with a history or a 2-D array."""
    if isinstance(runs, list | tuple) and runs and all(hasattr(r, "history") for r in runs):
        rows = []
        for i, run in enumerate(runs):
            history = run.history
            if not hasattr(history, "keys") or key not in history:
                known = sorted(history.keys()) if hasattr(history, "keys") else []
                raise ValueError(
                    f"key must be one of the histories {known} of runs[{i}], got {key!r}"
                )
            rows.append(_checks.array(f"runs[{i}].history[{key!r}]", history[key], finite=False))
            if rows[-1].ndim != 1 or not len(rows[-1]):
                raise ValueError(
                    f"runs[{i}].history[{key!r}] must be a list of values, one an epoch"
                )
        longest = max(len(row) for row in rows)
        curves = np.full((len(rows), longest), np.nan)
        for i, row in enumerate(rows):
            curves[i, : len(row)] = row
        return curves, 1
    curves = _checks.array("runs", runs, ndim=2, finite=False)
    if not curves.size:
        raise ValueError(
            f"runs must hold at least one run of at least one value, got {curves.shape}"
        )
    return curves, 0


# ---------------------------------------------------------------- checks shared by lrcourse.ui


def _axes(ax, name="ax"):
    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. from figure()), got {ax!r}")
    return ax


def _landscape(landscape, name="landscape", dim=None):
    if not isinstance(landscape, Landscape) or (dim is not None and landscape.dim != dim):
        kind = f"a {dim}-D" if dim else "an"
        raise TypeError(f"{name} must be {kind} lrcourse Landscape, got {landscape!r}")
    return landscape


def _trajectory(name, trajectory):
    if not isinstance(trajectory, Trajectory):
        raise TypeError(f"{name} must be a Trajectory (from descend), got {trajectory!r}")
    return trajectory


def _label(label, name="label"):
    if label is not None and not isinstance(label, str):
        raise ValueError(f"{name} must be a string or None, got {label!r}")
    return label
