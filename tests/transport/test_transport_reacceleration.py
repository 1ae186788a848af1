"""Reacceleration: momentum diffusion against its power-law solution, conservation, residuals."""

import numpy as np
import pytest
from conftest import small_config

import escapade
from escapade.constants import M_PROTON_GEV
from escapade.grid import Grid
from escapade.model import Model
from escapade.transport.solver import SCHEMES, SpeciesProblem, march


def _mode_shape(grid):
    from scipy.special import j0, jn_zeros

    zeta = jn_zeros(0, 1)[0]
    return grid.cell_average(
        lambda r, z: j0(zeta * r / grid.r_max_kpc) * np.cos(np.pi * z / (2 * grid.halo_height_kpc))
    )


def _power_law_problem(grid, d, kappa, s):
    """Uniform D, fundamental spatial mode, D_pp = kappa p^2, source f ~ p^-s (psi ~ p^(2-s))."""
    m = M_PROTON_GEV
    e = grid.ekin_gev_per_n
    p = np.sqrt(e * (e + 2 * m))
    beta = p / (e + m)
    shape = _mode_shape(grid)
    d_r = np.full((grid.nr - 1, grid.nz), d)
    d_z = np.full((grid.nr, grid.nz - 1), d)
    zero = np.zeros((grid.nr, grid.nz))

    def kface(k):
        ef = e[k] * np.exp(0.5 * grid.dlnekin)
        pf = np.sqrt(ef * (ef + 2 * m))
        return np.full((grid.nr, grid.nz), pf / (ef + m) * pf**4 * kappa)

    return SpeciesProblem(
        "test",
        diffusion=lambda k: (d_r, d_z),
        destruction=lambda k: zero,
        loss=lambda k: zero,
        source=lambda k: beta[k] * p[k] ** (2 - s) * shape,
        energy_diffusion=kface,
        energy_weight=beta / p**2,
    )


def _reacc_error(per_decade):
    grid = Grid.build(20.0, 4.0, 41, 81, 1.0, 1e6, 6 * per_decade + 1)
    d, s = 0.05, 4.5
    i, j = int(round(8.5 / grid.dr_kpc)), grid.nz // 2
    # escape rate of the discrete fundamental mode, from a solve without reacceleration
    plain = _power_law_problem(grid, d, 0.0, s)
    plain.energy_diffusion = None
    mu = plain.source(0)[i, j] / march(grid, plain).density[0, i, j]
    kappa = mu / 20.0
    prob = _power_law_problem(grid, d, kappa, s)
    n = march(grid, prob).density[:, i, j]
    e = grid.ekin_gev_per_n
    # psi = p^2 f, f = A p^-s with A = q0 / (mu + kappa s (3 - s)); N = beta psi
    exact = np.array([prob.source(k)[i, j] for k in range(len(e))]) / (mu + kappa * s * (3 - s))
    # away from the ends of the momentum grid, whose homogeneous solutions (p^3.2 from the
    # top, p^-6.2 from the bottom for kappa = mu/20) decay as p^7.7 and p^-1.7 relative to f
    keep = (e > 1e2) & (e < 1e4)
    without = exact * (mu + kappa * s * (3 - s)) / mu  # the same source without reacceleration
    return np.max(np.abs(n[keep] / exact[keep] - 1.0)), n[keep] / without[keep]


def test_momentum_diffusion_power_law_solution():
    """D_pp = kappa p^2, source f ~ p^-s: f keeps the slope, amplitude 1/(mu + kappa s (3-s))."""
    err8, boost = _reacc_error(8)
    err16, _ = _reacc_error(16)
    assert err8 < 0.05 and err16 < 0.012, (err8, err16)
    assert np.log2(err8 / err16) > 1.6
    # the effect itself is large (s = 4.5: reacceleration raises N by 1 / (1 - 0.3375))
    assert np.all(boost > 1.4)


def test_conservation_with_reacceleration_and_wind():
    cfg = small_config(
        reacceleration={"v_alfven_km_s": 30.0},
        convection={"v0_km_s": 10.0, "dvdz_km_s_per_kpc": 5.0},
        diffusion={"tau": 0.5},
        grid={"n_ekin": 24},
    )
    m = Model.from_config(cfg)
    nuc = m.species[-1]
    prob = m.problem(nuc)
    res = march(m.grid, prob, "bdf2")
    g = m.grid
    h, e, ne = g.dlnekin, g.ekin_gev_per_n, g.n_ekin
    vol = g.volume_kpc3
    gflux = np.array([np.sum(vol * m.loss_rate(nuc, k) * res.density[k]) for k in range(ne)])
    bottom = 0.0
    for k in range(ne):
        a, b1, b2 = SCHEMES["bdf2"] if k <= ne - 3 else SCHEMES["upwind"]
        gk1 = gflux[k + 1] if k + 1 < ne else 0.0
        gk2 = gflux[k + 2] if k + 2 < ne else 0.0
        bottom += a * gflux[k] - b1 * gk1 - b2 * gk2
    top_step = e[-1] * (np.exp(h) - 1.0)
    top = np.sum(vol * prob.energy_diffusion(ne - 1) * prob.energy_weight[-1] * res.density[-1])
    top /= top_step
    lhs = np.sum(h * e * (res.injected - res.escaped - res.destroyed))
    np.testing.assert_allclose(lhs, bottom + top, rtol=1e-6)


def test_krylov_residual_is_checked_and_reported():
    cfg = small_config(reacceleration={"v_alfven_km_s": 20.0})
    ds = escapade.solve(cfg)
    assert 0 < ds.attrs["solver_krylov_iterations"] < 200
    assert ds.attrs["solver_max_relative_residual"] < 100 * cfg.solver.coupled_rtol
    # a tighter coupled tolerance gives a smaller checked residual and the same answer to
    # well below the discretisation error (measured: 3e-5 at the lowest energies here)
    tight = escapade.solve(escapade.with_updates(cfg, {"solver.coupled_rtol": 1e-11}))
    assert tight.attrs["solver_max_relative_residual"] < 1e-9
    assert tight.attrs["solver_krylov_iterations"] > ds.attrs["solver_krylov_iterations"]
    np.testing.assert_allclose(
        tight.flux_local.sel(species="1H").values,
        ds.flux_local.sel(species="1H").values,
        rtol=1e-4,
    )
    plain = escapade.solve(small_config())
    # reacceleration moves protons from ~1 GeV to higher energy: the low-energy flux drops
    f_r = ds.flux_local.sel(species="1H").values
    f_p = plain.flux_local.sel(species="1H").values
    assert f_r[0] < f_p[0]


def test_seo_ptuskin_needs_positive_delta():
    with pytest.raises(escapade.ConfigError, match="needs diffusion.delta > 0"):
        small_config(reacceleration={"v_alfven_km_s": 20.0}, diffusion={"delta": 0.0})
