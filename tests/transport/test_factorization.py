"""The direct factorisations of an energy's system (``[solver] factorization``): QDLDL's LDL^T
and SuperLU's LU solve the transport matrix to rounding, a non-symmetric or not
quasi-definite matrix goes to SuperLU, and a whole network gives the same observables with
either (issue 19's speed half)."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from conftest import tiny_config

import escapade
from escapade.config import ConfigError, validate_config
from escapade.grid import Grid
from escapade.transport.factorization import LDL, factorize
from escapade.transport.operator import assemble


def _transport_matrix(seed: int = 0, flow: bool = False):
    """An assembled finite-volume operator with random positive conductances and rates."""
    rng = np.random.default_rng(seed)
    g = Grid.build(
        20.0, 4.0, nr=13, nz=11, ekin_min_gev_per_n=1.0, ekin_max_gev_per_n=10.0, n_ekin=4
    )
    t_r = rng.uniform(0.1, 2.0, (g.nr - 1, g.nz))
    t_z = rng.uniform(0.1, 2.0, (g.nr, g.nz - 1))
    diag = rng.uniform(0.0, 0.5, (g.nr, g.nz))
    flow_z = rng.uniform(-1.0, 1.0, (g.nr, g.nz - 1)) if flow else None
    return assemble(g, t_r, t_z, diag, flow_z)


@pytest.mark.parametrize("method", ["ldl", "superlu"])
def test_factorisations_solve_the_transport_matrix_to_rounding(method):
    m = _transport_matrix()
    assert abs(m - m.T).max() == 0.0  # no wind: symmetric
    b = np.random.default_rng(1).normal(size=m.shape[0])
    x = factorize(m, symmetric=True, method=method).solve(b)
    exact = np.linalg.solve(m.toarray(), b)
    assert np.max(np.abs(x - exact)) < 1e-12 * np.max(np.abs(exact))
    assert isinstance(factorize(m, True, "ldl"), LDL)


def test_a_wind_or_a_zero_pivot_goes_to_superlu():
    wind = _transport_matrix(flow=True)
    assert abs(wind - wind.T).max() > 0.0
    lu = factorize(wind, symmetric=False, method="ldl")
    assert isinstance(lu, spla.SuperLU)
    b = np.ones(wind.shape[0])
    assert np.allclose(wind @ lu.solve(b), b, rtol=0, atol=1e-10)
    # symmetric, non-singular, but LDL^T without pivoting meets a zero pivot
    swap = sp.csc_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    lu = factorize(swap, symmetric=True, method="ldl")
    assert isinstance(lu, spla.SuperLU)
    assert np.allclose(lu.solve(np.array([2.0, 3.0])), [3.0, 2.0])


def test_unknown_factorisation_is_one_line():
    with pytest.raises(ValueError, match=r"solver.factorization = 'cholmod': allowed are ldl"):
        factorize(_transport_matrix(), True, "cholmod")
    with pytest.raises(ConfigError) as exc:
        validate_config({"solver": {"factorization": "cholmod"}})
    msg = str(exc.value)
    assert "solver.factorization = 'cholmod'" in msg and "'ldl' or 'superlu'" in msg
    assert "\n" not in msg


def test_a_network_gives_the_same_observables_with_either():
    """The solves stop at the relative residual solver.rtol (1e-8), whatever preconditions
    them: fluxes and the anisotropy of every species agree to ~rtol."""
    out = {}
    for method in ("ldl", "superlu"):
        cfg = tiny_config(
            12, species={"z_max": 8, "antiprotons": False}, solver={"factorization": method}
        )
        out[method] = escapade.solve(cfg)
    a, b = out["ldl"], out["superlu"]
    assert a.attrs["solver_factorizations"] > 0
    flux_a, flux_b = a["flux_local"].values, b["flux_local"].values
    ok = flux_b > 1e-30 * flux_b.max()
    assert np.max(np.abs(flux_a[ok] / flux_b[ok] - 1.0)) < 1e-6
    aniso_a, aniso_b = a["anisotropy"].values, b["anisotropy"].values
    assert np.max(np.abs(aniso_a[ok] - aniso_b[ok]) / np.abs(aniso_b[ok])) < 1e-4


def test_refactor_in_place_equals_a_new_factorisation():
    """QDLDL's update: another matrix of the same pattern, factorised in place, solves like a
    fresh factorisation of it; a matrix of another pattern is refused (False)."""
    a, b = _transport_matrix(0), _transport_matrix(2)
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.indptr, b.indptr)
    rhs = np.random.default_rng(3).normal(size=a.shape[0])
    kept = LDL(a)
    assert kept.refactor(b)
    exact = np.linalg.solve(b.toarray(), rhs)
    assert np.max(np.abs(kept.solve(rhs) - exact)) < 1e-12 * np.max(np.abs(exact))
    other = sp.csc_matrix(sp.eye(a.shape[0]) * 2.0)
    assert not LDL(a).refactor(other)


def test_the_solver_refactorises_the_keys_own_factorisation_in_place():
    """ReusingSolver: when CG fails with the key's kept factorisation, that object is
    refactorised in place (the key keeps one object); when the preconditioner came from the
    march's previous energy, a new one is made and the previous energy's is left alone."""
    from escapade.transport.solver import ReusingSolver

    a, b = _transport_matrix(0), _transport_matrix(2)
    solver = ReusingSolver(max_cg_iterations=0)  # every solve refactorises
    rhs = np.ones(a.shape[0])
    state: dict = {}
    solver.solve(a, rhs, "k=1", key=(1, "x"), state=state)
    first = solver._cache[(1, "x")]
    x = solver.solve(b, rhs, "k=1 again", key=(1, "x"), state={})
    assert solver._cache[(1, "x")] is first  # updated in place
    assert np.allclose(b @ x, rhs, rtol=0, atol=1e-9)
    y = solver.solve(b, rhs, "k=0", key=(0, "x"), state={"lu": first})
    assert solver._cache[(0, "x")] is not first and solver._cache[(1, "x")] is first
    assert np.allclose(b @ y, rhs, rtol=0, atol=1e-9)
    assert solver.stats.factorizations == 3
