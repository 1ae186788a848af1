"""SuperLU factorisations made and freed on persistent threads of their own.

scipy's SuperLU wrapper records the memory SuperLU allocates in a table of the thread that
allocates it, and a factorisation freed from another thread leaves its memory behind: the
process grows by the size of the factors at every such free (scipy issue 15921, open for
scipy 1.17; measured here: 30 LUs of a 40 000-unknown tridiagonal matrix made on a worker
thread and freed on the main thread leave +70 MB, none when made and freed on one thread).
The coupled reacceleration solve factorises its energy planes on several threads (SuperLU
releases the GIL in the factorisation) and drops the factors elsewhere; made by a thread
pool, a chain or a fit of many solves grew by ~20 MB per solve (benchmarks/results.md,
bench_infer, when the network march was threaded too).

Here every such factorisation is made on one of a few persistent "owner" threads and freed on
the same thread: :class:`OwnedLU` keeps the SuperLU object in a one-item box, and when the
wrapper is collected the box is emptied by a task on the owner thread, which so drops the
last reference. The task goes through a reentrant queue, so a finaliser never waits on a
lock. Triangular solves (``OwnedLU.solve``) run on the calling thread, as before: their
workspace is allocated and freed within the call.

The network march does not use owner threads: it factorises with ``splu`` on the thread that
solves and frees there (:class:`~escapade.transport.solver.ReusingSolver`). That matters for
its forked workers (:mod:`escapade.transport.forked`): a process forked while a thread that
ran SuperLU is alive gets a child whose start-up reports a spurious ``SystemError`` (scipy's
per-thread memory table is torn down in the child).
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import scipy.sparse.linalg as spla

__all__ = ["OwnedLU", "factorize_many"]


class _Owner:
    """One persistent daemon thread running the tasks put on its queue, in order.

    The queue is a :class:`queue.SimpleQueue`, whose ``put`` is reentrant: it may be called
    from a ``__del__`` that runs inside another ``put`` or while a lock is held (an executor's
    ``submit`` takes locks, and a finaliser calling it can deadlock)."""

    def __init__(self, name: str):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            task = self.queue.get()
            task()
            del task

    def call(self, fn: Callable, *args, **kwargs) -> Future:
        """``fn(*args, **kwargs)`` on the owner thread; its future."""
        fut: Future = Future()

        def task() -> None:
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # handed to the caller
                    fut.set_exception(exc)

        self.queue.put(task)
        return fut

    def release(self, box: list) -> None:
        """Empty ``box`` on the owner thread (reentrant; safe in ``__del__``)."""
        self.queue.put(box.clear)


_LOCK = threading.Lock()
_OWNERS: list[_Owner] = []
_PID = [os.getpid()]


def _owner(i: int) -> _Owner:
    """The i-th owner thread of this process (made on first use; new ones after a fork)."""
    with _LOCK:
        if _PID[0] != os.getpid():  # a forked child has the list but not the threads
            _OWNERS.clear()
            _PID[0] = os.getpid()
        while len(_OWNERS) <= i:
            _OWNERS.append(_Owner(f"escapade-superlu-{len(_OWNERS)}"))
        return _OWNERS[i]


class OwnedLU:
    """A SuperLU factorisation owned by one persistent thread (see the module docstring)."""

    __slots__ = ("_box", "_owner", "__weakref__")

    def __init__(self, lu, owner: _Owner):
        self._box = [lu]
        self._owner = owner
        with _LOCK:
            _LIVE.add(self)

    def solve(self, rhs: np.ndarray, trans: str = "N") -> np.ndarray:
        """x with A x = rhs (``trans`` as :meth:`scipy.sparse.linalg.SuperLU.solve`)."""
        return self._box[0].solve(rhs, trans)

    def __del__(self) -> None:
        self._owner.release(self._box)  # the owner thread drops the last reference


_LIVE: weakref.WeakSet = weakref.WeakSet()
"""The factorisations alive, for :func:`_release_all`."""


@atexit.register
def _release_all() -> None:
    """At exit, free the factorisations still alive on their owners while those threads
    still run: freed later, during the interpreter's teardown, scipy's wrapper fails and
    the exit status becomes 120."""
    if _PID[0] != os.getpid():
        return
    with _LOCK:
        live = list(_LIVE)
    for lu in live:
        lu._owner.release(lu._box)
    for owner in list(_OWNERS):
        owner.call(lambda: None).result(timeout=30)


def factorize_many(matrices, threads: int, **options) -> list[OwnedLU]:
    """The factorisations of ``matrices``, spread over ``threads`` owner threads (SuperLU
    releases the GIL, so they run side by side)."""
    owners = [_owner(i) for i in range(max(1, int(threads)))]
    pending = []
    for i, m in enumerate(matrices):
        owner = owners[i % len(owners)]
        pending.append((owner.call(spla.splu, m, **options), owner))
    return [OwnedLU(fut.result(), owner) for fut, owner in pending]
