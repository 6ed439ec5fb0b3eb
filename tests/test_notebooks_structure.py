"""Every notebook carries the course skeleton and was saved cleanly executed, top to bottom."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
LINK = re.compile(r"\]\((\d\d[a-z]?_[^)\s#]*\.ipynb)(?:#[^)\s]*)?\)")
ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def markdown(nb):
    return [source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def output_texts(output):
    """Every text an output shows a reader (images and widget state excluded)."""
    if output["output_type"] == "stream":
        yield source({"source": output.get("text", "")})
    elif output["output_type"] == "error":
        yield "\n".join(output.get("traceback", []))
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/"):
            yield source({"source": value})


@pytest.fixture(params=PATHS, ids=[p.stem for p in PATHS], scope="module")
def notebook(request):
    return request.param, load(request.param)


def test_there_are_notebooks():
    assert [p.name for p in PATHS][:3] == [
        "00_welcome.ipynb",
        "01_gradient_descent.ipynb",
        "02_local_optima_and_saddles.ipynb",
    ]


def test_first_cell_is_the_title_with_promise_and_prerequisites(notebook):
    path, nb = notebook
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    text = source(first)
    assert text.startswith(f"# {path.name.split('_', 1)[0]} · ")  # "# 07 · " or "# 26a · "
    assert "You will learn" in text
    assert "Prerequisites" in text


def test_summary_and_references_sections(notebook):
    _, nb = notebook
    headings = [
        ln.strip() for text in markdown(nb) for ln in text.splitlines() if ln.startswith("## ")
    ]
    assert "## Summary" in headings and "## References" in headings
    assert headings.index("## Summary") < headings.index("## References")


def test_first_code_cell_calls_setup(notebook):
    _, nb = notebook
    assert "lrcourse.setup(" in source(code_cells(nb)[0])


def test_every_code_cell_was_executed_in_order(notebook):
    _, nb = notebook
    counts = [c.get("execution_count") for c in code_cells(nb) if source(c).strip()]
    assert None not in counts, "a code cell was never run"
    assert counts[0] == 1
    assert all(a < b for a, b in zip(counts, counts[1:], strict=False)), counts


def test_saved_outputs_are_clean(notebook):
    _, nb = notebook
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            where = f"cell {i}"
            assert output["output_type"] != "error", where
            assert output.get("name") != "stderr", where
            for text in output_texts(output):
                assert "Warning" not in text, (where, text[:200])
                assert not ADDRESS.search(text), (where, ADDRESS.search(text).group())


def test_solutions_are_hidden_and_follow_their_exercise(notebook):
    _, nb = notebook
    cells = nb["cells"]
    solutions = [i for i, c in enumerate(cells) if "solution" in c["metadata"].get("tags", [])]
    for i in solutions:
        assert cells[i]["cell_type"] == "code"
        assert cells[i]["metadata"].get("jupyter", {}).get("source_hidden") is True, f"cell {i}"
        exercise = cells[i - 1]
        assert exercise["cell_type"] == "code", f"cell {i} follows no exercise cell"
        assert "solution" not in exercise["metadata"].get("tags", [])
        assert "..." in source(exercise) or "NotImplementedError" in source(exercise), (
            f"cell {i - 1}"
        )
        before = [source(c) for c in cells[:i] if c["cell_type"] == "markdown"]
        assert before and "Exercise" in before[-1], f"cell {i}: no exercise statement above"


EXERCISE = re.compile(r"\*\*Exercise (\d+)( \(explore\))?\.\*\*")


def test_every_explore_exercise_has_a_collapsed_model_answer_that_computes(notebook):
    _, nb = notebook
    cells = nb["cells"]
    starts = [
        (i, m)
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown"
        for m in [EXERCISE.search(source(c))]
        if m
    ]
    for k, (i, match) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(cells)
        end = next((j for j in range(i + 1, end) if source(cells[j]).startswith("## ")), end)
        answers = [c for c in cells[i + 1 : end] if "model-answer" in c["metadata"].get("tags", [])]
        if not match.group(2):
            assert not answers, f"Exercise {match.group(1)} is not an explore exercise"
            continue
        assert len(answers) == 1, f"Exercise {match.group(1)} (explore): one model answer"
        cell = answers[0]
        assert cell["cell_type"] == "code" and cell["outputs"], "the model answer computes"
        assert source(cell).startswith(f"# Model answer (Exercise {match.group(1)})")
        hidden = cell["metadata"].get("jupyter", {})
        assert hidden.get("source_hidden") is True and hidden.get("outputs_hidden") is True


def test_no_learner_cell_shows_an_answer_in_its_output(notebook):
    """A learner's exercise cell (followed by a solution) was saved unanswered: its checker says
    "not attempted", never "correct", and shows no expected value."""
    _, nb = notebook
    cells = nb["cells"]
    for i, cell in enumerate(cells[:-1]):
        if "solution" not in cells[i + 1]["metadata"].get("tags", []):
            continue
        shown = " ".join(text for out in cell.get("outputs", []) for text in output_texts(out))
        assert "Correct" not in shown and "The answer:" not in shown, f"cell {i}: {shown[:120]}"


def test_no_answer_in_sight(notebook):
    """A reference solution keeps its code (collapsed) but is saved without output: its checker's
    "Correct: ... = 0.04" would sit right under the exercise. nbval runs it without comparing;
    tests/execute_notebooks.py checks that it says "Correct" before it drops the output. Beyond
    the welcome's demonstration of the feedback, no saved output says "Correct" or reveals."""
    path, nb = notebook
    for i, cell in enumerate(nb["cells"]):
        tags = cell["metadata"].get("tags", [])
        if "solution" in tags:
            assert not cell.get("outputs"), f"cell {i}: a reference solution saved with its output"
            assert "nbval-ignore-output" in tags, f"cell {i}: nbval would expect its output"
        if path.name.startswith("00_"):
            continue
        shown = " ".join(text for out in cell.get("outputs", []) for text in output_texts(out))
        assert "✔ Correct" not in shown and "The answer:" not in shown, f"cell {i}: {shown[:120]}"


def test_links_to_existing_notebooks_point_to_real_files(notebook):
    """A link to a course notebook names a file that exists (after a rename or a split too)."""
    path, nb = notebook
    names = {p.name for p in PATHS}
    for text in markdown(nb):
        for target in LINK.findall(text):
            assert target in names, f"{path.name} links to {target}, which does not exist"


def test_the_welcome_map_links_every_notebook_and_only_those():
    welcome = load(NOTEBOOKS / "00_welcome.ipynb")
    linked = {target for text in markdown(welcome) for target in LINK.findall(text)}
    present = {p.name for p in PATHS} - {"00_welcome.ipynb"}
    assert sorted(linked - present) == [], "linked from 00_welcome but missing from notebooks/"
    assert sorted(present - linked) == [], "in notebooks/ but not on the map in 00_welcome"


def test_every_notebook_links_the_glossary(notebook):
    path, nb = notebook
    assert "](glossary.ipynb)" in source(nb["cells"][0]), f"{path.name}: no glossary link"
    glossary = load(NOTEBOOKS / "glossary.ipynb")
    headings = [line for text in markdown(glossary) for line in text.splitlines()]
    assert "## Notation" in headings and "## Terms" in headings


def test_the_header_states_the_time_a_sitting_takes(notebook):
    """The first cell gives the estimate of tests/_sittings.py (to within 5 minutes, so that a
    small edit does not force a new number): the core, and the optional parts separately."""
    import _sittings

    path, nb = notebook
    stated = _sittings.STATED.search(source(nb["cells"][0]))
    assert stated, f"{path.name}: no '**Time:** about N minutes' in the header"
    core, optional = _sittings.minutes(nb)
    assert abs(int(stated[1]) - core) <= 5, (path.name, stated[0], round(core, 1))
    if optional >= 2.5:
        assert stated[2] and abs(int(stated[2]) - optional) <= 5, (path.name, stated[0], optional)
    else:
        assert stated[2] is None, (path.name, stated[0], optional)


def _names(tree):
    """(assigned, imported, read) names of one code cell."""
    import ast

    defined, imported, read = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name):
            (defined if isinstance(node.ctx, ast.Store) else read).add(node.id)
    return defined, imported, read - defined - imported


def test_an_optional_section_names_what_later_core_cells_need(notebook):
    """A reader may skip an optional section: if a later core cell (not in an optional section or
    an explore exercise) reads a name last defined there, the box must name it (`name`), so that
    the reader knows to run that section's cells."""
    import ast

    import _sittings

    path, nb = notebook
    owner, missing = {}, []
    for kind, cell, skippable, box in _sittings.walk(nb):
        if kind != "code":
            continue
        defined, imported, read = _names(ast.parse(source(cell)))
        if not skippable:
            missing += [
                (name, owner[name][:60])
                for name in sorted(read)
                if owner.get(name) and f"`{name}`" not in owner[name]
            ]
        for name in defined:
            owner[name] = box
        for name in imported:  # importing a module again rebinds the same module
            owner[name] = owner.get(name, box)
    assert not missing, f"{path.name}: later core cells need names no box mentions: {missing}"


SECTION_REFERENCE = re.compile(r"(?<![\w.])(\d\d[a-z]?) §(\d+)")


def test_every_section_reference_names_a_section_that_exists():
    """A reference such as "09 §4", in any notebook or the glossary, names an existing section."""
    sections = {}
    for path in PATHS:
        number = path.name.split("_", 1)[0]
        headings = [line for text in markdown(load(path)) for line in text.splitlines()]
        sections[number] = {h[3:].split(".")[0] for h in headings if re.match(r"## \d+\. ", h)}
    wrong = []
    for path in [*PATHS, NOTEBOOKS / "glossary.ipynb"]:
        for text in markdown(load(path)):
            for number, section in SECTION_REFERENCE.findall(text):
                if section not in sections.get(number, ()):
                    wrong.append(f"{path.name}: {number} §{section}")
    assert not wrong, f"references to sections that do not exist: {sorted(set(wrong))}"


def test_every_notebook_fits_a_45_minute_sitting(notebook):
    """The core of a notebook (its optional deep dives and explore exercises apart) is estimated
    at 45 minutes or less, as its header then says; a longer one is split or gets optional
    sections."""
    import _sittings

    path, nb = notebook
    core, _ = _sittings.minutes(nb)
    assert _sittings.rounded(core) <= 45, f"{path.name}: about {_sittings.rounded(core)} minutes"
