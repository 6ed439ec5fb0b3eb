"""Build an nbgrader course directory from the course notebooks (the one source).

Each notebook with exercises becomes an assignment ``source/<name>/<name>.ipynb``:

* an exercise cell and its reference solution (the cell tagged ``solution`` after it) become an
  *answer cell*, the exercise's code with the solution in nbgrader's ``### BEGIN SOLUTION`` /
  ``### END SOLUTION`` region, and a *test cell* with points: the visible checker (instant
  feedback, as in the course) and, between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
  TESTS``, the same check through :func:`lrcourse.classroom.graded`, which fails unless the
  checker says "correct" on the visible and on hidden inputs;
* an explore exercise's model answer (the cell tagged ``model-answer``) becomes a code cell for
  the student's own exploration and a markdown answer graded by hand, each holding the model
  answer (code, and its printed result) in a solution region: only the grader sees it.

Everything else is copied unchanged. ``nbgrader generate_assignment`` then removes the regions,
the hidden tests and every output from the student version.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["build_course", "main"]

FUNCTION_POINTS = 2  # an exercise where the student writes a function
ANSWER_POINTS = 1  # a number, a list, a choice
EXPLORE_POINTS = 2  # an explore exercise, graded by hand
COURSE_ID = "learning-rates-hands-on"
KERNEL = "python3"  # the kernel every course notebook names
CELL_TIMEOUT = 2400  # seconds: one training cell of a Keras notebook runs for minutes on 2 cores

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
_EXERCISE = re.compile(r"\*\*Exercise (\d+)")
_NAME = re.compile(r"^(\d\d[a-z]?)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Assignment:
    """What the build wrote for one notebook."""

    name: str  # the assignment and notebook name, e.g. "01_gradient_descent"
    autograded: int  # points of the test cells
    manual: int  # points of the answers graded by hand
    exercises: int  # graded exercises, autograded and by hand

    @property
    def points(self):
        return self.autograded + self.manual


def _course_notebooks(source=None):
    """The course's notebook directory: ``source`` if given, else the one beside the package
    (a clone of the repository), else ``./notebooks``."""
    if source is not None:
        folder = Path(source)
    else:
        beside = Path(__file__).resolve().parents[2] / "notebooks"
        folder = beside if beside.is_dir() else Path("notebooks")
    if not folder.is_dir() or not any(_NAME.match(p.stem) for p in folder.glob("*.ipynb")):
        raise ValueError(
            f"source must be the course's notebooks/ directory; {str(folder)!r} holds no course "
            "notebooks (run from a clone of the course, or pass --notebooks)"
        )
    return folder


def _select(chosen, folder):
    """The notebook files named by ``chosen`` ("01", "7", "07_adam", "07_adam.ipynb", "26a"), or
    every numbered notebook that has exercises when ``chosen`` is None or empty."""
    available = sorted(p for p in folder.glob("*.ipynb") if _NAME.match(p.stem))
    if chosen is None or (isinstance(chosen, list | tuple) and len(chosen) == 0):
        return [p for p in available if _has_exercises(p)]
    if not isinstance(chosen, list | tuple) or not all(isinstance(c, str) for c in chosen):
        raise ValueError(f"notebooks must be a list of names such as ['01', '12'], got {chosen!r}")
    picked = []
    for item in chosen:
        key = item.removesuffix(".ipynb")
        found = [
            p
            for p in available
            if key in (p.stem, p.stem.split("_", 1)[0])  # "07_adam", or "26a" for one part
            or (key.isdigit() and int(key) == int(p.stem[:2]))  # "26": every part of 26
        ]
        if not found:
            names = ", ".join(p.stem for p in available)
            raise ValueError(f"notebooks: no course notebook {item!r}; the notebooks: {names}")
        if not _has_exercises(found[0]):
            raise ValueError(f"notebooks: {found[0].stem} has no exercises to grade")
        picked.extend(p for p in found if p not in picked)
    return picked


def _has_exercises(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return any(_tagged(c, "solution") or _tagged(c, "model-answer") for c in nb.cells)


def _tagged(cell, tag):
    return tag in cell.get("metadata", {}).get("tags", [])


def build_course(out, notebooks=None, *, source=None):
    """Write an nbgrader course directory at ``out``: ``nbgrader_config.py`` and one assignment
    per notebook in ``source/``. ``notebooks``: names to build ("01", "12_step_and_piecewise"),
    or None for every notebook with exercises; ``source``: the course's notebooks/ directory.
    Returns the :class:`Assignment` list (points per notebook)."""
    import nbformat

    if not isinstance(out, str | os.PathLike) or not str(out).strip():
        raise ValueError(f"out must be the path of a directory to write, got {out!r}")
    if source is not None and not isinstance(source, str | os.PathLike):
        raise ValueError(f"source must be the path of the notebooks/ directory, got {source!r}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a directory, {str(out)!r} is a file")
    paths = _select(notebooks, _course_notebooks(source))
    built = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        assignment_nb, summary = _to_assignment(nb, path.stem)
        target = out / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(assignment_nb, target)
        built.append(summary)
    (out / "nbgrader_config.py").write_text(_nbgrader_config(), encoding="utf-8")
    return built


def _to_assignment(nb, name):
    """The assignment version of one course notebook (a new notebook) and its summary."""
    import nbformat

    cells, number, ids = [], 0, set()
    auto = manual = count = 0
    source = nb.cells
    for i, cell in enumerate(source):
        if cell.cell_type == "markdown":
            found = _EXERCISE.findall(cell.source)
            number = int(found[-1]) if found else number
        if _tagged(cell, "solution"):
            continue  # merged with the exercise cell before it
        following = source[i + 1] if i + 1 < len(source) else None
        if following is not None and _tagged(following, "solution"):
            grade_id = _unique(f"exercise-{number}", ids)
            answer, tests, points = _exercise(cell, following, grade_id, name)
            cells += [answer, tests]
            auto, count = auto + points, count + 1
        elif _tagged(cell, "model-answer"):
            grade_id = _unique(f"exercise-{number}", ids)
            cells += _explore(cell, grade_id, number)
            manual, count = manual + EXPLORE_POINTS, count + 1
        else:
            cells.append(_plain(cell))
    if not count:
        raise ValueError(f"{name} has no exercises to grade")
    summary = Assignment(name, auto, manual, count)
    cells = _with_header(cells, summary)
    # Saved widget views hold the course run's values and outputs: the student runs the cells.
    metadata = {k: v for k, v in nb.metadata.items() if k != "widgets"}
    new = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    new.nbformat, new.nbformat_minor = nb.nbformat, nb.nbformat_minor
    return new, summary


def _unique(grade_id, ids):
    base, k = grade_id, 1
    while grade_id in ids:
        k += 1
        grade_id = f"{base}-{k}"
    ids.add(grade_id)
    return grade_id


def _plain(cell):
    import nbformat

    copy = nbformat.from_dict(cell)
    copy.metadata.pop("nbgrader", None)
    return copy


def _meta(grade_id, *, grade, solution, locked, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _lines(text):
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _exercise(exercise, solution, grade_id, name):
    """(answer cell, test cell, points) from an exercise cell and its reference solution."""
    import nbformat

    asked, solved = _lines(exercise.source), _lines(solution.source)
    shared = 0
    while shared < min(len(asked), len(solved)) and _code(asked[-1 - shared]) == _code(
        solved[-1 - shared]
    ):
        shared += 1
    check = _lines("\n".join(asked[len(asked) - shared :]))
    stub = _lines("\n".join(asked[: len(asked) - shared]))
    answer = _lines("\n".join(solved[: len(solved) - shared]))
    while answer and answer[0].startswith("# Reference solution"):
        answer.pop(0)
    where = f"{name}, {grade_id}"
    if not check or not _checker_calls(check):
        raise ValueError(f"{where}: the exercise and its solution must end with the same check")
    if not answer:
        raise ValueError(f"{where}: the solution cell adds nothing to the exercise")
    answer_cell = nbformat.v4.new_code_cell("\n".join([*stub, BEGIN, *answer, END]))
    answer_cell.metadata.update(
        _meta(f"{grade_id}-answer", grade=False, solution=True, locked=False)
    )
    writes_function = "raise NotImplementedError" in exercise.source
    points = FUNCTION_POINTS if writes_function else ANSWER_POINTS
    hidden = _hidden_tests(check)
    tests = [*check, "", BEGIN_HIDDEN, *hidden, END_HIDDEN]
    test_cell = nbformat.v4.new_code_cell("\n".join(tests))
    test_cell.metadata.update(
        _meta(f"{grade_id}-tests", grade=True, solution=False, locked=True, points=points)
    )
    return answer_cell, test_cell, points


def _code(line):
    """A line without its trailing comment (written as "  # ...") or trailing spaces."""
    return re.sub(r"\s+# .*$", "", line).rstrip()


def _is_checker(func):
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name.startswith("check_")


def _checker_calls(lines):
    tree = ast.parse("\n".join(lines))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_checker(n.func)]


class _ToGraded(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        if not _is_checker(node.func):
            return node
        return ast.Call(ast.Name("graded", ast.Load()), [node.func, *node.args], node.keywords)


def _hidden_tests(check):
    """The check again, each checker call through ``graded`` (fails unless correct)."""
    tree = _ToGraded().visit(ast.parse("\n".join(check)))
    body = ast.unparse(ast.fix_missing_locations(tree))
    return [
        "from lrcourse.classroom import graded",
        "",
        *body.splitlines(),
        'print("Hidden tests passed.")',
    ]


def _explore(cell, grade_id, number):
    """A code cell for the student's exploration and a markdown answer graded by hand."""
    import nbformat

    code = _lines(cell.source)
    while code and code[0].startswith("# Model answer"):
        code.pop(0)
    explore = nbformat.v4.new_code_cell(
        "\n".join(
            [f"# Exercise {number}: room for the code behind your answer.", BEGIN, *code, END]
        )
    )
    explore.metadata.update(_meta(f"{grade_id}-code", grade=False, solution=True, locked=False))
    printed = "".join(
        o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
    ).strip()
    model = ["**Model answer** (the course's reference run, above):"]
    model += ["", "```", *printed.splitlines(), "```"] if printed else []
    text = [
        f"**Your answer to Exercise {number}** (graded by hand, {EXPLORE_POINTS} points): "
        "say what you found, with the numbers that back it.",
        "",
        BEGIN,
        *model,
        END,
    ]
    answer = nbformat.v4.new_markdown_cell("\n".join(text))
    answer.metadata.update(
        _meta(f"{grade_id}-answer", grade=True, solution=True, locked=False, points=EXPLORE_POINTS)
    )
    return [explore, answer]


def _with_header(cells, summary):
    """The assignment note after the title, and the setting that hides answers after the first
    code cell (the notebook's setup)."""
    import nbformat

    note = nbformat.v4.new_markdown_cell(
        f"> **Graded assignment: {summary.points} points** ({summary.autograded} checked "
        f"automatically, {summary.manual} graded by hand). The checkers still give instant "
        "feedback, but they do not show the expected answers here. Grading runs the notebook "
        "from the top in a fresh kernel and reruns every check with hidden tests (other inputs, "
        "the same messages). Before you submit, run *Kernel > Restart Kernel and Run All Cells* "
        "and keep your answers in the cells that hold the placeholders."
    )
    mode = nbformat.v4.new_code_cell(
        "from lrcourse.exercises import reveal_answers\n\n"
        "reveal_answers(False)  # a graded assignment: the checkers keep the answers to themselves"
    )
    mode.metadata.update(_meta("graded-mode", grade=False, solution=False, locked=True))
    first_code = next(i for i, c in enumerate(cells) if c.cell_type == "code")
    title = 1 if cells[0].cell_type == "markdown" else 0
    return [*cells[:title], note, *cells[title : first_code + 1], mode, *cells[first_code + 1 :]]


def _nbgrader_config():
    """The text of ``nbgrader_config.py`` for the course."""
    return f'''"""nbgrader configuration for the course "Learning Rates, Hands-On".

Written by `python -m lrcourse classroom build`; edit freely (a rebuild overwrites it).
"""

import os

c = get_config()  # noqa: F821 (nbgrader defines it)

c.CourseDirectory.course_id = "{COURSE_ID}"

# The solution regions become nothing: the student keeps the exercise's own placeholders
# ("answer = ...", "raise NotImplementedError"), which the checkers answer with "not attempted".
c.ClearSolutions.code_stub = {{"python": ""}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# One cell of a Keras notebook trains for minutes on 2 cores; an endless loop in a student's
# function is stopped by the checker itself after 30 s (lrcourse.exercises.TIME_LIMIT) and costs
# that test cell's points only.
c.Execute.timeout = {CELL_TIMEOUT}
c.Execute.interrupt_on_timeout = True

# The kernel the notebooks name: it must be the Python where lrcourse is installed.
c.Execute.kernel_name = "{KERNEL}"

# Exchange-less collection: files named <student id>__<notebook>.ipynb, downloaded from a
# learning platform into downloaded/<assignment>/archive/, then `nbgrader zip_collect`.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.zipcollect.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9.@-]+)__(?P<file_id>[^/]+\\.ipynb)$"
)

# No network: the notebooks read only data shipped inside lrcourse. The kernels inherit this
# environment; it keeps the libraries from calling home.
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
'''


def main(argv=None):
    """``python -m lrcourse classroom build DIR [NOTEBOOK ...] [--notebooks SRC]``."""
    args = sys.argv[1:] if argv is None else argv
    if not isinstance(args, list | tuple) or not all(isinstance(a, str) for a in args):
        raise ValueError(f"argv must be a list of strings, got {args!r}")
    args = list(args)
    usage = (
        "usage: python -m lrcourse classroom build DIR [NOTEBOOK ...] [--notebooks SRC]\n"
        "  DIR       the nbgrader course directory to write (created if needed)\n"
        "  NOTEBOOK  numbers or names of the notebooks to build (default: all with exercises)\n"
        "  SRC       the course's notebooks/ directory (default: the clone's)"
    )
    if not args or args[0] in {"-h", "--help"}:
        print(usage)
        return 0
    if args[0] != "build" or len(args) < 2:
        print(usage, file=sys.stderr)
        return 2
    source = None
    if "--notebooks" in args:
        k = args.index("--notebooks")
        if k + 1 >= len(args):
            print("--notebooks needs a directory", file=sys.stderr)
            return 2
        source = args[k + 1]
        del args[k : k + 2]
    try:
        built = build_course(args[1], args[2:] or None, source=source)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(a.name) for a in built)
    print(f"{'assignment':{width}}  auto  by hand  total")
    for a in built:
        print(f"{a.name:{width}}  {a.autograded:4d}  {a.manual:7d}  {a.points:5d}")
    print(f"wrote {len(built)} assignments and nbgrader_config.py to {args[1]}")
    return 0
