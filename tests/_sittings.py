"""How long a notebook takes a learner in one sitting: the estimate its header states.

The model: 120 words of markdown a minute; 1 minute for each code cell, 5 for an exercise's
reference solution (the time to solve it), 8 for an explore exercise's model answer. A section
whose heading is followed by a "> **Optional" box, and an explore exercise (from its statement to
the next exercise or section), count as optional: the header gives their minutes separately.
"""

import json
import re

WORDS_PER_MINUTE = 120
CELL_MINUTES = {"solution": 5, "model-answer": 8}
EXPLORE = re.compile(r"\*\*Exercise \d+ \(explore\)\.\*\*")
EXERCISE = re.compile(r"\*\*Exercise \d+\.\*\*")
STATED = re.compile(
    r"\*\*Time:\*\* about (\d+) minutes(?: \(and about (\d+) more for the optional parts\))?\."
)


def _text(source):
    return "".join(source) if isinstance(source, list) else source


def walk(nb):
    """Each markdown line and each code cell of a notebook, in order, as ``(kind, item, skippable,
    box)``: kind "line" (item: the text) or "code" (item: the cell); skippable when it lies in an
    optional section or an explore exercise; box: the optional section's box, or None."""
    box, in_explore = None, False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            lines = _text(cell["source"]).splitlines()
            for i, line in enumerate(lines):
                if line.startswith("## "):
                    following = next((x for x in lines[i + 1 :] if x.strip()), "")
                    box = following if following.startswith("> **Optional") else None
                    in_explore = False
                if EXPLORE.search(line):
                    in_explore = True
                elif EXERCISE.search(line):
                    in_explore = False
                yield "line", line, box is not None or in_explore, box
        elif cell["cell_type"] == "code":
            yield "code", cell, box is not None or in_explore, box


def minutes(nb):
    """(core, optional) minutes of a notebook (a dict read from its .ipynb file)."""
    core = optional = 0.0
    for kind, item, skippable, _ in walk(nb):
        if kind == "line":
            cost = len(item.split()) / WORDS_PER_MINUTE
        else:
            tags = item.get("metadata", {}).get("tags", [])
            cost = next((CELL_MINUTES[t] for t in CELL_MINUTES if t in tags), 1)
        if skippable:
            optional += cost
        else:
            core += cost
    return core, optional


def rounded(value):
    """To the nearest 5 minutes, at least 5."""
    return max(5, 5 * round(value / 5))


def statement(nb):
    """The header's sentence for this notebook."""
    core, optional = minutes(nb)
    extra = (
        f" (and about {rounded(optional)} more for the optional parts)" if optional >= 2.5 else ""
    )
    return f"**Time:** about {rounded(core)} minutes{extra}."


def write_statement(path):
    """Put (or update) the statement in the header of the notebook at ``path``."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = nb["cells"][0]
    text = _text(first["source"])
    line = statement(nb)
    if STATED.search(text):
        text = STATED.sub(line, text)
    else:
        words = "\n\n**Words and symbols:**"
        text = text.replace(words, f"\n\n{line}{words}", 1)
    first["source"] = text.splitlines(True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    write = "--write" in sys.argv
    for name in [a for a in sys.argv[1:] if a != "--write"]:
        path = Path(name)
        if write:
            write_statement(path)
        nb = json.loads(path.read_text(encoding="utf-8"))
        core, optional = minutes(nb)
        print(f"{path.name[:40]:40s} core {core:5.1f}  optional {optional:5.1f}  {statement(nb)}")
