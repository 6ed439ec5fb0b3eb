"""An independent probe of the whole public API: every public callable of every lrcourse module.

The callables are found automatically (a module's ``__all__``, else the functions and classes it
defines whose names do not start with "_", and the public methods of those classes); each needs a
valid example call in ``tests/_api_examples.py``, so a new public function cannot escape.

Then every parameter of every call is replaced, one at a time, by each bad value below. Within a
time limit (and a memory allowance) the call must either return or raise ValueError/TypeError
whose message names the parameter. An exercise checker must not raise at all on the learner's
argument: it answers with a Feedback. A clearly bad value (None, text, True, nan, an object...)
accepted in silence is a failure too, unless the example says the parameter takes it, and so is
a result that breaks a promise (a rate that is nan, say).
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil

import numpy as np
import pytest
from _api_examples import EXAMPLES, FREE_TEXT, INSTANCES, SKIP
from _limits import TookTooLong, bounded

import lrcourse
from lrcourse.exercises import CORRECT, NOT_ATTEMPTED, WRONG, Feedback

EXTRA_MEMORY = 2 * 2**30  # what one call may allocate on top of what the process holds


class LearnerError(Exception):
    """What the raising callable raises: passed through unchanged, it is the caller's own error."""


def raises(*args, **kwargs):
    raise LearnerError("this function raises on purpose")


# Bad values that no parameter takes in silence, unless its example says so.
ALWAYS_BAD = {
    "None": lambda: None,
    "text": lambda: "x",
    "'False'": lambda: "False",
    "True": lambda: True,
    "nan": lambda: math.nan,
    "inf": lambda: math.inf,
    "-inf": lambda: -math.inf,
    "10**400": lambda: 10**400,
    "{}": dict,
    "object()": object,
    "array([nan])": lambda: np.array([np.nan]),
    "raising callable": lambda: raises,
}
_HUGE = np.zeros(10**7)  # 80 MB, made once
# Values that some parameters take: only the contract (a return or a clear error) is checked.
SOMETIMES = {
    "-1": lambda: -1,
    "0": lambda: 0,
    "0.5": lambda: 0.5,
    "-1e-300": lambda: -1e-300,
    "10**12": lambda: 10**12,
    "2**53": lambda: 2**53,
    "1e308": lambda: 1e308,
    "[]": list,
    "zeros(10**7)": lambda: _HUGE,
}
BAD = {**ALWAYS_BAD, **SOMETIMES}


def limited(seconds):
    """Stop the call after ``seconds``, and let it allocate at most EXTRA_MEMORY more."""
    return bounded(seconds, EXTRA_MEMORY)


@pytest.fixture(autouse=True)
def tidy_matplotlib():
    """setup() changes matplotlib's settings and figure() opens pyplot figures: undo both."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    with mpl.rc_context():
        yield
    plt.close("all")


# ---------------------------------------------------------------- finding the public callables


def public_modules():
    names = ["lrcourse"] + [m.name for m in pkgutil.walk_packages(lrcourse.__path__, "lrcourse.")]
    private = [n for n in names if any(p.startswith("_") for p in n.split(".")[1:])]
    return [importlib.import_module(n) for n in names if n not in private or n.endswith("__main__")]


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__
        ]
    return [name for name in names if callable(getattr(module, name))]


def public_methods(cls):
    """``{name: (defining class, function)}`` for the public methods an lrcourse class defines
    or inherits from another lrcourse class (``__call__`` included; properties are not methods)."""
    found = {}
    for name in dir(cls):
        if name.startswith("_") and name != "__call__":
            continue
        owner = next(base for base in cls.__mro__ if name in vars(base))
        raw = vars(owner)[name]
        if not owner.__module__.startswith("lrcourse"):
            continue
        if isinstance(raw, classmethod | staticmethod):
            raw = raw.__func__
        if inspect.isfunction(raw):
            found[name] = (owner, raw)
    return found


def find_callables():
    """``{key: (callable or None, class key or None, method name or None)}`` for every public
    callable; aliases (one object under two names) are listed once."""
    seen, found = {}, {}
    for module in public_modules():
        for name in public_names(module):
            value = getattr(module, name)
            if id(value) in seen:
                continue
            key = f"{module.__name__}.{name}"
            seen[id(value)] = key
            found[key] = (value, None, None)
    for key, (value, _, _) in list(found.items()):
        if not inspect.isclass(value):
            continue
        for method, (_, function) in public_methods(value).items():
            if id(function) in seen and seen[id(function)] != key:
                continue  # Adam.rule is adam_step, probed as such
            found[f"{key}.{method}"] = (None, key, method)
    return found


CALLABLES = find_callables()


def example_key(key):
    """The key of the example that serves ``key``: its own, or the defining class's method."""
    _, owner, method = CALLABLES[key]
    if owner is None:
        return key
    cls = CALLABLES[owner][0]
    for base in cls.__mro__:
        candidate = f"{base.__module__}.{base.__qualname__}.{method}"
        if candidate in EXAMPLES:
            return candidate
    return key


def skip_reason(key):
    _, owner, method = CALLABLES[key]
    if key in SKIP:
        return SKIP[key]
    if owner is not None:
        cls = CALLABLES[owner][0]
        for base in cls.__mro__:
            generic = f"{base.__module__}.{base.__qualname__}.{method}"
            if f"{generic}@{cls.__qualname__}" in SKIP:
                return SKIP[f"{generic}@{cls.__qualname__}"]
            if generic in SKIP:
                return SKIP[generic]
    return None


def needs_arguments(key):
    value, owner, method = CALLABLES[key]
    if owner is None:
        return bool(parameters(value))
    raw = inspect.getattr_static(CALLABLES[owner][0], method)
    if isinstance(raw, classmethod | staticmethod):
        return bool(parameters(raw.__func__)[isinstance(raw, classmethod) :])
    return bool(parameters(raw)[1:])


_instances = {}


def instance(owner, fresh=False):
    """The instance whose methods are probed, built once (or afresh when ``fresh``)."""
    if fresh or owner not in _instances:
        make = INSTANCES.get(owner)
        if make is None:
            raise LookupError(f"INSTANCES has no way to build {owner}")
        _instances[owner] = make()
    return _instances[owner]


def target(key):
    """The callable of ``key`` (a method: bound to an instance of its class)."""
    value, owner, method = CALLABLES[key]
    if owner is None:
        return value
    cls = CALLABLES[owner][0]
    raw = inspect.getattr_static(cls, method)
    if isinstance(raw, classmethod):
        return getattr(cls, method)
    return getattr(instance(owner), method)


def parameters(fn):
    """The parameters a caller sets by keyword (not ``*args``, not private ones)."""
    return [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and not p.name.startswith("_")
    ]


def takes_any_keyword(fn):
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())


PROBED = sorted(k for k in CALLABLES if skip_reason(k) is None)


# ---------------------------------------------------------------- the registry is complete


def test_every_public_callable_has_an_example():
    missing = [key for key in PROBED if example_key(key) not in EXAMPLES and needs_arguments(key)]
    assert not missing, "no example call in tests/_api_examples.py for:\n" + "\n".join(missing)
    classes = {owner for _, owner, _ in CALLABLES.values() if owner is not None}
    homeless = [
        c
        for c in sorted(classes)
        if any(CALLABLES[k][1] == c and k in PROBED for k in CALLABLES) and c not in INSTANCES
    ]
    assert not homeless, f"INSTANCES cannot build: {homeless}"


def test_no_example_is_stale():
    served = {example_key(key) for key in CALLABLES}
    stale = sorted(set(EXAMPLES) - served)
    unknown = sorted(k for k in SKIP if k.split("@")[0] not in {*CALLABLES, *served})
    assert not stale, f"examples of callables that no longer exist: {stale}"
    assert not unknown, f"skips of callables that no longer exist: {unknown}"


# ---------------------------------------------------------------- the probe


def call(key, example, kwargs):
    fn = target(key)
    with limited(example.seconds):
        return fn(**kwargs)


def arguments(key, example, fresh=False):
    """The example's arguments (for a method, of the instance: a new one when ``fresh``)."""
    _, owner, _ = CALLABLES[key]
    if owner is not None:
        obj = instance(owner, fresh)
        if callable(example.kwargs):
            return example.arguments(obj)
    return example.arguments()


def allowed_in_silence(example, name, valid, default):
    """The labels of ALWAYS_BAD values that parameter ``name`` may accept without a word: those
    its example allows, and those of the kind of its valid value or its default (None where None
    is the default, True where a flag is expected, any text where any text will do, ...)."""
    ok = example.ok.get(name, set())
    if ok == "*" or (example.answer is not None and example.feedback and name in FREE_TEXT):
        return set(ALWAYS_BAD)  # a checker's message: whatever it is, it is only printed
    ok = set(ok)
    for value in (valid, default):
        if value is None:
            ok.add("None")
        if isinstance(value, bool | np.bool_):
            ok.add("True")
        if isinstance(value, str) and name in FREE_TEXT:
            ok |= {"text", "'False'"}
        if isinstance(value, dict):
            ok.add("{}")
        if callable(value) and not inspect.isclass(value):
            ok.add("raising callable")  # it is called later, and its error passes through
    return ok


def judge(key, example, name, label, kwargs, default):
    """One call with ``name`` replaced by the bad value ``label``: None if all is well, else why."""
    is_answer = name == example.answer
    checker = example.answer is not None and example.feedback
    named = example.named.get(name, (name,))
    named = (named,) if isinstance(named, str) else named
    silent_ok = allowed_in_silence(example, name, kwargs.get(name, _MISSING), default)
    try:
        result = call(key, example, {**kwargs, name: BAD[label]()})
    except TookTooLong as exc:
        return f"{label}: {exc}"
    except LearnerError:
        if is_answer:
            return f"{label}: the checker let the learner's error escape"
        return None  # the caller's own function raised: its error, passed through
    except (ValueError, TypeError) as exc:
        if is_answer:
            return f"{label}: a checker raised {type(exc).__name__}: {exc}"
        if not any(word in str(exc) for word in named):
            return f"{label}: {type(exc).__name__} does not name {' or '.join(named)}: {exc}"
        return None
    except Exception as exc:  # the contract: no other exception type
        return f"{label}: {type(exc).__name__}: {str(exc)[:200]}"
    if checker:
        if not isinstance(result, Feedback):
            return f"{label}: a checker returned {type(result).__name__}, not a Feedback"
        if is_answer and label in ALWAYS_BAD and result.state == CORRECT:
            return f"{label}: a checker called this answer correct: {result}"
        if not is_answer and label in ALWAYS_BAD and result.state == CORRECT:
            if label not in silent_ok:
                return f"{label}: a bad setting still gave 'correct': {result}"
        if result.state not in (CORRECT, WRONG, NOT_ATTEMPTED):
            return f"{label}: unknown state {result.state!r}"
        return None
    if label in ALWAYS_BAD and label not in silent_ok:
        return f"{label}: accepted in silence (returned {_brief(result)})"
    if example.result is not None:
        try:
            problem = example.result(result)
        except LearnerError:  # the result calls the learner's function, which raises: fine
            problem = None
        except Exception as exc:
            problem = f"the result cannot be checked: {type(exc).__name__}: {exc}"
        if problem:
            return f"{label}: accepted, but {problem}"
    return None


_MISSING = object()


def _brief(value):
    try:
        text = repr(value)
    except Exception:
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


def probe(key):
    """Every parameter of ``key`` replaced by every bad value; returns (problems, calls made)."""
    example = EXAMPLES.get(example_key(key))
    fn = target(key)
    if example is None:  # no parameters: one plain call
        with limited(5.0):
            fn()
        return [], 1
    kwargs = arguments(key, example)
    defaults = {p.name: p.default for p in parameters(fn)}
    if takes_any_keyword(fn):
        defaults.update({k: _MISSING for k in kwargs if k not in defaults})
    problems, calls = [], 0
    for name, default in defaults.items():
        for label in [label for label in BAD if label not in example.skip.get(name, ())]:
            calls += 1
            if example.fresh:  # a new instance and new arguments: the last call used them
                kwargs = arguments(key, example, fresh=True)
            problem = judge(key, example, name, label, kwargs, default)
            if problem:
                problems.append(f"{name}={problem}")
    return problems, calls


@pytest.mark.parametrize("key", PROBED)
def test_valid_example_works(key):
    example = EXAMPLES.get(example_key(key))
    if example is None:
        with limited(30.0):
            target(key)()
        return
    result = call(key, example, arguments(key, example, fresh=example.fresh))
    if example.answer is not None and example.feedback:
        assert isinstance(result, Feedback) and result.state == CORRECT, result
    if example.result is not None:
        assert example.result(result) is None, example.result(result)


@pytest.mark.parametrize("key", PROBED)
def test_bad_arguments_raise_a_clear_error_or_are_answered(key):
    problems, _ = probe(key)
    assert not problems, f"{key}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("owner", sorted(INSTANCES))
def test_public_properties_can_be_read(owner):
    """Properties are not probed with bad values (they take none), but each must answer."""
    cls = CALLABLES[owner][0]
    obj = instance(owner)
    for name in dir(cls):
        if not name.startswith("_") and isinstance(inspect.getattr_static(cls, name), property):
            with limited(5.0):
                getattr(obj, name)
