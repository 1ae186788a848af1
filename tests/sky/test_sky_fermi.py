"""Fermi-LAT maps shipped with escapade: observed longitude profile and loaders."""

from __future__ import annotations

import numpy as np
import pytest

from escapade.sky import fermi
from escapade.sky.maps import SkyMap
from escapade.sky.pixels import pixel_lonlat_deg
from escapade.sky.profiles import profile_of_map


def test_maps_load_as_nside128_ring_galactic():
    m = fermi.load_fermi_maps()
    assert m.nside == 128 and m.counts.size == 196608
    assert m.pscmask.dtype == bool and 0 < m.pscmask.mean() < 0.5
    # the brightest pixel is Vela at (l, b) = (263.6, -2.8)
    lon, lat = pixel_lonlat_deg(128, [int(np.argmax(m.counts))])
    assert abs(lon[0] - 263.6) < 1.0 and abs(lat[0] + 2.8) < 1.0


@pytest.mark.parametrize("masked", [False, True])
def test_observed_profile_matches_shipped_profile(masked):
    obs = fermi.observed_longitude_profile(b_max_deg=5.0, l_bin_deg=2.0, mask=masked)
    ref = fermi.load_reference_profile(masked=masked)
    np.testing.assert_array_equal(obs["l_deg"].values, ref["l_deg"].values)
    np.testing.assert_array_equal(obs["npix"].values, ref["npix"].values)
    np.testing.assert_array_equal(obs["counts"].values, ref["counts"].values)
    np.testing.assert_allclose(obs["intensity"].values, ref["intensity"].values, rtol=1e-5)
    np.testing.assert_allclose(obs["error"].values, ref["error"].values, rtol=1e-3)
    if not masked:
        np.testing.assert_allclose(obs["mean_exposure"], ref["mean_exposure"], rtol=1e-5)


def test_model_profile_with_fermi_mask_and_exposure_uses_same_pixels():
    # a map equal to the Fermi intensity gives the observed profile back when weighted
    # by exposure with the same mask: the model and data estimators agree
    m = fermi.load_fermi_maps()
    smap = SkyMap(128, (2.0, 20.0), {"total": m.intensity()})
    prof = profile_of_map(smap, mask="fermi", exposure="fermi")
    obs = fermi.observed_longitude_profile(mask=True)
    np.testing.assert_array_equal(prof["npix"].values, obs["npix"].values)
    np.testing.assert_allclose(prof["total"].values, obs["intensity"].values, rtol=1e-12)
    res = fermi.profile_residuals(prof, obs)
    assert res.attrs["chi2"] == pytest.approx(0.0, abs=1e-12)


def test_local_hi_emissivity_loader():
    em = fermi.load_local_hi_emissivity()
    assert em.sizes["egamma_gev"] == 26
    assert em["e2q"].attrs["units"].startswith("MeV")
    e = em["egamma_gev"].values
    np.testing.assert_allclose(em["q"].values * e**2 * 1e3, em["e2q"].values)
    peg = fermi.load_local_hi_emissivity("MBM-Pegasus")
    assert peg.sizes["egamma_gev"] == 10
