"""SuperLU factorisations made and freed on their owner thread (scipy issue 15921)."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from conftest import clean_python_run

from escapade.transport.superlu import OwnedLU, _owner, factorize_many


def _matrix(n: int = 2000):
    main, off = 4.0 * np.ones(n), -np.ones(n - 1)
    return sp.diags([off, main, off], [-1, 0, 1], format="csc")


def test_factorize_solves_as_splu():
    a, b = _matrix(), np.linspace(1.0, 2.0, 2000)
    ref = spla.splu(a).solve(b)
    assert np.array_equal(factorize_many([a], threads=1)[0].solve(b), ref)
    many = factorize_many([a, 2.0 * a, 3.0 * a], threads=2)
    for k, lu in enumerate(many, start=1):
        assert np.allclose(lu.solve(b) * k, ref, rtol=1e-14, atol=0.0)


def test_the_last_reference_is_dropped_on_the_owner_thread():
    """A factorisation made on one thread and dropped on another is freed by its owner."""
    freed_on: list[str] = []

    class Probe:
        def __del__(self):
            freed_on.append(threading.current_thread().name)

    owner = _owner(0)
    with ThreadPoolExecutor(1) as other:
        lu = other.submit(lambda: OwnedLU(Probe(), owner)).result()
    del lu  # dropped on the main thread
    owner.call(lambda: None).result()  # the owner has run the release
    assert len(freed_on) == 1 and freed_on[0].startswith("escapade-superlu")


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_no_memory_left_behind_by_threaded_factorisations():
    """Rounds of 4 LUs made on worker threads and dropped on the main thread: after a warm-up
    the process stops growing (with scipy's splu called on the workers it grows by ~2.4 MB
    per LU, ~100 MB over the 10 measured rounds)."""
    a = _matrix(40000)

    def rounds(n: int) -> None:
        for _ in range(n):
            lus = list(pool.map(lambda _: factorize_many([a], threads=1)[0], range(4)))
            del lus
        _owner(0).call(lambda: None).result()  # the owner has released them

    with ThreadPoolExecutor(2) as pool:
        rounds(10)  # warm the allocator
        before = _rss_mb()
        rounds(10)
    assert _rss_mb() - before < 20.0


def test_a_factorisation_alive_at_exit_leaves_a_clean_exit():
    """Freed during the interpreter's teardown, a thread-made SuperLU fails in scipy's
    wrapper and the exit status becomes 120; the exit hook frees it first."""
    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from escapade.transport.superlu import factorize_many\n"
        "lu = factorize_many([sp.diags([4.0 * np.ones(50)], [0], format='csc')], 1)[0]\n"
        "print(lu.solve(np.ones(50))[0])\n"
    )
    clean_python_run(code, "0.25")
