"""Execute the course notebooks in place, so their saved outputs are the ones nbval checks.

    python tests/execute_notebooks.py                      # every notebooks/NN_*.ipynb, in order
    python tests/execute_notebooks.py notebooks/01_*.ipynb  # only these
    python tests/execute_notebooks.py --check              # only check the saved outputs

Each notebook runs top to bottom on a fresh "python3" kernel with notebooks/ as the working
directory. Widget state is saved with it, so sliders show when the notebook is opened, and
per-cell timing metadata is dropped, so a re-run changes only what really changed.

The outputs must be clean: no stderr, no error, no "Warning", no memory address (0x7f...), no
progress bar. A reference solution (a cell tagged "solution") must make its checker say "Correct";
its output is then dropped, so that no answer shows under an exercise before the learner tries
(the tag nbval-ignore-output lets nbval run it without comparing). Any of those, or a cell
that raises, makes the script name the notebook and the cell, leave that notebook unchanged on
disk and exit with status 1. It is a maintainer script, not a test (pytest does not collect it).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
import warnings
from pathlib import Path

import nbformat
from _reproducible import use_avx2_kernels
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

use_avx2_kernels()  # before any kernel starts: the same numbers on every x86-64 CPU

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PATTERN = "[0-9][0-9]*_*.ipynb"  # 06, or 06a and 06b for a notebook in parts
KERNEL = "python3"
TIMEOUT = 3600  # seconds per cell (notebook 21 trains 35 networks for 100 epochs in one cell)

# Cell metadata that only records when or how long a cell ran: it would make every re-run a diff.
TIMING_KEYS = ("execution", "ExecuteTime")

# What must never be saved in an output, with the reason printed when it is found.
BAD_TEXT = [
    (re.compile(r"\w*Warning\b"), "a warning"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "a memory address"),
    (re.compile(r"━{3,}|\[(=+>?|=*>)\.*\]|█{2,}|\d+%\|"), "a progress bar"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
]


def notebooks_to_run(paths=()):
    """The given notebooks, or every numbered notebook of the course in reading order."""
    if paths:
        return [Path(p).resolve() for p in paths]
    return sorted(NOTEBOOKS.glob(PATTERN))


def read(path):
    """Read a notebook, giving any cell without an id a fresh one (nbformat 4.5 needs them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the missing-id warning: the ids are added just below
        nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "id" not in cell:
            cell["id"] = uuid.uuid4().hex[:8]
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    return nb


def execute(nb, cwd=NOTEBOOKS, timeout=TIMEOUT):
    """Run a notebook (in memory) on a fresh kernel. Returns the wall time in seconds.

    Raises nbclient's CellExecutionError when a cell fails; its message shows the cell.
    """
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
        store_widget_state=True,
        record_timing=False,
        allow_errors=False,
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


SOLUTION_TAG, IGNORE_OUTPUT = "solution", "nbval-ignore-output"


def hide_answers(nb):
    """Drop the outputs of the reference solutions after checking that each says "Correct";
    returns the problems found (a solution that is not correct keeps its output)."""
    found = []
    for index, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or SOLUTION_TAG not in tags:
            continue
        text = "".join(t for output in cell.get("outputs", []) for t in _texts(output))
        if cell.get("outputs") and ("✔ Correct" not in text or "✘ Not yet" in text):
            found.append(f"cell {index}: the reference solution is not correct: {_excerpt(text)}")
            continue
        cell.outputs = []
        if IGNORE_OUTPUT not in tags:
            cell.metadata["tags"] = [*tags, IGNORE_OUTPUT]
    return found


def normalise(nb):
    """Drop per-cell timing metadata and keep the kernel spec fixed, so diffs stay clean."""
    for cell in nb.cells:
        for key in TIMING_KEYS:
            cell.metadata.pop(key, None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": KERNEL,
    }
    return nb


def _texts(output):
    """The text of one output, whatever its kind (images and widget views have none)."""
    if output.get("output_type") == "stream":
        yield output.get("text", "")
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/"):
            yield value if isinstance(value, str) else "".join(value)


def problems(nb):
    """Everything wrong with the saved outputs, as ``"cell N: ..."`` lines (empty when clean)."""
    found = []
    code_cells = (c for c in enumerate(nb.cells) if c[1].cell_type == "code")
    for index, cell in code_cells:
        where = f"cell {index} (execution count {cell.get('execution_count')})"
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                found.append(f"{where}: an error: {output.get('ename')}: {output.get('evalue')}")
            if kind == "stream" and output.get("name") == "stderr":
                found.append(f"{where}: output on stderr: {_excerpt(output.get('text', ''))}")
            for text in _texts(output):
                if "\r" in text or "\b" in text:
                    found.append(f"{where}: a progress bar (carriage return in the output)")
                for pattern, reason in BAD_TEXT:
                    match = pattern.search(text)
                    if match:
                        found.append(f"{where}: {reason}: {_excerpt(text, match.start())}")
    for index, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if SOLUTION_TAG in tags and (cell.get("outputs") or IGNORE_OUTPUT not in tags):
            found.append(f"cell {index}: a reference solution saved with its output (the answer)")
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in state.get("state", {}).values():
        if model.get("model_name", "").endswith("ProgressModel"):
            found.append("widget state: a progress bar widget (tqdm?) is saved in the notebook")
            break
    return found


def _excerpt(text, at=0, width=70):
    piece = text[max(at - 20, 0) : at + width].replace("\n", "\\n").replace("\r", "\\r")
    return repr(piece)


def run_one(path, *, save=True):
    """Execute one notebook and save it if its outputs are clean; returns (seconds, problems).

    A notebook that raises, or whose new outputs are not clean, is left unchanged on disk.
    """
    nb = read(path)
    try:
        seconds = execute(nb, cwd=path.parent)
    except CellTimeoutError as exc:
        return None, [f"a cell ran longer than {TIMEOUT} s: {exc}"]
    except DeadKernelError as exc:
        return None, [f"the kernel died: {exc}"]
    except CellExecutionError as exc:
        return None, [f"a cell raised:\n{exc}"]
    normalise(nb)
    found = hide_answers(nb) + problems(nb)
    if save and not found:
        nbformat.write(nb, path)
    return seconds, found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help=f"default: notebooks/{PATTERN}")
    parser.add_argument(
        "--check", action="store_true", help="do not execute: only check the outputs already saved"
    )
    args = parser.parse_args(argv)

    paths = notebooks_to_run(args.notebooks)
    if not paths:
        print(f"no notebooks match {NOTEBOOKS / PATTERN}", file=sys.stderr)
        return 1
    failed = []
    total = time.perf_counter()
    for path in paths:
        if not path.is_file():
            print(f"FAIL {path}: no such notebook")
            failed.append(path)
            continue
        if args.check:
            seconds, found = 0.0, problems(read(path))
        else:
            print(f"run  {path.name} ...", flush=True)
            seconds, found = run_one(path)
        if found:
            failed.append(path)
            timing = "" if seconds is None else f" ({seconds:.1f} s)"
            print(f"FAIL {path.name}{timing}" + ("" if args.check else ", not saved"))
            for line in found:
                print(f"     {line}")
        else:
            print(f"ok   {path.name}" + ("" if args.check else f"  {seconds:6.1f} s"))
    print(
        f"{len(paths) - len(failed)}/{len(paths)} notebooks clean, "
        f"{time.perf_counter() - total:.1f} s in all"
    )
    if failed:
        print("FAILED: " + ", ".join(p.name for p in failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
