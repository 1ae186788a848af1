"""Sky maps through the 3D survey gas: the projection kernel against direct sums, the survey
constraint, the nside changes, and the maps of a solution end to end."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy_healpix import healpix_to_lonlat, nside_to_npix
from conftest import tiny_config

import escapade
from escapade.constants import KPC_CM
from escapade.galaxy.gas import AnalyticGas
from escapade.galaxy.gas3d import SurveyGas3D
from escapade.sky.compare import regrid
from escapade.sky.geometry import Geometry
from escapade.sky.los3d import gas_kernel, kernel_maps

GEOM = Geometry(8.5, 20.0, 4.0)


@pytest.fixture(scope="module")
def gas() -> SurveyGas3D:
    return SurveyGas3D(sun_r_kpc=8.5, r_max_kpc=20.0, z_max_kpc=4.0)


@pytest.fixture(scope="module")
def kernel(gas):
    return gas_kernel(gas, GEOM)


def _direct(gas, q_of_rz, lon, lat, n=40_000) -> dict[str, float]:
    """I = int q n ds by the midpoint rule on n uniform steps: the test's own quadrature."""
    from escapade.galaxy.gas3d.survey import path_length_kpc, point_on_sightline

    s_max = float(path_length_kpc(lon, lat, 8.5, 20.0, 4.0))
    s = (np.arange(n) + 0.5) * s_max / n
    x, y, z = point_on_sightline(lon, lat, s, 8.5)
    q = q_of_rz(np.hypot(x, y), z)
    ds = s_max / n * KPC_CM
    hi = gas.hi_model.n_hi_cm3(x, y, z) * gas.hi_factor[gas.sky.pixel_of(lon, lat)]
    return {
        "HI": float(np.sum(q * hi) * ds),
        "H2": float(np.sum(q * 2.0 * gas.n_h2_3d_cm3(x, y, z)) * ds),
        "HII": float(np.sum(q * gas.n_hii_3d_cm3(x, y, z)) * ds),
    }


def test_q_one_gives_the_hi4pi_column_in_every_pixel(gas, kernel):
    ones = np.ones((kernel.r_axis.size, kernel.z_axis.size))
    hi = kernel_maps(kernel, ones, 64)["HI"][:, 0]
    assert np.max(np.abs(hi / gas.hi4pi_cm2 - 1.0)) < 1e-5


def test_kernel_matches_a_direct_sum_with_a_varying_emissivity(gas, kernel):
    """q(R, z) = (1 + R / 5 kpc) exp(-|z| / 1 kpc): the kernel's quadrature and its bilinear
    projection against 40 000-step sums, in the plane and off it, towards the bar and away."""

    def q_of_rz(r, z):
        return (1.0 + r / 5.0) * np.exp(-np.abs(z) / 1.0)

    table = q_of_rz(kernel.r_axis[:, None], kernel.z_axis[None, :])
    maps = kernel_maps(kernel, table, 64)
    pix = np.array([24576 + 64 * k for k in (0, 3, 17, 31, 64, 100)] + [5000, 40000])
    lon, lat = healpix_to_lonlat(pix, 64, order="ring")
    for p, lo, la in zip(pix, lon.to_value(u.rad), lat.to_value(u.rad), strict=True):
        ref = _direct(gas, q_of_rz, lo, la)
        for phase in ("HI", "H2", "HII"):
            if ref[phase] > 1e18:
                assert maps[phase][p, 0] == pytest.approx(ref[phase], rel=0.01), (phase, p)


def _to_nside(values, nside_from, nside_to):
    """What kernel_maps does to a (npix, C) map: regrid column by column."""
    return np.column_stack([regrid(c, nside_to) for c in values.T])


def test_nside_changes_repeat_or_average_the_nested_children():
    rng = np.random.default_rng(3)
    m64 = rng.random((nside_to_npix(64), 2))
    up = _to_nside(m64, 64, 128)
    np.testing.assert_allclose(_to_nside(up, 128, 64), m64, rtol=1e-12)
    down = _to_nside(m64, 64, 16)
    assert down.shape == (nside_to_npix(16), 2)
    np.testing.assert_allclose(down.mean(axis=0), m64.mean(axis=0), rtol=1e-12)


def test_an_axisymmetric_gas_has_no_kernel():
    with pytest.raises(ValueError, match="AnalyticGas has no 3D face; allowed: .gas. model"):
        gas_kernel(AnalyticGas(), GEOM)


def test_skymap_of_a_survey3d_solution(tmp_path):
    cfg = tiny_config(16, species={"propagate": ["1H", "4He"]}, gas={"model": "survey3d"})
    sol = escapade.Solution.compute(cfg, full=True)
    smap = escapade.skymap(sol, (2.0, 20.0), 32)
    assert set(smap.maps) == {"HI", "H2", "HII", "total"}
    phases = smap.maps["HI"] + smap.maps["H2"] + smap.maps["HII"]
    np.testing.assert_allclose(smap.maps["total"], phases, rtol=1e-12)
    assert np.all(smap.maps["total"] > 0)
    assert smap.meta["gas_model"] == "survey3d"
    # the 3D gas breaks the l -> -l symmetry of the axisymmetric maps
    lon, lat = healpix_to_lonlat(np.arange(nside_to_npix(32)), 32, order="ring")
    plane = np.abs(lat.to_value(u.deg)) < 3
    east = plane & (np.abs(lon.to_value(u.deg) - 20) < 3)
    west = plane & (np.abs(lon.to_value(u.deg) - 340) < 3)
    assert smap.maps["H2"][east].mean() != pytest.approx(smap.maps["H2"][west].mean(), rel=0.05)
    paths = smap.write_fits(tmp_path)
    assert len(paths) == 4
