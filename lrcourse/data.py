"""Real datasets, split and scaled the same way every time (offline).

``load("digits")`` returns a :class:`Dataset` with float32 features, a fixed train/validation
split (stratified for classification) and features scaled with statistics of the training part only.
Four ship with scikit-learn; ``wine_quality`` ships inside this package (:mod:`lrcourse.bundled`,
which also gives each source article's dataset: ``article_split``, ``raw_table``, here too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrcourse import _checks, bundled
from lrcourse.bundled import ARTICLE_SPLITS, article_split, raw_table  # noqa: F401

DATASETS = {
    "digits": ("multiclass", "8x8 images of handwritten digits 0-9 (1797 images, 64 pixels)"),
    "breast_cancer": (
        "binary",
        "Wisconsin breast cancer: malignant or benign (569 cases, 30 measurements)",
    ),
    "wine": ("multiclass", "chemical analysis of 178 Italian wines from 3 cultivars"),
    "diabetes": ("regression", "disease progression after a year, 442 patients, 10 measurements"),
    "wine_quality": (
        "binary",
        "Portuguese vinho verde, red and white: is the quality rated 6 or more? (6463 wines, "
        "11 measurements and is_white_wine)",
    ),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``x_*`` (one row per example) and targets ``y_*`` (one per row), split in two."""

    name: str
    task: str  # "binary", "multiclass" or "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    description: str
    loss: str = "auto"  # regression may name its loss: "mse" (the default) or "mae"

    def __post_init__(self):
        _checks.choice("task", self.task, ("binary", "multiclass", "regression"))
        losses = ("auto", "mse", "mae") if self.task == "regression" else ("auto",)
        _checks.choice("loss", self.loss, losses)
        for field in ("name", "description"):
            if not isinstance(getattr(self, field), str):
                raise ValueError(f"{field} must be a string, got {getattr(self, field)!r}")
        for part in ("train", "val"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if not isinstance(x, np.ndarray) or x.ndim != 2 or not len(x):
                raise ValueError(f"x_{part} must be a non-empty 2-D array, got {x!r:.60}")
            if not isinstance(y, np.ndarray) or y.shape != x.shape[:1]:
                shape = getattr(y, "shape", None)
                raise ValueError(f"y_{part} must hold one target per row of x_{part}, got {shape}")

    @property
    def n_features(self):
        return self.x_train.shape[1]

    @property
    def n_classes(self):
        return int(self.y_train.max()) + 1 if self.task != "regression" else 0

    def steps_per_epoch(self, batch_size):
        """Batches in one pass over the training part (the last one may be smaller)."""
        batch_size = _checks.count("batch_size", batch_size)
        return -(-len(self.x_train) // batch_size)

    def __repr__(self):
        classes = f", {self.n_classes} classes" if self.n_classes else ""
        return (
            f"Dataset({self.name!r}: {len(self.x_train)} train / {len(self.x_val)} validation, "
            f"{self.n_features} features{classes})"
        )


def load(name="digits", *, validation_fraction=0.25, seed=0):
    """Load a bundled dataset, split it (stratified for classes) and scale its features.

    ``name`` is one of ``DATASETS``; ``validation_fraction`` in [0.05, 0.5]; ``seed`` an integer
    in [0, 2**32 - 1] that fixes the split.
    """
    _checks.choice("name", name, tuple(DATASETS))
    fraction = _checks.number("validation_fraction", validation_fraction, low=0.05, high=0.5)
    seed = _checks.number("seed", seed, low=0, high=2**32 - 1, integer=True)
    import sklearn.datasets  # here, not at the top: importing lrcourse.data stays cheap
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    task, description = DATASETS[name]
    if name in bundled.BUNDLED:
        x, y = bundled.wine_quality()
    else:
        x, y = getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)
    stratify = y if task != "regression" else None
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=fraction, random_state=seed, stratify=stratify
    )
    if name == "digits":
        x_tr, x_va = x_tr / 16.0, x_va / 16.0  # pixel intensities 0..16 to 0..1
    else:
        scaler = StandardScaler().fit(x_tr)
        x_tr, x_va = scaler.transform(x_tr), scaler.transform(x_va)
    if task == "regression":  # a loss near 1 means "no better than the mean"
        mean, std = y_tr.mean(), y_tr.std()
        y_tr, y_va = (y_tr - mean) / std, (y_va - mean) / std
    y_dtype = "float32" if task == "regression" else "int32"
    return Dataset(
        name,
        task,
        x_tr.astype("float32"),
        y_tr.astype(y_dtype),
        x_va.astype("float32"),
        y_va.astype(y_dtype),
        description,
    )
