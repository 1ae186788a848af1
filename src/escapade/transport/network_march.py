"""The nuclear network marched as a pipeline on worker processes (issue 19).

A species goes down in energy as soon as its parents have passed that energy. With
``[solver] threads`` = N > 1 the species are dealt round-robin to N workers: this process and
N - 1 forked children (:mod:`escapade.transport.pipeline`; Linux), which write the densities
into shared memory and poll the levels the others have reached. Threads cannot do this:
SuperLU holds the GIL during its triangular solves, most of a solve's time. Each worker keeps
its own preconditioners (:class:`ReusingSolver`, shared between the species it marches), so
the result depends on N only at the level of the linear solves' tolerance (rtol 1e-8), and
is the same for the same N.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from ..grid import Grid
from .forked import can_fork, shared_zeros
from .pipeline import run_pipeline
from .solver import (
    SCHEMES,
    MarchResult,
    ReusingSolver,
    SpeciesProblem,
    _march_into,
    march,
)


def _problems(names, make_problem, out: dict, solved) -> list[SpeciesProblem]:
    """Each species' problem, its ``before`` mapping the solved and the earlier results, and
    the species itself to its own result (being filled, highest energy first)."""
    before = dict(solved or {})
    probs = []
    for n in names:
        probs.append(make_problem(n, {**before, n: out[n]}))
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
    ``solved`` (species solved earlier, read-only), the names before it in this run and
    ``name`` itself to their results, which are filled in place as the marches go down in
    energy (a source at energy k may read its own species above k: the antiprotons'
    tertiaries).

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
    out = _shared_results(grid, names)  # pages mapped at once (shared_zeros), also for 1
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
        deps.append(sorted(j for j in dep if j < i))

    def one(i: int, wait, done) -> None:  # on worker i mod N (this process is worker 0)
        _march_into(out[names[i]], grid, probs[i], scheme, solver, None, wait=wait, done=done)

    run_pipeline(grid.n_ekin, deps, one, workers, stats=solver.stats, progress=progress)
    return out
