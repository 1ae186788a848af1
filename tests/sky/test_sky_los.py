"""Line-of-sight integration, HEALPix sky maps, FITS output and longitude profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.io import fits
from conftest import small_config

import escapade
from escapade.emission import emissivity
from escapade.sky import geometry, integrand, pixels
from escapade.sky.geometry import Geometry, Stepping, path_length_kpc
from escapade.sky.los import los_integrate

GEOM = Geometry(8.5, 20.0, 4.0)
DIRS_DEG = [
    (0, 0),
    (90, 0),
    (180, 0),
    (30, 0.5),
    (300, -2),
    (45, 10),
    (120, -45),
    (0, 90),
    (200, -89),
]


def _table(func, st=None):
    r, z = integrand.table_axes(GEOM, st or Stepping())
    return func(r[:, None], z[None, :])


def _dirs():
    lr, br = np.radians(np.array(DIRS_DEG, float)).T
    return lr, br


def test_path_length_to_cylinder_edge():
    lr, br = _dirs()
    s = path_length_kpc(lr, br, GEOM)
    assert s[0] == pytest.approx(8.5 + 20.0)
    assert s[1] == pytest.approx(math.sqrt(20.0**2 - 8.5**2))
    assert s[2] == pytest.approx(20.0 - 8.5)
    assert s[7] == pytest.approx(4.0)
    # the end point lies on the cylinder
    x = 8.5 - s * np.cos(br) * np.cos(lr)
    y = s * np.cos(br) * np.sin(lr)
    z = s * np.sin(br)
    on_r = np.isclose(np.hypot(x, y), 20.0)
    on_z = np.isclose(np.abs(z), 4.0)
    assert np.all(on_r | on_z)


def test_constant_emissivity_in_uniform_cylinder_gives_path_length():
    lr, br = _dirs()
    col = los_integrate(_table(lambda r, z: 0 * r + 0 * z + 1.0), GEOM, lr, br)[:, 0]
    np.testing.assert_allclose(col, path_length_kpc(lr, br, GEOM), rtol=1e-5)


@pytest.mark.parametrize("b_deg", [0.0, 0.5, 2.0, 10.0, 45.0, 90.0, -30.0])
def test_thin_exponential_slab_column(b_deg):
    # n = exp(-|z| / 0.1 kpc): column h / |sin b| (1 - exp(-s_max |sin b| / h))
    h = 0.1
    tab = _table(lambda r, z: np.exp(-np.abs(z) / h) + 0 * r)
    for l_deg in (0.0, 77.0, 180.0):
        lr, br = np.radians([l_deg]), np.radians([b_deg])
        col = los_integrate(tab, GEOM, lr, br)[0, 0]
        smax = path_length_kpc(lr, br, GEOM)[0]
        sb = abs(math.sin(br[0]))
        exact = smax if sb < 1e-12 else h / sb * (1 - math.exp(-smax * sb / h))
        assert col == pytest.approx(exact, rel=1e-3)


def test_sky_total_equals_volume_integral_seen_from_the_sun():
    # sum_pix I Omega_pix = int dV f / d^2 for a smooth ring (f ~ 0 at the Sun)
    f = lambda r, z: np.exp(-(((r - 4.0) / 1.0) ** 2) - (z / 0.3) ** 2)  # noqa: E731
    nside = 32
    lon, lat = pixels.pixel_lonlat_deg(nside)
    i = los_integrate(_table(f), GEOM, np.radians(lon), np.radians(lat))[:, 0]
    lhs = i.sum() * 4 * math.pi / i.size
    dr, nphi = 0.01, 720
    r = np.arange(dr / 2, 9.0, dr)
    z = np.linspace(-1.5, 1.5, 301)
    phi = (np.arange(nphi) + 0.5) * 2 * math.pi / nphi
    cosphi = np.cos(phi)[None, :]
    rhs = 0.0
    for zz in z:
        d2 = r[:, None] ** 2 + 8.5**2 - 2 * 8.5 * r[:, None] * cosphi + zz**2
        rhs += np.sum(f(r, zz)[:, None] * r[:, None] / d2)
    rhs *= dr * (2 * math.pi / nphi) * (z[1] - z[0])
    assert lhs == pytest.approx(rhs, rel=1e-3)


@pytest.fixture(scope="module")
def solution():
    return escapade.solve(small_config(), full=True)


def test_model_map_converges_with_refined_steps(solution):
    # path steps halved and quartered on the same integrand table (whose own resolution,
    # 0.025 x 0.0025 kpc, changes maps by < 2e-3 when doubled)
    q = emissivity(solution, (2.0, 20.0))
    gas = geometry.gas_of(solution)
    geom = geometry.geometry_of(solution)
    tab = integrand.integrand_table(q, gas, geom, Stepping())
    lon, lat = pixels.pixel_lonlat_deg(8)
    lr, br = np.radians(lon), np.radians(lat)
    out = []
    for f in (1.0, 2.0, 4.0):
        st = Stepping(0.2 / f, 0.05 / f, 0.02 / f)
        out.append(los_integrate(tab, geom, lr, br, st).sum(1))
    err_default = np.abs(out[0] / out[2] - 1).max()
    err_refined = np.abs(out[1] / out[2] - 1).max()
    assert err_default < 2e-3
    assert err_refined < err_default


def test_skymap_components_symmetry_and_direct_pixels(solution):
    smap = escapade.sky.skymap(solution, (2.0, 20.0), nside=16)
    assert set(smap.maps) == {"HI", "H2", "HII", "total"}
    tot = smap.maps["HI"] + smap.maps["H2"] + smap.maps["HII"]
    np.testing.assert_allclose(smap.total, tot)
    assert np.all(np.isfinite(smap.total)) and np.all(smap.total > 0)
    # pixels obtained by mirroring l -> -l equal a direct integration
    lon, lat = smap.lonlat_deg()
    pick = np.nonzero(lon > 180)[0][::97]
    q = emissivity(solution, (2.0, 20.0))
    geom = geometry.geometry_of(solution)
    tab = integrand.integrand_table(q, geometry.gas_of(solution), geom)
    direct = los_integrate(tab, geom, np.radians(lon[pick]), np.radians(lat[pick])).sum(1)
    np.testing.assert_allclose(smap.total[pick], direct * 3.0856775814913673e21, rtol=1e-5)
    # the inner Galaxy is brighter than the anticentre and the poles
    i_gc = smap.total[np.argmin((lon - 0.0) ** 2 + lat**2)]
    i_ac = smap.total[np.argmin((lon - 180.0) ** 2 + lat**2)]
    assert i_gc > 1.5 * i_ac > 1.5 * smap.total[np.argmax(lat)]


def test_fits_output_has_healpix_headers_and_band(solution, tmp_path):
    smap = escapade.sky.skymap(solution, (1.104, 1.442), nside=8)
    paths = smap.write_fits(tmp_path)
    names = sorted(p.name for p in paths)
    assert any("total" in n for n in names) and any("HII" in n for n in names)
    with fits.open(tmp_path / smap.fits_name("H2")) as hdul:
        h = hdul["SKYMAP"].header
        assert (h["PIXTYPE"], h["ORDERING"], h["COORDSYS"], h["NSIDE"]) == (
            "HEALPIX",
            "RING",
            "G",
            8,
        )
        assert h["INDXSCHM"] == "IMPLICIT" and h["LASTPIX"] == 767
        np.testing.assert_array_equal(hdul["SKYMAP"].data["CHANNEL1"], smap.maps["H2"])
        eb = hdul["EBOUNDS"].data
        assert eb["E_MIN"][0] == pytest.approx(1.104e6) and eb["E_MAX"][0] == pytest.approx(1.442e6)


def test_longitude_profile_from_solution_matches_map_profile(solution):
    band = (2.0, 20.0)
    prof = escapade.sky.longitude_profile(solution, band, nside=16)
    smap = escapade.sky.skymap(solution, band, nside=16)
    prof2 = escapade.sky.longitude_profile(smap)
    np.testing.assert_allclose(prof["total"].values, prof2["total"].values, equal_nan=True)
    assert prof.sizes["l_deg"] == 180 and prof["l_deg"].values[0] == -179.0
    ok = prof["npix"].values > 0
    assert np.all(prof["total"].values[ok] > 0)


def test_profile_selection_matches_fermi_reference_npix():
    ref = escapade.sky.load_reference_profile(masked=False)
    sel, ib, edges = pixels.profile_selection(128)
    np.testing.assert_array_equal(np.bincount(ib, minlength=180), ref["npix"].values)
