"""Convection: a 1D convection-diffusion slab against its closed form."""

import numpy as np
from conftest import ONLY_1H, tiny_config
from scipy.special import j0, jn_zeros

import escapade
from escapade.model import Model
from escapade.transport.convection import KM_S_IN_KPC_MYR
from escapade.transport.solver import march


def _closed_form(z, *, d, v, k2, h, big_h, q):
    """Mode amplitude f(z) for D (f'' - k^2 f) - v sign(z) f' + q 1(|z| < h) = 0, f(+-H) = 0.

    For z > 0: inside the slab f = q/(D k^2) + A e^(m1 z) + B e^(m2 z), outside
    f = C (e^(m1 (z - H)) - e^(m2 (z - H))), m = (v +- sqrt(v^2 + 4 D^2 k^2)) / (2 D).
    By symmetry the total flux D f' - v f vanishes at z = 0+; f and f' are continuous at h.
    """
    root = np.sqrt(v**2 + 4 * d**2 * k2)
    m1, m2 = (v + root) / (2 * d), (v - root) / (2 * d)
    fp = q / (d * k2)
    a = np.array(
        [
            [d * m1 - v, d * m2 - v, 0.0],
            [
                np.exp(m1 * h),
                np.exp(m2 * h),
                -(np.exp(m1 * (h - big_h)) - np.exp(m2 * (h - big_h))),
            ],
            [
                m1 * np.exp(m1 * h),
                m2 * np.exp(m2 * h),
                -(m1 * np.exp(m1 * (h - big_h)) - m2 * np.exp(m2 * (h - big_h))),
            ],
        ]
    )
    rhs = np.array([v * fp, -fp, 0.0])
    ca, cb, cc = np.linalg.solve(a, rhs)
    az = np.abs(z)
    inside = fp + ca * np.exp(m1 * az) + cb * np.exp(m2 * az)
    outside = cc * (np.exp(m1 * (az - big_h)) - np.exp(m2 * (az - big_h)))
    return np.where(az <= h, inside, outside)


def test_wind_slab_matches_closed_form():
    v0 = 30.0
    cfg = escapade.validate_config(
        {
            "grid": {
                "nr": 41,
                "nz": 161,
                "n_ekin": 4,
                "ekin_min_gev_per_n": 10.0,
                "ekin_max_gev_per_n": 100.0,
            },
            "diffusion": {
                "model": "uniform",
                "z_scale_kpc": float("inf"),
                "eta": 0.0,
                "delta": 0.0,
            },
            "source": {"radial": "uniform", "vertical": "slab", "vertical_scale_kpc": 0.2},
            "convection": {"v0_km_s": v0},
            "gas": {"enabled": False},
            "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}},
        }
    )
    m = Model.from_config(cfg)
    g = m.grid
    zeta = jn_zeros(0, 1)[0]
    shape = g.cell_average(lambda r, z: j0(zeta * r / g.r_max_kpc) * (np.abs(z) < 0.2))
    nuc = m.species[0]
    prob = m.problem(nuc)
    prob.source = lambda k: shape
    prob.loss = lambda k: np.zeros((g.nr, g.nz))  # no adiabatic losses: pure transport
    n = march(g, prob).density[0]
    d = m.diffusion_on_faces(nuc, 0)[1][0, 0]
    i = int(round(8.0 / g.dr_kpc))
    exact = _closed_form(
        g.z_kpc[1:-1], d=d, v=v0 * KM_S_IN_KPC_MYR, k2=(zeta / 20.0) ** 2, h=0.2, big_h=4.0, q=1.0
    ) * j0(zeta * g.r_kpc[i] / 20.0)
    err = np.abs(n[i, 1:-1] / exact - 1.0)
    assert err.max() < 2e-3, err.max()
    # the wind matters here: without it the density in the plane is visibly higher
    no_wind = _closed_form(0.0, d=d, v=1e-12, k2=(zeta / 20.0) ** 2, h=0.2, big_h=4.0, q=1.0)
    assert exact[g.nz // 2 - 1] < 0.8 * no_wind * j0(zeta * g.r_kpc[i] / 20.0)


def test_adiabatic_losses_soften_low_energies():
    plain = escapade.solve(tiny_config(16, species=ONLY_1H))
    windy = escapade.solve(tiny_config(16, species=ONLY_1H, convection={"v0_km_s": 20.0}))
    ratio = windy.flux_local.values[0] / plain.flux_local.values[0]
    assert ratio[0] < 0.9 * ratio[-1]  # (both normalised at 100 GeV) stronger at low energy
