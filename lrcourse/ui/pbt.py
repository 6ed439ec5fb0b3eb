"""The PBT explorer: population-based training on a cheap noisy bowl, rerun at every slider move.

The task: gradient descent with noisy gradients on ``f(w) = (w_1^2 + 10 w_2^2) / 2`` from (3, 3).
A large rate gets down fast but hovers high (the noise floor); a small rate hovers low but arrives
late; past 0.2 it diverges. The best schedule starts high and ends low, and PBT, which only ever
copies and perturbs constant rates, discovers one.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from lrcourse import _checks
from lrcourse._setup import PALETTE
from lrcourse.pbt import pbt
from lrcourse.ui.widgets import Explorer, slider

__all__ = ["PBTExplorer", "noisy_bowl_task"]

CURVATURES = np.array([1.0, 10.0])
_STYLE = {"style": {"description_width": "initial"}}


def noisy_bowl_task(noise=1.0, steps=2000):
    """``(init, step, evaluate)`` for :func:`lrcourse.pbt.pbt` on the noisy bowl: each member
    starts at (3, 3) with a rate drawn log-uniformly from [1e-3, 0.2]; ``noise`` is the standard
    deviation of the gradient noise (0 to 1e6), drawn from a fixed table of ``steps`` steps per
    member stream (a member that copies another continues on the other's stream, as a copied
    data loader would). Weights are a pair of floats: copying them costs nothing."""
    noise = _checks.number("noise", noise, low=0, high=1e6)  # beyond, the walk is all noise
    steps = _checks.count("steps", steps, maximum=100_000)
    table = noise * np.random.default_rng(0).standard_normal((64, steps, 2))
    table = table.tolist()  # plain floats: one step is a few float operations

    def init(member, rng):
        rate = float(10 ** rng.uniform(-3, -0.7))
        return (3.0, 3.0), (int(rng.integers(64)), 0), {"learning_rate": rate}

    def step(w, state, hyper):
        stream, t = state
        n0, n1 = table[stream][t % steps]
        rate = hyper["learning_rate"]
        return (w[0] - rate * (w[0] + n0), w[1] - rate * (10.0 * w[1] + n1)), (stream, t + 1)

    def evaluate(w):
        try:
            return 0.5 * (w[0] ** 2 + 10.0 * w[1] ** 2)
        except OverflowError:  # a diverged member
            return float("inf")

    return init, step, evaluate


class PBTExplorer(Explorer):
    """PBT on :func:`noisy_bowl_task`, rerun whenever a slider moves: the population's size, the
    truncation fraction and the perturbation factor f (a copied rate is multiplied by f or 1/f).

    Left: every member's learning rate at every step (grey), the final best member's lineage
    (colour). Right: the best loss of the population after each round.
    """

    def __init__(self, population=16, fraction=0.25, factor=1.25, *, rounds=20, ready_steps=10):
        import ipywidgets as widgets

        population = _checks.count("population", population, minimum=2, maximum=32)
        fraction = _checks.number("fraction", fraction, low=0.1, high=0.5)
        factor = _checks.number("factor", factor, low=1.05, high=2.0)
        self.rounds = _checks.count("rounds", rounds, maximum=100)
        self.ready_steps = _checks.count("ready_steps", ready_steps, maximum=100)
        self.task = noisy_bowl_task()
        self.result = None
        super().__init__(figsize=(10.0, 3.8))
        self.add_control(
            "population",
            widgets.IntSlider(value=population, min=2, max=32, description="population", **_STYLE),
        )
        self.add_control("fraction", slider("truncation fraction", fraction, 0.1, 0.5, 0.05))
        self.add_control("factor", slider("perturbation factor", factor, 1.05, 2.0, 0.05))
        self.ax_rate, self.ax_loss = self.fig.subplots(1, 2)
        steps = self.rounds * self.ready_steps
        members = LineCollection([], colors="0.7", linewidths=0.8)
        self.ax_rate.add_collection(members)  # first in the figure, then marked as moving
        self.members = self.moving(members)
        self.lineage = self.moving(self.ax_rate.plot([], [], color=PALETTE[0], lw=2)[0])
        self.best_line = self.moving(self.ax_loss.plot([], [], "o-", color=PALETTE[0], ms=4)[0])
        self.ax_rate.set(
            xlim=(0, steps),
            ylim=(5e-4, 1.0),
            yscale="log",
            xlabel="step",
            ylabel="learning rate",
            title="Every member's rate (grey), the best one's line (blue)",
        )
        self.ax_loss.set(
            xlim=(0.5, self.rounds + 0.5),
            ylim=(1e-7, 1e2),
            yscale="log",
            xlabel="round",
            ylabel="best loss of the population",
        )

    def draw(self, values):
        init, step, evaluate = self.task
        result = pbt(
            init,
            step,
            evaluate,
            population=values["population"],
            rounds=self.rounds,
            ready_steps=self.ready_steps,
            fraction=values["fraction"],
            factors=(1 / values["factor"], values["factor"]),
            seed=0,
        )
        self.result = result
        rates = result.hyper["learning_rate"]
        t = np.arange(rates.shape[1])
        self.members.set_segments([np.column_stack([t, row]) for row in rates])
        best = result.best
        path = np.concatenate(
            [
                rates[m, r * self.ready_steps : (r + 1) * self.ready_steps]
                for r, m in result.ancestors(best)
            ]
        )
        self.lineage.set_data(t, path)
        with np.errstate(all="ignore"):
            best_loss = np.nanmin(np.where(np.isfinite(result.scores), result.scores, np.nan), 0)
        self.best_line.set_data(np.arange(1, self.rounds + 1), best_loss)
        return (
            f"{len(result.copies)} copies; the best member ends at loss {best_loss[-1]:.3g} with "
            f"rate {rates[best, -1]:.3g} (it started its line at {path[0]:.3g})"
        )
