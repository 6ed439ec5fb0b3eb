"""One call at the top of every notebook: seeds, quiet TensorFlow, a readable plotting style."""

from __future__ import annotations

import os
import random
import sys
import warnings

import numpy as np

# Colour-blind-safe palette (Okabe & Ito 2008), in the order lines are drawn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

_QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


def quiet_tensorflow():
    """Silence TensorFlow's C++ log lines; they must be set before TensorFlow is imported."""
    for key, value in _QUIET_TF.items():
        os.environ.setdefault(key, value)
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def style():
    """A plotting style that reads well on screen and in print."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 100,
            "font.size": 11,
            "axes.titlesize": 12,
            "legend.frameon": False,
            "lines.linewidth": 2.0,
            "image.cmap": "viridis",
        }
    )
    _inline_figures_at_their_own_size()


def _inline_figures_at_their_own_size():
    """In Jupyter, save inline figures without a tight bounding box.

    The course's figures use constrained layout, which already fits everything in the figure,
    and the tight box makes matplotlib draw every figure twice.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None or "matplotlib_inline" not in sys.modules:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png", bbox_inches=None)


def setup(seed=0, *, tensorflow=False):
    """Seed every random generator the course uses and set the plotting style.

    ``tensorflow=True`` also imports TensorFlow quietly and makes Keras deterministic.
    Returns a NumPy ``Generator`` seeded with ``seed`` for the notebook's own randomness.
    """
    from lrcourse._checks import count, flag

    seed = count("seed", seed, minimum=0)
    tensorflow = flag("tensorflow", tensorflow)
    quiet_tensorflow()
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (learners and old code use the global generator)
    style()
    # matplotlib warns when placing a legend "best" took long: a matter of machine load, not of
    # the figure, and it would make a notebook's output depend on how busy the computer is.
    warnings.filterwarnings("ignore", message='Creating legend with loc="best" can be slow')
    if tensorflow or "tensorflow" in sys.modules:
        seed_tensorflow(seed)
    return np.random.default_rng(seed)


def seed_tensorflow(seed=0):
    """Import TensorFlow without log noise and make Keras runs repeatable on the CPU."""
    quiet_tensorflow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
        import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except (AttributeError, RuntimeError):  # older TF, or already configured
        pass
    return keras
