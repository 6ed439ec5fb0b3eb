"""Figures read from the saved outputs of the course's notebooks, by notebook and cell id.

A claim made in one notebook about a run made in another quotes the run's saved output instead of
copying its numbers by hand, so a re-run that changes a number cannot leave the claim stale:
:class:`Sources` finds a notebook by its two-digit number, a cell by its id, and reads what the
cell showed when the notebook last ran. It records every quote it checked (:attr:`Sources.quotes`)
so that they can be listed and checked again later.

:func:`parse_comparisons` turns a table printed by :func:`lrcourse.evidence.compare` back into the
:class:`lrcourse.evidence.Comparison` it came from, to the printed digits.
"""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path

from lrcourse import _checks
from lrcourse.evidence import Comparison, Row

__all__ = ["Sources", "parse_comparisons"]

MAX_TEXT = 10_000_000  # characters: far more than any notebook's saved output

_HEADER = re.compile(
    r"(?P<metric>.+) \((?P<goal>lower|higher) is better\) over (?P<n>\d+) seeds, paired with the "
    r"baseline (?P<baseline>'[^\n]*'|\"[^\n]*\") \(mean (?P<mean>\S+)\); (?P<level>[\d.]+)% "
    r"intervals(?P<several> \(corrected for several methods\))?"
)
_NUMBER = r"[+-]?\d+\.\d+"
_ROW = re.compile(
    rf"(?P<mean>{_NUMBER})\s+(?P<difference>{_NUMBER})\s+\[(?P<low>{_NUMBER}), "
    rf"(?P<high>{_NUMBER})\]\s+(?P<wins>\d+)/(?P<n>\d+)\s+(?P<verdict>\S.*)"
)
_DIVERGED = re.compile(r"(?P<wins>\d+)/(?P<n>\d+)\s+(?P<verdict>diverged on \d+ of \d+ seeds)")
_SECTION = re.compile(r"## (\d+)\. ")
_SUBSECTION = re.compile(r"### \((\w)\) ")
_ARTICLE = re.compile(r"^> \*\*The article says:\*\* (?P<text>.+)$", re.MULTILINE)


def parse_comparisons(text):
    """Every comparison table that ``print(compare(...))`` wrote into ``text``, in order, as
    :class:`lrcourse.evidence.Comparison` objects holding the printed (rounded) numbers.

    Each table is printed again from what was read and must give back the same lines: a table
    that does not (an edited or cut one) raises ValueError rather than being misread. Returns a
    tuple, empty when ``text`` holds no table.
    """
    lines = _text("text", text).splitlines()
    found, i = [], 0
    while i < len(lines):
        header = _HEADER.fullmatch(lines[i])
        if header is None or i + 1 >= len(lines) or not lines[i + 1].startswith("method "):
            i += 1
            continue
        width = lines[i + 1].find("    mean") - 2  # the name column is padded to this width
        rows, j = [], i + 2
        while j < len(lines) and (row := _row(lines[j], width)) is not None:
            rows.append(row)
            j += 1
        if not rows:
            raise ValueError(f"text: the comparison table at line {i + 1} has no row to read")
        try:
            comparison = _comparison(header, rows)
        except (ValueError, SyntaxError) as exc:  # a baseline's quotes or a count out of range
            raise ValueError(
                f"text: the comparison at line {i + 1} cannot be read: {exc}"
            ) from None
        printed = comparison.table().splitlines()
        if printed != lines[i:j]:
            raise ValueError(
                f"text: the comparison table at line {i + 1} does not read back as printed "
                f"(first differing line: {_first_difference(printed, lines[i:j])!r})"
            )
        found.append(comparison)
        i = j
    return tuple(found)


class Sources:
    """The course's notebooks in ``directory``, read by their saved outputs.

    A notebook is named by its number (``"09"`` or ``9``), a cell by its id. What a cell shows is
    its saved text output (a code cell) or its text (a markdown cell). What ``quote``, ``find``,
    ``comparison``, ``row`` and ``article_says`` return is checked against the notebook, and the
    text they read is recorded in :attr:`quotes`.
    """

    def __init__(self, directory="."):
        if not isinstance(directory, str | Path) or not Path(directory).is_dir():
            raise ValueError(
                f"directory must be an existing folder, got {_checks._brief(directory)}"
            )
        self.directory = Path(directory)
        self._loaded = {}
        self._quotes = []

    @property
    def quotes(self):
        """Every quote checked so far: ``(notebook file, cell id, text)``, in order, no repeats."""
        return tuple(self._quotes)

    def path(self, notebook):
        """The file of notebook ``notebook`` (ValueError when there is none)."""
        number = _number(notebook)
        matches = sorted(self.directory.glob(f"{number}_*.ipynb"))
        if len(matches) != 1:
            found = "none" if not matches else ", ".join(p.name for p in matches)
            raise ValueError(
                f"notebook must name one notebook {number}_*.ipynb in {self.directory}, "
                f"found {found}"
            )
        return matches[0]

    def available(self, notebook, cell=None):
        """Whether notebook ``notebook`` exists and, when ``cell`` is given, has that cell with
        something to read (a markdown cell, or a code cell with a saved output)."""
        number = _number(notebook)
        if cell is not None:
            _text("cell", cell)
        if len(list(self.directory.glob(f"{number}_*.ipynb"))) != 1:
            return False
        if cell is None:
            return True
        try:
            self.read(number, cell)
        except ValueError:
            return False
        return True

    def read(self, notebook, cell):
        """What cell ``cell`` of notebook ``notebook`` shows a reader: its saved text output (a
        code cell; ValueError when it has none) or its text (a markdown cell)."""
        path = self.path(notebook)
        _text("cell", cell)
        cells = {c.get("id"): c for c in self._load(path)["cells"] if isinstance(c, dict)}
        if cell not in cells:
            raise ValueError(f"cell must be a cell id of notebook {path.name}, got {cell!r}")
        found = cells[cell]
        if found["cell_type"] != "code":
            return _joined(found.get("source", ""))
        shown = "".join(_output_text(output) for output in found.get("outputs", []))
        if not shown.strip():
            raise ValueError(
                f"{_where(path, cell)} has no saved text output: run that notebook first"
            )
        return shown

    def section(self, notebook, cell):
        """Where the cell stands, as a reader would cite it: ``"§4"`` under a heading
        ``## 4. ...``, ``"§1 c"`` under ``### (c) ...``, else the heading's words."""
        path = self.path(notebook)
        self.read(notebook, cell)
        where = ""
        for found in self._load(path)["cells"]:
            lines = _joined(found.get("source", "")).splitlines()
            if found.get("id") == cell:
                lines = lines[:1]  # a heading that opens the cell itself
            for line in lines if found["cell_type"] == "markdown" else ():
                if numbered := _SECTION.match(line):
                    where = f"§{numbered[1]}"
                elif line.startswith("## "):
                    where = line[3:].strip()
                elif (lettered := _SUBSECTION.match(line)) and where.startswith("§"):
                    where = f"{where.split()[0]} {lettered[1]}"
            if found.get("id") == cell:
                return where or "top"
        raise AssertionError("unreachable: read() found the cell")

    def link(self, notebook, cell, label=None):
        """A markdown link to the cell, ``[label](file#cell-id=cell)``, which JupyterLab opens
        at the cell; the label defaults to the notebook's number and the cell's section."""
        path = self.path(notebook)
        self.read(notebook, cell)  # the cell exists and shows something
        if label is None:
            label = f"{path.name.split('_', 1)[0]} {self.section(notebook, cell)}"
        label = _text("label", label)
        if any(c in label for c in "[]\n"):
            raise ValueError(f"label must be one line without brackets, got {label!r}")
        return f"[{label}]({path.name}#cell-id={cell})"

    def quote(self, notebook, cell, text):
        """``text`` after checking that the cell shows it (spaces and line breaks aside)."""
        shown = self.read(notebook, cell)
        wanted = _squeeze(_text("text", text))
        if wanted not in _squeeze(shown):
            raise ValueError(
                f"text {wanted[:80]!r} is not in what {_where(self.path(notebook), cell)} shows"
            )
        self._record(notebook, cell, wanted)
        return text

    def find(self, notebook, cell, pattern):
        """The first match of the regular expression ``pattern`` in what the cell shows (a
        ``re.Match``: read the numbers from its groups); the matched text is recorded."""
        _text("pattern", pattern)
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern must be a regular expression: {exc}") from None
        match = compiled.search(self.read(notebook, cell))
        if match is None:
            where = _where(self.path(notebook), cell)
            raise ValueError(f"pattern {pattern!r} matches nothing in what {where} shows")
        self.quote(notebook, cell, match.group(0))
        return match

    def comparison(self, notebook, cell, index=0):
        """The ``index``-th comparison table the cell printed, as a Comparison (its first line,
        with the baseline and its mean, is recorded)."""
        tables = parse_comparisons(self.read(notebook, cell))
        index = _checks.count("index", index, minimum=0, maximum=1000)
        if index >= len(tables):
            raise ValueError(
                f"index must be below the {len(tables)} comparison table(s) printed by "
                f"{_where(self.path(notebook), cell)}, got {index}"
            )
        found = tables[index]
        self.quote(notebook, cell, found.table().splitlines()[0])
        return found

    def row(self, notebook, cell, name, index=0):
        """Method ``name``'s Row of the ``index``-th comparison the cell printed; its line and
        the table's first line are recorded."""
        found = self.comparison(notebook, cell, index)
        names = [r.name for r in found.rows]
        _checks.choice("name", name, names)
        self.quote(notebook, cell, found.table().splitlines()[2 + names.index(name)])
        return found.row(name)

    def article_says(self, notebook, cell):
        """The article's words as a markdown cell quotes them after "> **The article says:**"."""
        match = _ARTICLE.search(self.read(notebook, cell))
        if match is None:
            where = _where(self.path(notebook), cell)
            raise ValueError(f"cell must quote an article ('> **The article says:** ...'): {where}")
        return self.quote(notebook, cell, match.group("text").strip())

    def _record(self, notebook, cell, text):
        quote = (self.path(notebook).name, cell, text)
        if quote not in self._quotes:
            self._quotes.append(quote)

    def _load(self, path):
        key = (path, path.stat().st_mtime_ns)
        if key not in self._loaded:
            try:
                self._loaded[key] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"notebook {path.name} cannot be read: {exc}") from None
            if not isinstance(self._loaded[key].get("cells"), list):
                raise ValueError(f"notebook {path.name} has no list of cells")
        return self._loaded[key]


def _number(notebook):
    if isinstance(notebook, int) and not isinstance(notebook, bool) and 0 <= notebook <= 99:
        return f"{notebook:02d}"
    if isinstance(notebook, str) and re.fullmatch(r"\d\d[a-z]?", notebook):
        return notebook
    raise ValueError(
        f"notebook must be a notebook number: two digits such as '09' (a letter after them for "
        f"a notebook in parts, such as '26a'), or 0 to 99; "
        f"got {_checks._brief(notebook)}"
    )


def _where(path, cell):
    return f"cell {cell!r} of notebook {path.name}"


def _text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {_checks._brief(value)}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name} must hold at most {MAX_TEXT:,} characters, got {len(value):,}")
    return value


def _joined(source):
    return "".join(source) if isinstance(source, list) else str(source)


def _output_text(output):
    """The text a reader sees of one output: a stream, or the richest text of a display."""
    if output.get("output_type") == "stream":
        return _joined(output.get("text", ""))
    data = output.get("data", {})
    for mime in ("text/markdown", "text/plain"):
        if mime in data:
            return _joined(data[mime]).rstrip("\n") + "\n"
    return ""


def _squeeze(text):
    return " ".join(text.split())


def _row(line, width):
    """One printed row of a comparison, or None when ``line`` is not one."""
    if width < 1 or len(line) <= width + 2 or line[width : width + 2] != "  ":
        return None
    name, rest = line[:width].rstrip(), line[width + 2 :].strip()
    if not name:
        return None
    if diverged := _DIVERGED.fullmatch(rest):
        nan = math.nan
        return Row(name, nan, nan, nan, nan, int(diverged["wins"]), diverged["verdict"])
    if (match := _ROW.fullmatch(rest)) is None:
        return None
    numbers = [float(match[key]) for key in ("mean", "difference", "low", "high")]
    try:
        return Row(name, *numbers, int(match["wins"]), match["verdict"])
    except ValueError:  # not a verdict in the fixed words, or numbers out of order
        return None


def _comparison(header, rows):
    several = header["several"] is not None
    if several != (len(rows) > 1):
        raise ValueError("text: a comparison's header and its number of rows disagree")
    return Comparison(
        baseline=ast.literal_eval(header["baseline"]),
        baseline_mean=float(header["mean"]),
        rows=tuple(rows),
        n_seeds=int(header["n"]),
        level=float(header["level"]) / 100,
        metric=header["metric"],
        lower_is_better=header["goal"] == "lower",
    )


def _first_difference(printed, read):
    for a, b in zip(printed, read, strict=False):
        if a != b:
            return b
    return read[len(printed)] if len(read) > len(printed) else "(the table ends early)"
