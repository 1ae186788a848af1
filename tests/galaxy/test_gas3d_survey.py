"""The survey-constrained 3D gas: HI4PI columns, the two faces, masses, bad input (issue #16)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy import constants as ac

from escapade.config import ConfigError
from escapade.config.schema import validate_config
from escapade.constants import KPC_CM
from escapade.galaxy.gas import AnalyticGas
from escapade.galaxy.gas3d import GasDataError, SurveyGas3D, SurveyOptions, build_gas
from escapade.grid import Grid

SUN, RMAX, H = 8.5, 20.0, 4.0


@pytest.fixture(scope="module")
def gas() -> SurveyGas3D:
    return SurveyGas3D(sun_r_kpc=SUN, r_max_kpc=RMAX, z_max_kpc=H)


def _independent_column(density, lon, lat, n=4000) -> np.ndarray:
    """Column (cm^-2) along (l, b) to the cylinder R <= 20, |z| <= 4 kpc: the test's own rule.

    Trapezoid on s in {0} + n log-spaced points from 1e-5 kpc to the edge; the edge from the
    quadratic |(R_sun,0) - s cos b (cos l, -sin l)| = R_max and |s sin b| = H.
    """
    cb, sb = np.cos(lat), np.sin(lat)
    # R(s)^2 = SUN^2 - 2 SUN s cb cos l + s^2 cb^2 = RMAX^2
    a, b, c = cb**2, -2 * SUN * cb * np.cos(lon), SUN**2 - RMAX**2
    with np.errstate(divide="ignore", invalid="ignore"):
        s_r = np.where(
            a > 0, (-b + np.sqrt(b * b - 4 * a * c)) / (2 * np.where(a > 0, a, 1)), np.inf
        )
        s_z = np.where(np.abs(sb) > 0, H / np.abs(np.where(sb == 0, 1, sb)), np.inf)
    s_max = np.minimum(s_r, s_z)
    t = np.concatenate([[0.0], np.geomspace(1e-5, 1.0, n)])
    s = s_max[:, None] * t[None, :]
    s = np.where(t[None, :] > 0, np.maximum(s, 1e-5 * (t[None, :] > 0)), 0.0)
    x = SUN - s * cb[:, None] * np.cos(lon)[:, None]
    y = s * cb[:, None] * np.sin(lon)[:, None]
    z = s * sb[:, None]
    return np.trapezoid(density(x, y, z), s, axis=1) * KPC_CM


def _check_columns(gas, pix):
    lon, lat = gas.sky.centres()
    out = np.empty(pix.size)
    for i in range(0, pix.size, 1000):
        p = pix[i : i + 1000]
        out[i : i + 1000] = _independent_column(gas.n_hi_3d_cm3, lon[p], lat[p])
    return np.abs(out / gas.hi4pi_cm2[pix] - 1.0)


def test_hi_column_equals_hi4pi_sample(gas):
    """(a) The LOS integral of the constrained HI equals HI4PI to < 1 %: 1500 pixels.

    600 pixels spread over |b| < 3 deg (the plane, where the path is longest) and 900 drawn
    at random; every pixel is the slow test below (measured: 0.36 % at worst).
    """
    lon, lat = gas.sky.centres()
    plane = np.flatnonzero(np.abs(lat) < np.radians(3.0))
    rng = np.random.default_rng(16)
    pix = np.unique(
        np.concatenate([plane[:: max(1, plane.size // 600)], rng.choice(lon.size, 900)])
    )
    err = _check_columns(gas, pix)
    assert err.max() < 0.01, (err.max(), pix[err.argmax()])


@pytest.mark.slow
def test_hi_column_equals_hi4pi_every_pixel(gas):
    """(a) Every one of the 49152 pixels (nside 64, the survey's own grid) to < 1 %."""
    err = _check_columns(gas, np.arange(gas.sky.npix))
    assert err.max() < 0.01, err.max()


def test_transport_face_is_the_azimuthal_average(gas):
    """(b) n(R, z) of the transport face = mean over phi of the 3D face, < 1e-6 at grid nodes.

    The test's own azimuthal mean (a loop over the n_phi midpoint azimuths) of each 3D phase
    against the face used by ``on_grid`` (``n_hi_cm3(r, z)`` etc.) at the nodes of a grid.
    """
    grid = Grid.build(RMAX, H, 11, 21, 1.0, 10.0, 4)
    rr, zz = np.meshgrid(grid.r_kpc, grid.z_kpc, indexing="ij")
    n_phi = gas.options.n_phi
    for face3d, face2d in (
        (gas.n_hi_3d_cm3, gas.n_hi_cm3),
        (gas.n_h2_3d_cm3, gas.n_h2_cm3),
        (gas.n_hii_3d_cm3, gas.n_hii_cm3),
    ):
        acc = np.zeros(rr.shape)
        for k in range(n_phi):
            phi = 2 * np.pi * (k + 0.5) / n_phi
            acc += face3d(rr * np.cos(phi), rr * np.sin(phi), zz)
        mean = acc / n_phi
        face = face2d(rr, zz)
        scale = np.maximum(np.abs(mean), 1e-30)
        assert np.max(np.abs(face - mean) / scale) < 1e-6
    og = gas.on_grid(grid)
    assert np.array_equal(og.hi, grid.cell_average(gas.n_hi_cm3))
    assert og.he_to_h == gas.he_to_h


def _mass_msun(gas, density, r_cut):
    """Mass (M_sun of H atoms) of ``density`` inside R < r_cut: sum over pixels of
    Omega_p int n s^2 ds along the pixel centre (the gas's own sight-line nodes)."""
    from escapade.galaxy.gas3d.survey import point_on_sightline

    lon, lat = gas.sky.centres()
    omega = 4 * np.pi / lon.size
    total = 0.0
    for i in range(0, lon.size, 4096):
        lc, bc = lon[i : i + 4096], lat[i : i + 4096]
        s, w = gas.los.nodes(lc, bc)
        x, y, z = point_on_sightline(lc[:, None], bc[:, None], s, gas.sun_r_kpc)
        total += np.sum(density(x, y, z) * (np.hypot(x, y) < r_cut) * w * s**2) * omega
    m_h = (ac.m_p + ac.m_e).cgs.value
    return total * KPC_CM**3 * m_h / ac.M_sun.cgs.value


def test_h2_mass_of_the_3d_face_inside_solar_circle(gas):
    """(d) H2 of the gas (configured X_CO = 1.9e20, analytic fall-back included) inside R_sun.

    Against the Galaxy's H2 of Rice et al. 2016 (ApJ 822, 52), 0.70-1.30 e9 M_sun (their
    2.5e8 M_sun are 25 -5.8/+10.7 % of it), most of which lies inside the solar circle
    (Nakanishi & Sofue 2016, PASJ 68, 5). Measured: 0.96e9 M_sun.
    """
    m = 2.0 * _mass_msun(gas, gas.n_h2_3d_cm3, SUN)
    assert 0.70e9 <= m <= 1.30e9, m


def test_hii_column_above_the_sun_against_gaensler2008(gas):
    """(d) HII: the ionised column above the Sun, the quantity a published measurement with a
    quoted range constrains (no HII mass inside the solar circle with a range was found).

    Gaensler et al. 2008 (PASA, arXiv:0808.2550; pulsar dispersion measures with H-alpha,
    high-latitude sight lines): the diffuse WIM has a mid-plane electron density of 0.014 +-
    0.001 cm^-3 and an exponential scale height of 1830 (+120, -250) pc, so a one-sided
    column int_0^inf n_e dz = n_0 h of 25.6 pc cm^-3, 20.5-29.3 between the ends of their
    ranges.
    The thick disc of Cordes et al. 1991 (escapade's HII) gives 21.1 pc cm^-3 at R_sun = 8.5
    kpc (0.021 cm^-3 x 1 kpc: denser at mid-plane and half as thick, the same column). Its
    thick disc holds about two thirds of the model's HII mass inside R_sun (3.9e8 M_sun in
    all), so the column pins most of that mass. The bound is one the model only just meets.
    """
    z = np.linspace(0.0, 30.0, 300_001)
    n_e = gas.n_hii_3d_cm3(np.full_like(z, SUN), 0.0, z)
    column_pc_cm3 = float(np.sum(0.5 * (n_e[1:] + n_e[:-1]) * np.diff(z))) * 1e3
    assert 0.013 * 1580 <= column_pc_cm3 <= 0.015 * 1950, column_pc_cm3


def test_calibrated_dust_to_gas_ratio_against_lenz2017():
    """The default ``dust_to_gas_cm2_mag = "calibrated"``: N_HI4PI / E(B-V) over the sky
    where N_HI < 4e20 cm^-2, for SFD98, against Lenz, Hensley & Dore 2017 (ApJ 846, 38), who
    find N_HI / E(B-V) = 8.8e21 cm^-2 mag^-1 for HI4PI against SFD98 in that regime (their
    fitted value; we take the median). Measured: 8.37e21 (-5 %); Planck 2013: 6.69e21."""
    from escapade.galaxy.gas3d import DUST_TO_GAS_LENZ2017

    gas = SurveyGas3D(options=SurveyOptions(dark_gas=True))
    assert gas.options.dust_to_gas_cm2_mag == "calibrated" and gas.options.dust_map == "sfd98"
    ratio = gas.dust_to_gas_cm2_mag
    assert abs(ratio / DUST_TO_GAS_LENZ2017 - 1.0) < 0.10, ratio
    fixed = SurveyGas3D(options=SurveyOptions(dark_gas=True, dust_to_gas_cm2_mag=5.8e21))
    assert fixed.dust_to_gas_cm2_mag == 5.8e21


@pytest.mark.slow
def test_dark_gas_mass_inside_solar_circle_against_published():
    """(d) Dark gas (the default SFD98 dust residual) against H2 inside R_sun.

    Pineda et al. 2013 (A&A 554, A103, the [CII] GOT C+ survey of the plane): "The fraction of
    CO-dark H2 to total H2 increases with Galactocentric distance, ranging from 20% at 4 kpc
    to 80% at 10 kpc. On average, CO-dark H2 accounts for 30% of the molecular mass of the
    Milky Way." Grenier, Casandjian & Terrier 2005 (Science 307, 1292): a dark gas mass in the
    Milky Way comparable to the molecular one. Measured (R_dg calibrated, 8.37e21): 1.84e9
    M_sun of dark gas and 0.96e9 of H2 inside R_sun, a fraction 0.66 of the two (with Bohlin
    et al.'s 5.8e21: 0.83e9 and 0.46; the Planck 2013 radiance map, calibrated: 2.7e9 and
    0.74). Our dark gas also holds the opaque HI the dust sees, and is placed along each sight
    line like the neutral gas, which weighs the inner Galaxy: the bracket is the paper's range.
    """
    dark = SurveyGas3D(options=SurveyOptions(dark_gas=True))
    assert dark.options.dust_map == "sfd98"
    m_dark = _mass_msun(dark, dark.n_dark_3d_cm3, SUN)
    m_h2 = 2.0 * _mass_msun(dark, dark.n_h2_3d_cm3, SUN)
    assert 0.2 <= m_dark / (m_dark + m_h2) <= 0.8, (m_dark, m_h2)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="finding: the HI4PI columns placed along the GALPROP analytic HI profile give "
    "2.3e9 M_sun inside R < 20 kpc, below the Galaxy's 4.8e9 (Henderson et al. 1982), 4.3e9 "
    "inside 20 kpc (Tavakoli 2012) and 7.1e9 inside 30 kpc (Nakanishi & Sofue 2016: 89 % of "
    "8.0e9), and 2.1e9 inside 17 kpc against 2.5e9 there (Nakanishi & Sofue 2003); the "
    "analytic profile puts too little gas in the outer disc, where s^2 weighs it most "
    "(docs/gamma.md)",
)
def test_hi_mass_against_published(gas):
    """(d) HI mass of the constrained model inside the Galaxy (R < 20 kpc).

    Henderson, Jackson & Kerr 1982 (ApJ 263, 116): about 4.8e9 M_sun of HI in the Galaxy;
    Nakanishi & Sofue 2016: 0.89 x 8.0e9 = 7.1e9 M_sun of HI inside 30 kpc. We ask for at
    least 4.0e9 M_sun inside 20 kpc.
    """
    m = _mass_msun(gas, gas.n_hi_3d_cm3, RMAX)
    assert 4.0e9 <= m <= 8.0e9, m


@pytest.mark.slow
def test_dark_gas_is_the_positive_dust_residual():
    """Dark gas column per pixel = max(0, E(B-V) R_dg - N_HI - 2 N_H2), placed along the line."""
    gas = SurveyGas3D(options=SurveyOptions(dark_gas=True))
    dark = gas.dark_column_cm2
    assert dark.min() >= 0.0 and dark.max() > 0.0
    lon, lat = gas.sky.centres()
    # columns above 1e19 cm^-2 (1 % of a typical HI column): below, a few sight lines carry
    # 1e17 cm^-2, where the two quadratures of the H2 cube's edge differ by up to 15 %
    p = np.flatnonzero(dark > 1e19)[::997][:30]
    col = _independent_column(gas.n_dark_3d_cm3, lon[p], lat[p])
    assert np.max(np.abs(col / dark[p] - 1.0)) < 0.01
    analytic = SurveyGas3D()
    r, z = np.array([4.0, 8.5]), np.array([0.0, 0.0])
    assert np.all(gas.n_hi_cm3(r, z) >= analytic.n_hi_cm3(r, z))


def test_build_gas_follows_the_config():
    assert isinstance(build_gas(validate_config({})), AnalyticGas)
    g = build_gas(validate_config({"gas": {"model": "survey3d", "dark_gas": True}}))
    assert isinstance(g, SurveyGas3D) and g.options.dark_gas
    assert (g.sun_r_kpc, g.r_max_kpc, g.z_max_kpc) == (8.5, 20.0, 4.0)
    moved = build_gas(validate_config({"galaxy": {"sun_r_kpc": 8.0}, "gas": {"model": "survey3d"}}))
    assert moved.sun_r_kpc == moved.analytic.sun_r_kpc == 8.0  # the same R_sun as the sky's gas


@pytest.mark.parametrize(
    ("gas_section", "message"),
    [
        (
            {"model": "survey4d"},
            "gas.model = 'survey4d': Input should be 'galprop_analytic' or 'survey3d'",
        ),
        ({"dark_gas": True}, "dark_gas = true needs model = 'survey3d'"),
        ({"model": "survey3d", "dust_map": "iras"}, "gas.dust_map = 'iras'"),
        ({"model": "survey3d", "dust_to_gas_cm2_mag": 0.0}, "gas.dust_to_gas_cm2_mag = 0.0"),
    ],
)
def test_bad_gas_config_is_one_line(gas_section, message):
    """(f) A bad [gas] value: a one-line ConfigError naming the key and what is allowed."""
    with pytest.raises(ConfigError) as exc:
        validate_config({"gas": gas_section})
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_missing_or_damaged_survey_file(tmp_path):
    """(f) The HI4PI map missing or not a HEALPix table: one line naming the file."""
    missing = SurveyGas3D(options=SurveyOptions(hi4pi_path=tmp_path / "HI4PI.fits"))
    with pytest.raises(GasDataError, match=r"HI4PI\.fits is missing: expected HI4PI total N_HI"):
        _ = missing.hi_factor
    bad = tmp_path / "broken.fits"
    bad.write_bytes(b"SIMPLE  = garbage")
    damaged = SurveyGas3D(options=SurveyOptions(hi4pi_path=bad))
    with pytest.raises(GasDataError) as exc:
        _ = damaged.hi_factor
    assert "broken.fits" in str(exc.value) and "\n" not in str(exc.value)
    assert isinstance(exc.value, ConfigError)


def test_model_uses_the_configured_gas():
    """model.Model.from_config builds the survey3d gas's transport face when configured."""
    from escapade.model import Model

    data = {"grid": {"nr": 9, "nz": 9, "n_ekin": 4}, "species": {"propagate": ["1H"]}}
    cfg = validate_config(data | {"gas": {"model": "survey3d"}})
    model = Model.from_config(cfg)
    want = build_gas(cfg).on_grid(model.grid)
    assert np.array_equal(model.gas.hi, want.hi) and np.array_equal(model.gas.h2, want.h2)
    analytic = Model.from_config(validate_config(data)).gas
    assert not np.allclose(model.gas.h2, analytic.h2)


def test_factor_per_sight_line_equals_the_3d_face(gas):
    """Along a sight line the 3D HI is the model times one factor: hi_factor_at(l, b)."""
    from escapade.galaxy.gas3d.survey import point_on_sightline

    lon = np.radians([0.5, 30.0, 200.0, 300.0])
    lat = np.radians([0.2, -2.0, 10.0, 45.0])
    s = np.linspace(0.01, 10.0, 50)
    x, y, z = point_on_sightline(lon[:, None], lat[:, None], s[None, :], gas.sun_r_kpc)
    direct = gas.n_hi_3d_cm3(x, y, z)
    per_line = gas.hi_model.n_hi_cm3(x, y, z) * gas.hi_factor_at(lon, lat)[:, None]
    assert np.allclose(direct, per_line, rtol=1e-12, atol=0.0)
