"""Bad-argument fuzz: every schedule constructor, one argument at a time replaced by something odd.

The contract: either the value is accepted and the schedule gives rates >= 0 (never NaN), or the
call raises ValueError/TypeError whose message names the argument; always within a second.
"""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrcourse import schedules as S

ODD = [
    None, "0.1", "True", "False", "", True, False, math.nan, math.inf, -math.inf, -1, -0.5, 0, 0.0,
    1e-320, 1e308, 10**400, -(10**400), 2**63, [], [1], [0.5, 0.1], (), {}, {"a": 1}, set(), 1j,
    np.float32(0.5), np.int64(3), np.array(2.0), np.array([1.0, 2.0]), object(), abs, 0.5, 1, 2,
    3, 100, 1.5, [3, 2], [math.nan], ["a"], [None], [S.Constant(0.1)], S.Constant(0.1),
]  # fmt: skip

# A valid call for every constructor: the fuzz replaces one argument at a time.
VALID = {
    S.Constant: {"learning_rate": 0.1},
    S.ExponentialDecay: {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": False,
        "counts": "batches",
    },
    S.InverseTimeDecay: {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    S.step_decay: {"initial_learning_rate": 0.1, "drop": 0.5, "epochs_per_drop": 10},
    S.PiecewiseConstantDecay: {"boundaries": [3, 6], "values": [1.0, 0.5, 0.1]},
    S.PolynomialDecay: {
        "initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": 1e-3, "power": 2.0,
        "cycle": True,
    },
    S.CosineDecay: {
        "initial_learning_rate": 0.0, "decay_steps": 10, "alpha": 0.1, "warmup_target": 0.1,
        "warmup_steps": 3,
    },
    S.CosineDecayRestarts: {
        "initial_learning_rate": 0.1, "first_decay_steps": 4, "t_mul": 2.0, "m_mul": 0.5,
        "alpha": 0.1,
    },
    S.Cyclical: {
        "base_learning_rate": 0.1, "max_learning_rate": 1.0, "step_size": 4, "mode": "exp_range",
        "gamma": 0.99,
    },
    S.OneCycle: {
        "max_learning_rate": 0.1, "total_steps": 100, "pct_start": 0.3, "div_factor": 25.0,
        "final_div_factor": 1e4, "anneal_strategy": "cos",
    },
    S.Warmup: {"schedule": S.Constant(0.1), "warmup_steps": 5, "start": 0.0, "shift": True},
    S.Sequence: {"schedules": [S.Constant(0.1), S.Constant(0.2)], "boundaries": [5]},
}  # fmt: skip

CASES = [(make, name) for make, valid in VALID.items() for name in valid]
STEPS = np.concatenate([np.arange(50), [99.5, 100, 1000, 10**6]])


def check_contract(call, name):
    """Run ``call``: accepted with sane rates, or refused naming ``name``; under a second."""
    start = time.perf_counter()
    try:
        rates = call()
    except (ValueError, TypeError) as err:
        assert name in str(err), f"{type(err).__name__} does not name {name}: {err}"
    else:
        assert not np.any(np.isnan(rates)) and np.all(rates >= 0), rates
    assert time.perf_counter() - start < 1.0


@settings(max_examples=600, deadline=None, database=None)
@given(st.sampled_from(CASES), st.sampled_from(ODD))
def test_constructors_refuse_odd_arguments_by_name(case, value):
    make, name = case
    check_contract(lambda: make(**{**VALID[make], name: value})(STEPS), name)


@settings(max_examples=200, deadline=None, database=None)
@given(st.sampled_from(list(VALID)), st.sampled_from(ODD))
def test_calls_refuse_odd_steps_by_name(make, value):
    schedule = make(**VALID[make])
    check_contract(lambda: schedule(value), "step")


@pytest.mark.parametrize("make", list(VALID), ids=lambda m: m.__name__)
def test_every_valid_call_gives_sane_rates(make):
    rates = make(**VALID[make])(STEPS)
    assert np.all(np.isfinite(rates)) and np.all(rates >= 0) and np.max(rates) > 0


@pytest.mark.parametrize(
    "make", [m for m in VALID if isinstance(m, type)], ids=lambda m: m.__name__
)
def test_from_config_refuses_odd_configs_by_name(make):
    for config in (None, [], "x", {"nope": 1}, {**VALID[make], "extra": 2}):
        with pytest.raises((ValueError, TypeError), match="config"):
            make.from_config(config)
