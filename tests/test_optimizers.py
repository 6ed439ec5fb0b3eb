"""The update rules and the optimizer classes: the papers' equations, the contract, bad input.

Agreement with Keras is in test_optimizers_keras.py, random inputs in test_optimizers_properties.py.
"""

import inspect

import numpy as np
import pytest

from lrcourse import optimizers as opt

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
    w, state, paper_path = w0, {"m": 0.0, "v": 0.0, "t": 0}, []
    for t, g in enumerate(grads, start=1):
        eps_t = 1e-7 / np.sqrt(1 - 0.999**t)
        w, state = opt.adam_step(w, g, state, epsilon=eps_t, epsilon_placement="paper")
        paper_path.append(w)
    np.testing.assert_allclose(keras_form, paper_path, rtol=1e-10)


# ---------------------------------------------------------------- the rules, one shape


def test_the_rules_read_as_the_textbook():
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    w1, state = opt.momentum_step(w, g, {"velocity": np.zeros(2)}, learning_rate=0.1, momentum=0.9)
    np.testing.assert_allclose(w1, w - 0.1 * g)
    w2, _ = opt.momentum_step(w1, g, state, learning_rate=0.1, momentum=0.9)
    np.testing.assert_allclose(w2, w1 + 0.9 * state["velocity"] - 0.1 * g)
    w1, state = opt.nesterov_step(w, g, {"velocity": np.zeros(2)}, 0.1, 0.9)
    np.testing.assert_allclose(w1, w - 0.1 * g + 0.9 * -0.1 * g)
    w1, state = opt.adagrad_step(w, g, {"accumulator": 0.1}, 0.1, 1e-7)
    np.testing.assert_allclose(w1, w - 0.1 * g / np.sqrt(0.1 + g**2 + 1e-7))
    w1, state = opt.rmsprop_step(w, g, {"mean_square": np.zeros(2)}, 0.01, 0.9, 1e-7)
    np.testing.assert_allclose(w1, w - 0.01 * g / np.sqrt(0.1 * g**2 + 1e-7))
    assert opt.sgd_step(w, g, {}, 0.1)[1] == {}


def test_adam_counts_its_steps_in_the_state():
    """With t = 1 at the first update, m_hat / sqrt(v_hat) = sign(g): the step is the rate."""
    state = {"m": np.zeros(1), "v": np.zeros(1), "t": 0}
    for g in (1e-3, 5.0, -40.0):
        w, new = opt.adam_step(
            np.zeros(1), np.array([g]), state, 0.01, epsilon=1e-8, epsilon_placement="paper"
        )
        assert w[0] == pytest.approx(-0.01 * np.sign(g), rel=1e-4)
        assert new["t"] == 1 and state["t"] == 0
    assert set(opt.Adam(amsgrad=True).init(np.zeros(2))) == {"m", "v", "v_max", "t"}


def test_a_scalar_state_broadcasts_like_a_notebook_writes_it():
    w, state = opt.adam_step(np.zeros(3), np.ones(3), {"m": 0.0, "v": 0.0, "t": 0})
    assert w.shape == state["m"].shape == (3,)


@pytest.mark.parametrize(
    ("cls", "hyper", "rule", "rule_hyper"),
    [
        (opt.SGD, {"learning_rate": 0.1}, opt.sgd_step, {}),
        (opt.SGD, {"learning_rate": 0.1, "momentum": 0.5}, opt.momentum_step, {"momentum": 0.5}),
        (opt.RMSprop, {"rho": 0.8}, opt.rmsprop_step, {"rho": 0.8}),
        (opt.Adam, {}, opt.adam_step, {}),
        (opt.Nadam, {}, opt.nadam_step, {}),
    ],
)
def test_the_class_state_is_the_rule_state(cls, hyper, rule, rule_hyper):
    """A class's ``init`` state can be handed to its rule directly, and back."""
    optimizer = cls(**hyper)
    w, g = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    state = optimizer.init(w)
    by_class, class_state = optimizer.update(w, g, state)
    by_rule, rule_state = rule(w, g, state, optimizer.learning_rate, **rule_hyper)
    np.testing.assert_array_equal(by_class, by_rule)
    assert class_state["t"] == 1
    for key, value in rule_state.items():
        np.testing.assert_array_equal(class_state[key], value)


# ---------------------------------------------------------------- step indexing and the contract


def test_first_update_uses_step_0():
    steps_seen = []
    sgd = opt.SGD(learning_rate=lambda step: steps_seen.append(step) or 0.1 * (step + 1))
    w = run(sgd, np.ones((3, 1)), np.zeros(1))
    assert steps_seen == [0, 1, 2]
    np.testing.assert_allclose(w[:, 0], [-0.1, -0.3, -0.6])
    assert sgd.learning_rate_at(4) == pytest.approx(0.5)


def test_update_is_pure_and_keeps_the_dtype():
    adam = opt.Adam(amsgrad=True)
    w = np.array([1.0, 2.0], dtype=np.float32)
    state = adam.init(w)
    before = {k: np.copy(v) for k, v in state.items()}
    new_w, new_state = adam.update(w, np.array([0.5, -0.5], dtype=np.float64), state)
    np.testing.assert_array_equal(w, [1.0, 2.0])
    for key, value in before.items():
        np.testing.assert_array_equal(state[key], value)
    assert new_w.dtype == np.float32 and new_state["m"].dtype == np.float32
    assert new_state["t"] == 1 and state["t"] == 0
    w64, _ = adam.update(np.zeros(2), np.ones(2), adam.init(np.zeros(2)))
    assert w64.dtype == np.float64


@pytest.mark.parametrize("name", sorted(opt.OPTIMIZERS))
@pytest.mark.parametrize(
    ("params", "grads"),
    [([1.0, 2.0], [0.1, 0.2]), (1.5, 0.3), ([1, 2], [1, 1]), (np.float32(1.0), 0.5)],
)
def test_lists_floats_and_integers_work_as_in_init(name, params, grads):
    optimizer = opt.get(name, learning_rate=0.1)
    state = optimizer.init(params)
    w, state = optimizer.update(params, grads, state)
    w, state = optimizer.update(w, grads, state)
    assert np.shape(w) == np.shape(params) and np.all(np.isfinite(w)) and state["t"] == 2


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
    with pytest.raises(ValueError, match="name"):
        opt.get(None)
    assert "learning_rate=0.01" in repr(adam)


def test_get_config_holds_only_keras_arguments():
    config = opt.RMSprop(momentum=0.5, centered=True).get_config()
    assert set(config) == {"learning_rate", "rho", "momentum", "epsilon", "centered"}
    assert set(opt.SGD(momentum=0.9).get_config()) == {"learning_rate", "momentum", "nesterov"}


# ---------------------------------------------------------------- bad arguments


BAD = [
    (opt.SGD, {"learning_rate": 0.0}, "learning_rate"),
    (opt.Adam, {"learning_rate": -0.1}, "learning_rate"),
    (opt.Adam, {"learning_rate": "fast"}, "learning_rate"),
    (opt.Adam, {"learning_rate": float("nan")}, "learning_rate"),
    (opt.SGD, {"momentum": 1.0}, "momentum"),
    (opt.SGD, {"momentum": -0.1}, "momentum"),
    (opt.SGD, {"learning_rate": 0.01, "momentum": 0.9, "nesterov": "False"}, "nesterov"),
    (opt.RMSprop, {"momentum": 1.5}, "momentum"),
    (opt.RMSprop, {"rho": 1.0}, "rho"),
    (opt.RMSprop, {"rho": 1.01}, "rho"),
    (opt.RMSprop, {"centered": "no"}, "centered"),
    (opt.Adadelta, {"rho": -0.1}, "rho"),
    (opt.Adadelta, {"rho": 1.0}, "rho"),
    (opt.Adam, {"beta_1": 1.0}, "beta_1"),
    (opt.Adam, {"amsgrad": "False"}, "amsgrad"),
    (opt.Adam, {"amsgrad": 1}, "amsgrad"),
    (opt.Nadam, {"beta_1": -0.5}, "beta_1"),
    (opt.AdamW, {"beta_2": 1.0}, "beta_2"),
    (opt.Adagrad, {"epsilon": 0.0}, "epsilon"),
    (opt.RMSprop, {"epsilon": -1e-7}, "epsilon"),
    (opt.Nadam, {"epsilon": float("inf")}, "epsilon"),
    (opt.Adagrad, {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    (opt.AdamW, {"weight_decay": -0.01}, "weight_decay"),
    (opt.Adam, {"epsilon_placement": "torch"}, "epsilon_placement"),
]


@pytest.mark.parametrize(("cls", "kwargs", "argument"), BAD)
def test_bad_hyperparameters_name_the_argument(cls, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        cls(**kwargs)


def test_edges_that_are_allowed():
    assert opt.RMSprop(rho=0.0).rho == 0.0 and opt.Adadelta(rho=0.0).rho == 0.0
    assert opt.Adam(beta_1=0.0).beta_1 == 0.0 and opt.AdamW(weight_decay=0.0).weight_decay == 0.0
    assert opt.SGD(momentum=0).momentum == 0.0 and opt.SGD(nesterov=np.bool_(True)).nesterov


def test_grads_of_the_wrong_shape_are_refused():
    adam = opt.Adam()
    with pytest.raises(ValueError, match="grads"):
        adam.update(np.zeros(3), np.zeros(2), adam.init(np.zeros(3)))
    with pytest.raises(ValueError, match="grads"):
        adam.update(np.zeros(3), "steep", adam.init(np.zeros(3)))


@pytest.mark.parametrize("params", [None, "w", [], [[1.0], [2.0, 3.0]], [True], {"w": 1}, 1j])
def test_params_that_are_not_numbers_are_refused_by_init_and_update(params):
    sgd = opt.SGD(momentum=0.9)
    with pytest.raises(ValueError, match="params"):
        sgd.init(params)
    with pytest.raises(ValueError, match="params"):
        sgd.update(params, [1.0], {"velocity": 0.0, "t": 0})


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ({}, "'m', 'v', 't'"),
        ({"t": 0}, "'m', 'v' "),
        ({"m": np.zeros(3), "t": 0}, "'v'"),
        ({"m": np.zeros(3), "v": np.zeros(3)}, "'t'"),
        ({"m": np.zeros(2), "v": np.zeros(3), "t": 0}, "state\\['m'\\]"),
        ({"m": "zeros", "v": np.zeros(3), "t": 0}, "state\\['m'\\]"),
        ({"m": np.zeros(3), "v": np.zeros(3), "t": -1}, 'state\\["t"\\]'),
        ({"m": np.zeros(3), "v": np.zeros(3), "t": 1.5}, 'state\\["t"\\]'),
        (None, "state must be a dict"),
        ([0.0, 0.0], "state must be a dict"),
    ],
)
def test_a_bad_state_names_state_and_the_key(state, said):
    adam = opt.Adam()
    with pytest.raises(ValueError, match=said) as info:
        adam.update(np.zeros(3), np.ones(3), state)
    assert "state" in str(info.value)
    with pytest.raises(ValueError, match="state"):
        opt.adam_step(np.zeros(3), np.ones(3), state)


def test_a_state_with_extra_keys_is_fine_and_kept():
    sgd = opt.SGD(momentum=0.9)
    w, state = sgd.update(np.zeros(2), np.ones(2), {**sgd.init(np.zeros(2)), "note": "mine"})
    assert state["note"] == "mine" and state["t"] == 1


@pytest.mark.parametrize("rate", [-0.1, float("nan"), float("inf"), "fast", None, [0.1], True])
def test_a_schedule_giving_a_bad_rate_is_refused(rate):
    sgd = opt.SGD(learning_rate=lambda step: 0.1 if step == 0 else rate)
    w, state = sgd.update(np.zeros(1), np.ones(1), sgd.init(np.zeros(1)))
    with pytest.raises(ValueError, match="learning_rate"):
        sgd.update(w, np.ones(1), state)


def test_a_schedule_may_reach_zero_and_return_numpy_numbers():
    sgd = opt.SGD(learning_rate=lambda step: np.float32(0.1) * (1 - step))
    state = sgd.init(np.zeros(1))
    w, state = sgd.update(np.zeros(1), np.ones(1), state)
    w, state = sgd.update(w, np.ones(1), state)  # a rate of 0 is allowed (end of a decay)
    assert w[0] == pytest.approx(-0.1)
    with pytest.raises(ValueError, match="step"):
        sgd.learning_rate_at(-1)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda: opt.momentum_step(np.zeros(2), np.ones(2), {"velocity": 0.0}, 0.1, 1.0),
            "momentum",
        ),
        (lambda: opt.momentum_step(np.zeros(2), np.ones(2), {}, 0.1, 0.9), "velocity"),
        (lambda: opt.sgd_step(np.zeros(2), np.ones(3), {}, 0.1), "g"),
        (lambda: opt.sgd_step(np.zeros(2), np.ones(2), {}, -0.1), "learning_rate"),
        (lambda: opt.sgd_step([], [], {}, 0.1), "w"),
        (lambda: opt.rmsprop_step(0.0, 1.0, {"mean_square": 0.0}, centered="yes"), "centered"),
        (lambda: opt.adam_step(0.0, 1.0, {"m": 0, "v": 0, "t": 0}, amsgrad="no"), "amsgrad"),
        (lambda: opt.adam_step(0.0, 1.0, {"m": 0, "v": 0, "t": 0}, amsgrad=True), "v_max"),
        (lambda: opt.adagrad_step(0.0, 1.0, {"accumulator": 0.0}, epsilon=0.0), "epsilon"),
        (
            lambda: opt.adam_step(0.0, 1.0, {"m": 0, "v": 0, "t": 0}, weight_decay=-1),
            "weight_decay",
        ),
    ],
)
def test_the_rules_check_their_arguments(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_a_hyperparameter_changed_later_is_checked_and_used():
    sgd = opt.SGD(0.1)
    w, state = sgd.update(np.zeros(1), np.ones(1), sgd.init(np.zeros(1)))
    sgd.momentum = 0.5  # now with momentum: its state needs a velocity
    with pytest.raises(ValueError, match="velocity"):
        sgd.update(w, np.ones(1), state)
    w, state = sgd.update(w, np.ones(1), sgd.init(w))
    assert set(state) == {"velocity", "t"}
    with pytest.raises(ValueError, match="momentum"):
        sgd.momentum = 1.5
    with pytest.raises(ValueError, match="learning_rate"):
        sgd.learning_rate = -1.0
    sgd.learning_rate = lambda step: 0.1  # a schedule is fine
    assert sgd.learning_rate_at(3) == 0.1


@pytest.mark.parametrize(
    ("rule", "learner_arguments"),
    [
        (opt.momentum_step, ("learning_rate", "momentum")),
        (opt.nesterov_step, ("learning_rate", "momentum")),
        (opt.adagrad_step, ("learning_rate", "epsilon")),
        (opt.rmsprop_step, ("learning_rate", "rho", "epsilon")),
        (opt.adadelta_step, ("learning_rate", "rho", "epsilon")),
        (opt.adam_step, ("learning_rate", "beta_1", "beta_2", "epsilon")),
    ],
)
def test_each_rule_starts_with_the_exercise_s_signature(rule, learner_arguments):
    """``fn(w, g, state, <the exercise's hyperparameters, in its order>, <options>)``."""
    names = list(inspect.signature(rule).parameters)
    assert names[: 3 + len(learner_arguments)] == ["w", "g", "state", *learner_arguments]


def test_adamw_is_adam_with_weight_decay():
    w, g = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    adamw = opt.AdamW(0.01, weight_decay=0.1)
    by_class, _ = adamw.update(w, g, adamw.init(w))
    by_rule, _ = opt.adam_step(w, g, {"m": 0.0, "v": 0.0, "t": 0}, 0.01, weight_decay=0.1)
    np.testing.assert_array_equal(by_class, by_rule)
    np.testing.assert_allclose(by_rule, w * (1 - 0.01 * 0.1) - 0.01 * np.sign(g), rtol=1e-4)


def test_signatures_show_keras_defaults_and_unknown_arguments_are_refused():
    assert str(inspect.signature(opt.Nadam)).startswith("(learning_rate=0.001, beta_1=0.9")
    with pytest.raises(TypeError, match="lr"):
        opt.Adam(lr=0.1)
    with pytest.raises(TypeError, match="lr"):
        opt.adam_step(0.0, 1.0, {"m": 0, "v": 0, "t": 0}, lr=0.1)
    with pytest.raises(TypeError):
        opt.SGD(0.1, 0.9, False, "extra")
