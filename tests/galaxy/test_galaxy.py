"""Gas and source models reproduce their tabulated and published forms."""

import numpy as np
import pytest

from escapade.galaxy.gas import AnalyticGas
from escapade.galaxy.sources import RADIAL_PROFILES, Lorimer, SourceDistribution, VerticalProfile
from escapade.grid import Grid


def test_hi_midplane_at_table_bin_centres():
    gas = AnalyticGas()
    f0 = 0.395 + 0.107 + 0.064  # Dickey & Lockman at z = 0
    # GB76 bin [5.0, 5.5) has 0.33 -> centre 5.25 kpc, R < 8 (Dickey & Lockman profile)
    assert gas.n_hi_cm3(5.25, 0.0) == pytest.approx(0.33 * f0 / 0.33)
    # beyond the last bin centre (15.75 kpc): 0.06 exp(-(R - 15.75)/3), Cox profile 0.57
    assert gas.n_hi_cm3(18.75, 0.0) == pytest.approx(0.06 * np.exp(-1.0) * 0.57 / 0.33)


def test_h2_follows_bronfman_and_x_co():
    gas = AnalyticGas(x_co=2.0e20, h2_table_r0_kpc=None)  # the table verbatim
    kpc = 3.0856775814913673e21
    # R = 5.25 kpc: W_CO = 9.6, z0 = -0.001, zh = 0.082
    assert gas.n_h2_cm3(5.25, -0.001) == pytest.approx(2.0e20 * 9.6 / kpc)
    assert gas.n_h2_cm3(5.25, -0.001 + 0.082) == pytest.approx(0.5 * 2.0e20 * 9.6 / kpc)
    assert gas.n_h2_cm3(12.0, 0.0) == 0.0
    strong = AnalyticGas(x_co="strong2004")
    assert strong.x_co_at(np.array([2.0, 8.5, 12.0])).tolist() == [0.4e20, 1.5e20, 10.0e20]


def test_hii_cordes_1991():
    gas = AnalyticGas()
    expected = 0.025 * np.exp(-((8.5 / 20) ** 2)) + 0.2 * np.exp(-(((8.5 - 4) / 2) ** 2))
    assert gas.n_hii_cm3(8.5, 0.0) == pytest.approx(expected)


def test_disabled_gas_is_empty():
    grid = Grid.build(20, 4, 11, 21, 1, 10, 4)
    g = AnalyticGas(enabled=False).on_grid(grid)
    assert g.h_total.sum() == 0 and g.he.sum() == 0


def test_cell_average_of_gas_conserves_the_column():
    """The control-volume average keeps the vertical column of the thin H2 layer."""
    gas = AnalyticGas()
    grid = Grid.build(20, 4, 81, 161, 1, 10, 4)
    g = gas.on_grid(grid)
    i = int(round(5.25 / grid.dr_kpc))
    dz = grid.z_hi_kpc - grid.z_lo_kpc
    column = np.sum(g.h2[i] * dz)
    z = np.linspace(-4, 4, 40001)
    r = np.linspace(grid.r_lo_kpc[i], grid.r_hi_kpc[i], 201)
    col_r = np.trapezoid(gas.n_h2_cm3(r[:, None], z[None, :]), z, axis=1)
    exact = np.trapezoid(r * col_r, r) / np.trapezoid(r, r)  # radial average over the cell
    assert column == pytest.approx(exact, rel=2e-3)


@pytest.mark.parametrize("name", sorted(RADIAL_PROFILES))
def test_profiles_normalised_at_the_sun(name):
    prof = RADIAL_PROFILES[name](sun_r_kpc=8.5)
    assert prof.shape(8.5) == pytest.approx(1.0)
    assert np.all(prof.shape(np.linspace(0, 20, 41)) >= 0)


def test_lorimer_is_the_letters_formula_and_cut():
    r = np.array([2.0, 8.5, 15.0])
    expected = (r / 8.5) ** 1.9 * np.exp(-5 * (r - 8.5) / 8.5)
    np.testing.assert_allclose(Lorimer(sun_r_kpc=8.5).shape(r), expected)
    cut = Lorimer(sun_r_kpc=8.5, r_cut_kpc=15.0)
    assert cut.shape(15.5) == 0.0 and cut.shape(14.0) > 0


def test_source_cell_average_conserves_the_vertical_integral():
    grid = Grid.build(20, 4, 21, 161, 1, 10, 4)
    for kind, h in (("exponential", 0.2), ("slab", 0.1)):
        s = SourceDistribution(Lorimer(sun_r_kpc=8.5), VerticalProfile(kind, h)).on_grid(grid)
        i = int(round(8.5 / grid.dr_kpc))
        col = np.sum(s[i] * (grid.z_hi_kpc - grid.z_lo_kpc))
        exact = 2 * h * (1 - np.exp(-4 / h)) if kind == "exponential" else 2 * h
        # the radial average over the cell around 8.5 kpc is close to, not exactly, 1
        radial = grid.cell_average(lambda r, z: Lorimer(sun_r_kpc=8.5).shape(r) + 0 * z)[i, 0]
        assert col == pytest.approx(exact * radial, rel=1e-6)


def test_the_config_names_exactly_the_radial_profiles_there_are():
    from escapade.config import RADIAL_PROFILES as NAMES

    assert tuple(RADIAL_PROFILES) == NAMES
