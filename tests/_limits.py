"""A time and memory limit for one call, shared by the fuzz tests: a probe must not hang."""

from __future__ import annotations

import contextlib
import resource
import signal


class TookTooLong(BaseException):  # not an Exception: no `except Exception` may swallow it
    pass


@contextlib.contextmanager
def bounded(seconds, extra_memory=None):
    """Stop the call after ``seconds`` (TookTooLong); with ``extra_memory`` (bytes), let it
    allocate at most that much more (MemoryError beyond)."""

    def stop(signum, frame):
        raise TookTooLong(f"still running after {seconds:g} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if extra_memory is not None:
        with open("/proc/self/status") as status:
            used = next(int(ln.split()[1]) * 1024 for ln in status if ln.startswith("VmSize"))
        limit = used + extra_memory
        limit = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
