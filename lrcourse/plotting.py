"""Plot helpers shared by the notebooks: landscapes, paths, and loss curves on one axis.

Every helper draws on an ``ax`` it is given and returns the artists it made, so the same code
serves static figures and the sliders of :mod:`lrcourse.widgets`.
"""

from __future__ import annotations

import numpy as np

from lrcourse._setup import PALETTE


def figure(ncols=1, nrows=1, *, width=None, height=3.6, **kwargs):
    """A pyplot figure (for static, inline plots) with a sensible size for the number of panels."""
    import matplotlib.pyplot as plt

    width = width or min(4.6 * ncols, 12)
    return plt.subplots(
        nrows, ncols, figsize=(width, height * nrows), layout="constrained", **kwargs
    )


def draw_landscape(ax, landscape, *, levels=30, log_levels=False, n=200, critical_points=True):
    """A 1-D curve or a 2-D contour map of ``landscape``, with its known critical points marked."""
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
    """The path of a trajectory: points joined by lines, the start circled, divergence crossed."""
    pts = trajectory.points
    if landscape.dim == 1:
        xs, ys = pts, landscape(pts)
    else:
        xs, ys = pts[:, 0], pts[:, 1]
    (line,) = ax.plot(xs, ys, "o-", color=color, ms=3.5, lw=1.2, label=label, zorder=3, **kwargs)
    (start,) = ax.plot(xs[:1], ys[:1], "o", ms=9, mfc="none", mec=color, mew=2, zorder=4)
    return [line, start]


def plot_losses(ax, trajectories, *, minimum=0.0, labels=None, colors=PALETTE):
    """Loss gap ``f(x_k) - f*`` (log axis) against step for several runs on one axis.

    ``trajectories`` maps a key (e.g. the learning rate) to a Trajectory; ``minimum`` is ``f*``.
    Linear convergence shows as a straight line. A diverged run ends in a cross at the step where
    it was stopped.
    """
    artists = []
    for i, (key, traj) in enumerate(trajectories.items()):
        label = labels[i] if labels else f"lr = {key:g}"
        if traj.diverged:
            label += f" (diverged at step {traj.diverged_at})"
        ys = loss_gap(traj.losses, minimum)
        (line,) = ax.plot(np.arange(len(ys)), ys, color=colors[i % len(colors)], label=label)
        artists.append(line)
        if traj.diverged:
            artists.append(
                ax.plot(len(ys) - 1, ys[-1], "x", ms=10, mew=2, color=line.get_color())[0]
            )
    ax.set(xlabel="step", ylabel="$f(x_k) - f^*$", yscale="log")
    ax.legend(fontsize=9)
    return artists


def loss_gap(losses, minimum=0.0, floor=1e-16):
    """``f(x_k) - f*``, clipped at ``floor`` so that a log axis can show it."""
    return np.maximum(np.asarray(losses, dtype=float) - minimum, floor)
