"""``python -m lrcourse doctor``: is this machine ready for the course? Says what to fix."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import json
import platform
import sys
from pathlib import Path

from lrcourse._setup import quiet_tensorflow

WIDGET_FIX = (
    'Sliders show "Error displaying widget" when the widget front end in JupyterLab does not match '
    "ipywidgets in the kernel. Fix: in the environment that runs JupyterLab, run\n"
    '    python -m pip install -U "ipywidgets>=8.1" "jupyterlab>=4" jupyterlab_widgets\n'
    "then restart JupyterLab (not only the kernel) and reload the browser tab."
)


def version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


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
    major = int(keras.__version__.split(".")[0])
    if major < 3:
        return False, f"Keras {keras.__version__} is Keras 2; the course needs Keras 3."
    return True, f"TensorFlow {tf.__version__}, Keras {keras.__version__} (CPU is enough)."


def report(check_tensorflow=True):
    """All checks as ``(name, ok, detail)`` rows; ok is None for facts that need no fixing."""
    rows = [("Python", sys.version_info >= (3, 10), platform.python_version())]
    for dist in ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "scikit-learn"):
        found = version(dist)
        rows.append((dist, found is not None, found or f"missing: pip install {dist}"))
    ok, detail = widget_front_end()
    rows.append(("widget front end", ok, detail if ok else f"{detail}\n{WIDGET_FIX}"))
    if check_tensorflow:
        rows.append(("TensorFlow/Keras", *tensorflow_status()))
    return rows


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
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
