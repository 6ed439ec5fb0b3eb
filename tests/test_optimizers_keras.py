"""The hand-written optimizers against keras.optimizers: fixed cases, then random ones."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse import optimizers as opt
from lrcourse.keras import optimizers as kopt

keras = kopt.keras  # imported quietly by lrcourse.keras.optimizers

STEPS = 300
SCALES = np.array([1e-6, 1.0, 1e3])  # tiny gradients are where the place of epsilon matters
RTOL = 1e-6

# name -> (class, hyperparameters): every optimizer and every variant Keras has
CONFIGS = {
    "sgd": (opt.SGD, {"learning_rate": 1e-3}),
    "sgd-momentum": (opt.SGD, {"learning_rate": 1e-3, "momentum": 0.9}),
    "sgd-nesterov": (opt.SGD, {"learning_rate": 1e-3, "momentum": 0.9, "nesterov": True}),
    "adagrad": (opt.Adagrad, {"learning_rate": 0.1}),
    "adagrad-from-zero": (opt.Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.0}),
    "rmsprop": (opt.RMSprop, {"learning_rate": 1e-3}),
    "rmsprop-momentum": (opt.RMSprop, {"learning_rate": 1e-3, "momentum": 0.9}),
    "rmsprop-centered": (opt.RMSprop, {"learning_rate": 1e-3, "centered": True}),
    "adadelta": (opt.Adadelta, {"learning_rate": 1.0}),
    "adam": (opt.Adam, {"learning_rate": 0.01}),
    "adam-amsgrad": (opt.Adam, {"learning_rate": 0.01, "amsgrad": True}),
    "adamw": (opt.AdamW, {"learning_rate": 0.01, "weight_decay": 0.05}),
    "nadam": (opt.Nadam, {"learning_rate": 0.01}),
}


def build(name, learning_rate=None):
    cls, hyper = CONFIGS[name]
    if learning_rate is not None:
        hyper = {**hyper, "learning_rate": learning_rate}
    return cls(**hyper)


@pytest.fixture(scope="module")
def random_gradients():
    """Row i of every gradient has the scale SCALES[i]; the start has the same scale."""
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((STEPS, 3, 4)) * SCALES[:, None]
    params0 = rng.standard_normal((3, 4)) * SCALES[:, None]
    return grads.astype(np.float32), params0.astype(np.float32)


def assert_agree_per_scale(comparison, params0):
    """|ours - keras| <= RTOL * (distance Keras moved), separately for each gradient scale."""
    for row, scale in enumerate(SCALES):
        ours, theirs = comparison.ours[:, row], comparison.keras[:, row]
        travelled = np.max(np.abs(theirs - params0[row]))
        assert travelled > 0, f"scale {scale:g}: the parameters did not move"
        worst = np.max(np.abs(ours - theirs))
        assert worst <= RTOL * travelled, f"scale {scale:g}: {worst:.3g} vs {travelled:.3g}"


# Two landscapes side by side, each row one point: a rotated quadratic with condition number 50
# and Rosenbrock's valley. The gradient is computed in float64 at the caller's float32 point.
_C, _S = np.cos(0.5), np.sin(0.5)
_ROTATION = np.array([[_C, -_S], [_S, _C]])
_HESSIAN = _ROTATION @ np.diag([1.0, 50.0]) @ _ROTATION.T
LANDSCAPE_START = np.array([[1.5, -1.0], [-1.2, 1.0]], dtype=np.float32)


def landscape_gradient(x):
    x = np.asarray(x, dtype=float)
    a, b = x[1]
    rosenbrock = [-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)]
    return np.stack([_HESSIAN @ x[0], rosenbrock]).astype(np.float32)


def landscape_loss(x):
    x = np.asarray(x, dtype=float)
    a, b = x[1]
    return 0.5 * x[0] @ _HESSIAN @ x[0] + (1 - a) ** 2 + 100 * (b - a * a) ** 2


def warmup_then_decay(step):
    """A learning-rate factor that changes at every step: linear warm-up, then decay."""
    return min(1.0, (step + 1) / 50) * 0.99 ** (step / 5)


# ---------------------------------------------------------------- against Keras


@pytest.mark.parametrize("name", CONFIGS)
def test_same_as_keras_on_random_gradients(random_gradients, name):
    grads, params0 = random_gradients
    comparison = kopt.compare_with_keras(build(name), grads, params0)
    assert comparison.ours.shape == comparison.keras.shape == (STEPS + 1, 3, 4)
    assert_agree_per_scale(comparison, params0)
    assert comparison.max_abs_diff == 0  # float32 operations in Keras's order: the same bits


@pytest.mark.parametrize("name", ["sgd-nesterov", "rmsprop-momentum", "adadelta", "nadam"])
def test_same_as_keras_exponential_decay_on_random_gradients(random_gradients, name):
    """Ours: a Python function of the step, in float32 as Keras computes; Keras: its schedule."""
    grads, params0 = random_gradients
    lr0 = CONFIGS[name][1]["learning_rate"]
    f32 = np.float32

    def exponential_decay(step):
        return f32(lr0) * f32(0.96) ** (f32(step) / f32(20))

    ours = build(name, exponential_decay)
    schedule = keras.optimizers.schedules.ExponentialDecay(lr0, decay_steps=20, decay_rate=0.96)
    theirs = type(kopt.keras_equivalent(build(name)))(
        **{**CONFIGS[name][1], "learning_rate": schedule}
    )
    comparison = kopt.compare_with_keras(ours, grads, params0, keras_optimizer=theirs)
    assert_agree_per_scale(comparison, params0)
    assert float(theirs.learning_rate) == pytest.approx(lr0 * 0.96 ** (STEPS / 20), rel=1e-5)


@pytest.mark.parametrize("name", ["sgd-nesterov", "adagrad", "rmsprop-centered", "adam-amsgrad"])
def test_same_as_keras_with_a_changing_learning_rate_on_landscapes(name):
    lr0 = CONFIGS[name][1]["learning_rate"]
    ours = build(name, lambda step: lr0 * warmup_then_decay(step))
    comparison = kopt.compare_on_function(ours, landscape_gradient, LANDSCAPE_START, STEPS)
    assert np.all(np.isfinite(comparison.ours))
    assert comparison.max_abs_diff == 0  # each rate rounded to float32 on both sides
    moved = comparison.ours[-1] - LANDSCAPE_START
    assert np.all(np.abs(moved) > 0)


def test_a_keras_schedule_subclass_on_both_sides(random_gradients):
    class Warmup(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = keras.ops.cast(step, "float32")
            return 0.01 * keras.ops.minimum(1.0, (step + 1.0) / 50.0)

    grads, params0 = random_gradients
    ours = opt.Adam(learning_rate=Warmup())
    assert ours.learning_rate_at(0) == pytest.approx(0.01 / 50)
    comparison = kopt.compare_with_keras(ours, grads, params0)
    assert_agree_per_scale(comparison, params0)


def test_a_schedule_with_a_keras_twin_is_converted(random_gradients):
    """Schedules that know their Keras form (``to_keras()``) are handed over in that form."""
    converted = []

    class Halving:
        def __call__(self, step):
            return 0.01 * 0.5 ** (step / 100)

        def to_keras(self):
            converted.append(True)
            return keras.optimizers.schedules.ExponentialDecay(0.01, 100, 0.5)

    grads, params0 = random_gradients
    comparison = kopt.compare_with_keras(opt.Adam(learning_rate=Halving()), grads, params0)
    assert converted == [True]
    assert_agree_per_scale(comparison, params0)  # float64 rates on our side, float32 on Keras's


def test_learning_rate_step_indexing_matches_keras():
    """Each side asks for the rate of steps 0, 1, 2 in that order, once per update."""
    asked = []

    def rate(step):
        asked.append(step)
        return [0.1, 0.2, 0.3][step]

    ours = opt.SGD(learning_rate=rate)
    comparison = kopt.compare_with_keras(ours, np.ones((3, 1)), np.zeros(1))
    np.testing.assert_allclose(comparison.ours[:, 0], [0, -0.1, -0.3, -0.6], rtol=1e-6)
    np.testing.assert_allclose(comparison.keras[:, 0], [0, -0.1, -0.3, -0.6], rtol=1e-6)
    assert asked == [0, 1, 2, 0, 1, 2]  # ours, then Keras's


def test_the_comparison_can_fail_where_epsilon_sits(random_gradients):
    """Algorithm 1 (epsilon on sqrt(v_hat)) vs Keras (on sqrt(v)): same for large gradients only."""
    grads, params0 = random_gradients
    paper = opt.Adam(learning_rate=0.01, epsilon_placement="paper")
    comparison = kopt.compare_with_keras(
        paper, grads, params0, keras_optimizer=keras.optimizers.Adam(learning_rate=0.01)
    )
    diff = np.abs(comparison.ours - comparison.keras).max(axis=(0, 2))
    travelled = np.abs(comparison.keras - params0).max(axis=(0, 2))
    assert diff[0] > 1e-2 * travelled[0]  # gradients of 1e-6: epsilon 1e-7 is not negligible
    assert diff[2] < 1e-4 * travelled[2]  # gradients of 1e3: it is


def test_keras_equivalent_carries_the_hyperparameters():
    ours = opt.RMSprop(learning_rate=0.02, rho=0.8, momentum=0.5, epsilon=1e-5, centered=True)
    config = kopt.keras_equivalent(ours).get_config()
    assert isinstance(kopt.keras_equivalent(ours), keras.optimizers.RMSprop)
    for key in ("rho", "momentum", "epsilon", "centered"):
        assert config[key] == getattr(ours, key)
    assert config["learning_rate"] == pytest.approx(0.02)
    decayed = opt.AdamW(weight_decay=0.1, amsgrad=True)
    assert kopt.keras_equivalent(decayed).get_config()["weight_decay"] == 0.1
    assert kopt.keras_equivalent(decayed).get_config()["amsgrad"] is True


@pytest.mark.parametrize("name", sorted(opt.OPTIMIZERS))
def test_defaults_are_keras_defaults(name):
    ours = opt.get(name).get_config()
    theirs = getattr(keras.optimizers, opt.OPTIMIZERS[name].name)().get_config()
    ours.pop("epsilon_placement", None)
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value, rel=1e-6), key


@pytest.mark.parametrize("paper_form", [opt.Adam.paper(), opt.Adagrad.paper()])
def test_paper_forms_have_no_keras_equivalent(paper_form):
    with pytest.raises(ValueError, match="epsilon_placement"):
        kopt.keras_equivalent(paper_form)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda: kopt.compare_with_keras(opt.SGD(), np.ones((5, 3)), np.zeros(2)),
            "grads_sequence",
        ),
        (
            lambda: kopt.compare_with_keras(opt.SGD(), np.ones((0, 2)), np.zeros(2)),
            "grads_sequence",
        ),
        (lambda: kopt.compare_with_keras(opt.SGD(), [[np.nan]], [0.0]), "grads_sequence"),
        (lambda: kopt.compare_with_keras(opt.SGD(), "ones", [0.0]), "grads_sequence"),
        (lambda: kopt.compare_with_keras(opt.SGD(), np.ones((2, 1)), [np.inf]), "params0"),
        (lambda: kopt.compare_with_keras(opt.SGD(), np.ones((2, 0)), []), "params0"),
        (lambda: kopt.compare_with_keras("sgd", np.ones((2, 1)), [0.0]), "opt"),
        (
            lambda: kopt.compare_on_function(opt.SGD(), landscape_gradient, LANDSCAPE_START, 0),
            "steps",
        ),
        (
            lambda: kopt.compare_on_function(opt.SGD(), landscape_gradient, LANDSCAPE_START, 10**9),
            "steps",
        ),
        (
            lambda: kopt.compare_on_function(opt.SGD(), landscape_gradient, LANDSCAPE_START, 2.5),
            "steps",
        ),
        (lambda: kopt.compare_on_function(opt.SGD(), "grad", LANDSCAPE_START, 5), "grad_fn"),
        (
            lambda: kopt.compare_on_function(opt.SGD(), lambda x: x[0], LANDSCAPE_START, 5),
            "grad_fn",
        ),
        (
            lambda: kopt.compare_on_function(opt.SGD(), lambda x: "up", LANDSCAPE_START, 5),
            "grad_fn",
        ),
        (lambda: kopt.keras_equivalent("adam"), "opt"),
        (
            lambda: kopt.compare_with_keras(
                opt.SGD(), np.ones((2, 1)), [0.0], keras_optimizer="sgd"
            ),
            "keras_optimizer",
        ),
    ],
)
def test_comparison_input_is_checked(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_a_used_keras_optimizer_is_refused():
    used = keras.optimizers.SGD(learning_rate=0.1)
    kopt.compare_with_keras(opt.SGD(0.1), np.ones((2, 1)), [0.0], keras_optimizer=used)
    with pytest.raises(ValueError, match="keras_optimizer must be fresh"):
        kopt.compare_with_keras(opt.SGD(0.1), np.ones((2, 1)), [0.0], keras_optimizer=used)


def test_comparison_prints_the_max_difference():
    comparison = kopt.compare_with_keras(opt.Adam(), np.ones((4, 2)), np.zeros(2))
    assert "4 steps: max |ours - keras| = 0" in str(comparison)


# ---------------------------------------------------------------- random rules, random gradients


def fractions(high=0.999):
    return st.floats(0.0, high)


HYPERPARAMETERS = {
    "sgd": {"momentum": fractions(), "nesterov": st.booleans()},
    "adagrad": {"initial_accumulator_value": st.floats(0.0, 1.0), "epsilon": st.floats(1e-8, 1e-3)},
    "rmsprop": {
        "rho": fractions(),
        "momentum": fractions(),
        "epsilon": st.floats(1e-8, 1e-3),
        "centered": st.booleans(),
    },
    "adadelta": {"rho": fractions(), "epsilon": st.floats(1e-8, 1e-3)},
    "adam": {"beta_1": fractions(), "beta_2": fractions(), "amsgrad": st.booleans()},
    "adamw": {"weight_decay": st.floats(0.0, 0.5), "beta_1": fractions(), "beta_2": fractions()},
    "nadam": {"beta_1": fractions(), "beta_2": fractions(), "epsilon": st.floats(1e-8, 1e-3)},
}


@st.composite
def keras_cases(draw):
    name = draw(st.sampled_from(sorted(HYPERPARAMETERS)))
    hyper = draw(st.fixed_dictionaries(HYPERPARAMETERS[name]))
    lr0 = draw(st.floats(1e-4, 1.0))
    decaying = draw(st.booleans())  # a Python schedule, which Keras calls through numpy_function
    hyper["learning_rate"] = (lambda step: lr0 * 0.9**step) if decaying else lr0
    shape = draw(st.sampled_from([(1,), (3,), (2, 3)]))
    steps = draw(st.integers(1, 30))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = 10.0 ** draw(st.floats(-6, 3))
    rng = np.random.default_rng(seed)
    grads = (rng.standard_normal((steps, *shape)) * scale).astype(np.float32)
    params0 = (rng.standard_normal(shape) * scale).astype(np.float32)
    return opt.get(name, **hyper), grads, params0


@settings(max_examples=12, deadline=None)
@given(keras_cases())
def test_every_rule_equals_keras_on_random_gradients(case):
    """float32 throughout: the same bits as Keras, or within 1e-6 of the distance travelled
    (TensorFlow's CPU flushes subnormal numbers to zero, NumPy keeps them)."""
    optimizer, grads, params0 = case
    comparison = kopt.compare_with_keras(optimizer, grads, params0)
    assert comparison.max_abs_diff == 0 or comparison.max_rel_diff <= 1e-6, (optimizer, comparison)


def test_a_course_schedule_is_compared_through_its_keras_twin(random_gradients):
    from lrcourse import schedules

    grads, params0 = random_gradients
    ours = opt.SGD(learning_rate=schedules.ExponentialDecay(0.01, 20, 0.96), momentum=0.9)
    comparison = kopt.compare_with_keras(ours, grads, params0)
    assert_agree_per_scale(comparison, params0)
