"""The nuclear network marched as a pipeline on worker processes (issue 19).

A species goes down in energy as soon as its parents have passed that energy. With
``[solver] threads`` = N > 1 the species are dealt round-robin to N workers: this process and
N - 1 forked children (:mod:`escapade.transport.forked`; Linux), which write the densities
into shared memory and poll the levels the others have reached. Threads cannot do this:
SuperLU holds the GIL during its triangular solves, most of a solve's time. Each worker keeps
its own preconditioners (:class:`ReusingSolver`, shared between the species it marches), so
the result depends on N only at the level of the linear solves' tolerance (rtol 1e-10), and
is the same for the same N.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..grid import Grid
from .forked import can_fork, run_forked, shared_zeros
from .solver import (
    SCHEMES,
    MarchResult,
    ReusingSolver,
    SolveStats,
    SpeciesProblem,
    _march_into,
    march,
)

POLL_SECONDS = 2e-5
"""Sleep between two looks at the other workers' levels (a solve takes ~1 ms)."""


class _Aborted(Exception):
    """Another species of a :func:`march_network` run failed."""


def _problems(names, make_problem, out: dict, solved) -> list[SpeciesProblem]:
    """Each species' problem, its ``before`` mapping the solved and the earlier results."""
    before = dict(solved or {})
    probs = []
    for n in names:
        probs.append(make_problem(n, dict(before)))
        before[n] = out[n]
    return probs


def _shared_results(grid: Grid, names: Sequence[str]) -> dict[str, MarchResult]:
    """Empty results of ``names`` in shared memory (written by forked workers)."""
    ne = grid.n_ekin
    dens = shared_zeros((len(names), ne, grid.nr, grid.nz))
    budget = shared_zeros((3, len(names), ne))
    return {
        n: MarchResult(dens[i], budget[0, i], budget[1, i], budget[2, i])
        for i, n in enumerate(names)
    }


def march_network(
    grid: Grid,
    names: Sequence[str],
    make_problem: Callable[[str, dict[str, MarchResult]], SpeciesProblem],
    scheme: str = "bdf2",
    solver: ReusingSolver | None = None,
    threads: int = 1,
    progress: Callable[[], None] | None = None,
    parents: Callable[[str], Iterable[str]] | None = None,
    solved: Mapping[str, MarchResult] | None = None,
) -> dict[str, MarchResult]:
    """March the species ``names`` in this order, each one's source reading the species
    before it at the same energy (a spallation network, heaviest first).

    ``make_problem(name, before)`` builds the problem of ``name``, ``before`` mapping
    ``solved`` (species solved earlier, read-only) and the names before it in this run
    to their results, which are filled in place as the marches go down in energy.

    With ``threads`` = N > 1 (and ``fork`` available) the marches run on N workers as a
    pipeline down the network: species i goes to worker i mod N, and waits at energy k
    until its ``parents`` among ``names`` (default: every earlier one) have passed k. No
    worker waits on a later species, so the pipeline cannot deadlock. The counters of the
    children's solves are added to ``solver.stats``; their new factorisations stay in the
    children. With reacceleration (the coupled solve reads the sources at all energies at
    once) the species run one after the other.
    """
    solver = solver or ReusingSolver()
    if scheme not in SCHEMES:
        raise ValueError(f"energy scheme {scheme!r} unknown; allowed: {', '.join(SCHEMES)}")
    workers = max(1, min(int(threads), len(names)))
    if not can_fork():
        workers = 1
    if workers > 1:
        out = _shared_results(grid, names)
    else:
        out = {n: MarchResult.empty(grid) for n in names}
    probs = _problems(names, make_problem, out, solved)
    if any(p.energy_diffusion is not None for p in probs):
        for i, n in enumerate(names):  # one after the other, each built on complete parents
            before = {**(solved or {}), **{m: out[m] for m in names[:i]}}
            out[n] = march(grid, make_problem(n, before), scheme, solver, progress)
        return out
    if workers == 1:
        for i, n in enumerate(names):
            _march_into(out[n], grid, probs[i], scheme, solver, progress)
        return out
    index = {n: i for i, n in enumerate(names)}
    deps = []
    for i, n in enumerate(names):
        dep = set(range(i)) if parents is None else {index[q] for q in parents(n) if q in index}
        deps.append(np.array(sorted(j for j in dep if j < i), dtype=np.intp))
    _pipeline(grid, names, probs, deps, out, scheme, solver, workers, progress)
    return out


def _pipeline(grid, names, probs, deps, out, scheme, solver, workers, progress) -> None:
    """The marches of ``names`` on ``workers`` processes (this one is worker 0)."""
    ne = grid.n_ekin
    level = shared_zeros(len(names), dtype=np.int64)  # lowest energy index each has finished
    level[:] = ne
    failed = shared_zeros(1, dtype=np.int64)
    reported = [0]

    def report() -> None:  # progress of every worker, ticked from this process
        if progress is None:
            return
        total = int(np.sum(ne - level))
        for _ in range(total - reported[0]):
            progress()
        reported[0] = total

    def worker(w: int) -> Callable[[], None]:
        def task() -> None:
            for i in range(w, len(names), workers):
                mine = deps[i]

                def wait(k: int, mine=mine) -> None:
                    while not failed[0]:  # checked also for a species without parents here
                        if np.all(level[mine] <= k):
                            return
                        if w == 0:
                            report()
                        time.sleep(POLL_SECONDS)
                    raise _Aborted

                def done(k: int, i=i) -> None:
                    level[i] = k
                    if w == 0:
                        report()

                try:
                    _march_into(
                        out[names[i]], grid, probs[i], scheme, solver, None, wait=wait, done=done
                    )
                except BaseException:
                    failed[0] = 1
                    raise

        return task

    run_counted(solver, [worker(w) for w in range(workers)], secondary=(_Aborted,))
    report()


def run_counted(
    solver: ReusingSolver,
    tasks: list[Callable[[], object]],
    secondary: tuple[type[BaseException], ...] = (),
) -> list[object]:
    """:func:`~escapade.transport.forked.run_forked` for tasks that solve with ``solver``:
    their results, the counters of the forked workers' solves added to ``solver.stats``."""

    def counted(task: Callable[[], object]) -> Callable[[], tuple]:
        def run() -> tuple:
            before = dataclasses.replace(solver.stats)
            return task(), _solver_counts(solver.stats, before)

        return run

    done = run_forked([counted(t) for t in tasks], secondary=secondary)
    for _, counts in done[1:]:  # the first task ran here: its counts are in solver.stats
        _add_counts(solver.stats, counts)
    return [result for result, _ in done]


def _solver_counts(now: SolveStats, before: SolveStats) -> dict:
    """What a worker's solves added to the counters ``before`` (the residual: its maximum),
    to be sent to the parent."""
    out = {}
    for f in dataclasses.fields(SolveStats):
        a, b = getattr(now, f.name), getattr(before, f.name)
        out[f.name] = a if f.name == "max_relative_residual" else a - b
    return out


def _add_counts(stats: SolveStats, counts: dict) -> None:
    """Add a child worker's counters to ``stats``."""
    for name, value in counts.items():
        if name == "max_relative_residual":
            stats.max_relative_residual = max(stats.max_relative_residual, value)
        else:
            setattr(stats, name, getattr(stats, name) + value)
