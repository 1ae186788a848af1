"""pi0-decay production: table conventions, energy conservation, matrices, local emissivity."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from conftest import REPO, small_config

import escapade
from escapade.emission import pion
from escapade.emission.pion import PionProduction, dsigma_degamma_mb_per_gev
from escapade.nuclear.crosssections import pp_inelastic_kafexhiu2014_mb
from escapade.sky.fermi import load_local_hi_emissivity
from escapade.species import nuclide

CHANNELS = [("p", "H"), ("p", "He"), ("He", "H"), ("He", "He")]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def solution():
    return escapade.solve(small_config(), full=True)


def test_aafrag_primary_energy_is_total_energy_per_nucleus():
    # He-p at E_p = 5 GeV: total energy of the nucleus -> T = 0.32 GeV/n, photons end
    # near 0.15 GeV; for 5 GeV/n (or 1.25 GeV/n kinetic) they would reach ~1-4 GeV.
    tab = pion.aafrag_table("He", "H", low=True)
    row = tab.e_dsigma_mb[0]
    assert tab.e_primary_gev[0] == 5.0
    assert tab.e_gamma_gev[np.nonzero(row)[0][-1]] < 0.2


def test_aafrag_secondary_shift_centres_pi0_bump():
    # dsigma/dE of pi0-decay photons is symmetric in log E about m_pi0 / 2 = 67.49 MeV
    tab = pion.aafrag_table("p", "H")
    i = np.argmin(np.abs(np.log(tab.e_primary_gev / 1000.0)))
    m = (tab.e_gamma_gev > 0.005) & (tab.e_gamma_gev < 1.0)
    e = tab.e_gamma_gev[m]
    y = np.log(tab.e_dsigma_mb[i][m] / e)
    le = np.log10(e)
    cs = np.linspace(np.log10(0.060), np.log10(0.075), 301)
    dd = np.linspace(0.05, 0.5, 40)
    asym = [np.sum((np.interp(c + dd, le, y) - np.interp(c - dd, le, y)) ** 2) for c in cs]
    centre = 10 ** cs[int(np.argmin(asym))]
    assert centre == pytest.approx(0.06749, rel=0.01)


def test_tables_entries_are_e_dsigma_de():
    # p-p at E_p = 10 GeV: photon multiplicity x sigma_inel ~ 2 x 30 mb and mean photon
    # energy per collision ~ 1 GeV, only if the entries are E dsigma/dE in mb
    tab = pion.aafrag_table("p", "H")
    e = tab.e_gamma_gev
    row = tab.e_dsigma_mb[0]
    n_sigma = np.trapezoid(row, np.log(e))
    e_sigma = np.trapezoid(row * e, np.log(e))
    sig = pp_inelastic_kafexhiu2014_mb(10.0 - 0.938272)
    assert 1.0 < n_sigma / sig < 3.5
    assert 0.5 < e_sigma / sig < 2.0


@pytest.mark.parametrize("model", ["aafrag", "kamae2006"])
@pytest.mark.parametrize("channel", CHANNELS)
def test_gamma_energy_never_exceeds_kinetic_energy(channel, model):
    t = np.geomspace(0.3, 1e4, 120)
    eg = np.geomspace(1e-3, 1e5, 200)
    s = dsigma_degamma_mb_per_gev(*channel, t, eg, model)
    a = 4 if channel[0] == "He" else 1
    assert np.all(s >= 0)
    assert np.all(s[eg[None, :] > a * t[:, None]] == 0)
    assert s.max() > 0


def test_raw_tables_respect_kinematics():
    for ch in CHANNELS:
        m = 0.938272 if ch[0] == "p" else 3.7274
        for low in (False, True):
            tab = pion.aafrag_table(*ch, low=low)
            for ep, row in zip(tab.e_primary_gev, tab.e_dsigma_mb, strict=True):
                nz = np.nonzero(row)[0]
                if nz.size:
                    assert tab.e_gamma_gev[nz[-1]] <= ep - m


def test_mean_photon_energy_fraction_pp():
    # energy conservation in the mean: photons carry 5-40 % of T per inelastic pp collision
    t = np.geomspace(1.0, 1e5, 25)
    eg = np.geomspace(1e-3, 1e5, 1601)
    s = dsigma_degamma_mb_per_gev("p", "H", t, eg)
    frac = np.trapezoid(s * eg**2, np.log(eg), axis=1) / (pp_inelastic_kafexhiu2014_mb(t) * t)
    assert np.all(frac > 0.05) and np.all(frac < 0.4)


def test_low_energy_factors_near_nucleon_counting():
    f = pion.low_energy_factors()
    assert 0.6 < f[("p", "H")] < 1.2
    assert 2.5 < f[("p", "He")] < 5.5
    assert 3.0 < f[("He", "H")] < 7.0
    assert 10.0 < f[("He", "He")] < 22.0


def test_matrix_zero_above_kinematic_limit():
    ekin = np.geomspace(0.1, 1e4, 32)
    eg = np.geomspace(0.01, 1e4, 60)
    pp = PionProduction()
    for sp, a in (("1H", 1), ("4He", 4)):
        m = pp.species_matrix(sp, "H", ekin, eg)
        t_next = np.append(ekin[1:], ekin[-1])  # a grid point's hat reaches T_{i+1}
        assert np.all(m[eg[:, None] > a * t_next[None, :]] == 0)
        assert np.all(m >= 0)


def test_matrix_product_matches_direct_quadrature():
    # q = M @ N on a coarse grid equals a direct fine integral of the same cross sections
    ekin = np.geomspace(0.2, 1e5, 33)
    eg = np.array([0.1, 1.0, 10.0, 100.0])
    n = ekin**-2.7
    dens = xr.DataArray(
        n[None, :],
        dims=("species", "ekin_gev_per_n"),
        coords={"species": ["1H"], "ekin_gev_per_n": ekin},
    )
    prod = PionProduction(points_per_decade=40, ism_metals=False)  # p-p alone
    q = prod.emissivity_per_h_atom(dens, eg, he_to_h=0.0).values
    tf = np.geomspace(0.25, 1e5, 6001)
    s = dsigma_degamma_mb_per_gev("p", "H", tf, eg)
    beta = nuclide("1H").beta(tf)
    integrand = (beta * 2.99792458e10 * tf**-2.7 * 1e-27 / (4 * np.pi))[:, None] * s * tf[:, None]
    direct = np.trapezoid(integrand, np.log(tf), axis=0)
    np.testing.assert_allclose(q, direct, rtol=0.01)


def test_band_emissivity_is_integral_of_differential(solution):
    pp = PionProduction()
    band = pp.emissivity_band(solution, (1.0, 10.0))
    eg = np.geomspace(1.0, 10.0, 201)
    q = pp.emissivity_per_h_atom(solution, eg)
    integ = np.trapezoid(q.values * eg[:, None, None], np.log(eg), axis=0)
    mask = band.values > 1e-3 * band.values.max()
    np.testing.assert_allclose(band.values[mask], integ[mask], rtol=2e-3)
    assert band.dims == ("r_kpc", "z_kpc")
    assert band.attrs["units"] == "ph s^-1 sr^-1 (H atom)^-1"
    assert band.attrs["he_to_h"] == 0.1


def test_helium_target_adds_through_he_to_h(solution):
    pp = PionProduction()
    q0 = pp.emissivity_band(solution, (1.0, 10.0), he_to_h=0.0).sel(r_kpc=8.5, z_kpc=0.0)
    q1 = pp.emissivity_band(solution, (1.0, 10.0), he_to_h=0.1).sel(r_kpc=8.5, z_kpc=0.0)
    assert 1.2 < float(q1 / q0) < 1.6


def test_solution_without_density_is_refused(solution):
    with pytest.raises(ValueError, match="full=True"):
        pion.emissivity(solution.drop_vars("density"), (1.0, 10.0))


def test_casandjian_table_units():
    # E^2 q in 1e-24 MeV s^-1 sr^-1: integral above 100 MeV = Abdo et al. 2009's local
    # HI emissivity 1.63e-26 ph s^-1 sr^-1 per H atom
    em = load_local_hi_emissivity()
    e = em["egamma_gev"].values
    x = np.linspace(np.log(0.1), np.log(50.0), 4000)
    y = np.exp(np.interp(x, np.log(e), np.log(em["q"].values)) + x)
    assert np.trapezoid(y, x) == pytest.approx(1.63e-26, rel=0.05)


def _ams_lis(name: str, path, phi_gv: float = 0.6):
    """AMS-02 flux in rigidity, force-field demodulated (phi = 0.6 GV), per GeV/n."""
    tab = np.loadtxt(path, comments="#")
    nu = nuclide(name)
    t = nu.ekin_from_rigidity(tab[:, 0])
    j_t = tab[:, 1] * nu.drigidity_dekin(t)
    m = nu.mass_per_nucleon_gev
    tl = t + nu.z * phi_gv / nu.a
    return tl, j_t * tl * (tl + 2 * m) / (t * (t + 2 * m))


@pytest.mark.skipif(
    not (SHARED / "cr" / "kiss" / "AMS-02_H_rigidity.txt").is_file(), reason="no shared/ data"
)
def test_local_emissivity_from_ams02_spectra_vs_casandjian2015():
    grid = np.geomspace(1.6, 1500.0, 60)
    dens = []
    for name, f in (("1H", "AMS-02_H_rigidity.txt"), ("4He", "AMS-02_He_rigidity.txt")):
        t, j = _ams_lis(name, SHARED / "cr" / "kiss" / f)
        jg = np.exp(np.interp(np.log(grid), np.log(t), np.log(j)))  # m^-2 s^-1 sr^-1 (GeV/n)^-1
        dens.append(4 * np.pi * jg * 1e-4 / (nuclide(name).beta(grid) * 2.99792458e10))
    da = xr.DataArray(
        np.array(dens),
        dims=("species", "ekin_gev_per_n"),
        coords={"species": ["1H", "4He"], "ekin_gev_per_n": grid},
    )
    em = load_local_hi_emissivity()
    sel = (em["egamma_gev"] > 1.0) & (em["egamma_gev"] < 10.0)
    e = em["egamma_gev"].values[sel]
    q = PionProduction().emissivity_per_h_atom(da, e, he_to_h=0.1).values
    ratio = q / em["q"].values[sel]
    # pi0 from p + He alone (no heavier nuclei, no bremsstrahlung): 0.6-0.75 of the data
    assert np.all(ratio > 0.5) and np.all(ratio < 1.1)
    qp = PionProduction().emissivity_per_h_atom(da.sel(species=["1H"]), e, he_to_h=0.0).values
    assert np.all((q / qp > 1.5) & (q / qp < 2.0))  # He projectiles + targets: ~1.7
