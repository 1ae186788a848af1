"""Energy marches run as a pipeline on forked worker processes (issues 17 and 19).

A march goes down a ladder of levels (the energies, highest first); march i may enter level
k only once the marches it reads (its parents in the spallation network) have passed k. The
marches are dealt round-robin to N workers, this process and N - 1 forked children
(:mod:`escapade.transport.forked`), which write into shared memory and poll the levels the
others have reached. A march only ever waits on earlier marches, so the pipeline cannot
deadlock. The 2D network (:mod:`escapade.transport.network_march`) and the 3D engine
(:class:`escapade.model.model3d.Model3D`) both run on it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np

from .forked import run_forked, shared_zeros

POLL_SECONDS = 2e-5
"""Sleep between two looks at the other workers' levels (a 2D solve takes ~1 ms)."""

MarchFn = Callable[[int, Callable[[int], None], Callable[[int], None]], object]
"""``march(i, wait, done)``: march item i, calling ``wait(k)`` before level k and
``done(k)`` after it; its return value comes back to the caller."""


class Aborted(Exception):
    """Another march of the pipeline failed (a worker stops instead of waiting forever)."""


def run_pipeline(
    n_levels: int,
    deps: Sequence[Sequence[int]],
    march: MarchFn,
    workers: int,
    stats: object | None = None,
    progress: Callable[[], None] | None = None,
) -> list[object]:
    """Run ``march(i, ...)`` for every item i on ``workers`` processes; the return values,
    in item order.

    ``deps[i]``: the items (all < i) that item i reads at each level. ``stats``: a dataclass
    of counters that the marches update (solver statistics): the counts of the forked
    workers are added to it (:func:`run_counted`). ``progress`` is called once per level
    of every item, from this process.
    """
    n = len(deps)
    if any(j >= i for i, d in enumerate(deps) for j in d):
        raise ValueError("a march may only depend on earlier marches")
    level = shared_zeros(n, dtype=np.int64)  # lowest level each has finished
    level[:] = n_levels
    failed = shared_zeros(1, dtype=np.int64)
    reported = [0]
    dep_idx = [np.asarray(sorted(d), dtype=np.intp) for d in deps]

    def report() -> None:  # the progress of every worker, ticked from this process
        if progress is None:
            return
        total = int(np.sum(n_levels - level))
        for _ in range(total - reported[0]):
            progress()
        reported[0] = total

    def worker(w: int) -> Callable[[], list]:
        def task() -> list:
            out = []
            for i in range(w, n, workers):
                mine = dep_idx[i]

                def wait(k: int, mine=mine) -> None:
                    while not failed[0]:  # checked also for an item without parents here
                        if np.all(level[mine] <= k):
                            return
                        if w == 0:
                            report()
                        time.sleep(POLL_SECONDS)
                    raise Aborted

                def done(k: int, i=i) -> None:
                    level[i] = k
                    if w == 0:
                        report()

                try:
                    out.append((i, march(i, wait, done)))
                except BaseException:
                    failed[0] = 1
                    raise
            return out

        return task

    tasks = [worker(w) for w in range(max(1, min(workers, n)))]
    if stats is None:
        done_lists = run_forked(tasks, secondary=(Aborted,))
    else:
        done_lists = run_counted(stats, tasks, secondary=(Aborted,))
    report()
    results: list[object] = [None] * n
    for pairs in done_lists:
        for i, value in pairs:
            results[i] = value
    return results


def run_counted(
    stats: object,
    tasks: list[Callable[[], object]],
    secondary: tuple[type[BaseException], ...] = (),
) -> list[object]:
    """:func:`~escapade.transport.forked.run_forked` for tasks that update the counters
    ``stats`` (a dataclass): their results, the counts of the forked workers added to
    ``stats`` (maxima for ``max_*`` fields, minima for ``min_*`` fields, else sums)."""

    def counted(task: Callable[[], object]) -> Callable[[], tuple]:
        def run() -> tuple:
            before = dataclasses.replace(stats)
            return task(), _counts(stats, before)

        return run

    done = run_forked([counted(t) for t in tasks], secondary=secondary)
    for _, counts in done[1:]:  # the first task ran here: its counts are in stats already
        _add_counts(stats, counts)
    return [result for result, _ in done]


def _counts(now: object, before: object) -> dict:
    """What a worker added to the counters since ``before`` (extrema: the worker's own)."""
    out = {}
    for f in dataclasses.fields(now):
        a, b = getattr(now, f.name), getattr(before, f.name)
        out[f.name] = a if f.name.startswith(("max_", "min_")) else a - b
    return out


def _add_counts(stats: object, counts: dict) -> None:
    """Add a forked worker's counters to ``stats``."""
    for name, value in counts.items():
        old = getattr(stats, name)
        if name.startswith("max_"):
            value = max(old, value)
        elif name.startswith("min_"):
            value = min(old, value)
        else:
            value = old + value
        setattr(stats, name, value)
