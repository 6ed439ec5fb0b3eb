"""Landscapes: exact gradients, critical points where claimed, domains and argument checks."""

import math
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrcourse import landscapes as L

ALL = L.all_landscapes()
TWO_D = [name for name, land in ALL.items() if land.dim == 2]
ONE_D = [name for name, land in ALL.items() if land.dim == 1]


def random_points(land, n, seed=0, margin=0.0):
    """``n`` uniform points inside the domain: shape (n,) for 1-D, (n, 2) for 2-D."""
    rng = np.random.default_rng(seed)
    cols = [rng.uniform(lo + margin, hi - margin, n) for lo, hi in land.domain]
    return cols[0] if land.dim == 1 else np.stack(cols, axis=-1)


def fd_gradient(f, x, h=1e-5):
    """Central differences of ``f``, vectorised over the leading axes of ``x``."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[-1] != 2:  # 1-D landscape: one number per point
        return (f(x + h) - f(x - h)) / (2 * h)
    return np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)


def fd_hessian(land, x, h=1e-5):
    """Central differences of the exact gradient, written here independently of hessian_at."""
    x = np.asarray(x, dtype=float)
    if land.dim == 1:
        return np.array([[(land.grad(x + h) - land.grad(x - h)) / (2 * h)]])
    cols = [(land.grad(x + h * e) - land.grad(x - h * e)) / (2 * h) for e in np.eye(2)]
    return np.column_stack(cols)


def directions(dim, n=64):
    if dim == 1:
        return np.array([-1.0, 1.0])
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([np.cos(angles), np.sin(angles)], axis=-1)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", list(ALL))
def test_gradient_matches_central_differences_vectorised(name):
    land = ALL[name]
    pts = random_points(land, 300, seed=1)
    grad = land.grad(pts)
    assert grad.shape == pts.shape
    assert land(pts).shape == pts.shape[:1]
    numeric = fd_gradient(land, pts)
    scale = 1 + np.abs(numeric).max()
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("name", list(ALL))
def test_vectorised_calls_agree_with_point_by_point_calls(name):
    land = ALL[name]
    pts = random_points(land, 7, seed=2)
    one_by_one_values = np.array([land(p) for p in pts])
    one_by_one_grads = np.array([land.grad(p) for p in pts])
    np.testing.assert_allclose(land(pts), one_by_one_values, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(land.grad(pts), one_by_one_grads, rtol=1e-13, atol=1e-13)
    # a grid of points (extra leading axes) works too
    grid = pts.reshape(7, 1) if land.dim == 1 else pts.reshape(7, 1, 2)
    assert land(grid).shape == (7, 1)
    assert land.grad(grid).shape == grid.shape


@pytest.mark.parametrize("name", [n for n in ALL if ALL[n].hessian is not None])
def test_exact_hessian_matches_differences_of_the_gradient(name):
    land = ALL[name]
    for p in random_points(land, 20, seed=3):
        exact = land.hessian_at(p)
        assert exact.shape == (land.dim, land.dim)
        numeric = fd_hessian(land, p)
        np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-5 * (1 + abs(numeric).max()))


@pytest.mark.parametrize("name", TWO_D)
def test_grid_covers_the_domain_and_holds_the_values(name):
    land = ALL[name]
    xx, yy, zz = land.grid(15)
    assert xx.shape == yy.shape == zz.shape == (15, 15)
    assert (xx.min(), xx.max()) == land.domain[0]
    assert (yy.min(), yy.max()) == land.domain[1]
    np.testing.assert_allclose(zz[3, 5], land(np.array([xx[3, 5], yy[3, 5]])))


# ---------------------------------------------------------------- critical points


def critical_points(kind):
    return [
        pytest.param(name, p, id=f"{name}-{kind}{i}")
        for name, land in ALL.items()
        for i, p in enumerate(np.asarray(getattr(land, kind)))
    ]


def assert_zero_gradient(land, p):
    g = np.atleast_1d(land.grad(p))
    assert np.linalg.norm(g) < 1e-8, f"gradient {g} at the claimed critical point {p}"


@pytest.mark.parametrize(("name", "point"), critical_points("minima"))
def test_minima_have_zero_gradient_a_positive_definite_hessian_and_are_lowest_nearby(name, point):
    land = ALL[name]
    assert_zero_gradient(land, point)
    assert np.linalg.eigvalsh(fd_hessian(land, point)).min() > 1e-3
    assert np.linalg.eigvalsh(land.hessian_at(point)).min() > 1e-3
    around = point + 1e-3 * directions(land.dim)
    assert np.all(land(around) > land(point))


@pytest.mark.parametrize(("name", "point"), critical_points("maxima"))
def test_maxima_have_zero_gradient_and_a_negative_definite_hessian(name, point):
    land = ALL[name]
    assert_zero_gradient(land, point)
    assert np.linalg.eigvalsh(fd_hessian(land, point)).max() < -1e-3
    around = point + 1e-3 * directions(land.dim)
    assert np.all(land(around) < land(point))


@pytest.mark.parametrize(("name", "point"), critical_points("saddles"))
def test_saddles_have_zero_gradient_and_go_both_up_and_down(name, point):
    land = ALL[name]
    assert_zero_gradient(land, point)
    eig = np.linalg.eigvalsh(fd_hessian(land, point))
    np.testing.assert_allclose(np.linalg.eigvalsh(land.hessian_at(point)), eig, atol=1e-4)
    degenerate = np.all(np.abs(eig) < 1e-6)
    assert degenerate or (eig.min() < -1e-3 and eig.max() > 1e-3), eig
    around = land(point + 1e-2 * directions(land.dim))
    assert around.min() < land(point) < around.max()  # not a minimum, not a maximum


def test_degenerate_saddles_are_the_ones_described_as_degenerate():
    for name in ("monkey saddle", "cubic"):
        land = ALL[name]
        eig = np.linalg.eigvalsh(fd_hessian(land, land.saddles[0]))
        assert np.all(np.abs(eig) < 1e-6), (name, eig)
    eig = np.linalg.eigvalsh(fd_hessian(ALL["saddle"], np.zeros(2)))
    np.testing.assert_allclose(eig, [-2.0, 2.0], atol=1e-6)


@pytest.mark.parametrize(("a", "b"), [(1.0, 100.0), (-0.5, 10.0), (2.0, 1.0)])
def test_rosenbrock_minimum_is_at_a_a_squared(a, b):
    land = L.rosenbrock(a, b)
    np.testing.assert_allclose(land.minima, [[a, a * a]])
    assert land(np.array([a, a * a])) == 0.0
    assert_zero_gradient(land, np.array([a, a * a]))


@pytest.mark.parametrize("name", ["mountain range", "mountain range (1-D)"])
def test_global_minimum_is_the_lowest_value_on_a_fine_grid(name):
    land = ALL[name]
    *axes, values = land.grid(1201 if land.dim == 1 else 601)
    assert land.min_value <= values.min() + 1e-12
    assert values.min() - land.min_value < 1e-3  # the grid only misses by its spacing
    i = np.unravel_index(np.argmin(values), values.shape)
    lowest_on_grid = np.array([ax[i] for ax in axes]).squeeze()
    deepest = land.minima[np.argmin(land(land.minima))]
    assert np.linalg.norm(lowest_on_grid - deepest) < 0.02


def test_every_critical_point_of_the_mountain_range_is_found():
    land = ALL["mountain range"]
    # One valley per well, each near its well's centre, lower where the well is deeper.
    assert len(land.minima) == len(L._WELLS)
    nearest_well = [np.argmin(np.linalg.norm(L._WELLS[:, :2] - m, axis=1)) for m in land.minima]
    assert sorted(nearest_well) == list(range(len(L._WELLS)))
    for m, w in zip(land.minima, nearest_well, strict=True):
        assert np.linalg.norm(m - L._WELLS[w, :2]) < 0.3
    depth = L._WELLS[nearest_well, 2]
    assert np.all(np.diff(land(land.minima)[np.argsort(depth)]) < 0)
    # A landscape that rises like a bowl far away has #minima - #saddles + #maxima = 1 (Morse).
    assert len(land.minima) - len(land.saddles) + len(land.maxima) == 1


def test_mountain_range_1d_has_three_valleys_separated_by_two_peaks():
    land = ALL["mountain range (1-D)"]
    assert len(land.minima) == 3 and len(land.maxima) == 2
    everything = np.sort(np.concatenate([land.minima, land.maxima]))
    kinds = ["min" if x in land.minima else "max" for x in everything]
    assert kinds == ["min", "max", "min", "max", "min"]
    # the sign of the slope changes exactly five times on a fine grid
    xs = np.linspace(*land.domain[0], 100_001)
    assert np.count_nonzero(np.diff(np.sign(land.grad(xs)))) == 5


def test_mountain_range_1d_valleys_hold_the_learning_rates_notebook_02_relies_on():
    land = ALL["mountain range (1-D)"]
    bound = {round(float(m), 1): 2 / fd_hessian(land, m)[0, 0] for m in land.minima}
    narrow = bound[min(bound, key=lambda c: abs(c - 2.6))]
    deepest = bound[min(bound, key=lambda c: abs(c + 1.0))]
    assert 0.03 < narrow < 0.3  # lr 0.03 stays in the narrow valley, 0.3 is thrown out
    assert 0.3 < deepest < 0.65  # 0.3 settles in the deepest valley, 0.65 cannot
    assert max(bound.values()) < 0.65
    assert land(land.minima).argmin() == np.argmin([abs(m + 1.0) for m in land.minima])


# ---------------------------------------------------------------- the bowl


@pytest.mark.parametrize("kappa", [1.0, 2.5, 10.0, 100.0])
@pytest.mark.parametrize("angle", [0.0, 0.3, math.pi / 4])
@pytest.mark.parametrize("lambda_min", [1.0, 0.5])
def test_bowl_hessian_has_eigenvalues_lambda_min_and_kappa_lambda_min(kappa, angle, lambda_min):
    land = L.bowl(condition_number=kappa, angle=angle, lambda_min=lambda_min)
    for p in (np.zeros(2), np.array([1.3, -0.4])):
        eig = np.linalg.eigvalsh(fd_hessian(land, p))
        np.testing.assert_allclose(eig, [lambda_min, kappa * lambda_min], rtol=1e-7)
    # the long (flat) axis points along ``angle``; the gradient there is lambda_min times it
    flat = np.array([math.cos(angle), math.sin(angle)])
    np.testing.assert_allclose(land.grad(flat), lambda_min * flat, atol=1e-12)
    # a quadratic with minimum 0 at the origin: f(w) = 1/2 w . grad f(w)
    w = random_points(land, 50, seed=4)
    np.testing.assert_allclose(land(w), 0.5 * (w * land.grad(w)).sum(-1), rtol=1e-12)


@pytest.mark.parametrize("curvature", [0.5, 1.0, 4.0])
def test_parabola_curvature(curvature):
    land = L.parabola(curvature)
    assert fd_hessian(land, 1.7)[0, 0] == pytest.approx(curvature, rel=1e-7)
    assert land(2.0) == pytest.approx(curvature * 2.0)


@pytest.mark.parametrize(
    ("make", "kwargs", "argument"),
    [
        (L.bowl, {"condition_number": 0.5}, "condition_number"),
        (L.bowl, {"condition_number": 0}, "condition_number"),
        (L.bowl, {"condition_number": -3.0}, "condition_number"),
        (L.bowl, {"condition_number": float("nan")}, "condition_number"),
        (L.bowl, {"condition_number": "10"}, "condition_number"),
        (L.bowl, {"lambda_min": 0.0}, "lambda_min"),
        (L.bowl, {"angle": "wide"}, "angle"),
        (L.parabola, {"curvature": 0.0}, "curvature"),
        (L.parabola, {"curvature": -1.0}, "curvature"),
        (L.parabola, {"curvature": float("inf")}, "curvature"),
        (L.rosenbrock, {"b": 0.0}, "b"),
        (L.rosenbrock, {"a": None}, "a"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(make, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        make(**kwargs)


# ---------------------------------------------------------------- check_point


@pytest.mark.parametrize("name", ONE_D)
def test_check_point_1d(name):
    land = ALL[name]
    lo, hi = land.domain[0]
    assert land.check_point(lo).shape == ()
    assert float(land.check_point(hi)) == hi  # the edges belong to the domain
    with pytest.raises(ValueError, match=r"^x0 must have shape \(\)"):
        land.check_point([0.5])
    with pytest.raises(ValueError, match=rf"^x0 must lie in the domain \[{lo:g}, {hi:g}\]"):
        land.check_point(hi + 0.01)
    with pytest.raises(ValueError, match=r"^start must lie in the domain"):
        land.check_point(lo - 1, name="start")
    with pytest.raises(ValueError, match=r"^x0 must contain only finite"):
        land.check_point(float("nan"))


@pytest.mark.parametrize("name", TWO_D)
def test_check_point_2d(name):
    land = ALL[name]
    (xlo, xhi), (ylo, yhi) = land.domain
    np.testing.assert_array_equal(land.check_point([xlo, yhi]), [xlo, yhi])
    for bad in ([0.0], [0.0, 0.0, 0.0], [[0.0, 0.0]], 0.0):
        with pytest.raises(ValueError, match=r"^x0 must have shape \(2,\)"):
            land.check_point(bad)
    with pytest.raises(ValueError, match=rf"^x0\[0\] must lie in the domain \[{xlo:g}, {xhi:g}\]"):
        land.check_point([xhi + 0.5, (ylo + yhi) / 2])
    with pytest.raises(ValueError, match=rf"^x0\[1\] must lie in the domain \[{ylo:g}, {yhi:g}\]"):
        land.check_point([(xlo + xhi) / 2, ylo - 0.5])
    with pytest.raises(ValueError, match=r"^w0\[1\]"):
        land.check_point([(xlo + xhi) / 2, ylo - 0.5], name="w0")
    with pytest.raises(ValueError, match=r"^x0 must contain only finite"):
        land.check_point([0.0, float("inf")])
    with pytest.raises(ValueError, match=r"^x0 must be numeric"):
        land.check_point(["a", "b"])


def test_all_landscapes_are_distinct_and_named():
    names = [land.name for land in ALL.values()]
    assert len(names) == len(set(names)) == 9
    for land in ALL.values():
        assert land.dim in (1, 2) and len(land.domain) == land.dim
        assert land.description
        assert land.name in repr(land)


# ---------------------------------------------------------------- property tests (Hypothesis)


def point_in(land):
    """A strategy for one point inside ``land``'s domain."""
    coords = [st.floats(lo, hi, allow_nan=False) for lo, hi in land.domain]
    if land.dim == 1:
        return coords[0]
    return st.tuples(*coords).map(np.array)


def assert_gradient_matches_differences(land, p):
    p = np.asarray(p, dtype=float)
    numeric = fd_gradient(land, p, h=1e-6 * (1 + np.abs(p).max()))
    exact = land.grad(p)
    scale = 1 + np.abs(numeric).max() + abs(float(land(p)))
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-6 * scale)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), name=st.sampled_from(list(ALL)))
def test_gradient_matches_differences_anywhere_in_the_domain(data, name):
    land = ALL[name]
    assert_gradient_matches_differences(land, data.draw(point_in(land)))


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    kappa=st.floats(1, 1e4),
    angle=st.floats(-10, 10),
    lambda_min=st.floats(1e-3, 1e3),
    curvature=st.floats(1e-3, 1e4),
    a=st.floats(-3, 3),
    b=st.floats(0.1, 1e3),
)
def test_gradient_matches_differences_for_any_parameters(
    data, kappa, angle, lambda_min, curvature, a, b
):
    for land in (L.bowl(kappa, angle, lambda_min), L.parabola(curvature), L.rosenbrock(a, b)):
        assert_gradient_matches_differences(land, data.draw(point_in(land)))


@settings(max_examples=60, deadline=None)
@given(kappa=st.floats(1, 1e4), angle=st.floats(-10, 10), lambda_min=st.floats(1e-3, 1e3))
def test_bowl_eigenvalues_are_exact_for_any_parameters(kappa, angle, lambda_min):
    eig = np.linalg.eigvalsh(L.bowl(kappa, angle, lambda_min).hessian_at([0.3, -0.2]))
    np.testing.assert_allclose(eig, [lambda_min, kappa * lambda_min], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), name=st.sampled_from(list(ALL)))
def test_hessian_is_symmetric_and_matches_differences_of_the_gradient(data, name):
    land = ALL[name]
    p = np.asarray(data.draw(point_in(land)), dtype=float)
    assume(land.dim == 2 or abs(p) < 50)
    hess = land.hessian_at(p)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12, atol=1e-12)
    numeric = fd_hessian(land, p)
    np.testing.assert_allclose(hess, numeric, rtol=1e-4, atol=1e-4 * (1 + np.abs(numeric).max()))


# ---------------------------------------------------------------- nothing fools it


@pytest.mark.parametrize(
    ("make", "kwargs", "argument"),
    [
        (L.parabola, {"curvature": 1e7}, "curvature"),
        (L.bowl, {"condition_number": 1e13}, "condition_number"),
        (L.bowl, {"lambda_min": 1e7}, "lambda_min"),
        (L.bowl, {"angle": float("inf")}, "angle"),
        (L.bowl, {"condition_number": True}, "condition_number"),
        (L.rosenbrock, {"a": 11.0}, "a"),
        (L.rosenbrock, {"b": 1e7}, "b"),
    ],
)
def test_absurd_sizes_are_refused_with_the_allowed_range(make, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument} must be (in [\[(]|a number|finite)"):
        make(**kwargs)


@pytest.mark.parametrize("a", [-10.0, -2.5, 2.0, 3.0, 10.0])
def test_rosenbrock_domain_always_holds_its_minimum(a):
    land = L.rosenbrock(a)
    land.check_point([a, a * a])  # inside: no error
    (xlo, xhi), (ylo, yhi) = land.domain
    assert xlo <= a - 1 and a + 1 <= xhi and ylo <= a * a - 1 and a * a + 1 <= yhi
    assert L.rosenbrock().domain == ((-2.0, 2.0), (-1.0, 3.0))  # the default is unchanged


@pytest.mark.parametrize("name", list(ALL))
def test_grid_size_is_bounded(name):
    land = ALL[name]
    top = 1000 if land.dim == 2 else 1_000_000
    with pytest.raises(ValueError, match=re.escape(f"n must be in [2, {top:g}]")):
        land.grid(top + 1)
    for bad in (1, 0, -5, 2.5, "10", None, True):
        with pytest.raises(ValueError, match="^n must be"):
            land.grid(bad)


def test_hessian_at_checks_its_point_and_spacing():
    land = ALL["monkey saddle"]  # no exact Hessian: differences with spacing h
    np.testing.assert_allclose(land.hessian_at([0.5, 0.2], h=1e-4), land.hessian_at([0.5, 0.2]))
    for h in (0.0, -1e-5, 2.0, float("nan"), "small"):
        with pytest.raises(ValueError, match=r"^h must"):
            land.hessian_at([0.5, 0.2], h=h)
    for x in ([0.5], [[0.5, 0.2]], None, [float("nan"), 0.0], "origin"):
        with pytest.raises(ValueError, match=r"^x must"):
            land.hessian_at(x)
    with pytest.raises(ValueError, match=r"^x must have shape \(\)"):
        ALL["parabola"].hessian_at([1.0, 2.0])


def test_values_and_gradients_refuse_what_is_not_points():
    bowl, parabola = L.bowl(), L.parabola()
    with pytest.raises(ValueError, match=r"^x must have shape \(\.\.\., 2\)"):
        bowl([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^x must have shape \(\.\.\., 2\)"):
        bowl.grad(1.0)
    for bad in (None, True, "1.0", ["a"], [None, 1.0], {"x": 1.0}):
        with pytest.raises(ValueError, match=r"^x must"):
            parabola(bad)
    # far away or not finite: an honest inf or nan, without a warning
    assert parabola(1e300) == np.inf and np.isnan(parabola(np.nan))
    assert bowl.grad([np.inf, 0.0])[0] == np.inf


def test_landscape_constructor_checks_every_field():
    good = {
        "name": "line",
        "dim": 1,
        "value": lambda x: x,
        "gradient": np.ones_like,
        "domain": ((-1.0, 1.0),),
    }
    land = L.Landscape(**good, minima=[0.5])
    assert land.minima.shape == (1,) and land.saddles.shape == (0,)
    assert L.Landscape(**{**good, "dim": 2, "domain": ((0, 1), (0, 1))}).minima.shape == (0, 2)
    bad = [
        ({"name": 3}, "name"),
        ({"dim": 3}, "dim"),
        ({"dim": True}, "dim"),
        ({"dim": 1.0}, "dim"),
        ({"value": 1.0}, "value"),
        ({"gradient": None}, "gradient"),
        ({"hessian": "exact"}, "hessian"),
        ({"domain": (-1.0, 1.0)}, "domain"),
        ({"domain": ((1.0, -1.0),)}, r"domain\[0\]"),
        ({"domain": ((-1.0, float("inf")),)}, r"domain\[0\]"),
        ({"domain": ((-1.0, 1.0), (-1.0, 1.0))}, "domain"),
        ({"minima": ["a"]}, "minima"),
        ({"saddles": [float("nan")]}, "saddles"),
        ({"description": None}, "description"),
        ({"dim": 2, "domain": ((0, 1), (0, 1)), "maxima": [1.0, 2.0, 3.0]}, "maxima"),
    ]
    for change, argument in bad:
        with pytest.raises(ValueError, match=rf"^{argument} must"):
            L.Landscape(**{**good, **change})
