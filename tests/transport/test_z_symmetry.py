"""Mirror symmetry in z (``[solver] z_symmetry``): the half-grid solve is the full one."""

import numpy as np
import pytest

import escapade
from escapade.grid import Grid
from escapade.transport.solver import ReusingSolver, SpeciesProblem, march
from escapade.transport.zmirror import ZMirror

GRID = Grid.build(20.0, 4.0, 17, 21, 0.5, 500.0, 10)


def _problem(grid: Grid, z_source_kpc: float = 0.0, wind: float = 0.0) -> SpeciesProblem:
    """A species with D growing with |z| and R, losses, destruction in a gas disc and a
    source of scale height 0.3 kpc centred on z_source_kpc (0: mirror-symmetric)."""
    r, z = grid.r_kpc, grid.z_kpc
    rf = 0.5 * (r[:-1] + r[1:])
    zf = 0.5 * (z[:-1] + z[1:])
    e = grid.ekin_gev_per_n
    r_nodes = r[:, None] + 0.0 * z[None, :]

    def diffusion(k):
        d0 = 0.1 * (1.0 + e[k]) ** 0.5  # kpc^2/Myr
        d_r = d0 * np.exp(np.abs(z)[None, :] / 4.0) * (1.0 + 0.02 * rf[:, None])
        d_z = d0 * np.exp(np.abs(zf)[None, :] / 4.0) * (1.0 + 0.02 * r[:, None])
        return d_r, d_z

    gas = np.exp(-np.abs(z)[None, :] / 0.1) * np.exp(-r_nodes / 8.0)
    flow = None
    if wind:  # kpc/Myr times the faces' area: antisymmetric about z = 0
        ring = np.pi * (grid.r_hi_kpc**2 - grid.r_lo_kpc**2)
        flow = wind * np.sign(zf)[None, :] * ring[:, None]
    return SpeciesProblem(
        name="X",
        diffusion=diffusion,
        destruction=lambda k: 0.05 * gas,
        loss=lambda k: 1e-3 * (1.0 + e[k]) * (1.0 + gas),
        source=lambda k: (
            e[k] ** -2.3
            * np.exp(-((z[None, :] - z_source_kpc) ** 2) / (2 * 0.3**2))
            * np.exp(-r_nodes / 5.0)
        ),
        flow_z=flow,
    )


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> None:
    """Relative difference below rtol on every entry above 1e-12 of the peak."""
    a, b = np.asarray(a), np.asarray(b)
    big = np.abs(b) > 1e-12 * np.max(np.abs(b))
    assert big.any()
    rel = np.max(np.abs(a[big] - b[big]) / np.abs(b[big]))
    assert rel < rtol, rel


def _both(problem, grid=GRID):
    runs = {}
    for mode in ("auto", "off"):
        solver = ReusingSolver(z_symmetry=mode)
        runs[mode] = (march(grid, problem, "bdf2", solver), solver.stats)
    return runs


@pytest.mark.parametrize("wind", [0.0, 2e-3])
def test_symmetric_problem_is_solved_on_the_half_grid_with_the_same_result(wind):
    runs = _both(_problem(GRID, wind=wind))
    (auto, st_auto), (off, st_off) = runs["auto"], runs["off"]
    assert st_auto.half_solves == GRID.n_ekin and st_off.half_solves == 0
    _close(auto.density, off.density, 1e-8)
    for name in ("injected", "escaped", "destroyed"):
        _close(getattr(auto, name), getattr(off, name), 1e-8)
    # the reflected solution is exactly symmetric
    np.testing.assert_array_equal(auto.density, auto.density[:, :, ::-1])


def test_asymmetric_problem_is_solved_in_full():
    prob = _problem(GRID, z_source_kpc=0.4)  # source above the plane
    runs = _both(prob)
    (auto, st_auto), (off, _) = runs["auto"], runs["off"]
    assert st_auto.half_solves == 0
    np.testing.assert_array_equal(auto.density, off.density)
    # and the solution is really asymmetric: more particles above the plane
    mid = GRID.nz // 2
    assert np.sum(auto.density[:, :, mid + 1 :]) > 1.2 * np.sum(auto.density[:, :, :mid])


def test_half_grid_needs_a_symmetric_grid():
    assert ZMirror.of(GRID) is not None
    even = Grid.build(20.0, 4.0, 17, 20, 0.5, 500.0, 4)
    assert ZMirror.of(even) is None
    runs = _both(_problem(even), grid=even)
    assert runs["auto"][1].half_solves == 0


@pytest.mark.parametrize("gas", [True, False])
def test_model_observables_equal_with_and_without_the_half_grid(gas):
    """The preset's GALPROP gas is not mirror-symmetric (the H2 disc's mid-plane offset
    z0(R) of Bronfman et al. 1988, escapade.galaxy.gas): every energy is solved in full.
    Without gas every energy of every species is solved on the half grid."""
    cfg = escapade.load_config("configs/letter_tau0.85_fast.toml")
    # one thread: the half-solve counter of forked marches is not summed
    small = {"grid.nr": 21, "grid.nz": 21, "grid.n_ekin": 8, "species.z_max": 6}
    small["solver.threads"] = 1
    out = {}
    for mode in ("auto", "off"):
        c = escapade.with_updates(cfg, {**small, "gas.enabled": gas, "solver.z_symmetry": mode})
        model = escapade.Model.from_config(c)
        marched = model.grid.n_ekin * len(model.species)
        out[mode] = (model.solve(), model.stats.half_solves, marched)
    (auto, n_half, marched), (off, n_off, _) = out["auto"], out["off"]
    assert n_off == 0
    assert n_half == 0 if gas else n_half >= marched
    for var in ("flux_local", "anisotropy", "particles_escaped"):
        _close(auto[var].values, off[var].values, 1e-8)
    if gas:  # B/C at equal energy per nucleon (no boron without gas)

        def element(ds, isotopes):
            return ds.flux_local.sel(species=isotopes).sum("species").values

        ratio = {
            m: element(ds, ["10B", "11B"]) / element(ds, ["12C", "13C", "14C"])
            for m, ds in (("auto", auto), ("off", off))
        }
        _close(ratio["auto"], ratio["off"], 1e-8)


def _with_reacceleration(problem: SpeciesProblem, grid: Grid = GRID) -> SpeciesProblem:
    """Momentum diffusion K = 1e-3 p^4 beta (GeV^4/Myr), uniform in space (protons)."""
    e = grid.ekin_gev_per_n
    m = 0.938
    p = np.sqrt(e * (e + 2 * m))

    def kface(k):
        ef = e[k] * np.exp(0.5 * grid.dlnekin)
        pf = np.sqrt(ef * (ef + 2 * m))
        return np.full((grid.nr, grid.nz), 1e-3 * pf / (ef + m) * pf**4)

    problem.energy_diffusion = kface
    problem.energy_weight = p / (e + m) / p**2
    return problem


@pytest.mark.parametrize("z_source_kpc", [0.0, 0.4])
def test_coupled_reacceleration_solve_on_the_half_grid(z_source_kpc):
    runs = {}
    for mode in ("auto", "off"):
        solver = ReusingSolver(z_symmetry=mode, coupled_rtol=1e-12)
        prob = _with_reacceleration(_problem(GRID, z_source_kpc=z_source_kpc))
        runs[mode] = (march(GRID, prob, "bdf2", solver), solver.stats)
    (auto, st_auto), (off, st_off) = runs["auto"], runs["off"]
    assert st_auto.krylov_iterations > 0
    assert st_auto.half_solves == (1 if z_source_kpc == 0.0 else 0) and st_off.half_solves == 0
    _close(auto.density, off.density, 1e-8)
    for name in ("injected", "escaped", "destroyed"):
        _close(getattr(auto, name), getattr(off, name), 1e-8)
