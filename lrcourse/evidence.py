"""One way to state a result: compare methods with a baseline over the same seeds.

Every ranking in the course goes through :func:`compare`. Each method is run on the same seeds as
the baseline (same initial weights, same batch order), so the fair measure is the *paired*
difference, method minus baseline, seed by seed. :func:`compare` reports its mean and a 95%
interval (Student's t over the seeds) and one verdict in fixed words:

- ``"better"``: the whole interval lies on the good side of zero;
- ``"worse"``: the whole interval lies on the bad side;
- ``"no difference detected at this number of seeds"``: the interval holds zero. This is not
  "the same": more seeds might separate them.

When several methods are compared with one baseline, each interval is widened (Bonferroni: level
``1 - 0.05 / m`` for ``m`` methods) so that the 95% holds for all of them at once. A method whose
run diverged on some seed gets the verdict ``"diverged on k of n seeds"`` and no interval.
:func:`best_constant` picks the baseline from a sweep, and refuses a sweep too coarse to trust;
``lrcourse.ui.plotting.draw_comparison`` draws a comparison as a forest plot.
"""

from __future__ import annotations

import math
import numbers
import re
import textwrap
from dataclasses import dataclass

import numpy as np

from lrcourse import _checks

BETTER, WORSE = "better", "worse"
NO_DIFFERENCE = "no difference detected at this number of seeds"
MIN_SEEDS = 5  # the course ranks methods over at least five seeds
MAX_METHODS = 100
MAX_RATIO = 2.0  # neighbouring rates of a sweep fine enough to trust differ by at most x2

__all__ = [
    "BETTER",
    "MIN_SEEDS",
    "NO_DIFFERENCE",
    "WORSE",
    "Claim",
    "Comparison",
    "Row",
    "best_constant",
    "claim_table",
    "compare",
]

HOLDS, FAILS = "holds", "does not hold"
#: What a source article's claim becomes once measured: it holds, it does not hold (the opposite
#: was measured), or the comparison detected no difference either way.
CLAIM_VERDICTS = (HOLDS, FAILS, NO_DIFFERENCE)


@dataclass(frozen=True)
class Row:
    """One method against the baseline: means over seeds, the paired difference (method minus
    baseline) with its interval, the seeds on which the method did better, and the verdict."""

    name: str
    mean: float
    difference: float
    low: float
    high: float
    wins: int
    verdict: str
    seed_range: tuple = ()  # (lowest, highest) score of the method over the seeds, if known

    def __post_init__(self):
        _text("name", self.name)
        _range("seed_range", self.seed_range)
        diverged = isinstance(self.verdict, str) and bool(_DIVERGED.fullmatch(self.verdict))
        if not diverged and not (
            isinstance(self.verdict, str) and self.verdict in (BETTER, WORSE, NO_DIFFERENCE)
        ):
            raise ValueError(
                f"verdict must be {BETTER!r}, {WORSE!r}, {NO_DIFFERENCE!r} or 'diverged on k of n "
                f"seeds', got {_checks._brief(self.verdict)}"
            )
        for field in ("mean", "difference", "low", "high"):
            value = getattr(self, field)
            if not (diverged and isinstance(value, float) and math.isnan(value)):
                _checks.number(field, value)  # finite, unless the method diverged (then nan)
        if not diverged and not self.low <= self.difference <= self.high:
            raise ValueError(
                f"low, difference and high must be in order, got {self.low}, {self.difference}, "
                f"{self.high}"
            )
        _checks.count("wins", self.wins, minimum=0)

    @property
    def diverged(self):
        return self.verdict.startswith("diverged")


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`; print it for a table, or read :attr:`rows`."""

    baseline: str
    baseline_mean: float
    rows: tuple
    n_seeds: int
    level: float  # the confidence level of each interval, after the correction
    metric: str
    lower_is_better: bool
    baseline_range: tuple = ()  # (lowest, highest) score of the baseline over the seeds

    def __post_init__(self):
        _text("baseline", self.baseline)
        _range("baseline_range", self.baseline_range)
        _text("metric", self.metric)
        _checks.number("baseline_mean", self.baseline_mean)
        if not isinstance(self.rows, tuple) or not all(isinstance(r, Row) for r in self.rows):
            raise ValueError(f"rows must be a tuple of Row, got {_checks._brief(self.rows)}")
        _checks.count("n_seeds", self.n_seeds, minimum=MIN_SEEDS)
        _checks.number("level", self.level, low=0, high=1, low_open=True, high_open=True)
        _checks.flag("lower_is_better", self.lower_is_better)

    def verdict(self, name):
        """The verdict of method ``name`` (one of the fixed words)."""
        return self.row(name).verdict

    def row(self, name):
        names = [row.name for row in self.rows]
        _checks.choice("name", name, names)
        return self.rows[names.index(name)]

    def names(self, verdict):
        """The methods with ``verdict`` ("better", "worse" or the no-difference words)."""
        _checks.choice("verdict", verdict, (BETTER, WORSE, NO_DIFFERENCE))
        return [row.name for row in self.rows if row.verdict == verdict]

    def table(self):
        goal = "lower" if self.lower_is_better else "higher"
        width = max(len(self.baseline), *(len(row.name) for row in self.rows), 8)
        several = len(self.rows) > 1
        lines = [
            f"{self.metric} ({goal} is better) over {self.n_seeds} seeds, paired with the "
            f"baseline {self.baseline!r} (mean {self.baseline_mean:.4g}); "
            f"{self.level:.1%} intervals" + (" (corrected for several methods)" * several),
            f"{'method':<{width}}  {'mean':>8}  {'difference':>10}  {'interval':>21}  "
            f"{'wins':>5}  verdict",
        ]
        for row in self.rows:
            if row.diverged:
                interval, diff, mean = "", "", ""
            else:
                interval = f"[{row.low:+.4f}, {row.high:+.4f}]"
                diff, mean = f"{row.difference:+.4f}", f"{row.mean:.4f}"
            lines.append(
                f"{row.name:<{width}}  {mean:>8}  {diff:>10}  {interval:>21}  "
                f"{row.wins:>2}/{self.n_seeds:<2}  {row.verdict}"
            )
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    __repr__ = __str__


def compare(scores, baseline, *, lower_is_better=True, metric="score", confidence=0.95):
    """Compare every method of ``scores`` with ``baseline`` over the same seeds.

    scores: a dict name -> one number per seed, the seeds in the same order for every method (at
    least :data:`MIN_SEEDS` = 5 seeds); a non-finite number marks a diverged run.
    baseline: the name of the baseline in ``scores`` (the best constant rate, see
    :func:`best_constant`); every other name is compared with it.
    lower_is_better: True for a loss, False for an accuracy. metric: its name for the table.
    confidence: the level the intervals hold for all methods together (0.95).
    """
    rows, names = _scores(scores)
    if len(names) < 2:
        raise ValueError("scores must hold the baseline and at least one method to compare")
    _checks.choice("baseline", baseline, names)
    lower_is_better = _checks.flag("lower_is_better", lower_is_better)
    _text("metric", metric)
    confidence = _checks.number("confidence", confidence, low=0.5, high=1, high_open=True)
    base = rows[names.index(baseline)]
    if not np.all(np.isfinite(base)):
        bad = int(np.sum(~np.isfinite(base)))
        raise ValueError(
            f"baseline {baseline!r} diverged on {bad} of {len(base)} seeds: compare with a "
            "baseline that trains on every seed"
        )
    others = [(name, row) for name, row in zip(names, rows, strict=True) if name != baseline]
    level = 1 - (1 - confidence) / len(others)
    n = len(base)
    t = _t_quantile(1 - (1 - level) / 2, n - 1)
    sign = 1.0 if lower_is_better else -1.0
    results = []
    for name, row in others:
        finite = np.isfinite(row)
        if not finite.all():
            results.append(
                Row(
                    name,
                    math.nan,
                    math.nan,
                    math.nan,
                    math.nan,
                    0,
                    f"diverged on {int(np.sum(~finite))} of {n} seeds",
                )
            )
            continue
        difference = row - base
        mean = float(np.mean(difference))
        half = t * float(np.std(difference, ddof=1)) / math.sqrt(n)
        low, high = mean - half, mean + half
        good_side = high < 0 if lower_is_better else low > 0
        bad_side = low > 0 if lower_is_better else high < 0
        verdict = BETTER if good_side else WORSE if bad_side else NO_DIFFERENCE
        wins = int(np.sum(sign * difference < 0))
        extremes = (float(np.min(row)), float(np.max(row)))
        results.append(Row(name, float(np.mean(row)), mean, low, high, wins, verdict, extremes))
    return Comparison(
        baseline,
        float(np.mean(base)),
        tuple(results),
        n,
        level,
        metric,
        lower_is_better,
        (float(np.min(base)), float(np.max(base))),
    )


def best_constant(scores, *, lower_is_better=True):
    """The learning rate with the best mean score in a sweep of constant rates.

    scores: a dict learning rate (a number > 0) -> one score per seed (at least five seeds, the
    same for every rate). The sweep must be fine enough to trust: at least three rates,
    neighbours at most x2 apart, and the best not at either end (else the optimum may lie
    outside); otherwise a ValueError says how to extend it. A rate that diverged on any seed
    cannot be the best.
    """
    lower_is_better = _checks.flag("lower_is_better", lower_is_better)
    if not isinstance(scores, dict):
        raise ValueError(f"scores must be a dict rate -> scores, got {_checks._brief(scores)}")
    for rate in scores:
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not rate > 0:
            raise ValueError(f"scores keys must be learning rates > 0, got {rate!r}")
        if not math.isfinite(rate):
            raise ValueError(f"scores keys must be finite learning rates, got {rate!r}")
    rows, _ = _scores({str(rate): value for rate, value in scores.items()})
    rates = np.array(sorted(scores), dtype=float)
    if len(rates) < 3:
        raise ValueError(f"scores must hold at least 3 learning rates, got {len(rates)}")
    ratios = rates[1:] / rates[:-1]
    if ratios.max() > MAX_RATIO * (1 + 1e-9):
        i = int(np.argmax(ratios))
        raise ValueError(
            f"scores must come from a sweep with neighbouring rates at most x{MAX_RATIO:g} apart; "
            f"{rates[i]:g} and {rates[i + 1]:g} are x{ratios[i]:.3g} apart: add rates between them"
        )
    by_rate = dict(zip(scores, rows, strict=True))
    sign = 1.0 if lower_is_better else -1.0
    finite = {r: np.all(np.isfinite(row)) for r, row in by_rate.items()}
    means = np.array([sign * np.mean(by_rate[r]) if finite[r] else np.inf for r in sorted(scores)])
    if not np.isfinite(means).any():
        raise ValueError("scores: every learning rate diverged on some seed; sweep lower rates")
    best = int(np.argmin(means))
    if best in (0, len(rates) - 1):
        end = "lowest" if best == 0 else "highest"
        raise ValueError(
            f"scores: the best rate {rates[best]:g} is the {end} of the sweep, so the optimum may "
            "lie outside it: extend the sweep past it"
        )
    return sorted(scores)[best]


_DIVERGED = re.compile(r"diverged on \d+ of \d+ seeds")


@dataclass(frozen=True)
class Claim:
    """A source article's claim, stated as one row of a :func:`compare` result.

    says: the article's words. comparison: the :class:`Comparison` that tests it. method: the
    row of ``comparison`` the claim is about. expected: the verdict the claim predicts for that
    row against the comparison's baseline (``"better"``, ``"worse"``, or the no-difference words
    for a claim that two methods do equally well).
    """

    says: str
    comparison: Comparison
    method: str
    expected: str

    def __post_init__(self):
        _text("says", self.says)
        if not isinstance(self.comparison, Comparison):
            raise ValueError(
                f"comparison must be a Comparison (from compare), got "
                f"{_checks._brief(self.comparison)}"
            )
        self.comparison.row(
            _checks.choice("method", self.method, [r.name for r in self.comparison.rows])
        )
        _checks.choice("expected", self.expected, (BETTER, WORSE, NO_DIFFERENCE))

    @property
    def measured(self):
        """What the runs say: means, the paired difference, its interval, wins and verdict."""
        c, row = self.comparison, self.comparison.row(self.method)
        if row.diverged:
            return f"{row.name} {row.verdict}"

        def score(name, mean, extremes):
            spread = f" [{extremes[0]:.4f}, {extremes[1]:.4f}]" if extremes else ""
            return f"{name} {mean:.4f}{spread}"

        return (
            f"{c.metric}, mean [lowest, highest] over {c.n_seeds} seeds: "
            f"{score(row.name, row.mean, row.seed_range)} vs "
            f"{score(c.baseline, c.baseline_mean, c.baseline_range)}; paired difference "
            f"{row.difference:+.4f}, {c.level:.1%} interval [{row.low:+.4f}, {row.high:+.4f}], "
            f"better on {row.wins} of {c.n_seeds} seeds: {row.verdict}"
        )

    @property
    def verdict(self):
        """``"holds"``, ``"does not hold"`` or ``"no difference detected at this number of
        seeds"``; a claim that two methods do equally well cannot be confirmed by seeds, only
        left undetected or refuted, so it never "holds"."""
        found = self.comparison.verdict(self.method)
        if found == NO_DIFFERENCE:
            return NO_DIFFERENCE
        return HOLDS if found == self.expected else FAILS


def claim_table(claims):
    """The claims of a source article next to what was measured: for each, "the article says",
    "we measured" and the verdict, as text to print. claims: one or more :class:`Claim`."""
    claims = list(_checks.sequence("claims", claims))
    if not claims or not all(isinstance(claim, Claim) for claim in claims):
        raise ValueError(f"claims must be one or more Claim, got {_checks._brief(claims)}")
    blocks = []
    for number, claim in enumerate(claims, 1):
        lines = [f"Claim {number}"]
        for label, text in (
            ("the article says", claim.says),
            ("we measured", claim.measured),
            ("verdict", claim.verdict),
        ):
            lines.append(
                textwrap.fill(
                    text,
                    width=100,
                    initial_indent=f"  {label + ':':<18}",
                    subsequent_indent=" " * 20,
                    break_on_hyphens=False,
                )
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _range(name, value):
    """() or (lowest, highest): two finite numbers in order."""
    if isinstance(value, tuple) and not value:
        return
    if not (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and math.isfinite(v) for v in value)
        and value[0] <= value[1]
    ):
        raise ValueError(
            f"{name} must be () or (lowest, highest), two finite numbers in order, got "
            f"{_checks._brief(value)}"
        )


def _text(name, value):
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {_checks._brief(value)}")


def _scores(scores):
    """(rows, names): every method's scores as a float array, all of the same length >= 5."""
    if not isinstance(scores, dict):
        raise ValueError(
            f"scores must be a dict name -> one score per seed, got {_checks._brief(scores)}"
        )
    if len(scores) > MAX_METHODS:
        raise ValueError(f"scores must hold at most {MAX_METHODS} methods, got {len(scores)}")
    names, rows = [], []
    for name, values in scores.items():
        if not isinstance(name, str):
            raise ValueError(f"scores keys must be method names (strings), got {name!r}")
        try:
            row = _checks.numeric(f"scores[{name!r}]", values, finite=False)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        if row.ndim != 1:
            raise ValueError(f"scores[{name!r}] must be one number per seed, got shape {row.shape}")
        names.append(name)
        rows.append(row.astype(float))
    lengths = {len(row) for row in rows}
    if len(lengths) > 1:
        raise ValueError(
            "scores must hold the same number of seeds for every method (paired runs), got "
            + ", ".join(f"{name}: {len(row)}" for name, row in zip(names, rows, strict=True))
        )
    if rows and len(rows[0]) < MIN_SEEDS:
        raise ValueError(
            f"scores must hold at least {MIN_SEEDS} seeds per method (the course ranks methods "
            f"over five seeds or more), got {len(rows[0])}"
        )
    if rows and len(rows[0]) > _checks.MAX_STEPS:
        raise ValueError(f"scores must hold at most {_checks.MAX_STEPS:,} seeds per method")
    return rows, names


def _t_quantile(p, df):
    """Student's t quantile (scipy, imported only when a comparison is made)."""
    from scipy import stats

    return float(stats.t.ppf(p, df))
