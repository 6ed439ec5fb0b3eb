"""The NumPy schedules: each against its paper's formula, written out here a second way.

Keras comparisons (built-ins and the adapter) are in test_schedule_keras.py and
test_schedules_properties.py; this file needs no TensorFlow.
"""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from lrcourse import schedules as S

# ------------------------------------------------------------------ Keras's formulas, by hand


def test_piecewise_upper_boundary_is_inclusive():
    s = S.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    assert [s(k) for k in range(9)] == [1.0] * 4 + [0.5] * 3 + [0.1] * 2


def test_step_decay_multiplies_by_drop_every_epochs_per_drop():
    s = S.step_decay(0.2, 0.5, 4)
    lr, want = 0.2, []
    for epoch in range(30):
        if epoch > 0 and epoch % 4 == 0:
            lr *= 0.5
        want.append(lr)
    np.testing.assert_allclose(s(np.arange(30)), want, rtol=1e-14)


def test_step_decay_is_a_staircase_exponential_counted_in_epochs():
    s = S.step_decay(0.1, 0.5, 10)
    assert type(s) is S.ExponentialDecay and s.staircase and s.counts == "epochs"
    assert (s.initial_learning_rate, s.decay_steps, s.decay_rate) == (0.1, 10, 0.5)
    again = S.deserialize(json.loads(json.dumps(S.serialize(s))))
    assert again.counts == "epochs" and again.get_config() == s.get_config()


def test_inverse_time_is_keras2_decay():
    s = S.InverseTimeDecay(0.01, 1, 1e-3)  # Keras 2: SGD(lr=0.01, decay=1e-3), per batch
    want = [0.01 / (1 + 1e-3 * t) for t in range(500)]
    np.testing.assert_allclose(s(np.arange(500)), want, rtol=1e-14)


def test_e_to_the_minus_kt_is_an_exponential_decay():
    s = S.ExponentialDecay(0.1, 1, math.exp(-0.02))  # 0.1 e^(-0.02 t)
    want = [0.1 * math.exp(-0.02 * t) for t in range(200)]
    np.testing.assert_allclose(s(np.arange(200)), want, rtol=1e-13)


def test_polynomial_cycle_stretches_the_horizon():
    s = S.PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=1.0, cycle=True)
    assert s(0) == 1.0 and s(10) == 0.0  # step 0 and the end of the first horizon
    assert s(11) == pytest.approx(1 - 11 / 20) and s(20) == 0.0 and s(21) == pytest.approx(0.3)
    clamped = S.PolynomialDecay(1.0, 10, end_learning_rate=0.1)
    assert clamped(10) == clamped(500) == pytest.approx(0.1)


def keras_cosine_warmup(step, lr0, total, alpha, target, warm):
    """Keras CosineDecay with warmup_target, its __call__ rewritten."""
    step = min(step, total + warm)
    if step < warm:
        return (target - lr0) * (step / warm) + lr0
    return target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * (step - warm) / total)) + alpha)


@pytest.mark.parametrize("lr0, warm", [(0.0, 10), (0.02, 7), (0.05, 0)])
def test_cosine_warmup_target_is_the_warmup_wrapper(lr0, warm):
    s = S.CosineDecay(lr0, 40, alpha=0.05, warmup_target=0.1, warmup_steps=warm)
    wrapped = S.warmup(S.CosineDecay(0.1, 40, alpha=0.05), warm, start=lr0)
    steps = np.arange(70)
    want = [keras_cosine_warmup(k, lr0, 40, 0.05, 0.1, warm) for k in steps]
    np.testing.assert_allclose(s(steps), want, rtol=1e-13, atol=1e-16)
    np.testing.assert_array_equal(s(steps), wrapped(steps))
    assert s.get_config()["warmup_target"] == 0.1  # the config stays Keras's


def test_cosine_without_target_ignores_warmup_steps():
    np.testing.assert_array_equal(
        S.CosineDecay(0.1, 30, warmup_steps=10)(np.arange(50)),
        S.CosineDecay(0.1, 30)(np.arange(50)),
    )


def sgdr(step, lr0, first, t_mul, m_mul, alpha):
    """SGDR by walking the periods one by one, in exact integer arithmetic (integer arguments)."""
    i, start, length = 0, 0, first
    while step >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    pct = (step - start) / length
    return lr0 * ((1 - alpha) * m_mul**i * 0.5 * (1 + math.cos(math.pi * pct)) + alpha)


@pytest.mark.parametrize(
    "args",
    [(0.1, 10, 2, 1.0, 0.0), (0.1, 10, 2, 0.5, 0.1), (0.1, 7, 3, 0.8, 0.0), (1.0, 5, 1, 0.9, 0.05)],
)
def test_restarts_walk_the_periods(args):
    s = S.CosineDecayRestarts(*args)
    steps = np.arange(400)
    np.testing.assert_allclose(s(steps), [sgdr(k, *args) for k in steps], rtol=1e-12, atol=1e-15)


def restart_starts(first, t_mul, below):
    """(i, step) of every restart start below ``below``, in integers."""
    i, start = 0, 0
    while start < below:
        yield i, start
        start, i = start + first * t_mul**i, i + 1


def test_restart_bug_at_step_121_is_fixed():
    s = S.CosineDecayRestarts(1.0, 1, t_mul=3.0)  # log(243) / log(3) rounds to 4.999...
    assert s(121) == 1.0  # period 5 starts at 1 + 3 + 9 + 27 + 81 = 121
    assert s(120) == pytest.approx(0.5 * (1 + math.cos(math.pi * 80 / 81)))  # period 4's last


def test_every_restart_starts_at_its_height():
    """t_mul 2-10, first_decay_steps 1-100: each restart start below 10**7 and the step before."""
    count = 0
    for t_mul in range(2, 11):
        for first in range(1, 101):
            s = S.CosineDecayRestarts(1.0, first, t_mul=float(t_mul), m_mul=0.5, alpha=0.0)
            i, starts = np.array(list(restart_starts(first, t_mul, 10**7))).T
            np.testing.assert_array_equal(s(starts), 0.5**i)  # exactly, not approximately
            # one step before a restart, the previous period is at its very end: near zero
            assert np.all(s(starts[1:] - 1) < 0.5 ** i[:-1] * (math.pi / first) ** 2)
            count += len(starts)
    assert count > 8000


@pytest.mark.parametrize("t_mul", [1.5, 2.0, 3.0])
def test_float_steps_between_restarts_are_fine(t_mul):
    s = S.CosineDecayRestarts(1.0, 4, t_mul=t_mul)
    steps = np.linspace(0, 300, 3001)
    assert np.all(np.isfinite(s(steps))) and np.all(s(steps) <= 1.0)


# ------------------------------------------------------------------ schedules Keras does not have


def triangle(step, base, top, half, mode, gamma):
    """Smith's cyclical rate written as an explicit piecewise-linear wave."""
    k = int(step // (2 * half))  # completed cycles
    t = step - k * 2 * half  # position inside the current cycle
    rise = t / half if t <= half else 2 - t / half
    height = top - base
    if mode == "triangular2":
        height /= 2**k
    elif mode == "exp_range":
        height *= gamma**step
    return base + height * rise


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
@pytest.mark.parametrize("step_size", [5, 7, 2.5])
def test_cyclical_matches_the_triangle_wave(mode, step_size):
    s = S.Cyclical(1e-3, 6e-3, step_size, mode=mode, gamma=0.99)
    steps = np.arange(int(6 * step_size) + 3)
    want = [triangle(k, 1e-3, 6e-3, step_size, mode, 0.99) for k in steps]
    np.testing.assert_allclose(s(steps), want, rtol=1e-12, atol=1e-15)


def paper_cyclical(step, base, top, half):
    cycle = math.floor(1 + step / (2 * half))
    return base + (top - base) * max(0.0, 1 - abs(step / half - 2 * cycle + 1))


def test_cyclical_is_the_paper_formula():
    s = S.Cyclical(0.001, 0.006, step_size=20)
    want = [paper_cyclical(k, 0.001, 0.006, 20) for k in range(200)]
    np.testing.assert_allclose(s(np.arange(200)), want, rtol=1e-12)
    values = s(np.arange(81))
    assert int(np.argmax(values[:40])) == 20  # the first peak is at step_size, not 2*step_size
    np.testing.assert_allclose(values[:40], values[40:80])  # the period is 2 * step_size


def test_cyclical_modes_shrink_as_the_paper_says():
    t2 = S.Cyclical(0.001, 0.009, 10, mode="triangular2")
    assert [t2(10 + 20 * k) for k in range(3)] == pytest.approx([0.009, 0.005, 0.003])
    er = S.Cyclical(0.001, 0.009, 10, mode="exp_range", gamma=0.95)
    assert er(30) == pytest.approx(0.001 + 0.008 * 0.95**30)


def torch_one_cycle(step, max_lr, total, pct, div, final_div, strategy):
    """torch.optim.lr_scheduler.OneCycleLR (three_phase=False), its phase loop rewritten."""
    initial = max_lr / div
    phases = [(float(pct * total) - 1, initial, max_lr), (total - 1, max_lr, initial / final_div)]
    start_step = 0
    for i, (end_step, start_lr, end_lr) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            pct_done = (step - start_step) / (end_step - start_step)
            if strategy == "cos":
                return end_lr + (start_lr - end_lr) / 2.0 * (math.cos(math.pi * pct_done) + 1)
            return (end_lr - start_lr) * pct_done + start_lr
        start_step = end_step


@pytest.mark.parametrize(
    "args",
    [
        (0.1, 100, 0.3, 25.0, 1e4, "cos"),
        (0.01, 37, 0.25, 10.0, 100.0, "cos"),
        (1.0, 50, 0.4, 5.0, 1e3, "linear"),
    ],
)
def test_one_cycle_matches_torch_convention(args):
    max_lr, total, pct, div, final_div, strategy = args
    s = S.OneCycle(max_lr, total, pct, div, final_div, strategy)
    steps = np.arange(total)
    want = [torch_one_cycle(k, *args) for k in steps]
    np.testing.assert_allclose(s(steps), want, rtol=1e-12, atol=1e-15)
    assert s(total + 10) == pytest.approx(want[-1])  # held at the end instead of raising


def test_one_cycle_landmarks():
    s = S.OneCycle(0.1, 100, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    values = s(np.arange(100))
    assert values[0] == pytest.approx(0.1 / 25)
    assert int(np.argmax(values)) == 29 and values[29] == pytest.approx(0.1)
    assert values[99] == pytest.approx(0.1 / 25 / 1e4)
    assert np.all(np.diff(values[:30]) > 0) and np.all(np.diff(values[29:]) < 0)


# ------------------------------------------------------------------ composition


@pytest.mark.parametrize("shift", [True, False])
def test_warmup_ramps_then_hands_over(shift):
    inner = S.ExponentialDecay(0.1, 5, 0.5)
    s = S.warmup(inner, 8, start=0.01, shift=shift)

    def inner_value(t):
        return 0.1 * 0.5 ** (t / 5)

    want = []
    for step in range(40):
        handover = inner_value(0 if shift else 8)
        if step < 8:
            want.append(0.01 + (handover - 0.01) * step / 8)
        else:
            want.append(inner_value(step - 8 if shift else step))
    np.testing.assert_allclose(s(np.arange(40)), want, rtol=1e-14)


def test_warmup_of_zero_steps_is_the_schedule_itself():
    inner = S.CosineDecayRestarts(0.1, 10)
    np.testing.assert_array_equal(S.warmup(inner, 0)(np.arange(100)), inner(np.arange(100)))


def test_sequence_switches_at_the_boundary_and_restarts_the_step():
    s = S.sequence(
        [S.Constant(0.2), S.ExponentialDecay(0.1, 5, 0.5), S.CosineDecay(0.05, 10)], [5, 20]
    )
    want = []
    for step in range(40):
        if step < 5:
            want.append(0.2)
        elif step < 20:
            want.append(0.1 * 0.5 ** ((step - 5) / 5))
        else:
            want.append(0.05 * 0.5 * (1 + math.cos(math.pi * min(step - 20, 10) / 10)))
    np.testing.assert_allclose(s(np.arange(40)), want, rtol=1e-14, atol=1e-17)


def test_sequence_of_constants_is_piecewise_shifted_by_one():
    # optax-style joins switch AT the boundary; Keras's piecewise switches one step later.
    joined = S.sequence([S.Constant(1.0), S.Constant(0.5), S.Constant(0.1)], [4, 7])
    piecewise = S.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    np.testing.assert_array_equal(joined(np.arange(12)), piecewise(np.arange(12)))


def test_constant_is_constant():
    assert S.Constant(0.03)(7) == 0.03
    np.testing.assert_array_equal(S.Constant(0.03)(np.arange(5)), np.full(5, 0.03))


def test_one_cosine_and_one_warmup():
    # The formulas are written once: each schedule's source calls the shared helpers.
    import inspect

    source = inspect.getsource(S)
    assert source.count("ops.cos(") == 1 and source.count("math.pi") == 1
    assert source.count("(target - self.start)") == 1  # the one linear ramp


# ------------------------------------------------------------------ the object interface

CATALOG = [
    S.Constant(0.05),
    S.ExponentialDecay(0.1, 10, 0.5),
    S.ExponentialDecay(0.1, 7, 0.9, staircase=True),
    S.step_decay(0.1, 0.5, 10),
    S.ExponentialDecay(0.1, 4, math.exp(-0.3), staircase=True),
    S.InverseTimeDecay(0.1, 10, 0.5, staircase=True, counts="epochs"),
    S.PiecewiseConstantDecay([3, 6.5], [1.0, 0.5, 0.1]),
    S.PolynomialDecay(0.1, 10, 0.001, power=2.0, cycle=True),
    S.CosineDecay(0.1, 50, alpha=0.1),
    S.CosineDecay(0.0, 40, alpha=0.05, warmup_target=0.1, warmup_steps=10),
    S.CosineDecayRestarts(0.1, 7, 1.5, 0.8, 0.1),
    S.Cyclical(1e-3, 6e-3, 10, mode="triangular2"),
    S.Cyclical(1e-3, 6e-3, 10, mode="exp_range", gamma=0.99),
    S.OneCycle(0.1, 60, pct_start=0.25, anneal_strategy="linear"),
    S.warmup(S.CosineDecayRestarts(0.1, 10, m_mul=0.7), 6, start=0.001, shift=False),
    S.sequence(
        [S.warmup(S.Constant(0.1), 5), S.CosineDecay(0.1, 20), S.Constant(1e-3)],
        boundaries=[10, 30],
    ),
]


@pytest.mark.parametrize("schedule", CATALOG, ids=lambda s: type(s).__name__)
def test_config_round_trips(schedule):
    config = schedule.get_config()
    assert json.loads(json.dumps(config)) == config
    again = type(schedule).from_config(config)
    assert type(again) is type(schedule) and again.get_config() == config
    assert repr(again) == repr(schedule)
    assert S.deserialize(json.loads(json.dumps(S.serialize(schedule)))).get_config() == config
    steps = np.arange(100)
    np.testing.assert_array_equal(again(steps), schedule(steps))


def test_call_returns_float_or_float64_array():
    s = S.ExponentialDecay(0.1, 10, 0.5)
    for step in (3, np.int64(3), 3.0):
        assert type(s(step)) is float
    for steps in ([0, 1, 2], np.arange(3), np.arange(6).reshape(2, 3), np.arange(0)):
        out = s(steps)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        assert out.shape == np.shape(steps)
    assert s(2.5) == pytest.approx(0.1 * 0.5**0.25)  # fractional steps are fine for plots


def test_counts_says_batches_or_epochs():
    assert S.step_decay(0.1, 0.5, 10).counts == "epochs"
    assert S.CosineDecay(0.1, 10).counts == "batches"
    assert S.InverseTimeDecay(0.1, 1, 0.5, counts="epochs").counts == "epochs"
    assert S.warmup(S.step_decay(0.1, 0.5, 10), 2).counts == "epochs"
    assert S.sequence([S.Constant(0.1), S.Constant(0.2)], [3]).counts == "batches"
    with pytest.raises(ValueError, match="schedules"):
        S.sequence([S.Constant(0.1), S.step_decay(0.1, 0.5, 10)], [3])


def test_import_does_not_import_tensorflow():
    code = (
        "import sys, lrcourse.schedules, lrcourse.exercises.schedules;"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_core_module_has_no_keras_code():
    import inspect

    source = inspect.getsource(S)
    assert "import keras" not in source and "keras.saving" not in source
    for name in ("to_keras", "as_epoch_callback", "register_keras", "custom_objects", "_keras"):
        assert not hasattr(S, name) and not hasattr(S.Schedule, name)


# ------------------------------------------------------------------ bad arguments


BAD = [
    (lambda: S.Constant(0), "learning_rate"),
    (lambda: S.Constant("0.1"), "learning_rate"),
    (lambda: S.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.ExponentialDecay(0.1, -10, 0.5), "decay_steps"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.0), "decay_rate"),
    (lambda: S.ExponentialDecay(0.1, 10, math.nan), "decay_rate"),
    (lambda: S.ExponentialDecay(0.1, 10, 1.5), "decay_rate"),
    (lambda: S.CosineDecayRestarts(0.1, 10, m_mul=1.5), "m_mul"),
    (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=1e7), "t_mul"),
    (lambda: S.CosineDecayRestarts(0.1, 1e-320), "first_decay_steps"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(2.0**60), "step"),
    (lambda: S.ExponentialDecay.from_config({"decay_steps": 10, "decay_rate": 0.5}), "config"),
    (lambda: S.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
    (lambda: S.ExponentialDecay(math.inf, 10, 0.5), "initial_learning_rate"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5, staircase="False"), "staircase"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5, staircase=1), "staircase"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5, counts="epoch"), "counts"),
    (lambda: S.InverseTimeDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.InverseTimeDecay(0.1, 1, 0), "decay_rate"),
    (lambda: S.step_decay(0.1, 0.0, 10), "drop"),
    (lambda: S.step_decay(0.1, 1.5, 10), "drop"),
    (lambda: S.step_decay(0.1, 0.5, 0), "epochs_per_drop"),
    (lambda: S.step_decay(0.0, 0.5, 10), "initial_learning_rate"),
    (lambda: S.PiecewiseConstantDecay([6, 3], [1.0, 0.5, 0.1]), "boundaries"),
    (lambda: S.PiecewiseConstantDecay([3, 3], [1.0, 0.5, 0.1]), "boundaries"),
    (lambda: S.PiecewiseConstantDecay([], [1.0]), "boundaries"),
    (lambda: S.PiecewiseConstantDecay(list(range(1, 2000)), [1.0] * 2000), "boundaries"),
    (lambda: S.PiecewiseConstantDecay([3, 6], [1.0, 0.5]), "values"),
    (lambda: S.PiecewiseConstantDecay([3], [1.0, -0.5]), "values"),
    (lambda: S.PiecewiseConstantDecay([3], "ab"), "values"),
    (lambda: S.PiecewiseConstantDecay(3, [1.0, 0.5]), "boundaries"),
    (lambda: S.PiecewiseConstantDecay([math.nan], [1.0, 0.5]), "boundaries"),
    (lambda: S.PolynomialDecay(0.1, 0), "decay_steps"),
    (lambda: S.PolynomialDecay(0.1, 10, power=0), "power"),
    (lambda: S.PolynomialDecay(0.1, 10, end_learning_rate=-1e-3), "end_learning_rate"),
    (lambda: S.PolynomialDecay(0.1, 10, cycle="yes"), "cycle"),
    (lambda: S.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: S.CosineDecay(0.1, 10, alpha=1.5), "alpha"),
    (lambda: S.CosineDecay(0.0, 10, warmup_target=-0.1, warmup_steps=3), "warmup_target"),
    (lambda: S.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=-1), "warmup_steps"),
    (lambda: S.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=2.5), "warmup_steps"),
    (lambda: S.CosineDecay(0.0, 10), "initial_learning_rate"),
    (lambda: S.CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.0), "t_mul"),
    (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=-2.0), "t_mul"),
    (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.5), "t_mul"),
    (lambda: S.CosineDecayRestarts(0.1, 10, m_mul=0.0), "m_mul"),
    (lambda: S.CosineDecayRestarts(0.1, 10, alpha=-0.1), "alpha"),
    (lambda: S.Cyclical(1e-3, 6e-3, 0), "step_size"),
    (lambda: S.Cyclical(1e-3, 6e-3, -4), "step_size"),
    (lambda: S.Cyclical(6e-3, 1e-3, 10), "max_learning_rate"),
    (lambda: S.Cyclical(0.0, 1e-3, 10), "base_learning_rate"),
    (lambda: S.Cyclical(1e-3, 6e-3, 10, mode="sine"), "mode"),
    (lambda: S.Cyclical(1e-3, 6e-3, 10, mode=["triangular"]), "mode"),
    (lambda: S.Cyclical(1e-3, 6e-3, 10, mode="exp_range", gamma=0.0), "gamma"),
    (lambda: S.OneCycle(0.1, 1), "total_steps"),
    (lambda: S.OneCycle(0.1, 100.0), "total_steps"),
    (lambda: S.OneCycle(0.1, 100, pct_start=0.0), "pct_start"),
    (lambda: S.OneCycle(0.1, 100, pct_start=1.0), "pct_start"),
    (lambda: S.OneCycle(0.1, 10, pct_start=0.05), "pct_start"),
    (lambda: S.OneCycle(0.1, 100, div_factor=0.5), "div_factor"),
    (lambda: S.OneCycle(0.1, 100, final_div_factor=0), "final_div_factor"),
    (lambda: S.OneCycle(0.1, 100, anneal_strategy="cosine"), "anneal_strategy"),
    (lambda: S.warmup(lambda step: 0.1, 5), "schedule"),
    (lambda: S.warmup(S.Constant(0.1), -1), "warmup_steps"),
    (lambda: S.warmup(S.Constant(0.1), 10**7), "warmup_steps"),
    (lambda: S.warmup(S.Constant(0.1), 5, start=-0.1), "start"),
    (lambda: S.warmup(S.Constant(0.1), 5, shift="False"), "shift"),
    (lambda: S.sequence([S.Constant(0.1), S.Constant(0.2)], [3, 6]), "boundaries"),
    (lambda: S.sequence([S.Constant(0.1), S.Constant(0.2), S.Constant(0.3)], [6, 3]), "boundaries"),
    (lambda: S.sequence([S.Constant(0.1), S.Constant(0.2)], [0]), "boundaries"),
    (lambda: S.sequence([S.Constant(0.1)], []), "boundaries"),
    (lambda: S.sequence([S.Constant(0.1), 0.2], [3]), "schedules"),
    (lambda: S.sequence(S.Constant(0.1), [3]), "schedules"),
    (lambda: S.deserialize({"schedule": "Nope", "config": {}}), "config"),
    (lambda: S.deserialize({"schedule": ["Constant"]}), "config"),
    (lambda: S.deserialize("Constant"), "config"),
    (lambda: S.deserialize({"schedule": "Constant", "config": [0.1]}), "config"),
    (lambda: S.deserialize({"schedule": "Constant", "config": {"lr": 0.1}}), "config"),
    (lambda: S.deserialize({"schedule": "_RateDecay", "config": {}}), "config"),
    (lambda: S.serialize(lambda step: 0.1), "schedule"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(-1), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(np.array([0, 1, -2])), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(np.nan), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(math.inf), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)("three"), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(None), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(True), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(1j), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(np.zeros(10**6 + 1)), "step"),
]


@pytest.mark.parametrize("make, argument", BAD, ids=[f"{i}-{a}" for i, (_, a) in enumerate(BAD)])
def test_bad_arguments_raise_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        make()
