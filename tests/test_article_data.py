"""The source articles' datasets ship inside the package: the raw tables hold the published rows,
columns and missing cells, and ``article_split`` prepares each exactly as its article does."""

import math

import numpy as np
import pytest

from lrcourse import bundled, data

SHARED = bundled.FOLDER  # the package's own copies: the tests need no other folder


@pytest.fixture(scope="module", params=sorted(data.ARTICLE_SPLITS))
def split(request):
    return request.param, data.article_split(request.param)


def test_raw_tables_hold_the_published_rows_columns_and_missing_cells():
    columns, rows = data.raw_table("ionosphere")
    assert len(columns) == 35 and len(rows) == 351 and columns[-1] == "class"
    assert {row[-1] for row in rows} == {"g", "b"} and sum(r[-1] == "g" for r in rows) == 225
    columns, rows = data.raw_table("diamonds")
    assert columns == ["carat", "cut", "color", "clarity", "depth", "table", "x", "y", "z", "price"]
    assert len(rows) == 53940 and not any("" in row for row in rows)
    columns, rows = data.raw_table("wine_quality")
    assert columns[0] == "type" and columns[-1] == "quality" and len(rows) == 6497
    assert sum("" in row for row in rows) == 34
    assert all(len(row) == len(columns) for row in rows)


def test_ionosphere_split_is_kerass_validation_split_of_the_file_order():
    _, rows = data.raw_table("ionosphere")
    ds = data.article_split("ionosphere")
    cut = math.floor(351 * (1.0 - 0.33))  # Keras 3's train_validation_split
    assert (len(ds.x_train), len(ds.x_val)) == (cut, 351 - cut) == (235, 116)
    first, last = [float(c) for c in rows[0][:-1]], [float(c) for c in rows[-1][:-1]]
    np.testing.assert_allclose(ds.x_train[0], first, rtol=1e-6)
    np.testing.assert_allclose(ds.x_val[-1], last, rtol=1e-6)
    assert ds.x_train.min() >= -1 and ds.x_train.max() <= 1  # unscaled, as the article fits it
    assert ds.y_train[0] == 1 and ds.y_val[-1] == (rows[-1][-1] == "g")


def test_diamonds_split_drops_the_categories_and_scales_on_training_rows_only():
    ds = data.article_split("diamonds")
    assert (len(ds.x_train), len(ds.x_val), ds.n_features) == (43152, 10788, 6)
    assert ds.task == "regression" and ds.loss == "mae"
    np.testing.assert_allclose(ds.x_train.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(ds.x_train.std(0), 1, atol=1e-3)
    assert np.abs(ds.x_val.mean(0)).max() > 1e-4  # the validation rows were not used to scale
    prices = sorted(float(r[-1]) for r in data.raw_table("diamonds")[1])
    assert sorted(np.concatenate([ds.y_train, ds.y_val]).tolist()) == pytest.approx(prices)


def test_wine_quality_split_is_the_range_test_articles():
    ds = data.article_split("wine_quality")
    assert (len(ds.x_train), len(ds.x_val), ds.n_features) == (5170, 1293, 12)
    assert set(np.unique(ds.y_train)) == {0, 1} and ds.loss == "auto"


def test_every_split_is_float32_and_described(split):
    name, ds = split
    assert ds.name == name and ds.x_train.dtype == np.float32 and ds.description
    assert ds.task == data.ARTICLE_SPLITS[name][0]
    assert np.isfinite(ds.x_train).all() and np.isfinite(ds.x_val).all()


def test_the_packaged_files_are_the_published_files():
    """Each compressed file holds exactly the text of the published dataset (its checksum)."""
    for name in ("ionosphere", "diamonds"):
        columns, rows = bundled.read_table(name)
        assert rows and all(len(row) == len(columns) for row in rows)
        with_header = name not in bundled.COLUMNS
        assert with_header == (name == "diamonds")


@pytest.mark.parametrize("name", ["ionosphere", "diamonds"])
def test_a_damaged_or_missing_article_file_is_refused(tmp_path, name):
    filename = bundled.BUNDLED[name][0]
    with pytest.raises(ValueError, match=f"^folder .*{filename} is missing"):
        bundled.read_table(name, folder=tmp_path)
    original = (SHARED / filename).read_bytes()
    (tmp_path / filename).write_bytes(original[:-20])
    with pytest.raises(ValueError, match="damaged"):
        bundled.read_table(name, folder=tmp_path)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: data.article_split("digits"), "name"),
        (lambda: data.article_split(None), "name"),
        (lambda: data.raw_table("iris"), "name"),
    ],
)
def test_bad_names_are_refused_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must"):
        call()


def test_only_a_regression_dataset_may_choose_its_loss():
    ds = data.article_split("ionosphere")
    with pytest.raises(ValueError, match="^loss must"):
        data.Dataset("x", "binary", ds.x_train, ds.y_train, ds.x_val, ds.y_val, "d", "mae")
    with pytest.raises(ValueError, match="^loss must"):
        data.Dataset("x", "regression", ds.x_train, ds.y_train * 1.0, ds.x_val, ds.y_val, "d", "l1")
