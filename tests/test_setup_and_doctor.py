"""``import lrcourse`` stays light, ``setup`` seeds everything, the doctor explains what to fix."""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

import lrcourse
from lrcourse import doctor
from lrcourse.__main__ import main as cli_main


def run_python(*args, env=None, timeout=120):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean, **(env or {})},
    )


HEAVY = ("tensorflow", "keras", "matplotlib.pyplot", "sklearn", "torch")


@pytest.mark.parametrize(
    "imports",
    [
        "import lrcourse",
        "import lrcourse; lrcourse.setup(0)",
        # the core, its checkers and the doctor: NumPy only until a function asks for more
        "import lrcourse.landscapes, lrcourse.descent, lrcourse.plateau, lrcourse.data, "
        "lrcourse.exercises, lrcourse.exercises.landscape, lrcourse.doctor",
        # the Part I sliders need matplotlib's figures, not pyplot, Keras or scikit-learn
        "import lrcourse.ui.widgets, lrcourse.ui.plotting",
    ],
)
def test_import_stays_light_in_a_fresh_interpreter(imports):
    code = (
        f"{imports}\nimport json, sys\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = run_python("-c", code)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_setup_quiets_tensorflow_before_it_is_imported():
    code = (
        "import os, lrcourse; lrcourse.setup(3); import json; print(json.dumps("
        "[os.environ.get(k) for k in ('TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS', "
        "'PYTHONHASHSEED')]))"
    )
    out = run_python("-c", code)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == ["3", "0", "3"]


def draws():
    return random.random(), np.random.rand(3).tolist()  # noqa: NPY002 (the legacy global)


def test_setup_makes_draws_reproducible_and_returns_a_generator():
    rng = lrcourse.setup(5)
    assert isinstance(rng, np.random.Generator)
    first = rng.standard_normal(4), draws()
    rng = lrcourse.setup(5)
    again = rng.standard_normal(4), draws()
    np.testing.assert_array_equal(first[0], again[0])
    assert first[1] == again[1]
    rng = lrcourse.setup(6)
    other = rng.standard_normal(4), draws()
    assert not np.array_equal(first[0], other[0])
    assert first[1][0] != other[1][0] and first[1][1] != other[1][1]
    # the generator is the one numpy makes from the seed: documented, so anyone can rebuild it
    np.testing.assert_array_equal(first[0], np.random.default_rng(5).standard_normal(4))


def test_setup_sets_the_colour_blind_safe_style():
    import matplotlib as mpl

    lrcourse.setup(0)
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(lrcourse.PALETTE)
    assert len(set(lrcourse.PALETTE)) == len(lrcourse.PALETTE) == 8


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True, float("nan")])
def test_bad_seed_raises_value_error_naming_it(seed):
    with pytest.raises(ValueError, match="^seed must"):
        lrcourse.setup(seed)


# ---------------------------------------------------------------- doctor


EXPECTED_CHECKS = [
    "Python",
    "numpy",
    "matplotlib",
    "ipywidgets",
    "jupyterlab",
    "scikit-learn",
    "widget front end",
]


def test_doctor_json_without_tensorflow_in_a_subprocess():
    out = run_python("-m", "lrcourse", "doctor", "--json", "--no-tensorflow")
    assert out.returncode in (0, 1), out.stderr
    rows = json.loads(out.stdout)
    assert [row["check"] for row in rows] == EXPECTED_CHECKS
    for row in rows:
        assert set(row) == {"check", "ok", "detail"}
        assert isinstance(row["ok"], bool) and isinstance(row["detail"], str) and row["detail"]
    assert out.returncode == (0 if all(row["ok"] for row in rows) else 1)
    assert "tensorflow" not in out.stderr.lower()  # it was not imported, so it said nothing


def test_doctor_text_report_marks_each_row(capsys, monkeypatch):
    monkeypatch.setattr(doctor, "_lab_extension_enabled", lambda: True)
    code = doctor.main(["--no-tensorflow"])
    lines = capsys.readouterr().out.splitlines()
    marked = [ln for ln in lines if ln.startswith(("[ok ]", "[FIX]"))]
    assert [ln[6:23].strip() for ln in marked] == EXPECTED_CHECKS
    assert code == (0 if all(ln.startswith("[ok ]") for ln in marked) else 1)


def fake_versions(monkeypatch, **versions):
    monkeypatch.setattr(doctor, "version", lambda dist: versions.get(dist))
    monkeypatch.setattr(doctor, "_lab_extension_enabled", lambda: True)


@pytest.mark.parametrize(
    ("ipywidgets", "lab_widgets"), [("8.1.5", "1.1.7"), ("7.8.1", "3.0.13"), ("9.0.0", "3.0.0")]
)
def test_widget_front_end_reports_a_mismatch(monkeypatch, ipywidgets, lab_widgets):
    fake_versions(monkeypatch, ipywidgets=ipywidgets, jupyterlab_widgets=lab_widgets)
    ok, detail = doctor.widget_front_end()
    assert ok is False
    assert ipywidgets in detail and lab_widgets in detail and "do not match" in detail
    row = dict((name, (ok, text)) for name, ok, text in doctor.report(check_tensorflow=False))
    ok, text = row["widget front end"]
    assert ok is False and "Error displaying widget" in text and "jupyterlab_widgets" in text


@pytest.mark.parametrize(("ipywidgets", "lab_widgets"), [("8.1.5", "3.0.13"), ("7.8.1", "1.1.7")])
def test_widget_front_end_accepts_matching_pairs(monkeypatch, ipywidgets, lab_widgets):
    fake_versions(monkeypatch, ipywidgets=ipywidgets, jupyterlab_widgets=lab_widgets)
    ok, detail = doctor.widget_front_end()
    assert ok is True and ipywidgets in detail and lab_widgets in detail


def test_widget_front_end_missing_or_disabled(monkeypatch):
    fake_versions(monkeypatch, ipywidgets="8.1.5")
    ok, detail = doctor.widget_front_end()
    assert ok is False and "jupyterlab_widgets is missing" in detail
    fake_versions(monkeypatch, jupyterlab_widgets="3.0.13")
    ok, detail = doctor.widget_front_end()
    assert ok is False and "ipywidgets is missing" in detail
    fake_versions(monkeypatch, ipywidgets="8.1.5", jupyterlab_widgets="3.0.13")
    monkeypatch.setattr(doctor, "_lab_extension_enabled", lambda: False)
    ok, detail = doctor.widget_front_end()
    assert ok is False and "cannot find" in detail and "jupyterlab-manager" in detail


def test_missing_package_row_says_how_to_install_it(monkeypatch):
    real = doctor.version
    monkeypatch.setattr(doctor, "version", lambda d: None if d == "scikit-learn" else real(d))
    monkeypatch.setattr(doctor, "_lab_extension_enabled", lambda: True)
    rows = {name: (ok, detail) for name, ok, detail in doctor.report(check_tensorflow=False)}
    assert rows["scikit-learn"] == (False, "missing: pip install scikit-learn")


# ---------------------------------------------------------------- the command line


def test_unknown_command_exits_2_and_says_so():
    out = run_python("-m", "lrcourse", "frobnicate")
    assert out.returncode == 2
    assert "unknown command 'frobnicate'" in out.stderr and "doctor" in out.stderr
    assert out.stdout == ""


def test_no_command_prints_usage(capsys):
    assert cli_main([]) == 0
    assert cli_main(["--help"]) == 0
    assert capsys.readouterr().out.count("usage: python -m lrcourse doctor") == 2


def test_lab_extension_is_found_only_where_it_is_installed(monkeypatch, tmp_path):
    import jupyter_core.paths

    assert doctor._lab_extension_enabled() is True  # installed with jupyterlab_widgets
    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(tmp_path)])
    assert doctor._lab_extension_enabled() is False
    manager = tmp_path / "@jupyter-widgets" / "jupyterlab-manager"
    manager.mkdir(parents=True)
    (manager / "package.json").write_text("{}")
    assert doctor._lab_extension_enabled() is True


# ---------------------------------------------------------------- the doctor: nothing fools it


def test_required_python_is_read_from_the_package_metadata():
    import importlib.metadata
    import re

    spec = importlib.metadata.metadata("lrcourse")["Requires-Python"]
    major, minor = map(int, re.search(r">=\s*(\d+)\.(\d+)", spec).groups())
    assert doctor.required_python() == (major, minor) == (3, 11)


def test_required_python_falls_back_when_the_package_is_not_installed(monkeypatch):
    def missing(name):
        raise doctor.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(doctor.metadata, "metadata", missing)
    assert doctor.required_python() == doctor.FALLBACK_PYTHON == (3, 11)


@pytest.mark.parametrize(
    ("version_info", "ok"),
    [
        ((3, 10, 14), False),
        ((3, 9, 0), False),
        ((2, 7, 18), False),
        ((3, 11, 0), True),
        ((3, 13, 1), True),
        ((4, 0), True),
    ],
)
def test_python_below_the_requirement_is_a_fix(version_info, ok):
    result, detail = doctor.python_status(version_info)
    assert result is ok
    assert detail.startswith(".".join(map(str, version_info)))
    if not ok:
        assert "needs Python >= 3.11" in detail


def test_the_report_uses_the_same_python_check(monkeypatch):
    assert doctor.python_status()[0] is (sys.version_info[:2] >= (3, 11))
    monkeypatch.setattr(doctor, "python_status", lambda: (False, "3.10.4: the course needs ..."))
    monkeypatch.setattr(doctor, "_lab_extension_enabled", lambda: True)
    rows = {name: (ok, detail) for name, ok, detail in doctor.report(check_tensorflow=False)}
    assert rows["Python"] == (False, "3.10.4: the course needs ...")


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: doctor.python_status((3,)), "version_info"),
        (lambda: doctor.python_status("3.11"), "version_info"),
        (lambda: doctor.python_status((3, "11")), "version_info"),
        (lambda: doctor.python_status((3, -1)), "version_info"),
        (lambda: doctor.report(check_tensorflow="no"), "check_tensorflow"),
        (lambda: doctor.report(check_tensorflow=0), "check_tensorflow"),
        (lambda: doctor.version(None), "dist"),
        (lambda: doctor.version(""), "dist"),
        (lambda: doctor.main("--json"), "argv"),
        (lambda: doctor.main([1]), "argv"),
    ],
)
def test_doctor_bad_arguments_are_named(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        call()


def test_an_unknown_option_exits_2_and_says_so(capsys):
    assert doctor.main(["--jsn"]) == 2
    err = capsys.readouterr().err
    assert "unknown option '--jsn'" in err and "--json" in err and "--no-tensorflow" in err
    out = run_python("-m", "lrcourse", "doctor", "--fast")
    assert out.returncode == 2 and "unknown option '--fast'" in out.stderr
