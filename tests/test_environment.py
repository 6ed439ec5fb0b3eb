"""environment.yml (conda, Binder) and pyproject.toml (pip) install the same course.

The rule: environment.yml lists every runtime dependency and every package of the [test] extra
of pyproject.toml, and nothing else; its lower bound for each satisfies pyproject's requirement
(equal, or higher); TensorFlow and Keras come from its pip section with pyproject's markers; and
the pip section installs the project itself with ``-e .``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI names in pyproject.toml.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "playwright-python": "playwright"}
# Installed by pip even in the conda environment (conda-forge has no tensorflow-cpu, Keras has to
# match the versions TensorFlow pins, and conda-forge's Ray Tune and nbgrader lag behind the pins).
PIP_ONLY = {"tensorflow", "tensorflow-cpu", "keras", "ray", "nbgrader"}
NOT_DEPENDENCIES = {"python", "pip"}


def normalise(name):
    """PEP 503 names: Scikit_Learn, scikit.learn and scikit-learn are one package."""
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PYPI.get(name, name)


@dataclass(frozen=True)
class Entry:
    """One package as environment.yml asks for it."""

    specifier: SpecifierSet
    marker: str = ""
    from_pip: bool = False


def lower_bound(specifier):
    """The smallest version a specifier allows when it says so (>=, ==, ~=), else None."""
    bounds = [
        Version(s.version.rstrip(".*")) for s in specifier if s.operator in {">=", "==", "~="}
    ]
    return max(bounds, default=None)


def conda_entry(spec):
    """``numpy>=1.26`` or ``python=3.11`` (conda's single ``=`` means that version or a patch)."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", spec)
    name, version = match.groups()
    if re.fullmatch(r"=[^=].*", version):
        version = f"=={version[1:]}.*"
    return normalise(name), Entry(SpecifierSet(version))


def pyproject_requirements(pyproject):
    """Runtime dependencies and the [test] extra: {name: Requirement}."""
    project = pyproject["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    requirements = [Requirement(line) for line in lines]
    return {normalise(r.name): r for r in requirements}


def environment_entries(environment):
    """Every package of environment.yml (conda and pip), except python, pip and the project."""
    entries, editable = {}, []
    for item in environment["dependencies"]:
        if isinstance(item, dict):
            for line in item["pip"]:
                if line.startswith("-e"):
                    editable.append(line.split(maxsplit=1)[1])
                    continue
                requirement = Requirement(line)
                entries[normalise(requirement.name)] = Entry(
                    requirement.specifier, str(requirement.marker or ""), from_pip=True
                )
        else:
            name, entry = conda_entry(item)
            entries[name] = entry
    return {n: e for n, e in entries.items() if n not in NOT_DEPENDENCIES}, editable


def differences(requirements, entries):
    """What makes the environment disagree with pyproject.toml, one line each."""
    found = []
    for name in sorted(requirements.keys() - entries.keys()):
        found.append(f"{name}: in pyproject.toml, missing from environment.yml")
    for name in sorted(entries.keys() - requirements.keys()):
        found.append(f"{name}: in environment.yml, missing from pyproject.toml")
    for name in sorted(requirements.keys() & entries.keys()):
        wanted, entry = requirements[name], entries[name]
        low = lower_bound(entry.specifier)
        if low is None:
            found.append(f"{name}: environment.yml gives no lower bound (pyproject: {wanted})")
        elif not wanted.specifier.contains(low, prereleases=True):
            found.append(f"{name}: environment.yml allows {low}, pyproject.toml wants {wanted}")
        if (name in PIP_ONLY) != entry.from_pip:
            where = "the pip section" if name in PIP_ONLY else "the conda list"
            found.append(f"{name}: belongs in {where} of environment.yml")
        if entry.from_pip and entry.marker != str(wanted.marker or ""):
            found.append(f"{name}: marker {entry.marker!r} differs from pyproject's {wanted}")
    return found


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_installs_what_pyproject_declares(pyproject, environment):
    entries, _ = environment_entries(environment)
    problems = differences(pyproject_requirements(pyproject), entries)
    assert not problems, "environment.yml and pyproject.toml disagree:\n" + "\n".join(problems)


def test_environment_installs_the_project_and_a_supported_python(pyproject, environment):
    assert environment["name"] == "lrcourse"
    assert environment["channels"] == ["conda-forge"]
    _, editable = environment_entries(environment)
    assert editable == ["."], "the pip section must install the course itself with `-e .`"
    python = next(d for d in environment["dependencies"] if str(d).startswith("python"))
    low = lower_bound(conda_entry(python)[1].specifier)
    assert SpecifierSet(pyproject["project"]["requires-python"]).contains(low), (
        f"environment.yml's {python} is outside requires-python"
    )


# The check itself must notice a change on either side.


def test_a_package_added_or_dropped_on_one_side_is_reported(pyproject, environment):
    requirements = pyproject_requirements(pyproject)
    entries, _ = environment_entries(environment)
    dropped = dict(entries)
    del dropped["scikit-learn"]
    assert differences(requirements, dropped) == [
        "scikit-learn: in pyproject.toml, missing from environment.yml"
    ]
    extra = dict(entries, seaborn=Entry(SpecifierSet(">=0.13")))
    assert differences(requirements, extra) == [
        "seaborn: in environment.yml, missing from pyproject.toml"
    ]


def test_a_lower_bound_below_pyproject_or_a_lost_marker_is_reported(pyproject, environment):
    requirements = pyproject_requirements(pyproject)
    entries, _ = environment_entries(environment)
    older = dict(entries, numpy=Entry(SpecifierSet(">=1.0")))
    assert [p.split(":")[0] for p in differences(requirements, older)] == ["numpy"]
    unbounded = dict(entries, numpy=Entry(SpecifierSet("")))
    assert [p.split(":")[0] for p in differences(requirements, unbounded)] == ["numpy"]
    no_marker = dict(entries, tensorflow=replace(entries["tensorflow"], marker=""))
    assert [p.split(":")[0] for p in differences(requirements, no_marker)] == ["tensorflow"]
    from_conda = dict(entries, keras=replace(entries["keras"], from_pip=False))
    assert [p.split(":")[0] for p in differences(requirements, from_conda)] == ["keras"]


def test_conda_and_pypi_names_are_matched():
    assert normalise("Scikit_Learn") == "scikit-learn"
    assert normalise("matplotlib-base") == "matplotlib"
    assert conda_entry("python=3.11") == ("python", Entry(SpecifierSet("==3.11.*")))
    assert lower_bound(conda_entry("numpy >=1.26")[1].specifier) == Version("1.26")
