"""The finite-volume solver against the Fourier-Bessel series solution (uniform D, slab source)."""

import numpy as np
import pytest
from analytic import bessel_slab_density

import escapade
from escapade.constants import CM2_S_PER_KPC2_MYR
from escapade.galaxy.sources import Lorimer
from escapade.model import Model
from escapade.transport.solver import march


def _uniform_slab_model(nr, nz, slab=0.1):
    cfg = escapade.validate_config(
        {
            "grid": {
                "nr": nr,
                "nz": nz,
                "n_ekin": 4,
                "ekin_min_gev_per_n": 10.0,
                "ekin_max_gev_per_n": 100.0,
            },
            "diffusion": {"model": "uniform", "z_scale_kpc": float("inf"), "eta": 0.0},
            "source": {"vertical": "slab", "vertical_scale_kpc": slab},
            "gas": {"enabled": False},
            "species": {"propagate": ["1H"], "abundances": {"1H": 1.0}},
        }
    )
    return Model.from_config(cfg)


@pytest.mark.parametrize("k", [0, 3])
def test_default_grid_matches_bessel_series(k):
    m = _uniform_slab_model(81, 161)
    nuc = m.species[0]
    res = march(m.grid, m.problem(nuc))
    g = m.grid
    d = m.diffusion_at_sun_cm2_s(nuc)[k] / CM2_S_PER_KPC2_MYR
    q0 = m.source_spectrum(nuc)[k]
    kw = dict(
        r_max_kpc=20.0,
        h_kpc=4.0,
        slab_half_kpc=0.1,
        d_kpc2_myr=d,
        q_of_r=Lorimer(sun_r_kpc=8.5).shape,
        q0=q0,
    )
    jz = g.nz // 2
    ref_r = bessel_slab_density(g.r_kpc[:-1], 0.0, **kw)
    err_r = res.density[k][:-1, jz] / ref_r - 1.0
    assert np.max(np.abs(err_r)) < 5e-3
    isun = int(round(8.5 / g.dr_kpc))
    z = g.z_kpc[1:-1]
    ref_z = bessel_slab_density(8.5, z, **kw)
    err_z = res.density[k][isun, 1:-1] / ref_z - 1.0
    assert np.max(np.abs(err_z)) < 5e-3


def test_bessel_error_falls_at_second_order():
    errs = []
    for nr, nz in [(41, 81), (81, 161)]:
        m = _uniform_slab_model(nr, nz)
        nuc = m.species[0]
        res = march(m.grid, m.problem(nuc))
        g = m.grid
        d = m.diffusion_at_sun_cm2_s(nuc)[1] / CM2_S_PER_KPC2_MYR
        ref = bessel_slab_density(
            8.5,
            0.0,
            r_max_kpc=20.0,
            h_kpc=4.0,
            slab_half_kpc=0.1,
            d_kpc2_myr=d,
            q_of_r=Lorimer(sun_r_kpc=8.5).shape,
            q0=m.source_spectrum(nuc)[1],
        )
        num = res.density[1][int(round(8.5 / g.dr_kpc)), g.nz // 2]
        errs.append(abs(num / ref[0] - 1.0))
    order = np.log2(errs[0] / errs[1])
    assert 1.7 < order < 2.5, (errs, order)
