"""Population-based training by hand: truncation, exploration and the recorded lineage, checked
against expectations written here independently of lrcourse.pbt."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse.pbt import explore, pbt, truncation


@given(
    st.lists(st.floats(-100, 100), min_size=2, max_size=40),
    st.sampled_from([0.1, 0.2, 0.25, 0.5]),
    st.integers(0, 1000),
)
@settings(max_examples=100, deadline=None)
def test_the_bottom_copy_from_the_top(scores, fraction, seed):
    pairs = truncation(scores, fraction, np.random.default_rng(seed))
    n, k = len(scores), max(1, int(fraction * len(scores)))
    ranked = sorted(range(n), key=lambda i: (scores[i], i))  # best (lowest) first
    assert sorted(loser for loser, _ in pairs) == sorted(ranked[n - k :])
    assert all(winner in ranked[:k] for _, winner in pairs)


def test_a_diverged_member_ranks_last_and_higher_can_be_better():
    pairs = truncation([0.5, np.nan, 0.1, 0.3, 0.2], 0.2, np.random.default_rng(0))
    assert pairs == [(1, 2)]
    pairs = truncation([0.5, 0.9, 0.1], 0.34, np.random.default_rng(0), lower_is_better=False)
    assert pairs == [(2, 1)]


def test_exploring_multiplies_by_a_factor_or_resamples():
    rng = np.random.default_rng(3)
    seen = {round(explore({"lr": 1.0}, rng)["lr"], 12) for _ in range(200)}
    assert seen == {0.8, 1.2}
    space = {"lr": lambda g: 0.123}
    always = explore({"lr": 1.0}, rng, resample_probability=1.0, space=space)
    assert always == {"lr": 0.123}
    drawn = [
        explore({"lr": 1.0}, rng, resample_probability=0.3, space=space)["lr"] for _ in range(2000)
    ]
    assert 0.25 < np.mean(np.isclose(drawn, 0.123)) < 0.35


class Quadratic:
    """Members descend f(w) = w^2 / 2 with their own rate: the best rate is near 1."""

    def init(self, member, rng):
        return np.array([5.0]), {"steps": 0}, {"learning_rate": 10.0 ** rng.uniform(-3, -0.5)}

    def step(self, params, state, hyper):
        return params - hyper["learning_rate"] * params, {"steps": state["steps"] + 1}

    def evaluate(self, params):
        return float(params[0] ** 2 / 2)


def run(**kwargs):
    task = Quadratic()
    return pbt(task.init, task.step, task.evaluate, **kwargs)


def test_a_run_is_repeatable_and_records_every_step_and_copy():
    result = run(population=8, rounds=6, ready_steps=5, seed=1)
    again = run(population=8, rounds=6, ready_steps=5, seed=1)
    np.testing.assert_array_equal(result.hyper["learning_rate"], again.hyper["learning_rate"])
    assert result.copies == again.copies
    assert result.hyper["learning_rate"].shape == (8, 30) and result.scores.shape == (8, 6)
    assert len(result.copies) == 5 * 1  # one loser per round for 8 members at 20%, no last round
    for c in result.copies:  # the loser's next rate is the explored copy of the winner's
        assert c.copied["learning_rate"] == result.hyper["learning_rate"][c.winner, c.step - 1]
        assert result.hyper["learning_rate"][c.loser, c.step] == c.explored["learning_rate"]
        ratio = c.explored["learning_rate"] / c.copied["learning_rate"]
        assert np.isclose(ratio, 0.8) or np.isclose(ratio, 1.2)


def test_a_copy_carries_the_weights_and_the_optimizer_state():
    result = run(population=4, rounds=3, ready_steps=4, fraction=0.25, seed=0)
    state_steps = [member[1]["steps"] for member in result.members]
    assert state_steps == [12, 12, 12, 12]  # every member trained 12 steps, copied or not
    line = result.ancestors(result.copies[-1].loser)
    assert line[-1] == (2, result.copies[-1].loser) and line[-2] == (1, result.copies[-1].winner)


def test_pbt_finds_better_rates_than_its_worst_start():
    result = run(population=10, rounds=10, ready_steps=3, seed=0)
    rates = result.hyper["learning_rate"]
    assert rates[:, -1].min() > rates[:, 0].min()  # the slowest starts were replaced
    assert result.scores[result.best, -1] == np.nanmin(result.scores[:, -1])


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"population": 1}, "population"),
        ({"fraction": 0.0}, "fraction"),
        ({"fraction": 0.6}, "fraction"),
        ({"factors": (0.8, -1.2)}, "factors"),
        ({"factors": ()}, "factors"),
        ({"resample_probability": 0.5}, "space"),
        ({"resample_probability": 1.5}, "resample_probability"),
        ({"rounds": 0}, "rounds"),
        ({"population": 1000, "rounds": 100, "ready_steps": 100}, "rounds"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, named):
    with pytest.raises(ValueError, match=named):
        run(**kwargs)


def test_bad_inputs_to_the_rules_are_refused_by_name():
    with pytest.raises(ValueError, match="scores"):
        truncation([1.0])
    with pytest.raises(ValueError, match="rng"):
        truncation([1.0, 2.0], 0.5, rng=3)
    with pytest.raises(ValueError, match="hyper"):
        explore({"lr": -1.0})
    with pytest.raises(ValueError, match="evaluate"):
        pbt(Quadratic().init, Quadratic().step, lambda p: "bad", population=2, rounds=1)


def test_the_explorer_draws_every_member_and_the_best_lineage():
    from lrcourse.ui.pbt import PBTExplorer

    explorer = PBTExplorer(population=8, fraction=0.25, factor=1.25, rounds=6, ready_steps=5)
    status = explorer.update(population=10)
    result = explorer.result
    rates = result.hyper["learning_rate"]
    assert rates.shape == (10, 30) and len(explorer.members.get_segments()) == 10
    np.testing.assert_array_equal(explorer.members.get_segments()[3][:, 1], rates[3])
    line = explorer.lineage.get_ydata()
    for r, m in result.ancestors(result.best):
        np.testing.assert_array_equal(line[r * 5 : (r + 1) * 5], rates[m, r * 5 : (r + 1) * 5])
    assert f"{len(result.copies)} copies" in status and len(result.copies) == 5 * 2
    for c in result.copies:  # factor 1.25: a copied rate is multiplied by 1.25 or 1 / 1.25
        ratio = c.explored["learning_rate"] / c.copied["learning_rate"]
        assert np.isclose(ratio, 1.25) or np.isclose(ratio, 0.8)
    with pytest.raises(ValueError, match="population"):
        explorer.update(population=1)
    with pytest.raises(ValueError, match="factor"):
        PBTExplorer(factor=3.0)
