"""The isotropic axisymmetric limit: the 3D engine vs the 2D (R, z) engine and the
Fourier-Bessel series (tests/analytic.py) for a slab source of radial profile q(R).

D_par = D_perp (the field, azimuthal here, then does nothing): the density at the Sun
(R = 8.5 kpc, z = 0) and its radial gradient there (what the dipole anisotropy
delta = 3 D |grad N| / (c N) is made of) at matched resolution (dx = dR = 0.5 kpc,
dz = 0.2 kpc).
"""

import numpy as np
import scipy.sparse.linalg as spla
from analytic import bessel_slab_density

from escapade.grid import Grid
from escapade.grid3d import Grid3D
from escapade.transport import operator as op2d
from escapade.transport3d import assemble, solve_steady

R_MAX, H, SLAB, D, SUN = 10.0, 2.0, 0.5, 0.3, 8.5


def q_of_r(r):
    return np.exp(-r / 4.0)


def source(r, z):
    return np.where((r < R_MAX) & (np.abs(z) < SLAB), q_of_r(r), 0.0)


def solve_3d(nxy=41, nz=21):
    grid = Grid3D(R_MAX, H, nxy, nz)
    x, y, z = grid.mesh()
    r = np.hypot(x, y)
    b = np.stack([-y, x, np.zeros_like(x)], axis=-1) / np.where(r > 0, r, 1.0)[..., None]
    op = assemble(grid, D, D, b)
    rhs = grid.to_unknowns(source(r, z)) * grid.cell_volume_kpc3
    res = solve_steady(grid, op.matrix, 0.0, rhs, rtol=1e-10)
    n = grid.to_full(res.u)
    i = int(np.argmin(np.abs(grid.x_kpc - SUN)))
    j, k = nxy // 2, nz // 2
    assert np.isclose(grid.x_kpc[i], SUN) and grid.z_kpc[k] == 0.0
    grad = (n[i + 1, j, k] - n[i - 1, j, k]) / (2 * grid.dx_kpc)
    return n[i, j, k], grad


def solve_2d(nr=21, nz=21):
    grid = Grid(R_MAX, H, nr, nz, np.array([1.0]))
    geom = op2d.FaceGeometry(grid)
    t_r, t_z = op2d.conductances(geom, np.full((nr - 1, nz), D), np.full((nr, nz - 1), D))
    m = op2d.assemble(grid, t_r, t_z, np.zeros((nr, nz)))
    q = source(grid.r_kpc[:, None], grid.z_kpc[None, :])
    n = op2d.to_full(grid, spla.spsolve(m, op2d.to_unknowns(grid, grid.volume_kpc3 * q)))
    i = int(np.argmin(np.abs(grid.r_kpc - SUN)))
    k = nz // 2
    return n[i, k], (n[i + 1, k] - n[i - 1, k]) / (2 * grid.dr_kpc)


def test_isotropic_3d_matches_2d_engine_and_bessel_series():
    n3, g3 = solve_3d()
    n2, g2 = solve_2d()
    exact = bessel_slab_density(
        SUN, 0.0, r_max_kpc=R_MAX, h_kpc=H, slab_half_kpc=SLAB, d_kpc2_myr=D, q_of_r=q_of_r
    )[0]
    h = 1e-3
    dexact = (
        bessel_slab_density(
            SUN + h, 0.0, r_max_kpc=R_MAX, h_kpc=H, slab_half_kpc=SLAB, d_kpc2_myr=D, q_of_r=q_of_r
        )[0]
        - bessel_slab_density(
            SUN - h, 0.0, r_max_kpc=R_MAX, h_kpc=H, slab_half_kpc=SLAB, d_kpc2_myr=D, q_of_r=q_of_r
        )[0]
    ) / (2 * h)
    print(
        n3 / n2 - 1, n3 / exact - 1, n2 / exact - 1, g3 / g2 - 1, g3 / dexact - 1, g2 / dexact - 1
    )
    assert abs(n3 / n2 - 1.0) < 0.01
    assert abs(n3 / exact - 1.0) < 0.01
    assert abs(g3 / g2 - 1.0) < 0.01
