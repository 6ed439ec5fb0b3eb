"""Argument checks shared by every public function: one clear error naming the argument.

The contract: a bad argument raises ``ValueError`` (or ``TypeError`` for a wrong kind of object)
whose message starts with the argument's name and says what is allowed. Loops a learner can size
are bounded by :data:`MAX_STEPS`, so no call runs for hours or asks for gigabytes by mistake.
"""

from __future__ import annotations

import numbers

import numpy as np

#: The most updates, steps or points any loop of the course accepts in one call.
MAX_STEPS = 1_000_000


def number(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Return ``value`` as a float (or int) after checking it lies in the allowed range.

    ``low_open``/``high_open`` make the bound strict, so ``number("lr", x, low=0, low_open=True)``
    accepts only positive learning rates. Booleans and strings are refused, not converted.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool | np.bool_) or not isinstance(value, kind):
        wanted = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {wanted}, got {_brief(value)}")
    try:
        finite = bool(np.isfinite(value))
    except (TypeError, OverflowError):  # an int too large for a float, such as 10**400
        finite = integer  # any integer is finite; the range check below refuses it
    if not finite:
        raise ValueError(f"{name} must be finite, got {_brief(value)}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(
            f"{name} must be in {_interval(low, high, low_open, high_open)}, got {_brief(value)}"
        )
    return int(value) if integer else float(value)


def positive(name, value):
    return number(name, value, low=0, low_open=True)


def non_negative(name, value):
    return number(name, value, low=0)


def fraction(name, value, *, low_open=False, high_open=True):
    """A number in [0, 1) by default (a decay or momentum coefficient)."""
    return number(name, value, low=0, high=1, low_open=low_open, high_open=high_open)


def count(name, value, minimum=1, maximum=MAX_STEPS):
    """An integer in ``[minimum, maximum]``; the default ceiling keeps loops finite."""
    return number(name, value, low=minimum, high=maximum, integer=True)


def flag(name, value):
    """``True`` or ``False`` only: the string ``"False"`` is truthy, so strings are refused."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(name, value, options):
    try:
        known = isinstance(value, str | int | float | type(None)) and value in options
    except TypeError:
        known = False
    if not known:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def function(name, value):
    if not callable(value):
        raise ValueError(f"{name} must be a function, got {value!r}")
    return value


def array(name, value, *, shape=None, ndim=None, max_size=MAX_STEPS, finite=True):
    """Return ``value`` as a float64 array (finite unless told), checking its shape when asked."""
    if isinstance(value, str | bytes | dict | set):
        raise ValueError(f"{name} must be numeric, got {value!r}")
    try:  # refuse range(10**12) by its length, before numpy tries to allocate it
        length = len(value)
    except Exception:  # no length (a number), or one that cannot be told
        length = 0
    if length > max_size:
        raise ValueError(f"{name} must have at most {max_size:,} entries, got {length:,}")
    try:
        arr = np.asarray(value, dtype=float)
    except MemoryError:
        raise ValueError(f"{name} must have at most {max_size:,} entries") from None
    except Exception:  # TypeError, ValueError, OverflowError or an odd object's own error
        raise ValueError(f"{name} must be numeric, got {_brief(value)}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {arr.shape}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size > max_size:
        raise ValueError(f"{name} must have at most {max_size:,} entries, got {arr.size:,}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers, got {_brief(value)}")
    return arr


def sequence(name, value, max_size=MAX_STEPS):
    """A list from a list, tuple or 1-D array; strings, dicts and scalars are refused."""
    if isinstance(value, str | bytes | dict) or not hasattr(value, "__len__"):
        raise ValueError(f"{name} must be a list, got {_brief(value)}")
    if getattr(value, "ndim", 1) == 0:
        raise ValueError(f"{name} must be a list, got {_brief(value)}")
    if len(value) > max_size:
        raise ValueError(f"{name} must have at most {max_size:,} entries, got {len(value):,}")
    return list(value)


def _brief(value):
    try:
        text = repr(value)
    except Exception:  # an object may break its own repr
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _interval(low, high, low_open, high_open):
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


def numeric(name, value, **kwargs):
    """Like :func:`array`, but None, True/False and text anywhere inside are refused rather than
    converted (NumPy would quietly turn None into nan, True into 1.0 and "0.5" into 0.5)."""
    arr = array(name, value, **kwargs)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return arr
    entries = np.asarray(value, dtype=object).ravel()  # the size is checked: at most max_size
    bad = [v for v in entries if not _is_number(v)]
    if bad:
        raise ValueError(f"{name} must hold numbers only, got {_brief(bad[0])} in {_brief(value)}")
    return arr


def _is_number(value):
    if isinstance(value, np.ndarray):  # a 0-d array such as np.array(1.0)
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def float_array(name, value, like=None):
    """A non-empty float array that keeps its precision (float32 stays float32, integers become
    float64); shaped like the array ``like`` and in its dtype, if given. inf and nan pass: the
    parameters of a diverging run are still parameters."""
    if like is not None:
        if type(value) is np.ndarray and value.dtype == like.dtype and value.shape == like.shape:
            return value  # at once: an optimizer checks its arguments at every step
        arr = float_array(name, value)
        if arr.shape != like.shape:
            raise ValueError(f"{name} must have the shape {like.shape}, got {arr.shape}")
        return arr if arr.dtype == like.dtype else arr.astype(like.dtype)
    if type(value) is np.ndarray and value.dtype.kind == "f" and value.size:
        return value  # at once: an optimizer checks its arguments at every step
    arr = None
    if value is not None and not isinstance(value, str | bytes | dict | set | bool | np.bool_):
        try:
            arr = np.asarray(value)
        except Exception:  # ragged lists, objects whose __array__ fails...: not numbers
            pass
    if arr is None or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be an array of numbers, got {_brief(value)}")
    if not arr.size:
        raise ValueError(f"{name} must hold at least one number, got an empty array")
    return arr if arr.dtype.kind == "f" else arr.astype(float)
