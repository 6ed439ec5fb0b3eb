"""The datasets that ship inside the package, compressed, in ``lrcourse/datasets/`` (their
licences and citations are in the README there): read offline, checked against a checksum.

:func:`read_table` gives the raw table as the file holds it; :func:`lrcourse.data.load` gives the
prepared split.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
from pathlib import Path

import numpy as np

from lrcourse import _checks

#: The files that ship inside the package: name -> (file, sha256 of the uncompressed text).
BUNDLED = {
    "wine_quality": (
        "winequalityN.csv.gz",
        "ae21023e87b1d81f4994c011fbbeead69b5b0a23394e46d6f008d6945525c03c",
    ),
    "ionosphere": (
        "ionosphere.csv.gz",
        "fd6dd7864b55d56dac0a1e6e24af9ccc35bf2555ac79af8ab9f3d1daa065ab83",
    ),
    "diamonds": (
        "diamonds.csv.gz",
        "ded35d24c7319ae5b9e547908ce25f4b8471f2107dd85bcb2a864377ff300b5e",
    ),
}
#: Column names of a file that has no header row (UCI's ionosphere.data has none).
COLUMNS = {"ionosphere": [f"pulse_{i:02d}" for i in range(1, 35)] + ["class"]}
FOLDER = Path(__file__).resolve().parent / "datasets"


def read_table(name, folder=None):
    """The raw table of a dataset that ships with the package: ``(columns, rows)``, every cell a
    string as in the file (``""`` for a missing cell). A file without a header row gets the
    names in ``COLUMNS``. The file's checksum is verified first.

    folder: where the compressed file lies (the package's ``datasets`` folder unless given).
    """
    _checks.choice("name", name, tuple(BUNDLED))
    filename, digest = BUNDLED[name]
    if folder is not None and not isinstance(folder, str | os.PathLike):
        raise ValueError(f"folder must be a path or None, got {_checks._brief(folder)}")
    # the argument a broken file points to: the package's file, or the learner's folder
    where = f"name {name!r}" if folder is None else f"folder {str(folder)!r}"
    fix = "reinstall the package" if folder is None else f"put the package's {filename} there"
    path = (FOLDER if folder is None else Path(folder)) / filename
    try:
        text = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise ValueError(f"{where}: the file {path} is missing; {fix}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{where}: the file {path} is damaged ({exc}); {fix}") from None
    if hashlib.sha256(text).hexdigest() != digest:
        raise ValueError(
            f"{where}: the file {path} does not match its checksum (damaged or changed); {fix}"
        )
    rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    if name in COLUMNS:
        return list(COLUMNS[name]), rows
    return rows[0], rows[1:]


def wine_quality():
    """Features and target as the range-test article prepares them: rows with a missing cell
    dropped, ``is_white_wine`` from ``type``, target ``quality >= 6``."""
    columns, rows = read_table("wine_quality")
    rows = [row for row in rows if all(cell != "" for cell in row)]
    white = np.array([row[0] == "white" for row in rows], dtype=float)
    numbers = np.array([[float(cell) for cell in row[1:]] for row in rows])
    quality = numbers[:, columns.index("quality") - 1]
    return np.column_stack([numbers[:, :-1], white]), (quality >= 6).astype(int)


def ionosphere():
    """Features and target as the decay article reads them: the 34 radar measurements as they
    are (already in [-1, 1]), target 1 for a "good" return (``g``) and 0 for a "bad" one."""
    _, rows = read_table("ionosphere")
    x = np.array([[float(cell) for cell in row[:-1]] for row in rows])
    return x, np.array([row[-1] == "g" for row in rows], dtype=int)


#: The diamonds columns the deep-learning article keeps (it drops cut, color and clarity).
DIAMOND_FEATURES = ("carat", "depth", "table", "x", "y", "z")


def diamonds():
    """Features and target as the deep-learning article prepares them: the categorical columns
    (cut, color, clarity) removed, the six numeric ones kept, target the price in dollars."""
    columns, rows = read_table("diamonds")
    keep = [columns.index(c) for c in DIAMOND_FEATURES]
    price = columns.index("price")
    x = np.array([[float(row[i]) for i in keep] for row in rows])
    return x, np.array([float(row[price]) for row in rows])
