"""The optimizers' update rules in NumPy: one function per method, all of one shape.

A rule takes the parameters ``w``, their gradient ``g``, a ``state`` dict (what the method
remembers: ``{"velocity"}`` for momentum, ``{"m", "v", "t"}`` for Adam, ``t`` the updates done) and
the hyperparameters; it returns the new ``w`` and the new state, and never modifies its inputs::

    w, state = momentum_step(w, g, state, learning_rate=0.01, momentum=0.9)

The exercises ask for these very functions. A class, ``Adam(learning_rate=0.01)``, holds a rule's
hyperparameters and a learning rate (a number, or a schedule: any callable of the 0-based step);
``state = opt.init(params)`` starts and ``params, state = opt.update(params, grads, state)`` steps.

Rules and defaults are Keras 3's (``lrcourse.keras.optimizers`` compares them); in float32 a rule
repeats Keras's operations in Keras's order, to the last bit (hence ``m + (g - m) * (1 - beta_1)``
for ``beta_1 * m + (1 - beta_1) * g``). A bad argument raises ``ValueError`` naming it; a
diverging run is no error: inf and nan flow through, and the caller reports them.
"""

import functools
import inspect
import math
import numbers
import reprlib

import numpy as np

from lrcourse import _checks

EPSILON_PLACEMENTS = ("keras", "paper")


def _rule(*slots, **when):
    """Check a rule's arguments before its body, which can then be the formula and nothing else.

    ``slots``: the keys ``state`` must hold (``"t"`` an integer, the others arrays shaped like
    ``w``); ``when``: a key needed only when a hyperparameter is on, as ``v_max="amsgrad"``.
    """

    def decorate(formula):
        signature = inspect.signature(formula)

        @functools.wraps(formula)
        def rule(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)  # a TypeError names a missing or unknown one
            bound.apply_defaults()
            given = bound.arguments
            w = given["w"] = _checks.float_array("w", given["w"])
            given["g"] = _checks.float_array("g", given["g"], w)
            for key in given.keys() - {"w", "g", "state"}:
                given[key] = _KINDS[key](key, given[key])
            given["learning_rate"] = w.dtype.type(given["learning_rate"])
            needed = (*slots, *(key for key, on in when.items() if given[on]))
            given["state"] = _state(given["state"], needed, w)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return formula(**given)  # a diverging step gives inf or nan, without a warning

        rule.slots, rule.when = slots, when
        hyper = list(signature.parameters.values())[3:]  # Keras's defaults, learning_rate first
        rule.defaults = {p.name: p.default for p in hyper}
        return rule

    return decorate


# ---------------------------------------------------------------- the rules


@_rule()
def sgd_step(w, g, state, learning_rate=0.01):
    """Plain gradient descent, ``w = w - learning_rate * g``; there is no state to keep."""
    return w - g * learning_rate, {}


@_rule("velocity")
def momentum_step(w, g, state, learning_rate=0.01, momentum=0.9):
    """Heavy-ball momentum as Keras writes it, the learning rate inside the velocity::

    velocity = momentum * velocity - learning_rate * g     # state {"velocity"}, zeros at first
    w = w + velocity
    """
    v = momentum * state["velocity"] - g * learning_rate
    return w + v, {"velocity": v}


@_rule("velocity")
def nesterov_step(w, g, state, learning_rate=0.01, momentum=0.9):
    """Nesterov momentum (Keras's form): the step looks ahead along the new velocity::

    velocity = momentum * velocity - learning_rate * g
    w = w + momentum * velocity - learning_rate * g
    """
    v = momentum * state["velocity"] - g * learning_rate
    return w + (v * momentum - g * learning_rate), {"velocity": v}


@_rule("accumulator")
def adagrad_step(w, g, state, learning_rate=0.001, epsilon=1e-7, epsilon_placement="keras"):
    """Adagrad: each parameter's step shrinks with the sum of its squared gradients so far::

    accumulator = accumulator + g**2          # state {"accumulator"}; Keras starts it at 0.1
    w = w - learning_rate * g / sqrt(accumulator + epsilon)

    ``epsilon_placement="paper"`` (Duchi et al. 2011): ``g / (epsilon + sqrt(accumulator))``.
    """
    acc = state["accumulator"] + g * g
    if epsilon_placement == "keras":
        return w - learning_rate * g / np.sqrt(acc + epsilon), {"accumulator": acc}
    return w - learning_rate * g / (epsilon + np.sqrt(acc)), {"accumulator": acc}


@_rule("mean_square", mean_grad="centered", velocity="momentum")
def rmsprop_step(
    w, g, state, learning_rate=0.001, rho=0.9, epsilon=1e-7, momentum=0.0, centered=False
):
    """RMSprop: divide the gradient by a moving root mean square of recent gradients::

    mean_square = rho * mean_square + (1 - rho) * g**2       # state {"mean_square"}, zeros
    w = w - learning_rate * g / sqrt(mean_square + epsilon)  # Keras: epsilon inside the root

    ``centered=True`` divides by ``sqrt(mean_square - mean_grad**2 + epsilon)``, a variance, with
    ``mean_grad = rho * mean_grad + (1 - rho) * g`` (in float32, when the gradients barely vary,
    it can round below ``-epsilon``: nan, in Keras too). ``momentum > 0`` accumulates the steps,
    ``velocity = momentum * velocity - step;  w = w + velocity``.
    """
    new = {"mean_square": rho * state["mean_square"] + (1 - rho) * (g * g)}
    if centered:
        new["mean_grad"] = rho * state["mean_grad"] + (1 - rho) * g
        denominator = new["mean_square"] - new["mean_grad"] ** 2 + epsilon
    else:
        denominator = new["mean_square"] + epsilon
    increment = learning_rate * g / np.sqrt(denominator)
    if not momentum:
        return w - increment, new
    new["velocity"] = momentum * state["velocity"] - increment
    return w + new["velocity"], new


@_rule("mean_square_grad", "mean_square_delta")
def adadelta_step(w, g, state, learning_rate=0.001, rho=0.95, epsilon=1e-7):
    """Adadelta (Zeiler 2012): the step is a ratio of two running RMS, in the units of ``w``::

    mean_square_grad = rho * mean_square_grad + (1 - rho) * g**2     # state: both zeros
    delta = -sqrt(mean_square_delta + epsilon) / sqrt(mean_square_grad + epsilon) * g
    mean_square_delta = rho * mean_square_delta + (1 - rho) * delta**2
    w = w + learning_rate * delta

    The paper has no learning rate (it is 1, Keras's default 0.001) and epsilon 1e-6.
    """
    msg = rho * state["mean_square_grad"] + (1 - rho) * (g * g)
    delta = -(np.sqrt(state["mean_square_delta"] + epsilon) * g / np.sqrt(msg + epsilon))
    msd = rho * state["mean_square_delta"] + (1 - rho) * (delta * delta)
    return w + learning_rate * delta, {"mean_square_grad": msg, "mean_square_delta": msd}


@_rule("m", "v", "t", v_max="amsgrad")
def adam_step(
    w,
    g,
    state,
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
    epsilon_placement="keras",
    weight_decay=0.0,
):
    """Adam (Kingma & Ba 2015): momentum on the gradient, RMSprop on its scale, both debiased.

    State ``{"m", "v", "t"}``: zeros, zeros and 0 at first::

        t = t + 1
        m = m + (1 - beta_1) * (g - m)          # = beta_1 * m + (1 - beta_1) * g
        v = v + (1 - beta_2) * (g**2 - v)       # = beta_2 * v + (1 - beta_2) * g**2
        # Keras (the paper's "efficient" form, epsilon-hat on sqrt(v)):
        lr_t = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - lr_t * m / (sqrt(v) + epsilon)
        # epsilon_placement="paper" (Algorithm 1, and PyTorch):
        w = w - learning_rate * (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)

    The two agree when ``epsilon_keras = epsilon_paper * sqrt(1 - beta_2**t)``: they differ for
    tiny gradients only. ``amsgrad=True`` (Reddi et al. 2018) divides by ``state["v_max"]``, the
    largest ``v`` so far. ``weight_decay > 0`` makes it AdamW (Loshchilov & Hutter 2019): first
    ``w = w - learning_rate * weight_decay * w``, decay kept out of the gradient.
    """
    if weight_decay:
        w = w - w * weight_decay * learning_rate
    t, real = state["t"] + 1, w.dtype.type  # Keras computes beta**t in the parameters' dtype
    beta_1_t, beta_2_t = real(beta_1) ** real(t), real(beta_2) ** real(t)
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (g * g - state["v"]) * (1 - beta_2)
    new = {"m": m, "v": v, "t": t}
    if amsgrad:
        v = new["v_max"] = np.maximum(state["v_max"], v)
    if epsilon_placement == "keras":
        lr_t = learning_rate * np.sqrt(1 - beta_2_t) / (1 - beta_1_t)
        return w - m * lr_t / (np.sqrt(v) + epsilon), new
    m_hat, v_hat = m / (1 - beta_1_t), v / (1 - beta_2_t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), new


@_rule("m", "v", "u_product", "t")
def nadam_step(w, g, state, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Nadam (Dozat 2016): Adam with a Nesterov look-ahead on the momentum, as Keras 3 has it.

    State ``{"m", "v", "u_product", "t"}``: zeros, zeros, 1 and 0 at first. With ``t = t + 1``
    and the momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``::

        u_product = u_product * u_t                     # u_1 * u_2 * ... * u_t
        m = m + (1 - beta_1) * (g - m);   v = v + (1 - beta_2) * (g**2 - v)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        w = w - learning_rate * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon)

    Keras 3 decays with ``0.96**t``; the paper and PyTorch with ``0.96**(0.004 * t)``.
    """
    real = w.dtype.type  # Keras computes the schedule in the parameters' dtype
    t, beta_1, beta_2, decay = state["t"] + 1, real(beta_1), real(beta_2), real(0.96)
    u_t = beta_1 * (1 - 0.5 * decay ** real(t))
    u_next = beta_1 * (1 - 0.5 * decay ** real(t + 1))
    u_product = state["u_product"] * beta_1 * (1 - 0.5 * decay ** real(t))  # Keras's order
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (g * g - state["v"]) * (1 - beta_2)
    m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
    new_w = w - m_hat * learning_rate / (np.sqrt(v / (1 - beta_2 ** real(t))) + epsilon)
    return new_w, {"m": m, "v": v, "u_product": u_product, "t": t}


# ---------------------------------------------------------------- the classes


class Optimizer:
    """A rule, its hyperparameters (``defaults``: Keras's names and values) and a learning rate.

    ``init(params)``: the state before the first update (the rule's slots, zeros mostly, and t 0);
    ``update(params, grads, state)``: the rule at the rate of step ``t``, new params and state."""

    name, rule, defaults = "optimizer", staticmethod(sgd_step), {"learning_rate": 0.01}
    _initial = {}  # the slots that do not start at zero

    def __init_subclass__(cls):  # help(Adam) shows Adam(learning_rate=0.001, beta_1=0.9, ...)
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        parameters = [inspect.Parameter(k, kind, default=v) for k, v in cls.defaults.items()]
        cls.__signature__ = inspect.Signature(parameters)

    def __init__(self, *args, **kwargs):
        settings = inspect.signature(type(self)).bind(*args, **kwargs).arguments
        for key, value in {**self.defaults, **settings}.items():
            setattr(self, key, value)

    def __setattr__(self, key, value):  # a hyperparameter is checked when set, now or later
        checked = key in _KINDS and not (key == "learning_rate" and callable(value))  # a schedule
        super().__setattr__(key, _KINDS[key](key, value) if checked else value)
        self.__dict__.pop("_plan", None)  # worked out again at the next update

    def learning_rate_at(self, step):
        """The learning rate of update number ``step`` (0-based, as Keras counts; at most 2**53)."""
        if not (type(step) is int and 0 <= step <= 2**53):  # checked even for a constant rate
            step = _checks.number("step", step, low=0, high=2**53, integer=True)
        if not callable(self.learning_rate):
            return self.learning_rate
        value = self.learning_rate(step)
        return value if type(value) is float and 0 <= value < math.inf else _rate(value, step)

    def init(self, params):
        w = _checks.float_array("params", params)
        slots = [key for key in self._plan[1] if key != "t"]
        return {**{key: np.full_like(w, self._initial.get(key, 0.0)) for key in slots}, "t": 0}

    def update(self, params, grads, state):
        """One step; inf and nan flow through without warnings (a diverging run)."""
        w = _checks.float_array("params", params)
        g = _checks.float_array("grads", grads, w)
        formula, slots, hyperparameters = self._plan
        state = _state(state, (*slots, "t"), w)
        lr = w.dtype.type(self.learning_rate_at(state["t"]))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            new_w, new = formula(w, g, state, lr, **hyperparameters)  # arguments checked above
        return new_w, {**state, **new, "t": state["t"] + 1}

    @functools.cached_property
    def _plan(self):  # the rule's formula, the state it needs and its hyperparameters
        rule, when = self.rule, self.rule.when.items()
        slots = (*rule.slots, *(key for key, on in when if getattr(self, on, False)))
        hyper = {k: getattr(self, k) for k in list(rule.defaults)[1:] if k in self.defaults}
        return rule.__wrapped__, slots, hyper

    def get_config(self):
        return {key: getattr(self, key) for key in self.defaults}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


Optimizer.__init_subclass__()  # the base class's signature too: Optimizer() is plain SGD


class SGD(Optimizer):
    """:func:`sgd_step`; with momentum :func:`momentum_step`, or :func:`nesterov_step`."""

    name, defaults = "SGD", {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}

    @property
    def rule(self):
        return (nesterov_step if self.nesterov else momentum_step) if self.momentum else sgd_step


class Adagrad(Optimizer):
    """:func:`adagrad_step`; :meth:`Adagrad.paper` is Duchi et al.'s form."""

    name, rule = "Adagrad", staticmethod(adagrad_step)
    defaults = {"learning_rate": 0.001, "initial_accumulator_value": 0.1, **adagrad_step.defaults}

    @classmethod
    def paper(cls, learning_rate=0.001, epsilon=1e-7):
        """The accumulator starts at 0 and epsilon sits outside the square root."""
        return cls(learning_rate, 0.0, epsilon, epsilon_placement="paper")

    _initial = property(lambda self: {"accumulator": self.initial_accumulator_value})


class RMSprop(Optimizer):
    """:func:`rmsprop_step`, optionally centered and with momentum."""

    name, rule = "RMSprop", staticmethod(rmsprop_step)
    defaults = {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, **rmsprop_step.defaults}


class Adadelta(Optimizer):
    """:func:`adadelta_step`; :meth:`Adadelta.paper` is Zeiler's Algorithm 1."""

    name, rule, defaults = "Adadelta", staticmethod(adadelta_step), adadelta_step.defaults

    @classmethod
    def paper(cls, rho=0.95, epsilon=1e-6):
        """No learning rate (it is 1) and epsilon 1e-6."""
        return cls(1.0, rho, epsilon)


class Adam(Optimizer):
    """:func:`adam_step`; :meth:`Adam.paper` is Algorithm 1 with its epsilon 1e-8."""

    name, rule = "Adam", staticmethod(adam_step)
    defaults = {k: v for k, v in adam_step.defaults.items() if k != "weight_decay"}

    @classmethod
    def paper(cls, learning_rate=0.001, epsilon=1e-8, **hyperparameters):
        """Epsilon 1e-8 on ``sqrt(v_hat)``; other hyperparameters are passed on by name."""
        return cls(learning_rate, epsilon=epsilon, epsilon_placement="paper", **hyperparameters)


class AdamW(Adam):
    """:func:`adam_step` with Keras's default weight decay, 0.004."""

    name = "AdamW"
    defaults = {"learning_rate": 0.001, "weight_decay": 0.004, **Adam.defaults}


class Nadam(Optimizer):
    """:func:`nadam_step` (Keras 3's momentum schedule)."""

    name, rule, defaults = "Nadam", staticmethod(nadam_step), nadam_step.defaults
    _initial = {"u_product": 1.0}


#: Every optimizer by its lower-case name: ``for name, cls in OPTIMIZERS.items(): ...``
OPTIMIZERS = {c.name.lower(): c for c in (SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Nadam)}


def get(name, **hyperparameters):
    """Build an optimizer by name: ``get("adam", learning_rate=0.01)`` (case does not matter)."""
    key = name.lower() if isinstance(name, str) else name
    return OPTIMIZERS[_checks.choice("name", key, tuple(OPTIMIZERS))](**hyperparameters)


def _state(state, keys, w):
    """``state`` in which ``t`` is an integer >= 0 and the other ``keys`` are arrays shaped like
    ``w`` in its dtype (a number, such as 0.0, stands for an array full of it)."""
    if not isinstance(state, dict):
        raise ValueError(f"state must be a dict, got {reprlib.repr(state)}")
    if missing := ", ".join(repr(key) for key in keys if key not in state):
        held = ", ".join(map(repr, state)) or "nothing"
        raise ValueError(f"state must hold {missing} (see init(params)); it holds {held}")
    checked = {}
    for key in keys:
        value = state[key]
        if key == "t":
            if not (type(value) is int and 0 <= value <= 2**53):
                checked[key] = _checks.count('state["t"]', value, 0, 2**53)
        elif not (type(value) is np.ndarray and value.dtype == w.dtype and value.shape == w.shape):
            arr = _checks.float_array(name := f"state[{key!r}]", value)
            checked[key] = _checks.float_array(name, arr if arr.ndim else np.full_like(w, arr), w)
    return {**state, **checked} if checked else state


def _fraction(name, value):
    value = _checks.fraction(name, value)
    if value > _BELOW_ONE:  # float32 would round it to 1, and Adam's correction divide by 0
        raise ValueError(f"{name} must be below 1 even in float32 ({_BELOW_ONE!r}), got {value!r}")
    return value


def _rate(value, step):
    """A schedule's output: a number >= 0 (a Keras schedule returns a 0-d tensor)."""
    if not isinstance(value, numbers.Real) and hasattr(value, "__float__") and np.ndim(value) == 0:
        value = float(value)
    return _checks.non_negative(f"learning_rate({step})", value)


_BELOW_ONE = float(np.nextafter(np.float32(1), np.float32(0)))  # 0.99999994
# What each hyperparameter may be; the error names it and its range.
_KINDS = {
    "learning_rate": _checks.positive,
    **dict.fromkeys(("momentum", "rho", "beta_1", "beta_2"), _fraction),
    **dict.fromkeys(("epsilon",), _checks.positive),
    **dict.fromkeys(("initial_accumulator_value", "weight_decay"), _checks.non_negative),
    **dict.fromkeys(("nesterov", "centered", "amsgrad"), _checks.flag),
    "epsilon_placement": lambda name, v: _checks.choice(name, v, EPSILON_PLACEMENTS),
}
