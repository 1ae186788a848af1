"""Forked workers of the network march: shared memory, results and errors back to the parent."""

import os

import numpy as np
import pytest
from conftest import clean_python_run

from escapade.transport.forked import can_fork, run_forked, shared_zeros

pytestmark = pytest.mark.skipif(not can_fork(), reason="forked workers need Linux")


def test_children_write_shared_memory_and_return_values():
    a = shared_zeros((3, 4))

    def task(i):
        def run():
            a[i] = i + 1.0
            return {"worker": i, "pid": os.getpid()}

        return run

    out = run_forked([task(i) for i in range(3)])
    np.testing.assert_array_equal(a[:, 0], [1.0, 2.0, 3.0])
    assert [o["worker"] for o in out] == [0, 1, 2]
    assert out[0]["pid"] == os.getpid() and len({o["pid"] for o in out}) == 3


class _Secondary(Exception):
    pass


def test_the_first_primary_error_wins_after_every_child_ended():
    def fail_here():
        raise _Secondary("only reports the other failure")

    def fail_there():
        raise ValueError("the real failure in worker 1")

    with pytest.raises(ValueError, match="real failure in worker 1"):
        run_forked([fail_here, fail_there, lambda: 3], secondary=(_Secondary,))


def test_a_child_that_dies_without_reporting_is_an_error():
    with pytest.raises(RuntimeError, match="worker 1 .* died"):
        run_forked([lambda: 1, lambda: os._exit(3)])


def test_an_unpicklable_result_comes_back_as_an_error():
    with pytest.raises(RuntimeError, match="lambda"):
        run_forked([lambda: 1, lambda: lambda: 2])


def test_no_spurious_error_in_children_after_superlu():
    """A march's splu on the calling thread leaves nothing for a fork to trip on, unlike an
    owner thread that ran SuperLU (then every forked child prints a SystemError). In a fresh
    process: this one may have owner threads from other tests."""
    code = (
        "import numpy as np, scipy.sparse as sp, scipy.sparse.linalg as spla\n"
        "from escapade.transport.forked import run_forked\n"
        "lu = spla.splu(sp.eye(50, format='csc'))\n"
        "print(run_forked([lambda: 1, lambda: float(lu.solve(np.ones(50))[0])]))\n"
    )
    clean_python_run(code, "[1, 1.0]")


class _Stop(BaseException):
    """Stands for KeyboardInterrupt (which would stop pytest itself)."""


def test_an_interrupt_while_waiting_for_a_child_kills_it():
    """The parent's own task ends at once and it waits for a child that would run 60 s; an
    interrupt then (Ctrl-C, or SIGTERM turned into an exception by the CLI) must stop the
    child and come back at once, not wait for the child to finish (it did before: an
    interrupted `escapade run` ran its solve to the end)."""
    import signal
    import time

    def stop(*_):
        raise _Stop

    old = signal.signal(signal.SIGALRM, stop)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        t0 = time.perf_counter()
        with pytest.raises(_Stop):
            run_forked([lambda: None, lambda: time.sleep(60)])
        assert time.perf_counter() - t0 < 10.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
