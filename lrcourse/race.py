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
        return Trajectory(self.points[j, i, :n], self.losses[j, i, :n], rates, self.steps,
                          at or None, self.reasons[j][i])

    def leader(self, landscape):
        """``(name, final loss)`` of the run with the lowest final loss that did not diverge."""
        j = _index("landscape", landscape, self.landscape_names)
        finals = np.where(self.diverged_at[j] == 0, self.losses[j, :, -1], np.inf)
        if not np.isfinite(finals).any():
            return None, np.inf
        i = int(np.argmin(finals))
        return self.optimizer_names[i], float(finals[i])

    def diverged(self, landscape):
        j = _index("landscape", landscape, self.landscape_names)
        return [n for n, at in zip(self.optimizer_names, self.diverged_at[j], strict=True) if at]


def _index(what, key, names):
    """The position of ``key`` (a name or an index) in ``names``."""
    if isinstance(key, str):
        return names.index(_checks.choice(what, key, names))
    return _checks.number(what, key, low=0, high=len(names) - 1, integer=True)


def race(landscapes, optimizers, x0, steps=60):
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
    items = list(value.items()) if isinstance(value, dict) else [
        (getattr(land, "name", None), land) for land in (value or ())]
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
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=90, color="white", edgecolor="black",
                   zorder=5)
    ax.set(xlim=landscape.domain[0], ylim=landscape.domain[1], xlabel="$w_1$", ylabel="$w_2$")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)


def draw_race(axes, result, *, colors=COLORS, legend=True):
    """Static figure of a :class:`Race`: one panel per landscape, one path per optimizer."""
    for j, ax in enumerate(np.ravel(axes)):
        draw_course(ax, result.landscapes[j])
        for i, name in enumerate(result.optimizer_names):
            pts = result.points[j, i]
            ax.plot(pts[:, 0], pts[:, 1], "o-", ms=2.5, lw=1.3, color=colors.get(name),
                    label=name, zorder=3)
        start = result.points[j, 0, 0]
        ax.plot(*start, "o", ms=9, mfc="none", mec="black", mew=1.5, zorder=4)
        gone = result.diverged(j)
        title = result.landscape_names[j] + (f"\ndiverged: {', '.join(gone)}" if gone else "")
        ax.set_title(title, fontsize=10)
    if legend:
        ax.figure.legend(*np.ravel(axes)[0].get_legend_handles_labels(), loc="outside right upper",
                         fontsize=9)


# ---------------------------------------------------------------- the explorer


class RaceExplorer(Explorer):
    """Every optimizer on every landscape. Sliders: the learning rate (log), the start point (the
    same on every map) and how the rates are set: the same for all, or Keras's default ratios."""

    def __init__(self, landscapes=None, x0=(-1.5, 0.25), learning_rate=0.01, steps=60, *,
                 lr_range=(1e-4, 1.0), rates="same", names=tuple(FIELD)):
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
        super().__init__(figsize=(3.0 * len(self.landscapes) + 1.5, 3.6))
        import ipywidgets as widgets

        self.add_control("learning_rate", log_slider("learning rate", learning_rate, low, high))
        self.add_control("rates", widgets.ToggleButtons(
            options=[("same for all", "same"), ("Keras ratios (slider = Adam's)", "keras")],
            value=rates, description="rates", style={"description_width": "initial"}))
        for name, value, (lo, hi) in zip(("x0", "y0"), x0, domain, strict=True):
            self.add_control(name, slider(f"start {name[0]}", float(value), lo, hi, 0.05))
        axes = self.fig.subplots(1, len(self.landscapes))
        self.axes = np.atleast_1d(axes)
        self.lines, self.starts, self.notes = [], [], []
        for ax, land, title in zip(self.axes, self.landscapes, self.landscape_names, strict=True):
            draw_course(ax, land)  # drawn once: the cached background of every update
            ax.set_title(title, fontsize=10)
            self.lines.append([self.moving(ax.plot([], [], "o-", ms=2.5, lw=1.3, label=name,
                                                   color=COLORS.get(name))[0])
                               for name in self.names])
            self.starts.append(self.moving(ax.plot([], [], "o", ms=9, mfc="none", mec="black",
                                                   mew=1.5)[0]))
            self.notes.append(self.moving(ax.text(0.02, 0.02, "", transform=ax.transAxes,
                                                  fontsize=8, va="bottom")))
        self.fig.legend(handles=self.lines[0], loc="outside right upper", fontsize=9)

    def draw(self, values):
        start = np.array([values["x0"], values["y0"]])
        opts = racers(values["learning_rate"], values["rates"], self.names)
        self.result = result = race(dict(zip(self.landscape_names, self.landscapes, strict=True)),
                                    opts, start, self.steps)
        for j in range(len(self.landscapes)):
            for i, line in enumerate(self.lines[j]):
                line.set_data(result.points[j, i, :, 0], result.points[j, i, :, 1])
            self.starts[j].set_data([start[0]], [start[1]])
            gone = result.diverged(j)
            self.notes[j].set_text(f"diverged: {', '.join(gone)}" if gone else "")
        return self.describe(values)

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
            self.names.index(_checks.choice("name", name, self.names))]

    def final(self, key="val_loss"):
        """``{name: array of the final value of each seed}``."""
        return {name: self.curves(name, key)[:, -1] for name in self.names}

    def diverged(self, name):
        return bool(np.isnan(self.curves(name, "loss")).any())


def race_on_data(dataset, optimizers, *, seeds=(0, 1, 2), epochs=20, batch_size=64,
                 hidden=(32,), shuffle=True):
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
        raise ValueError(f"batch_size must be in [1, {n_train}] (the training set size), "
                         f"got {batch_size}")

    # initial weights: one stacked copy per seed, then one set of variables per optimizer
    initial = [training.build_model(dataset, hidden, seed=s).get_weights() for s in seeds]
    stacked = [np.stack(ws) for ws in zip(*initial, strict=True)]  # each (seeds, ...)
    groups = [[keras.Variable(w, dtype="float32", name=f"race_{c}_{k}") for k, w in
               enumerate(stacked)] for c in range(len(opts))]
    for opt, variables in zip(opts, groups, strict=True):
        opt.build(variables)
    task = dataset.task
    x_train, y_train = tf.constant(dataset.x_train), tf.constant(dataset.y_train)
    x_val, y_val = tf.constant(dataset.x_val), tf.constant(dataset.y_val)
    n_layers = len(stacked) // 2

    def forward(x, group):  # x: (seeds, batch, features) -> logits (seeds, batch, outputs)
        for layer in range(n_layers):
            x = tf.matmul(x, group[2 * layer]) + group[2 * layer + 1][:, None, :]
            if layer < n_layers - 1:
                x = tf.nn.relu(x)
        return x

    def losses_of(logits, y):  # mean loss of each network: (seeds,)
        if task == "multiclass":
            y = tf.broadcast_to(y, tf.shape(logits)[:2])
            per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        elif task == "binary":
            y = tf.broadcast_to(tf.cast(y, logits.dtype), tf.shape(logits)[:2])
            per = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits[..., 0])
        else:
            per = tf.square(logits[..., 0] - y)
        return tf.reduce_mean(per, axis=1)

    def accuracy_of(logits, y):
        if task == "multiclass":
            hit = tf.argmax(logits, axis=-1, output_type=y.dtype) == y
        else:
            hit = tf.cast(logits[..., 0] > 0, y.dtype) == y
        return tf.reduce_mean(tf.cast(hit, tf.float32), axis=1)

    @tf.function(input_signature=[tf.TensorSpec((len(seeds), None), tf.int32)])
    def step(index):  # index: (seeds, batch) rows of the training set
        x, y = tf.gather(x_train, index), tf.gather(y_train, index)
        with tf.GradientTape() as tape:
            total = tf.add_n([tf.reduce_sum(losses_of(forward(x, g), y)) for g in groups])
        grads = tape.gradient(total, [v for g in groups for v in g])
        for c, (opt, variables) in enumerate(zip(opts, groups, strict=True)):
            opt.apply(grads[c * len(variables) : (c + 1) * len(variables)], variables)

    @tf.function
    def evaluate():
        out = []
        for x, y in ((x_train, y_train), (x_val, y_val)):
            xs = tf.broadcast_to(x, (len(seeds), *x.shape))
            logits = [forward(xs, g) for g in groups]
            out.append(tf.stack([losses_of(lg, y) for lg in logits]))
            if task != "regression":
                out.append(tf.stack([accuracy_of(lg, y) for lg in logits]))
        return out

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
            order = np.stack([rng.permutation(n_train) if shuffle else np.arange(n_train)
                              for rng in rngs])
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
        raise ValueError(f"optimizers must be a non-empty dict {{name: keras optimizer}}, "
                         f"got {value!r}")
    seen = set()
    for name, opt in value.items():
        if not isinstance(opt, keras.optimizers.Optimizer):
            raise ValueError(f"optimizers[{name!r}] must be a keras optimizer, got {opt!r}")
        if id(opt) in seen or opt.built or int(opt.iterations) != 0:
            raise ValueError(f"optimizers[{name!r}] must be a fresh keras optimizer (one per "
                             "name, never used before)")
        if opt.clipnorm is not None or opt.global_clipnorm is not None:
            raise ValueError(f"optimizers[{name!r}] must not clip by norm (clipnorm, "
                             "global_clipnorm): a norm would mix the stacked networks")
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
