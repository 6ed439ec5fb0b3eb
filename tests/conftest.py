"""Every test starts as a fresh kernel would: no wrong tries counted by the exercise checkers."""

import pytest

from lrcourse import exercises


@pytest.fixture(autouse=True)
def _fresh_tries():
    exercises.reset_tries()
    yield
    exercises.reset_tries()
