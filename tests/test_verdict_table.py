"""Notebook 24's verdict table stays true to the notebooks it quotes, and lrcourse.citations reads
what ``compare`` printed.

The notebook lists every figure it quoted, with the notebook and the cell it came from (its
section 9). These tests read those quotes from its saved output and check each one, without
lrcourse.citations, against the saved output of the cell it names: a notebook run again with a
different result, or a cell renamed, makes them fail until notebook 24 is run again.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from _notebooks import joined, load, shown

from lrcourse.citations import Sources, parse_comparisons
from lrcourse.evidence import BETTER, NO_DIFFERENCE, WORSE, compare

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
VERDICT_TABLE = NOTEBOOKS / "24_verdict_table.ipynb"
QUOTE = re.compile(r"(\d\d[a-z]?_[\w]+\.ipynb)#cell-id=([A-Za-z0-9_-]+): (.+)")
CELL_LINK = re.compile(r"\]\((\d\d[a-z]?_[^)\s#]*\.ipynb)#cell-id=([^)\s]+)\)")
ROW = re.compile(
    r".+ [+-]?\d+\.\d{4} [+-]\d+\.\d{4} \[[+-]\d+\.\d{4}, [+-]\d+\.\d{4}\] \d+/\d+ (.+)"
)
SEEDS = re.compile(r"\) over (\d+) seeds, paired with the baseline ")
DECIMAL = re.compile(r"(?<![\w.,])[+-]?(?:\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+)(?![\w.])")
ARTICLE_ROWS = ("learning-rate decay", "RMSProp", "Adam", "Adagrad", "Adadelta", "PBT")


def squeeze(text):
    return " ".join(text.split())


def cells_by_id(path):
    return {cell["id"]: cell for cell in load(path)["cells"]}


TABLE = cells_by_id(VERDICT_TABLE)


def quotes():
    lines = shown(TABLE["sources"]).splitlines()
    return [QUOTE.fullmatch(line).groups() for line in lines[1:] if line.strip()]


def test_the_notebook_lists_its_quotes_one_a_line():
    lines = [line for line in shown(TABLE["sources"]).splitlines() if line.strip()]
    count = re.match(r"(\d+) quotes from (\d+) cells of (\d+) notebooks", lines[0])
    assert count, lines[0]
    assert all(QUOTE.fullmatch(line) for line in lines[1:]), "a quote line is not file#cell: text"
    assert int(count[1]) == len(lines) - 1 >= 40
    files = {notebook for notebook, _, _ in quotes()}
    assert int(count[3]) == len(files)
    for number in ("06", "09", "12"):  # the notebooks that quote and test the article
        assert any(f.startswith(number) for f in files), number


@pytest.mark.parametrize(("notebook", "cell", "text"), quotes(), ids=lambda v: str(v)[:40])
def test_every_quote_is_still_in_the_cell_it_names(notebook, cell, text):
    path = NOTEBOOKS / notebook
    assert path.exists(), f"{notebook} is gone"
    cells = cells_by_id(path)
    assert cell in cells, f"{notebook} has no cell {cell!r} any more"
    assert squeeze(text) in squeeze(shown(cells[cell])), (
        f"{notebook}#cell-id={cell} no longer shows {text!r}: run notebook 24 again"
    )


def test_every_quoted_ranking_is_a_verdict_in_fixed_words_over_five_seeds_or_more():
    texts = [text for _, _, text in quotes()]
    headers = [SEEDS.search(text) for text in texts if SEEDS.search(text)]
    rows = [ROW.fullmatch(text) for text in texts if ROW.fullmatch(text)]
    assert len(headers) >= 10 and len(rows) >= 20
    assert all(int(header[1]) >= 5 for header in headers)
    assert {row[1] for row in rows} <= {BETTER, WORSE, NO_DIFFERENCE}


def test_every_link_to_a_cell_opens_an_existing_cell():
    texts = [joined(c["source"]) for c in TABLE.values() if c["cell_type"] == "markdown"]
    texts += [shown(c) for c in TABLE.values() if c["cell_type"] == "code"]
    links = {link for text in texts for link in CELL_LINK.findall(text)}
    assert len(links) >= 15
    for notebook, cell in sorted(links):
        assert (NOTEBOOKS / notebook).exists(), notebook
        assert cell in cells_by_id(NOTEBOOKS / notebook), f"{notebook}#cell-id={cell}"


def test_each_row_of_the_article_has_a_verdict_or_says_it_has_none():
    table = shown(TABLE["verdict-table"])
    for method in ARTICLE_ROWS:
        row = next(line for line in table.splitlines() if line.startswith(f"| **{method}** |"))
        result = row.split(" | ")[3]
        assert "#cell-id=" in result or "not measured" in result, method
        verdicts = re.findall(r"\*\*([a-z ]+)\*\*", result)
        assert set(verdicts) <= {BETTER, WORSE, NO_DIFFERENCE}, (method, verdicts)


def test_the_pbt_row_reads_notebook_22_when_it_has_its_verdict():
    path = next(NOTEBOOKS.glob("22_*.ipynb"), None)
    cells = cells_by_id(path) if path else {}
    ready = all(
        shown(cells[cell]).strip() if cell in cells else False
        for cell in ("pbt-verdict", "pbt-cost")
    )
    cited = {cell for notebook, cell, _ in quotes() if notebook.startswith("22_")}
    assert ready == ({"pbt-verdict", "pbt-cost"} <= cited), "run notebook 24 again after 22"
    pbt_row = next(line for line in shown(TABLE["verdict-table"]).splitlines() if "**PBT**" in line)
    assert ("22_pbt" in pbt_row) == ready


def test_the_rerun_here_gave_notebook_09s_table():
    assert "the same table as notebook 09 saved: True" in shown(TABLE["rerun"])


def test_every_decimal_in_the_prose_was_printed_by_a_cell():
    outputs = squeeze(" ".join(shown(c) for c in TABLE.values() if c["cell_type"] == "code"))
    prose = []
    for cell in TABLE.values():
        if cell["cell_type"] == "markdown":
            prose.append(joined(cell["source"]).split("## References")[0])
    missing = sorted({n for text in prose for n in DECIMAL.findall(text) if n not in outputs})
    assert not missing, f"numbers in the prose that no output shows: {missing}"


# ------------------------------------------------------------------ lrcourse.citations itself


def comparison(n_methods=3, *, diverged=False, higher=False):
    rng = np.random.default_rng(n_methods)
    scores = {"baseline 'quoted'": rng.normal(1.0, 0.1, 5)}
    for i in range(n_methods):
        scores[f"method {i}"] = scores["baseline 'quoted'"] + rng.normal(0.05 * (i - 1), 0.02, 5)
    if diverged:
        scores["broken"] = np.array([1.0, np.inf, 1.0, 1.0, 1.0])
    return compare(scores, "baseline 'quoted'", lower_is_better=not higher, metric="loss, x (y)")


@pytest.mark.parametrize("case", ["one", "several", "diverged", "higher"])
def test_a_printed_comparison_reads_back_as_printed(case):
    made = {
        "one": comparison(1),
        "several": comparison(4),
        "diverged": comparison(2, diverged=True),
        "higher": comparison(3, higher=True),
    }[case]
    text = f"before\n{made}\n\nbetween\n{comparison(2)}\nafter"
    first, second = parse_comparisons(text)
    assert str(first) == str(made) and str(second) == str(comparison(2))
    assert [row.verdict for row in first.rows] == [row.verdict for row in made.rows]
    assert first.baseline == made.baseline and first.n_seeds == 5
    assert first.lower_is_better == made.lower_is_better


def test_text_without_a_table_gives_none_and_a_cut_table_is_refused():
    assert parse_comparisons("no table here\nmethod  mean") == ()
    printed = str(comparison(2)).splitlines()
    printed[2] = printed[2].replace(" 1/5 ", " 1/5  ") + " "  # no longer as compare prints it
    with pytest.raises(ValueError, match="text"):
        parse_comparisons("\n".join(printed))
    with pytest.raises(ValueError, match="text"):
        parse_comparisons(None)


def notebook(cells):
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def code(cell_id, *texts):
    outputs = [{"output_type": "stream", "name": "stdout", "text": t} for t in texts]
    return {"cell_type": "code", "id": cell_id, "source": "", "outputs": outputs,
            "metadata": {}, "execution_count": 1}  # fmt: skip


def markdown(cell_id, text):
    return {"cell_type": "markdown", "id": cell_id, "source": text, "metadata": {}}


@pytest.fixture
def course(tmp_path):
    cells = [
        markdown("intro", "# 07 · A notebook\n## 2. A section\n### (b) A part"),
        code("race", "a line\n", f"{comparison(2)}\n", "cost: 3 rates x 5 seeds\n"),
        code("unrun"),
        markdown("claim", 'Text.\n\n> **The article says:** ("An article") it works.\n>\n> more'),
    ]
    (tmp_path / "07_a_notebook.ipynb").write_text(json.dumps(notebook(cells)))
    return Sources(tmp_path)


def test_sources_read_quote_and_record(course):
    assert "cost: 3 rates" in course.read("07", "race") and course.read(7, "race")
    assert course.quote("07", "race", "cost:   3 rates\nx 5") == "cost:   3 rates\nx 5"
    assert course.find("07", "race", r"(\d+) rates x (\d+) seeds")[2] == "5"
    assert course.article_says("07", "claim") == '("An article") it works.'
    row = course.row("07", "race", "method 1")
    assert row.verdict == comparison(2).verdict("method 1")
    assert course.quotes[0] == ("07_a_notebook.ipynb", "race", "cost: 3 rates x 5")
    assert len(course.quotes) == len(set(course.quotes)) == 5


def test_sources_link_and_section(course):
    assert course.section("07", "race") == "§2 b"
    assert course.link("07", "race") == "[07 §2 b](07_a_notebook.ipynb#cell-id=race)"
    assert course.link("07", "claim", "here").endswith("(07_a_notebook.ipynb#cell-id=claim)")
    assert course.available("07") and course.available("07", "race")
    assert not course.available("07", "unrun") and not course.available("08")


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda s: s.read("08", "race"), "notebook"),
        (lambda s: s.read("7", "race"), "notebook"),
        (lambda s: s.read(True, "race"), "notebook"),
        (lambda s: s.read(100, "race"), "notebook"),
        (lambda s: s.read("07", "missing"), "cell"),
        (lambda s: s.read("07", "unrun"), "no saved text output"),
        (lambda s: s.quote("07", "race", "not printed"), "text"),
        (lambda s: s.find("07", "race", "(unclosed"), "pattern"),
        (lambda s: s.find("07", "race", "absent"), "pattern"),
        (lambda s: s.comparison("07", "race", 1), "index"),
        (lambda s: s.row("07", "race", "method 9"), "name"),
        (lambda s: s.article_says("07", "race"), "cell"),
        (lambda s: s.link("07", "race", "a [b]"), "label"),
    ],
)
def test_sources_refuse_with_a_clear_error(course, call, word):
    with pytest.raises(ValueError, match=re.escape(word)):
        call(course)


def test_sources_need_an_existing_folder_and_one_notebook_a_number(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        Sources(tmp_path / "nowhere")
    for name in ("07_one.ipynb", "07_two.ipynb"):
        (tmp_path / name).write_text(json.dumps(notebook([])))
    with pytest.raises(ValueError, match="07_one.ipynb, 07_two.ipynb"):
        Sources(tmp_path).path("07")
    (tmp_path / "08_broken.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read"):
        Sources(tmp_path).read("08", "x")


def test_every_comparison_the_course_printed_reads_back():
    found = 0
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb")):
        for cell in load(path)["cells"]:
            text = shown(cell) if cell["cell_type"] == "code" else ""
            tables = parse_comparisons(text) if text.strip() else ()
            lines = text.splitlines()
            pairs = zip(lines, lines[1:], strict=False)  # a comparison's first line, its heads
            printed = sum("is better) over" in a and b.startswith("method ") for a, b in pairs)
            assert len(tables) == printed, (path.name, cell["id"])
            found += len(tables)
    assert found >= 40


def test_sources_read_a_notebook_in_parts_by_its_letter(tmp_path):
    for part in "ab":
        title = markdown("intro", f"# 26{part} · Part {part}\n## 1. A section")
        cells = [title, code("out", "x\n")]
        (tmp_path / f"26{part}_part.ipynb").write_text(json.dumps(notebook(cells)))
    sources = Sources(tmp_path)
    assert sources.link("26b", "out") == "[26b §1](26b_part.ipynb#cell-id=out)"
    assert sources.read("26a", "out") == "x\n"
    for wrong in ("26", "26c", "26ab", "26A"):
        with pytest.raises(ValueError, match="notebook"):
            sources.read(wrong, "out")
