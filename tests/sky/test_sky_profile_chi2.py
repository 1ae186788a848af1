"""The issue-16 longitude-profile chi2 is ``fermi_comparison(..., fit_norm=True)``.

The reduction issue 16 names: 180 bins of 2 deg, |b| < 5 deg, 2-20 GeV, the shipped
point-source mask, exposure-weighted bins, statistical errors, one free normalisation of
the whole model and a free isotropic term. These tests pin that
``escapade.sky.compare.fermi_comparison(smap, b_max_deg=5, l_bin_deg=2, isotropic="fit",
fit_norm=True)`` computes exactly that, by redoing it with numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from escapade.sky.compare import fermi_comparison
from escapade.sky.fermi import load_fermi_maps
from escapade.sky.maps import SkyMap
from escapade.sky.pixels import pixel_lonlat_deg, profile_selection

BAND = (2.0, 20.0)


def _reference_chi2(model):
    """The reduction written out: binned data and model, weighted LSQ of d = a m + c."""
    fm = load_fermi_maps()
    sel, ib, edges = profile_selection(128, 5.0, 2.0)
    keep = ~fm.pscmask[sel]
    e = np.where(keep, fm.exposure[sel], 0.0)
    nb = edges.size - 1
    eo = np.bincount(ib, weights=e, minlength=nb) * 4 * math.pi / fm.counts.size
    c = np.bincount(ib, weights=np.where(keep, fm.counts[sel], 0.0), minlength=nb)
    d, s = c / eo, np.sqrt(c) / eo
    m = np.bincount(ib, weights=e * model[sel], minlength=nb) / np.bincount(
        ib, weights=e, minlength=nb
    )
    w = 1.0 / s
    (a, iso), *_ = np.linalg.lstsq(np.vstack([m, np.ones(nb)]).T * w[:, None], d * w, rcond=None)
    return a, iso, float(np.sum(((d - a * m - iso) / s) ** 2)), nb


def _toy_model(floor=0.0):
    lon, lat = pixel_lonlat_deg(128)
    lw = (lon + 180.0) % 360.0 - 180.0
    return 4e-6 * np.exp(-np.abs(lat) / 2.0) * (floor + np.exp(-0.5 * (lw / 30.0) ** 2))


def test_profile_chi2_is_the_named_reduction():
    model = _toy_model()
    out = fermi_comparison(
        SkyMap(128, BAND, {"total": model}), b_max_deg=5.0, l_bin_deg=2.0, fit_norm=True
    )
    a, iso, chi2, nb = _reference_chi2(model)
    assert iso > 0  # the constraint c >= 0 is inactive here
    assert out.sizes["l_deg"] == 180 and nb == 180 and out.attrs["n_bins"] == 180
    assert out.attrs["n_free"] == 2 and out.attrs["isotropic_mode"] == "fit"
    assert out.attrs["norm"] == pytest.approx(a, rel=1e-9)
    assert out.attrs["isotropic"] == pytest.approx(iso, rel=1e-9)
    assert out.attrs["chi2"] == pytest.approx(chi2, rel=1e-9)


def test_profile_chi2_keeps_the_isotropic_term_non_negative():
    # a model too flat for the data wants c < 0: the fit then has c = 0 and a alone
    model = _toy_model(floor=1.0)
    assert _reference_chi2(model)[1] < 0
    out = fermi_comparison(SkyMap(128, BAND, {"total": model}), fit_norm=True)
    assert out.attrs["isotropic"] == 0.0
    d, s, m = out["data"].values, out["error"].values, out["pi0"].values / out.attrs["norm"]
    a = np.sum(m * d / s**2) / np.sum(m * m / s**2)
    assert out.attrs["norm"] == pytest.approx(a, rel=1e-9)
    assert out.attrs["chi2"] == pytest.approx(np.sum(((d - a * m) / s) ** 2), rel=1e-9)


def test_profile_chi2_recovers_a_scaled_copy_of_the_data():
    # a model map equal to (data intensity - c0) / a0 gives a = a0, c = c0, chi2 = 0
    fm = load_fermi_maps()
    a0, c0 = 2.5, 3e-7
    model = (fm.intensity() - c0) / a0
    out = fermi_comparison(SkyMap(128, BAND, {"total": model}), fit_norm=True)
    assert out.attrs["norm"] == pytest.approx(a0, rel=1e-6)
    assert out.attrs["isotropic"] == pytest.approx(c0, rel=1e-4)
    assert out.attrs["chi2"] < 1e-6


def test_profile_chi2_takes_a_map_at_another_nside():
    model = _toy_model()
    lon, lat = pixel_lonlat_deg(64)
    lw = (lon + 180.0) % 360.0 - 180.0
    coarse = 4e-6 * np.exp(-np.abs(lat) / 2.0) * np.exp(-0.5 * (lw / 30.0) ** 2)
    fine = fermi_comparison(SkyMap(128, BAND, {"total": model}), fit_norm=True)
    low = fermi_comparison(SkyMap(64, BAND, {"total": coarse}), fit_norm=True)
    assert low.attrs["model_nside"] == 64 and low.attrs["n_bins"] == 180
    assert low.attrs["norm"] == pytest.approx(fine.attrs["norm"], rel=0.1)


def test_component_profile_fit_recovers_the_weights_of_the_data():
    """The data's own intensity map, split into half and a constant, is fitted back with
    weight 2 and the constant as the isotropic term, chi2 ~ 0 (the profile of the map is the
    data's profile: equal-area pixels, the same mask and exposure weights)."""
    from escapade.sky.compare import component_profile_fit
    from escapade.sky.fermi import load_fermi_maps

    fm = load_fermi_maps()
    data = np.nan_to_num(fm.intensity(), nan=0.0, posinf=0.0)
    c = 3.0e-7
    chi2, norms = component_profile_fit({"half": 0.5 * (data - c)})
    assert chi2 < 1e-6
    assert norms["half"] == pytest.approx(2.0, rel=1e-6)
    assert norms["isotropic"] == pytest.approx(c, rel=1e-5)
    # a component the data do not want gets weight 0 (non-negative), not a negative one
    chi2, norms = component_profile_fit({"data": data, "anti": np.cos(np.arange(data.size))})
    assert norms["data"] == pytest.approx(1.0, rel=1e-3) and norms["anti"] >= 0.0
