"""The comparison helper: paired intervals checked against an independent computation, the
verdict words, the correction for several methods, divergence and the sweep rules."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse import evidence
from lrcourse.evidence import BETTER, NO_DIFFERENCE, WORSE, best_constant, compare

BASE = [0.50, 0.52, 0.49, 0.51, 0.50]


def t_interval(differences, level):
    """Student's t interval written out from scipy's distribution object (independent path)."""
    from scipy.stats import t

    d = np.asarray(differences, dtype=float)
    low, high = t.interval(level, len(d) - 1, loc=d.mean(), scale=d.std(ddof=1) / math.sqrt(len(d)))
    return low, high


def test_interval_matches_an_independent_t_interval():
    method = [0.45, 0.50, 0.46, 0.47, 0.49]
    row = compare({"base": BASE, "m": method}, "base").row("m")
    low, high = t_interval(np.subtract(method, BASE), 0.95)
    assert row.low == pytest.approx(low) and row.high == pytest.approx(high)
    assert row.difference == pytest.approx(np.mean(np.subtract(method, BASE)))


def test_verdicts_follow_the_interval():
    scores = {
        "base": BASE,
        "lower": [b - 0.05 for b in BASE],
        "higher": [b + 0.05 for b in BASE],
        "mixed": [b + d for b, d in zip(BASE, [0.03, -0.03, 0.02, -0.02, 0.0], strict=True)],
    }
    result = compare(scores, "base")
    assert result.verdict("lower") == BETTER
    assert result.verdict("higher") == WORSE
    assert result.verdict("mixed") == NO_DIFFERENCE
    accuracy = compare(scores, "base", lower_is_better=False)
    assert accuracy.verdict("lower") == WORSE and accuracy.verdict("higher") == BETTER


def test_several_methods_widen_every_interval():
    method = [0.47, 0.50, 0.46, 0.49, 0.48]
    alone = compare({"base": BASE, "m": method}, "base").row("m")
    crowd = compare({"base": BASE, "m": method, "a": BASE, "b": BASE, "c": BASE}, "base")
    assert crowd.level == pytest.approx(1 - 0.05 / 4)
    widened = crowd.row("m")
    assert widened.high - widened.low > alone.high - alone.low
    low, high = t_interval(np.subtract(method, BASE), 1 - 0.05 / 4)
    assert widened.low == pytest.approx(low) and widened.high == pytest.approx(high)


def test_a_small_consistent_edge_is_better_without_correction_only():
    # a gap that one test would call real but four tests at once would not
    method = [b - d for b, d in zip(BASE, [0.010, 0.002, 0.012, 0.004, 0.008], strict=True)]
    assert compare({"base": BASE, "m": method}, "base").verdict("m") == BETTER
    crowd = {"base": BASE, "m": method, "a": BASE, "b": BASE, "c": BASE, "d": BASE, "e": BASE}
    assert compare(crowd, "base").verdict("m") == NO_DIFFERENCE


def test_a_diverged_method_is_reported_not_ranked():
    result = compare({"base": BASE, "wild": [0.4, math.inf, 0.4, math.nan, 0.4]}, "base")
    row = result.row("wild")
    assert row.verdict == "diverged on 2 of 5 seeds" and row.diverged
    assert "diverged on 2 of 5 seeds" in str(result)


def test_wins_count_the_seeds_where_the_method_did_better():
    method = [0.49, 0.53, 0.48, 0.50, 0.51]  # better on seeds 0, 2, 3
    assert compare({"base": BASE, "m": method}, "base").row("m").wins == 3
    assert compare({"base": BASE, "m": method}, "base", lower_is_better=False).row("m").wins == 2


def test_table_names_every_method_and_its_verdict():
    text = compare({"base": BASE, "m": [b - 0.05 for b in BASE]}, "base", metric="val_loss").table()
    assert "val_loss" in text and "'base'" in text and "better" in text and "5 seeds" in text
    assert compare({"base": BASE, "m": BASE}, "base").names(NO_DIFFERENCE) == ["m"]


def test_draw_comparison_draws_one_interval_per_method():
    import matplotlib

    matplotlib.use("Agg")
    from lrcourse.ui.plotting import draw_comparison, figure

    result = compare({"base": BASE, "m": [b - 0.05 for b in BASE], "n": BASE}, "base")
    ax = draw_comparison(figure()[1], result)
    spans = [tuple(line.get_xdata()) for line in ax.get_lines() if line.get_linewidth() == 3]
    assert len(spans) == 2
    assert any(span == pytest.approx((result.row("m").low, result.row("m").high)) for span in spans)


@pytest.mark.parametrize(
    ("scores", "baseline", "match"),
    [
        ({"base": BASE}, "base", "at least one method"),
        ({"base": BASE, "m": BASE[:4]}, "base", "same number of seeds"),
        ({"base": BASE[:4], "m": BASE[:4]}, "base", "at least 5 seeds"),
        ({"base": BASE, "m": BASE}, "other", "baseline"),
        ({"base": [math.nan, *BASE[1:]], "m": BASE}, "base", "baseline 'base' diverged"),
        ({"base": BASE, "m": [[0.1] * 5]}, "base", r"scores\['m'\]"),
        ({"base": BASE, "m": ["a"] * 5}, "base", r"scores\['m'\]"),
        ({"base": BASE, 3: BASE}, "base", "keys must be method names"),
        ([BASE, BASE], "base", "scores must be a dict"),
    ],
)
def test_bad_input_names_the_argument(scores, baseline, match):
    with pytest.raises(ValueError, match=match):
        compare(scores, baseline)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.2}, "confidence"),
        ({"lower_is_better": "yes"}, "lower_is_better"),
        ({"metric": ""}, "metric"),
    ],
)
def test_bad_options_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare({"base": BASE, "m": BASE}, "base", **kwargs)


def sweep(means):
    return {rate: [m + 0.01 * s for s in range(5)] for rate, m in means.items()}


def test_best_constant_picks_the_best_mean_inside_the_sweep():
    assert best_constant(sweep({0.1: 0.5, 0.15: 0.4, 0.22: 0.45})) == 0.15
    assert best_constant(sweep({0.1: 0.5, 0.15: 0.6, 0.22: 0.55}), lower_is_better=False) == 0.15


def test_best_constant_skips_a_rate_that_diverged():
    scores = sweep({0.1: 0.5, 0.15: 0.4, 0.22: 0.45, 0.33: 0.1})
    scores[0.33][2] = math.inf
    assert best_constant(scores) == 0.15  # 0.33 has the lowest mean, but not on every seed


@pytest.mark.parametrize(
    ("means", "match"),
    [
        ({0.1: 0.4, 0.15: 0.5, 0.22: 0.6}, "lowest of the sweep"),
        ({0.1: 0.6, 0.15: 0.5, 0.22: 0.4}, "highest of the sweep"),
        ({0.1: 0.5, 0.3: 0.4, 0.45: 0.5}, "at most x2"),
        ({0.1: 0.5, 0.15: 0.4}, "at least 3"),
    ],
)
def test_best_constant_refuses_a_sweep_it_cannot_trust(means, match):
    with pytest.raises(ValueError, match=match):
        best_constant(sweep(means))


@pytest.mark.parametrize("key", [0, -0.1, math.inf, True, "0.1"])
def test_best_constant_names_bad_rates(key):
    with pytest.raises(ValueError, match="scores keys"):
        best_constant({key: BASE, 0.2: BASE, 0.3: BASE})


finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(finite, min_size=5, max_size=12),
    st.lists(finite, min_size=5, max_size=12),
    st.floats(-10, 10),
)
def test_properties_of_a_comparison(base, other, shift):
    n = min(len(base), len(other))
    base, other = np.array(base[:n]), np.array(other[:n])
    row = compare({"b": base, "m": other}, "b").row("m")
    assert row.low <= row.difference <= row.high
    assert row.verdict in (BETTER, WORSE, NO_DIFFERENCE)
    flipped = compare({"b": other, "m": base}, "b").row("m")
    assert flipped.difference == pytest.approx(-row.difference, abs=1e-9)
    opposite = {BETTER: WORSE, WORSE: BETTER, NO_DIFFERENCE: NO_DIFFERENCE}
    if abs(row.low) > 1e-9 and abs(row.high) > 1e-9:  # away from the boundary
        assert flipped.verdict == opposite[row.verdict]
    moved = compare({"b": base + shift, "m": other + shift}, "b").row("m")  # same differences
    assert moved.difference == pytest.approx(row.difference, abs=1e-6)


def test_module_lists_its_public_names():
    assert set(evidence.__all__) >= {"compare", "best_constant", "NO_DIFFERENCE"}


# ---------------------------------------------------------------- claims of the source articles


def _claims_comparison():
    base = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    return compare(
        {
            "base": base,
            "faster": base - 0.3,
            "slower": base + 0.3,
            "same": base + [0.1, -0.1, 0.05, -0.05, 0.0],
        },
        "base",
        metric="loss",
    )


@pytest.mark.parametrize(
    ("method", "expected", "verdict"),
    [
        ("faster", "better", "holds"),
        ("slower", "better", "does not hold"),
        ("slower", "worse", "holds"),
        ("faster", "worse", "does not hold"),
        ("same", "better", evidence.NO_DIFFERENCE),
        ("same", evidence.NO_DIFFERENCE, evidence.NO_DIFFERENCE),  # seeds never confirm "equal"
        ("faster", evidence.NO_DIFFERENCE, "does not hold"),
    ],
)
def test_a_claim_holds_only_when_the_comparison_gives_the_verdict_it_predicts(
    method, expected, verdict
):
    claim = evidence.Claim("the article's words", _claims_comparison(), method, expected)
    assert claim.verdict == verdict
    assert claim.comparison.verdict(method) in claim.measured


def test_the_claim_table_prints_what_each_claim_says_measures_and_concludes():
    comparison = _claims_comparison()
    claims = [
        evidence.Claim("faster converges faster", comparison, "faster", "better"),
        evidence.Claim("slower converges faster", comparison, "slower", "better"),
    ]
    table = evidence.claim_table(claims)
    blocks = table.split("\n\n")
    assert len(blocks) == 2 and blocks[0].startswith("Claim 1") and blocks[1].startswith("Claim 2")
    assert "faster converges faster" in blocks[0] and blocks[0].endswith("holds")
    assert blocks[1].endswith("does not hold") and "+0.3" in blocks[1]


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda c: evidence.Claim("", c, "faster", "better"), "says"),
        (lambda c: evidence.Claim("x", {"faster": 1}, "faster", "better"), "comparison"),
        (lambda c: evidence.Claim("x", c, "base", "better"), "method"),
        (lambda c: evidence.Claim("x", c, "faster", "holds"), "expected"),
        (lambda c: evidence.claim_table([]), "claims"),
        (lambda c: evidence.claim_table(["a claim"]), "claims"),
    ],
)
def test_bad_claims_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        make(_claims_comparison())


def test_compare_keeps_each_methods_range_over_the_seeds():
    comparison = _claims_comparison()
    assert comparison.baseline_range == (0.9, 1.1)
    assert comparison.row("faster").seed_range == pytest.approx((0.6, 0.8))
    assert "[0.6000, 0.8000]" in evidence.Claim("x", comparison, "faster", "better").measured


@pytest.mark.parametrize("bad", [(1.0,), (2.0, 1.0), (0.0, float("nan")), [0.0, 1.0], ("a", "b")])
def test_a_range_must_be_two_finite_numbers_in_order(bad):
    row = _claims_comparison().rows[0]
    with pytest.raises(ValueError, match="^seed_range must"):
        evidence.Row(
            row.name, row.mean, row.difference, row.low, row.high, row.wins, row.verdict, bad
        )
