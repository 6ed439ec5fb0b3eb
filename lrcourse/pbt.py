"""Population-based training (Jaderberg et al. 2017, arXiv:1711.09846), written by hand.

A population of members trains side by side, each with its own weights, optimizer state and
hyperparameters (here: the learning rate, and whatever else ``init`` gives it). Every
``ready_steps`` steps each member is scored; then

* **exploit** (truncation selection): each member of the bottom ``fraction`` copies the weights,
  the optimizer state and the hyperparameters of a member of the top ``fraction`` drawn at random;
* **explore** (perturbation): a member that copied multiplies each copied hyperparameter by a
  factor drawn from ``factors`` (0.8 or 1.2), or, with ``resample_probability``, draws it afresh
  from ``space[name](rng)``.

Everything random comes from one ``np.random.default_rng(seed)``, so a run is repeatable, and the
whole lineage is recorded: who copied whom after which round, and every member's hyperparameters
at every step (the schedule PBT discovers).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks

__all__ = ["Copy", "PBTResult", "explore", "pbt", "truncation"]


def truncation(scores, fraction=0.2, rng=None, *, lower_is_better=True):
    """Who copies whom: ``[(loser, winner), ...]``, one pair per member of the bottom ``fraction``
    of ``scores`` (at least one), each winner drawn at random from the top ``fraction``.

    The number in each part is ``max(1, floor(fraction * n))``; ties keep index order (a stable
    sort). A member whose score is not finite (a diverged run) ranks last. fraction: in (0, 0.5].
    """
    scores = _checks.array("scores", scores, ndim=1, finite=False)
    if len(scores) < 2:
        raise ValueError(f"scores must hold at least 2 members' scores, got {len(scores)}")
    fraction = _checks.number("fraction", fraction, low=0, high=0.5, low_open=True)
    lower_is_better = _checks.flag("lower_is_better", lower_is_better)
    rng = np.random.default_rng(0) if rng is None else _rng(rng)
    key = np.where(np.isfinite(scores), scores if lower_is_better else -scores, np.inf)
    order = np.argsort(key, kind="stable")  # best first
    k = max(1, int(fraction * len(scores)))
    top, bottom = order[:k], order[len(scores) - k :]
    return [(int(loser), int(rng.choice(top))) for loser in bottom]


def explore(hyper, rng=None, *, factors=(0.8, 1.2), resample_probability=0.0, space=None):
    """New hyperparameters from copied ones: each value is multiplied by a factor drawn from
    ``factors``, or (with ``resample_probability``) replaced by ``space[name](rng)``.

    hyper: a dict name -> positive number. factors: positive numbers. space: a dict name ->
    function of a NumPy generator, needed for every name when resample_probability > 0.
    """
    hyper = _hyper(hyper)
    rng = np.random.default_rng(0) if rng is None else _rng(rng)
    factors = _factors(factors)
    p = _checks.number("resample_probability", resample_probability, low=0, high=1)
    space = _space(space, hyper, p)
    new = {}
    for name, value in hyper.items():
        if p > 0 and rng.random() < p:
            new[name] = _checks.positive(f"space[{name!r}](rng)", space[name](rng))
        else:
            new[name] = value * float(rng.choice(factors))
    return new


@dataclass(frozen=True)
class Copy:
    """After round ``round`` (at step ``step``), member ``loser`` took member ``winner``'s weights,
    optimizer state and hyperparameters, then explored from ``copied`` to ``explored``."""

    round: int
    step: int
    loser: int
    winner: int
    copied: dict
    explored: dict

    def __post_init__(self):
        for name in ("round", "step", "loser", "winner"):
            object.__setattr__(self, name, _checks.count(name, getattr(self, name), minimum=0))
        object.__setattr__(self, "copied", _hyper(self.copied, "copied"))
        object.__setattr__(self, "explored", _hyper(self.explored, "explored"))


@dataclass(frozen=True)
class PBTResult:
    """A PBT run: ``hyper[name][m, t]`` member m's hyperparameter at step t; ``scores[m, r]`` its
    score after round r (before that round's exploit); ``copies`` the lineage; ``members`` the
    final ``(params, state, hyper)`` of each member."""

    hyper: dict
    scores: np.ndarray
    copies: tuple
    members: tuple
    ready_steps: int

    def __post_init__(self):
        scores = _checks.array("scores", self.scores, ndim=2, finite=False)
        population, rounds = scores.shape
        steps = _checks.count("ready_steps", self.ready_steps) * rounds
        if not isinstance(self.hyper, dict) or not self.hyper:
            raise ValueError(f"hyper must be a non-empty dict, got {_checks._brief(self.hyper)}")
        hyper = {
            str(k): _checks.array(f"hyper[{k!r}]", v, shape=(population, steps))
            for k, v in self.hyper.items()
        }
        if not isinstance(self.copies, tuple) or not all(
            isinstance(c, Copy) and c.loser < population and c.winner < population
            for c in self.copies
        ):
            raise ValueError("copies must be a tuple of Copy records of these members")
        if not isinstance(self.members, tuple) or len(self.members) != population:
            raise ValueError(f"members must be a tuple of {population} (params, state, hyper)")
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "hyper", hyper)

    @property
    def best(self):
        """The member with the best final score (lower is better; a nan ranks last)."""
        final = self.scores[:, -1]
        return int(np.argmin(np.where(np.isfinite(final), final, np.inf)))

    def ancestors(self, member):
        """``[(round, member), ...]``: whose weights ``member`` carried, from round 0 to the end."""
        member = _checks.count("member", member, minimum=0, maximum=len(self.members) - 1)
        rounds = self.scores.shape[1]
        line, current = [], member
        for r in range(rounds - 1, -1, -1):
            line.append((r, current))
            for c in self.copies:
                if c.round == r - 1 and c.loser == current:
                    current = c.winner
                    break
        return line[::-1]


def pbt(
    init,
    step,
    evaluate,
    *,
    population=8,
    rounds=10,
    ready_steps=20,
    fraction=0.2,
    factors=(0.8, 1.2),
    resample_probability=0.0,
    space=None,
    seed=0,
):
    """Run PBT: ``rounds`` rounds of ``ready_steps`` steps for each of ``population`` members.

    init(member, rng) -> (params, state, hyper): a member's start (hyper: name -> positive number).
    step(params, state, hyper) -> (params, state): one training step with these hyperparameters.
    evaluate(params) -> score, lower is better (a non-finite score ranks last).
    After every round but the last, the bottom ``fraction`` exploit and explore (see the module).
    population: 2 to 1,000; rounds * ready_steps * population at most 1,000,000 steps.
    """
    for name, fn in (("init", init), ("step", step), ("evaluate", evaluate)):
        _checks.function(name, fn)
    population = _checks.count("population", population, minimum=2, maximum=1000)
    rounds = _checks.count("rounds", rounds)
    ready_steps = _checks.count("ready_steps", ready_steps)
    if population * rounds * ready_steps > _checks.MAX_STEPS:
        raise ValueError(
            f"rounds must be smaller: {population} members x {rounds} rounds x {ready_steps} "
            f"steps is more than {_checks.MAX_STEPS:,} steps"
        )
    _checks.number("fraction", fraction, low=0, high=0.5, low_open=True)
    factors = _factors(factors)
    seed = _checks.count("seed", seed, minimum=0, maximum=2**32 - 1)
    rng = np.random.default_rng(seed)
    members = []
    for m in range(population):
        params, state, hyper = init(m, rng)
        members.append([params, state, _hyper(hyper, f"init({m}, rng)[2]")])
    names = tuple(members[0][2])
    if any(tuple(member[2]) != names for member in members):
        raise ValueError("init must give every member the same hyperparameter names")
    p = _checks.number("resample_probability", resample_probability, low=0, high=1)
    _space(space, members[0][2], p)
    total = rounds * ready_steps
    hyper = {name: np.empty((population, total)) for name in names}
    scores = np.empty((population, rounds))
    copies = []
    for r in range(rounds):
        for m, member in enumerate(members):
            for t in range(r * ready_steps, (r + 1) * ready_steps):
                for name in names:
                    hyper[name][m, t] = member[2][name]
                member[0], member[1] = step(member[0], member[1], member[2])
            scores[m, r] = _score(evaluate(member[0]), m)
        if r == rounds - 1:
            break
        for loser, winner in truncation(scores[:, r], fraction, rng):
            copied = dict(members[winner][2])
            explored = explore(copied, rng, factors=factors, resample_probability=p, space=space)
            members[loser] = [
                copy.deepcopy(members[winner][0]),
                copy.deepcopy(members[winner][1]),
                explored,
            ]
            copies.append(Copy(r, (r + 1) * ready_steps, loser, winner, copied, explored))
    return PBTResult(hyper, scores, tuple(copies), tuple(tuple(m) for m in members), ready_steps)


def _rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng), got {rng!r}")
    return rng


def _hyper(hyper, name="hyper"):
    if not isinstance(hyper, dict) or not hyper:
        raise ValueError(f"{name} must be a non-empty dict name -> positive number, got {hyper!r}")
    return {str(k): _checks.positive(f"{name}[{k!r}]", v) for k, v in hyper.items()}


def _factors(factors):
    values = _checks.array("factors", factors, ndim=1)
    if not len(values) or np.any(values <= 0):
        raise ValueError(f"factors must be one or more positive numbers, got {factors!r}")
    return tuple(float(v) for v in values)


def _space(space, hyper, probability):
    if space is None and probability == 0:
        return space
    if not isinstance(space, dict) or not all(callable(space.get(n)) for n in hyper):
        raise ValueError(
            f"space must be None or map every hyperparameter {sorted(hyper)} to a function of "
            f"a numpy Generator (needed when resample_probability > 0), got {_checks._brief(space)}"
        )
    return space


def _score(value, member):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"evaluate must return a number, got {value!r} for member {member}"
        ) from None
