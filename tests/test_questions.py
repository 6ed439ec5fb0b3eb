"""The multiple-choice questions kept out of the learners' cells: each is well formed, each is
asked by the notebook it is keyed to, and no notebook holds a question's answer in a check."""

import json
import re
from pathlib import Path

import pytest

from lrcourse.exercises import reset_tries
from lrcourse.exercises.questions import QUESTIONS, Question, check_question

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.parametrize("key", list(QUESTIONS))
def test_each_question_is_well_formed_and_answers_its_options(key):
    question = QUESTIONS[key]
    assert isinstance(question, Question) and re.fullmatch(r"\d\d[a-z]?\.\d", key)
    assert question.correct in question.options and len(set(question.options)) > 1
    assert question.explanation and question.hint
    assert check_question(question.correct, key).correct
    assert check_question(question.correct, key).message == question.explanation
    for wrong in set(question.options) - {question.correct}:
        reset_tries()  # each wrong option as a first try
        feedback = check_question(wrong, key)
        assert feedback.state == "not yet" and question.hint in feedback.message
        assert repr(question.correct) not in feedback.message  # not on a first try


@pytest.mark.parametrize("key", list(QUESTIONS))
def test_each_question_is_asked_in_its_notebook_after_its_exercise(key):
    number, exercise = key.split(".")
    path = next(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    cells = json.loads(path.read_text())["cells"]
    statement = f"**Exercise {exercise}"
    asked = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and f'"{key}")' in "".join(c["source"])
    ]
    assert len(asked) == 2, f"{key}: the learner's cell and the solution"
    before = ["".join(c["source"]) for c in cells[: asked[0]] if c["cell_type"] == "markdown"]
    assert any(statement in text for text in before[-2:]), f"{key} follows Exercise {exercise}"


def test_no_notebook_holds_a_multiple_choice_answer():
    for path in sorted(NOTEBOOKS.glob("[01][0-9]*_*.ipynb")):
        if path.name.startswith("00"):
            continue  # the welcome's demo shows how a checker is called
        text = "".join(
            "".join(c["source"])
            for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"
        )
        assert "check_choice(" not in text, path.name


def test_an_unknown_question_is_answered_not_raised():
    feedback = check_question("A", "99.9")
    assert feedback.state == "not yet" and "question must be one of" in feedback.message
    assert check_question("A", None).state == "not yet"
