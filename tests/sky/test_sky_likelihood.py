"""Template fit of the Fermi-LAT counts map (escapade.sky.likelihood).

The simulated maps use the shipped exposure and point-source mask, smooth analytic
templates shaped like the Galactic components (a broad HI-like disc, a narrow inner H2-like
ridge, a wide IC-like halo), the 4FGL-DR2 point-source map and the isotropic background,
Poisson-fluctuated with a fixed seed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from escapade.sky import likelihood as lk
from escapade.sky.compare import igrb_intensity
from escapade.sky.fermi import load_fermi_maps
from escapade.sky.pixels import pixel_lonlat_deg
from escapade.sky.point_sources import point_source_map

BAND = (2.0, 20.0)
TRUTH = {"HI": 1.0, "H2": 0.8, "IC": 1.5, "point_sources": 1.0, "isotropic": 1.0}


@pytest.fixture(scope="module")
def templates():
    lon, lat = pixel_lonlat_deg(128)
    lw = (lon + 180.0) % 360.0 - 180.0
    return {
        "HI": 3e-6 * np.exp(-np.abs(lat) / 3.0) * (1.0 + 0.5 * np.cos(np.radians(lw))),
        "H2": 4e-6 * np.exp(-0.5 * (lat / 1.0) ** 2) * np.exp(-0.5 * (lw / 40.0) ** 2),
        "IC": 1e-6 * np.exp(-np.abs(lat) / 15.0) * np.exp(-0.5 * (lw / 80.0) ** 2),
        "point_sources": point_source_map(128, BAND),
    }


def _simulate(templates, truth, seed=16):
    fm = load_fermi_maps()
    full = dict(templates)
    full["isotropic"] = np.full(fm.exposure.size, igrb_intensity(BAND))
    mu = lk.predicted_counts(full, [truth[k] for k in full], fm.exposure)
    return np.random.default_rng(seed).poisson(mu).astype(float)


@pytest.fixture(scope="module")
def simulated(templates):
    return _simulate(templates, TRUTH)


@pytest.mark.parametrize("region", ["absb5", "absb8"])
def test_fit_recovers_the_simulated_normalisations(templates, simulated, region):
    r = lk.fit_templates(templates, region=region, counts=simulated)
    assert r.valid and r.names == list(TRUTH)
    for name, true in TRUTH.items():
        assert abs(r.value(name) - true) < 2.0 * r.error(name), (name, r.value(name))
    # relative precision of the dominant components is at the per-cent level
    assert r.error("HI") < 0.03 and r.error("point_sources") < 0.03
    # the Poisson deviance of a correct model is chi2-distributed with ndof
    assert abs(r.deviance - r.ndof) < 5.0 * math.sqrt(2.0 * r.ndof)
    assert r.n_pixels == r.ndof + len(TRUTH)


def test_prior_pulls_the_isotropic_term(templates):
    counts = _simulate(templates, TRUTH | {"isotropic": 3.0})
    free = lk.fit_templates(templates, counts=counts, isotropic_prior_width=None)
    loose = lk.fit_templates(templates, counts=counts, isotropic_prior_width=0.3)
    tight = lk.fit_templates(templates, counts=counts, isotropic_prior_width=0.01)
    assert abs(free.value("isotropic") - 3.0) < 2.0 * free.error("isotropic")
    assert abs(tight.value("isotropic") - 1.0) < 0.05
    assert tight.value("isotropic") < loose.value("isotropic") < free.value("isotropic")
    assert tight.error("isotropic") < free.error("isotropic")


def test_systematic_fraction_widens_the_errors(templates, simulated):
    stat = lk.fit_templates(templates, counts=simulated)
    syst = lk.fit_templates(templates, counts=simulated, systematic_fraction=0.05)
    assert syst.statistic == "gaussian_regrouped" and syst.regroup_nside == 16
    assert np.all(syst.errors > stat.errors)
    for name, true in TRUTH.items():
        assert abs(syst.value(name) - true) < 2.0 * syst.error(name)
    assert 0 < syst.chi2_groups < 2.0 * syst.ndof_groups


def test_masking_removes_pixels_and_the_wider_region_adds_them(templates, simulated):
    a = lk.fit_templates(templates, counts=simulated)
    b = lk.fit_templates(templates, counts=simulated, mask_point_sources=False)
    c = lk.fit_templates(templates, counts=simulated, region="absb8")
    assert a.n_pixels < b.n_pixels and a.n_pixels < c.n_pixels
    assert lk.region_pixels("absb5", 128).sum() == 16896  # the profile's |b| < 5 pixels


def test_rings_are_just_more_templates(templates, simulated):
    # X_CO varying with radius: H2 split into separate templates, each its own norm
    lon, _ = pixel_lonlat_deg(128)
    inner = ((lon + 180.0) % 360.0 - 180.0) ** 2 < 20.0**2
    split = {k: v for k, v in templates.items() if k != "H2"}
    split["H2_inner"] = np.where(inner, templates["H2"], 0.0)
    split["H2_outer"] = np.where(inner, 0.0, templates["H2"])
    r = lk.fit_templates(split, counts=simulated)
    for ring in ("H2_inner", "H2_outer"):
        assert abs(r.value(ring) - 0.8) < 2.0 * r.error(ring)


def test_result_writes_json(templates, simulated, tmp_path):
    r = lk.fit_templates(templates, counts=simulated)
    path = tmp_path / "fit.json"
    r.to_json(path)
    d = json.loads(path.read_text())
    assert d["normalisations"]["HI"]["value"] == pytest.approx(r.value("HI"))
    assert np.array(d["covariance"]).shape == (5, 5)
    assert d["region"]["b_max_deg"] == 5.0 and d["isotropic_prior_width"] == 0.3
    assert [p.name for p in tmp_path.iterdir()] == ["fit.json"]


def test_fit_of_the_real_counts_runs(templates):
    r = lk.fit_templates(templates)
    assert r.valid and r.n_counts > 0 and np.all(r.values >= 0)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"region": "disc"}, ("region='disc'", "'absb5'", "'absb8'")),
        ({"isotropic_prior_width": -0.1}, ("isotropic_prior_width=-0.1", "> 0")),
        ({"isotropic_prior_width": 0.0}, ("isotropic_prior_width=0.0", "> 0")),
        ({"systematic_fraction": -0.1}, ("systematic_fraction=-0.1", "[0, 10)")),
        ({"regroup_nside": 12}, ("regroup_nside=12", "power of two")),
    ],
)
def test_bad_options_give_one_line_errors(templates, kwargs, words):
    with pytest.raises(ValueError) as exc:
        lk.fit_templates(templates, **kwargs)
    msg = str(exc.value)
    assert "\n" not in msg and all(w in msg for w in words), msg


def test_template_of_wrong_nside_is_refused(templates):
    bad = dict(templates)
    bad["IC"] = np.ones(12 * 64**2)
    with pytest.raises(ValueError) as exc:
        lk.fit_templates(bad)
    msg = str(exc.value)
    assert "\n" not in msg
    assert "templates['IC']" in msg and "nside 64" in msg and "nside 128" in msg


def test_isotropic_name_clash_is_refused(templates):
    with pytest.raises(ValueError, match="isotropic=False"):
        lk.fit_templates(templates | {"isotropic": np.ones(12 * 128**2)})


def test_templates_from_a_skymap_are_regridded_per_component(templates):
    from escapade.sky.compare import regrid
    from escapade.sky.maps import SkyMap

    maps = {k: regrid(templates[k], 64) for k in ("HI", "H2", "IC")}
    maps["total"] = maps["HI"] + maps["H2"] + maps["IC"]
    t = lk.templates_from_skymap(SkyMap(64, BAND, maps))
    assert list(t) == ["HI", "H2", "IC"] and all(v.size == 12 * 128**2 for v in t.values())
    with pytest.raises(ValueError, match="no 'HII'"):
        lk.templates_from_skymap(SkyMap(64, BAND, maps), components=["HI", "HII"])


def test_shipped_data_need_their_band(templates):
    with pytest.raises(ValueError, match=r"band_gev=\(1.0, 10.0\).*2-20 GeV"):
        lk.fit_templates(templates, band_gev=(1.0, 10.0))


@pytest.mark.parametrize("f", [0.0, 0.05])
def test_analytic_hessian_matches_hesse_and_finite_differences(templates, simulated, f):
    r = lk.fit_templates(templates, counts=simulated, systematic_fraction=f)
    assert r.meta["covariance"] == "analytic_hessian" and r.at_limit == []
    np.testing.assert_allclose(r.hesse_errors, r.errors, rtol=0.02)
    # the analytic Hessian in the normalisations gives HESSE's covariance back
    fm = load_fermi_maps()
    sel = np.nonzero(lk.region_pixels("absb5", 128) & ~fm.pscmask)[0]
    full = dict(templates) | {"isotropic": np.full(simulated.size, r.isotropic_intensity)}
    omega = 4 * math.pi / simulated.size
    a = np.vstack([fm.exposure[sel] * omega * full[k][sel] for k in r.names])
    n = simulated[sel]
    if f > 0:
        g = lk._groups(128, 16, sel)
        a = np.vstack([np.bincount(g, weights=row) for row in a])
        n = np.bincount(g, weights=n)
    obj = lk._Objective(a, n, f, (r.names.index("isotropic"), 0.3))
    h = obj.hessian(r.values)
    np.testing.assert_allclose(np.linalg.inv(0.5 * h), r.covariance, rtol=1e-9)
    step = 1e-6
    for j in range(len(r.names)):
        e = np.zeros(len(r.names))
        e[j] = step
        fd = (obj.grad(r.values + e) - obj.grad(r.values - e)) / (2 * step)
        np.testing.assert_allclose(fd, h[:, j], rtol=1e-4, atol=1e-6 * np.abs(h).max())


def test_a_normalisation_at_its_limit_keeps_a_finite_error(templates):
    # the data have a deficit where the extra template puts emission: its normalisation
    # ends at the limit 0 and keeps a real error (HESSE's, through MINUIT's transform of
    # a bounded parameter, is meaningless there: 2e7 in this case)
    lon, lat = pixel_lonlat_deg(128)
    blob = np.exp(-0.5 * (((lon + 180.0) % 360.0 - 210.0) ** 2 + lat**2) / 9.0)
    counts = _simulate(templates | {"HI": templates["HI"] * (1.0 - 0.3 * blob)}, TRUTH)
    r = lk.fit_templates(templates | {"blob": 2e-6 * blob}, counts=counts)
    assert r.at_limit == ["blob"] and r.value("blob") < 1e-3
    assert 0.005 < r.error("blob") < 0.5
    for name, true in TRUTH.items():
        if name != "HI":
            assert abs(r.value(name) - true) < 3.0 * r.error(name), name


@pytest.mark.parametrize(
    ("value", "words"),
    [(np.nan, "NaN, infinite or negative"), (-1e-7, "NaN, infinite or negative"), (0.0, "zero")],
)
def test_unusable_template_values_are_refused(templates, value, words):
    with pytest.raises(ValueError) as exc:
        lk.fit_templates(templates | {"bad": np.full(12 * 128**2, value)})
    assert "templates['bad']" in str(exc.value) and words in str(exc.value)


def test_a_custom_region(templates, simulated):
    inner = lk.Region("inner", b_max_deg=5.0, l_min_deg=-60.0, l_max_deg=60.0)
    r = lk.fit_templates(templates, region=inner, counts=simulated)
    assert r.region["name"] == "inner" and r.n_pixels < 15198 / 2
    assert abs(r.value("HI") - 1.0) < 2.0 * r.error("HI")
    with pytest.raises(ValueError, match="b_min < b_max"):
        lk.fit_templates(templates, region=lk.Region("flat", b_max_deg=0.0))


@pytest.mark.slow
def test_errors_are_calibrated_over_many_simulations(templates):
    # 100 Poisson realisations: the pulls (fit - truth) / error of each normalisation have a
    # mean near 0 and a spread near 1 (the errors are neither too small nor too large);
    # no isotropic prior here, so that the pulls are those of the likelihood alone
    pulls = []
    for seed in range(100, 200):
        r = lk.fit_templates(
            templates, counts=_simulate(templates, TRUTH, seed), isotropic_prior_width=None
        )
        pulls.append([(r.value(k) - t) / r.error(k) for k, t in TRUTH.items()])
    pulls = np.array(pulls)
    # measured: means 0.22, -0.14, -0.14, 0.03, -0.14; spreads 0.93, 1.06, 0.87, 1.00, 1.02
    assert np.all(np.abs(pulls.mean(axis=0)) < 0.4), pulls.mean(axis=0)
    assert np.all((pulls.std(axis=0) > 0.75) & (pulls.std(axis=0) < 1.3)), pulls.std(axis=0)
