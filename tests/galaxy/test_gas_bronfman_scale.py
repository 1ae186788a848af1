"""The Bronfman et al. 1988 H2 table is on R0 = 10 kpc; the model moves it onto R_sun.

See :data:`escapade.galaxy.gas.BRONFMAN1988_R0_KPC` for the evidence and the scaling
(radii and heights times s = R_sun / 10 kpc, emissivity per kpc over s).
"""

import numpy as np
import pytest

from escapade.galaxy.gas import BRONFMAN1988_R0_KPC, AnalyticGas

KPC_CM = 3.0856775814913673e21
X_CO = 2.0e20


def _gas(**kw) -> AnalyticGas:
    return AnalyticGas(x_co=X_CO, **kw)


def test_the_table_is_on_r0_10_kpc_and_the_default_moves_it_to_8p5():
    assert BRONFMAN1988_R0_KPC == 10.0
    gas = _gas()
    assert gas.h2_scale == pytest.approx(0.85)
    assert _gas(h2_table_r0_kpc=None).h2_scale == 1.0
    assert _gas(sun_r_kpc=8.0).h2_scale == pytest.approx(0.8)


def test_molecular_ring_peak_moves_from_5p25_to_4p46_kpc():
    """Table 3's maximum W_CO = 9.6 K km/s/kpc at R = 5.25 kpc (R0 = 10) sits at 5.25 * 0.85."""
    r = np.linspace(0.0, 12.0, 24001)
    for gas, r_peak, w_peak in (
        (_gas(h2_table_r0_kpc=None), 5.25, 9.6),
        (_gas(), 5.25 * 0.85, 9.6 / 0.85),
    ):
        s = gas.h2_scale
        z0 = -0.001 * s  # the table's mid-plane offset at the peak, scaled
        n = gas.n_h2_cm3(r, z0)
        assert r[np.argmax(n)] == pytest.approx(r_peak, abs=1e-3)
        assert n.max() == pytest.approx(X_CO * w_peak / KPC_CM, rel=1e-9)
    # the table's last non-zero radius (9.75 kpc) and its end (10.25 kpc) scale too
    assert _gas().n_h2_cm3(10.25 * 0.85 + 1e-6, 0.0) == 0.0
    assert _gas().n_h2_cm3(9.75 * 0.85, -0.020 * 0.85) == pytest.approx(X_CO * 1.7 / 0.85 / KPC_CM)


def _mass_inside(gas: AnalyticGas, r_max: float) -> float:
    """H2 molecules inside r_max (arbitrary units: kpc^3 cm^-3)."""
    r = np.linspace(0.0, r_max, 4001)
    z = np.linspace(-1.0, 1.0, 8001)
    col = np.trapezoid(gas.n_h2_cm3(r[:, None], z[None, :]), z, axis=1)
    return float(np.trapezoid(2 * np.pi * r * col, r))


def test_mass_inside_the_solar_circle_scales_as_r0_squared():
    """Kinematic masses scale as R0^2: (8.5 / 10)^2 = 0.7225 of the table's own mass."""
    paper = _mass_inside(_gas(h2_table_r0_kpc=None, sun_r_kpc=10.0), 10.0)
    moved = _mass_inside(_gas(), 8.5)
    assert moved / paper == pytest.approx(0.85**2, rel=2e-3)
    # the verbatim table inside 8.5 kpc (what GALPROP and DRAGON use) holds more
    verbatim = _mass_inside(_gas(h2_table_r0_kpc=None), 8.5)
    assert verbatim / moved > 1.15


def _w_co(gas: AnalyticGas, r_sun: float, l_deg: float, b_deg: float) -> float:
    """W_CO (K km/s) along (l, b) from a Sun at (r_sun, 0, 0), out to 30 kpc."""
    s = np.linspace(0.0, 30.0, 60001)
    lon, b = np.radians(l_deg), np.radians(b_deg)
    x = r_sun - s * np.cos(b) * np.cos(lon)
    y = s * np.cos(b) * np.sin(lon)
    z = s * np.sin(b)
    n = gas.n_h2_cm3(np.hypot(x, y), z)
    return float(np.trapezoid(n, s) * KPC_CM / X_CO)


@pytest.mark.parametrize("l_deg,b_deg", [(20.0, 0.0), (-35.0, 0.0), (10.0, 0.5), (60.0, -0.3)])
def test_every_observed_sight_line_keeps_its_w_co(l_deg, b_deg):
    """The rescaling preserves the data: W_CO(l, b) seen from R_sun = 8.5 kpc with the moved
    table equals W_CO(l, b) seen from 10 kpc with the table as published."""
    paper = _w_co(_gas(h2_table_r0_kpc=None), 10.0, l_deg, b_deg)
    moved = _w_co(_gas(), 8.5, l_deg, b_deg)
    assert paper > 1.0
    assert moved == pytest.approx(paper, rel=2e-3)
    # used verbatim around an 8.5 kpc Sun, the same table does not reproduce its own data
    verbatim = _w_co(_gas(h2_table_r0_kpc=None), 8.5, l_deg, b_deg)
    assert abs(verbatim / paper - 1) > 0.03
