"""The optimizer race: every optimizer on several landscapes at once, and on a real dataset.

``race(landscapes, optimizers, x0, steps)`` runs every optimizer on every landscape from the same
start, all at once: the optimizers are elementwise, so one call of ``update`` moves an optimizer
on every landscape together. Each path is exactly the one :func:`lrcourse.descent.descend` walks
with the same optimizer. :class:`RaceExplorer` puts it on sliders.

``race_on_data(dataset, optimizers, seeds=...)`` trains one small network per optimizer and seed
with real ``keras.optimizers`` (imports Keras: call it only in notebooks that train).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks, landscapes
from lrcourse.descent import ESCAPE_RADIUS, Trajectory, _why_diverged
from lrcourse.optimizers import SGD, Adadelta, Adagrad, Adam, Optimizer, RMSprop
from lrcourse.widgets import Explorer, log_slider, slider

#: The field: name -> (optimizer class, its hyperparameters other than the learning rate).
FIELD = {
    "SGD": (SGD, {}),
    "Momentum": (SGD, {"momentum": 0.9}),
    "Nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (Adagrad, {}),
    "RMSprop": (RMSprop, {}),
    "Adadelta": (Adadelta, {}),
    "Adam": (Adam, {}),
}

#: Keras 3's default learning rate of each runner (``keras.optimizers.Adam().learning_rate``...).
KERAS_DEFAULTS = {
    "SGD": 0.01,
    "Momentum": 0.01,
    "Nesterov": 0.01,
    "Adagrad": 0.001,
    "RMSprop": 0.001,
    "Adadelta": 0.001,
    "Adam": 0.001,
}

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

#: How the learning rates are chosen: "same" for every runner, or Keras's default ratios.
RATES = ("same", "keras")


def learning_rates(learning_rate=0.01, rates="same", names=tuple(FIELD)):
    """The learning rate of each runner, ``{name: rate}``.

    rates="same": every runner uses ``learning_rate``. rates="keras": every runner uses its Keras
    default times ``learning_rate / 0.001``, so ``learning_rate`` is Adam's rate and the others
    keep Keras's ratio to it (at 0.001 these are exactly the Keras defaults; SGD's is 10 x Adam's).
    """
    learning_rate = _checks.positive("learning_rate", learning_rate)
    _checks.choice("rates", rates, RATES)
    for name in names:
        _checks.choice("names", name, tuple(FIELD))
    if rates == "same":
        return {name: learning_rate for name in names}
    return {name: KERAS_DEFAULTS[name] * learning_rate / KERAS_DEFAULTS["Adam"] for name in names}


def racers(learning_rate=0.01, rates="same", names=tuple(FIELD)):
    """The runners as :mod:`lrcourse.optimizers` objects, ``{name: optimizer}``."""
    return {
        name: FIELD[name][0](learning_rate=lr, **FIELD[name][1])
        for name, lr in learning_rates(learning_rate, rates, names).items()
    }


def default_landscapes():
    """The four courses of the race: a narrow bowl, a banana valley, a saddle, a mountain range."""
    return {
        "bowl": landscapes.bowl(condition_number=30.0),
        "Rosenbrock": landscapes.rosenbrock(),
        "saddle": landscapes.saddle(),
        "mountain range": landscapes.mountain_range(),
    }


# ---------------------------------------------------------------- the race on landscapes


@dataclass(frozen=True, eq=False)
class Race:
    """Every optimizer on every landscape. ``points[j, i, k]`` is optimizer i on landscape j after
    k updates (nan once that run diverged); ``diverged_at[j, i]`` is the step where it was stopped
    (0 when it was not)."""

    landscape_names: tuple
    optimizer_names: tuple
    landscapes: tuple
    optimizers: tuple
    points: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray
    reasons: tuple
    steps: int

    def trajectory(self, landscape, optimizer):
        """One run as a :class:`lrcourse.descent.Trajectory` (by name or index)."""
        j = _index("landscape", landscape, self.landscape_names)
        i = _index("optimizer", optimizer, self.optimizer_names)
        at = int(self.diverged_at[j, i])
        n = at if at else self.steps + 1
        opt = self.optimizers[i]
        rates = np.array([opt.learning_rate_at(step) for step in range(n - 1)], dtype=float)
        return Trajectory(
            self.points[j, i, :n],
            self.losses[j, i, :n],
            rates,
            self.steps,
            at or None,
            self.reasons[j][i],
        )

    @property
    def final_losses(self):
        """``(landscapes, optimizers)``: the loss after the last step, nan for a diverged run."""
        return self.losses[..., -1]

    def table(self):
        """One row per optimizer, one column per landscape: the final loss, or where the run
        was stopped ("diverged@k")."""
        width = max(14, *(len(n) + 2 for n in self.landscape_names))
        lines = [" " * 10 + "".join(f"{n:>{width}s}" for n in self.landscape_names)]
        for i, name in enumerate(self.optimizer_names):
            cells = [
                f"diverged@{at}" if at else f"{self.losses[j, i, -1]:.3g}"
                for j, at in enumerate(self.diverged_at[:, i])
            ]
            lines.append(f"{name:10s}" + "".join(f"{c:>{width}s}" for c in cells))
        return "\n".join(lines)

    def leader(self, landscape):
        """``(name, final loss)`` of the run with the lowest final loss that did not diverge."""
        j = _index("landscape", landscape, self.landscape_names)
        finals = np.where(self.diverged_at[j] == 0, self.losses[j, :, -1], np.inf)
        if not np.isfinite(finals).any():
            return None, np.inf
        i = int(np.argmin(finals))
        return self.optimizer_names[i], float(finals[i])

    def diverged(self, landscape):
        """The names of the optimizers whose run on this landscape was stopped."""
        j = _index("landscape", landscape, self.landscape_names)
        return [n for n, at in zip(self.optimizer_names, self.diverged_at[j], strict=True) if at]


def _index(what, key, names):
    """The position of ``key`` (a name or an index) in ``names``."""
    if isinstance(key, str):
        return names.index(_checks.choice(what, key, names))
    return _checks.number(what, key, low=0, high=len(names) - 1, integer=True)


def race(landscapes, optimizers, x0, steps=50):
    """Run every optimizer on every landscape from ``x0``, all at once, and record the paths.

    landscapes: a dict ``{name: Landscape}`` (2-D landscapes) or a sequence of them.
    optimizers: a dict ``{name: lrcourse Optimizer}``; each is used on every landscape.
    x0: one start ``[x, y]`` for every landscape, or one per landscape (shape ``(n, 2)``).
    A run is stopped, as :func:`~lrcourse.descent.descend` stops it, at the first point that is
    not finite, lies further than ``ESCAPE_RADIUS`` from the origin or has a non-finite loss.
    """
    names, lands = _named_landscapes(landscapes)
    opt_names, opts = _named_optimizers(optimizers)
    steps = _checks.count("steps", steps)
    starts = _starts(x0, lands)
    x = np.repeat(starts[None], len(opts), axis=0)  # x[i, j]: optimizer i on landscape j
    states = [opt.init(x[i]) for i, opt in enumerate(opts)]
    path = np.empty((steps + 1, *x.shape))
    path[0] = x
    grads = np.empty_like(x)
    with np.errstate(all="ignore"):
        for k in range(steps):
            for j, land in enumerate(lands):
                grads[:, j] = land.grad(x[:, j])
            for i, opt in enumerate(opts):  # elementwise: one update moves it on every landscape
                x[i], states[i] = opt.update(x[i], grads[i], states[i])
            path[k + 1] = x
        points = path.transpose(2, 1, 0, 3).copy()  # (landscape, optimizer, step, xy)
        losses = np.stack([land(points[j]) for j, land in enumerate(lands)])
        bad = ~np.isfinite(points).all(-1) | ~np.isfinite(losses)
        bad |= np.nan_to_num(np.abs(points), nan=0.0).max(-1) > ESCAPE_RADIUS
    diverged_at = np.where(bad.any(-1), bad.argmax(-1), 0)
    reasons = []
    for j, land in enumerate(lands):
        row = []
        for i in range(len(opts)):
            at = diverged_at[j, i]
            row.append(_why_diverged(points[j, i, at], land) if at else "")
            points[j, i, at or steps + 1 :] = np.nan
            losses[j, i, at or steps + 1 :] = np.nan
        reasons.append(tuple(row))
    return Race(names, opt_names, lands, opts, points, losses, diverged_at, tuple(reasons), steps)


def _named_landscapes(value):
    items = (
        list(value.items())
        if isinstance(value, dict)
        else [(getattr(land, "name", None), land) for land in (value or ())]
    )
    if not items:
        raise ValueError("landscapes must hold at least one 2-D landscape, got none")
    for name, land in items:
        if not isinstance(land, landscapes.Landscape) or land.dim != 2:
            raise ValueError(f"landscapes must hold 2-D Landscape objects, got {land!r} ({name})")
    return tuple(name for name, _ in items), tuple(land for _, land in items)


def _named_optimizers(value):
    if not isinstance(value, dict) or not value:
        raise ValueError(f"optimizers must be a non-empty dict {{name: Optimizer}}, got {value!r}")
    for name, opt in value.items():
        if not isinstance(opt, Optimizer):
            raise ValueError(f"optimizers[{name!r}] must be an lrcourse Optimizer, got {opt!r}")
    return tuple(value), tuple(value.values())


def _starts(x0, lands):
    arr = _checks.array("x0", x0)
    if arr.shape == (2,):
        arr = np.repeat(arr[None], len(lands), axis=0)
    if arr.shape != (len(lands), 2):
        raise ValueError(f"x0 must have shape (2,) or ({len(lands)}, 2), got shape {arr.shape}")
    for j, land in enumerate(lands):
        land.check_point(arr[j], "x0" if np.ndim(x0) == 1 else f"x0[{j}]")
    return arr


def _last_on_map(points, landscape):
    """The last point of a path that lies inside the landscape's domain (else the first)."""
    (xlo, xhi), (ylo, yhi) = landscape.domain
    x, y = points[:, 0], points[:, 1]
    inside = np.nonzero((x >= xlo) & (x <= xhi) & (y >= ylo) & (y <= yhi))[0]
    return points[inside[-1] if len(inside) else 0]


def common_domain(lands):
    """The part of the plane inside every landscape's domain: ``((xlo, xhi), (ylo, yhi))``."""
    lows = np.max([[lo for lo, _ in land.domain] for land in lands], axis=0)
    highs = np.min([[hi for _, hi in land.domain] for land in lands], axis=0)
    if np.any(lows >= highs):
        raise ValueError("landscapes must have overlapping domains to share a start point")
    return tuple((float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True))


def draw_course(ax, landscape, *, levels=25, n=160):
    """A light grey contour map (log-spaced levels), so coloured paths stand out on it."""
    xx, yy, zz = landscape.grid(n)
    shift = zz.min() - 1e-2 * (zz.max() - zz.min())
    levels = shift + np.geomspace(1e-2 * (zz.max() - zz.min()), zz.max() - shift, levels)
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
    """Static figure of a :class:`Race`: one panel per landscape, one path per optimizer."""
    for j, ax in enumerate(np.ravel(axes)):
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
            *np.ravel(axes)[0].get_legend_handles_labels(), loc="outside right upper", fontsize=9
        )


# ---------------------------------------------------------------- the explorer


class RaceExplorer(Explorer):
    """Every optimizer on every landscape. Sliders: the learning rate (log), the start point (the
    same on every map) and how the rates are set: the same for all, or Keras's default ratios.

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

        lands = landscapes if landscapes is not None else default_landscapes()
        self.landscape_names, self.landscapes = _named_landscapes(lands)
        self.names = tuple(learning_rates(1.0, "same", names))
        self.steps = _checks.count("steps", steps)
        low, high = (_checks.positive("lr_range", v) for v in lr_range)
        if low >= high:
            raise ValueError(f"lr_range must be (low, high) with low < high, got {lr_range!r}")
        learning_rate = _checks.number("learning_rate", learning_rate, low=low, high=high)
        _checks.choice("rates", rates, RATES)
        domain = common_domain(self.landscapes)
        x0 = _starts(x0, self.landscapes)[0]
        if not all(lo <= v <= hi for v, (lo, hi) in zip(x0, domain, strict=True)):
            raise ValueError(f"x0 must lie in the shared domain {domain} of the maps, got {x0}")
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
            self.add_control(name, slider(f"start {name[0]}", float(value), lo, hi, 0.05))
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
        self.result = result = race(
            dict(zip(self.landscape_names, self.landscapes, strict=True)), opts, start, self.steps
        )
        colors = [COLORS.get(name, "0.3") for name in self.names]
        for j in range(len(self.landscapes)):
            paths = [self.path(j, i) for i in range(len(self.names))]
            self.paths[j].set_segments(paths)
            self.starts[j].set_data([start[0]], [start[1]])
            gone = np.nonzero(result.diverged_at[j])[0]
            ends = [_last_on_map(paths[i], self.landscapes[j]) for i in gone]
            self.ends[j].set_offsets(np.array(ends).reshape(-1, 2))
            self.ends[j].set_facecolor([colors[i] for i in gone])
        return self.describe(values)

    def path(self, landscape, optimizer):
        """The points of one plotted path, up to its last finite point: ``(n, 2)``."""
        j = _index("landscape", landscape, self.landscape_names)
        i = _index("optimizer", optimizer, self.names)
        at = int(self.result.diverged_at[j, i])
        return self.result.points[j, i, : at or None]

    def describe(self, values):
        if values["rates"] == "same":
            head = f"lr {values['learning_rate']:.3g} for all"
        else:
            rates = learning_rates(values["learning_rate"], "keras", self.names)
            head = f"Keras ratios (SGD {rates['SGD']:.3g}, Adam {rates['Adam']:.3g})"
        parts = []
        for j, name in enumerate(self.landscape_names):
            best, loss = self.result.leader(j)
            part = f"{name}: lowest f {best} ({loss:.3g})" if best else f"{name}: all diverged"
            gone = len(self.result.diverged(j))
            parts.append(part + (f", {gone} diverged" if gone else ""))
        return f"{head}, {self.steps} steps. " + "; ".join(parts) + "."


# ---------------------------------------------------------------- the race on real data


@dataclass(frozen=True, eq=False)
class DataRace:
    """Curves of every (optimizer, seed) run: ``history[key][c, s, e]`` for optimizer c, seed s,
    after e epochs (e = 0 is the initial network). Keys: loss, val_loss (and accuracy,
    val_accuracy for classification); ``loss`` is measured on the whole training set at the end
    of each epoch. A diverged run is nan from the epoch where its loss stopped being finite."""

    names: tuple
    seeds: tuple
    epochs: int
    batch_size: int
    steps_per_epoch: int
    history: dict

    @property
    def steps(self):
        """Updates per run."""
        return self.epochs * self.steps_per_epoch

    def curves(self, name, key="val_loss"):
        """``(seeds, epochs + 1)`` array of one optimizer's runs."""
        return self.history[_checks.choice("key", key, tuple(self.history))][
            self.names.index(_checks.choice("name", name, self.names))
        ]

    def final(self, key="val_loss"):
        """``{name: array of the final value of each seed}``."""
        return {name: self.curves(name, key)[:, -1] for name in self.names}

    def diverged(self, name):
        """How many seeds of this optimizer diverged."""
        return int(np.isnan(self.curves(name, "loss")).any(axis=1).sum())

    def table(self, names=None, keys=("val_loss", "val_accuracy")):
        """The final value of each key per optimizer: mean over the seeds [min, max]."""
        names = self.names if names is None else names
        width = max(len(n) for n in names) + 2
        lines = [" " * width + "".join(f"{k + ': mean [min, max]':>30s}" for k in keys)]
        for name in names:
            cells = []
            for key in keys:
                final = self.curves(name, key)[:, -1]
                gone = int(np.isnan(final).sum())
                cells.append(
                    f"{gone} of {len(final)} diverged"
                    if gone
                    else f"{final.mean():.3f} [{final.min():.3f}, {final.max():.3f}]"
                )
            lines.append(f"{name:{width}s}" + "".join(f"{c:>30s}" for c in cells))
        return "\n".join(lines)


def race_on_data(
    dataset, optimizers, *, seeds=(0, 1, 2), epochs=20, batch_size=64, hidden=(32,), shuffle=True
):
    """Train one small network per optimizer and seed, all at once, with real Keras optimizers.

    optimizers: ``{name: keras optimizer}``, each fresh (never used) and elementwise (no clipnorm).
    Seed s gives every optimizer the same start, the initial weights of
    ``lrcourse.training.build_model(dataset, hidden, seed=s)``, and the same batch order
    (a NumPy permutation per epoch from ``default_rng(s)``; ``shuffle=False`` keeps the data order).

    The networks are stacked side by side in one TensorFlow graph, so the whole race is traced
    once instead of once per run. The loss is the sum of the networks' own mean batch losses, so
    each network gets exactly its own gradient, and each optimizer updates only its own networks'
    weights: every update is elementwise, so a network trains as it would alone with ``fit``.
    """
    from lrcourse import training

    keras = training.keras
    if keras.backend.backend() != "tensorflow":
        raise ValueError("race_on_data needs the TensorFlow backend of Keras")
    import tensorflow as tf

    names, opts = _keras_optimizers(optimizers, keras)
    seeds = tuple(_checks.count("seeds", s, minimum=0) for s in np.atleast_1d(seeds).tolist())
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be one or more different integers >= 0, got {seeds!r}")
    epochs = _checks.count("epochs", epochs)
    batch_size = _checks.count("batch_size", batch_size)
    n_train = len(dataset.x_train)
    if batch_size > n_train:
        raise ValueError(
            f"batch_size must be in [1, {n_train}] (the training set size), got {batch_size}"
        )

    # Seed s starts from the weights of build_model(seed=s). Each optimizer gets ONE variable,
    # (seeds, n_parameters): every network's weights flattened into a row, so an optimizer
    # updates all its networks with one call and the graph stays small (fast to trace).
    initial = [training.build_model(dataset, hidden, seed=s).get_weights() for s in seeds]
    shapes = [w.shape for w in initial[0]]
    sizes = [int(np.prod(shape)) for shape in shapes]
    rows = np.stack([np.concatenate([w.ravel() for w in ws]) for ws in initial])
    variables = [keras.Variable(rows, dtype="float32", name=f"race_{c}") for c in range(len(opts))]
    for opt, variable in zip(opts, variables, strict=True):
        opt.build([variable])
    task, n_nets = dataset.task, len(opts) * len(seeds)
    x_train, y_train = tf.constant(dataset.x_train), tf.constant(dataset.y_train)
    x_val, y_val = tf.constant(dataset.x_val), tf.constant(dataset.y_val)

    def forward(x, theta):  # x (nets or 1, batch, features), theta (nets, n_parameters)
        weights = [
            tf.reshape(part, (n_nets, *shape))
            for part, shape in zip(tf.split(theta, sizes, axis=1), shapes, strict=True)
        ]
        for layer in range(0, len(weights), 2):
            x = tf.matmul(x, weights[layer]) + weights[layer + 1][:, None, :]
            if layer < len(weights) - 2:
                x = tf.nn.relu(x)
        return x  # logits (nets, batch, outputs)

    def losses_of(logits, y):  # the mean loss of each network over its batch: (nets,)
        y = tf.broadcast_to(y, tf.shape(logits)[:2])
        if task == "multiclass":
            per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        elif task == "binary":
            per = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(y, logits.dtype), logits=logits[..., 0]
            )
        else:
            per = tf.square(logits[..., 0] - y)
        return tf.reduce_mean(per, axis=1)

    def accuracy_of(logits, y):
        if task == "multiclass":
            hit = tf.argmax(logits, axis=-1, output_type=y.dtype) == y
        else:
            hit = tf.cast(logits[..., 0] > 0, y.dtype) == y
        return tf.reduce_mean(tf.cast(hit, tf.float32), axis=1)

    @tf.function(input_signature=[tf.TensorSpec((len(seeds), None), tf.int32)], autograph=False)
    def step(index):  # index (seeds, batch): the rows of each seed's batch
        multiples = [len(opts), 1]  # every optimizer's copy of seed s sees seed s's batch
        x = tf.gather(x_train, tf.tile(index, multiples))
        y = tf.gather(y_train, tf.tile(index, multiples))
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(losses_of(forward(x, tf.concat(variables, axis=0)), y))
        grads = tape.gradient(total, variables)
        for opt, grad, variable in zip(opts, grads, variables, strict=True):
            opt.apply([grad], [variable])

    @tf.function(autograph=False)
    def evaluate():
        theta, out = tf.concat(variables, axis=0), []
        for x, y in ((x_train, y_train), (x_val, y_val)):
            logits = forward(x[None], theta)
            out.append(losses_of(logits, y))
            if task != "regression":
                out.append(accuracy_of(logits, y))
        return [tf.reshape(o, (len(opts), len(seeds))) for o in out]

    keys = ["loss", "accuracy", "val_loss", "val_accuracy"]
    if task == "regression":
        keys = ["loss", "val_loss"]
    records = {k: [] for k in keys}
    rngs = [np.random.default_rng(s) for s in seeds]
    with np.errstate(all="ignore"):
        for epoch in range(epochs + 1):
            for k, value in zip(keys, evaluate(), strict=True):
                records[k].append(value.numpy())
            if epoch == epochs:
                break
            order = np.stack(
                [rng.permutation(n_train) if shuffle else np.arange(n_train) for rng in rngs]
            )
            for start in range(0, n_train, batch_size):
                step(tf.constant(order[:, start : start + batch_size], dtype=tf.int32))
    history = {k: np.stack(v, axis=-1).astype(float) for k, v in records.items()}
    broken = ~np.isfinite(history["loss"]) | ~np.isfinite(history["val_loss"])
    first = np.where(broken.any(-1), broken.argmax(-1), epochs + 1)
    after = np.arange(epochs + 1) >= first[..., None]
    for values in history.values():
        values[after] = np.nan
    return DataRace(names, seeds, epochs, batch_size, dataset.steps_per_epoch(batch_size), history)


def _keras_optimizers(value, keras):
    if not isinstance(value, dict) or not value:
        raise ValueError(
            f"optimizers must be a non-empty dict {{name: keras optimizer}}, got {value!r}"
        )
    seen = set()
    for name, opt in value.items():
        if not isinstance(opt, keras.optimizers.Optimizer):
            raise ValueError(f"optimizers[{name!r}] must be a keras optimizer, got {opt!r}")
        if id(opt) in seen or opt.built or int(opt.iterations) != 0:
            raise ValueError(
                f"optimizers[{name!r}] must be a fresh keras optimizer (one per "
                "name, never used before)"
            )
        if opt.clipnorm is not None or opt.global_clipnorm is not None:
            raise ValueError(
                f"optimizers[{name!r}] must not clip by norm (clipnorm, "
                "global_clipnorm): a norm would mix the stacked networks"
            )
        seen.add(id(opt))
    return tuple(value), tuple(value.values())


def plot_band(ax, runs, *, color=None, label=None, x=None, spread="minmax"):
    """Mean of several runs (rows of ``runs``) as a line, their spread as a band.

    spread="minmax": the band goes from the lowest to the highest run; "std": mean +- 1 std.
    """
    runs = np.asarray(runs, dtype=float)
    _checks.choice("spread", spread, ("minmax", "std"))
    x = np.arange(runs.shape[1]) if x is None else x
    with np.errstate(all="ignore"):
        mean = runs.mean(axis=0)
        if spread == "minmax":
            low, high = runs.min(axis=0), runs.max(axis=0)
        else:
            low, high = mean - runs.std(axis=0), mean + runs.std(axis=0)
    (line,) = ax.plot(x, mean, color=color, label=label)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, lw=0)
    return line
