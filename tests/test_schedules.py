"""Every schedule against Keras's built-in or its paper's formula, at every step."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from lrcourse import schedules as S

keras = S._keras()  # quiet TensorFlow, then import Keras
K = keras.optimizers.schedules


def assert_close_f32(ours, theirs, peak):
    """Keras computes in float32 (eps 1.2e-7): a handful of roundings per formula leaves relative
    errors of a few 1e-7; where the curve nears zero (the end of a cosine) only the absolute error,
    about 1e-7 of the peak rate, means anything."""
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6 * peak)


def keras_values(schedule, steps):
    """Evaluate a Keras schedule at integer steps, as an optimizer does (int64 iterations)."""
    if getattr(schedule, "warmup_target", None) is not None:  # uses ops.cond: one step at a time
        return np.array([float(schedule(np.int64(s))) for s in steps])
    return np.asarray(schedule(keras.ops.convert_to_tensor(steps.astype("int64"))), dtype=float)


def adapter_values(schedule, steps):
    return np.asarray(schedule.to_keras()(keras.ops.convert_to_tensor(steps.astype("int64"))))


# (ours, Keras's, last step): ranges cover staircase edges, inclusive boundaries, warmup ends,
# the clamp after decay_steps and several restarts.
KERAS_PAIRS = {
    "exponential": (S.ExponentialDecay(0.1, 10, 0.5), K.ExponentialDecay(0.1, 10, 0.5), 100),
    "exponential_staircase": (
        S.ExponentialDecay(0.1, 7, 0.9, staircase=True),
        K.ExponentialDecay(0.1, 7, 0.9, staircase=True),
        70,
    ),
    "exponential_growth": (S.ExponentialDecay(1e-4, 5, 3.0), K.ExponentialDecay(1e-4, 5, 3.0), 60),
    "natural_exponential": (
        S.NaturalExponentialDecay(0.1, 0.05),
        K.ExponentialDecay(0.1, 1, math.exp(-0.05)),
        100,
    ),
    "natural_exponential_staircase": (
        S.NaturalExponentialDecay(0.1, 0.3, decay_steps=4, staircase=True),
        K.ExponentialDecay(0.1, 4, math.exp(-0.3), staircase=True),
        40,
    ),
    "step_decay": (S.StepDecay(0.1, 0.5, 10), K.ExponentialDecay(0.1, 10, 0.5, True), 60),
    "inverse_time": (S.InverseTimeDecay(0.1, 1, 0.01), K.InverseTimeDecay(0.1, 1, 0.01), 300),
    "inverse_time_staircase": (
        S.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
        K.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
        100,
    ),
    "piecewise": (
        S.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1]),
        K.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1]),
        10,
    ),
    "piecewise_annealing": (
        S.PiecewiseConstantDecay([400, 700], [0.1, 0.01, 0.001]),
        K.PiecewiseConstantDecay([400, 700], [0.1, 0.01, 0.001]),
        800,
    ),
    "polynomial": (S.PolynomialDecay(0.1, 20), K.PolynomialDecay(0.1, 20), 40),
    "polynomial_sqrt": (
        S.PolynomialDecay(0.1, 20, 0.01, power=0.5),
        K.PolynomialDecay(0.1, 20, 0.01, power=0.5),
        40,
    ),
    "polynomial_cycle": (
        S.PolynomialDecay(0.1, 10, 0.001, power=2.0, cycle=True),
        K.PolynomialDecay(0.1, 10, 0.001, power=2.0, cycle=True),
        60,
    ),
    "cosine": (S.CosineDecay(0.1, 50), K.CosineDecay(0.1, 50), 80),
    "cosine_alpha": (S.CosineDecay(0.1, 50, alpha=0.1), K.CosineDecay(0.1, 50, alpha=0.1), 80),
    "cosine_warmup_from_zero": (
        S.CosineDecay(0.0, 40, alpha=0.05, warmup_target=0.1, warmup_steps=10),
        K.CosineDecay(0.0, 40, alpha=0.05, warmup_target=0.1, warmup_steps=10),
        70,
    ),
    "cosine_warmup": (
        S.CosineDecay(0.01, 30, warmup_target=0.1, warmup_steps=7),
        K.CosineDecay(0.01, 30, warmup_target=0.1, warmup_steps=7),
        50,
    ),
    "cosine_warmup_steps_ignored": (
        S.CosineDecay(0.1, 30, warmup_steps=10),
        K.CosineDecay(0.1, 30, warmup_steps=10),
        50,
    ),
    "warmup_wrapper_is_keras_cosine_warmup": (
        S.warmup(S.CosineDecay(0.1, 40, alpha=0.05), 10, start=0.02),
        K.CosineDecay(0.02, 40, alpha=0.05, warmup_target=0.1, warmup_steps=10),
        70,
    ),
    "restarts": (S.CosineDecayRestarts(0.1, 10), K.CosineDecayRestarts(0.1, 10), 400),
    "restarts_m_mul_alpha": (
        S.CosineDecayRestarts(0.1, 10, 2.0, 0.5, 0.1),
        K.CosineDecayRestarts(0.1, 10, 2.0, 0.5, 0.1),
        400,
    ),
    "restarts_t_mul_1.5": (
        S.CosineDecayRestarts(0.1, 7, 1.5, 0.8),
        K.CosineDecayRestarts(0.1, 7, 1.5, 0.8),
        300,
    ),
    "restarts_t_mul_1": (
        S.CosineDecayRestarts(0.1, 5, 1.0, 0.9, 0.05),
        K.CosineDecayRestarts(0.1, 5, 1.0, 0.9, 0.05),
        60,
    ),
    "restarts_t_mul_3": (
        S.CosineDecayRestarts(0.1, 4, 3.0),
        K.CosineDecayRestarts(0.1, 4, 3.0),
        200,
    ),
}


@pytest.mark.parametrize("name", list(KERAS_PAIRS))
def test_matches_keras_at_every_step(name):
    ours, theirs, last = KERAS_PAIRS[name]
    steps = np.arange(last + 1)
    want = keras_values(theirs, steps)
    peak = want.max()
    assert_close_f32(ours(steps), want, peak)  # NumPy, float64
    assert_close_f32(adapter_values(ours, steps), want, peak)  # keras.ops, float32


def test_keras_comparison_ranges_cross_the_interesting_steps():
    # The ranges above must reach past the last restart / boundary / clamp they claim to cover.
    restarts = KERAS_PAIRS["restarts"][0](np.arange(401))
    assert np.sum(np.diff(restarts) > 0.05) >= 4  # jumps back up at 10, 30, 70, 150, 310
    piecewise = KERAS_PAIRS["piecewise"][0](np.arange(11))
    np.testing.assert_array_equal(piecewise[[3, 4, 6, 7]], [1.0, 0.5, 0.5, 0.1])


def test_piecewise_upper_boundary_is_inclusive():
    s = S.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    assert [s(k) for k in range(9)] == [1.0] * 4 + [0.5] * 3 + [0.1] * 2


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
@pytest.mark.parametrize("step_size", [5, 7])
def test_cyclical_matches_the_triangle_wave(mode, step_size):
    s = S.Cyclical(1e-3, 6e-3, step_size, mode=mode, gamma=0.99)
    steps = np.arange(6 * step_size + 3)
    want = [triangle(k, 1e-3, 6e-3, step_size, mode, 0.99) for k in steps]
    np.testing.assert_allclose(s(steps), want, rtol=1e-12, atol=1e-15)


def test_cyclical_step_size_is_half_a_cycle():
    s = S.Cyclical(0.001, 0.006, step_size=20)
    values = s(np.arange(81))
    assert s(0) == pytest.approx(0.001) and s(20) == pytest.approx(0.006)
    assert s(40) == pytest.approx(0.001) and s(60) == pytest.approx(0.006)
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


def test_step_decay_multiplies_by_drop_every_steps_per_drop():
    s = S.StepDecay(0.2, 0.5, 4)
    lr, want = 0.2, []
    for epoch in range(30):
        if epoch > 0 and epoch % 4 == 0:
            lr *= 0.5
        want.append(lr)
    np.testing.assert_allclose(s(np.arange(30)), want, rtol=1e-14)


def test_inverse_time_is_keras2_decay():
    s = S.InverseTimeDecay(0.01, 1, 1e-3)  # Keras 2: SGD(lr=0.01, decay=1e-3), per batch
    want = [0.01 / (1 + 1e-3 * t) for t in range(500)]
    np.testing.assert_allclose(s(np.arange(500)), want, rtol=1e-14)


def test_natural_exponential_is_e_to_the_minus_kt():
    s = S.NaturalExponentialDecay(0.1, 0.02)
    np.testing.assert_allclose(s(np.arange(200)), [0.1 * math.exp(-0.02 * t) for t in range(200)])


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


# ------------------------------------------------------------------ the object interface

CATALOG = [pair[0] for pair in KERAS_PAIRS.values()] + [
    S.Constant(0.05),
    S.Cyclical(1e-3, 6e-3, 10, mode="triangular"),
    S.Cyclical(1e-3, 6e-3, 10, mode="triangular2"),
    S.Cyclical(1e-3, 6e-3, 10, mode="exp_range", gamma=0.99),
    S.OneCycle(0.1, 60),
    S.OneCycle(0.1, 60, pct_start=0.25, anneal_strategy="linear"),
    S.warmup(S.CosineDecayRestarts(0.1, 10, m_mul=0.7), 6, start=0.001, shift=False),
    S.sequence(
        [S.warmup(S.Constant(0.1), 5), S.CosineDecay(0.1, 20), S.Constant(1e-3)],
        boundaries=[10, 30],
    ),
]


@pytest.mark.parametrize("schedule", CATALOG, ids=lambda s: type(s).__name__)
def test_numpy_and_keras_adapter_agree(schedule):
    steps = np.arange(120)
    ours = schedule(steps)
    assert_close_f32(adapter_values(schedule, steps), ours, ours.max())
    for step in (0, 1, 17, 119):  # a scalar int step, as an optimizer's iterations
        assert_close_f32(float(schedule.to_keras()(step)), schedule(step), ours.max())


@pytest.mark.parametrize("schedule", CATALOG, ids=lambda s: type(s).__name__)
def test_config_round_trips(schedule):
    config = schedule.get_config()
    assert json.loads(json.dumps(config)) == config
    again = type(schedule).from_config(config)
    assert type(again) is type(schedule) and again.get_config() == config
    assert S.deserialize(json.loads(json.dumps(S.serialize(schedule)))).get_config() == config
    steps = np.arange(100)
    np.testing.assert_array_equal(again(steps), schedule(steps))
    # through Keras's own serialization of the adapter
    adapter = schedule.to_keras()
    rebuilt = K.deserialize(json.loads(json.dumps(K.serialize(adapter))))
    assert isinstance(rebuilt, K.LearningRateSchedule)
    assert type(rebuilt.schedule) is type(schedule) and rebuilt.schedule.get_config() == config


def test_adapter_is_a_registered_keras_schedule():
    adapter = S.CosineDecay(0.1, 10).to_keras()
    assert isinstance(adapter, K.LearningRateSchedule)
    assert keras.saving.get_registered_name(type(adapter)) == "lrcourse>KerasSchedule"
    assert S.custom_objects() == {"lrcourse>KerasSchedule": type(adapter)}
    assert adapter(3).dtype == "float32"


def test_call_returns_float_or_float64_array():
    s = S.ExponentialDecay(0.1, 10, 0.5)
    for step in (3, np.int64(3), 3.0):
        assert type(s(step)) is float
    for steps in ([0, 1, 2], np.arange(3), np.arange(6).reshape(2, 3)):
        out = s(steps)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        assert out.shape == np.shape(steps)
    assert s(2.5) == pytest.approx(0.1 * 0.5**0.25)  # fractional steps are fine for plots


def test_counts_says_batches_or_epochs():
    assert S.StepDecay(0.1, 0.5, 10).counts == "epochs"
    assert S.CosineDecay(0.1, 10).counts == "batches"
    assert S.Cyclical(0.1, 0.2, 5).counts == "batches"
    assert S.warmup(S.StepDecay(0.1, 0.5, 10), 2).counts == "epochs"
    assert S.sequence([S.Constant(0.1), S.StepDecay(0.1, 0.5, 10)], [3]).counts == "batches"


def test_usable_by_the_hand_written_optimizers():
    from lrcourse.optimizers import SGD

    s = S.StepDecay(0.1, 0.5, 1)
    opt = SGD(learning_rate=s)
    params, state = np.array([1.0]), opt.init(np.array([1.0]))
    for _ in range(3):
        params, state = opt.update(params, np.array([1.0]), state)
    assert params[0] == pytest.approx(1.0 - (0.1 + 0.05 + 0.025))  # steps 0, 1, 2


def test_import_does_not_import_tensorflow():
    code = (
        "import sys, lrcourse.schedules, lrcourse.plateau, lrcourse.exercises.schedules;"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ bad arguments


BAD = [
    (lambda: S.Constant(0), "learning_rate"),
    (lambda: S.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.ExponentialDecay(0.1, -10, 0.5), "decay_steps"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.0), "decay_rate"),
    (lambda: S.ExponentialDecay(0.1, 10, -0.5), "decay_rate"),
    (lambda: S.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5, staircase="yes"), "staircase"),
    (lambda: S.NaturalExponentialDecay(0.1, 0.0), "decay_rate"),
    (lambda: S.InverseTimeDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: S.InverseTimeDecay(0.1, 1, 0), "decay_rate"),
    (lambda: S.StepDecay(0.1, 0.0, 10), "drop"),
    (lambda: S.StepDecay(0.1, 1.5, 10), "drop"),
    (lambda: S.StepDecay(0.1, 0.5, 0), "steps_per_drop"),
    (lambda: S.PiecewiseConstantDecay([6, 3], [1.0, 0.5, 0.1]), "boundaries"),
    (lambda: S.PiecewiseConstantDecay([3, 3], [1.0, 0.5, 0.1]), "boundaries"),
    (lambda: S.PiecewiseConstantDecay([3, 6], [1.0, 0.5]), "values"),
    (lambda: S.PiecewiseConstantDecay([3], [1.0, -0.5]), "values"),
    (lambda: S.PiecewiseConstantDecay(3, [1.0, 0.5]), "boundaries"),
    (lambda: S.PolynomialDecay(0.1, 0), "decay_steps"),
    (lambda: S.PolynomialDecay(0.1, 10, power=0), "power"),
    (lambda: S.PolynomialDecay(0.1, 10, end_learning_rate=-1e-3), "end_learning_rate"),
    (lambda: S.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: S.CosineDecay(0.1, 10, alpha=1.5), "alpha"),
    (lambda: S.CosineDecay(0.0, 10, warmup_target=-0.1, warmup_steps=3), "warmup_target"),
    (lambda: S.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=-1), "warmup_steps"),
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
    (lambda: S.Cyclical(1e-3, 6e-3, 10, mode="exp_range", gamma=0.0), "gamma"),
    (lambda: S.OneCycle(0.1, 1), "total_steps"),
    (lambda: S.OneCycle(0.1, 100, pct_start=0.0), "pct_start"),
    (lambda: S.OneCycle(0.1, 100, pct_start=1.0), "pct_start"),
    (lambda: S.OneCycle(0.1, 10, pct_start=0.05), "pct_start"),
    (lambda: S.OneCycle(0.1, 100, div_factor=0.5), "div_factor"),
    (lambda: S.OneCycle(0.1, 100, final_div_factor=0), "final_div_factor"),
    (lambda: S.OneCycle(0.1, 100, anneal_strategy="cosine"), "anneal_strategy"),
    (lambda: S.warmup(lambda step: 0.1, 5), "schedule"),
    (lambda: S.warmup(S.Constant(0.1), -1), "warmup_steps"),
    (lambda: S.warmup(S.Constant(0.1), 5, start=-0.1), "start"),
    (lambda: S.sequence([S.Constant(0.1), S.Constant(0.2)], [3, 6]), "boundaries"),
    (lambda: S.sequence([S.Constant(0.1), S.Constant(0.2), S.Constant(0.3)], [6, 3]), "boundaries"),
    (lambda: S.sequence([S.Constant(0.1), 0.2], [3]), "schedules"),
    (lambda: S.deserialize({"schedule": "Nope", "config": {}}), "config"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(-1), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(np.array([0, 1, -2])), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)(np.nan), "step"),
    (lambda: S.ExponentialDecay(0.1, 10, 0.5)("three"), "step"),
]


@pytest.mark.parametrize("make, argument", BAD, ids=[f"{i}-{a}" for i, (_, a) in enumerate(BAD)])
def test_bad_arguments_raise_value_error_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        make()
