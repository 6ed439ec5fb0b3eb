"""Population-based training on Ray Tune: the experiment of :mod:`lrcourse.keras.pbt`, run by
Ray Tune's ``PopulationBasedTraining`` scheduler.

Optional: it needs Ray Tune, ``pip install "lrcourse[scale]"``. Importing this module imports
neither Ray nor TensorFlow; :func:`pbt_on_ray` imports Ray when it is called.

Each member of the population is one Tune *trial*. Its trainable trains the course's network
(the layers and initial weights of ``build_model(dataset, hidden, seed=seed)``, the batches of
``epoch_orders(n, epochs, seed)``) with Keras's SGD update rule, one epoch per Tune iteration,
and scores it on the two halves of the validation set as :func:`lrcourse.keras.pbt.pbt_on_data`
does: the *selection* half (rows at even positions) is the metric Ray's scheduler reads, the
*report* half (odd rows) is only recorded. Its checkpoint is one ``.npz`` file with the weights
**and the optimizer's variables** (step count, momentums), the epoch, and which trial saved it.

The workers train in float32 NumPy (:func:`member_class`), not in TensorFlow: the same arithmetic
as the Keras run to float32 rounding (``tests/test_tune.py`` checks it), without a TensorFlow
import in every worker process, which on a laptop costs more than the whole training.

Ray decides who copies whom. The trainables record every restore of another member's checkpoint
(with a digest of the weights the donor saved and of the weights the copier loaded), Ray logs
every exploit in its ``pbt_global.txt``, and :func:`pbt_on_ray` returns both, with the run in the
format of the hand-written version (:class:`RayPBT` is a :class:`lrcourse.keras.pbt.DataPBT`).

Repeatable by construction: the rounds are synchronous (``synch=True``: every member finishes the
round before any is ranked, as in the hand-written version), ties are broken in the members'
order, and the scheduler draws its random choices from its own generator, seeded with ``seed``.
Which worker process trains which member, and when, is Ray's business; no result depends on it.
A local cluster is started for the run and shut down after it, and every temporary file is
removed, also when the run fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from lrcourse import _checks
from lrcourse.keras import training
from lrcourse.keras.pbt import DataPBT, _population
from lrcourse.pbt import Copy, PBTResult, _factors, _space

__all__ = ["RayPBT", "Restore", "member_class", "pbt_on_ray", "ray_version", "scheduler_settings"]

INSTALL = 'pip install "lrcourse[scale]"'
MAX_POPULATION = 256  # trials one Tune driver juggles without trouble on a laptop
METRIC, MODE, TIME_ATTR = "selection_loss", "min", "training_iteration"

# Set for the run only; every process Ray starts inherits them. No progress tables, no loggers
# writing result files for every trial, no usage report sent home.
_QUIET = {
    "RAY_AIR_NEW_OUTPUT": "0",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "0",
}
# For a local cluster only. Ray starts one idle worker per CPU in advance, each importing Ray
# (seconds on a laptop); the run needs one per concurrent member and starts it when needed.
# And the cluster authenticates with a token (Ray's default): given one in the environment, Ray
# writes none to ~/.ray/auth_token. One token per process, since Ray keeps the first it reads.
_LOCAL = {"RAY_enable_worker_prestart": "0", "RAY_prestart_worker_first_driver": "0"}
_AUTH = ("RAY_AUTH_TOKEN", "RAY_AUTH_MODE")  # Ray sets the mode itself when it reads the token


@lru_cache(maxsize=1)
def _token():
    return secrets.token_hex(32)


def _ray():
    """``(ray, tune)``, imported on first use, or an ImportError that says how to install them."""
    try:
        import ray
        from ray import tune
    except ImportError as err:
        raise ImportError(
            f"lrcourse.keras.tune needs Ray Tune, an optional extra of the course: {INSTALL} "
            f"(missing: {err.name or err})"
        ) from None
    return ray, tune


def ray_version():
    """The installed Ray's version (an ImportError that says how to install it if it is missing)."""
    return _ray()[0].__version__


# ---------------------------------------------------------------- the scheduler


def scheduler_settings(
    population=10, *, ready_epochs=1, fraction=0.2, factors=(0.8, 1.2), resample_probability=0.0
):
    """What the hand-written version's settings are called in Ray Tune: the arguments of
    ``PopulationBasedTraining`` that :func:`pbt_on_ray` passes, and its number of trials.

    population -> ``trials`` (one per starting rate: a grid search over the rates, num_samples=1);
    ready_epochs -> ``perturbation_interval``, counted in ``time_attr="training_iteration"`` (one
    iteration is one epoch); fraction -> ``quantile_fraction``; factors -> ``perturbation_factors``;
    resample_probability keeps its name. The metric is the selection half's loss, mode "min", and
    the rounds are synchronous (``synch=True``).
    """
    population = _checks.count("population", population, minimum=2, maximum=MAX_POPULATION)
    return {
        "trials": population,
        "time_attr": TIME_ATTR,
        "metric": METRIC,
        "mode": MODE,
        "perturbation_interval": _checks.count("ready_epochs", ready_epochs, maximum=10_000),
        "quantile_fraction": _checks.number("fraction", fraction, low=0, high=0.5, low_open=True),
        "perturbation_factors": _factors(factors),
        "resample_probability": _checks.number(
            "resample_probability", resample_probability, low=0, high=1
        ),
        "synch": True,
    }


def _scheduler(settings, seed, resample):
    """Ray's PopulationBasedTraining, its random draws (which top member to copy, which factor,
    whether to resample) taken from its own generator seeded with ``seed``: whatever else draws
    from Python's ``random`` in this process cannot change them."""
    from ray.tune.schedulers import PopulationBasedTraining

    class SeededPBT(PopulationBasedTraining):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._own_random = random.Random(seed)

        def _with_own_random(self, method, *args):
            outside = random.getstate()
            random.setstate(self._own_random.getstate())
            try:
                return method(*args)
            finally:
                self._own_random.setstate(random.getstate())
                random.setstate(outside)

        def on_trial_add(self, tune_controller, trial):
            return self._with_own_random(super().on_trial_add, tune_controller, trial)

        def on_trial_result(self, tune_controller, trial, result):
            return self._with_own_random(super().on_trial_result, tune_controller, trial, result)

    arguments = {key: value for key, value in settings.items() if key != "trials"}
    return SeededPBT(**arguments, hyperparam_mutations={"learning_rate": resample})


class _Resample:
    """What Ray's scheduler calls to draw a fresh rate (with ``resample_probability``): the
    ``space`` function of :func:`lrcourse.keras.pbt.pbt_on_data`, fed a NumPy generator seeded
    with the run's seed, so that resampled rates repeat too."""

    def __init__(self, space, seed):
        self.space, self.rng = space, np.random.default_rng(seed)

    def __call__(self):
        if self.space is None:  # resample_probability is 0: Ray never calls this
            raise RuntimeError("resampling needs space")
        return _checks.positive(
            "space['learning_rate'](rng)", self.space["learning_rate"](self.rng)
        )


# ---------------------------------------------------------------- what a run returns


@dataclass(frozen=True)
class Restore:
    """After epoch ``epoch``, member ``member`` loaded member ``donor``'s checkpoint and went on
    at ``learning_rate``. ``saved``: the digest of the weights in the donor's checkpoint;
    ``loaded``: of the weights the member had right after loading it (equal: an exact copy)."""

    epoch: int
    member: int
    donor: int
    learning_rate: float
    saved: str
    loaded: str

    def __post_init__(self):
        for name in ("epoch", "member", "donor"):
            object.__setattr__(self, name, _checks.count(name, getattr(self, name), minimum=0))
        rate = _checks.positive("learning_rate", self.learning_rate)
        object.__setattr__(self, "learning_rate", rate)
        for name in ("saved", "loaded"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a digest (text), got {getattr(self, name)!r}")


@dataclass(frozen=True, eq=False)
class RayPBT(DataPBT):
    """A PBT run on Ray Tune in the format of the hand-written version (:class:`DataPBT`: the
    rate of every member at every step, the selection losses per round, the lineage, the report
    losses), and what Ray adds:

    ``restores``: every exploit as the trainables saw it (:class:`Restore`). ``policy``: Ray's own
    log of the exploits (its ``pbt_global.txt``), one ``(epoch, member, donor, copied rate,
    explored rate)`` per line (empty if the storage is not a local directory). ``digests[m][e]``:
    a digest of member m's weights after epoch e + 1. ``settings``: the scheduler's arguments.
    ``resumes``: how many times a paused member went on from its own checkpoint. ``workers``:
    how many worker processes trained members (Ray's choice: it may vary). ``version``: Ray's.
    """

    restores: tuple = ()
    policy: tuple = ()
    digests: tuple = ()
    settings: dict = field(default_factory=dict)
    resumes: int = 0
    workers: int = 0
    version: str = ""

    def __post_init__(self):
        super().__post_init__()
        restores = tuple(_checks.sequence("restores", self.restores))
        if not all(isinstance(r, Restore) for r in restores):
            raise ValueError(f"restores must be Restore records, got {_checks._brief(restores)}")
        policy = tuple(_checks.sequence("policy", self.policy))
        if not all(isinstance(row, tuple) and len(row) == 5 for row in policy):
            raise ValueError(
                "policy must hold (epoch, member, donor, copied rate, explored rate) tuples, got "
                f"{_checks._brief(policy)}"
            )
        digests = tuple(
            tuple(_checks.sequence("digests", d)) for d in _checks.sequence("digests", self.digests)
        )
        if not all(isinstance(d, str) for row in digests for d in row):
            raise ValueError(
                f"digests must be rows of digests (text), got {_checks._brief(digests)}"
            )
        if not isinstance(self.settings, dict):
            raise ValueError(f"settings must be a dict, got {_checks._brief(self.settings)}")
        if not isinstance(self.version, str):
            raise ValueError(f"version must be text, got {_checks._brief(self.version)}")
        for name, value in (("restores", restores), ("policy", policy), ("digests", digests)):
            object.__setattr__(self, name, value)
        for name in ("resumes", "workers"):
            object.__setattr__(self, name, _checks.count(name, getattr(self, name), minimum=0))


# ---------------------------------------------------------------- the run


def pbt_on_ray(
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
    num_cpus=None,
    cpus_per_member=None,
    address=None,
    storage_path=None,
):
    """PBT over the learning rate of ``optimizer`` on ``dataset``, run by Ray Tune: one trial per
    starting rate, synchronous rounds. Returns a :class:`RayPBT`.

    optimizer: a ``keras.optimizers.SGD`` with a float rate, with or without momentum (Nesterov
    or not), without weight decay, clipping, moving average or gradient accumulation; PBT sets
    each member's rate. dataset, learning_rates (2 to 256 members), seed, epochs, ready_epochs,
    batch_size, hidden, fraction, factors, resample_probability and space mean what they mean in
    :func:`lrcourse.keras.pbt.pbt_on_data`.
    num_cpus: the CPUs of the local cluster started for the run (None: this machine's cores).
    cpus_per_member: the CPUs each trial reserves (None: all of the local cluster's, so one
    member trains at a time, the fastest way on one machine; 1 on a running cluster). Members
    that find no free CPU wait, paused, and go on from their checkpoints.
    address: None starts a local cluster for this run and stops it afterwards; ``"auto"`` or
    ``"host:6379"`` joins a running cluster from one of its machines (num_cpus must be None).
    storage_path: where Tune keeps the checkpoints (None: a temporary directory, removed after the
    run); on a cluster of several machines, a directory or URI that every machine reaches.
    """
    dataset = training._dataset(dataset)
    if dataset.loss == "mae":  # the NumPy member's gradient is the squared error's
        raise ValueError(
            f"dataset {dataset.name!r} is scored by mean absolute error; pbt_on_ray trains on "
            "the squared error only"
        )
    _sgd(optimizer)
    rates, seed, epochs, ready_epochs, batch_size, hidden = _population(
        dataset, learning_rates, seed, epochs, ready_epochs, batch_size, hidden, MAX_POPULATION
    )
    settings = scheduler_settings(
        len(rates),
        ready_epochs=ready_epochs,
        fraction=fraction,
        factors=factors,
        resample_probability=resample_probability,
    )
    _space(space, {"learning_rate": 1.0}, settings["resample_probability"])
    if len(dataset.x_val) < 2:
        raise ValueError("dataset must have at least 2 validation rows (selection and report)")
    steps = dataset.steps_per_epoch(batch_size)
    if len(rates) * epochs * steps > _checks.MAX_STEPS:
        raise ValueError(
            f"epochs must be smaller: {len(rates)} members x {epochs} epochs x {steps} batches "
            f"is more than {_checks.MAX_STEPS:,} updates"
        )
    cpus = _resources(num_cpus, cpus_per_member, address)
    if storage_path is not None and (not isinstance(storage_path, str) or not storage_path):
        raise ValueError(f"storage_path must be None or a path, got {_checks._brief(storage_path)}")
    spec = _spec(dataset, optimizer, seed, epochs, batch_size, hidden)
    with _session(cpus[0], address, storage_path) as (ray, storage):
        available = ray.cluster_resources().get("CPU", 0)
        if cpus[1] > available:
            raise ValueError(
                f"cpus_per_member must be at most the cluster's CPUs ({available:g}), "
                f"got {cpus[1]:g}: no member could ever start"
            )
        return _run(ray, storage, dataset, spec, rates, settings, space, cpus[1])


def _sgd(optimizer):
    """``optimizer`` if the workers can run its update rule: Keras's SGD, with or without
    momentum (Nesterov or not), a float rate, and nothing on top (no weight decay, clipping,
    moving average or gradient accumulation)."""
    import keras

    if not isinstance(optimizer, keras.optimizers.SGD):
        raise ValueError(
            "optimizer must be a keras.optimizers.SGD (the Ray trainable runs SGD's update rule, "
            f"with or without momentum), got {_checks._brief(optimizer)}"
        )
    config = training._config(optimizer)
    if not isinstance(config["learning_rate"], int | float):
        raise ValueError(
            "optimizer must have a float learning rate: PBT sets each member's rate itself"
        )
    extras = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
    extras = [key for key in extras if config.get(key) is not None]
    extras += [key for key in ("use_ema", "gradient_accumulation_steps") if config.get(key)]
    if extras:
        raise ValueError(
            f"optimizer must be plain SGD for the Ray trainable, without {', '.join(extras)}"
        )
    return optimizer


def _resources(num_cpus, cpus_per_member, address):
    """``(num_cpus, cpus_per_member)``, checked (num_cpus None on a running cluster)."""
    if address is not None:
        if not isinstance(address, str) or not address.strip():
            raise ValueError(f'address must be None, "auto" or "host:port", got {address!r}')
        if address.startswith("ray://"):
            raise ValueError(
                "address must not be a Ray Client address (ray://...): Tune would run its driver "
                "on the cluster, out of reach of the records this function keeps; run it on a "
                'machine of the cluster with address="auto" instead'
            )
        if num_cpus is not None:
            raise ValueError("num_cpus must be None with an address: the cluster has its own")
        per_member = 1 if cpus_per_member is None else cpus_per_member
    else:
        cores = os.cpu_count() or 1
        num_cpus = cores if num_cpus is None else _checks.count("num_cpus", num_cpus, maximum=4096)
        per_member = num_cpus if cpus_per_member is None else cpus_per_member
    per_member = _checks.number("cpus_per_member", per_member, low=0, low_open=True, high=4096)
    if num_cpus is not None and per_member > num_cpus:
        raise ValueError(
            f"cpus_per_member must be at most num_cpus ({num_cpus}), got {cpus_per_member!r}"
        )
    return num_cpus, per_member


@contextlib.contextmanager
def _session(num_cpus, address, storage_path):
    """A Ray session for one run: the quiet environment, a local cluster (or a connection to
    ``address``) and a storage directory, all undone afterwards, also after an error."""
    ray, _ = _ray()
    if ray.is_initialized():
        raise RuntimeError(
            "Ray is already initialised in this process: call ray.shutdown() first "
            "(pbt_on_ray starts, or joins, the cluster it runs on)"
        )
    root = tempfile.mkdtemp(prefix="lrcourse-ray-")
    saved = {key: os.environ.get(key) for key in (*_QUIET, *_LOCAL, *_AUTH)}
    os.environ.update(_QUIET)
    options = {"log_to_driver": False, "logging_level": "ERROR"}
    if address is None:
        os.environ.update(_LOCAL)
        os.environ.setdefault("RAY_AUTH_TOKEN", _token())
        options |= {
            "num_cpus": num_cpus,
            "include_dashboard": False,
            "_temp_dir": os.path.join(root, "ray"),
        }
    else:
        options["address"] = address
    try:
        ray.init(**options)
        yield ray, storage_path or os.path.join(root, "storage")
    finally:
        try:
            ray.shutdown()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            shutil.rmtree(root, ignore_errors=True)


def _run(ray, storage, dataset, spec, rates, settings, space, cpus):
    _, tune = _ray()
    name = f"lrcourse-pbt-{secrets.token_hex(4)}"
    recorder = _recorder_class()()
    tuner = tune.Tuner(
        tune.with_resources(
            tune.with_parameters(
                _trainable_class(), dataset=dataset, spec=spec, member=member_class()
            ),
            {"cpu": cpus},
        ),
        param_space={"learning_rate": tune.grid_search(list(rates))},
        tune_config=tune.TuneConfig(
            scheduler=_scheduler(settings, spec["seed"], _Resample(space, spec["seed"])),
            search_alg=_search_class()(len(rates)),
            num_samples=1,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=name,
            storage_path=storage,
            stop={TIME_ATTR: spec["epochs"]},
            verbose=0,
            callbacks=[recorder],
            checkpoint_config=tune.CheckpointConfig(num_to_keep=None, checkpoint_at_end=True),
            failure_config=tune.FailureConfig(max_failures=0),
            progress_reporter=_silent_class()(),
        ),
    )
    grid = tuner.fit()
    if grid.errors:
        raise RuntimeError(f"a trial of the PBT run failed: {grid.errors[0]}")
    finals = {}
    for result in grid:
        member = recorder.members.get(result.metrics.get("trial_id"))
        if member is None or result.checkpoint is None:
            raise RuntimeError("a trial of the PBT run ended without its final checkpoint")
        with result.checkpoint.as_directory() as folder:
            finals[member] = _read_state(folder)
    # the driver's own copy: the one in the storage is synced now and then, and may lag
    log = os.path.join(recorder.experiment or "", "pbt_global.txt")
    policy = _read_policy(log) if recorder.experiment and os.path.exists(log) else ()
    return _assemble(dataset, spec, rates, settings, recorder, finals, policy, ray.__version__)


def _assemble(dataset, spec, rates, settings, recorder, finals, policy, version):
    """The run in the hand-written version's format, from every result of every member."""
    population, epochs = len(rates), spec["epochs"]
    steps = dataset.steps_per_epoch(spec["batch_size"])
    ready = settings["perturbation_interval"]
    table = {(m, int(r["epoch"])): r for m, results in recorder.results.items() for r in results}
    every = [(m, e) for m in range(population) for e in range(1, epochs + 1)]
    missing = [key for key in every if key not in table]
    if missing:
        raise RuntimeError(f"the PBT run has no result for (member, epoch) {missing[0]}")

    def per_epoch(key, epochs_=range(1, epochs + 1)):
        return [[table[m, e][key] for e in epochs_] for m in range(population)]

    rate = np.array(per_epoch("learning_rate"), dtype=float)
    rounds = range(ready, epochs + 1, ready)
    scores, report, accuracy = (
        np.array(per_epoch(key, rounds), dtype=float)
        for key in (METRIC, "report_loss", "report_accuracy")
    )
    if dataset.task == "regression":
        accuracy[:] = np.nan
    restores, copies = [], []
    for (m, _), result in sorted(table.items()):
        if not result["restored_from"]:
            continue
        donor, epoch = recorder.members[result["restored_from"]], int(result["restored_epoch"])
        explored = float(result["learning_rate"])
        restores.append(
            Restore(epoch, m, donor, explored, result["restored_digest"], result["loaded_digest"])
        )
        copied = {"learning_rate": float(table[donor, epoch]["learning_rate"])}
        copies.append(
            Copy(epoch // ready - 1, epoch * steps, m, donor, copied, {"learning_rate": explored})
        )
    copies.sort(key=lambda c: (c.round, c.loser))
    hyper = {"learning_rate": np.repeat(rate, steps, axis=1)}
    members = tuple(finals[m] for m in range(population))
    result = PBTResult(hyper, scores, tuple(copies), members, ready * steps)
    return RayPBT(
        result,
        report,
        accuracy,
        spec["seed"],
        epochs,
        True,
        restores=tuple(restores),
        policy=policy,
        digests=per_epoch("weights_digest"),
        settings={key: value for key, value in settings.items() if key != "trials"},
        resumes=sum(int(r["restored_own"]) for r in table.values()),
        workers=len({r["pid"] for r in table.values()}),
        version=version,
    )


def _read_policy(path):
    """Ray's log of the exploits, as ``(epoch, member, donor, copied rate, explored rate)`` per
    line, in the order Ray wrote them. Ray names trials by their experiment tags, which start
    with the trial's number: the member."""
    rows = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            target, clone, _, clone_epoch, old, new = json.loads(line)
            rows.append(
                (
                    int(clone_epoch),
                    int(target.split("_", 1)[0]),
                    int(clone.split("_", 1)[0]),
                    float(old["learning_rate"]),
                    float(new["learning_rate"]),
                )
            )
    return tuple(rows)


# ---------------------------------------------------------------- in the workers: one member


def _read_state(folder):
    """A checkpoint as ``(weights per layer, optimizer variables, {"learning_rate": rate})``."""
    with np.load(os.path.join(folder, "member.npz"), allow_pickle=False) as saved:
        layers = [saved[f"weight_{i}"] for i in range(int(saved["layers"]))]
        state = [saved["iteration"], saved["learning_rate"]]
        state += [saved[f"momentum_{i}"] for i in range(int(saved["momentums"]))]
        return layers, state, {"learning_rate": float(saved["learning_rate"])}


@lru_cache(maxsize=1)
def member_class():
    """The class that trains one member in a Ray worker: ``Member(dataset, spec)`` (see
    :func:`_spec` for the spec), with ``start(rate)``, ``train_epoch()``, ``save(folder,
    trial_id)`` and ``load(folder, trial_id)``.

    It is the course's network and Keras's SGD in float32 NumPy: the layers and initial weights
    of ``build_model``, the batches of ``epoch_orders``, the mean loss of each batch (softmax
    cross-entropy on logits, sigmoid cross-entropy, or squared error), and Keras 3's update rule
    (:mod:`lrcourse.optimizers`' ``sgd_step``, ``momentum_step`` and ``nesterov_step``).
    ``tests/test_tune.py`` checks it against the Keras run. It is made in this function so that
    Ray sends the class itself to the workers: a worker then imports NumPy and the course's
    NumPy core, not this module, and so not TensorFlow, which would cost every worker process
    seconds before its first epoch.
    """
    from lrcourse.optimizers import momentum_step, nesterov_step, sgd_step

    class Member:
        def __init__(self, dataset, spec):
            self.x, self.y, self.task, self.spec = (
                dataset.x_train,
                dataset.y_train,
                dataset.task,
                spec,
            )
            self.halves = [(dataset.x_val[s::2], dataset.y_val[s::2]) for s in (0, 1)]

        def start(self, rate):
            """A fresh member: the seed's initial weights, a fresh optimizer at ``rate``."""
            self.weights = [np.array(w) for w in self.spec["initial"]]
            momentum = self.spec["momentum"] != 0
            self.momentums = [np.zeros_like(w) for w in self.weights] if momentum else []
            self.iteration, self.rate, self.epoch, self.restored = 0, float(rate), 0, {}

        def outputs(self, x):
            """Every layer's output for the rows ``x``: the last is the logits."""
            outputs = [x]
            for i in range(0, len(self.weights), 2):
                z = outputs[-1] @ self.weights[i] + self.weights[i + 1]
                outputs.append(np.maximum(z, 0) if i + 2 < len(self.weights) else z)
            return outputs

        def loss(self, logits, y):
            """The mean loss over the rows, its gradient with respect to the logits, and the
            number of right answers."""
            n = len(y)
            if self.task == "multiclass":
                shifted = logits - logits.max(axis=1, keepdims=True)
                log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                grad = np.exp(log_p)
                grad[np.arange(n), y] -= 1
                right = np.sum(np.argmax(logits, axis=1) == y)
                return -log_p[np.arange(n), y].mean(), grad / n, right
            z, t = logits[:, 0], y.astype(logits.dtype)
            if self.task == "binary":
                loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
                grad = (1 / (1 + np.exp(-z)) - t) / n
                return loss.mean(), grad[:, None].astype(logits.dtype), np.sum((z > 0) == t)
            return np.mean((z - t) ** 2), (2 * (z - t) / n)[:, None], 0

        def train_epoch(self):
            rate, momentum = np.float32(self.rate), np.float32(self.spec["momentum"])
            order, size = self.spec["orders"][self.epoch], self.spec["batch_size"]
            with np.errstate(all="ignore"):  # a diverging member computes with inf and nan
                for start in range(0, len(order), size):
                    rows = order[start : start + size]
                    outputs = self.outputs(self.x[rows])
                    grad = self.loss(outputs[-1], self.y[rows])[1]
                    grads = [None] * len(self.weights)
                    for i in range(len(self.weights) - 2, -1, -2):
                        grads[i], grads[i + 1] = outputs[i // 2].T @ grad, grad.sum(axis=0)
                        if i:
                            grad = (grad @ self.weights[i].T) * (outputs[i // 2] > 0)
                    for i, g in enumerate(grads):  # the course's update rules, Keras's forms
                        if not self.momentums:
                            self.weights[i], _ = sgd_step(self.weights[i], g, {}, rate)
                            continue
                        rule = nesterov_step if self.spec["nesterov"] else momentum_step
                        velocity = {"velocity": self.momentums[i]}
                        self.weights[i], velocity = rule(
                            self.weights[i], g, velocity, rate, momentum
                        )
                        self.momentums[i] = velocity["velocity"]
                    self.iteration += 1
                self.epoch += 1
                (selection, _, _), (report, _, right) = (
                    self.loss(self.outputs(x)[-1], y) for x, y in self.halves
                )
            result = {
                # a diverged member must rank last: Ray's scheduler leaves out a nan score
                METRIC: float(selection) if np.isfinite(selection) else float("inf"),
                "report_loss": float(report),
                "report_accuracy": float(right) / len(self.halves[1][1]),
                "learning_rate": self.rate,
                "epoch": self.epoch,
                "weights_digest": self.digest(),
                "pid": os.getpid(),
                "restored_from": "",
                "restored_epoch": 0,
                "restored_own": 0,
                "restored_digest": "",
                "loaded_digest": "",
                **self.restored,
            }
            self.restored = {}
            return result

        def digest(self):
            parts = hashlib.blake2b(digest_size=8)
            for w in self.weights:
                parts.update(np.ascontiguousarray(w).tobytes())
            return parts.hexdigest()

        def save(self, folder, trial_id):
            np.savez(
                os.path.join(folder, "member.npz"),
                layers=len(self.weights),
                momentums=len(self.momentums),
                iteration=np.int64(self.iteration),
                learning_rate=np.float64(self.rate),
                epoch=self.epoch,
                saved_by=trial_id,
                digest=self.digest(),
                **{f"weight_{i}": w for i, w in enumerate(self.weights)},
                **{f"momentum_{i}": m for i, m in enumerate(self.momentums)},
            )

        def load(self, folder, trial_id):
            with np.load(os.path.join(folder, "member.npz"), allow_pickle=False) as saved:
                self.weights = [saved[f"weight_{i}"] for i in range(int(saved["layers"]))]
                # the optimizer's state too: its step count and its momentums, if any
                self.momentums = [saved[f"momentum_{i}"] for i in range(int(saved["momentums"]))]
                self.iteration = int(saved["iteration"])
                self.epoch = int(saved["epoch"])
                saved_by, digest = str(saved["saved_by"]), str(saved["digest"])
            # the rate stays the member's own: the one Ray's explore step gave it, not the donor's
            if saved_by == trial_id:
                self.restored = {"restored_own": 1}
            else:
                self.restored = {
                    "restored_from": saved_by,
                    "restored_epoch": self.epoch,
                    "restored_digest": digest,
                    "loaded_digest": self.digest(),
                }

    return Member


def _spec(dataset, optimizer, seed, epochs, batch_size, hidden):
    """What a worker needs besides the data, computed here with Keras: the initial weights of
    ``build_model(dataset, hidden, seed=seed)``, the batch orders of ``epoch_orders`` and the
    optimizer's settings."""
    config = training._config(optimizer)
    return {
        "initial": [np.array(w) for w in training._initial_weights(dataset, hidden, seed)],
        "orders": training.epoch_orders(len(dataset.x_train), epochs, seed),
        "batch_size": batch_size,
        "momentum": float(config["momentum"]),
        "nesterov": bool(config["nesterov"]),
        "seed": seed,
        "epochs": epochs,
    }


@lru_cache(maxsize=1)
def _trainable_class():
    """The Tune trainable of one member (made on first use: it subclasses Ray's Trainable, and
    Ray sends it to the workers by value, as :func:`member_class`)."""
    _, tune = _ray()

    class PBTMember(tune.Trainable):
        def setup(self, config, dataset=None, spec=None, member=None):
            self.member = member(dataset, spec)
            self.member.start(config["learning_rate"])

        def step(self):
            return self.member.train_epoch()

        def save_checkpoint(self, checkpoint_dir):
            self.member.save(checkpoint_dir, self.trial_id)

        def load_checkpoint(self, checkpoint):
            self.member.load(checkpoint, self.trial_id)

        def reset_config(self, new_config):  # this worker goes on with another member
            self.member.start(new_config["learning_rate"])
            return True

    return PBTMember


@lru_cache(maxsize=1)
def _search_class():
    """Tune's default search (one trial per grid point), saying it has ended only once every
    trial has. Tune keeps an idle worker for a later trial only while the search may still bring
    one. In synchronous PBT a member exploited at the very end of a round is paused before any
    member waits for the next round, so its worker would be stopped and the next round would wait
    for a new process to start and import TensorFlow, instead of reusing it."""
    from ray.tune.search import BasicVariantGenerator

    class UntilEveryTrialEnds(BasicVariantGenerator):
        def __init__(self, trials):
            super().__init__()
            self._trials, self._ended = trials, set()

        def on_trial_complete(self, trial_id, result=None, error=False):
            self._ended.add(trial_id)
            return super().on_trial_complete(trial_id, result=result, error=error)

        def is_finished(self):
            return super().is_finished() and len(self._ended) >= self._trials

    return UntilEveryTrialEnds


@lru_cache(maxsize=1)
def _silent_class():
    """A progress reporter that reports nothing: in a notebook Tune would otherwise put an
    (empty, then updated) HTML table in the cell's output."""
    _, tune = _ray()

    class Silent(tune.ProgressReporter):
        def should_report(self, trials, done=False):
            return False

        def report(self, trials, done, *sys_info):
            pass

    return Silent


@lru_cache(maxsize=1)
def _recorder_class():
    """A Tune callback, in the driver: every result of every member, in the members' order."""
    _, tune = _ray()

    class Recorder(tune.Callback):
        def __init__(self):
            self.results = {}  # member -> its results, in the order they came
            self.members = {}  # trial id -> member (the order Tune made the trials in)
            self.experiment = None  # the driver's directory of the experiment

        def on_trial_result(self, iteration, trials, trial, result, **info):
            member = self.members.setdefault(trial.trial_id, trials.index(trial))
            self.results.setdefault(member, []).append(dict(result))
            self.experiment = trial.local_experiment_path

    return Recorder
