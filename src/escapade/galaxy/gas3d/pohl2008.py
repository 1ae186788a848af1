"""The 3D H2 model of Pohl, Englmaier & Bissantz 2008 (ApJ 677, 283).

The CfA CO survey (Dame, Hartmann & Thaddeus 2001, ApJ 547, 792) deconvolved into space with
the gas flow of an SPH simulation in a barred potential. The cube gives n_H2 (molecules
cm^-3) for X_CO = 2.3e20 cm^-2 (K km/s)^-1 (header COMMENT "Uses nominal X-factor 2.3e20") on
300 x 300 x 40 cells: x, y pixel centres -14.95..14.95 kpc (100 pc), z -0.4875..0.4875 kpc
(25 pc), Galactocentric.

Conventions used here (and checked by ``tests/galaxy/test_gas3d_pohl.py``, not by eye):

* escapade's Galactocentric frame has the Sun at (x, y, z) = (R_sun, 0, 0), the Galactic
  centre at the origin and +y toward Galactic longitude l = +90 deg. The cube's own y axis
  runs the other way (the distributing repository reads it as H2(z, -y, x)), so
  n(x, y, z) = cube(z, -y, x). With this choice the bar's near end lies at positive
  longitude, as found from the COBE/DIRBE light (Weiland et al. 1994, ApJ 425, L81; Binney,
  Gerhard & Spergel 1997, MNRAS 288, 365: "its nearer long axis lies in the first quadrant"),
  the gas-flow potential the cube is built on.
* The cube is used in kpc about the Galactic centre as given, whatever ``galaxy.sun_r_kpc``
  is: the structures stay where the deconvolution put them and only the observer moves.
  (The deconvolution assumed a solar distance; we could not confirm its value from the paper
  text available to us, and we do not rescale the cube.)
* X_CO: the density is multiplied by X_CO / 2.3e20 (or by X_CO(R) / 2.3e20 for the radial
  X_CO of Strong et al. 2004), since n_H2 is proportional to the assumed X_CO.
* Negative deconvolution residuals are clipped to zero; :attr:`PohlH2Cube.clipped_fraction`
  is the fraction of the total H2 (the sum of |values|) the clip removed.
* Between cell centres the density is trilinear; outside the cube (|z| > 0.4875 kpc or
  R > 14.95 kpc, the inscribed cylinder) :meth:`PohlH2Cube.inside` is false and the caller
  falls back to the analytic model (:mod:`escapade.galaxy.gas3d.model`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from astropy import constants as _ac
from scipy.ndimage import map_coordinates

from ...constants import KPC_CM
from .files import POHL2008_FILE, packaged, read_pohl2008_raw

POHL2008_X_CO = 2.3e20
"""The X_CO the cube assumes, cm^-2 (K km/s)^-1 (Pohl et al. 2008; FITS header)."""

M_SUN_G = float(_ac.M_sun.cgs.value)
"""Solar mass in g (astropy's IAU 2015 value)."""
M_H_G = float(_ac.m_p.cgs.value + _ac.m_e.cgs.value)
"""Mass of a hydrogen atom in g (proton + electron, binding energy neglected)."""


@dataclass(frozen=True)
class PohlH2Cube:
    """The Pohl et al. 2008 H2 cube, clipped, in escapade's Galactocentric frame.

    Attributes
    ----------
    density : (nz, ny, nx) n_H2 in molecules cm^-3 for X_CO = 2.3e20, negatives clipped.
    axes : ``x0, dx, y0, dy, z0, dz`` in kpc (centre of the first cell and spacing, the
        cube's own axes; y is flipped on lookup, see the module docstring).
    clipped_fraction : sum of the negative values / sum of |values| before the clip.
    n_saturated : cells at the int16 maximum of the file (lower limits).
    """

    density: np.ndarray
    axes: dict[str, float]
    clipped_fraction: float
    n_saturated: int
    path: Path = field(default_factory=lambda: packaged(POHL2008_FILE))

    @classmethod
    def load(cls, path: Path | None = None) -> PohlH2Cube:
        """Read and clip the cube (the shipped file by default)."""
        return _load(Path(path) if path is not None else packaged(POHL2008_FILE))

    @property
    def half_height_kpc(self) -> float:
        """|z| of the outermost cell centres (0.4875 kpc)."""
        return abs(self.axes["z0"])

    @property
    def radius_kpc(self) -> float:
        """Radius of the cylinder inscribed in the x-y square of cell centres (14.95 kpc)."""
        return min(abs(self.axes["x0"]), abs(self.axes["y0"]))

    def inside(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """True where the cube describes the gas (|z| <= 0.4875 kpc and R <= 14.95 kpc)."""
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        return (np.hypot(x, y) <= self.radius_kpc) & (np.abs(z) <= self.half_height_kpc)

    def n_h2_cm3(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """n_H2 (molecules cm^-3, X_CO = 2.3e20) at Galactocentric (x, y, z) in kpc.

        Trilinear between cell centres; 0 outside the cube (use :meth:`inside`).
        """
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        a = self.axes
        iz = (z - a["z0"]) / a["dz"]
        iy = (-y - a["y0"]) / a["dy"]  # the cube's y axis points to negative longitude
        ix = (x - a["x0"]) / a["dx"]
        coords = np.stack([iz.ravel(), iy.ravel(), ix.ravel()])
        vals = map_coordinates(self.density, coords, order=1, mode="constant", cval=0.0)
        return np.where(self.inside(x, y, z), vals.reshape(x.shape), 0.0)

    def mass_h2_msun(self, r_max_kpc: float = np.inf, x_co_scale: float = 1.0) -> float:
        """H2 mass (molecules only, no helium) in cells with R < r_max, in solar masses."""
        a = self.axes
        nz, ny, nx = self.density.shape
        xc = a["x0"] + a["dx"] * np.arange(nx)
        yc = a["y0"] + a["dy"] * np.arange(ny)
        rr = np.hypot(xc[None, :], yc[:, None])
        column = self.density.sum(axis=0) * (a["dz"] * KPC_CM)  # molecules cm^-2 per (y, x)
        cell_area = a["dx"] * a["dy"] * KPC_CM**2
        n_molecules = float(column[rr < r_max_kpc].sum() * cell_area) * x_co_scale
        return n_molecules * 2.0 * M_H_G / M_SUN_G


@cache
def _load(path: Path) -> PohlH2Cube:
    raw, axes = read_pohl2008_raw(path)
    negative = -raw[raw < 0].sum()
    total = np.abs(raw).sum()
    clipped = abs(float(negative / total)) if total > 0 else 0.0  # abs: no -0.0
    dmax = raw.max()
    n_sat = int(np.count_nonzero(np.isclose(raw, dmax))) if dmax > 0 else 0
    return PohlH2Cube(
        density=np.clip(raw, 0.0, None),
        axes=axes,
        clipped_fraction=clipped,
        n_saturated=n_sat,
        path=path,
    )
