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


#: The source articles' datasets, each prepared as its article prepares it.
ARTICLE_SPLITS = {
    "ionosphere": (
        "binary",
        "UCI ionosphere radar returns, good (1) or bad (0): 351 returns, 34 measurements, "
        "unscaled; Keras's validation_split=0.33 keeps the first 235 rows for training and "
        "validates on the last 116, unshuffled",
    ),
    "wine_quality": (
        "binary",
        "wine quality >= 6, rows with a missing cell dropped, is_white_wine from type; 80/20 "
        "split with random_state=42 (1293 test rows), StandardScaler fitted on the training part",
    ),
    "diamonds": (
        "regression",
        "diamond price in dollars from carat, depth, table, x, y, z (cut, color and clarity "
        "removed, as the article does); mean absolute error; the article states no split: an "
        "80/20 split with random_state=42 and a StandardScaler on the features only, as the "
        "range-test article prepares its data",
    ),
}


def raw_table(name):
    """A source article's dataset as its file holds it: ``(columns, rows)``, every cell a string
    (``""`` for a missing cell), checked against its checksum. ``name`` is one of
    ``ARTICLE_SPLITS``."""
    _checks.choice("name", name, tuple(ARTICLE_SPLITS))
    return read_table(name)


def article_split(name):
    """A source article's dataset, prepared and split as that article does it (where the
    article states no split, as ``ARTICLE_SPLITS`` says): a :class:`lrcourse.data.Dataset`
    whose validation part is the article's held-out part (``validation_split`` rows, or its
    test split)."""
    _checks.choice("name", name, tuple(ARTICLE_SPLITS))
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from lrcourse.data import Dataset  # here: lrcourse.data imports this module

    task, description = ARTICLE_SPLITS[name]
    x, y = globals()[name]()
    loss = "mae" if name == "diamonds" else "auto"
    if name == "ionosphere":
        # Keras 3 fit(validation_split=v) keeps the first int(n * (1 - v)) rows, in file order
        cut = int(len(x) * (1 - 0.33))
        x_tr, x_va, y_tr, y_va = x[:cut], x[cut:], y[:cut], y[cut:]
    else:
        x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, random_state=42)
        scaler = StandardScaler().fit(x_tr)
        x_tr, x_va = scaler.transform(x_tr), scaler.transform(x_va)
    y_dtype = "float32" if task == "regression" else "int32"
    return Dataset(
        name,
        task,
        x_tr.astype("float32"),
        y_tr.astype(y_dtype),
        x_va.astype("float32"),
        y_va.astype(y_dtype),
        description,
        loss,
    )
