"""Random inputs for every optimizer: finite in, finite out; the classes are their rules; and any
bad argument gets a ValueError that names it (never another exception type)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lrcourse import optimizers as opt

# The allowed range of every hyperparameter, by kind.
KINDS = {
    "learning_rate": "positive",
    "momentum": "fraction",
    "rho": "fraction",
    "beta_1": "fraction",
    "beta_2": "fraction",
    "epsilon": "positive",
    "initial_accumulator_value": "non_negative",
    "weight_decay": "non_negative",
    "nesterov": "flag",
    "centered": "flag",
    "amsgrad": "flag",
    "epsilon_placement": "placement",
}
ARGUMENTS = {
    opt.SGD: ("learning_rate", "momentum", "nesterov"),
    opt.Adagrad: ("learning_rate", "initial_accumulator_value", "epsilon", "epsilon_placement"),
    opt.RMSprop: ("learning_rate", "rho", "momentum", "epsilon", "centered"),
    opt.Adadelta: ("learning_rate", "rho", "epsilon"),
    opt.Adam: ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "epsilon_placement"),
    opt.AdamW: (
        "learning_rate",
        "weight_decay",
        "beta_1",
        "beta_2",
        "epsilon",
        "amsgrad",
        "epsilon_placement",
    ),
    opt.Nadam: ("learning_rate", "beta_1", "beta_2", "epsilon"),
}

GOOD = {
    "positive": st.floats(1e-4, 1.0),
    "fraction": st.floats(0.0, 0.999),
    "non_negative": st.floats(0.0, 0.5),
    "flag": st.booleans(),
    "placement": st.sampled_from(["keras", "paper"]),
}
EPSILONS = st.floats(1e-8, 1e-3)  # where a float64 variance estimate stays above rounding
GARBAGE = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.lists(st.floats(0.1, 0.5), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.just(np.array([0.5])),
    st.just(object()),
    st.just(1j),
)
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
BAD = {
    "positive": st.one_of(GARBAGE, NOT_FINITE, st.floats(max_value=0.0), st.booleans()),
    "fraction": st.one_of(
        GARBAGE, NOT_FINITE, st.floats(max_value=-1e-300), st.floats(min_value=1.0), st.booleans()
    ),
    "non_negative": st.one_of(GARBAGE, NOT_FINITE, st.floats(max_value=-1e-300), st.booleans()),
    "flag": st.one_of(
        st.text(max_size=6), st.integers(), st.floats(allow_nan=False), st.none(), st.just([True])
    ),
    "placement": st.one_of(
        st.text(max_size=6).filter(lambda s: s not in ("keras", "paper")), GARBAGE
    ),
}


@st.composite
def optimizers(draw):
    cls = draw(st.sampled_from(sorted(ARGUMENTS, key=lambda c: c.name)))
    hyper = {}
    for name in ARGUMENTS[cls]:
        hyper[name] = draw(EPSILONS if name == "epsilon" else GOOD[KINDS[name]])
    return cls(**hyper)


MAGNITUDES = st.floats(-6, 3)  # 1e-6 .. 1e3


@st.composite
def runs(draw, dtype=np.float64):
    """An optimizer, a start and a few gradients of one random shape, magnitudes 1e-6 to 1e3."""
    optimizer = draw(optimizers())
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    steps = draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w_scale, g_scale = 10.0 ** draw(MAGNITUDES), 10.0 ** draw(MAGNITUDES)
    w0 = (rng.standard_normal(shape) * w_scale).astype(dtype)
    grads = (rng.standard_normal((steps, *shape)) * g_scale).astype(dtype)
    if draw(st.booleans()):  # some exact zeros: where epsilon alone keeps the division finite
        grads.reshape(len(grads), -1)[:, 0] = 0
    return optimizer, w0, grads


@settings(max_examples=100, deadline=None)
@given(runs())
def test_finite_inputs_give_finite_outputs(run):
    optimizer, w, grads = run
    state = optimizer.init(w)
    for g in grads:
        w, state = optimizer.update(w, g, state)
        assert np.all(np.isfinite(w)), (optimizer, w)
        for key, value in state.items():
            assert np.all(np.isfinite(value)), (optimizer, key, value)
    assert np.shape(w) == np.shape(grads[0]) and state["t"] == len(grads)


@settings(max_examples=100, deadline=None)
@given(runs(np.float32))
def test_float32_stays_float32_and_finite(run):
    optimizer, w, grads = run
    state = optimizer.init(w)
    for g in grads:
        w, state = optimizer.update(w, g, state)
    assert np.asarray(w).dtype == np.float32
    # centered RMSprop may round mean_square - mean_grad**2 below -epsilon in float32 (documented)
    if not (isinstance(optimizer, opt.RMSprop) and optimizer.centered):
        assert np.all(np.isfinite(w)), optimizer


def rule_step(optimizer, w, g, state, lr):
    """What each class must do, written with the rules: the rule and its hyperparameters."""
    config = optimizer.get_config()
    config.pop("learning_rate")
    if isinstance(optimizer, opt.SGD):
        if not optimizer.momentum:
            return opt.sgd_step(w, g, state, lr)
        rule = opt.nesterov_step if optimizer.nesterov else opt.momentum_step
        return rule(w, g, state, lr, optimizer.momentum)
    if isinstance(optimizer, opt.Adagrad):
        config.pop("initial_accumulator_value")
    rule = {
        "Adagrad": opt.adagrad_step,
        "RMSprop": opt.rmsprop_step,
        "Adadelta": opt.adadelta_step,
        "Adam": opt.adam_step,
        "AdamW": opt.adam_step,  # with its weight_decay
        "Nadam": opt.nadam_step,
    }[optimizer.name]
    return rule(w, g, state, lr, **config)


@settings(max_examples=100, deadline=None)
@given(runs(), st.booleans())
def test_the_classes_are_their_rules(run, scheduled):
    optimizer, w0, grads = run
    lr0 = optimizer.learning_rate
    if scheduled:
        optimizer.learning_rate = lambda step: lr0 / (1 + step)
    w_class, state_class = w0, optimizer.init(w0)
    w_rule, state_rule = w0, optimizer.init(w0)
    for t, g in enumerate(grads):
        w_class, state_class = optimizer.update(w_class, g, state_class)
        w_rule, new = rule_step(optimizer, w_rule, g, state_rule, optimizer.learning_rate_at(t))
        state_rule = {**state_rule, **new, "t": t + 1}
        np.testing.assert_array_equal(w_class, w_rule)
    assert state_class.keys() == state_rule.keys()


# ---------------------------------------------------------------- bad arguments


@st.composite
def bad_constructor_calls(draw):
    cls = draw(st.sampled_from(sorted(ARGUMENTS, key=lambda c: c.name)))
    name = draw(st.sampled_from(ARGUMENTS[cls]))
    value = draw(BAD[KINDS[name]])
    if name == "learning_rate" and callable(value):
        value = "not callable"
    return cls, name, value


@settings(max_examples=120, deadline=None)
@given(bad_constructor_calls())
def test_every_bad_hyperparameter_is_refused_by_name(call):
    cls, name, value = call
    with pytest.raises(ValueError) as info:
        cls(**{name: value})
    assert str(info.value).startswith(name), str(info.value)


RULES = {
    opt.sgd_step: ("learning_rate",),
    opt.momentum_step: ("learning_rate", "momentum"),
    opt.nesterov_step: ("learning_rate", "momentum"),
    opt.adagrad_step: ("learning_rate", "epsilon", "epsilon_placement"),
    opt.rmsprop_step: ("learning_rate", "rho", "epsilon", "momentum", "centered"),
    opt.adadelta_step: ("learning_rate", "rho", "epsilon"),
    opt.adam_step: (
        "learning_rate",
        "beta_1",
        "beta_2",
        "epsilon",
        "amsgrad",
        "epsilon_placement",
        "weight_decay",
    ),
    opt.nadam_step: ("learning_rate", "beta_1", "beta_2", "epsilon"),
}
FULL_STATE = {
    key: np.zeros(2)
    for key in (
        "velocity",
        "accumulator",
        "mean_square",
        "mean_grad",
        "mean_square_grad",
        "mean_square_delta",
        "m",
        "v",
        "v_max",
    )
} | {"u_product": 1.0, "t": 0}


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(RULES, key=lambda r: r.__name__)), st.data())
def test_every_bad_rule_argument_is_refused_by_name(rule, data):
    name = data.draw(st.sampled_from(RULES[rule]))
    value = data.draw(BAD[KINDS[name]])
    with pytest.raises(ValueError) as info:
        rule(np.ones(2), np.ones(2), FULL_STATE, **{name: value})
    assert str(info.value).startswith(name), str(info.value)


ANYTHING = st.one_of(
    GARBAGE,
    NOT_FINITE,
    st.floats(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    hnp.arrays(
        st.sampled_from(["f2", "f4", "f8", "i8", "u1", "b1", "c8", "U2"]),
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
    ),
    st.lists(st.one_of(st.floats(), st.text(max_size=1)), max_size=3),
    st.lists(st.lists(st.floats(0, 1), max_size=2), max_size=2),
)


@settings(max_examples=120, deadline=None)
@given(
    optimizers(),
    ANYTHING,
    ANYTHING,
    st.one_of(ANYTHING, st.dictionaries(st.sampled_from(["t", "m", "v", "velocity"]), ANYTHING)),
)
def test_update_with_anything_returns_or_names_the_argument(optimizer, params, grads, state):
    try:
        w, new_state = optimizer.update(params, grads, state)
    except ValueError as exc:
        assert str(exc).split()[0].split("[")[0] in ("params", "grads", "state", "learning_rate")
    else:
        assert np.shape(w) == np.shape(params) and new_state["t"] >= 1


@settings(max_examples=120, deadline=None)
@given(optimizers(), ANYTHING)
def test_init_with_anything_returns_or_names_params(optimizer, params):
    try:
        state = optimizer.init(params)
    except ValueError as exc:
        assert str(exc).startswith("params")
    else:
        assert state["t"] == 0
        w, _ = optimizer.update(params, np.zeros(np.shape(params)), state)  # init's input works
