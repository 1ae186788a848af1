"""4FGL-DR2 point sources as a sky-map component (escapade.sky.point_sources)."""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import pytest
from astropy_healpix import lonlat_to_healpix

from escapade.sky import point_sources as ps
from escapade.sky.pixels import pixel_lonlat_deg

BAND = (2.0, 20.0)


def test_catalogue_reads_and_drops_rows_without_power_law():
    cat = ps.load_4fgl_dr2()
    assert len(cat) == 5787  # 5788 rows in the extract, the Crab IC component dropped
    assert cat.dropped == ("4FGL_J0534.5+2201i",)
    assert np.all(np.isfinite(cat.flux1000)) and np.all(cat.flux1000 > 0)
    assert np.all((cat.l_deg >= 0) & (cat.l_deg < 360)) and np.all(np.abs(cat.b_deg) <= 90)


def test_flux_column_is_photon_flux_per_cm2_s():
    # with Flux1000 in ph cm^-2 s^-1 the power-law normalisation implies pivot energies
    # inside the 4FGL analysis band (50 MeV - 1 TeV); a per-MeV flux would not
    e0 = ps.load_4fgl_dr2().implied_pivot_mev()
    assert np.all((e0 > 45.0) & (e0 < 1e6))
    assert 500.0 < np.median(e0) < 5000.0


def test_band_flux_is_flux1000_in_its_own_band_and_the_power_law_integral():
    cat = ps.load_4fgl_dr2()
    np.testing.assert_allclose(cat.band_flux((1.0, 100.0)), cat.flux1000, rtol=1e-12)
    e0 = cat.implied_pivot_mev()
    for i in (0, 100, 4000):
        f = ps.integral_flux(
            lambda e, i=i: ps.powerlaw(e, cat.pl_norm[i], e0[i], cat.pl_index[i]), BAND
        )
        assert math.isclose(f, cat.band_flux(BAND)[i], rel_tol=1e-5)


def test_spectral_forms_reduce_to_the_power_law():
    e = np.geomspace(100.0, 1e5, 7)
    pl = ps.powerlaw(e, 1e-12, 1000.0, 2.2)
    np.testing.assert_allclose(ps.logparabola(e, 1e-12, 1000.0, 2.2, 0.0), pl, rtol=1e-12)
    np.testing.assert_allclose(
        ps.plsuperexpcutoff2(e, 1e-12, 1000.0, 2.2, 0.0, 0.667), pl, rtol=1e-12
    )
    # a cut-off spectrum has less flux above the pivot than its power law
    cut = ps.integral_flux(lambda x: ps.plsuperexpcutoff2(x, 1e-12, 1000.0, 1.5, 0.01, 0.667), BAND)
    assert cut < ps.integral_flux(lambda x: ps.powerlaw(x, 1e-12, 1000.0, 1.5), BAND)


@pytest.mark.parametrize("psf", [None, 0.5])
def test_map_total_flux_equals_sum_of_catalogue_fluxes(psf):
    cat = ps.load_4fgl_dr2()
    n = None if psf is None else 200
    m = ps.point_source_map(64, BAND, n_brightest=n, psf=psf)
    total = m.sum() * 4.0 * math.pi / m.size
    expected = cat.band_flux(BAND).sum() if n is None else np.sort(cat.band_flux(BAND))[-n:].sum()
    assert math.isclose(total, expected, rel_tol=1e-10)
    assert np.all(m >= 0)


@pytest.mark.parametrize("nside", [32, 128, 256])
def test_vela_lands_in_its_pixel(nside):
    # 4FGL J0835.3-4510 (Vela) is the brightest source of the band
    # (l, b) of its row in the extract: 263.5537109, -2.7877266
    m = ps.point_source_map(nside, BAND)
    pix = int(lonlat_to_healpix(263.5537109 * u.deg, -2.7877266 * u.deg, nside, order="ring"))
    assert int(np.argmax(m)) == pix
    lon, lat = pixel_lonlat_deg(nside, [pix])
    size = math.degrees(math.sqrt(4 * math.pi / m.size))
    assert abs(lon[0] - 263.55) < size and abs(lat[0] + 2.79) < size
    vela = ps.load_4fgl_dr2().brightest(1, BAND)
    assert vela.name[0] == "4FGL_J0835.3-4510"
    assert math.isclose(m[pix] * 4 * math.pi / m.size, vela.band_flux(BAND)[0], rel_tol=0.05)


def test_psf3_smoothing_spreads_vela_but_keeps_its_flux():
    assert 0.2 < ps.psf3_scale_deg(2.0) < 0.3  # Cicerone P8R3_V2 PSF3 scale at 2 GeV
    one = ps.load_4fgl_dr2().brightest(1, BAND)
    sharp = ps.point_source_map(256, BAND, one)
    smooth = ps.point_source_map(256, BAND, one, psf="psf3")
    assert (smooth > 0).sum() > (sharp > 0).sum()
    assert math.isclose(smooth.sum(), sharp.sum(), rel_tol=1e-12)


def test_skymap_carries_the_component_and_meta():
    sm = ps.point_source_skymap(32, BAND, n_brightest=10)
    assert list(sm.maps) == ["point_sources"] and sm.meta["n_sources"] == 10
    assert math.isclose(
        sm.sky_integral("point_sources"),
        np.sort(ps.load_4fgl_dr2().band_flux(BAND))[-10:].sum(),
        rel_tol=1e-10,
    )


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"nside": 100}, "nside=100"),
        ({"band_gev": (20.0, 2.0)}, "band_gev="),
        ({"n_brightest": 0}, "n_brightest=0"),
        ({"psf": -1.0}, "psf=-1.0"),
        ({"psf": "king"}, "psf='king'"),
    ],
)
def test_bad_input_is_one_line_naming_the_parameter(kwargs, word):
    args = {"nside": 32, "band_gev": BAND} | kwargs
    with pytest.raises(ValueError) as exc:
        ps.point_source_map(**args)
    assert word in str(exc.value) and "\n" not in str(exc.value)
