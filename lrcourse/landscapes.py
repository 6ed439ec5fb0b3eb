"""Loss landscapes: small objects with a value, an exact gradient, a domain and critical points.

A 1-D landscape takes arrays of any shape (one number per point); a 2-D landscape takes arrays of
shape ``(..., 2)``. Both are vectorised, so a whole grid or many start points go in one call.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lrcourse import _checks


@dataclass(frozen=True, eq=False)
class Landscape:
    """A loss landscape: ``value(x)``, its exact ``gradient(x)`` and the ``domain`` to start in.

    ``domain`` is ``((lo, hi),)`` for 1-D and ``((xlo, xhi), (ylo, yhi))`` for 2-D. The known
    critical points (``minima``, ``saddles``, ``maxima``) have shape ``(k,)`` in 1-D and ``(k, 2)``
    in 2-D. ``hessian`` is the exact Hessian when known (else differences of the gradient are used).
    """

    name: str
    dim: int
    value: Callable
    gradient: Callable
    domain: tuple
    minima: np.ndarray = field(default_factory=lambda: np.empty((0,)))
    saddles: np.ndarray = field(default_factory=lambda: np.empty((0,)))
    maxima: np.ndarray = field(default_factory=lambda: np.empty((0,)))
    hessian: Callable | None = None
    description: str = ""

    def __post_init__(self):
        for arg in ("name", "description"):
            if not isinstance(getattr(self, arg), str):
                raise ValueError(f"{arg} must be a string, got {getattr(self, arg)!r}")
        dim = self.dim
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or dim not in (1, 2):
            raise ValueError(f"dim must be 1 or 2, got {dim!r}")
        for arg in ("value", "gradient") + (("hessian",) if self.hessian is not None else ()):
            _checks.function(arg, getattr(self, arg))
        set_field = functools.partial(object.__setattr__, self)  # the dataclass is frozen
        set_field("dim", int(dim))
        set_field("domain", _domain(self.domain, dim))
        for kind in ("minima", "saddles", "maxima"):
            points = _checks.numeric(kind, getattr(self, kind))
            set_field(kind, points.reshape(-1) if dim == 1 else _pairs(kind, points))

    def __call__(self, x):
        """The loss at ``x``: one number per point, anywhere (nan in gives nan out)."""
        x = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):  # far away: inf, as it should be
            return self.value(x)

    def grad(self, x):
        """The exact gradient at ``x``, shaped like ``x``."""
        x = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.gradient(x)

    def _points(self, x):
        x = _checks.numeric("x", x, max_size=np.inf, finite=False)
        if self.dim == 2 and (x.ndim == 0 or x.shape[-1] != 2):
            raise ValueError(f"x must have shape (..., 2) for the 2-D {self.name}, got {x.shape}")
        return x

    @property
    def min_value(self):
        """The lowest known value (the global minimum when the minima are all known)."""
        return float(np.min(self.value(self.minima))) if len(self.minima) else float("nan")

    def check_point(self, x, name="x0"):
        """Return ``x`` as an array after checking its shape and that it lies inside the domain."""
        if not isinstance(name, str):
            raise ValueError(f"name must be a string, got {name!r}")
        x = _checks.numeric(name, x, shape=() if self.dim == 1 else (2,))
        for axis, (lo, hi) in enumerate(self.domain):
            coord = float(x) if self.dim == 1 else float(x[axis])
            if not lo <= coord <= hi:
                label = name if self.dim == 1 else f"{name}[{axis}]"
                raise ValueError(
                    f"{label} must lie in the domain [{lo:g}, {hi:g}] of {self.name}, got {coord:g}"
                )
        return x

    def hessian_at(self, x, h=1e-5):
        """The Hessian at one point ``x`` (shape ``(dim, dim)``): exact when known, otherwise
        central differences of the exact gradient with spacing ``h`` (in (0, 1])."""
        x = _checks.numeric("x", x, shape=() if self.dim == 1 else (2,))
        h = _checks.number("h", h, low=0, high=1, low_open=True)
        if self.hessian is not None:
            return np.asarray(self.hessian(x), dtype=float)
        if self.dim == 1:
            return np.array([[(self.grad(x + h) - self.grad(x - h)) / (2 * h)]])
        cols = [(self.grad(x + h * e) - self.grad(x - h * e)) / (2 * h) for e in np.eye(2)]
        hess = np.column_stack(cols)
        return (hess + hess.T) / 2

    def grid(self, n=200):
        """A grid over the domain and the values on it, for contour plots (2-D) or curves (1-D).

        ``n`` points per axis: 2 to 1,000,000 in 1-D, 2 to 1,000 in 2-D (n * n points).
        """
        n = _checks.count("n", n, minimum=2, maximum=_checks.MAX_STEPS if self.dim == 1 else 1000)
        axes = [np.linspace(lo, hi, n) for lo, hi in self.domain]
        if self.dim == 1:
            return axes[0], self.value(axes[0])
        xx, yy = np.meshgrid(*axes)
        return xx, yy, self.value(np.stack([xx, yy], axis=-1))

    def __repr__(self):
        return f"Landscape({self.name!r}, dim={self.dim})"


def _domain(domain, dim):
    """``domain`` as ``dim`` pairs of floats ``(lo, hi)`` with ``lo < hi``."""
    pairs = domain if isinstance(domain, tuple | list) else ()
    if len(pairs) != dim or not all(isinstance(p, tuple | list) and len(p) == 2 for p in pairs):
        raise ValueError(f"domain must hold {dim} pair(s) (lo, hi), got {domain!r}")
    checked = []
    for axis, (lo, hi) in enumerate(pairs):
        lo = _checks.number(f"domain[{axis}]", lo)
        checked.append((lo, _checks.number(f"domain[{axis}]", hi, low=lo, low_open=True)))
    return tuple(checked)


def _pairs(name, points):
    if points.ndim > 2 or (points.size and points.shape[-1:] != (2,)):
        raise ValueError(f"{name} must have shape (k, 2) for a 2-D landscape, got {points.shape}")
    return points.reshape(-1, 2)


def _pts(*points):
    return np.array(points, dtype=float)


# ---------------------------------------------------------------- 1-D landscapes


def parabola(curvature=1.0):
    """``f(x) = curvature/2 * x^2``: a gradient step multiplies x by ``1 - lr*curvature``.

    ``curvature`` lies in (0, 1e6].
    """
    a = _checks.number("curvature", curvature, low=0, high=1e6, low_open=True)
    return Landscape(
        "parabola",
        1,
        lambda x: 0.5 * a * x**2,
        lambda x: a * x,
        ((-3.0, 3.0),),
        minima=_pts(0.0),
        hessian=lambda x: np.array([[a]]),
        description=f"f(x) = {a:g}/2 x^2, one valley at 0, curvature {a:g}",
    )


def cubic():
    """``f(x) = x^3``: zero slope at 0 without a minimum (a 1-D saddle, or inflection point)."""
    return Landscape(
        "cubic",
        1,
        lambda x: x**3,
        lambda x: 3 * x**2,
        ((-2.0, 2.0),),
        saddles=_pts(0.0),
        hessian=lambda x: np.array([[6 * float(x)]]),
        description="f(x) = x^3: flat at 0, yet not a minimum",
    )


# Valleys of the 1-D range: centre, depth, width. The valley near x = 2.6 is narrow (curvature
# about 22, so it holds only learning rates below about 0.09); the deepest, near x = -1, is wide.
_WELLS_1D = np.array([[2.6, 0.5, 0.15], [-1.0, 1.6, 0.7], [-3.8, 0.9, 0.45]])


def _range_1d_value(x):
    d = np.asarray(x)[..., None] - _WELLS_1D[:, 0]
    wells = _WELLS_1D[:, 1] * np.exp(-(d**2) / (2 * _WELLS_1D[:, 2] ** 2))
    return 0.05 * np.asarray(x) ** 2 - wells.sum(-1)


def _range_1d_grad(x):
    d = np.asarray(x)[..., None] - _WELLS_1D[:, 0]
    wells = (
        _WELLS_1D[:, 1] * np.exp(-(d**2) / (2 * _WELLS_1D[:, 2] ** 2)) * d / _WELLS_1D[:, 2] ** 2
    )
    return 0.1 * np.asarray(x) + wells.sum(-1)


def mountain_range_1d():
    """Three valleys on a gentle bowl: a narrow shallow one, a wide deepest one, a medium one."""
    lo, hi = -6.0, 6.0
    minima, maxima = _critical_points_1d(_range_1d_grad, lo, hi)
    return Landscape(
        "mountain range (1-D)",
        1,
        _range_1d_value,
        _range_1d_grad,
        ((lo, hi),),
        minima=minima,
        maxima=maxima,
        description="three Gaussian valleys on 0.05 x^2: narrow and shallow near 2.6, wide and "
        "deepest near -1, medium near -3.7",
    )


def _critical_points_1d(grad, lo, hi, n=20001):
    """Sign changes of the gradient on a fine grid, refined by bisection."""
    xs = np.linspace(lo, hi, n)
    gs = grad(xs)
    minima, maxima = [], []
    for i in np.nonzero(np.sign(gs[:-1]) != np.sign(gs[1:]))[0]:
        a, b = xs[i], xs[i + 1]
        for _ in range(60):
            m = (a + b) / 2
            a, b = (a, m) if np.sign(grad(a)) != np.sign(grad(m)) else (m, b)
        (minima if gs[i] < 0 else maxima).append((a + b) / 2)
    return np.array(minima), np.array(maxima)


# ---------------------------------------------------------------- 2-D landscapes


def bowl(condition_number=10.0, angle=0.0, lambda_min=1.0):
    """A quadratic bowl ``f(w) = 1/2 w^T H w`` whose Hessian has eigenvalues
    ``lambda_min`` and ``condition_number * lambda_min``, its axes turned by ``angle`` radians.

    ``condition_number`` lies in [1, 1e12], ``lambda_min`` in (0, 1e6].
    """
    kappa = _checks.number("condition_number", condition_number, low=1, high=1e12)
    lam_min = _checks.number("lambda_min", lambda_min, low=0, high=1e6, low_open=True)
    theta = _checks.number("angle", angle)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    hess = rot @ np.diag([lam_min, kappa * lam_min]) @ rot.T
    return Landscape(
        "bowl",
        2,
        lambda p: 0.5 * np.einsum("...i,ij,...j->...", p, hess, p),
        lambda p: p @ hess.T,
        ((-3.0, 3.0), (-3.0, 3.0)),
        minima=_pts((0.0, 0.0)),
        hessian=lambda p: hess,
        description=f"quadratic bowl, eigenvalues {lam_min:g} and {kappa * lam_min:g} "
        f"(condition number {kappa:g})",
    )


def saddle():
    """``f = x^2 - y^2``: downhill along y, uphill along x; the origin is a saddle point."""
    return Landscape(
        "saddle",
        2,
        lambda p: p[..., 0] ** 2 - p[..., 1] ** 2,
        lambda p: np.stack([2 * p[..., 0], -2 * p[..., 1]], axis=-1),
        ((-2.0, 2.0), (-2.0, 2.0)),
        saddles=_pts((0.0, 0.0)),
        hessian=lambda p: np.diag([2.0, -2.0]),
        description="x^2 - y^2: a horse saddle",
    )


def monkey_saddle():
    """``f = x^3 - 3 x y^2``: three valleys meet at a flat point (room for a monkey's tail)."""
    return Landscape(
        "monkey saddle",
        2,
        lambda p: p[..., 0] ** 3 - 3 * p[..., 0] * p[..., 1] ** 2,
        lambda p: np.stack(
            [3 * p[..., 0] ** 2 - 3 * p[..., 1] ** 2, -6 * p[..., 0] * p[..., 1]], axis=-1
        ),
        ((-1.5, 1.5), (-1.5, 1.5)),
        saddles=_pts((0.0, 0.0)),
        description="x^3 - 3xy^2: a degenerate saddle, the Hessian is zero there",
    )


def rosenbrock(a=1.0, b=100.0):
    """Rosenbrock's banana valley ``(a - x)^2 + b (y - x^2)^2``: easy to find, slow to follow.

    ``a`` lies in [-10, 10] and ``b`` in (0, 1e6]. The domain is [-2, 2] x [-1, 3], widened when
    needed so that it holds the minimum ``(a, a^2)`` with a margin of 1.
    """
    a = _checks.number("a", a, low=-10, high=10)
    b = _checks.number("b", b, low=0, high=1e6, low_open=True)

    def value(p):
        x, y = p[..., 0], p[..., 1]
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def gradient(p):
        x, y = p[..., 0], p[..., 1]
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], axis=-1)

    return Landscape(
        "Rosenbrock",
        2,
        value,
        gradient,
        ((min(-2.0, a - 1), max(2.0, a + 1)), (-1.0, max(3.0, a * a + 1))),
        minima=_pts((a, a * a)),
        description=f"(a - x)^2 + b (y - x^2)^2 with a={a:g}, b={b:g}",
    )


# Wells of the 2-D mountain range: centre x, centre y, depth, width.
_WELLS = np.array(
    [
        [-1.6, 1.2, 1.0, 0.55],
        [1.4, 1.3, 1.6, 0.5],
        [0.4, -1.4, 2.2, 0.45],
        [-1.2, -1.0, 0.7, 0.5],
    ]
)


def _range_value(p):
    d2 = ((p[..., None, :] - _WELLS[:, :2]) ** 2).sum(-1)
    return 0.08 * (p**2).sum(-1) - (_WELLS[:, 2] * np.exp(-d2 / (2 * _WELLS[:, 3] ** 2))).sum(-1)


def _range_grad(p):
    diff = p[..., None, :] - _WELLS[:, :2]
    d2 = (diff**2).sum(-1)
    weight = _WELLS[:, 2] * np.exp(-d2 / (2 * _WELLS[:, 3] ** 2)) / _WELLS[:, 3] ** 2
    return 0.16 * p + (weight[..., None] * diff).sum(-2)


def _range_hessian(p):
    diff = p[..., None, :] - _WELLS[:, :2]
    d2 = (diff**2).sum(-1)
    s2 = _WELLS[:, 3] ** 2
    weight = _WELLS[:, 2] * np.exp(-d2 / (2 * s2)) / s2
    outer = diff[..., :, None] * diff[..., None, :] / s2[:, None, None]
    return 0.16 * np.eye(2) + (weight[..., None, None] * (np.eye(2) - outer)).sum(-3)


@functools.lru_cache(maxsize=1)
def mountain_range():
    """Four valleys of different depths on a gentle bowl: local optima to get stuck in."""
    landscape = Landscape(
        "mountain range",
        2,
        _range_value,
        _range_grad,
        ((-3.0, 3.0), (-3.0, 3.0)),
        hessian=_range_hessian,
        description="four Gaussian valleys of depths 1.0, 1.6, 2.2 and 0.7 on a gentle bowl",
    )
    minima, saddles, maxima = _critical_points_2d(landscape)
    return dataclasses.replace(landscape, minima=minima, saddles=saddles, maxima=maxima)


def _critical_points_2d(landscape, n=41):
    """Newton's method on the gradient from a grid of starts (all at once, vectorised), then
    classify each critical point by the signs of its Hessian's eigenvalues."""
    axes = [np.linspace(lo, hi, n) for lo, hi in landscape.domain]
    x = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        for _ in range(40):
            hess = landscape.hessian(x)
            ok = np.abs(np.linalg.det(hess)) > 1e-10
            step = np.zeros_like(x)
            step[ok] = np.linalg.solve(hess[ok], landscape.grad(x[ok])[..., None])[..., 0]
            x = np.clip(x - step, -10, 10)
        lows, highs = np.array(landscape.domain).T
        keep = np.all((x >= lows) & (x <= highs), axis=1)
        keep &= np.linalg.norm(landscape.grad(x), axis=1) < 1e-9
    found = []
    for point in x[keep]:
        if not any(np.linalg.norm(point - f) < 1e-6 for f in found):
            found.append(point)
    kinds = {"min": [], "saddle": [], "max": []}
    for point in found:
        eig = np.linalg.eigvalsh(landscape.hessian(point))
        kinds["min" if eig.min() > 0 else "max" if eig.max() < 0 else "saddle"].append(point)
    return tuple(
        np.array(sorted(map(tuple, kinds[k]))).reshape(-1, 2) for k in ("min", "saddle", "max")
    )


def plateau():
    """A bowl whose centre sits below a wide, almost flat plateau: gradients near zero far away."""

    def value(p):
        r2 = (p**2).sum(-1)
        return 1 - np.exp(-r2 / 2)

    def gradient(p):
        r2 = (p**2).sum(-1)
        return p * np.exp(-r2 / 2)[..., None]

    return Landscape(
        "plateau",
        2,
        value,
        gradient,
        ((-6.0, 6.0), (-6.0, 6.0)),
        minima=_pts((0.0, 0.0)),
        description="1 - exp(-|w|^2 / 2): a valley in the middle of a flat plain",
    )


def all_landscapes():
    """Every landscape of the course, by name, with default settings."""
    lands = [parabola(), cubic(), mountain_range_1d(), bowl(), saddle(), monkey_saddle()]
    lands += [rosenbrock(), mountain_range(), plateau()]
    return {land.name: land for land in lands}
