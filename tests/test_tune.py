"""Population-based training on Ray Tune (lrcourse.keras.tune): a real run end to end, the
NumPy member against the Keras run, the records against Ray's own log, the clean-up, and the
argument checks (which must refuse before any Ray process starts)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import psutil
import pytest

from lrcourse.data import load
from lrcourse.pbt import PBTResult

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # TensorFlow's own notes at import
    import keras

    import lrcourse.keras.tune as T
    from lrcourse.keras import training
    from lrcourse.keras.pbt import DataPBT, pbt_on_data

EPOCHS, RATES = 4, [0.3, 0.012, 0.08, 0.9]  # below 1.5 or so: float32 rounding stays small
RAY_PROCESSES = ("raylet", "gcs_server", "ray::", "ray/dashboard", "ray/autoscaler", "ray/_private")


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def ray_processes():
    """Every process below this one that Ray started (the cluster's and the workers)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            text = " ".join([child.name(), *child.cmdline()])
        except psutil.Error:  # it ended while we looked
            continue
        if any(mark in text for mark in RAY_PROCESSES):
            found.append(text[:120])
    return found


def our_temp_dirs():
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("lrcourse-ray-")}


def settled(check, seconds=20.0):
    """``check()`` once it is empty (Ray's processes take a moment to exit), or its last value."""
    deadline = time.monotonic() + seconds
    while (value := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def weights_digest(layers):
    parts = hashlib.blake2b(digest_size=8)
    for w in layers:
        parts.update(np.ascontiguousarray(w).tobytes())
    return parts.hexdigest()


@pytest.fixture(scope="module")
def leftovers():
    """What existed before the module's runs: they must leave nothing behind."""
    environment = {key: os.environ.get(key) for key in (*T._QUIET, *T._LOCAL, *T._AUTH)}
    return our_temp_dirs(), os.path.exists(os.path.expanduser("~/.ray/auth_token")), environment


@pytest.fixture(scope="module")
def runs(digits, leftovers):
    """Two Ray runs of the same small experiment (4 members, 4 epochs, one copy per round)."""

    def once():
        return T.pbt_on_ray(
            digits, keras.optimizers.SGD(0.1), RATES, seed=3, epochs=EPOCHS, fraction=0.25
        )

    return once(), once()


# ---------------------------------------------------------------- the run end to end


def test_a_run_comes_back_in_the_hand_written_format(runs, digits):
    run = runs[0]
    steps = digits.steps_per_epoch(64)
    assert isinstance(run, T.RayPBT) and isinstance(run, DataPBT)
    assert isinstance(run.result, PBTResult) and run.result.ready_steps == steps
    assert run.result.scores.shape == run.report.shape == (4, EPOCHS)
    assert run.learning_rates.shape == (4, EPOCHS * steps)
    assert np.allclose(run.learning_rates[:, 0], RATES)  # every member starts at its own rate
    assert np.all(np.isfinite(run.result.scores)) and np.all(run.report_accuracy > 0.1)
    assert run.settings["quantile_fraction"] == 0.25 and run.settings["synch"] is True
    assert run.version == T.ray_version()
    # one copy per round (Ray: ceil(0.25 x 4) = 1), none after the last round
    assert sorted(c.round for c in run.result.copies) == list(range(EPOCHS - 1))
    assert run.resumes == 4 * (EPOCHS - 1) - len(run.result.copies)  # every other pause
    chosen = run.result.best
    assert run.result.ancestors(chosen)[-1] == (EPOCHS - 1, chosen)


def test_exploitation_copies_the_donors_checkpoint_and_changes_the_rate(runs, digits):
    run = runs[0]
    steps = digits.steps_per_epoch(64)
    assert len(run.restores) == len(run.result.copies) >= 3
    for restore in run.restores:
        assert restore.member != restore.donor
        # the weights after the restore are exactly those the donor saved after that epoch
        assert restore.saved == restore.loaded == run.digests[restore.donor][restore.epoch - 1]
        assert restore.saved != run.digests[restore.member][restore.epoch - 1]
        # and the copier goes on at the donor's rate times 0.8 or 1.2, not at its own
        t = restore.epoch * steps
        donor_rate = run.learning_rates[restore.donor, t - 1]
        assert min(abs(restore.learning_rate / donor_rate - f) for f in (0.8, 1.2)) < 1e-9
        assert run.learning_rates[restore.member, t] == restore.learning_rate
        assert run.learning_rates[restore.member, t - 1] != restore.learning_rate
    ours = sorted((c.round, c.loser, c.winner) for c in run.result.copies)
    assert ours == sorted((r.epoch - 1, r.member, r.donor) for r in run.restores)


def test_the_lineage_agrees_with_rays_own_log(runs):
    run = runs[0]
    assert run.policy, "Ray's pbt_global.txt was read"
    ours = sorted(
        (c.loser, c.winner, c.copied["learning_rate"], c.explored["learning_rate"])
        for c in run.result.copies
    )
    assert sorted(row[1:] for row in run.policy) == ours
    rounds = {(c.loser, c.winner, c.explored["learning_rate"]): c.round for c in run.result.copies}
    for epoch, member, donor, _, explored in run.policy:
        # Ray logs the donor's iteration before it books the report that completed the round
        assert rounds[member, donor, explored] + 1 - epoch in (0, 1)


def test_the_final_checkpoints_are_the_final_weights(runs):
    run = runs[0]
    for m, (layers, state, hyper) in enumerate(run.result.members):
        assert [w.shape for w in layers] == [(64, 32), (32,), (32, 10), (10,)]
        assert weights_digest(layers) == run.digests[m][-1]
        assert int(state[0]) == EPOCHS * 22  # the optimizer's step count travels with it
        assert hyper["learning_rate"] == run.learning_rates[m, -1]


def test_the_same_seed_gives_the_same_run(runs):
    first, second = runs
    assert first.result.copies == second.result.copies
    assert np.array_equal(first.result.scores, second.result.scores)
    assert np.array_equal(first.report, second.report)
    assert first.digests == second.digests


def test_before_any_copy_ray_trains_what_the_hand_written_version_trains(runs, digits):
    by_hand = pbt_on_data(digits, keras.optimizers.SGD(0.1), RATES, seed=3, epochs=EPOCHS)
    assert np.allclose(runs[0].result.scores[:, 0], by_hand.result.scores[:, 0], atol=1e-4)
    assert np.allclose(runs[0].report[:, 0], by_hand.report[:, 0], atol=1e-4)


def test_nothing_is_left_behind(runs, leftovers):
    before_dirs, had_token, environment = leftovers
    assert settled(ray_processes) == []
    assert our_temp_dirs() == before_dirs
    assert os.path.exists(os.path.expanduser("~/.ray/auth_token")) == had_token
    import ray

    assert not ray.is_initialized()
    assert {key: os.environ.get(key) for key in environment} == environment


def test_a_run_that_fails_still_cleans_up(digits, monkeypatch, leftovers):
    def broken(*args, **kwargs):
        raise RuntimeError("a trial failed on purpose")

    monkeypatch.setattr(T, "_run", broken)
    with pytest.raises(RuntimeError, match="on purpose"):
        T.pbt_on_ray(digits, keras.optimizers.SGD(0.1), RATES, epochs=2)
    assert settled(ray_processes) == []
    assert our_temp_dirs() == leftovers[0]
    assert {key: os.environ.get(key) for key in leftovers[2]} == leftovers[2]


# ---------------------------------------------------------------- the member in the workers


@pytest.mark.parametrize(
    ("settings", "rate", "tolerance"),
    [
        ({}, 0.3, 1e-5),
        ({"momentum": 0.9}, 0.05, 1e-5),
        ({"momentum": 0.9, "nesterov": True}, 0.05, 1e-5),
    ],
)
def test_the_numpy_member_trains_as_keras_does(digits, settings, rate, tolerance):
    epochs = 3
    spec = T._spec(digits, keras.optimizers.SGD(rate, **settings), 0, epochs, 64, (32,))
    member = T.member_class()(digits, spec)
    member.start(rate)
    for _ in range(epochs):
        result = member.train_epoch()
    run = training.train(
        digits, keras.optimizers.SGD(rate, **settings), epochs=epochs, batch_size=64, fast=True
    )
    gap = max(np.abs(a - b).max() for a, b in zip(member.weights, run.weights, strict=True))
    assert gap < tolerance
    assert all(w.dtype == np.float32 for w in member.weights)
    assert member.iteration == epochs * digits.steps_per_epoch(64)
    halves = (result["selection_loss"] + result["report_loss"]) / 2  # 225 rows each
    assert halves == pytest.approx(run.final("val_loss"), abs=1e-4)


def test_a_checkpoint_holds_the_optimizer_state_and_a_copy_goes_on_exactly(digits, tmp_path):
    spec = T._spec(digits, keras.optimizers.SGD(0.05, momentum=0.9), 0, 3, 64, (32,))
    Member = T.member_class()
    donor, copier, forgetful = Member(digits, spec), Member(digits, spec), Member(digits, spec)
    donor.start(0.05)
    donor.train_epoch()
    donor.save(str(tmp_path), "donor")
    for member in (copier, forgetful):
        member.start(0.07)  # a copier keeps the rate its trial was given
        member.load(str(tmp_path), "copier")
    forgetful.momentums = [np.zeros_like(m) for m in forgetful.momentums]  # the mistake
    assert copier.restored["restored_from"] == "donor" and copier.rate == 0.07
    assert copier.iteration == donor.iteration and copier.epoch == donor.epoch == 1
    donor.rate = 0.07
    after = [member.train_epoch()["weights_digest"] for member in (donor, copier, forgetful)]
    assert after[0] == after[1] != after[2]


def test_a_member_reports_a_diverged_score_as_infinite(digits):
    spec = T._spec(digits, keras.optimizers.SGD(0.1), 0, 2, 64, (32,))
    member = T.member_class()(digits, spec)
    member.start(0.1)
    member.weights[0][0, 0] = np.nan  # as after an overflow: nan spreads to every weight
    result = member.train_epoch()
    assert result["selection_loss"] == float("inf")  # Ray's scheduler would leave out a nan
    assert np.isnan(result["report_loss"])


# ---------------------------------------------------------------- imports and the missing extra


def test_importing_the_course_or_this_module_imports_no_ray():
    code = (
        "import sys, lrcourse\n"
        "assert 'ray' not in sys.modules and 'tensorflow' not in sys.modules\n"
        "import lrcourse.keras.tune\n"
        "assert 'ray' not in sys.modules\n"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-500:]


def test_without_ray_the_error_says_how_to_install_it(monkeypatch, digits):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ImportError, match=r'pip install "lrcourse\[scale\]"'):
        T.ray_version()
    with pytest.raises(ImportError, match=r'pip install "lrcourse\[scale\]"'):
        T.pbt_on_ray(digits, keras.optimizers.SGD(0.1), RATES, epochs=2)


# ---------------------------------------------------------------- argument checks, before Ray


BAD = [
    ({"learning_rates": [0.1]}, "learning_rates"),  # a population of one
    ({"learning_rates": [0.1, -0.2]}, "learning_rates"),
    ({"learning_rates": [0.1] * 257}, "learning_rates"),
    ({"fraction": 0}, "fraction"),
    ({"fraction": 0.6}, "fraction"),
    ({"factors": (0.0, 1.2)}, "factors"),
    ({"factors": (-0.8,)}, "factors"),
    ({"factors": ()}, "factors"),
    ({"resample_probability": 1.5}, "resample_probability"),
    ({"resample_probability": 0.5}, "space"),  # resampling needs a space
    ({"epochs": 5, "ready_epochs": 2}, "ready_epochs"),
    ({"epochs": 0}, "epochs"),
    ({"seed": -1}, "seed"),
    ({"batch_size": 0}, "batch_size"),
    ({"hidden": 32}, "hidden"),
    ({"optimizer": "sgd"}, "optimizer"),
    ({"optimizer": "adam"}, "optimizer"),
    ({"optimizer": "decay"}, "optimizer"),
    ({"optimizer": "schedule"}, "optimizer"),
    ({"dataset": "digits"}, "dataset"),
    ({"num_cpus": 0}, "num_cpus"),
    ({"num_cpus": 2, "cpus_per_member": 3}, "cpus_per_member"),
    ({"cpus_per_member": -1}, "cpus_per_member"),
    ({"address": "ray://head:10001"}, "address"),
    ({"address": "auto", "num_cpus": 2}, "num_cpus"),
    ({"address": ""}, "address"),
    ({"storage_path": ""}, "storage_path"),
]
OPTIMIZERS = {
    "sgd": lambda: "sgd",
    "adam": lambda: keras.optimizers.Adam(0.1),
    "decay": lambda: keras.optimizers.SGD(0.1, weight_decay=0.01),
    "schedule": lambda: keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    ),
}


@pytest.mark.parametrize(("change", "name"), BAD, ids=[f"{n}-{i}" for i, (_, n) in enumerate(BAD)])
def test_bad_arguments_are_refused_by_name_before_ray_starts(digits, change, name):
    import ray

    arguments = {"dataset": digits, "optimizer": keras.optimizers.SGD(0.1), "learning_rates": RATES}
    arguments |= {"epochs": 2} | change
    if isinstance(arguments["optimizer"], str) and arguments["optimizer"] in OPTIMIZERS:
        arguments["optimizer"] = OPTIMIZERS[arguments["optimizer"]]()
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        T.pbt_on_ray(**arguments)
    assert not ray.is_initialized()


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"population": 1}, "population"),
        ({"fraction": 0.51}, "fraction"),
        ({"fraction": -0.1}, "fraction"),
        ({"factors": (0.0,)}, "factors"),
        ({"ready_epochs": 0}, "ready_epochs"),
        ({"resample_probability": -0.1}, "resample_probability"),
    ],
)
def test_scheduler_settings_refuse_bad_settings_by_name(change, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        T.scheduler_settings(**{"population": 10} | change)


def test_scheduler_settings_name_rays_arguments():
    from ray.tune.schedulers import PopulationBasedTraining

    settings = T.scheduler_settings(10, ready_epochs=2, fraction=0.25, factors=(0.8, 1.2))
    assert settings["trials"] == 10 and settings["perturbation_interval"] == 2
    arguments = {k: v for k, v in settings.items() if k != "trials"}
    scheduler = PopulationBasedTraining(**arguments, hyperparam_mutations={"learning_rate": [0.1]})
    assert scheduler._quantile_fraction == 0.25 and scheduler._synch is True


def test_the_records_refuse_bad_values():
    with pytest.raises(ValueError, match="^learning_rate"):
        T.Restore(1, 0, 1, -0.1, "a", "a")
    with pytest.raises(ValueError, match="^saved"):
        T.Restore(1, 0, 1, 0.1, "", "a")
    with pytest.raises(ValueError, match="^epoch"):
        T.Restore(-1, 0, 1, 0.1, "a", "a")
