"""Datasets: honest splits (a partition, stratified), scaling from training data only, checks."""

import math

import numpy as np
import pytest
import sklearn.datasets

from lrcourse import bundled, data

NAMES = list(data.DATASETS)
SCALED = [n for n in NAMES if n != "digits"]  # StandardScaler on the features
DISTINCT = [n for n in SCALED if n != "wine_quality"]  # wine_quality repeats some rows


def raw(name):
    if name == "wine_quality":  # read here without the package's reader: numpy's own parser
        table = np.genfromtxt(
            bundled.FOLDER / "winequalityN.csv.gz", delimiter=",", skip_header=1, dtype=float,
            converters={0: lambda cell: float(cell in ("white", b"white"))},
        )
        table = table[~np.isnan(table).any(axis=1)]
        return np.column_stack([table[:, 1:-1], table[:, 0]]), (table[:, -1] >= 6).astype(int)
    return getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)


@pytest.fixture(scope="module")
def loaded():
    return {name: data.load(name) for name in NAMES}


# ---------------------------------------------------------------- data.load


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_and_split_sizes(loaded, name):
    ds = loaded[name]
    x, y = raw(name)
    n_val = len(ds.x_val)
    assert ds.x_train.dtype == ds.x_val.dtype == np.float32
    assert ds.x_train.ndim == ds.x_val.ndim == 2
    assert ds.x_train.shape[1] == ds.x_val.shape[1] == x.shape[1] == ds.n_features
    assert len(ds.x_train) == len(ds.y_train) and n_val == len(ds.y_val)
    assert len(ds.x_train) + n_val == len(x)
    assert abs(n_val - 0.25 * len(x)) <= 1
    assert ds.y_train.ndim == ds.y_val.ndim == 1
    if ds.task == "regression":
        assert ds.y_train.dtype == ds.y_val.dtype == np.float32 and ds.n_classes == 0
    else:
        assert np.issubdtype(ds.y_train.dtype, np.integer)
        assert ds.n_classes == len(np.unique(y))
    assert ds.steps_per_epoch(32) == math.ceil(len(ds.x_train) / 32)
    assert np.all(np.isfinite(ds.x_train)) and np.all(np.isfinite(ds.x_val))


def match_rows(reconstructed, original):
    """The original row each reconstructed row is (columns compared in units of their spread)."""
    spread = original.std(axis=0)
    a, b = reconstructed / spread, original / spread
    dist = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)
    nearest = dist.argmin(axis=1)
    assert dist[np.arange(len(a)), nearest].max() < 1e-4, "a row matches no original row"
    return nearest


def test_digits_split_is_a_partition_of_the_original_images(loaded):
    ds, (x, y) = loaded["digits"], raw("digits")
    for part in (ds.x_train, ds.x_val):
        pixels = part.astype(float) * 16
        np.testing.assert_array_equal(pixels, np.round(pixels))  # scaled by 1/16, nothing else
        assert part.min() >= 0 and part.max() <= 1
    rows = np.concatenate([ds.x_train, ds.x_val]).astype(float) * 16
    position = {row.tobytes(): i for i, row in enumerate(x.astype(float))}  # images are distinct
    assert len(position) == len(x)
    index = np.array([position[row.tobytes()] for row in rows])  # KeyError: not an original image
    assert sorted(index) == list(range(len(x)))  # every image once: none in both parts
    np.testing.assert_array_equal(np.concatenate([ds.y_train, ds.y_val]), y[index])


@pytest.mark.parametrize("name", DISTINCT)
def test_scaled_split_is_a_partition_scaled_with_training_statistics_only(loaded, name):
    ds, (x, y) = loaded[name], raw(name)
    scaled = np.concatenate([ds.x_train, ds.x_val]).astype(float)
    # One increasing affine map per column takes the scaled values back to the raw ones: fit it on
    # the sorted columns; it must fit training and validation rows alike.
    back = np.empty_like(scaled)
    for j in range(x.shape[1]):
        slope, shift = np.polyfit(np.sort(scaled[:, j]), np.sort(x[:, j]), 1)
        back[:, j] = slope * scaled[:, j] + shift
        assert slope > 0
    index = match_rows(back, x)
    assert sorted(index) == list(range(len(x)))  # a partition: no validation row in training
    # ... and the map is the training part's: mean 0 and standard deviation 1 there
    np.testing.assert_allclose(ds.x_train.mean(axis=0, dtype=float), 0, atol=2e-6)
    np.testing.assert_allclose(ds.x_train.std(axis=0, dtype=float), 1, rtol=2e-6)
    assert np.abs(ds.x_val.mean(axis=0, dtype=float)).max() > 0.02  # not scaled on its own
    targets = np.concatenate([ds.y_train, ds.y_val]).astype(float)
    if ds.task == "regression":
        np.testing.assert_allclose(ds.y_train.mean(dtype=float), 0, atol=2e-6)
        np.testing.assert_allclose(ds.y_train.std(dtype=float), 1, rtol=2e-6)
        slope, shift = np.polyfit(targets, y[index], 1)
        np.testing.assert_allclose(slope * targets + shift, y[index], rtol=1e-5, atol=1e-3)
        train_raw = y[index[: len(ds.y_train)]]
        assert slope == pytest.approx(train_raw.std(), rel=1e-5)
        assert shift == pytest.approx(train_raw.mean(), rel=1e-5)
    else:
        np.testing.assert_array_equal(targets, y[index])


@pytest.mark.parametrize("name", [n for n in NAMES if data.DATASETS[n][0] != "regression"])
@pytest.mark.parametrize("fraction", [0.25, 0.1])
def test_classification_splits_are_stratified(name, fraction):
    ds, (_, y) = data.load(name, validation_fraction=fraction), raw(name)
    for c in np.unique(y):
        in_val = np.count_nonzero(ds.y_val == c)
        assert abs(in_val - fraction * np.count_nonzero(y == c)) <= 1, (c, in_val)


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = data.load("wine", seed=3), data.load("wine", seed=3), data.load("wine", seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert a.x_train.shape == c.x_train.shape and not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"name": "mnist"}, "name"),
        ({"name": None}, "name"),
        ({"validation_fraction": 0.9}, "validation_fraction"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"validation_fraction": "0.2"}, "validation_fraction"),
        ({"seed": -1}, "seed"),
        ({"seed": 0.5}, "seed"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        data.load(**kwargs)


# ---------------------------------------------------------------- nothing fools it


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"name": "Digits"}, "name"),
        ({"name": ["digits"]}, "name"),
        ({"validation_fraction": float("nan")}, "validation_fraction"),
        ({"validation_fraction": True}, "validation_fraction"),
        ({"seed": 2**32}, "seed"),
        ({"seed": "0"}, "seed"),
        ({"seed": None}, "seed"),
    ],
)
def test_more_bad_arguments_are_named_before_anything_is_loaded(kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        data.load(**kwargs)


def test_the_largest_seed_is_accepted():
    assert data.load("wine", seed=2**32 - 1).x_train.shape[1] == 13


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "32", None, True, 10**7])
def test_steps_per_epoch_refuses_a_bad_batch_size(loaded, batch_size):
    with pytest.raises(ValueError, match="^batch_size must"):
        loaded["wine"].steps_per_epoch(batch_size)


def test_steps_per_epoch_counts_the_last_partial_batch(loaded):
    ds = loaded["wine"]
    n = len(ds.x_train)
    assert ds.steps_per_epoch(1) == n and ds.steps_per_epoch(n) == 1
    assert ds.steps_per_epoch(n - 1) == 2 and ds.steps_per_epoch(10 * n) == 1


def test_dataset_checks_its_parts_fit_together(loaded):
    ds = loaded["wine"]
    parts = {f: getattr(ds, f) for f in ("name", "task", "x_train", "y_train", "x_val", "y_val")}
    parts["description"] = ds.description
    bad = [
        ({"task": "ranking"}, "task"),
        ({"name": None}, "name"),
        ({"description": 3}, "description"),
        ({"x_train": ds.x_train[:, 0]}, "x_train"),
        ({"x_train": ds.x_train[:0], "y_train": ds.y_train[:0]}, "x_train"),
        ({"x_val": ds.x_val.tolist()}, "x_val"),
        ({"y_train": ds.y_train[:-1]}, "y_train"),
        ({"y_val": None}, "y_val"),
    ]
    for change, argument in bad:
        with pytest.raises(ValueError, match=f"^{argument} must"):
            data.Dataset(**{**parts, **change})
    assert "wine" in repr(data.Dataset(**parts))


# ---------------------------------------------------------------- the bundled file


def test_wine_quality_table_holds_the_published_rows_and_missing_cells():
    columns, rows = bundled.read_table("wine_quality")
    assert columns[0] == "type" and columns[-1] == "quality" and len(columns) == 13
    assert len(rows) == 6497 and all(len(row) == 13 for row in rows)
    assert sum(any(cell == "" for cell in row) for row in rows) == 34
    assert {row[0] for row in rows} == {"red", "white"}
    assert sum(row[0] == "red" for row in rows) == 1599


def test_wine_quality_is_the_article_preparation_scaled_on_training_rows(loaded):
    ds, (x, y) = loaded["wine_quality"], raw("wine_quality")
    assert len(x) == 6463 and ds.n_features == 12 and ds.n_classes == 2
    assert np.concatenate([ds.y_train, ds.y_val]).sum() == y.sum()  # the same good wines
    scaled = np.concatenate([ds.x_train, ds.x_val]).astype(float)
    back = np.empty_like(scaled)
    for j in range(x.shape[1]):  # the increasing affine map from the scaled column to the raw one
        slope, shift = np.polyfit(np.sort(scaled[:, j]), np.sort(x[:, j]), 1)
        back[:, j] = slope * scaled[:, j] + shift
        np.testing.assert_allclose(np.sort(back[:, j]), np.sort(x[:, j]), rtol=1e-4, atol=1e-4)
    # rows kept whole: a weighted sum of each row, compared as multisets
    weights = np.random.default_rng(0).normal(size=x.shape[1]) / x.std(axis=0)
    np.testing.assert_allclose(np.sort(back @ weights), np.sort(x @ weights), atol=1e-3)
    np.testing.assert_allclose(ds.x_train.mean(axis=0, dtype=float), 0, atol=2e-6)
    assert np.abs(ds.x_val.mean(axis=0, dtype=float)).max() > 0.01


def test_a_damaged_or_missing_file_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        bundled.read_table("wine_quality", folder=tmp_path)
    original = (bundled.FOLDER / "winequalityN.csv.gz").read_bytes()
    (tmp_path / "winequalityN.csv.gz").write_bytes(original[:-20])
    with pytest.raises(ValueError, match="damaged"):
        bundled.read_table("wine_quality", folder=tmp_path)
    import gzip

    text = gzip.decompress(original).replace(b"white", b"whitf", 1)
    (tmp_path / "winequalityN.csv.gz").write_bytes(gzip.compress(text))
    with pytest.raises(ValueError, match="checksum"):
        bundled.read_table("wine_quality", folder=tmp_path)
    with pytest.raises(ValueError, match="name"):
        bundled.read_table("digits")
