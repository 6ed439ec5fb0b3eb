"""The guide's "Keras 3 code to copy" recipes run as they are, without the course, and do what
they say.

The recipes are the code cells tagged "recipe" in notebooks/29_choosing_your_learning_rate.ipynb.
All of them run in ONE
fresh interpreter, where importing ``lrcourse`` fails, each in a fresh namespace (``__name__`` is
``"__main__"``) after ``keras.backend.clear_session()``. The interpreter checks each recipe and
reports back as JSON:

- ``model`` and ``history`` exist; ``history.history["loss"]`` has ``epochs`` finite values;
- the last ``model.fit`` trained ``model`` for ``epochs`` epochs with explicit validation data,
  and the optimizer took ``epochs * ceil(rows / batch_size)`` steps (the recipe's own
  ``steps_per_epoch``, where it has one, is that number);
- a schedule in the optimizer gives the same rates after ``get_config``/``from_config`` and after
  ``serialize_keras_object``/``deserialize_keras_object``; a custom one is registered and
  survives ``model.save``/``keras.models.load_model``; PiecewiseConstantDecay drops at epoch
  starts, CosineDecay's warmup plus cosine and CosineDecayRestarts' cycles last the whole run;
- ``LearningRateScheduler``: ``history.history["learning_rate"]`` halves every ``drop_every``
  epochs from ``initial_rate`` (the recipe's variables); ``ReduceLROnPlateau``: it follows the
  callback's rule replayed on the monitored values, and lowers the rate at least once;
- the range test (the recipe with ``picked_rate``): the final ``fit`` starts from
  ``weights_before`` with a fresh optimizer at ``picked_rate``, inside the tested rates; here,
  with ``lrcourse`` importable, the recorded curve is checked against ``lrcourse.finder``'s
  smoothing, stop rule and ``valley`` rule (the rule notebook 20 recommends).
"""

import ast
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "29_choosing_your_learning_rate.ipynb"
TAG = "recipe"
FIRST_LINE = re.compile(r"^# Recipe: \S")
ALLOWED_IMPORTS = {"keras", "numpy"} | set(sys.stdlib_module_names)
SECONDS_PER_RECIPE = 30  # a guard against a runaway recipe, not a benchmark (about 2-3 s each)

# Runs in the fresh interpreter: argv[1] is a JSON file of [name, source] pairs, argv[2] the path
# of the JSON report it writes.
RUNNER = r'''
import contextlib, importlib.abc, importlib.util, inspect, io, json, math, os, sys
import tempfile, time, traceback, warnings


class BlockCourse(importlib.abc.MetaPathFinder):
    """A recipe must run where the course's helper package is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "lrcourse" or name.startswith("lrcourse."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None


course_findable = importlib.util.find_spec("lrcourse") is not None  # before the block
sys.meta_path.insert(0, BlockCourse())
try:
    import lrcourse.finder  # noqa: F401
    course_blocked = False
except ModuleNotFoundError:
    course_blocked = True

started = time.perf_counter()
import numpy as np  # noqa: E402
import keras  # noqa: E402

import_seconds = time.perf_counter() - started
schedules = keras.optimizers.schedules
Schedule = schedules.LearningRateSchedule
RateCallbacks = (keras.callbacks.LearningRateScheduler, keras.callbacks.ReduceLROnPlateau)

# Every model.fit and train_on_batch call is recorded: what it was given, and the state it
# started from.
fits, batches = [], []
original_fit, original_train_on_batch = keras.Model.fit, keras.Model.train_on_batch
fit_signature = inspect.signature(original_fit)


def recording_fit(self, *args, **kwargs):
    bound = fit_signature.bind(self, *args, **kwargs)
    bound.apply_defaults()
    arguments = bound.arguments
    optimizer = self.optimizer
    fits.append({
        "model": self,
        "rows": len(arguments["x"]),
        "batch_size": arguments["batch_size"],
        "epochs": arguments["epochs"],
        "callbacks": list(arguments["callbacks"] or []),
        "validation_data": arguments["validation_data"] is not None,
        "validation_split": arguments["validation_split"],
        "weights": [w.copy() for w in self.get_weights()],
        "iterations": count(optimizer.iterations),
        "learning_rate": (None if isinstance(optimizer._learning_rate, Schedule)
                          else float(keras.ops.convert_to_numpy(optimizer.learning_rate))),
    })
    return original_fit(*bound.args, **bound.kwargs)


def recording_train_on_batch(self, *args, **kwargs):
    loss = original_train_on_batch(self, *args, **kwargs)
    batches.append(loss)
    return loss


keras.Model.fit = recording_fit
keras.Model.train_on_batch = recording_train_on_batch


def count(variable):
    return int(keras.ops.convert_to_numpy(variable))


def rates_of(schedule, steps):
    return [float(keras.ops.convert_to_numpy(schedule(step))) for step in steps]


def same(a, b):
    return len(a) == len(b) and np.allclose(a, b, rtol=1e-6, atol=0.0)


def check_schedule(schedule, model, steps_per_epoch, total, expect):
    probe = sorted({0, 1, steps_per_epoch - 1, steps_per_epoch, total // 2, total - 1, total})
    rates = rates_of(schedule, probe)
    expect(all(math.isfinite(r) and r >= 0 for r in rates), f"rates {rates} at steps {probe}")
    config = schedule.get_config()
    expect(same(rates_of(type(schedule).from_config(config), probe), rates),
           f"{type(schedule).__name__}.from_config(get_config()) gives other rates")
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(schedule)))
    revived = keras.saving.deserialize_keras_object(serialized)
    expect(type(revived) is type(schedule) and same(rates_of(revived, probe), rates),
           "serialize_keras_object / deserialize_keras_object gives another schedule")
    if not type(schedule).__module__.startswith("keras"):  # a custom schedule
        name = serialized.get("registered_name")
        expect(keras.saving.get_registered_object(name) is type(schedule),
               f"{type(schedule).__name__} is not registered (register_keras_serializable)")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            model.save(path)
            loaded = keras.models.load_model(path).optimizer
        expect(type(loaded._learning_rate) is type(schedule)
               and same(rates_of(loaded._learning_rate, probe), rates)
               and count(loaded.iterations) == count(model.optimizer.iterations),
               "model.save / keras.models.load_model does not give back the schedule")
    if isinstance(schedule, schedules.PiecewiseConstantDecay):
        expect(all((b + 1) % steps_per_epoch == 0 for b in config["boundaries"]),
               f"boundaries {config['boundaries']}: a boundary is the LAST step at the old "
               f"rate, so a drop at the start of epoch e needs e * {steps_per_epoch} - 1")
    if isinstance(schedule, schedules.CosineDecay) and config["warmup_target"] is not None:
        expect(config["warmup_steps"] + config["decay_steps"] == total,
               f"warmup_steps {config['warmup_steps']} + decay_steps {config['decay_steps']} "
               f"!= {total} steps of training: decay_steps counts the cosine part only")
    if isinstance(schedule, schedules.CosineDecayRestarts):
        end, length = 0, config["first_decay_steps"]
        while end < total:
            end, length = end + length, length * config["t_mul"]
        expect(end == total, f"the cycles end at step {end}, not at the end of training "
               f"({total})")


def check_scheduler(callback, namespace, recorded, epochs, expect):
    initial, every = namespace.get("initial_rate"), namespace.get("drop_every")
    if not expect(isinstance(initial, float) and isinstance(every, int),
                  "the step-decay recipe must define initial_rate (a float) and drop_every"):
        return
    expected = [initial * 0.5 ** (epoch // every) for epoch in range(epochs)]
    expect(same(recorded, expected), f"learning_rate {recorded}, expected {expected}")
    expect(epochs > every, f"{epochs} epochs never reach the first halving")
    expect(type(callback.schedule(0, initial)) is float, "the schedule must return a float")


def check_plateau(callback, history, initial, recorded, expect):
    values = history.history.get(callback.monitor)
    if not expect(values is not None, f"{callback.monitor!r} is not in history.history: "
                  "it needs validation data"):
        return
    minimize = bool(callback.monitor_op(0.0, 1.0))
    delta = abs(callback.min_delta)
    rate, best, wait, cooling, expected = np.float32(initial), None, 0, 0, []
    for value in values:  # ReduceLROnPlateau.on_epoch_end, replayed
        expected.append(float(rate))
        if cooling > 0:
            cooling, wait = cooling - 1, 0
        if best is None or (value + delta < best if minimize else value - delta > best):
            best, wait = value, 0
        elif cooling == 0:
            wait += 1
            if wait >= callback.patience and rate > np.float32(callback.min_lr):
                rate = np.float32(max(float(rate) * callback.factor, callback.min_lr))
                cooling, wait = callback.cooldown, 0
    expect(same(recorded, expected), f"learning_rate {recorded}, replayed rule {expected}")
    expect(expected[-1] < expected[0], "the rate never dropped: the run shows no plateau")


def check_range_test(namespace, model, fit, found):
    expect = found["expect"]
    before = namespace.get("weights_before")
    if not expect(isinstance(before, list) and len(before) > 0
                  and [w.shape for w in before] == [w.shape for w in model.get_weights()],
                  "weights_before must be a copy of the model's weights (model.get_weights())"):
        return
    expect(all(np.array_equal(a, b) for a, b in zip(before, fit["weights"])),
           "the final fit does not start from weights_before: the test's weights stayed")
    expect(fit["iterations"] == 0, "the final fit must start with a fresh optimizer")
    losses, rates = namespace["losses"], np.asarray(namespace["rates"], dtype=float)
    tested = rates[: len(losses)]
    picked = namespace["picked_rate"]
    expect(len(batches) == len(losses), f"{len(batches)} train_on_batch calls for "
           f"{len(losses)} recorded losses")
    expect(np.allclose(np.diff(np.log(rates)), np.log(rates[1] / rates[0])),
           "the rates must grow by the same factor every batch")
    expect(isinstance(picked, float) and tested.min() <= picked <= tested.max(),
           f"picked_rate {picked!r} is outside the tested rates [{tested.min()}, {tested.max()}]")
    expect(np.isclose(float(model.optimizer.learning_rate), picked, rtol=1e-6),
           "the final fit does not train at picked_rate")
    found["range_test"] = {
        "rates": tested.tolist(), "losses": [float(v) for v in losses],
        "smoothed": [float(v) for v in namespace["smoothed"]], "steps": namespace["steps"],
        "beta": namespace["beta"], "stop_factor": namespace["stop_factor"], "picked_rate": picked,
    }


def check(namespace, found):
    expect = found["expect"]
    model, history = namespace.get("model"), namespace.get("history")
    if not (expect(isinstance(model, keras.Model), "no Keras `model` in the namespace")
            and expect(isinstance(history, keras.callbacks.History), "no `history` of fit")):
        return
    epochs, losses = namespace.get("epochs"), history.history.get("loss", [])
    expect(isinstance(epochs, int) and len(losses) == epochs,
           f"history has {len(losses)} epochs of loss, epochs = {epochs!r}")
    expect(all(math.isfinite(v) for v in losses), f"training loss not finite: {losses}")
    if not expect(bool(fits) and fits[-1]["model"] is model, "no model.fit on `model`"):
        return
    fit = fits[-1]
    expect(fit["epochs"] == epochs, f"fit ran {fit['epochs']} epochs, epochs = {epochs!r}")
    expect(fit["validation_data"] and not fit["validation_split"],
           "pass the validation data explicitly (validation_data=...), as every recipe does")
    steps_per_epoch = math.ceil(fit["rows"] / fit["batch_size"])
    total = epochs * steps_per_epoch
    updates = count(model.optimizer.iterations) - fit["iterations"]
    expect(updates == total, f"{updates} updates in fit, expected {epochs} x {steps_per_epoch}")
    if "steps_per_epoch" in namespace:
        expect(namespace["steps_per_epoch"] == steps_per_epoch,
               f"steps_per_epoch = {namespace['steps_per_epoch']}, but fit takes "
               f"{steps_per_epoch} batches per epoch")
    schedule = model.optimizer._learning_rate
    rate_callbacks = [c for c in fit["callbacks"] if isinstance(c, RateCallbacks)]
    if isinstance(schedule, Schedule):
        expect(not rate_callbacks, "a schedule object and a rate callback: one owner only")
        check_schedule(schedule, model, steps_per_epoch, total, expect)
    for callback in rate_callbacks:
        recorded = history.history.get("learning_rate")
        if not expect(recorded is not None and len(recorded) == epochs,
                      "history.history['learning_rate'] is missing or short"):
            continue
        if isinstance(callback, keras.callbacks.LearningRateScheduler):
            check_scheduler(callback, namespace, recorded, epochs, expect)
        else:
            check_plateau(callback, history, fit["learning_rate"], recorded, expect)
    if "picked_rate" in namespace:
        check_range_test(namespace, model, fit, found)


cells = json.load(open(sys.argv[1]))
results = []
for name, source in cells:
    keras.backend.clear_session()
    fits.clear()
    batches.clear()
    problems, found, namespace = [], {}, {"__name__": "__main__"}

    def expect(ok, message, problems=problems):
        if not ok:
            problems.append(message)
        return bool(ok)

    found["expect"] = expect
    printed = io.StringIO()
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed):
        warnings.simplefilter("always")
        try:
            exec(compile(source, f"<recipe {name}>", "exec"), namespace)
        except Exception:
            problems.append("raised:\n" + traceback.format_exc(limit=-4))
    seconds = time.perf_counter() - started
    if not problems:
        try:
            check(namespace, found)
        except Exception:
            problems.append("checking raised:\n" + traceback.format_exc(limit=-4))
    results.append({
        "name": name, "seconds": seconds, "problems": problems, "printed": printed.getvalue(),
        "check_seconds": time.perf_counter() - started - seconds,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught
                     if issubclass(w.category, UserWarning)],
        "range_test": found.get("range_test"),
    })

with open(sys.argv[2], "w") as report:
    json.dump({"course_findable": course_findable, "course_blocked": course_blocked,
               "import_seconds": import_seconds, "recipes": results}, report)
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)  # skips TensorFlow's slow teardown (about 2 s); the report is written
'''


def recipe_cells():
    """``[(name, source), ...]`` of the notebook's code cells tagged "recipe", in order."""
    if not NOTEBOOK.exists():
        pytest.fail(f"{NOTEBOOK} does not exist: the recipes live in its cells tagged {TAG!r}")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", []):
            source = cell.source
            found.append((source.splitlines()[0] if source else "", source))
    return found


@pytest.fixture(scope="module")
def recipes():
    found = recipe_cells()
    assert len(found) >= 10, f"{len(found)} cells tagged {TAG!r} in {NOTEBOOK.name}, want >= 10"
    for first_line, _ in found:
        assert FIRST_LINE.match(first_line), f"a recipe starts {first_line!r}, not '# Recipe: ..'"
    names = [first_line for first_line, _ in found]
    assert len(set(names)) == len(names), f"two recipes share a name: {names}"
    return found


def test_recipes_are_complete_and_need_only_keras_and_numpy(recipes):
    for name, source in recipes:
        assert "model.compile(" in source and "model.fit(" in source, name
        assert "..." not in source, f"{name}: a blank left for the reader ('...')"
        assert "lrcourse" not in source, f"{name}: mentions lrcourse"
        assert "keras.utils.set_random_seed(0)" in source, f"{name}: not seeded"
        tree = ast.parse(source)
        for node in ast.walk(tree):  # Keras 2 names, in the code (comments may mention them)
            if isinstance(node, ast.Call):
                keywords = {keyword.arg for keyword in node.keywords}
                assert not keywords & {"lr", "decay"}, f"{name}: lr= or decay= (Keras 2)"
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                assert node.slice.value != "lr", f'{name}: ["lr"] (Keras 3: "learning_rate")'
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for module in modules:
                    top = module.split(".")[0]
                    assert top in ALLOWED_IMPORTS, f"{name}: imports {module}"
        compile_call, last = tree.body[-2:]
        assert (
            isinstance(compile_call, ast.Expr)
            and ast.unparse(compile_call.value).startswith("model.compile(")
            and {k.arg for k in compile_call.value.keywords} >= {"optimizer", "loss", "metrics"}
        ), f"{name}: must end with model.compile(optimizer=, loss=, metrics=), then fit"
        assert (
            isinstance(last, ast.Assign)
            and [getattr(t, "id", None) for t in last.targets] == ["history"]
            and ast.unparse(last.value).startswith("model.fit(")
        ), f"{name}: must end with history = model.fit(...)"


def test_recipes_run_without_the_course_and_do_what_they_say(recipes, tmp_path):
    cells = tmp_path / "cells.json"
    cells.write_text(json.dumps([[name, source] for name, source in recipes]))
    report_path = tmp_path / "report.json"
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(cells), str(report_path)],
        cwd=tmp_path,  # not the repository: lrcourse must not come from the working directory
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the runner failed:\n{done.stderr[-3000:]}"
    runner_seconds = time.perf_counter() - started
    report = json.loads(report_path.read_text())
    assert importlib.util.find_spec("lrcourse") is not None  # importable here...
    assert report["course_findable"], "lrcourse is not installed: the block proves nothing"
    assert report["course_blocked"], "importing lrcourse did not fail in the recipes' interpreter"

    results = report["recipes"]
    assert [r["name"] for r in results] == [name for name, _ in recipes]
    print(f"\nrunner {runner_seconds:.1f} s, import keras {report['import_seconds']:.1f} s")
    for r in results:
        print(f"{r['seconds']:4.1f} s, checks {r['check_seconds']:3.1f} s: {r['name'][10:]}")
    failures = [f"{r['name']}:\n  " + "\n  ".join(r["problems"]) for r in results if r["problems"]]
    assert not failures, "\n".join(failures)
    for r in results:
        assert len(r["printed"].splitlines()) <= 1, f"{r['name']} prints:\n{r['printed']}"
        assert not r["warnings"], f"{r['name']} warns: {r['warnings']}"
        assert r["seconds"] < SECONDS_PER_RECIPE, f"{r['name']} took {r['seconds']:.0f} s"

    range_tests = [r for r in results if r["range_test"]]
    assert len(range_tests) == 1, "exactly one recipe must define picked_rate (the range test)"
    check_range_test_against_the_course(range_tests[0]["range_test"])


def check_range_test_against_the_course(recorded):
    """The recipe's range test smooths, stops and picks as ``lrcourse.finder`` does (notebook 20
    teaches that code); the recipe must not drift from the course's rule."""
    from lrcourse.finder import RangeTest, debiased_average

    rates, losses = np.array(recorded["rates"]), np.array(recorded["losses"])
    smoothed = np.array(recorded["smoothed"])
    beta, factor = recorded["beta"], recorded["stop_factor"]
    assert len(rates) == len(losses) == len(smoothed) <= recorded["steps"]
    np.testing.assert_allclose(smoothed, debiased_average(losses, beta), rtol=1e-12)
    running_best = np.minimum.accumulate(smoothed)
    for k in range(len(smoothed) - 1):  # no stop before the last point
        assert math.isfinite(smoothed[k]) and smoothed[k] <= factor * running_best[k], k
    last = smoothed[-1]
    assert (
        len(smoothed) == recorded["steps"]
        or not math.isfinite(last)
        or (last > factor * running_best[-1])
    ), "the test stopped although the loss had not blown up"
    test = RangeTest(rates, losses, smoothed, "recipe", recorded["steps"], beta, factor)
    assert recorded["picked_rate"] == pytest.approx(test.suggest("valley"), rel=1e-12), (
        f"the recipe picks {recorded['picked_rate']}, the course's valley rule "
        f"{test.suggest('valley')}"
    )
