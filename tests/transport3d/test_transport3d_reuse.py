"""Reuse across energies: the operator cache's partial update where ``parallel_floor``
binds on a changing set of nodes, and the Galerkin initial iterate of the march."""

import numpy as np
import scipy.sparse as sp
from fields3d import spiral_field

from escapade.grid3d import Grid3D
from escapade.transport3d import AMGSolver, assemble_parts, combine, solve_steady
from escapade.transport3d.march import OperatorCache
from escapade.transport3d.solver import galerkin_guess


def floored_fields(grid):
    """D_perp ~ s^0.6 f(x), D_par = max(100 s^0.33 g(y), D_perp): the floor binds on a
    set of nodes that grows with the rigidity scale s (as with parallel_delta < delta)."""
    x, y, _ = grid.mesh()
    f = 1.0 + 0.3 * x
    g = np.exp(-6.0 * (y + 0.17))  # small at large y: the floor binds there

    def fields(k):
        s = 10.0 ** (0.5 * k)
        d_perp = s**0.6 * f
        return d_perp, np.maximum(100.0 * s ** (1.0 / 3.0) * g, d_perp)

    return fields


def test_cache_updates_the_parallel_part_exactly():
    grid = Grid3D(1.0, 1.0, 15, 11)
    b = spiral_field(grid)
    fields = floored_fields(grid)
    cache = OperatorCache(grid, b, "symmetric", fields)
    bound = []
    for k in (3, 2, 1, 0):
        d_perp, d_par = fields(k)
        bound.append(np.mean(d_par == d_perp))
        op = cache(k)
        ref = combine(assemble_parts(grid, d_perp, d_par, b, "symmetric"))
        scale = abs(ref.matrix).max()
        assert abs(op.matrix - ref.matrix).max() < 1e-13 * scale
        assert abs(op.boundary - ref.boundary).max() < 1e-13 * scale
    assert 0.0 < min(bound) < max(bound) < 0.3  # the floored set changes with energy
    assert cache.assemblies == 1 and cache.updates == 3


def test_cache_reassembles_when_most_nodes_change():
    grid = Grid3D(1.0, 1.0, 11, 9)
    b = spiral_field(grid)
    x, _, _ = grid.mesh()
    cache = OperatorCache(
        grid, b, "symmetric", lambda k: (np.ones(grid.shape), 10.0 * (1.0 + k * (x + 2.0)))
    )
    cache(0)
    cache(1)
    assert cache.assemblies == 2 and cache.updates == 0


def test_galerkin_guess_is_optimal_in_its_span():
    rng = np.random.default_rng(1)
    n = 40
    a = sp.random(n, n, density=0.2, random_state=2)
    m = (a @ a.T + sp.eye(n)).tocsr()
    u = rng.standard_normal(n)
    rhs = m @ u
    v1, v2 = rng.standard_normal(n), rng.standard_normal(n)
    x = galerkin_guess(m, rhs, [v1, v2, 2.0 * v1, np.zeros(n), None])

    def energy(y):
        return float((u - y) @ (m @ (u - y)))

    # the error is m-orthogonal to the span: no perturbation in it does better
    for d in (v1, v2, v1 - v2):
        assert energy(x) <= energy(x + 1e-3 * d) and energy(x) <= energy(x - 1e-3 * d)
    assert galerkin_guess(m, rhs, [np.zeros(n)]) is None
    # the exact solution in the span is recovered
    assert np.allclose(galerkin_guess(m, rhs, [3.0 * u, v1]), u, rtol=1e-8)


def test_solve_steady_with_guesses_needs_fewer_iterations():
    grid = Grid3D(1.0, 1.0, 15, 11)
    b = spiral_field(grid)
    fields = floored_fields(grid)
    op = combine(assemble_parts(grid, *fields(1), b, "symmetric"))
    x, _, z = grid.mesh()
    vol = grid.cell_volume_kpc3
    q = grid.to_unknowns(np.exp(-(x**2 + z**2) / 0.1)) * vol
    first = solve_steady(grid, op.matrix, 0.5 * vol, q, rtol=1e-10)
    # a nearby problem (another destruction rate) from the first solution
    cold = solve_steady(grid, op.matrix, 0.6 * vol, q, rtol=1e-10)
    warm = solve_steady(grid, op.matrix, 0.6 * vol, q, rtol=1e-10, guesses=[first.u])
    assert np.allclose(warm.u, cold.u, rtol=1e-7, atol=1e-9 * np.max(cold.u))
    assert warm.iterations < cold.iterations


def test_rebuild_continues_from_the_reused_iterate():
    # a budget of half the first solve's iterations: the second solve rebuilds the
    # hierarchy and continues from where the reused one stopped, so its total stays close
    # to one solve's count (not the budget plus a fresh solve)
    grid = Grid3D(1.0, 1.0, 15, 11)
    op = combine(assemble_parts(grid, 1.0, 100.0, spiral_field(grid), "symmetric"))
    vol = grid.cell_volume_kpc3
    solver = AMGSolver(rtol=1e-10, rebuild_factor=0.5, min_reuse_iterations=1)
    first = solve_steady(grid, op.matrix, 0.1 * vol, np.full(grid.n_unknowns, vol), solver=solver)
    x, _, _ = grid.mesh()
    rhs = grid.to_unknowns(1.0 + x) * vol
    second = solve_steady(grid, op.matrix, 0.1 * vol, rhs, solver=solver)
    assert second.rebuilt and solver.stats.amg_setups == 2
    assert second.iterations <= first.iterations + 3
    assert second.relative_residual < 1e-9


def test_the_3d_tolerance_default_and_override():
    from escapade.config import validate_config, with_updates
    from escapade.model.model3d import rtol_3d
    from escapade.transport3d.solver import RTOL_3D

    cfg = validate_config({"transport": {"geometry": "3d"}})
    assert rtol_3d(cfg) == RTOL_3D == 1e-6
    assert rtol_3d(with_updates(cfg, {"diffusion.tau": 0.5})) == RTOL_3D
    assert rtol_3d(with_updates(cfg, {"solver.rtol": 1e-11})) == 1e-11
