"""Argument checks shared by every public function: one clear ValueError naming the argument."""

from __future__ import annotations

import numbers

import numpy as np


def number(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Return ``value`` as a float (or int) after checking it lies in the allowed range.

    ``low_open``/``high_open`` make the bound strict, so ``number("lr", x, low=0, low_open=True)``
    accepts only positive learning rates.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        wanted = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(
            f"{name} must be in {_interval(low, high, low_open, high_open)}, got {value!r}"
        )
    return int(value) if integer else float(value)


def positive(name, value):
    return number(name, value, low=0, low_open=True)


def non_negative(name, value):
    return number(name, value, low=0)


def count(name, value, minimum=1):
    return number(name, value, low=minimum, integer=True)


def choice(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def array(name, value, *, shape=None, ndim=None):
    """Return ``value`` as a finite float64 array, checking its shape when asked."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {value!r}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {arr.shape}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers, got {value!r}")
    return arr


def _interval(low, high, low_open, high_open):
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"
