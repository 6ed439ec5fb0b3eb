"""Gradient descent: the exact stability bound, closed forms, clean divergence reports, checks."""

import math
import time
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrcourse import landscapes as L
from lrcourse.descent import (
    ESCAPE_RADIUS,
    MAX_STEPS,
    Trajectory,
    descend,
    noisy_descent,
    sweep,
)
from lrcourse.optimizers import SGD


def first_escape(x0, factors, radius=ESCAPE_RADIUS):
    """The first step k with ``max_i |x0_i * factors_i**k|`` above ``radius`` (closed form)."""
    k = 1
    while np.max(np.abs(np.asarray(x0) * np.asarray(factors) ** k)) <= radius:
        k += 1
    return k


def flat():
    """A landscape with zero gradient everywhere: any movement is the added noise."""
    return L.Landscape(
        "flat", 2, lambda p: np.zeros(np.shape(p)[:-1]), np.zeros_like, ((-1e3, 1e3),) * 2
    )


def steep_wall():
    """``exp(x^2) - 1``: a finite step from x = 1 with lr 10 lands where exp overflows."""
    return L.Landscape(
        "steep wall",
        1,
        lambda x: np.exp(x**2) - 1,
        lambda x: 2 * x * np.exp(x**2),
        ((-3, 3),),
        minima=np.array([0.0]),
    )


@pytest.fixture(autouse=True)
def strict_numpy():
    """Any numpy floating-point warning outside the runs' own error state fails the test
    (underflow to 0 is harmless and not one of them)."""
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------- the stability bound


@pytest.mark.parametrize("kappa", [1.0, 4.0, 10.0, 100.0])
def test_stability_bound_is_exact_on_the_bowl(kappa):
    land = L.bowl(condition_number=kappa)  # eigenvalues 1 and kappa along the axes
    lam = np.array([1.0, kappa])
    x0 = np.array([2.5, 1.5])
    bound = 2 / lam.max()

    below = descend(land, x0, 0.99 * bound, steps=3000)
    assert not below.diverged
    assert below.steps == 3000
    assert below.final_loss < 1e-12 * land(x0)

    above = descend(land, x0, 1.01 * bound, steps=3000)
    assert above.diverged
    factors = 1 - 1.01 * bound * lam  # |1 - lr * lambda_max| = 1.02 grows, the rest shrinks
    assert above.diverged_at == first_escape(x0, factors)
    assert above.steps == above.diverged_at - 1 < 3000
    assert f"step {above.diverged_at}" in above.message


@pytest.mark.parametrize("angle", [0.0, 0.4])
def test_bowl_iterates_follow_the_matrix_power(angle):
    land = L.bowl(condition_number=5.0, angle=angle)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    hessian = rot @ np.diag([1.0, 5.0]) @ rot.T
    lr, x0 = 0.3, np.array([-2.0, 1.0])
    run = descend(land, x0, lr, steps=25)
    step = np.eye(2) - lr * hessian
    expected = np.array([np.linalg.matrix_power(step, k) @ x0 for k in range(26)])
    np.testing.assert_allclose(run.points, expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        run.losses, [0.5 * p @ hessian @ p for p in expected], rtol=1e-10, atol=1e-14
    )


@pytest.mark.parametrize("curvature", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("lr", [0.1, 0.5, 0.6])
@pytest.mark.parametrize("x0", [2.5, -1.0])
def test_parabola_iterate_after_k_steps_is_the_closed_form(curvature, lr, x0):
    land = L.parabola(curvature)
    run = descend(land, x0, lr, steps=30)
    k = np.arange(31)
    expected = (1 - lr * curvature) ** k * x0
    np.testing.assert_allclose(run.points, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(run.losses, 0.5 * curvature * expected**2, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(run.learning_rates, np.full(30, lr))
    assert run.steps == run.steps_requested == 30 and not run.diverged
    assert run.final_point == run.points[-1]


# ---------------------------------------------------------------- divergence


def test_divergence_stops_early_names_the_step_and_keeps_only_finite_points():
    run = descend(L.parabola(), 2.5, learning_rate=3.0, steps=1000)  # x multiplied by -2 per step
    expected_step = first_escape([2.5], [-2.0])
    assert run.diverged and run.diverged_at == expected_step
    assert "left the map" in run.reason
    assert run.message.startswith(f"diverged at step {expected_step}:")
    assert len(run.points) == expected_step  # x_0 .. x_(step-1); the escaped point is not kept
    assert np.all(np.isfinite(run.points)) and np.all(np.isfinite(run.losses))
    assert len(run.learning_rates) == len(run.points) - 1
    assert run.steps_requested == 1000
    assert "diverged" in repr(run)


def test_a_single_overflowing_step_is_reported_without_numpy_warnings():
    run = descend(L.parabola(3.0), 2.5, learning_rate=1e308, steps=10)
    assert run.diverged_at == 1
    assert "inf or nan" in run.reason
    assert run.points.shape == (1,) and run.losses.shape == (1,)
    assert run.final_loss == pytest.approx(1.5 * 2.5**2)


def test_a_loss_that_overflows_is_reported_as_the_loss_becoming_inf():
    run = descend(steep_wall(), 1.0, learning_rate=10.0, steps=10)  # x_1 = 1 - 20 e ~ -53
    assert run.diverged_at == 1
    assert run.reason == "loss became inf"
    assert run.message == "diverged at step 1: loss became inf"
    np.testing.assert_array_equal(run.points, [1.0])


def test_diverging_2d_run_on_rosenbrock_is_reported_not_raised():
    run = descend(L.rosenbrock(), [-1.5, 2.0], learning_rate=0.05, steps=200)
    assert run.diverged and 1 <= run.diverged_at <= 200
    assert run.points.shape == (run.diverged_at, 2)
    assert np.all(np.isfinite(run.points)) and np.all(np.isfinite(run.losses))


# ---------------------------------------------------------------- schedules, optimizers, noise


def test_schedule_is_called_with_the_step_numbers_in_order():
    calls = []

    def schedule(step):
        calls.append(step)
        return 0.5 / (1 + step)

    run = descend(L.parabola(), 2.0, learning_rate=schedule, steps=12)
    assert list(dict.fromkeys(calls)) == list(range(12))  # 0, 1, 2, ... (each maybe asked twice)
    assert calls == sorted(calls)
    rates = 0.5 / (1 + np.arange(12))
    np.testing.assert_allclose(run.learning_rates, rates, rtol=1e-15)
    expected = 2.0 * np.concatenate([[1.0], np.cumprod(1 - rates)])  # x <- (1 - lr_k) x
    np.testing.assert_allclose(run.points, expected, rtol=1e-12)


def test_an_optimizer_replaces_plain_gradient_descent():
    opt = SGD(learning_rate=0.1, momentum=0.9)
    run = descend(L.parabola(), 2.0, learning_rate=123.0, steps=20, optimizer=opt)
    x, v, expected = 2.0, 0.0, [2.0]
    for _ in range(20):  # heavy ball written out: v <- 0.9 v - 0.1 f'(x);  x <- x + v
        v = 0.9 * v - 0.1 * x
        x = x + v
        expected.append(x)
    np.testing.assert_allclose(run.points, expected, rtol=1e-12)
    np.testing.assert_array_equal(run.learning_rates, np.full(20, 0.1))


def test_noise_is_reproducible_with_the_seed_and_differs_with_another():
    land = L.bowl(condition_number=3.0)
    a = descend(land, [1.0, 1.0], 0.1, steps=30, noise=0.2, seed=7)
    b = descend(land, [1.0, 1.0], 0.1, steps=30, noise=0.2, seed=7)
    c = descend(land, [1.0, 1.0], 0.1, steps=30, noise=0.2, seed=8)
    quiet = descend(land, [1.0, 1.0], 0.1, steps=30)
    np.testing.assert_array_equal(a.points, b.points)
    assert np.abs(a.points[1:] - c.points[1:]).min() > 0
    assert np.abs(a.points[1:] - quiet.points[1:]).min() > 0
    np.testing.assert_array_equal(a.points[0], quiet.points[0])


def test_noise_is_gaussian_with_the_given_standard_deviation_per_component():
    lr, noise = 0.5, 0.3
    run = descend(flat(), [0.0, 0.0], lr, steps=4000, noise=noise, seed=1)
    moves = np.diff(run.points, axis=0) / -lr  # on a flat landscape each move is -lr * noise * z
    assert moves.shape == (4000, 2)
    assert np.abs(moves.mean(axis=0)).max() < 4 * noise / math.sqrt(4000)
    np.testing.assert_allclose(moves.std(axis=0), noise, rtol=0.05)
    assert abs(np.corrcoef(moves.T)[0, 1]) < 0.06  # independent components


# ---------------------------------------------------------------- argument checks


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"learning_rate": "0.1"}, "learning_rate"),
        ({"steps": 0}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"x0": [1.0, 2.0, 3.0]}, "x0"),
        ({"x0": 0.5}, "x0"),
        ({"x0": [5.0, 0.0]}, r"x0\[0\]"),
        ({"x0": [0.0, -3.5]}, r"x0\[1\]"),
        ({"noise": -0.1}, "noise"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"optimizer": object()}, "optimizer"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(kwargs, argument):
    args = {"x0": [1.0, 1.0], **kwargs}
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        descend(L.bowl(), **args)


def test_a_schedule_returning_a_negative_rate_is_refused():
    with pytest.raises(ValueError, match=r"learning_rate\(3\)"):
        descend(L.parabola(), 1.0, learning_rate=lambda k: 0.1 if k < 3 else -0.1, steps=10)


# ---------------------------------------------------------------- sweep and steps_to_reach


def test_sweep_returns_one_trajectory_per_rate_from_the_same_start():
    rates = [0.05, 0.5, 1.5, 2.5]
    runs = sweep(L.parabola(), 2.0, rates, steps=40)
    assert list(runs) == rates
    for lr, run in runs.items():
        assert isinstance(run, Trajectory)
        assert run.points[0] == 2.0
        n = len(run.points)
        np.testing.assert_allclose(run.points, 2.0 * (1 - lr) ** np.arange(n), rtol=1e-12)
    assert runs[2.5].diverged and not any(runs[lr].diverged for lr in rates[:3])


def test_sweep_passes_options_on_and_accepts_one_rate():
    runs = sweep(L.bowl(), [1.0, 1.0], 0.1, steps=5, noise=0.1, seed=3)
    assert list(runs) == [0.1]
    alone = descend(L.bowl(), [1.0, 1.0], 0.1, steps=5, noise=0.1, seed=3)
    np.testing.assert_array_equal(runs[0.1].points, alone.points)
    with pytest.raises(ValueError, match="^learning_rates must"):
        sweep(L.bowl(), [1.0, 1.0], [0.1, -0.1])


def test_steps_to_reach_is_the_first_step_at_or_below_the_target():
    run = descend(L.parabola(), 2.5, 0.2, steps=100)  # loss_k = 0.5 * 2.5^2 * 0.64^k
    target = 1e-3
    expected = math.ceil(math.log(target / (0.5 * 2.5**2)) / math.log(0.64))
    assert run.steps_to_reach(target) == expected
    assert run.losses[expected] <= target < run.losses[expected - 1]
    assert run.steps_to_reach(run.losses[0]) == 0
    assert run.steps_to_reach(1e10) == 0
    assert run.steps_to_reach(-1.0) is None
    short = descend(L.parabola(), 2.5, 0.2, steps=5)
    assert short.steps_to_reach(target) is None


def test_steps_to_stay_ignores_a_dip_that_bounces_back():
    losses = np.array([5.0, 0.5, 2.0, 0.4, 0.3, 0.2])
    traj = Trajectory(np.zeros((6, 1)), losses, np.zeros(5), 5)
    assert traj.steps_to_reach(1.0) == 1
    assert traj.steps_to_stay(1.0) == 3
    assert traj.steps_to_stay(0.1) is None
    assert traj.steps_to_stay(10.0) == 0


# ---------------------------------------------------------------- property tests (Hypothesis)


@settings(max_examples=50, deadline=None)
@given(
    kappa=st.floats(1, 30),
    angle=st.floats(-4, 4),
    lambda_min=st.floats(0.1, 10),
    ratio=st.one_of(st.floats(0.1, 0.95), st.floats(1.05, 4.0)),
    start=st.tuples(st.floats(-3, 3), st.floats(-3, 3)),
)
def test_descent_on_a_bowl_converges_iff_lr_times_lambda_max_is_below_2(
    kappa, angle, lambda_min, ratio, start
):
    land = L.bowl(kappa, angle, lambda_min)
    lam_max = kappa * lambda_min
    steepest = np.array([-np.sin(angle), np.cos(angle)])  # the eigenvector of lambda_max
    x0 = np.array(start)
    assume(abs(x0 @ steepest) > 0.1)  # a start with some height along the steepest direction
    lr = ratio * 2 / lam_max  # lr * lambda_max = 2 * ratio
    run = descend(land, x0, lr, steps=600)
    if ratio < 1:  # every direction shrinks by |1 - lr * lambda| < 1 per step
        # (plus rounding: with lr * lambda = 1 exactly, a step leaves about 1e-16 of x behind)
        rho = max(abs(1 - lr * lambda_min), abs(1 - lr * lam_max)) + 1e-15
        assert not run.diverged, run.message
        k = np.arange(len(run.points))
        norms = np.hypot(*run.points.T)  # np.linalg.norm squares: 1e-162 ** 2 underflows
        assert np.all(norms <= rho**k * np.hypot(*x0) * (1 + 1e-9) + 1e-300)
        assert run.final_loss <= rho ** (2 * 600) * land(x0) * (1 + 1e-9) + 1e-300
    else:  # the steepest direction grows by |1 - lr * lambda_max| > 1: it must leave the map
        assert run.diverged and "left the map" in run.reason, run.message
        growth = abs(1 - lr * lam_max)
        # |x| (largest coordinate) >= |height along the steepest direction| / sqrt(2)
        bound = np.log(np.sqrt(2) * ESCAPE_RADIUS / abs(x0 @ steepest)) / np.log(growth)
        assert run.diverged_at <= np.ceil(bound) + 1


@settings(max_examples=50, deadline=None)
@given(
    curvature=st.floats(0.01, 100),
    product=st.one_of(st.floats(0.01, 1.9), st.floats(2.1, 3.99)),  # away from the edge at 2
    x0=st.floats(0.1, 3),
)
def test_parabola_converges_iff_lr_times_curvature_is_below_2(curvature, product, x0):
    run = descend(L.parabola(curvature), x0, product / curvature, steps=400)
    factor = abs(1 - product)  # x_k = (1 - lr * curvature)^k x0
    if product < 2:
        assert not run.diverged
        assert abs(run.final_point) <= (factor + 1e-15) ** 400 * x0 * (1 + 1e-9) + 1e-300
    else:
        assert run.diverged
        assert run.diverged_at == int(np.floor(np.log(ESCAPE_RADIUS / x0) / np.log(factor))) + 1


@settings(max_examples=30, deadline=None)
@given(
    rates=st.lists(st.floats(0, 0.3), min_size=1, max_size=50),
    runs=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_noisy_descent_without_noise_is_plain_descent_with_those_rates(rates, runs, seed):
    land = L.bowl(3.0)
    losses, blew_up = noisy_descent(land, [1.0, -1.0], rates, noise=0.0, runs=runs, seed=seed)
    run = descend(land, [1.0, -1.0], lambda k: rates[k], steps=len(rates))
    assert blew_up is None
    np.testing.assert_allclose(losses, run.losses, rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------- nothing fools it


def test_steps_are_bounded_and_the_bound_is_said():
    start = time.perf_counter()
    for steps in (10**12, MAX_STEPS + 1, 10**400):
        with pytest.raises(ValueError, match=r"^steps must be in \[1, 1e\+06\]"):
            descend(L.parabola(), 1.0, 0.1, steps=steps)
    assert time.perf_counter() - start < 1
    assert "1,000,000" in descend.__doc__


def test_sweep_and_noisy_descent_bound_their_total_work():
    with pytest.raises(ValueError, match=r"len\(learning_rates\) \* steps must be at most"):
        sweep(L.parabola(), 1.0, [0.1, 0.2], steps=MAX_STEPS)
    with pytest.raises(ValueError, match=r"runs \* len\(learning_rates\) must be at most"):
        noisy_descent(L.bowl(), [1.0, 1.0], np.full(1000, 0.1), runs=1001)
    with pytest.raises(ValueError, match="^learning_rates must have at most"):
        noisy_descent(L.bowl(), [1.0, 1.0], range(10**12))
    with pytest.raises(ValueError, match="^learning_rates must hold at least one"):
        sweep(L.parabola(), 1.0, [])
    with pytest.raises(ValueError, match="^learning_rates must be a non-empty list"):
        noisy_descent(L.bowl(), [1.0, 1.0], [])


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: descend("bowl", [1.0, 1.0]), "landscape"),
        (lambda: descend(L.bowl(), [1.0, 1.0], seed=-1), "seed"),
        (lambda: descend(L.bowl(), [1.0, 1.0], seed="0"), "seed"),
        (lambda: descend(L.bowl(), [1.0, 1.0], seed=None), "seed"),
        (lambda: descend(L.bowl(), [1.0, 1.0], noise=float("inf")), "noise"),
        (lambda: descend(L.bowl(), None), "x0"),
        (lambda: descend(L.bowl(), [True, 1.0]), "x0"),
        (lambda: descend(L.bowl(), [1.0, 1.0], "0.1", optimizer=SGD(0.1)), "learning_rate"),
        (lambda: sweep(None, 1.0, [0.1]), "landscape"),
        (lambda: sweep(L.parabola(), 1.0, "0.1"), "learning_rates"),
        (lambda: sweep(L.parabola(), 1.0, [[0.1, 0.2]]), "learning_rates"),
        (lambda: sweep(L.parabola(), 1.0, np.ones((2, 2))), "learning_rates"),
        (lambda: sweep(L.parabola(), 1.0, 0.1, steps=0), "steps"),
        (lambda: noisy_descent(L.bowl(), [1.0, 1.0], [0.1, -0.1]), "learning_rates"),
        (lambda: noisy_descent(L.bowl(), [1.0, 1.0], [0.1, None]), "learning_rates"),
        (lambda: noisy_descent(L.bowl(), [1.0, 1.0], [0.1], runs=0), "runs"),
        (lambda: noisy_descent(L.bowl(), [1.0, 1.0], [0.1], seed=2**32), "seed"),
        (lambda: noisy_descent(L.bowl(), [9.0, 1.0], [0.1]), r"x0\[0\]"),
    ],
)
def test_more_bad_arguments_are_named(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        call()


def test_steps_to_reach_and_stay_refuse_a_target_that_is_not_a_number():
    run = descend(L.parabola(), 2.0, 0.1, steps=5)
    for bad in (None, "0.1", float("nan"), [0.1], True):
        with pytest.raises(ValueError, match="^loss must"):
            run.steps_to_reach(bad)
        with pytest.raises(ValueError, match="^loss must"):
            run.steps_to_stay(bad)


def test_trajectory_checks_that_its_parts_fit_together():
    good = {
        "points": np.zeros((3, 2)),
        "losses": np.zeros(3),
        "learning_rates": np.full(2, 0.1),
        "steps_requested": 5,
    }
    assert Trajectory(**good).steps == 2
    bad = [
        ({"points": np.zeros((4, 2))}, "points"),
        ({"points": np.zeros((0, 2)), "losses": np.zeros(0)}, "points"),
        ({"points": [[0.0, np.nan]] * 3}, "points"),
        ({"losses": np.zeros((3, 1))}, "losses"),
        ({"learning_rates": np.zeros(3)}, "learning_rates"),
        ({"steps_requested": 1}, "steps_requested"),
        ({"diverged_at": -1}, "diverged_at"),
        ({"reason": None}, "reason"),
    ]
    for change, argument in bad:
        with pytest.raises(ValueError, match=f"^{argument} must"):
            Trajectory(**{**good, **change})


def test_a_start_where_the_loss_is_not_finite_is_reported_at_step_0():
    land = L.Landscape("hole", 1, lambda x: np.log(np.abs(x)), lambda x: 1 / x, ((-1.0, 1.0),))
    with np.errstate(divide="ignore"):
        run = descend(land, 0.0, 0.1, steps=10)
    assert run.diverged_at == 0 and run.steps == 0
    assert run.message == "diverged at step 0: loss became -inf"
