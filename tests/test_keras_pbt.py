"""PBT on Keras networks (lrcourse.keras.pbt) against independent expectations.

The key check: a member that copied another continues exactly as the other would have with the
explored rate. So its final weights equal one plain run of ``train`` whose schedule switches, at
the copy, from the donor's rate to the explored one (weights, momentum and step count carried
over), and a search without exploitation equals one ``train`` run per rate.
"""

import warnings

import numpy as np
import pytest

from lrcourse.data import load

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # TensorFlow's own notes at import
    import keras

    from lrcourse.keras.pbt import DataPBT, pbt_on_data
    from lrcourse.keras.training import train

DIGITS = load("digits")
SMALL = {"epochs": 2, "batch_size": 64, "hidden": (8,)}


def close(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=2e-6)


def test_without_exploitation_each_member_trains_as_alone():
    rates = [0.05, 0.2, 0.6]
    run = pbt_on_data(DIGITS, keras.optimizers.SGD(0.1), rates, seed=3, exploit=False, **SMALL)
    assert run.result.copies == ()
    for m, rate in enumerate(rates):
        alone = train(DIGITS, keras.optimizers.SGD(rate), seed=3, fast=True, **SMALL)
        close(run.result.members[m][0], alone.weights)
        assert np.all(run.learning_rates[m] == rate)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_copy_continues_the_donor_with_the_explored_rate(momentum):
    rates = [0.02, 0.3, 0.1]
    sgd = keras.optimizers.SGD(0.1, momentum=momentum)
    run = pbt_on_data(DIGITS, sgd, rates, seed=1, **SMALL)
    scores = run.result.scores[:, 0]
    (copy,) = run.result.copies  # 3 members, 20%: one loser, one winner
    assert (copy.loser, copy.winner) == (int(np.argmax(scores)), int(np.argmin(scores)))
    assert copy.round == 0 and copy.step == DIGITS.steps_per_epoch(64)
    assert copy.copied == {"learning_rate": rates[copy.winner]}
    ratio = copy.explored["learning_rate"] / rates[copy.winner]
    assert min(abs(ratio - 0.8), abs(ratio - 1.2)) < 1e-12
    steps = copy.step
    lr = run.learning_rates[copy.loser]
    assert np.all(lr[:steps] == rates[copy.loser])
    assert np.all(lr[steps:] == copy.explored["learning_rate"])
    switch = keras.optimizers.schedules.PiecewiseConstantDecay(
        [steps - 1], [rates[copy.winner], copy.explored["learning_rate"]]
    )  # the first update is step 0: steps 0 .. steps-1 at the donor's rate
    expected = train(DIGITS, keras.optimizers.SGD(switch, momentum=momentum), seed=1, **SMALL)
    close(run.result.members[copy.loser][0], expected.weights)
    donor = train(DIGITS, keras.optimizers.SGD(rates[copy.winner], momentum=momentum), seed=1,
                  **SMALL)  # fmt: skip
    close(run.result.members[copy.winner][0], donor.weights)


def test_a_far_too_large_rate_is_replaced_and_the_run_goes_on():
    run = pbt_on_data(DIGITS, keras.optimizers.SGD(0.1), [0.1, 0.2, 1e6], seed=0, **SMALL)
    assert run.result.scores[2, 0] > 10 * run.result.scores[:2, 0].max()
    assert [(c.loser, c.round) for c in run.result.copies] == [(2, 0)]
    assert np.all(np.isfinite(run.report[:, -1]))


def test_runs_repeat_and_the_chosen_member_is_the_best_on_selection():
    args = (DIGITS, keras.optimizers.SGD(0.1), [0.03, 0.1, 0.3, 0.9, 0.05])
    a = pbt_on_data(*args, seed=2, fraction=0.4, epochs=4, hidden=(8,))
    b = pbt_on_data(*args, seed=2, fraction=0.4, epochs=4, hidden=(8,))
    assert a.result.copies == b.result.copies
    np.testing.assert_array_equal(a.report, b.report)
    assert len(a.result.copies) == 3 * 2  # 3 exploit rounds, 2 losers each
    chosen = a.chosen()
    np.testing.assert_array_equal(chosen, np.argmin(a.result.scores, axis=0))
    np.testing.assert_array_equal(a.curve(), a.report[chosen, np.arange(4)])
    assert a.final("report_accuracy") == a.report_accuracy[chosen[-1], -1]


def test_ready_epochs_sets_the_rounds():
    run = pbt_on_data(DIGITS, keras.optimizers.SGD(0.1), [0.1, 0.2], epochs=4, ready_epochs=2,
                      hidden=(8,))  # fmt: skip
    assert run.result.scores.shape == (2, 2)
    assert run.result.ready_steps == 2 * DIGITS.steps_per_epoch(64)
    assert [c.step for c in run.result.copies] == [run.result.ready_steps]


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"learning_rates": [0.1]}, "learning_rates"),
        ({"learning_rates": [0.1, -1.0]}, "learning_rates"),
        ({"fraction": 0.6}, "fraction"),
        ({"fraction": 0.0}, "fraction"),
        ({"factors": (0.8, 0.0)}, "factors"),
        ({"ready_epochs": 3}, "ready_epochs"),
        ({"exploit": "yes"}, "exploit"),
        ({"resample_probability": 0.5}, "space"),
        (
            {"optimizer": keras.optimizers.SGD(keras.optimizers.schedules.CosineDecay(0.1, 9))},
            "float learning rate",
        ),  # fmt: skip
        ({"optimizer": keras.optimizers.SGD(0.1, global_clipnorm=1.0)}, "clip"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, word):
    call = {"dataset": DIGITS, "optimizer": keras.optimizers.SGD(0.1),
            "learning_rates": [0.1, 0.2], "epochs": 4, "hidden": (8,)}  # fmt: skip
    with pytest.raises(ValueError, match=word):
        pbt_on_data(**{**call, **kwargs})


def test_a_record_refuses_mismatched_parts():
    run = pbt_on_data(DIGITS, keras.optimizers.SGD(0.1), [0.1, 0.2], epochs=2, hidden=(8,))
    with pytest.raises(ValueError, match="report"):
        DataPBT(run.result, run.report[:1], run.report_accuracy, 0, 2, True)
    with pytest.raises(ValueError, match="epochs"):
        DataPBT(run.result, run.report, run.report_accuracy, 0, 3, True)
