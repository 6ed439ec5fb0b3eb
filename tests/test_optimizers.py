"""The hand-written optimizers against keras.optimizers, the papers' equations, and bad input."""

import warnings

import numpy as np
import pytest

from lrcourse import optimizers as opt
from lrcourse._setup import quiet_tensorflow

STEPS = 500
SCALES = np.array([1e-6, 1.0, 1e3])  # tiny gradients are where the place of epsilon matters
RTOL = 1e-5

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
def keras():
    quiet_tensorflow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
    return keras


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
def test_same_as_keras_on_random_gradients(keras, random_gradients, name):
    grads, params0 = random_gradients
    comparison = opt.compare_with_keras(build(name), grads, params0)
    assert comparison.ours.shape == comparison.keras.shape == (STEPS + 1, 3, 4)
    assert_agree_per_scale(comparison, params0)


@pytest.mark.parametrize("name", CONFIGS)
def test_same_as_keras_exponential_decay_on_random_gradients(keras, random_gradients, name):
    """Ours: a Python function of the step, in float32 as Keras computes; Keras: its schedule."""
    grads, params0 = random_gradients
    lr0 = CONFIGS[name][1]["learning_rate"]
    f32 = np.float32

    def exponential_decay(step):
        return f32(lr0) * f32(0.96) ** (f32(step) / f32(20))

    ours = build(name, exponential_decay)
    schedule = keras.optimizers.schedules.ExponentialDecay(lr0, decay_steps=20, decay_rate=0.96)
    theirs = type(opt.keras_equivalent(build(name)))(
        **{**CONFIGS[name][1], "learning_rate": schedule}
    )
    comparison = opt.compare_with_keras(ours, grads, params0, keras_optimizer=theirs)
    assert_agree_per_scale(comparison, params0)
    assert float(theirs.learning_rate) == pytest.approx(lr0 * 0.96 ** (STEPS / 20), rel=1e-5)


@pytest.mark.parametrize("name", CONFIGS)
def test_same_as_keras_on_landscapes(keras, name):
    comparison = opt.compare_on_function(build(name), landscape_gradient, LANDSCAPE_START, STEPS)
    assert np.all(np.isfinite(comparison.ours))
    assert comparison.max_abs_diff <= RTOL * np.max(np.abs(comparison.keras - LANDSCAPE_START))


@pytest.mark.parametrize("name", CONFIGS)
def test_same_as_keras_with_a_changing_learning_rate_on_landscapes(keras, name):
    lr0 = CONFIGS[name][1]["learning_rate"]
    ours = build(name, lambda step: lr0 * warmup_then_decay(step))
    comparison = opt.compare_on_function(ours, landscape_gradient, LANDSCAPE_START, STEPS)
    assert np.all(np.isfinite(comparison.ours))
    assert comparison.max_rel_diff <= RTOL
    moved = comparison.ours[-1] - LANDSCAPE_START
    assert np.all(np.abs(moved) > 0)


def test_a_keras_schedule_subclass_on_both_sides(keras, random_gradients):
    class Warmup(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            step = keras.ops.cast(step, "float32")
            return 0.01 * keras.ops.minimum(1.0, (step + 1.0) / 50.0)

    grads, params0 = random_gradients
    ours = opt.Adam(learning_rate=Warmup())
    assert ours.learning_rate_at(0) == pytest.approx(0.01 / 50)
    comparison = opt.compare_with_keras(ours, grads, params0)
    assert_agree_per_scale(comparison, params0)


def test_a_schedule_with_a_keras_twin_is_converted(keras, random_gradients):
    """Schedules that know their Keras form (``to_keras()``) are handed over in that form."""
    converted = []

    class Halving:
        def __call__(self, step):
            return 0.01 * 0.5 ** (step / 100)

        def to_keras(self):
            converted.append(True)
            return keras.optimizers.schedules.ExponentialDecay(0.01, 100, 0.5)

    grads, params0 = random_gradients
    comparison = opt.compare_with_keras(opt.Adam(learning_rate=Halving()), grads, params0)
    assert converted == [True]
    assert_agree_per_scale(comparison, params0)  # float64 rates on our side, float32 on Keras's


def test_learning_rate_step_indexing_matches_keras(keras):
    """Each side asks for the rate of steps 0, 1, 2 in that order, once per update."""
    asked = []

    def rate(step):
        asked.append(step)
        return [0.1, 0.2, 0.3][step]

    ours = opt.SGD(learning_rate=rate)
    comparison = opt.compare_with_keras(ours, np.ones((3, 1)), np.zeros(1))
    np.testing.assert_allclose(comparison.ours[:, 0], [0, -0.1, -0.3, -0.6], rtol=1e-6)
    np.testing.assert_allclose(comparison.keras[:, 0], [0, -0.1, -0.3, -0.6], rtol=1e-6)
    assert asked == [0, 1, 2, 0, 1, 2]  # ours, then Keras's


def test_the_comparison_can_fail_where_epsilon_sits(keras, random_gradients):
    """Algorithm 1 (epsilon on sqrt(v_hat)) vs Keras (on sqrt(v)): same for large gradients only."""
    grads, params0 = random_gradients
    paper = opt.Adam(learning_rate=0.01, epsilon_placement="paper")
    comparison = opt.compare_with_keras(
        paper, grads, params0, keras_optimizer=keras.optimizers.Adam(learning_rate=0.01)
    )
    diff = np.abs(comparison.ours - comparison.keras).max(axis=(0, 2))
    travelled = np.abs(comparison.keras - params0).max(axis=(0, 2))
    assert diff[0] > 1e-2 * travelled[0]  # gradients of 1e-6: epsilon 1e-7 is not negligible
    assert diff[2] < 1e-4 * travelled[2]  # gradients of 1e3: it is


def test_keras_equivalent_carries_the_hyperparameters(keras):
    ours = opt.RMSprop(learning_rate=0.02, rho=0.8, momentum=0.5, epsilon=1e-5, centered=True)
    config = opt.keras_equivalent(ours).get_config()
    assert isinstance(opt.keras_equivalent(ours), keras.optimizers.RMSprop)
    for key in ("rho", "momentum", "epsilon", "centered"):
        assert config[key] == getattr(ours, key)
    assert config["learning_rate"] == pytest.approx(0.02)
    decayed = opt.AdamW(weight_decay=0.1, amsgrad=True)
    assert opt.keras_equivalent(decayed).get_config()["weight_decay"] == 0.1
    assert opt.keras_equivalent(decayed).get_config()["amsgrad"] is True


@pytest.mark.parametrize("name", sorted(opt.OPTIMIZERS))
def test_defaults_are_keras_defaults(keras, name):
    ours = opt.get(name).get_config()
    theirs = getattr(keras.optimizers, opt.OPTIMIZERS[name].name)().get_config()
    ours.pop("epsilon_placement", None)
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value, rel=1e-6), key


@pytest.mark.parametrize("paper_form", [opt.Adam.paper(), opt.Adagrad.paper()])
def test_paper_forms_have_no_keras_equivalent(keras, paper_form):
    with pytest.raises(ValueError, match="epsilon_placement"):
        opt.keras_equivalent(paper_form)


def test_comparison_input_is_checked(keras):
    with pytest.raises(ValueError, match="grads_sequence"):
        opt.compare_with_keras(opt.SGD(), np.ones((5, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="steps"):
        opt.compare_on_function(opt.SGD(), landscape_gradient, LANDSCAPE_START, 0)
    with pytest.raises(ValueError, match="opt"):
        opt.keras_equivalent("adam")


def test_comparison_prints_the_max_difference(keras):
    comparison = opt.compare_with_keras(opt.Adam(), np.ones((4, 2)), np.zeros(2))
    assert "4 steps: max |ours - keras| = 0" in str(comparison)


# ---------------------------------------------------------------- the papers, written out here


def run(optimizer, grads, w0):
    w, state, path = w0, optimizer.init(w0), []
    for g in grads:
        w, state = optimizer.update(w, g, state)
        path.append(w)
    return np.array(path)


@pytest.fixture(scope="module")
def mixed_gradients():
    rng = np.random.default_rng(1)
    return rng.standard_normal((200, 3)) * np.array([1e-6, 1.0, 1e3]), rng.standard_normal(3)


def test_adam_paper_is_algorithm_1(mixed_gradients):
    grads, w = mixed_gradients
    alpha, beta_1, beta_2, eps = 0.001, 0.9, 0.999, 1e-8  # the paper's defaults
    m = v = np.zeros(3)
    expected = []
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = m / (1 - beta_1**t)
        v_hat = v / (1 - beta_2**t)
        w = w - alpha * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(w)
    np.testing.assert_allclose(run(opt.Adam.paper(), *mixed_gradients), expected, rtol=1e-12)


def test_adamw_paper_decays_then_takes_algorithm_1(mixed_gradients):
    grads, w = mixed_gradients
    alpha, decay, beta_1, beta_2, eps = 0.01, 0.1, 0.9, 0.999, 1e-8
    m = v = np.zeros(3)
    expected = []
    for t, g in enumerate(grads, start=1):
        w = w - alpha * decay * w
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        w = w - alpha * (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + eps)
        expected.append(w)
    adamw = opt.AdamW.paper(learning_rate=alpha, weight_decay=decay)
    np.testing.assert_allclose(run(adamw, *mixed_gradients), expected, rtol=1e-12)


def test_adagrad_paper_is_duchi_et_al(mixed_gradients):
    grads, w = mixed_gradients
    eta, delta = 0.1, 1e-7
    total = np.zeros(3)
    expected = []
    for g in grads:
        total = total + g**2
        w = w - eta * g / (delta + np.sqrt(total))
        expected.append(w)
    adagrad = opt.Adagrad.paper(learning_rate=eta, epsilon=delta)
    np.testing.assert_allclose(run(adagrad, *mixed_gradients), expected, rtol=1e-12)


def test_adadelta_paper_is_zeiler_algorithm_1(mixed_gradients):
    grads, x = mixed_gradients
    rho, eps = 0.95, 1e-6  # the paper's values; no learning rate

    def rms(mean_square):
        return np.sqrt(mean_square + eps)

    eg2 = edx2 = np.zeros(3)
    expected = []
    for g in grads:
        eg2 = rho * eg2 + (1 - rho) * g**2
        dx = -rms(edx2) / rms(eg2) * g
        edx2 = rho * edx2 + (1 - rho) * dx**2
        x = x + dx
        expected.append(x)
    np.testing.assert_allclose(run(opt.Adadelta.paper(), *mixed_gradients), expected, rtol=1e-12)


def test_paper_forms_carry_the_papers_settings():
    assert opt.Adam.paper().epsilon == 1e-8
    assert opt.Adam.paper().epsilon_placement == "paper"
    assert opt.Adadelta.paper().learning_rate == 1.0 and opt.Adadelta.paper().epsilon == 1e-6
    assert opt.Adagrad.paper().initial_accumulator_value == 0.0
    assert opt.Adagrad.paper().epsilon_placement == "paper"


def test_keras_adam_is_the_paper_with_a_growing_epsilon(mixed_gradients):
    """Section 2 of the paper: eps_hat on sqrt(v) equals eps_t = eps_hat / sqrt(1 - beta_2**t)."""
    grads, w0 = mixed_gradients
    keras_form = run(opt.Adam(epsilon=1e-7), grads, w0)
    w, state, paper_path = w0, None, []
    for t, g in enumerate(grads, start=1):
        paper = opt.Adam(epsilon=1e-7 / np.sqrt(1 - 0.999**t), epsilon_placement="paper")
        state = paper.init(w0) if state is None else state
        w, state = paper.update(w, g, state)
        paper_path.append(w)
    np.testing.assert_allclose(keras_form, paper_path, rtol=1e-10)


# ---------------------------------------------------------------- step indexing and the contract


def test_first_update_uses_step_0():
    steps_seen = []
    sgd = opt.SGD(learning_rate=lambda step: steps_seen.append(step) or 0.1 * (step + 1))
    w = run(sgd, np.ones((3, 1)), np.zeros(1))
    assert steps_seen == [0, 1, 2]
    np.testing.assert_allclose(w[:, 0], [-0.1, -0.3, -0.6])


def test_adam_bias_correction_counts_from_t_1():
    """With t = 1 at the first update, m_hat / sqrt(v_hat) = sign(g): the step is the rate."""
    for g in (1e-3, 5.0, -40.0):
        adam = opt.Adam.paper(learning_rate=0.01)
        w, _ = adam.update(np.zeros(1), [g], adam.init(np.zeros(1)))
        assert w[0] == pytest.approx(-0.01 * np.sign(g), rel=1e-4)


def test_update_is_pure_and_keeps_the_dtype():
    adam = opt.Adam(amsgrad=True)
    w = np.array([1.0, 2.0], dtype=np.float32)
    state = adam.init(w)
    before = {k: np.copy(v) for k, v in state.items()}
    new_w, new_state = adam.update(w, np.array([0.5, -0.5], dtype=np.float32), state)
    np.testing.assert_array_equal(w, [1.0, 2.0])
    for key, value in before.items():
        np.testing.assert_array_equal(state[key], value)
    assert new_w.dtype == np.float32 and new_state["m"].dtype == np.float32
    assert new_state["iterations"] == 1 and state["iterations"] == 0
    w64, _ = adam.update(np.zeros(2), np.ones(2), adam.init(np.zeros(2)))
    assert w64.dtype == np.float64


def test_adagrad_accumulator_starts_at_its_initial_value():
    state = opt.Adagrad(initial_accumulator_value=0.3).init(np.zeros(4))
    np.testing.assert_array_equal(state["accumulator"], np.full(4, 0.3))


@pytest.mark.parametrize("name", sorted(opt.OPTIMIZERS))
def test_divergence_flows_through_without_warnings(name):
    optimizer = opt.get(name, learning_rate=1.0)
    w, g = np.array([1e308, 1.0]), np.array([1e308, np.inf])
    new_w, _ = optimizer.update(w, g, optimizer.init(w))  # warnings are errors in the tests
    assert not np.all(np.isfinite(new_w))


def test_registry():
    assert sorted(opt.OPTIMIZERS) == sorted(
        ["sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam"]
    )
    adam = opt.get("Adam", learning_rate=0.01)
    assert isinstance(adam, opt.Adam) and adam.learning_rate == 0.01
    with pytest.raises(ValueError, match="name"):
        opt.get("adamax")
    assert "learning_rate=0.01" in repr(adam)


# ---------------------------------------------------------------- bad hyperparameters


BAD = [
    (opt.SGD, {"learning_rate": 0.0}, "learning_rate"),
    (opt.Adam, {"learning_rate": -0.1}, "learning_rate"),
    (opt.Adam, {"learning_rate": "fast"}, "learning_rate"),
    (opt.SGD, {"momentum": 1.0}, "momentum"),
    (opt.SGD, {"momentum": -0.1}, "momentum"),
    (opt.RMSprop, {"momentum": 1.5}, "momentum"),
    (opt.RMSprop, {"rho": 1.01}, "rho"),
    (opt.Adadelta, {"rho": -0.1}, "rho"),
    (opt.Adam, {"beta_1": 1.0}, "beta_1"),
    (opt.Nadam, {"beta_1": -0.5}, "beta_1"),
    (opt.AdamW, {"beta_2": 1.0}, "beta_2"),
    (opt.Adagrad, {"epsilon": 0.0}, "epsilon"),
    (opt.RMSprop, {"epsilon": -1e-7}, "epsilon"),
    (opt.Adagrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    (opt.AdamW, {"weight_decay": -0.01}, "weight_decay"),
    (opt.Adam, {"epsilon_placement": "torch"}, "epsilon_placement"),
]


@pytest.mark.parametrize(("cls", "kwargs", "argument"), BAD)
def test_bad_hyperparameters_name_the_argument(cls, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        cls(**kwargs)


def test_edges_that_are_allowed():
    assert opt.RMSprop(rho=1.0).rho == 1.0 and opt.Adadelta(rho=0.0).rho == 0.0
    assert opt.Adam(beta_1=0.0).beta_1 == 0.0 and opt.AdamW(weight_decay=0.0).weight_decay == 0.0


def test_grads_of_the_wrong_shape_are_refused():
    adam = opt.Adam()
    with pytest.raises(ValueError, match="grads"):
        adam.update(np.zeros(3), np.zeros(2), adam.init(np.zeros(3)))


def test_a_schedule_giving_a_negative_rate_is_refused():
    sgd = opt.SGD(learning_rate=lambda step: 0.1 - 0.1 * step)
    state = sgd.init(np.zeros(1))
    w, state = sgd.update(np.zeros(1), np.ones(1), state)
    w, state = sgd.update(w, np.ones(1), state)  # a rate of 0 is allowed (end of a decay)
    with pytest.raises(ValueError, match="learning_rate"):
        sgd.update(w, np.ones(1), state)
