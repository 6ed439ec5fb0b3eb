"""Population-based training of Keras networks, all members in one traced stack.

:func:`pbt_on_data` runs the rules of :mod:`lrcourse.pbt` (truncation, explore, the lineage) on a
real dataset: ``population`` networks train side by side on the course's fast path (one stack,
one twin optimizer per member, so each member has its own learning rate and its own optimizer
state). After every ``ready_epochs`` epochs each member is scored on the *selection* half of the
validation set; then each member of the bottom ``fraction`` takes the weights, the optimizer state
(every variable of its twin: step count, momentum, moments) and the learning rate of a member of
the top ``fraction``, and explores the rate (x0.8 or x1.2).

The other half of the validation set, which PBT never reads, scores every member after every
round for the report: choosing the best of many members on the rows it is reported on would
flatter any search. The halves are the validation rows at even and at odd positions.

With ``exploit=False`` nothing is ever copied: the same members, trained with their starting
rates, are a random (or grid) search with the same compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks
from lrcourse.keras import training
from lrcourse.keras.training import _config, _refuse_clipping, _rows, _stack, epoch_orders
from lrcourse.pbt import Copy, PBTResult, _factors, _space, explore, truncation

__all__ = ["DataPBT", "pbt_on_data"]

MAX_POPULATION = 64  # one twin optimizer per member in one traced graph


@dataclass(frozen=True, eq=False)
class DataPBT:
    """A PBT (or search) run on data. ``result``: the :class:`lrcourse.pbt.PBTResult` (rates per
    step, selection losses per round, lineage, final members). ``report[m, r]``: member m's loss
    on the report half after round r; ``report_accuracy`` likewise (nan for regression)."""

    result: PBTResult
    report: np.ndarray
    report_accuracy: np.ndarray
    seed: int
    epochs: int
    exploit: bool

    def __post_init__(self):
        if not isinstance(self.result, PBTResult):
            raise ValueError(f"result must be a PBTResult, got {_checks._brief(self.result)}")
        shape = self.result.scores.shape
        for name in ("report", "report_accuracy"):
            value = _checks.array(name, getattr(self, name), shape=shape, finite=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "seed", _checks.count("seed", self.seed, minimum=0))
        object.__setattr__(self, "epochs", _checks.count("epochs", self.epochs))
        object.__setattr__(self, "exploit", _checks.flag("exploit", self.exploit))
        if "learning_rate" not in self.result.hyper:
            raise ValueError("result must record a 'learning_rate' for every member and step")
        steps = self.result.hyper["learning_rate"].shape[1]
        if steps % self.epochs:
            raise ValueError(f"epochs must divide the run's {steps} steps, got {self.epochs}")

    @property
    def population(self):
        return self.result.scores.shape[0]

    @property
    def learning_rates(self):
        """``(population, steps)``: every member's learning rate at every update."""
        return self.result.hyper["learning_rate"]

    def chosen(self):
        """After each round, the member with the best selection loss: ``(rounds,)`` indices."""
        scores = self.result.scores
        return np.argmin(np.where(np.isfinite(scores), scores, np.inf), axis=0)

    def curve(self, key="report"):
        """Score against time: after each round, the report loss (``key="report"``) or accuracy
        (``"report_accuracy"``) of the member the selection half would choose then."""
        _checks.choice("key", key, ("report", "report_accuracy"))
        values = getattr(self, key)
        return values[self.chosen(), np.arange(values.shape[1])]

    def final(self, key="report"):
        """The report loss (or accuracy) of the member chosen at the end."""
        return float(self.curve(key)[-1])


def pbt_on_data(
    dataset,
    optimizer,
    learning_rates,
    *,
    seed=0,
    epochs=20,
    ready_epochs=1,
    batch_size=64,
    hidden=(32,),
    fraction=0.2,
    factors=(0.8, 1.2),
    resample_probability=0.0,
    space=None,
    exploit=True,
):
    """PBT over the learning rate of ``optimizer`` on ``dataset``: one member per starting rate.

    optimizer: a Keras optimizer with a float learning rate (its other settings are every
    member's; PBT owns the rate). learning_rates: each member's starting rate (2 to 64 members).
    seed: every member starts from ``build_model(dataset, hidden, seed=seed)``'s weights and
    reads the batches in ``epoch_orders(n, epochs, seed)``; the same seed draws PBT's choices.
    Members differ only in their rates, so a copy changes the weights, never the data order.
    ready_epochs: a member is ready after this many epochs (it must divide ``epochs``).
    fraction, factors, resample_probability, space: as in :func:`lrcourse.pbt.pbt` (space maps
    ``"learning_rate"`` to a function of a NumPy generator). exploit=False: no copies at all.
    A member whose loss stops being finite scores last and, at the next round, copies another.
    """
    dataset = training._dataset(dataset)
    import keras

    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras optimizer, got {_checks._brief(optimizer)}")
    if not isinstance(_config(optimizer)["learning_rate"], int | float):
        raise ValueError(
            "optimizer must have a float learning rate: PBT sets each member's rate itself"
        )
    _refuse_clipping({"optimizer": optimizer})
    rates, seed, epochs, ready_epochs, batch_size, hidden = _population(
        dataset, learning_rates, seed, epochs, ready_epochs, batch_size, hidden, MAX_POPULATION
    )
    _checks.number("fraction", fraction, low=0, high=0.5, low_open=True)
    factors = _factors(factors)
    p = _checks.number("resample_probability", resample_probability, low=0, high=1)
    _space(space, {"learning_rate": 1.0}, p)
    exploit = _checks.flag("exploit", exploit)
    if len(dataset.x_val) < 2:
        raise ValueError("dataset must have at least 2 validation rows (selection and report)")
    steps = dataset.steps_per_epoch(batch_size)
    population, total = len(rates), epochs * steps
    if population * total > _checks.MAX_STEPS:
        raise ValueError(
            f"epochs must be smaller: {population} members x {epochs} epochs x {steps} batches "
            f"is more than {_checks.MAX_STEPS:,} updates"
        )
    return _run(
        dataset, optimizer, rates, seed, epochs, ready_epochs, batch_size, hidden,
        fraction, factors, p, space, exploit,
    )  # fmt: skip


def _population(dataset, learning_rates, seed, epochs, ready_epochs, batch_size, hidden, most):
    """The checked starting rates (2 to ``most``) and run settings of a population."""
    rates = [
        _checks.number("learning_rates", r, low=0, low_open=True, high=1e6)
        for r in _checks.sequence("learning_rates", learning_rates, max_size=most + 1)
    ]
    if not 2 <= len(rates) <= most:
        raise ValueError(
            f"learning_rates must hold 2 to {most} starting rates (one per member), "
            f"got {len(rates)}"
        )
    seed = _checks.count("seed", seed, minimum=0, maximum=training.MAX_SEED)
    epochs = _checks.count("epochs", epochs, maximum=10_000)
    ready_epochs = _checks.count("ready_epochs", ready_epochs, maximum=epochs)
    if epochs % ready_epochs:
        raise ValueError(f"ready_epochs must divide epochs ({epochs}), got {ready_epochs}")
    batch_size = _checks.count("batch_size", batch_size, maximum=len(dataset.x_train))
    return rates, seed, epochs, ready_epochs, batch_size, training._hidden(hidden)


def _run(dataset, optimizer, rates, seed, epochs, ready_epochs, batch_size, hidden, fraction,
         factors, p, space, exploit):  # fmt: skip
    import tensorflow as tf

    population, steps = len(rates), dataset.steps_per_epoch(batch_size)
    rounds, ready_steps = epochs // ready_epochs, ready_epochs * steps
    stack = _stack(dataset, hidden, batch_size, [optimizer] * population, 1, epochs * steps)
    stack.reset(_rows(dataset, hidden, [seed]), rates)
    twins, variables = stack.optimizers, stack.variables
    orders = epoch_orders(len(dataset.x_train), epochs, seed)
    halves = [
        (tf.constant(dataset.x_val[start::2]), tf.constant(dataset.y_val[start::2]))
        for start in (0, 1)
    ]
    rng = np.random.default_rng(seed)
    rate = np.array(rates, dtype=float)
    history = np.empty((population, epochs * steps))
    scores, report, report_accuracy = (np.empty((population, rounds)) for _ in range(3))
    copies = []
    for epoch in range(epochs):
        history[:, epoch * steps : (epoch + 1) * steps] = rate[:, None]
        stack.run_epoch(tf.constant(orders[epoch][None], dtype=tf.int32))
        if (epoch + 1) % ready_epochs:
            continue
        r = (epoch + 1) // ready_epochs - 1
        for target, (x, y) in zip((scores, report), halves, strict=True):
            loss, accuracy = stack.evaluate(x, y)
            target[:, r] = loss.numpy()
            if target is report:
                report_accuracy[:, r] = accuracy.numpy() if dataset.task != "regression" else np.nan
        if not exploit or r == rounds - 1:
            continue
        for loser, winner in truncation(scores[:, r], fraction, rng):
            copied = {"learning_rate": float(rate[winner])}
            explored = explore(copied, rng, factors=factors, resample_probability=p, space=space)
            variables[loser].assign(variables[winner])
            for mine, theirs in zip(twins[loser].variables, twins[winner].variables, strict=True):
                mine.assign(theirs)  # step count, momentum, moments: the whole optimizer state
            rate[loser] = explored["learning_rate"]
            twins[loser].learning_rate = rate[loser]
            copies.append(Copy(r, (r + 1) * ready_steps, loser, winner, copied, explored))
    members = tuple(
        (
            stack.weights(m, 0),
            [np.array(v.numpy()) for v in twins[m].variables],
            {"learning_rate": float(rate[m])},
        )
        for m in range(population)
    )
    result = PBTResult({"learning_rate": history}, scores, tuple(copies), members, ready_steps)
    return DataPBT(result, report, report_accuracy, seed, epochs, exploit)
