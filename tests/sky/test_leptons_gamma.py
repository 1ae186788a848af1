"""Inverse Compton and bremsstrahlung: analytic and published checks, sky-map components."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from escapade.constants import M_ELECTRON_GEV
from escapade.emission.inverse_compton import ic_emissivity_matrix, thomson_powerlaw_blackbody
from escapade.interactions.bremsstrahlung import (
    RADIATION_LENGTH_G_CM2,
    TSAI,
    bremsstrahlung_loss_rate_gev_s,
    dsigma_dk_cm2_per_gev,
    radiation_length_g_cm2,
)
from escapade.sky.assemble import skymap


@pytest.mark.parametrize("p", [2.0, 2.5, 3.2])
def test_ic_thomson_limit_power_law_on_black_body(p):
    """KN kernel on a 2.725 K black body vs BG70 eq. 2.65 where the Thomson limit holds."""
    e = np.geomspace(1e-4, 1e4, 1600)  # electron kinetic energies, GeV
    w = np.full(e.size, math.log(e[1] / e[0])) * e
    w[0] *= 0.5
    w[-1] *= 0.5
    gamma = 1.0 + e / M_ELECTRON_GEV
    n_per_gev = gamma**-p / M_ELECTRON_GEV  # N(gamma) = gamma^-p per unit gamma
    eps1 = np.geomspace(1e-8, 1e-6, 5)  # 10-1000 eV photons: gamma ~ 1e2-1e3, Gamma ~ 1e-5
    num = ic_emissivity_matrix(e, w, eps1, 2.725) @ n_per_gev
    ana = thomson_powerlaw_blackbody(eps1, 1.0, p, 2.725)
    np.testing.assert_allclose(num / ana, 1.0, rtol=5e-3)


def test_ic_klein_nishina_suppression():
    """At 10 TeV on starlight (Gamma ~ 300) the spectrum is far below the Thomson law."""
    e = np.geomspace(1e-2, 1e5, 900)
    w = np.full(e.size, math.log(e[1] / e[0])) * e
    n = (1.0 + e / M_ELECTRON_GEV) ** -3.0 / M_ELECTRON_GEV
    eg = np.array([1e3])
    ratio = (ic_emissivity_matrix(e, w, eg, 5000.0) @ n) / thomson_powerlaw_blackbody(
        eg, 1.0, 3.0, 5000.0
    )
    assert ratio[0] < 0.05


@pytest.mark.parametrize("target", ["H", "He"])
def test_bremsstrahlung_radiation_length_published(target):
    """Tsai's complete-screening cross section gives the RPP radiation lengths of H and He."""
    assert radiation_length_g_cm2(target) == pytest.approx(RADIATION_LENGTH_G_CM2[target], rel=1e-3)


def test_bremsstrahlung_loss_is_the_cross_section_moment():
    """c n int k dsigma/dk dk = the loss rate used in the transport, within 1e-6."""
    e_kin = 50.0
    e_tot = e_kin + M_ELECTRON_GEV

    def moment(target):
        val, _ = quad(lambda k: k * dsigma_dk_cm2_per_gev(target, e_tot, k), 0.0, e_tot)
        return val

    beta = math.sqrt(1.0 - (M_ELECTRON_GEV / e_tot) ** 2)
    expect = 2.99792458e10 * beta * (1.0 * moment("H") + 0.1 * moment("He"))
    assert bremsstrahlung_loss_rate_gev_s(e_kin, 1.0, 0.1) == pytest.approx(expect, rel=1e-6)
    # and ~ E c rho / X0 (the 1/9 term adds 1-2 %)
    x0_rate = 2.99792458e10 * e_tot * TSAI["H"][3] / 6.02214076e23 / RADIATION_LENGTH_G_CM2["H"]
    assert 1.0 < bremsstrahlung_loss_rate_gev_s(e_kin, 1.0, 0.0) / x0_rate < 1.03


def test_skymap_components_add_up(leptonic_solution):
    ds = leptonic_solution
    m = skymap(ds, (2.0, 20.0), 8)
    assert set(m.maps) == {"HI", "H2", "HII", "pi0", "IC", "bremsstrahlung", "total"}
    np.testing.assert_allclose(m.maps["pi0"], m.maps["HI"] + m.maps["H2"] + m.maps["HII"])
    np.testing.assert_allclose(
        m.maps["total"], m.maps["pi0"] + m.maps["IC"] + m.maps["bremsstrahlung"]
    )
    for c in ("IC", "bremsstrahlung"):
        assert np.all(m.maps[c] > 0)
        assert 0.005 < m.sky_integral(c) / m.sky_integral("pi0") < 0.5
    assert m.fits_name("IC") == "IC_2-20GeV_nside8.fits"
    assert m.fits_name("total") == "all_total_2-20GeV_nside8.fits"
    # leptons=False gives the pi0-only maps
    assert set(skymap(ds, (2.0, 20.0), 8, leptons=False).maps) == {"HI", "H2", "HII", "total"}


def test_gamma_cli_writes_leptonic_files(leptonic_solution, tmp_path):
    from escapade.cli import main
    from escapade.io import write_solution
    from escapade.sky.io import read_skymaps

    sol = write_solution(leptonic_solution, tmp_path / "lep.nc")
    out = tmp_path / "sky"
    assert main(["gamma", str(sol), "--bands", "2:20", "--nside", "8", "-o", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"IC_2-20GeV_nside8.fits", "bremsstrahlung_2-20GeV_nside8.fits"} <= names
    assert "lepton_emissivity_z0_2-20GeV.csv" in names
    assert "gamma_profile_absb5_2-20GeV.csv" in names
    (smap,) = read_skymaps(out)
    assert {"IC", "bremsstrahlung", "pi0", "total"} <= set(smap.maps)
    table = np.loadtxt(out / "lepton_emissivity_z0_2-20GeV.csv", delimiter=",")
    assert np.all(table[:-1, 2] > 0) and np.all(table[:-1, 4] > 0)
    assert main(["plot", str(sol), "--leptons", "-o", str(tmp_path / "l.png")]) == 0
    assert (tmp_path / "l.png").stat().st_size > 0
