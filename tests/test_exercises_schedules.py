"""The schedule exercise checkers: right answers, each recognised mistake, placeholders, errors."""

import itertools
import math

import numpy as np
import pytest

from lrcourse import schedules as S
from lrcourse.exercises import schedules as ex

# ------------------------------------------------------------------ step decay (notebook 12)


def step_decay(epoch):
    return 0.1 * 0.5 ** math.floor(epoch / 10)


def step_decay_one_based(epoch):  # the classic tutorial code: floor((1 + epoch) / epochs_drop)
    return 0.1 * 0.5 ** math.floor((1 + epoch) / 10)


def step_decay_smooth(epoch):
    return 0.1 * 0.5 ** (epoch / 10)


def step_decay_wrong_drop(epoch):
    return 0.1 * 0.6 ** math.floor(epoch / 10)


def test_step_decay_right_answer():
    feedback = ex.check_step_decay(step_decay)
    assert feedback.correct, feedback


def test_step_decay_recognises_the_one_based_epoch():
    feedback = ex.check_step_decay(step_decay_one_based)
    assert feedback.state == "not yet"
    assert "epoch 9" in str(feedback) and "0-based" in str(feedback)


def test_step_decay_recognises_a_missing_floor():
    feedback = ex.check_step_decay(step_decay_smooth)
    assert feedback.state == "not yet" and "floor" in str(feedback)
    assert "at epoch 1 " in str(feedback)


def test_step_decay_names_the_first_wrong_epoch():
    feedback = ex.check_step_decay(step_decay_wrong_drop)
    assert feedback.state == "not yet"
    assert "at epoch 10 your value 0.06 is too high" in str(feedback)
    assert "0.05" not in str(feedback)


def test_step_decay_with_other_parameters():
    def mine(epoch):
        return 0.01 * 0.1 ** (epoch // 3)

    assert ex.check_step_decay(mine, initial_learning_rate=0.01, drop=0.1, steps_per_drop=3).correct
    assert ex.check_step_decay(mine).state == "not yet"


# ------------------------------------------------------------------ warmup + cosine (notebook 14)


def warmup_cosine(step, peak=0.1, warmup_steps=10, decay_steps=40, alpha=0.0):
    if step < warmup_steps:
        return peak * step / warmup_steps
    t = min(step - warmup_steps, decay_steps)
    return peak * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / decay_steps)) + alpha)


def warmup_cosine_unshifted(step):
    if step < 10:
        return 0.1 * step / 10
    return 0.1 * 0.5 * (1 + math.cos(math.pi * min(step, 40) / 40))


def warmup_cosine_unclamped(step):
    if step < 10:
        return 0.1 * step / 10
    return 0.1 * 0.5 * (1 + math.cos(math.pi * (step - 10) / 40))


def warmup_cosine_early_peak(step):
    if step < 9:
        return 0.1 * step / 9
    return warmup_cosine(step)


def test_warmup_cosine_right_answer():
    assert ex.check_warmup_cosine(warmup_cosine).correct


def test_warmup_cosine_accepts_keras_cosine_decay_with_warmup():
    from lrcourse.keras.schedules import keras

    reference = keras.optimizers.schedules.CosineDecay(0.0, 40, warmup_target=0.1, warmup_steps=10)
    assert ex.check_warmup_cosine(reference).correct  # float32 tensors are fine


@pytest.mark.parametrize(
    "fn, phrase",
    [
        (warmup_cosine_unshifted, "step - warmup_steps"),
        (warmup_cosine_unclamped, "climbs again"),
        (warmup_cosine_early_peak, "one step early"),
    ],
)
def test_warmup_cosine_recognises_mistakes(fn, phrase):
    feedback = ex.check_warmup_cosine(fn)
    assert feedback.state == "not yet" and phrase in str(feedback)


def test_warmup_cosine_with_alpha_and_start():
    def mine(step):
        if step < 5:
            return 0.01 + (0.2 - 0.01) * step / 5
        t = min(step - 5, 20)
        return 0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi * t / 20)) + 0.1)

    assert ex.check_warmup_cosine(mine, 0.2, 5, 20, alpha=0.1, start=0.01).correct
    assert ex.check_warmup_cosine(mine, 0.2, 5, 20, alpha=0.0, start=0.01).state == "not yet"


# ------------------------------------------------------------------ cyclical (notebook 15)


def triangular(step, base=1e-3, top=6e-3, step_size=20):
    cycle = math.floor(1 + step / (2 * step_size))
    x = abs(step / step_size - 2 * cycle + 1)
    return base + (top - base) * max(0.0, 1 - x)


def test_cyclical_right_answer():
    assert ex.check_cyclical(triangular).correct


def test_cyclical_recognises_step_size_read_as_the_full_cycle():
    feedback = ex.check_cyclical(lambda step: triangular(step, step_size=10))
    assert feedback.state == "not yet" and "HALF a cycle" in str(feedback)


def test_cyclical_recognises_a_double_length_cycle():
    feedback = ex.check_cyclical(lambda step: triangular(step, step_size=40))
    assert feedback.state == "not yet" and "twice too long" in str(feedback)


def test_cyclical_recognises_the_wrong_policy():
    def triangular2(step):
        cycle = math.floor(1 + step / 40)
        return 1e-3 + (triangular(step) - 1e-3) / 2 ** (cycle - 1)

    assert ex.check_cyclical(triangular2, mode="triangular2").correct
    feedback = ex.check_cyclical(triangular2)
    assert feedback.state == "not yet" and "'triangular2' policy" in str(feedback)


# ------------------------------------------------------------------ Keras 2's decay= (notebook 11)


def test_time_based_replacement_accepts_functions_and_schedules():
    assert ex.check_time_based_replacement(lambda t: 0.01 / (1 + 1e-3 * t)).correct
    assert ex.check_time_based_replacement(S.InverseTimeDecay(0.01, 1, 1e-3)).correct
    from lrcourse.keras.schedules import keras, to_keras

    assert ex.check_time_based_replacement(to_keras(S.InverseTimeDecay(0.01, 1, 1e-3))).correct
    assert ex.check_time_based_replacement(
        keras.optimizers.schedules.InverseTimeDecay(0.01, 1, 1e-3)
    ).correct


def test_time_based_replacement_recognises_per_epoch_decay():
    per_epoch = S.InverseTimeDecay(0.01, 50, 1e-3, staircase=True)
    feedback = ex.check_time_based_replacement(per_epoch, steps_per_epoch=50)
    assert feedback.state == "not yet" and "once per epoch" in str(feedback)
    smooth = S.InverseTimeDecay(0.01, 50, 1e-3)
    assert "too slowly" in str(ex.check_time_based_replacement(smooth, steps_per_epoch=50))
    exponential = S.ExponentialDecay(0.01, 1, 1 - 1e-3)
    assert "exponential" in str(ex.check_time_based_replacement(exponential))


# ------------------------------------------------------------------ ReduceLROnPlateau (notebook 16)

LOSSES = [1.0, 0.8, 0.7, 0.7, 0.71, 0.7, 0.69, 0.69, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]


def test_plateau_right_answer():
    # patience 3: bad epochs 3, 4, 5 -> cut after 5; 6 improves; 7, 8, 9 bad -> cut after 9; then 12
    feedback = ex.check_plateau_reductions([5, 9, 12], LOSSES, patience=3)
    assert feedback.correct, feedback


def test_plateau_recognises_mistakes():
    assert "1-based" in str(ex.check_plateau_reductions([6, 10, 13], LOSSES, patience=3))
    # torch needs patience + 1 = 4 bad epochs in a row: only epochs 7-10 qualify
    assert "torch" in str(ex.check_plateau_reductions([10], LOSSES, patience=3))
    cooled = ex.check_plateau_reductions([5, 9, 12], LOSSES, patience=3, cooldown=2)
    assert cooled.state == "not yet" and "cooldown" in str(cooled)
    other = ex.check_plateau_reductions([5], LOSSES, patience=3)
    assert other.state == "not yet" and "after epoch 9" in str(other)


def test_plateau_placeholder_and_garbage():
    assert ex.check_plateau_reductions(..., LOSSES).state == "not attempted"
    assert ex.check_plateau_reductions(None, LOSSES).state == "not attempted"
    assert ex.check_plateau_reductions("five", LOSSES).state == "not yet"
    assert ex.check_plateau_reductions([5.5], LOSSES, patience=3).state == "not yet"
    assert ex.check_plateau_reductions([], [1.0, 0.9, 0.8]).correct


# ------------------------------------------------------------------ every checker: the edge cases

CHECKERS = [
    ex.check_warmup_stable_decay,
    ex.check_step_decay,
    ex.check_warmup_cosine,
    ex.check_cyclical,
    ex.check_time_based_replacement,
]


@pytest.mark.parametrize("check", CHECKERS)
def test_placeholders_are_not_attempted(check):
    def todo(step):
        raise NotImplementedError

    for answer in (None, ..., todo):
        assert check(answer).state == "not attempted"


@pytest.mark.parametrize("check", CHECKERS)
def test_a_raising_function_is_reported_not_raised(check):
    def broken(step):
        return 1 / (step - 3)

    feedback = check(broken)
    assert feedback.state == "not yet" and "3" in str(feedback)
    assert "ZeroDivisionError" in str(feedback)


@pytest.mark.parametrize("check", CHECKERS)
def test_non_numbers_are_reported(check):
    assert "not a number" in str(check(lambda step: "fast"))
    assert "not a number" in str(check(lambda step: None))
    assert check(0.1).state == "not yet"  # a number, not a function


def test_vectorised_numpy_answers_work():
    assert ex.check_step_decay(lambda e: 0.1 * np.power(0.5, np.floor(e / 10))).correct


def test_the_step_decay_schedule_itself_passes():
    assert ex.check_step_decay(S.step_decay(0.1, 0.5, 10)).correct
    assert ex.check_step_decay(S.step_decay(0.01, 0.1, 3), 0.01, 0.1, 3, epochs=20).correct


# ------------------------------------------------------------------ nothing a learner types raises


class Weird:
    """An object that fails in every way a learner's object might."""

    def __iter__(self):
        raise RuntimeError("no iterating me")

    def __float__(self):
        raise RuntimeError("no converting me")

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no array either")


LEARNER_VALUES = [
    None, ..., 0, -1, 1e400, float("nan"), float("inf"), "0.1", b"x", True, [], [0.1], (0.1,),
    {0: 0.1}, {0.1}, 1j, np.array([0.1, 0.2]), np.array(0.1 + 1j), np.zeros((2, 2)), Weird(),
    object(), print, range(10**12),
]  # fmt: skip


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("value", LEARNER_VALUES, ids=repr)
def test_no_answer_makes_a_checker_raise(check, value):
    feedback = check(value)  # the answer itself
    assert feedback.state in ("not yet", "not attempted")
    feedback = check(lambda step, v=value: v)  # a function returning it
    assert feedback.state in ("not yet", "not attempted") or value == 0.1
    assert check(lambda step: Weird()).state == "not yet"


@pytest.mark.parametrize("value", LEARNER_VALUES, ids=repr)
def test_no_plateau_answer_raises(value):
    assert ex.check_plateau_reductions(value, LOSSES, patience=3).state in (
        "not yet",
        "not attempted",
    )


def test_plateau_answers_that_used_to_raise():
    for answer in ([float("inf")], [float("nan")], [5, float("inf")], [10**30], range(10**12)):
        assert ex.check_plateau_reductions(answer, LOSSES, patience=3).state == "not yet"
    endless = itertools.count()
    assert "at most" in str(ex.check_plateau_reductions(endless, LOSSES, patience=3))
    assert ex.check_plateau_reductions(np.array([5, 9, 12]), LOSSES, patience=3).correct
    assert ex.check_plateau_reductions({12, 5, 9}, LOSSES, patience=3).correct


TEACHER_SIDE = [
    (lambda: ex.check_step_decay(step_decay, epochs=0), "epochs"),
    (lambda: ex.check_step_decay(step_decay, epochs=10**9), "epochs"),
    (lambda: ex.check_step_decay(step_decay, steps_per_drop=0), "steps_per_drop"),
    (lambda: ex.check_step_decay(step_decay, drop="half"), "drop"),
    (lambda: ex.check_step_decay(..., initial_learning_rate=-1), "initial_learning_rate"),
    (lambda: ex.check_warmup_cosine(warmup_cosine, warmup_steps=-1), "warmup_steps"),
    (lambda: ex.check_warmup_cosine(warmup_cosine, steps=0), "steps"),
    (lambda: ex.check_warmup_cosine(warmup_cosine, alpha=2), "alpha"),
    (lambda: ex.check_cyclical(triangular, step_size=0), "step_size"),
    (lambda: ex.check_cyclical(triangular, mode="sine"), "mode"),
    (lambda: ex.check_time_based_replacement(None, decay=0), "decay"),
    (lambda: ex.check_time_based_replacement(None, learning_rate="0.1"), "learning_rate"),
    (lambda: ex.check_warmup_cosine(None, peak=0), "peak"),
    (lambda: ex.check_warmup_cosine(None, start=-1), "start"),
    (lambda: ex.check_time_based_replacement(None, steps_per_epoch=0), "steps_per_epoch"),
    (lambda: ex.check_plateau_reductions([1], LOSSES, patience=-1), "patience"),
    (lambda: ex.check_plateau_reductions(None, "losses"), "losses"),
]


@pytest.mark.parametrize("make, argument", TEACHER_SIDE, ids=[a for _, a in TEACHER_SIDE])
def test_a_broken_exercise_set_up_raises_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        make()


def test_settings_where_a_classic_mistake_cannot_happen_still_check():
    # warmup_steps=1: no "one step early" ramp; decay >= 1: no exponential look-alike
    def one_step_warmup(step):
        return warmup_cosine(step, warmup_steps=1)

    assert ex.check_warmup_cosine(one_step_warmup, warmup_steps=1).correct
    assert ex.check_time_based_replacement(lambda t: 0.01 / (1 + 2 * t), decay=2.0).correct


# ------------------------------------------------------------ half-life to ExponentialDecay (13)


def decay_arguments(half_life_epochs, steps_per_epoch):
    return half_life_epochs * steps_per_epoch, 0.5


def test_decay_arguments_right_answer():
    feedback = ex.check_decay_arguments(decay_arguments)
    assert feedback.correct, feedback


def test_decay_arguments_accepts_every_pair_on_the_same_curve():
    def per_epoch_factor(half_life_epochs, steps_per_epoch):  # one factor per epoch of batches
        return steps_per_epoch, 0.5 ** (1 / half_life_epochs)

    def per_batch_factor(half_life_epochs, steps_per_epoch):
        return 1, 0.5 ** (1 / (half_life_epochs * steps_per_epoch))

    def from_decay_constant(half_life_epochs, steps_per_epoch):
        k = math.log(2) / (half_life_epochs * steps_per_epoch)
        return np.array([100.0, math.exp(-k * 100)])

    for fn in (per_epoch_factor, per_batch_factor, from_decay_constant):
        assert ex.check_decay_arguments(fn).correct, fn.__name__


def halves_curve_after(decay_steps, decay_rate):
    """The step at which ExponentialDecay(1, decay_steps, decay_rate) has halved."""
    rates = S.ExponentialDecay(1.0, decay_steps, decay_rate)(np.arange(2000.0))
    return int(np.argmax(rates <= 0.5 + 1e-12))


@pytest.mark.parametrize(
    "fn, phrase, halving_step",
    [
        (lambda h, n: (h, 0.5), "every half_life_epochs batches, not epochs", 5),
        (lambda h, n: (h / n, 0.5), "you divided by steps_per_epoch", 1),
        (lambda h, n: (h * n, math.log(2) / (h * n)), "decay constant", 16),
        (lambda h, n: (h * n, 0.5 ** (1 / (h * n))), "factor of ONE batch", 12100),
    ],
)
def test_decay_arguments_recognises_mistakes(fn, phrase, halving_step):
    feedback = ex.check_decay_arguments(fn)
    assert feedback.state == "not yet" and phrase in str(feedback), feedback
    assert "110" not in str(feedback)  # the expected half-life (5 epochs x 22) is not given away
    # the effect the message names: with (5, 22) the rate halves at this step, not at step 110
    steps, rate = fn(5, 22)
    if halving_step < 2000:
        assert halves_curve_after(steps, rate) == halving_step


def test_decay_arguments_gives_a_direction_and_the_answer_on_request():
    slow = ex.check_decay_arguments(lambda h, n: (2 * h * n, 0.5))
    assert "too high (the rate falls too slowly)" in str(slow) and "220 batches" in str(slow)
    fast = ex.check_decay_arguments(lambda h, n: (h * n, 0.25), show_answer=True)
    assert "too fast" in str(fast) and "decay_steps = half_life_epochs * steps_per_epoch = 110"
    assert "= 110" in str(fast)


def test_decay_arguments_growing_or_flat_rates():
    assert "grows" in str(ex.check_decay_arguments(lambda h, n: (h * n, 2.0)))
    assert "stays flat" in str(ex.check_decay_arguments(lambda h, n: (h * n, 1)))
    assert "KEPT" in str(ex.check_decay_arguments(lambda h, n: (h * n, -0.5)))
    assert "> 0" in str(ex.check_decay_arguments(lambda h, n: (0, 0.5)))


@pytest.mark.parametrize(
    "value", [None, 110, "110, 0.5", (110,), (110, 0.5, 1), {110: 0.5}, (110, "half"),
              (float("nan"), 0.5), (110, 1j), Weird(), S.ExponentialDecay(1.0, 110, 0.5)],
    ids=repr,
)  # fmt: skip
def test_decay_arguments_odd_returns_never_raise(value):
    feedback = ex.check_decay_arguments(lambda h, n, v=value: v)
    assert feedback.state == "not yet" and "two numbers" in str(feedback)


def test_decay_arguments_placeholders_and_odd_answers():
    def todo(half_life_epochs, steps_per_epoch):
        raise NotImplementedError

    for answer in (None, ..., todo):
        assert ex.check_decay_arguments(answer).state == "not attempted"
    for answer in (0.5, "decay", [110, 0.5], Weird(), lambda: (110, 0.5), lambda h: (h, 0.5)):
        assert ex.check_decay_arguments(answer).state == "not yet"
    assert "ZeroDivisionError" in str(ex.check_decay_arguments(lambda h, n: (1 / 0, 0.5)))


# ------------------------------------------------------------------ warmup-stable-decay (17)


def wsd(step, peak=0.1, warmup_steps=10, stable_steps=60, decay_steps=20):
    if step < warmup_steps:
        return peak * step / warmup_steps
    progress = (step - warmup_steps - stable_steps) / decay_steps
    return peak * min(1.0, max(0.0, 1 - progress))


def wsd_unshifted(step):  # the decay measured from step 0
    return wsd(step) if step < 70 else 0.1 * max(0.0, 1 - step / 20)


def wsd_stable_from_zero(step):  # the stable stretch counted from step 0
    return wsd(step, stable_steps=50)


def wsd_one_late(step):
    return wsd(step) if step < 70 else 0.1 * min(1.0, max(0.0, 1 - (step - 71) / 20))


def wsd_unclamped(step):
    return wsd(step) if step < 70 else 0.1 * (1 - (step - 70) / 20)


def wsd_early_peak(step):  # the ramp divides by warmup_steps - 1
    return 0.1 * step / 9 if step < 10 else wsd(step)


def wsd_cosine(step):
    if step < 70:
        return wsd(step)
    return 0.1 * 0.5 * (1 + math.cos(math.pi * min(step - 70, 20) / 20))


def test_wsd_right_answer():
    feedback = ex.check_warmup_stable_decay(wsd)
    assert feedback.correct, feedback
    assert ex.check_warmup_stable_decay(S.sequence(
        [S.warmup(S.Constant(0.1), 10), S.PolynomialDecay(0.1, 20, end_learning_rate=0.0)], [70]
    )).correct  # fmt: skip


@pytest.mark.parametrize(
    "fn, phrase, first_wrong_step",
    [
        (wsd_unshifted, "already down", 70),
        (wsd_stable_from_zero, "warmup_steps too early", 61),
        (wsd_one_late, "one step late", 71),
        (wsd_unclamped, "below 0", 91),
        (wsd_early_peak, "one step early", 1),
        (wsd_cosine, "a cosine", 71),
    ],
)
def test_wsd_recognises_mistakes_at_the_step_where_they_show(fn, phrase, first_wrong_step):
    feedback = ex.check_warmup_stable_decay(fn)
    assert feedback.state == "not yet" and phrase in str(feedback), feedback
    assert f"at step {first_wrong_step} " in str(feedback)
    values = np.array([fn(step) for step in range(100)])
    right = np.array([wsd(step) for step in range(100)])
    assert np.flatnonzero(~np.isclose(values, right))[0] == first_wrong_step


def test_wsd_named_effects_hold():
    assert wsd_unclamped(99) < 0  # "below 0"
    assert wsd_early_peak(9) == pytest.approx(0.1) and wsd(9) < 0.1  # "one step early"
    assert wsd_stable_from_zero(61) < 0.1 == wsd(61)  # "too early"


def test_wsd_with_other_settings_and_no_warmup():
    def mine(step):
        return wsd(step, peak=0.3, warmup_steps=0, stable_steps=5, decay_steps=4)

    assert ex.check_warmup_stable_decay(mine, 0.3, 0, 5, 4).correct
    assert ex.check_warmup_stable_decay(mine).state == "not yet"


# ------------------------------------------------------------------ a schedule that saves (17)

keras = pytest.importorskip("keras")
ops = keras.ops
LRS = keras.optimizers.schedules.LearningRateSchedule


class WSDBase(LRS):
    def __init__(self, peak, warmup_steps, stable_steps, decay_steps):
        self.peak, self.warmup_steps = peak, warmup_steps
        self.stable_steps, self.decay_steps = stable_steps, decay_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        up = self.peak * step / max(self.warmup_steps, 1)
        progress = (step - self.warmup_steps - self.stable_steps) / self.decay_steps
        return ops.clip(ops.minimum(up, self.peak * (1 - progress)), 0.0, self.peak)

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "stable_steps": self.stable_steps,
            "decay_steps": self.decay_steps,
        }


def registered(cls):
    return keras.saving.register_keras_serializable(package="test_exercises")(cls)


@registered
class GoodWSD(WSDBase):
    pass


class UnregisteredWSD(WSDBase):
    pass


@registered
class NoConfigWSD(LRS):
    __init__, __call__ = WSDBase.__init__, WSDBase.__call__


@registered
class PartialConfigWSD(WSDBase):
    def get_config(self):
        return {"peak": self.peak}


@registered
class RenamedConfigWSD(WSDBase):
    def get_config(self):
        return {**super().get_config(), "warmup": self.warmup_steps}


@registered
class PythonIfWSD(WSDBase):
    def __call__(self, step):
        if step < self.warmup_steps:
            return self.peak * ops.cast(step, "float32") / self.warmup_steps
        return super().__call__(step)


@registered
class MathWSD(WSDBase):
    def __call__(self, step):
        return super().__call__(step) * math.cos(step * 0)


@registered
class NumpyWSD(WSDBase):
    def __call__(self, step):
        return super().__call__(step) * np.cos(step * 0)


@registered
class UncastWSD(WSDBase):
    def __call__(self, step):
        return ops.minimum(self.peak * step / self.warmup_steps, self.peak)


@registered
class DoubledOnLoadWSD(WSDBase):  # get_config stores a value __init__ reads differently
    def get_config(self):
        return {**super().get_config(), "peak": 2 * self.peak}


@registered
class CosineWSD(WSDBase):
    def __call__(self, step):
        s = ops.cast(step, "float32")
        cosine = 0.5 * (1 + ops.cos(np.pi * ops.clip((s - 70) / 20, 0.0, 1.0)))
        return ops.where(s < 10, 0.01 * s, ops.where(s < 70, 0.1, 0.1 * cosine))


def test_serializable_schedule_right_answer():
    feedback = ex.check_serializable_schedule(GoodWSD)
    assert feedback.correct, feedback
    assert ".keras" in str(feedback) and "test_exercises>GoodWSD" in str(feedback)
    assert ex.check_serializable_schedule(GoodWSD(0.1, 10, 60, 20)).correct  # an instance is fine


@pytest.mark.parametrize(
    "cls, phrase",
    [
        (UnregisteredWSD, "not registered as serializable"),
        (NoConfigWSD, "no get_config"),
        (PartialConfigWSD, "missing 3 required positional arguments"),
        (RenamedConfigWSD, "unexpected keyword argument 'warmup'"),
        (PythonIfWSD, "a Python `if`"),
        (MathWSD, "the math module"),
        (NumpyWSD, "NumPy cannot compute"),
        (UncastWSD, "cast it first"),
        (DoubledOnLoadWSD, "after saving and loading"),
        (CosineWSD, "a cosine"),
    ],
)
def test_serializable_schedule_recognises_mistakes(cls, phrase):
    feedback = ex.check_serializable_schedule(cls)
    assert feedback.state == "not yet" and phrase in str(feedback), feedback


def test_the_named_serialization_effects_hold(tmp_path):
    """What the messages claim: an unregistered class does not load, a missing get_config does
    not save, a Python if fails once traced although it works eagerly."""
    from lrcourse.keras.schedules import keras_curve

    def round_trip(schedule):
        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
        model.save(tmp_path / "m.keras")
        return keras.saving.load_model(tmp_path / "m.keras")

    with pytest.raises(TypeError, match="Could not locate class"):
        round_trip(UnregisteredWSD(0.1, 10, 60, 20))
    with pytest.raises(NotImplementedError, match="get_config"):
        round_trip(NoConfigWSD(0.1, 10, 60, 20))
    assert float(PythonIfWSD(0.1, 10, 60, 20)(5)) == pytest.approx(0.05)  # eagerly it works
    with pytest.raises(TypeError, match="bool"):
        keras_curve(PythonIfWSD(0.1, 10, 60, 20), np.arange(5))


def test_serializable_schedule_placeholders_and_odd_answers():
    class Todo(LRS):
        def __init__(self, peak, warmup_steps, stable_steps, decay_steps):
            raise NotImplementedError

        def __call__(self, step):
            raise NotImplementedError

    class NoCall(LRS):
        pass

    for answer in (None, ..., Todo, NoCall):
        assert ex.check_serializable_schedule(answer).state == "not attempted"
    for answer in (0.1, "WSD", wsd, Weird(), object, int, [GoodWSD]):
        feedback = ex.check_serializable_schedule(answer)
        assert feedback.state == "not yet" and "LearningRateSchedule" in str(feedback)

    class NoArguments(LRS):
        def __call__(self, step):
            return 0.1

    assert "__init__(self, peak" in str(ex.check_serializable_schedule(NoArguments))

    class Raising(WSDBase):
        def __call__(self, step):
            raise RuntimeError("boom")

    assert "RuntimeError: boom" in str(ex.check_serializable_schedule(Raising))


# ------------------------------------------------------------------ the new checkers: edge cases

NEW_TEACHER_SIDE = [
    (lambda: ex.check_decay_arguments(None, cases=()), "cases"),
    (lambda: ex.check_decay_arguments(None, cases=[(0, 22)]), "half_life_epochs"),
    (lambda: ex.check_decay_arguments(None, cases=[(5, 0)]), "steps_per_epoch"),
    (lambda: ex.check_decay_arguments(None, cases="5, 22"), "cases"),
    (lambda: ex.check_warmup_stable_decay(None, peak=0), "peak"),
    (lambda: ex.check_warmup_stable_decay(None, warmup_steps=-1), "warmup_steps"),
    (lambda: ex.check_warmup_stable_decay(None, stable_steps=0), "stable_steps"),
    (lambda: ex.check_warmup_stable_decay(None, decay_steps=0.5), "decay_steps"),
    (lambda: ex.check_serializable_schedule(None, decay_steps=0), "decay_steps"),
]


@pytest.mark.parametrize("make, argument", NEW_TEACHER_SIDE, ids=[a for _, a in NEW_TEACHER_SIDE])
def test_a_broken_new_exercise_set_up_raises_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"\b{argument}\b"):
        make()


@pytest.mark.parametrize("value", LEARNER_VALUES, ids=repr)
def test_no_answer_makes_the_new_checkers_raise(value):
    for check in (ex.check_warmup_stable_decay, ex.check_decay_arguments):
        assert check(value).state in ("not yet", "not attempted")
        assert check(lambda *args, v=value: v).state in ("not yet", "not attempted")
    assert ex.check_warmup_stable_decay(lambda step: Weird()).state == "not yet"
    assert ex.check_serializable_schedule(value).state in ("not yet", "not attempted")
