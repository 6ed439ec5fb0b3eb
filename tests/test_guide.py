"""The practical guide (notebook 29): every rule is backed by runs it links to, every link to a
cell of the course lands on a cell that exists, and its reading of the new runs matches them."""

import re
from pathlib import Path

import pytest
from _notebooks import load, shown

from lrcourse.citations import parse_comparisons

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
GUIDE = NOTEBOOKS / "29_choosing_your_learning_rate.ipynb"
CELL_LINK = re.compile(r"\]\((\d\d[a-z]?_[^)\s#]*\.ipynb)#cell-id=([^)\s]+)\)")
RULE = re.compile(r"^(\d+)\. \*\*", re.MULTILINE)


def cells_by_id(nb):
    return {cell["id"]: cell for cell in nb["cells"]}


@pytest.fixture(scope="module")
def guide():
    return cells_by_id(load(GUIDE))


@pytest.mark.parametrize(
    "path", sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb")), ids=lambda p: p.stem
)
def test_links_to_a_cell_land_on_a_cell_that_exists(path):
    targets = {}
    for cell in load(path)["cells"]:
        for name, cell_id in CELL_LINK.findall(shown(cell)):
            targets.setdefault(name, set()).add(cell_id)
    for name, wanted in targets.items():
        assert (NOTEBOOKS / name).exists(), f"{path.name} links to a missing notebook {name}"
        found = cells_by_id(load(NOTEBOOKS / name))
        missing = sorted(wanted - set(found))
        assert not missing, f"{path.name} links to cells that {name} does not have: {missing}"
        for cell_id in wanted:
            assert shown(found[cell_id]).strip(), f"{name}#cell-id={cell_id} shows nothing"


@pytest.mark.parametrize(
    "rules, evidence",
    [
        ("decision-list", "decision-evidence"),
        ("sgd-momentum", "sgd-momentum-evidence"),
        ("adam", "adam-evidence"),
    ],
)
def test_every_rule_has_runs_behind_it(guide, rules, evidence):
    numbers = RULE.findall(shown(guide[rules]))
    assert numbers == [str(k) for k in range(1, len(numbers) + 1)] and len(numbers) >= 5
    table = shown(guide[evidence])
    for number in numbers:
        rows = re.findall(
            rf"^\| {number} \| .+ \| \[\d\d[a-z]? [^\]]*\]\(\d\d[a-z]?_\w+\.ipynb#cell-id=",
            table,
            re.MULTILINE,
        )
        assert rows, f"rule {number} of {rules} has no run linked in {evidence}"


def test_the_reading_of_the_new_runs_matches_them(guide):
    races = parse_comparisons(shown(guide["new-races"]))
    warmup = parse_comparisons(shown(guide["new-warmup"]))
    assert len(races) == 2 and len(warmup) == 2
    assert all(len(c.rows) == 8 and c.baseline == "constant" for c in races)
    reading = shown(guide["new-reading"])
    assert "no schedule was detected better than the optimizer's own best constant" in reading
    assert "with or without warmup" in reading
    assert not [r.name for c in races + warmup for r in c.rows if r.verdict == "better"]
    if "none was detected worse either" in reading:
        assert not [r.name for c in races + warmup for r in c.rows if r.verdict == "worse"]
    tally = shown(guide["new-tally"])
    for name, comparison in zip(("Adam", "SGD, momentum 0.9"), races, strict=True):
        worse = ", ".join(comparison.names("worse")) or "none"
        assert f"{name}: better than the best constant: none; worse: {worse}" in tally
