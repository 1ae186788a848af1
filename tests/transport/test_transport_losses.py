"""The energy march against leaky-box solutions with continuous losses."""

import numpy as np
import pytest
from analytic import loss_box_density

from escapade.grid import Grid
from escapade.transport.solver import SpeciesProblem, march


def _mode_problem(grid, d_kpc2_myr, b_of_e, q_of_e):
    """Uniform D, no gas, source in the fundamental (J0 x cos) mode; b(E) uniform in space."""
    from scipy.special import j0, jn_zeros

    zeta = jn_zeros(0, 1)[0]
    shape = grid.cell_average(
        lambda r, z: j0(zeta * r / grid.r_max_kpc) * np.cos(np.pi * z / (2 * grid.halo_height_kpc))
    )
    e = grid.ekin_gev_per_n
    d_r = np.full((grid.nr - 1, grid.nz), d_kpc2_myr)
    d_z = np.full((grid.nr, grid.nz - 1), d_kpc2_myr)
    prob = SpeciesProblem(
        "test",
        diffusion=lambda k: (d_r, d_z),
        destruction=lambda k: np.zeros((grid.nr, grid.nz)),
        loss=lambda k: np.full((grid.nr, grid.nz), b_of_e(e[k])),
        source=lambda k: q_of_e(e[k]) * shape,
    )
    return prob


def _escape_rate(grid, d):
    """Effective escape rate D lambda of the discrete fundamental mode (from a loss-free solve)."""
    prob = _mode_problem(grid, d, lambda e: 0.0, lambda e: 1.0)
    n = march(grid, prob, "upwind").density[0]
    i, j = int(round(8.5 / grid.dr_kpc)), grid.nz // 2
    return prob.source(0)[i, j] / n[i, j], (i, j)


def _power_law_error(scheme, per_decade):
    grid = Grid.build(20.0, 4.0, 41, 81, 0.1, 1e5, 6 * per_decade + 1)
    d = 0.05
    mu, (i, j) = _escape_rate(grid, d)
    b0, gam = 2.0 * mu, 2.7  # loss time half the escape time at every energy: a hard case
    prob = _mode_problem(grid, d, lambda e: b0 * e, lambda e: e**-gam)
    e = grid.ekin_gev_per_n
    n = march(grid, prob, scheme).density[:, i, j] / prob.source(0)[i, j] * e[0] ** -gam
    exact = e**-gam / (b0 * (gam - 1.0) + mu)
    keep = e < 1e3  # two decades below the artificial cut-off at the top of the grid
    return np.max(np.abs(n / exact - 1.0)[keep])


@pytest.mark.parametrize(("scheme", "order", "tol8"), [("bdf2", 2.0, 0.05), ("upwind", 1.0, 0.2)])
def test_power_law_losses_closed_form(scheme, order, tol8):
    """b = b0 E, escape rate mu, Q = E^-gamma: N = E^-gamma / (b0 (gamma - 1) + mu) exactly.

    The error falls at the scheme's order when the energy grid is refined.
    """
    e8, e16 = _power_law_error(scheme, 8), _power_law_error(scheme, 16)
    assert e8 < tol8, e8
    observed = np.log2(e8 / e16)
    assert abs(observed - order) < 0.35, (e8, e16, observed)


def _constant_loss_error(n_ekin):
    grid = Grid.build(20.0, 4.0, 41, 81, 0.1, 1e4, n_ekin)
    d = 0.05
    mu, (i, j) = _escape_rate(grid, d)
    b0, gam = 3.0 * mu, 2.5  # at 0.1 GeV/n losses are 30 times faster than escape
    q = lambda e: e**-gam  # noqa: E731
    prob = _mode_problem(grid, d, lambda e: b0, q)
    e = grid.ekin_gev_per_n
    n = march(grid, prob, "bdf2").density[:, i, j] / (prob.source(0)[i, j] / q(e[0]))
    keep = e < 1e2
    ref = loss_box_density(e[keep], escape_rate=lambda x: mu, loss_rate=lambda x: b0, source=q)
    return np.max(np.abs(n[keep] / ref - 1.0)), n[0] / (q(e[0]) / mu)


def test_constant_losses_against_quadrature():
    """b = const (ionisation-like): the spectrum bends at low energy; BDF2 is 2nd order."""
    e10, suppression = _constant_loss_error(41)  # 10 per decade
    e20, _ = _constant_loss_error(81)
    assert e10 < 0.06 and e20 < 0.015, (e10, e20)
    assert np.log2(e10 / e20) > 1.6
    # losses visibly flatten the spectrum at low energy
    assert suppression < 0.5
