"""Property tests: the NumPy curve, the Keras adapter and Keras's built-ins agree around every
boundary (restart starts, stair edges, warmup ends, cycle peaks, piecewise boundaries)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lrcourse import schedules as S
from lrcourse.keras.schedules import keras, keras_curve, to_keras

K = keras.optimizers.schedules
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

rates = st.floats(1e-4, 1.0)
fractions = st.floats(0.0, 1.0)
int_lengths = st.integers(1, 150)
lengths = st.one_of(int_lengths, st.floats(0.5, 150).map(lambda x: round(x, 2)))
t_muls = st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 7.0, 10.0])  # exact in binary


def multiples(size, count=6):
    return [k * size for k in range(1, count + 1)]


def restart_starts(first, t_mul, count=8, beyond=0):
    """Exact starts (Fractions) of the first ``count`` periods, and on until one is past ``beyond``:
    period i starts at first * (1 + t_mul + ... + t_mul**(i-1))."""
    t, out = Fraction(t_mul), [Fraction(0)]
    while len(out) <= count or out[-1] <= beyond:
        out.append(out[-1] + Fraction(first) * t ** (len(out) - 1))
    return out


@st.composite
def schedules(draw, depth=0, integer=False):
    """A random valid schedule and the steps where something happens in it."""
    length = int_lengths if integer else lengths
    kinds = ["exp", "inv", "piecewise", "poly", "cosine", "restarts", "cyclical", "one"]
    if depth == 0:
        kinds += ["warmup", "sequence"]
    kind = draw(st.sampled_from(kinds))
    lr0 = draw(rates)
    if kind in ("exp", "inv"):
        d, stairs = draw(length), draw(st.booleans())
        if kind == "exp":
            s = S.ExponentialDecay(lr0, d, draw(st.floats(0.05, 1.0)), stairs)
        else:
            s = S.InverseTimeDecay(lr0, d, draw(st.floats(0.01, 5.0)), stairs)
        return s, multiples(d)
    if kind == "piecewise":
        bounds = sorted(draw(st.sets(st.integers(0, 400), min_size=1, max_size=6)))
        values = draw(st.lists(rates, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
        return S.PiecewiseConstantDecay(bounds, values), bounds
    if kind == "poly":
        d = draw(length)
        s = S.PolynomialDecay(
            lr0, d, lr0 * draw(fractions), draw(st.floats(0.3, 3)), draw(st.booleans())
        )
        return s, multiples(d)
    if kind == "cosine":
        d, alpha = draw(length), draw(fractions)
        if draw(st.booleans()):
            warm = draw(st.integers(0, 50))
            s = S.CosineDecay(lr0 * draw(fractions), d, alpha, warmup_target=lr0, warmup_steps=warm)
            return s, [warm, warm + d]
        return S.CosineDecay(lr0, d, alpha), [d]
    if kind == "restarts":
        first, t_mul = draw(length), draw(t_muls)
        s = S.CosineDecayRestarts(lr0, first, t_mul, draw(st.floats(0.3, 1.0)), draw(fractions))
        return s, restart_starts(first, t_mul)
    if kind == "cyclical":
        half = draw(length)
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        s = S.Cyclical(lr0, lr0 * draw(st.floats(1.0, 10.0)), half, mode, draw(st.floats(0.9, 1.0)))
        return s, multiples(half)
    if kind == "one":
        total = draw(st.integers(10, 400))
        pct = draw(st.floats(0.05, 0.9))
        assume(pct * total > 1)
        strategy = draw(st.sampled_from(["cos", "linear"]))
        s = S.OneCycle(lr0, total, pct, draw(st.floats(1, 50)), draw(st.floats(1, 1e4)), strategy)
        return s, [pct * total - 1, total - 1]
    if kind == "warmup":
        inner, edges = draw(schedules(depth=1, integer=integer))
        warm, shift = draw(st.integers(0, 60)), draw(st.booleans())
        s = S.warmup(inner, warm, start=lr0 * draw(fractions), shift=shift)
        return s, [warm] + [e + warm if shift else e for e in edges]
    parts = draw(st.lists(schedules(depth=1, integer=integer), min_size=2, max_size=3))
    gaps = draw(st.lists(st.integers(1, 200), min_size=len(parts) - 1, max_size=len(parts) - 1))
    bounds = list(np.cumsum(gaps).tolist())
    edges = list(bounds)
    for begin, (_, inner) in zip([0, *bounds], parts, strict=True):
        edges += [begin + e for e in inner]
    return S.sequence([p for p, _ in parts], bounds), edges


def around(edges, extra):
    """Integer steps at, just before and just after every edge, plus some others."""
    steps = set(extra)
    for edge in edges:
        low, high = math.floor(edge), math.ceil(edge)
        steps.update(k for k in (low - 1, low, high, high + 1) if k >= 0)
    return np.array(sorted(steps), dtype=np.int64)


def peak(schedule, steps):
    """The largest rate of the curve up to the last step (on a fine grid, the steps included)."""
    return np.max(schedule(np.concatenate([steps, np.linspace(0, np.max(steps), 100_001)])))


def assert_close_to_peak(got, want, top):
    """Equal within float32 rounding: 1e-6 of the largest rate on the curve (float32 flushes
    numbers below 1.2e-38 to zero)."""
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * top + 1.2e-38)


# ------------------------------------------------------------------ (a) NumPy == Keras adapter


@SETTINGS
@given(schedules(), st.lists(st.integers(0, 5000), max_size=20))
def test_numpy_curve_and_keras_adapter_agree_around_every_boundary(drawn, extra):
    schedule, edges = drawn
    steps = around(edges, extra)
    want = schedule(steps)
    assert not np.any(np.isnan(want)) and np.all(want >= 0)
    assert_close_to_peak(keras_curve(to_keras(schedule), steps), want, peak(schedule, steps))


@SETTINGS
@given(schedules(), st.integers(0, 3000))
def test_the_adapter_takes_one_step_as_an_optimizer_gives_it(drawn, step):
    schedule, _ = drawn
    got = float(to_keras(schedule)(keras.ops.convert_to_tensor(np.int64(step))))
    assert got == pytest.approx(schedule(step), rel=1e-6, abs=1e-12)


# ------------------------------------------------------------------ (b) restarts, in the adapter


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(2, 10), st.integers(1, 100), st.floats(0.2, 1.0))
def test_adapter_restarts_start_at_their_height(t_mul, first, m_mul):
    s = S.CosineDecayRestarts(1.0, first, float(t_mul), m_mul)
    starts = [int(x) for x in restart_starts(first, t_mul, count=30) if x < 10**7]
    want = m_mul ** np.arange(len(starts))
    np.testing.assert_allclose(keras_curve(to_keras(s), starts), want, rtol=1e-7)
    np.testing.assert_allclose(s(starts), want, rtol=1e-15)


# ------------------------------------------------------------------ (c) core == Keras built-ins


def keras_twin(schedule):
    """The keras.optimizers.schedules object with the same arguments."""
    name = type(schedule).__name__
    config = schedule.get_config()
    config.pop("counts", None)
    return getattr(K, name)(**config)


def keras_eager(builtin, steps):
    """Keras's own schedule, eager, at int64 steps (one at a time if it needs a scalar step)."""
    if getattr(builtin, "warmup_target", None) is not None:  # ops.cond wants one step
        return np.array([float(builtin(np.int64(k))) for k in steps])
    return np.asarray(builtin(keras.ops.convert_to_tensor(steps)), dtype=float)


def float32_noise(schedule, steps):
    """How far evaluating this very formula in float32 (with keras.ops) moves its values."""
    f32 = schedule.formula(keras.ops.convert_to_tensor(steps.astype("float32")), keras.ops)
    return np.abs(np.asarray(keras.ops.convert_to_numpy(f32), dtype=float) - schedule(steps))


def exact_restarts(schedule, step):
    """SGDR at ``step`` from the exact period index (Fractions), in float64."""
    starts = restart_starts(schedule.first_decay_steps, schedule.t_mul, beyond=step)
    i = max(j for j, start in enumerate(starts) if start <= step)
    pct = float((step - starts[i]) / (starts[i + 1] - starts[i]))
    height = schedule.m_mul**i * 0.5 * (1 + math.cos(math.pi * pct))
    return schedule.initial_learning_rate * ((1 - schedule.alpha) * height + schedule.alpha)


@st.composite
def keras_schedules(draw):
    schedule, edges = draw(schedules(depth=1, integer=True))
    assume(not isinstance(schedule, S.Cyclical | S.OneCycle))  # Keras has neither
    with_warmup = isinstance(schedule, S.CosineDecay) and schedule.warmup_target is not None
    assume(not with_warmup or draw(st.integers(0, 3)) == 0)  # slow in Keras: one step at a time
    return schedule, edges


@SETTINGS
@given(keras_schedules(), st.lists(st.integers(0, 5000), max_size=10))
def test_core_matches_keras_builtins_except_where_keras_restarts_a_step_off(drawn, extra):
    schedule, edges = drawn
    steps = around(edges, extra)
    ours, theirs = schedule(steps), keras_eager(keras_twin(schedule), steps)
    # Keras computes in float32: rounding its parameters and step / decay_steps moves the value
    # by as much as the same formula in float32 moves it (large where 1 - step / T cancels, or
    # where rate**p has a large p); beyond that only Keras's restarts may differ.
    top = peak(schedule, steps)
    noise = 4 * float32_noise(schedule, steps)
    if isinstance(schedule, S.CosineDecayRestarts) and schedule.t_mul == 1:
        # Keras takes the position in the period as step / T0 - floor(step / T0) in float32:
        # after i periods it is off by about i float32 epsilons (ours: (step - i T0) / T0)
        noise += top * 1.2e-7 * steps / schedule.first_decay_steps
    differ = np.abs(ours - theirs) > 1e-6 * top + noise
    for step, mine, keras_value in zip(steps[differ], ours[differ], theirs[differ], strict=True):
        # The claim: only CosineDecayRestarts differs, at a restart, and Keras is the wrong one.
        assert isinstance(schedule, S.CosineDecayRestarts), (step, mine, keras_value)
        starts = restart_starts(schedule.first_decay_steps, schedule.t_mul, beyond=step)
        assert min(abs(step - start) for start in starts) <= 1
        exact = exact_restarts(schedule, int(step))
        assert mine == pytest.approx(exact, rel=1e-9, abs=1e-15)
        assert abs(keras_value - exact) > 1e-6 * top


def test_keras_misses_restart_starts_the_core_hits():
    s = S.CosineDecayRestarts(1.0, 1, t_mul=3.0)
    builtin = K.CosineDecayRestarts(1.0, 1, t_mul=3.0)
    assert s(121) == 1.0 and float(to_keras(s)(121)) == 1.0
    # Keras's float32 floor(log): count the restart starts it misses for t_mul 2-10, T0 1-100
    missed = total = 0
    for t_mul in range(2, 11):
        for first in range(1, 101, 9):
            starts = [int(x) for x in restart_starts(first, t_mul, count=30) if x < 2**24]
            k = np.asarray(
                K.CosineDecayRestarts(1.0, first, float(t_mul))(
                    keras.ops.convert_to_tensor(np.array(starts, dtype=np.int64))
                )
            )
            missed += int(np.sum(np.abs(k - 1.0) > 1e-3))
            total += len(starts)
            np.testing.assert_allclose(S.CosineDecayRestarts(1.0, first, float(t_mul))(starts), 1.0)
    assert missed > 0 and total > 500  # Keras misses some; ours never does (checked above)
    assert abs(float(builtin(120)) - s(120)) < 1e-6


def test_traced_keras_staircases_can_drop_a_step_late():
    """keras_curve's docstring claims Keras's traced staircase can be late: ours never is."""
    builtin = K.ExponentialDecay(0.6, 110, 0.5, staircase=True)
    ours = S.ExponentialDecay(0.6, 110, 0.5, staircase=True)
    steps = np.array([109, 110, 111, 219, 220, 221, 439, 440, 441])
    want = ours(steps)
    np.testing.assert_allclose(keras_eager(builtin, steps), want, rtol=1e-6)
    np.testing.assert_allclose(keras_curve(ours, steps), want, rtol=1e-6)
    traced = keras_curve(builtin, steps)
    late = ~np.isclose(traced, want, rtol=1e-6)
    assert late.any() and np.all(
        steps[late] % 110 == 0
    )  # wherever traced Keras differs, it is at an edge
    np.testing.assert_allclose(traced[late], 2 * want[late], rtol=1e-6)  # one stair too high
