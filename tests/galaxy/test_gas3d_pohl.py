"""The Pohl, Englmaier & Bissantz 2008 H2 cube: orientation, clipping, mass (issue #16)."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from escapade.constants import KPC_CM
from escapade.galaxy.gas3d import GasDataError, PohlH2Cube
from escapade.galaxy.gas3d.files import POHL2008_SHAPE

SUN_R_KPC = 8.5


@pytest.fixture(scope="module")
def cube() -> PohlH2Cube:
    return PohlH2Cube.load()


def _column_b0(cube: PohlH2Cube, l_deg: float) -> float:
    """N_H2 (cm^-2) along (l, b = 0) from the Sun out of the cube: trapezoid, 1 pc steps."""
    s = np.linspace(0.0, 25.0, 25001)
    lr = np.radians(l_deg)
    x, y = SUN_R_KPC - s * np.cos(lr), s * np.sin(lr)
    return float(np.trapezoid(cube.n_h2_cm3(x, y, np.zeros_like(s)), s) * KPC_CM)


def test_bar_near_end_at_positive_longitude(cube):
    """The bar's near end is in the first quadrant (l > 0).

    From the COBE/DIRBE light: Weiland et al. 1994 (ApJ 425, L81: "a triaxial bar with its
    near end in the first Galactic quadrant"), Binney, Gerhard & Spergel 1997 (MNRAS 288,
    365: "its nearer long axis lies in the first quadrant", at ~20 deg from the Sun-centre
    line); the gas flow behind the cube is computed in that potential (Pohl et al. 2008).
    Checked twice, with numbers: the major axis of the H2 surface density in 1.5 < R < 3.5 kpc
    (second moments) points, on the Sun's side (x > 0), to y > 0, i.e. positive longitude, at
    10-40 deg from the Sun-centre line; and the H2 column at b = 0 is larger at l = +20 deg
    (the sight line that passes the near end) than at l = -20 deg, and at l = +10 than -10.
    With the cube's y axis read the other way round both checks fail.
    """
    a = cube.axes
    sigma = cube.density.sum(axis=0)  # (y_cube, x)
    x = a["x0"] + a["dx"] * np.arange(sigma.shape[1])
    y = -(a["y0"] + a["dy"] * np.arange(sigma.shape[0]))  # escapade's y = -y_cube
    xx, yy = np.meshgrid(x, y)
    w = sigma * ((np.hypot(xx, yy) > 1.5) & (np.hypot(xx, yy) < 3.5))
    m = np.array(
        [[(w * xx * xx).sum(), (w * xx * yy).sum()], [(w * xx * yy).sum(), (w * yy * yy).sum()]]
    )
    major = np.linalg.eigh(m)[1][:, 1]
    major = major if major[0] > 0 else -major  # the end on the Sun's side
    angle = np.degrees(np.arctan2(major[1], major[0]))
    assert 10.0 < angle < 40.0, angle
    n_p20, n_m20 = _column_b0(cube, 20.0), _column_b0(cube, -20.0)
    n_p10, n_m10 = _column_b0(cube, 10.0), _column_b0(cube, -10.0)
    assert n_p20 > 1.05 * n_m20, (n_p20, n_m20)
    assert n_p10 > 1.5 * n_m10, (n_p10, n_m10)


def test_clipped_fraction_reported_and_zero_for_the_shipped_file(cube):
    """The integer file ("rev2int") has no negative cell: the clip removes nothing.

    The header's DATAMIN = -1.13 describes the floating-point original; its negatives were
    zeroed when the integer file was written (docs/gamma.md, "Gas models").
    """
    assert cube.clipped_fraction == 0.0
    assert cube.density.min() >= 0.0
    assert cube.n_saturated == 1  # the int16 maximum 32767 at the Galactic centre


def test_clipping_of_negative_cells(tmp_path):
    """A cube with negative cells: they are set to 0 and their share of sum |n| is reported."""
    data = np.zeros(POHL2008_SHAPE, dtype=np.int16)
    data[20, 150, 150] = 1000
    data[20, 150, 151] = -250
    hdu = fits.PrimaryHDU(data)
    for ax, (c0, d) in enumerate(((-14950.0, 100.0), (-14950.0, 100.0), (-487.5, 25.0)), 1):
        hdu.header[f"CRVAL{ax}"], hdu.header[f"CDELT{ax}"], hdu.header[f"CRPIX{ax}"] = c0, d, 1
    hdu.header["BSCALE"] = 0.01
    path = tmp_path / "cube.fits"
    hdu.writeto(path)
    c = PohlH2Cube.load(path)
    assert c.clipped_fraction == pytest.approx(250.0 / 1250.0)
    assert c.density.min() == 0.0
    assert c.density.max() == pytest.approx(10.0)


def test_h2_mass_inside_solar_circle(cube):
    """H2 inside R_sun of the cube (X_CO = 2.3e20) against published totals of the Galaxy.

    Rice et al. 2016 (ApJ 822, 52): their 1064 clouds, 2.5e8 M_sun, are 25 (-5.8, +10.7) % of
    the Milky Way's estimated H2 mass, i.e. 0.70 - 1.30 e9 M_sun; Miville-Deschenes, Murray &
    Lee 2017 (ApJ 834, 57): 1.2e9 M_sun in their catalogue; Nakanishi & Sofue 2016 (PASJ 68,
    5): most of the H2 lies inside the solar circle. The cube gives 1.12e9 M_sun inside 8.5 kpc.
    """
    m_in = cube.mass_h2_msun(SUN_R_KPC)
    m_all = cube.mass_h2_msun()
    assert 0.70e9 <= m_in <= 1.30e9, m_in
    assert m_in / m_all > 0.5  # most of it inside the solar circle


def test_outside_the_cube_is_flagged(cube):
    assert cube.inside(0.0, 0.0, 0.0)
    assert not cube.inside(0.0, 0.0, 0.6)
    assert not cube.inside(15.5, 0.0, 0.0)
    assert cube.n_h2_cm3(16.0, 0.0, 0.0) == 0.0


def test_missing_and_damaged_cube_name_the_file(tmp_path):
    with pytest.raises(GasDataError, match=r"nope\.fits is missing: expected a FITS image"):
        PohlH2Cube.load(tmp_path / "nope.fits")
    bad = tmp_path / "bad.fit.gz"
    bad.write_bytes(b"this is not a FITS file")
    with pytest.raises(GasDataError, match=r"bad\.fit\.gz .*expected a FITS image of shape"):
        PohlH2Cube.load(bad)
    wrong = tmp_path / "wrong.fits"
    fits.PrimaryHDU(np.zeros((4, 5, 6), dtype=np.int16)).writeto(wrong)
    with pytest.raises(GasDataError, match=r"wrong\.fits .*shape \(4, 5, 6\)"):
        PohlH2Cube.load(wrong)
