"""Forked worker processes sharing arrays with their parent (the network march, issue 19).

scipy's SuperLU wrapper holds the GIL during a triangular solve (two threads solving side
by side on this project's 2-core machine: 0.21 ms per solve against 0.20 ms on one,
benchmarks/results.md), so threads cannot run the species of a network side by side; forked
processes can. What a worker writes goes into anonymous shared memory (:func:`shared_zeros`,
mapped before the fork, so parent and children see the same pages); what it returns (its
counters, or its exception) comes back pickled through a pipe. A child dies with its parent
(``PR_SET_PDEATHSIG`` on Linux) and leaves by ``os._exit``, so it never runs the parent's
exit handlers or flushes the parent's buffers twice.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable

import numpy as np

__all__ = ["can_fork", "run_forked", "shared_zeros"]


def can_fork() -> bool:
    """Whether worker processes can be forked here (Linux: ``fork`` is safe with the
    libraries used; macOS and Windows get the serial path)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def shared_zeros(shape, dtype=float) -> np.ndarray:
    """A zero array in anonymous shared memory: written by a forked child, seen by the parent
    (the mapping lives as long as the array or a view of it).

    On Linux the pages are mapped at once (``MAP_POPULATE``): one call that zero-fills them
    instead of a page fault at the first write to each 4 kB page (the network's densities of
    Z <= 28 on 81 x 161 x 64, 534 MB: 0.3 s against 1.6 s of faults, benchmarks/results.md)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if not hasattr(mmap, "MAP_SHARED"):  # Windows: no fork either, so private memory
        return np.zeros(shape, dtype=dtype)
    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
    buf = mmap.mmap(-1, max(size, 1), flags=flags)
    return np.frombuffer(buf, dtype=dtype, count=int(np.prod(shape, dtype=np.int64))).reshape(shape)


def _die_with_parent() -> None:
    """Ask the kernel to kill this child when its parent dies (Linux ``prctl``)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux, or no prctl: the child still ends
        pass


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_forked(
    tasks: list[Callable[[], object]], secondary: tuple[type[BaseException], ...] = ()
) -> list[object]:
    """Run ``tasks[1:]`` in forked children and ``tasks[0]`` here, side by side; their
    return values (pickled back from the children), in order.

    After every child has ended, the first exception is raised (the parent's, then the
    children's in order), preferring one that is not an instance of ``secondary`` (errors
    that only report another worker's failure); a child that dies without reporting gives a
    :class:`RuntimeError`. If the parent is interrupted, the children are killed.
    """
    children = []
    for task in tasks[1:]:
        rfd, wfd = os.pipe()
        with warnings.catch_warnings():  # Python >= 3.12 warns about fork with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child
            os.close(rfd)
            _die_with_parent()
            try:
                payload = ("ok", task())
            except BaseException as exc:  # handed to the parent
                payload = ("error", exc)
            try:
                data = pickle.dumps(payload)
            except Exception as exc:  # an unpicklable result or exception
                data = pickle.dumps(("error", RuntimeError(f"{payload[1]!r} ({exc})")))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(wfd, view) :]
            finally:
                os._exit(0)
        os.close(wfd)
        children.append((pid, rfd))
    results: list[object] = [None] * len(tasks)
    errors: list[BaseException] = []
    try:
        results[0] = tasks[0]()
    except BaseException as exc:
        errors.append(exc)
        if not isinstance(exc, Exception):  # interrupted: stop the children now
            for pid, _ in children:
                _kill(pid)
    try:
        _collect(children, results, errors)
    except BaseException:  # interrupted while waiting for the children: stop them too
        for pid, _ in children:
            _kill(pid)
        raise
    finally:
        for pid, rfd in children:
            _reap(pid, rfd)
    if errors:
        primary = [e for e in errors if not isinstance(e, secondary)]
        raise (primary or errors)[0]
    return results


def _collect(children: list[tuple[int, int]], results: list, errors: list) -> None:
    """Read every child's pickled outcome into ``results`` (from index 1) or ``errors``."""
    for i, (pid, rfd) in enumerate(children, start=1):
        data = _read_all(rfd)
        if not data:
            errors.append(RuntimeError(f"network march worker {i} (pid {pid}) died"))
            continue
        status, value = pickle.loads(data)
        if status == "ok":
            results[i] = value
        else:
            errors.append(value)


def _reap(pid: int, rfd: int) -> None:
    """Close a child's pipe and wait for its end (it has ended, or was killed)."""
    try:
        os.close(rfd)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
