"""Every test starts as a fresh kernel would: no wrong tries counted by the exercise checkers.

Loading this file also asks every notebook kernel started later in the session for the AVX2
kernels of NumPy and TensorFlow (tests/_reproducible.py), so that the saved outputs compare equal
on any x86-64 CPU. The test command collects tests/ before notebooks/, so the kernels that nbval
starts inherit them.
"""

import pytest
from _reproducible import use_avx2_kernels

from lrcourse import exercises

use_avx2_kernels()


@pytest.fixture(autouse=True)
def _fresh_tries():
    exercises.reset_tries()
    yield
    exercises.reset_tries()
