"""The nuclear network marched as a pipeline on threads (issue 19).

A species goes down in energy as soon as its parents, and the earlier species sharing its
preconditioner family, have passed that energy; SuperLU's triangular solves and numpy's
products release the GIL, so the species of a network run side by side on
``[solver] threads`` threads. The result does not depend on the thread count (the
preconditioner each solve uses is chosen deterministically, :class:`ReusingSolver`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..grid import Grid
from .solver import SCHEMES, MarchResult, ReusingSolver, SpeciesProblem, _march_into, march


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

    With ``threads`` > 1 the marches run concurrently as a pipeline down the network:
    a species waits at energy k until its ``parents`` among ``names`` (default: every
    earlier one) and the earlier species of its family (which may refresh the shared
    preconditioner at k, :meth:`ReusingSolver.solve`) have passed k. The linear algebra
    releases the GIL. Every solve sees the same inputs and preconditioner as in the
    serial march, so the result does not depend on the number of threads. With
    reacceleration (the coupled solve reads the sources at all energies at once) the
    species run one after the other.
    """
    solver = solver or ReusingSolver()
    if scheme not in SCHEMES:
        raise ValueError(f"energy scheme {scheme!r} unknown; allowed: {', '.join(SCHEMES)}")
    out = {n: MarchResult.empty(grid) for n in names}
    probs = _problems(names, make_problem, out, solved)
    if any(p.energy_diffusion is not None for p in probs):
        for i, n in enumerate(names):  # one after the other, each built on complete parents
            before = {**(solved or {}), **{m: out[m] for m in names[:i]}}
            out[n] = march(grid, make_problem(n, before), scheme, solver, progress)
        return out
    index = {n: i for i, n in enumerate(names)}
    deps = []
    for i, (n, p) in enumerate(zip(names, probs, strict=True)):
        dep = set(range(i)) if parents is None else {index[q] for q in parents(n) if q in index}
        # the earlier species of the family: they may refresh the preconditioner at k
        dep |= {j for j in range(i) if probs[j].family == p.family}
        deps.append(sorted(j for j in dep if j < i))
    level = [grid.n_ekin] * len(names)  # lowest energy index each march has finished
    cv = threading.Condition()
    failed = [False]
    lock = threading.Lock()

    def tick():
        with lock:
            progress()

    def run(i: int) -> None:
        def wait(k: int) -> None:
            if not deps[i]:
                return
            with cv:
                cv.wait_for(lambda: failed[0] or all(level[j] <= k for j in deps[i]))
                if failed[0]:
                    raise _Aborted

        def done(k: int) -> None:
            with cv:
                level[i] = k
                cv.notify_all()

        try:
            _march_into(
                out[names[i]],
                grid,
                probs[i],
                scheme,
                solver,
                None if progress is None else tick,
                wait=wait,
                done=done,
            )
        except BaseException:
            with cv:
                failed[0] = True
                cv.notify_all()
            raise

    workers = max(1, min(int(threads), len(names)))
    if workers == 1:
        for i in range(len(names)):
            run(i)
        return out
    # jobs start in order, so the earliest unfinished species always runs: no deadlock
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="escapade-march") as pool:
        futures = [pool.submit(run, i) for i in range(len(names))]
        errors = [f.exception() for f in futures]
    real = [e for e in errors if e is not None and not isinstance(e, _Aborted)]
    if real:
        raise real[0]
    return out
