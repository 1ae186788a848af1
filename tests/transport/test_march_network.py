"""The network march on worker processes (issue 19's speed half): the serial result within the
linear solves' tolerance whatever the number of workers (and bit for bit for the same number),
agreement with species marched one by one, failures that stop every worker, the directly
filled sparse operator, and the [solver] threads key."""

import threading

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import tiny_config

import escapade
from escapade.config import ConfigError
from escapade.grid import Grid
from escapade.model import Model
from escapade.transport.network_march import march_network
from escapade.transport.operator import assemble, vertical_coefficients
from escapade.transport.solver import (
    ReusingSolver,
    SolverError,
    SpeciesProblem,
    march,
)

NETWORK = {"z_max": 8, "antiprotons": False}
"""1H to 18O: 16 species, two families (10Be, 14C radioactive), a backward channel (1H -> 2H)."""


def _network(threads: int, **sections):
    cfg = tiny_config(12, species=NETWORK, solver={"threads": threads}, **sections)
    return escapade.solve(cfg)


def test_workers_give_the_serial_result():
    """Each worker keeps its own preconditioners, so N workers agree with the serial march to
    the solves' tolerance (solver.rtol 1e-8: within 100 rtol), and the same N gives the same
    result bit for bit."""
    one = _network(1)
    assert one.attrs["solver_cg_solves"] > 0
    for threads in (2, 3):
        many = _network(threads)
        for name in ("flux_local", "density_midplane", "anisotropy", "particles_escaped"):
            ref = one[name].values
            np.testing.assert_allclose(
                many[name].values, ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max(), err_msg=name
            )
        # every (species, energy) solved once, by CG or directly (a factorisation), in some
        # worker: the children's counters reach the parent's
        total = lambda ds: ds.attrs["solver_factorizations"] + ds.attrs["solver_cg_solves"]  # noqa: E731
        assert total(many) == total(one)
        again = _network(threads)
        np.testing.assert_array_equal(again["flux_local"].values, many["flux_local"].values)


def test_network_agrees_with_species_marched_one_by_one():
    """Each species marched alone with a fresh solver (its own factorisations) against the
    pipeline on 3 threads sharing preconditioners: only the linear solves' tolerance apart."""
    cfg = tiny_config(12, species=NETWORK, solver={"threads": 3})
    model = Model.from_config(cfg)
    model.solver = ReusingSolver(rtol=cfg.solver.rtol)
    names = [n.name for n in model.species]
    nuclei = {n.name: n for n in model.species}
    piped = march_network(
        model.grid,
        names,
        lambda n, before: model.problem(nuclei[n], before),
        solver=model.solver,
        threads=3,
        parents=model.network.parents,
    )
    alone: dict = {}
    for n in names:
        alone[n] = march(model.grid, model.problem(nuclei[n], dict(alone)), solver=ReusingSolver())
    for n in names:
        ref = alone[n].density
        np.testing.assert_allclose(piped[n].density, ref, rtol=1e-6, atol=1e-9 * ref.max())


def _problem(grid: Grid, name: str, before, fail_at: int | None = None) -> SpeciesProblem:
    shape = (grid.nr, grid.nz)

    def source(k):
        q = np.full(shape, 1.0)
        for res in before.values():  # fed by every earlier species at the same energy
            q = q + 0.1 * res.density[k]
        return -q if k == fail_at else q

    return SpeciesProblem(
        name=name,
        diffusion=lambda k: (
            np.full((grid.nr - 1, grid.nz), 1.0),
            np.full((grid.nr, grid.nz - 1), 1.0),
        ),
        destruction=lambda k: np.full(shape, 0.1),
        loss=lambda k: np.full(shape, 0.01),
        source=source,
    )


def test_a_failing_species_stops_every_thread():
    grid = Grid.build(20.0, 4.0, 11, 13, 0.1, 100.0, 10)
    names = [f"s{i}" for i in range(6)]

    def make(n, before):
        return _problem(grid, n, before, fail_at=4 if n == "s2" else None)

    result: dict = {}

    def run():
        try:
            march_network(grid, names, make, threads=3)
        except SolverError as exc:
            result["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=60)
    assert not t.is_alive(), "a thread kept waiting for the failed species"
    assert "negative density" in str(result["error"]) and "species s2" in str(result["error"])


def test_default_parents_are_every_earlier_species():
    grid = Grid.build(20.0, 4.0, 11, 13, 0.1, 100.0, 10)
    names = [f"s{i}" for i in range(5)]
    make = lambda n, before: _problem(grid, n, before)  # noqa: E731
    one = march_network(grid, names, make, threads=1)
    two = march_network(grid, names, make, threads=2)
    for n in names:
        np.testing.assert_allclose(two[n].density, one[n].density, rtol=1e-8)
    assert one["s4"].density.max() > one["s0"].density.max()  # fed by the earlier ones


def _assemble_by_diagonals(grid, t_r, t_z, diag_extra, flow_z=None):
    """The operator as sp.diags builds it (the assembly before issue 19)."""
    ni, nj = grid.nr - 1, grid.nz - 2
    tr = t_r[:, 1:-1]
    cu, cd = vertical_coefficients(t_z, flow_z)
    cu, cd = cu[:-1, :], cd[:-1, :]
    diag = diag_extra[:-1, 1:-1].copy()
    diag += tr
    diag[1:] += tr[:-1]
    diag += cu[:, 1:]
    diag += cd[:, :-1]
    upper_z = np.zeros((ni, nj))
    upper_z[:, :-1] = -cd[:, 1:-1]
    lower_z = np.zeros((ni, nj))
    lower_z[:, :-1] = -cu[:, 1:-1]
    off_r = -tr[:-1].ravel()
    n = ni * nj
    return sp.diags(
        [diag.ravel(), upper_z.ravel()[:-1], lower_z.ravel()[:-1], off_r, off_r],
        [0, 1, -1, nj, -nj],
        shape=(n, n),
        format="csc",
    )


@pytest.mark.parametrize(("nr", "nz"), [(5, 4), (3, 5), (21, 41)])
def test_direct_assembly_equals_the_diagonal_one(nr, nz):
    rng = np.random.default_rng(nr * nz)
    grid = Grid.build(20.0, 4.0, nr, nz, 0.1, 100.0, 4)
    t_r, t_z = rng.random((nr - 1, nz)) + 0.1, rng.random((nr, nz - 1)) + 0.1
    extra = rng.random((nr, nz))
    for flow in (None, 0.3 * rng.normal(size=(nr, nz - 1))):
        new = assemble(grid, t_r, t_z, extra, flow)
        ref = _assemble_by_diagonals(grid, t_r, t_z, extra, flow)
        assert new.format == "csc" and new.has_sorted_indices
        assert abs(new - ref).max() == 0.0
        if flow is None:
            np.testing.assert_array_equal(new.indices, ref.indices)
            np.testing.assert_array_equal(new.data, ref.data)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "two", True])
def test_bad_threads_is_one_line(bad):
    with pytest.raises(ConfigError) as err:
        escapade.with_updates(escapade.validate_config({}), {"solver.threads": bad})
    msg = str(err.value)
    assert "solver.threads" in msg and "\n" not in msg


def test_default_threads_are_the_cores_but_one_in_a_dask_worker(monkeypatch):
    import types

    from escapade.transport import solver

    assert solver.default_threads() == solver.available_cores() >= 1
    fake = types.SimpleNamespace(get_worker=lambda: object())
    monkeypatch.setitem(__import__("sys").modules, "distributed", fake)
    assert solver.default_threads() == 1
    model = Model.from_config(tiny_config(4, species={"propagate": ["1H"]}))
    assert model.solver_threads == 1
    model.cfg = escapade.with_updates(model.cfg, {"solver.threads": 3})
    assert model.solver_threads == 3


def test_a_failure_stops_workers_whose_species_have_no_parents(monkeypatch):
    """Species without parents never wait on a level; they must still stop at the next
    energy once another worker failed (s0 fails at its first energy; the child's three
    independent species would otherwise march all 60 energies)."""
    import escapade.transport.network_march as nm

    grid = Grid.build(20.0, 4.0, 61, 61, 0.1, 100.0, 60)
    names = [f"s{i}" for i in range(6)]
    shared: dict = {}
    real = nm._shared_results
    monkeypatch.setattr(nm, "_shared_results", lambda g, ns: shared.update(real(g, ns)) or shared)

    def make(n, before):
        return _problem(grid, n, {}, fail_at=grid.n_ekin - 1 if n == "s0" else None)

    with pytest.raises(SolverError, match="species s0"):
        march_network(grid, names, make, threads=2, parents=lambda n: [])
    assert not shared["s5"].density.any(), "the child marched on after the failure"
