"""The classroom build and the hidden tests, without nbgrader (tests/test_classroom_nbgrader.py
runs the real thing): every notebook's exercises become answer and test cells, the hidden tests
fail an answer that only fits the visible inputs, named bugs keep their names."""

import ast
import json
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lrcourse import exercises
from lrcourse.classroom import CHECKERS, HIDDEN, NotYetCorrect, build_course, graded, main
from lrcourse.classroom.build import (
    ANSWER_POINTS,
    BEGIN,
    BEGIN_HIDDEN,
    END,
    END_HIDDEN,
    EXPLORE_POINTS,
    FUNCTION_POINTS,
)
from lrcourse.exercises import check_value, finder, landscape, optimizers, schedules
from lrcourse.optimizers import adam_step, momentum_step

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    return root, build_course(root)


def tagged(cell, tag):
    return tag in cell.get("metadata", {}).get("tags", [])


def graded_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def test_every_notebook_with_exercises_becomes_an_assignment(course):
    root, built = course
    with_exercises = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        solutions = sum(tagged(c, "solution") for c in nb.cells)
        explores = sum(tagged(c, "model-answer") for c in nb.cells)
        if not solutions + explores:
            continue
        with_exercises.append(path.stem)
        made = nbformat.read(root / "source" / path.stem / path.name, as_version=4)
        cells = graded_cells(made)
        tests = [
            c for c in cells.values() if c.metadata["nbgrader"]["grade"] and c.cell_type == "code"
        ]
        by_hand = [c for c in cells.values() if c.cell_type == "markdown"]
        assert len(tests) == solutions and len(by_hand) == explores, path.stem
        assert not any(tagged(c, "solution") or tagged(c, "model-answer") for c in made.cells)
        assert "widgets" not in made.metadata
        summary = next(a for a in built if a.name == path.stem)
        points = sum(c.metadata["nbgrader"].get("points", 0) for c in cells.values())
        assert points == summary.points == summary.autograded + summary.manual
        assert summary.manual == EXPLORE_POINTS * explores
        assert summary.exercises == solutions + explores
    assert [a.name for a in built] == with_exercises
    assert len(built) == len(NOTEBOOKS) - 1  # 00, the map, has no exercises


def test_answer_and_test_cells_rebuild_the_exercise(course):
    """The student's answer cell is the exercise cell's own code up to its check; the test cell
    starts with that check (instant feedback as in the course), then the hidden tests."""
    root, built = course
    for a in built:
        nb = nbformat.read(ROOT / "notebooks" / f"{a.name}.ipynb", as_version=4)
        made = graded_cells(nbformat.read(root / "source" / a.name / f"{a.name}.ipynb", 4))
        pairs = [
            (c, nb.cells[i + 1])
            for i, c in enumerate(nb.cells[:-1])
            if tagged(nb.cells[i + 1], "solution")
        ]
        answers = [
            c for gid, c in made.items() if gid.endswith("-answer") and c.cell_type == "code"
        ]
        tests = [c for gid, c in made.items() if gid.endswith("-tests")]
        for (exercise, _), answer, test in zip(pairs, answers, tests, strict=True):
            stub = answer.source.split(BEGIN)[0].strip()
            visible = test.source.split(BEGIN_HIDDEN)[0].strip()
            assert exercise.source.strip().startswith(stub), a.name
            assert visible.splitlines()[-1] in exercise.source, a.name
            assert answer.source.count(BEGIN) == answer.source.count(END) == 1
            hidden = test.source.split(BEGIN_HIDDEN)[1].split(END_HIDDEN)[0]
            tree = ast.parse(hidden)
            calls = [
                n
                for n in ast.walk(tree)
                if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "graded"
            ]
            assert calls, f"{a.name}: no graded check in the hidden tests"
            points = test.metadata["nbgrader"]["points"]
            function = "raise NotImplementedError" in exercise.source
            assert points == (FUNCTION_POINTS if function else ANSWER_POINTS)


def test_the_config_has_what_the_course_needs(course):
    root, _ = course
    text = (root / "nbgrader_config.py").read_text()
    config = {}
    exec(compile(text, "nbgrader_config.py", "exec"), {"get_config": lambda: _Config(config)})
    assert config["Execute.timeout"] >= 1800  # Keras notebooks train for minutes in one cell
    assert config["ClearSolutions.code_stub"] == {"python": ""}
    kernels = {nb.metadata["kernelspec"]["name"] for nb in map(nbformat.read, NOTEBOOKS, [4] * 99)}
    assert {config["Execute.kernel_name"]} == kernels
    pattern = re.compile(config["FileNameCollectorPlugin.named_regexp"])
    found = pattern.match("/x/downloaded/01/archive/ada.l@uni__01_gradient_descent.ipynb")
    assert found["student_id"] == "ada.l@uni" and found["file_id"] == "01_gradient_descent.ipynb"


class _Config:
    def __init__(self, store, prefix=""):
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name):
        return _Config(self._store, f"{self._prefix}{name}.")

    def __setattr__(self, name, value):
        self._store[f"{self._prefix}{name}"] = value


def test_readme_lists_the_points_of_every_assignment(course):
    """The README's table has one row per assignment the build makes, and no other, and its
    totals sentence adds them up."""
    _, built = course
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {f"| {a.name} | {a.autograded} | {a.manual} | {a.points} |" for a in built}
    listed = set(re.findall(r"^\| \d\d[a-z]?_\w+ \| \d+ \| \d+ \| \d+ \|$", readme, re.M))
    assert listed == rows, f"README rows missing {rows - listed}, stale {listed - rows}"
    auto, manual = sum(a.autograded for a in built), sum(a.manual for a in built)
    total = (
        f"In all: {auto} points autograded and {manual} by hand over {len(built)} assignments "
        f"({auto + manual} points)."
    )
    assert total in readme, f"README: the totals should read {total!r}"


# ---------------------------------------------------------------- graded and the hidden tests


def test_graded_passes_a_right_answer_and_raises_with_the_checkers_words():
    assert graded(check_value, 0.5, 0.5).correct
    with pytest.raises(NotYetCorrect, match="too high"):
        graded(check_value, 0.9, 0.5)
    with pytest.raises(NotYetCorrect, match="Not attempted"):
        graded(check_value, ..., 0.5)
    with pytest.raises(TypeError, match="check must be a checker"):
        graded(3, 0.5)
    with pytest.raises(TypeError, match="do not fit check_value"):
        graded(check_value, 0.5, 0.5, colour="red")
    with pytest.raises(TypeError, match="must return a Feedback"):
        graded(lambda answer: True, 1)


def test_every_hidden_test_belongs_to_a_checker_the_course_uses():
    assert set(HIDDEN) == set(CHECKERS)
    used = "".join(p.read_text(encoding="utf-8") for p in NOTEBOOKS)
    for name, check in CHECKERS.items():
        assert check.__name__ == name and f"{name}(" in used


def my_step_decay(epoch):
    return 0.1 * 0.5 ** math.floor(epoch / 10)


def my_warmup_cosine(step):
    if step < 10:
        return 0.1 * step / 10
    return 0.05 * (1 + math.cos(math.pi * min(step - 10, 40) / 40))


def my_triangle(step):
    x = abs(step / 20 - 2 * math.floor(1 + step / 40) + 1)
    return 1e-3 + 5e-3 * max(0.0, 1 - x)


def my_wsd(step):
    return 0.1 * step / 10 if step < 10 else 0.1 * min(1.0, max(0.0, 1.0 - (step - 70) / 20))


def my_rates(min_rate, max_rate, steps):
    return min_rate * (max_rate / min_rate) ** (np.arange(steps) / (steps - 1))


def my_average(losses, beta):
    average, out = 0.0, []
    for k, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (k + 1)))
    return out


def my_classify(hessian):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > 0):
        return "minimum"
    return "maximum" if np.all(eigenvalues < 0) else "saddle"


REFERENCES = [
    (landscape.check_gd_step, (lambda x, g, lr: x - lr * g,), {}),
    (landscape.check_classify, (my_classify,), {}),
    (schedules.check_warmup_cosine, (my_warmup_cosine,), {}),
    (schedules.check_cyclical, (my_triangle,), {}),
    (schedules.check_warmup_stable_decay, (my_wsd,), {}),
    (optimizers.check_momentum_step, (momentum_step,), {}),
    (optimizers.check_adam_step, (adam_step,), {}),
    (schedules.check_step_decay, (my_step_decay,), {}),
    (finder.check_exponential_rates, (my_rates,), {}),
    (finder.check_debiased_average, (my_average,), {}),
    (
        schedules.check_decay_arguments,
        (lambda half_life, per_epoch: (half_life * per_epoch, 0.5),),
        {},
    ),
]


def test_the_keras_answers_pass_their_hidden_tests():
    keras = pytest.importorskip("keras")
    replacement = keras.optimizers.schedules.InverseTimeDecay(0.01, 1, 1e-3)
    assert graded(schedules.check_time_based_replacement, replacement, steps_per_epoch=67).correct

    class WSD(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak, warmup_steps, stable_steps, decay_steps):
            self.peak, self.warmup_steps = float(peak), int(warmup_steps)
            self.stable_steps, self.decay_steps = int(stable_steps), int(decay_steps)

        def __call__(self, step):
            step = keras.ops.cast(step, "float32")
            up = self.peak * step / self.warmup_steps
            down = self.peak * (
                1.0 - (step - self.warmup_steps - self.stable_steps) / self.decay_steps
            )
            return keras.ops.clip(keras.ops.minimum(up, down), 0.0, self.peak)

        def get_config(self):
            names = ("peak", "warmup_steps", "stable_steps", "decay_steps")
            return {k: getattr(self, k) for k in names}

    registered = keras.saving.register_keras_serializable(package="classroom_test")(WSD)
    assert graded(schedules.check_serializable_schedule, registered, 0.1, 10, 60, 20).correct

    class Fixed(WSD):  # ignores its settings: right for the visible ones only
        def __init__(self, peak, warmup_steps, stable_steps, decay_steps):
            super().__init__(0.1, 10, 60, 20)

    fixed = keras.saving.register_keras_serializable(package="classroom_test")(Fixed)
    with pytest.raises(NotYetCorrect, match="hidden test: other settings"):
        graded(schedules.check_serializable_schedule, fixed, 0.1, 10, 60, 20)


@pytest.mark.parametrize(
    ("check", "args", "kwargs"), REFERENCES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_right_function_passes_the_hidden_tests(check, args, kwargs):
    assert graded(check, *args, **kwargs).correct


CHEATS = [  # right on the visible inputs only
    (landscape.check_gd_step, lambda x, g, lr: x - 0.1 * g, "other points and rates"),
    (
        landscape.check_classify,
        lambda h: {
            (2.0, 3.0): "minimum",
            (-1.0, -4.0): "maximum",
            (2.0, 2.0): "minimum",
            (1.0, 2.0): "saddle",
            (1.0, -0.5): "saddle",
        }.get((float(h[0, 0]), float(h[-1, -1])), "saddle"),
        "rotated",
    ),
    (
        optimizers.check_adam_step,
        lambda w, g, s, learning_rate, beta_1, beta_2, epsilon: adam_step(
            w, g, s, 0.1, 0.9, 0.999, epsilon
        ),
        "other settings",
    ),
    (
        schedules.check_step_decay,
        lambda epoch: my_step_decay(epoch) if epoch < 40 else 0.1 * 0.5**3,
        "five times the epochs",
    ),
    (finder.check_exponential_rates, lambda lo, hi, n: my_rates(1e-6, 1.0, 50), "other ranges"),
]


@pytest.mark.parametrize(
    ("check", "cheat", "where"), CHEATS, ids=lambda v: getattr(v, "__name__", "")
)
def test_an_answer_fitted_to_the_visible_inputs_fails_the_hidden_ones(check, cheat, where):
    assert check(cheat).correct  # the visible checker is satisfied
    with pytest.raises(NotYetCorrect, match=f"hidden test: {where}"):
        graded(check, cheat)


STEP_EXERCISES = {
    "check_momentum_step": optimizers._MOMENTUM,
    "check_nesterov_step": optimizers._NESTEROV,
    "check_adagrad_step": optimizers._ADAGRAD,
    "check_rmsprop_step": optimizers._RMSPROP,
    "check_adadelta_step": optimizers._ADADELTA,
    "check_adam_step": optimizers._ADAM,
}


@pytest.mark.parametrize("name", sorted(STEP_EXERCISES))
def test_the_hidden_tests_name_every_classic_bug(name):
    """Each mistake a step checker names is named again on the hidden inputs."""
    check, exercise = getattr(optimizers, name), STEP_EXERCISES[name]
    ((_, variant),) = HIDDEN[name]
    for reference in exercise.references.values():
        assert variant(check, (reference,), {}).correct
    for mistake, bug in exercise.bugs.items():
        with pytest.raises(NotYetCorrect) as visible:
            graded(check, bug)
        assert mistake in str(visible.value)
        hidden = variant(check, (bug,), {})
        assert not hidden.correct and mistake in hidden.message, (mistake, hidden.message)


def test_a_named_schedule_bug_keeps_its_name():
    def one_based(epoch):
        return 0.1 * 0.5 ** math.floor((epoch + 1) / 10)

    with pytest.raises(NotYetCorrect, match="drops one epoch early"):
        graded(schedules.check_step_decay, one_based)
    ((_, variant),) = HIDDEN["check_step_decay"]
    assert "drops one epoch early" in variant(schedules.check_step_decay, (one_based,), {}).message


def test_code_that_raises_or_never_ends_costs_the_check_only(monkeypatch):
    monkeypatch.setattr(exercises, "TIME_LIMIT", 0.3)

    def endless(x, gradient, learning_rate):
        while True:
            try:
                x = x - learning_rate * gradient
            except Exception:  # the limit is not an Exception: this cannot swallow it
                pass

    def raising(x, gradient, learning_rate):
        raise ValueError("not today")

    with pytest.raises(NotYetCorrect, match="longer than 0.3 s"):
        graded(landscape.check_gd_step, endless)
    with pytest.raises(NotYetCorrect, match="raised ValueError: not today"):
        graded(landscape.check_gd_step, raising)
    assert graded(landscape.check_gd_step, lambda x, g, lr: x - lr * g).correct  # still works


def test_graded_assignments_keep_the_answers_to_themselves():
    try:
        exercises.reveal_answers(False)
        for _ in range(4):
            text = str(landscape.check_largest_stable_lr(0.5, eigenvalues=(2, 50)))
        asked = str(landscape.check_largest_stable_lr(0.5, eigenvalues=(2, 50), show_answer=True))
        assert "0.04" not in text and "0.04" not in asked and "answer appears" not in text
    finally:
        exercises.reveal_answers(True)
    assert "The answer: 0.04" in str(
        landscape.check_largest_stable_lr(0.5, eigenvalues=(2, 50), show_answer=True)
    )
    with pytest.raises(ValueError, match="on must be True or False"):
        exercises.reveal_answers("no")


# ---------------------------------------------------------------- the command line


def test_build_rejects_bad_arguments_by_name(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="out must be a directory"):
        build_course(tmp_path / "a_file", ["01"])
    with pytest.raises(ValueError, match="out must be the path"):
        build_course("", ["01"])
    with pytest.raises(ValueError, match="no course notebook '99'"):
        build_course(tmp_path / "c", ["99"])
    with pytest.raises(ValueError, match="00_welcome has no exercises"):
        build_course(tmp_path / "c", ["00"])
    with pytest.raises(ValueError, match="notebooks must be a list"):
        build_course(tmp_path / "c", "01")
    with pytest.raises(ValueError, match="source must be the course's notebooks/ directory"):
        build_course(tmp_path / "c", ["01"], source=tmp_path / "nowhere")
    assert not (tmp_path / "c").exists()


def test_the_command_builds_what_it_names(tmp_path, capsys):
    assert main(["build", str(tmp_path / "course"), "1", "07_adam"]) == 0
    printed = capsys.readouterr().out
    assert "01_gradient_descent" in printed and "07_adam" in printed
    assert sorted(p.name for p in (tmp_path / "course" / "source").iterdir()) == [
        "01_gradient_descent",
        "07_adam",
    ]
    assert main(["build", str(tmp_path / "course2"), "99"]) == 2
    assert "no course notebook '99'" in capsys.readouterr().err
    assert main(["--help"]) == 0 and "usage" in capsys.readouterr().out
    assert main(["frobnicate"]) == 2
    with pytest.raises(ValueError, match="argv must be a list of strings"):
        main([1])


def test_a_notebook_in_parts_is_named_by_its_number_or_by_a_part(tmp_path):
    built = build_course(tmp_path / "all", ["06"])
    assert [a.name for a in built] == ["06a_adadelta", "06b_adadelta_in_keras"]
    assert [a.name for a in build_course(tmp_path / "one", ["06b"])] == ["06b_adadelta_in_keras"]
    with pytest.raises(ValueError, match="no course notebook '06c'"):
        build_course(tmp_path / "none", ["06c"])


def test_the_build_is_the_same_twice(tmp_path):
    build_course(tmp_path / "a", ["03"])
    build_course(tmp_path / "b", ["03"])
    first = json.loads((tmp_path / "a/source/03_momentum/03_momentum.ipynb").read_text())
    second = json.loads((tmp_path / "b/source/03_momentum/03_momentum.ipynb").read_text())
    strip = [
        [{k: v for k, v in c.items() if k != "id"} for c in nb["cells"]] for nb in (first, second)
    ]
    assert strip[0] == strip[1]


def test_readme_counts_the_checks_that_compute_their_expected_value(course):
    """The README says how many check cells compute the expected value in view; count them."""
    root, built = course
    computed = total = 0
    for a in built:
        made = nbformat.read(root / "source" / a.name / f"{a.name}.ipynb", as_version=4)
        for gid, cell in graded_cells(made).items():
            if not gid.endswith("-tests"):
                continue
            total += 1
            visible = ast.parse(cell.source.split(BEGIN_HIDDEN)[0])
            calls = [
                n
                for n in ast.walk(visible)
                if isinstance(n, ast.Call)
                and getattr(n.func, "id", "") in {"check_value", "check_sequence"}
            ]
            computed += any(
                len(n.args) > 1 and not isinstance(n.args[1], ast.Constant) for n in calls
            )
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"{computed} of the {total} autograded exercises computes the expected value" in readme
