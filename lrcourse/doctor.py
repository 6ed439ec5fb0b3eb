"""``python -m lrcourse doctor``: is this machine ready for the course? Says what to fix."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import json
import platform
import re
import sys
from pathlib import Path

from lrcourse._setup import quiet_tensorflow

#: The oldest Python the course supports, used when the package metadata cannot be read; the
#: package's own ``requires-python`` (pyproject.toml) is the source and is read first.
FALLBACK_PYTHON = (3, 11)
OPTIONS = ("--json", "--no-tensorflow")

WIDGET_FIX = (
    'Sliders show "Error displaying widget" when the widget front end in JupyterLab does not match '
    "ipywidgets in the kernel. Fix: in the environment that runs JupyterLab, run\n"
    '    python -m pip install -U "ipywidgets>=8.1" "jupyterlab>=4" jupyterlab_widgets\n'
    "then restart JupyterLab (not only the kernel) and reload the browser tab."
)


def version(dist):
    """The installed version of the distribution ``dist`` (a name such as "numpy"), or None."""
    if not isinstance(dist, str) or not dist:
        raise ValueError(f"dist must be a package name (a non-empty string), got {dist!r}")
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def required_python():
    """The oldest Python the package accepts, from its ``requires-python``: a pair like (3, 11)."""
    try:
        spec = metadata.metadata("lrcourse").get("Requires-Python") or ""
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        spec = ""
    found = re.search(r">=\s*(\d+)\.(\d+)", spec)
    return (int(found[1]), int(found[2])) if found else FALLBACK_PYTHON


def python_status(version_info=None):
    """Whether this Python (or ``version_info``, such as ``(3, 10, 4)``) is new enough."""
    if version_info is None:
        info, text = tuple(sys.version_info[:3]), platform.python_version()
    else:
        ok_kind = isinstance(version_info, tuple) and len(version_info) >= 2
        if not ok_kind or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in version_info[:3]
        ):
            raise ValueError(
                f"version_info must be a tuple of whole numbers such as (3, 11, 4), "
                f"got {version_info!r}"
            )
        info = tuple(version_info[:3])
        text = ".".join(map(str, info))
    need = required_python()
    if info[:2] >= need:
        return True, text
    wanted = ".".join(map(str, need))
    return False, f"{text}: the course needs Python >= {wanted}; install a newer Python."


def widget_front_end():
    """Versions of the JupyterLab widget extension and ipywidgets, and whether they are a pair."""
    lab_widgets, ipywidgets = version("jupyterlab_widgets"), version("ipywidgets")
    if lab_widgets is None:
        return False, "jupyterlab_widgets is missing: the browser cannot draw any slider."
    if ipywidgets is None:
        return False, "ipywidgets is missing in this kernel."
    # ipywidgets 8.x pairs with jupyterlab_widgets 3.x; 7.x with 1.x.
    expected = {"8": "3", "7": "1"}.get(ipywidgets.split(".")[0])
    if expected != lab_widgets.split(".")[0]:
        return False, (
            f"ipywidgets {ipywidgets} and jupyterlab_widgets {lab_widgets} do not "
            "match (8.x needs 3.x)."
        )
    enabled = _lab_extension_enabled()
    if enabled is False:
        return False, "JupyterLab cannot find the @jupyter-widgets/jupyterlab-manager extension."
    return True, f"ipywidgets {ipywidgets} with jupyterlab_widgets {lab_widgets}."


def _lab_extension_enabled():
    """Whether JupyterLab can find the widget manager extension (a folder in its search path)."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return None
    for root in jupyter_path("labextensions"):
        if (Path(root) / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").exists():
            return True
    return False


def tensorflow_status():
    quiet_tensorflow()
    try:
        tf = importlib.import_module("tensorflow")
        keras = importlib.import_module("keras")
    except Exception as exc:  # report any import failure in words, never a traceback
        return False, f"TensorFlow does not import: {type(exc).__name__}: {exc}"
    major = keras.__version__.split(".")[0]
    if not major.isdigit() or int(major) < 3:
        return False, f"Keras {keras.__version__} is Keras 2; the course needs Keras 3."
    return True, f"TensorFlow {tf.__version__}, Keras {keras.__version__} (CPU is enough)."


def report(check_tensorflow=True):
    """All checks as ``(name, ok, detail)`` rows (``ok`` is True or False).

    ``check_tensorflow=False`` skips importing TensorFlow, the slow part.
    """
    if not isinstance(check_tensorflow, bool):
        raise ValueError(f"check_tensorflow must be True or False, got {check_tensorflow!r}")
    rows = [("Python", *python_status())]
    for dist in ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "scikit-learn"):
        found = version(dist)
        rows.append((dist, found is not None, found or f"missing: pip install {dist}"))
    ok, detail = widget_front_end()
    rows.append(("widget front end", ok, detail if ok else f"{detail}\n{WIDGET_FIX}"))
    if check_tensorflow:
        rows.append(("TensorFlow/Keras", *tensorflow_status()))
    return rows


def main(argv=None):
    """Print the report (``--json`` for machines); exit status 0 when all is well, 1 when
    something needs fixing, 2 for an unknown option."""
    args = sys.argv[1:] if argv is None else argv
    if not isinstance(args, list | tuple) or not all(isinstance(a, str) for a in args):
        raise ValueError(f"argv must be a list of strings, got {args!r}")
    unknown = [a for a in args if a not in OPTIONS]
    if unknown:
        print(
            f"unknown option {unknown[0]!r}; usage: python -m lrcourse doctor "
            f"[{'] ['.join(OPTIONS)}]",
            file=sys.stderr,
        )
        return 2
    rows = report(check_tensorflow="--no-tensorflow" not in args)
    if "--json" in args:
        print(json.dumps([{"check": n, "ok": ok, "detail": d} for n, ok, d in rows], indent=1))
    else:
        for name, ok, detail in rows:
            mark = "ok " if ok else "FIX"
            print(f"[{mark}] {name:17s} {detail}")
        bad = [name for name, ok, _ in rows if not ok]
        print(
            "\nAll set: open notebooks/00_welcome.ipynb."
            if not bad
            else f"\nTo fix: {', '.join(bad)} (see above)."
        )
    return 0 if all(ok for _, ok, _ in rows) else 1
