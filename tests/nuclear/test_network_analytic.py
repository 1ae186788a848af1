"""The network in the transport: a primary and its secondary against exact series solutions.

Set-up: uniform D (no growth in z), no energy losses, the source and all the gas in
one slab |z| < h (gas: pure H of density n0), 12C injected, 11B and 10Be produced by
spallation on the gas only, destroyed by inelastic collisions in the slab, 10Be also by
decay everywhere (lifetime gamma tau). Each Fourier-Bessel mode of the radial source
profile is then a layered one-dimensional problem with the closed form of
``analytic.layered_mode``; the secondary's source is the primary's own solution times
the production rate, so the series is exact for the coupled pair.
"""

import numpy as np
import pytest
from analytic import layered_mode
from scipy import special

import escapade
from escapade.constants import C_CM_S, MB_CM2, MYR_S
from escapade.galaxy.gas import GasOnGrid
from escapade.galaxy.sources import Lorimer
from escapade.model import Model

H_SLAB, N0 = 0.2, 1.0


def _model(species):
    cfg = escapade.validate_config(
        {
            "grid": {
                "nr": 81,
                "nz": 161,
                "n_ekin": 4,
                "ekin_min_gev_per_n": 1.0,
                "ekin_max_gev_per_n": 10.0,
            },
            "diffusion": {"model": "uniform", "z_scale_kpc": float("inf"), "eta": 0.0},
            "source": {"vertical": "slab", "vertical_scale_kpc": H_SLAB},
            "gas": {"enabled": False},
            "losses": {"enabled": False},
            "species": {"propagate": species, "abundances": {"12C": 1.0}},
            "solver": {"rtol": 1e-11},
        }
    )
    m = Model.from_config(cfg)
    g = m.grid
    dz = g.z_hi_kpc - g.z_lo_kpc
    frac = np.clip(np.minimum(g.z_hi_kpc, H_SLAB) - np.maximum(g.z_lo_kpc, -H_SLAB), 0, None) / dz
    disk = N0 * np.repeat(frac[None, :], g.nr, axis=0)
    m.gas = GasOnGrid(hi=disk, h2=np.zeros_like(disk), hii=np.zeros_like(disk), he_to_h=0.0)
    return m


def _series(m, k, r, z, daughter, n_terms=150):
    """Primary 12C and one daughter at energy index k, summed over Bessel modes."""
    net, g = m.network, m.grid
    e = g.ekin_gev_per_n[k]
    d = m.diffusion_on_faces(net.nuclides["12C"], k)[0][0, 0]  # uniform in space
    d_d = m.diffusion_on_faces(net.nuclides[daughter], k)[0][0, 0]  # other A/Z: other D
    v = {n: float(net.nuclides[n].beta(e)) * C_CM_S * MB_CM2 * MYR_S for n in ("12C", daughter)}
    g_p = v["12C"] * N0 * float(net.inelastic_mb("12C", "H", e))
    g_d = v[daughter] * N0 * float(net.inelastic_mb(daughter, "H", e))
    link = next(lk for lk in net.spallation_parents[daughter] if lk.parent == "12C")
    prod = v["12C"] * N0 * float(link.sigma_h(np.array([e]))[0])
    decay = float(net.decay_rate_per_myr(daughter, e))
    q0 = m.source_spectrum(net.nuclides["12C"])[k]
    zeros = special.jn_zeros(0, n_terms)
    big_r, big_h = g.r_max_kpc, g.halo_height_kpc
    xs = np.linspace(0, big_r, 20001)
    qr = Lorimer(sun_r_kpc=8.5).shape(xs)
    p_tot, d_tot = 0.0, 0.0
    for zeta in zeros:
        qn = np.trapezoid(xs * qr * special.j0(zeta * xs / big_r), xs)
        qn *= 2.0 / (big_r**2 * special.j1(zeta) ** 2)
        k2 = (zeta / big_r) ** 2
        const, terms, fp = layered_mode(
            d=d, k2=k2, h=H_SLAB, big_h=big_h, rate_in=g_p, rate_out=0.0, c0=qn * q0
        )
        _, _, fd = layered_mode(
            d=d_d,
            k2=k2,
            h=H_SLAB,
            big_h=big_h,
            rate_in=g_d + decay,
            rate_out=decay,
            c0=prod * const,
            cosh_terms=[(prod * c, kap) for c, kap in terms],
        )
        j = special.j0(zeta * r / big_r)
        p_tot = p_tot + j * fp(z)
        d_tot = d_tot + j * fd(z)
    return p_tot, d_tot


@pytest.mark.parametrize("daughter", ["11B", "10Be"])
def test_primary_and_secondary_match_series(daughter):
    m = _model(["12C", daughter])
    res = m.solve_species()
    g = m.grid
    k = 2
    isun = int(round(8.5 / g.dr_kpc))
    jz = np.arange(g.nz // 2, g.nz - 1, 4)
    p_ref, d_ref = _series(m, k, g.r_kpc[isun], g.z_kpc[jz], daughter)
    p_num = res["12C"].density[k][isun, jz]
    d_num = res[daughter].density[k][isun, jz]
    assert np.max(np.abs(p_num / p_ref - 1)) < 0.01
    assert np.max(np.abs(d_num / d_ref - 1)) < 0.01
    # along R in the plane too
    ir = np.arange(4, g.nr - 8, 8)
    p_ref_r, d_ref_r = _series(m, k, g.r_kpc[ir], 0.0, daughter)
    assert np.max(np.abs(res[daughter].density[k][ir, g.nz // 2] / d_ref_r - 1)) < 0.01


def test_decay_suppresses_10be_like_the_series():
    """The same 10Be without decay is larger by the factor the series predicts."""
    m = _model(["12C", "10Be"])
    k, g = 0, m.grid
    isun = int(round(8.5 / g.dr_kpc))
    with_decay = m.solve_species()["10Be"].density[k][isun, g.nz // 2]
    _, ref = _series(m, k, g.r_kpc[isun], 0.0, "10Be")
    m.network.radioactive.pop("10Be")
    without = m.solve_species()["10Be"].density[k][isun, g.nz // 2]
    assert without / with_decay > 1.5  # 1 GeV/n: gamma tau = 4 Myr, decay matters
    assert abs(with_decay / ref - 1) < 0.01
