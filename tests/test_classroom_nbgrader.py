"""The classroom path end to end with the real nbgrader: build, generate, release checks, collect,
autograde, feedback, export; for one notebook of each of Parts I, II and III (12 trains Keras).

Each assignment is autograded for: the reference solutions (every autograded point), the blank
student version (no point, no crash, no timeout), a submission with a classic bug (some points;
the feedback names the bug), and, for 01 and 03, one whose code loops forever or raises (that
cell's points only).
"""

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from lrcourse.classroom import build_course
from lrcourse.classroom.build import BEGIN, BEGIN_HIDDEN, END, END_HIDDEN

pytest.importorskip("nbgrader", reason="the [classroom] extra (nbgrader) is not installed")

ROOT = Path(__file__).resolve().parents[1]
CHECK_SECONDS = "3"  # the checkers' limit on an endless loop in the grading kernels
CELL_TIMEOUT = "30"  # nbgrader's per-cell limit for the submission with a top-level endless loop

A01, A03, A12 = "01_gradient_descent", "03_momentum", "12_step_and_piecewise"

BUGS = {
    # (assignment, grade id of the answer cell): code with a bug a checker names
    (A01, "exercise-1-answer"): (
        "from lrcourse.exercises import landscape as check\n\n\n"
        "def my_gd_step(x, gradient, learning_rate):\n"
        "    return x + learning_rate * gradient\n"
    ),
    (A03, "exercise-2-answer"): (
        "def nesterov_step(w, g, state, learning_rate, momentum):\n"
        '    velocity = momentum * state["velocity"] - learning_rate * g\n'
        '    return w + velocity, {"velocity": velocity}\n'
    ),
    (A12, "exercise-1-answer"): (
        "def my_step_decay(epoch):\n    return 0.1 * 0.5 ** math.floor((epoch + 1) / 10)\n"
    ),
}
NAMED = {A01: "You stepped uphill", A03: "without the look-ahead", A12: "drops one epoch early"}
TROUBLE = {
    (A01, "exercise-1-answer"): (
        "from lrcourse.exercises import landscape as check\n\n\n"
        "def my_gd_step(x, gradient, learning_rate):\n"
        "    while True:\n"
        "        x = x - learning_rate * gradient\n"
    ),
    (A01, "exercise-3-code"): "while True:  # a cell that never ends\n    pass\n",
    (A03, "exercise-1-answer"): (
        "from lrcourse.exercises import optimizers as check\n\n\n"
        "def momentum_step(w, g, state, learning_rate, momentum):\n"
        '    raise ValueError("not today")\n'
    ),
}
TROUBLE_SAYS = {A01: "took longer than 3 s", A03: "raised ValueError"}


def nbgrader(course, *args, timeout=900, **env):
    """Run nbgrader in the course directory; its output, or a failure showing it."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls its own alembic script
    environment = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    environment.update(LRCOURSE_TIME_LIMIT=CHECK_SECONDS, **env)
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{output[-4000:]}"
    return output


def nbgrader_ids(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def without_markers(text):
    keep = [line for line in text.splitlines() if line.strip() not in {BEGIN, END}]
    return "\n".join(keep)


def submission(release, source, changes=None, *, reference=True):
    """The release notebook with answers: the reference solutions, then ``changes``."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    solved = nbgrader_ids(source)
    for grade_id, cell in nbgrader_ids(nb).items():
        if reference and cell.metadata["nbgrader"]["solution"]:
            cell.source = without_markers(solved[grade_id].source)
        if changes and grade_id in changes:
            cell.source = changes[grade_id]
    return nb


def pipeline(root, name):
    """Build, generate, collect four kinds of submission, autograde, give feedback, export:
    the README's sequence for one assignment in its own course directory."""
    (built,) = build_course(root, [name])
    nbgrader(root, "generate_assignment", name, "--force")
    source, release = notebooks(root, "source", name), notebooks(root, "release", name)
    students = {
        "reference": submission(release, source),
        "blank": submission(release, source, reference=False),
        "buggy": submission(release, source, changes(BUGS, name)),
    }
    if changes(TROUBLE, name):
        students["trouble"] = submission(release, source, changes(TROUBLE, name))
    collect(root, name, students)
    # the course's long cell limit, but a short one where a top-level loop never ends (01's
    # cells take a few seconds); autograde adds the students to the gradebook
    endless = any(gid.endswith("code") for gid in changes(TROUBLE, name))
    limit = [f"--Execute.timeout={CELL_TIMEOUT}"] if endless else []
    nbgrader(root, "autograde", name, "--force", *limit)
    nbgrader(root, "generate_feedback", name, "--force")
    nbgrader(root, "export", "--to", str(root / "grades.csv"))
    return built


def changes(table, name):
    return {gid: code for (assignment, gid), code in table.items() if assignment == name}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The three pipelines, run side by side (each in its own course directory)."""
    roots = {name: tmp_path_factory.mktemp(name) for name in (A01, A03, A12)}
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = {name: pool.submit(pipeline, root, name) for name, root in roots.items()}
        built = {name: job.result() for name, job in jobs.items()}
    return roots, built


def notebooks(root, kind, name):
    return nbformat.read(root / kind / name / f"{name}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def whole_course(tmp_path_factory):
    """Every notebook with exercises, built and generated in one course directory."""
    root = tmp_path_factory.mktemp("whole")
    built = build_course(root)
    nbgrader(root, "generate_assignment", "*", "--force")
    return root, built


def strings(value):
    """Every string in a JSON document (keys and values), at any depth."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        joined = "".join(v for v in value if isinstance(v, str))
        if joined:
            yield joined  # a cell's source or an output's text, as lines
        for item in value:
            if not isinstance(item, str):
                yield from strings(item)


def test_the_release_holds_no_solution(whole_course):
    root, built = whole_course
    with_exercises = [
        path.stem
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
        if '"solution"' in path.read_text(encoding="utf-8")
    ]
    assert [a.name for a in built] == with_exercises and len(built) >= 29
    shown = []
    for name in (a.name for a in built):
        source, release = notebooks(root, "source", name), notebooks(root, "release", name)
        text = (root / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
        everything = "\n".join(strings(json.loads(text)))  # sources, outputs, metadata, decoded
        for marker in (
            BEGIN,
            END,
            BEGIN_HIDDEN,
            END_HIDDEN,
            "graded(",
            "Model answer",
            "Reference solution",
            "Correct:",
        ):
            assert marker not in text, f"{name}: the release shows {marker!r}"
        assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code")
        assert "widgets" not in release.metadata
        solutions = {
            gid: c for gid, c in nbgrader_ids(source).items() if c.metadata["nbgrader"]["solution"]
        }
        # what the notebook shows outside the answers (01 teaches a gradient step, for instance)
        taught = "\n".join(
            re.sub(f"{BEGIN}.*?{END}", "", c.source, flags=re.S) for c in source.cells
        )
        for grade_id, cell in solutions.items():
            region = cell.source.split(BEGIN)[1].split(END)[0]
            lines = [ln.strip() for ln in region.splitlines() if len(ln.strip()) > 2]
            assert lines, f"{name} {grade_id}: an empty solution region"
            distinct = [ln for ln in lines if ln not in taught]
            if not distinct:  # the notebook itself shows this answer (01's gradient step)
                shown.append(f"{name} {grade_id}")
            leaked = [ln for ln in distinct if ln in everything]
            assert not leaked, f"{name} {grade_id}: the release shows {leaked}"
    # Everywhere else the search has lines to look for. 01 teaches the gradient step before it
    # asks for it; 21's check computes the expected epoch with the answer's own expression.
    assert shown == [
        "01_gradient_descent exercise-1-answer",
        "21_range_test_retrained exercise-2-answer",
    ]


def test_the_release_keeps_the_exercise_and_its_visible_check(course):
    root = course[0][A01]
    release = nbgrader_ids(notebooks(root, "release", A01))
    assert "raise NotImplementedError" in release["exercise-1-answer"].source
    assert release["exercise-1-tests"].source.strip() == "check.check_gd_step(my_gd_step)"
    assert release["exercise-1-tests"].metadata["nbgrader"]["points"] == 2
    assert release["exercise-3-answer"].source.endswith("YOUR ANSWER HERE")
    assert release["graded-mode"].metadata["nbgrader"]["locked"]


def collect(root, name, students):
    """Hand the submissions in as a learning platform would: a zip of files named
    <student>__<notebook>.ipynb, unpacked and sorted by `nbgrader zip_collect`."""
    archive = root / "downloaded" / name / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as bundle:
        for student, nb in students.items():
            bundle.writestr(f"{student}__{name}.ipynb", nbformat.writes(nb))
    nbgrader(root, "zip_collect", name, "--force")


def scores(root, name, student):
    """{grade id: (auto score, manual score, max)} from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        found = gradebook.find_submission_notebook(name, name, student)
        return {g.name: (g.auto_score, g.manual_score, g.max_score) for g in found.grades}


def auto_total(found):
    return sum(auto or 0 for auto, _, _ in found.values())


def graded_outputs(root, name, student):
    nb = nbformat.read(root / "autograded" / student / name / f"{name}.ipynb", as_version=4)
    return {gid: json.dumps(c.get("outputs", [])) for gid, c in nbgrader_ids(nb).items()}


@pytest.mark.parametrize("name", [A01, A03, A12])
def test_autograde_reference_blank_and_bug(course, name):
    roots, built = course
    root, bug, trouble = roots[name], changes(BUGS, name), changes(TROUBLE, name)
    full = built[name].autograded
    reference = scores(root, name, "reference")
    assert auto_total(reference) == full
    manual = [gid for gid, (auto, _, _) in reference.items() if auto is None]
    assert len(manual) * 2 == built[name].manual  # explore answers wait for the grader
    blank = scores(root, name, "blank")
    assert auto_total(blank) == 0 and all(auto == 0 for auto, _, _ in blank.values())
    blank_out = "".join(graded_outputs(root, name, "blank").values())
    assert "CellTimeoutError" not in blank_out and "not attempted" in blank_out.lower()

    buggy = scores(root, name, "buggy")
    assert 0 < auto_total(buggy) < full, buggy
    (bug_id,) = bug
    assert buggy[bug_id.replace("answer", "tests")][0] == 0
    feedback = (root / "feedback" / "buggy" / name / f"{name}.html").read_text(encoding="utf-8")
    assert NAMED[name] in feedback and "NotYetCorrect" in feedback

    if trouble:
        found = scores(root, name, "trouble")
        broken = {gid.replace("answer", "tests") for gid in trouble if gid.endswith("answer")}
        for gid, (auto, _, top) in found.items():
            if gid in broken:
                assert auto == 0, (gid, found)
            elif gid.endswith("tests"):
                assert auto == top, (gid, found)  # every other cell keeps its points
        outputs = graded_outputs(root, name, "trouble")
        assert any(TROUBLE_SAYS[name] in text for text in outputs.values())
        for gid in trouble:
            if gid.endswith("code"):  # the endless top-level loop was stopped, and grading went on
                assert re.search("CellTimeoutError|KeyboardInterrupt", outputs[gid]), outputs[gid]

    with (root / "grades.csv").open(encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    exported = {r["student_id"]: float(r["raw_score"]) for r in rows if r["assignment"] == name}
    assert exported["reference"] == full and exported["blank"] == 0
    assert exported["buggy"] == auto_total(buggy)
