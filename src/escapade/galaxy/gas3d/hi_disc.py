"""A 3D HI disc: the analytic surface density, the observed flare and warp of the outer Galaxy.

n_HI(R, phi, z) = n_an(R, (z - z_w(R, phi)) / s(R)) / s(R)

* n_an is the analytic HI of :class:`escapade.galaxy.gas.AnalyticGas` (Gordon & Burton 1976
  mid-plane profile, Dickey & Lockman 1990 / Cox et al. 1986 vertical profiles). The change
  of variable keeps its surface density Sigma(R) = int n dz at every R: only the vertical
  distribution is changed.
* Flare, s(R): inside the solar circle s = 1 (the analytic vertical profile). Outside, the
  analytic profile's own relative thickening is replaced by the observed one,

      s(R) = [h(R) / h(R_sun)] / [W_an(R) / W_an(R_sun)],   h(R) = h_9 exp((R - 9 kpc) / R_f),

  with W_an(R) = Sigma(R) / (2 n_an(R, 0)) the equivalent half-thickness of the analytic
  profile and h(R) the HI scale height of the LAB survey, which "flares from 0.3 kpc at
  R = 9 kpc up to 1 kpc at R = 30 kpc" (Dedes et al. 2005, ASP Conf. Ser. 331, 75):
  h_9 = 0.3 kpc, R_f = 21 kpc / ln(1 / 0.3). The exponential form follows Kalberla & Dedes
  2008 (A&A 487, 951), who find that the HI scale heights follow exponential relations.
  Only the ratio h(R)/h(R_sun) is used, so the definition of "scale height" drops out.
* Warp, z_w(R, phi) = A(R) sin(phi), phi the Galactocentric azimuth from the Sun's direction
  toward +y (positive longitude): an m = 1 mode, the strongest mode of the outer disc
  (Levine, Blitz & Heiles 2006, ApJ 643, 881). A(R) = 0 inside the solar circle and grows
  linearly to A = 1 kpc at R = 17 kpc, where the symmetric part of the warp reaches its
  maximum deviation of 1 kpc (Dedes et al. 2005); the northern (z > 0) side is in quadrants
  I and II (0 < l < 180 deg, y > 0), as found there. Beyond 17 kpc the linear growth is
  continued; the observed north-south asymmetry beyond ~17 kpc (the m = 0 and m = 2 modes of
  Levine et al. 2006) is not modelled.

Under the survey constraint (:mod:`escapade.galaxy.gas3d.survey`) the flare and warp only
decide where along each sight line the surveyed column is placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..gas import AnalyticGas

FLARE_H9_KPC = 0.3
"""HI scale height at R = 9 kpc (Dedes et al. 2005, ASP Conf. Ser. 331, 75)."""
FLARE_R_KPC = 21.0 / np.log(1.0 / 0.3)
"""e-folding length of the HI flare, from 0.3 kpc at 9 kpc to 1 kpc at 30 kpc (Dedes et al.)."""
WARP_AMPLITUDE_KPC = 1.0
"""m = 1 warp amplitude at R = 17 kpc (Dedes et al. 2005: maximum deviation of 1 kpc)."""
WARP_REFERENCE_R_KPC = 17.0
"""Radius where the warp reaches WARP_AMPLITUDE_KPC (Dedes et al. 2005)."""

_Z_TABLE = np.linspace(0.0, 12.0, 4801)
_R_TABLE = np.linspace(0.0, 60.0, 601)


@dataclass(frozen=True)
class HIDisc:
    """The 3D HI model (see module docstring); kpc in, atoms cm^-3 out.

    Parameters
    ----------
    analytic : the analytic gas whose HI surface density is used.
    sun_r_kpc : Galactocentric radius of the Sun (where flare and warp start).
    flare, warp : switch the observed flare / the warp on or off.
    """

    analytic: AnalyticGas
    sun_r_kpc: float = 8.5
    flare: bool = True
    warp: bool = True

    @cached_property
    def _width_table(self) -> np.ndarray:
        """Equivalent half-thickness W_an(R) of the analytic HI on _R_TABLE (kpc)."""
        rr, zz = np.meshgrid(_R_TABLE, _Z_TABLE, indexing="ij")
        n = AnalyticGas(enabled=True).n_hi_cm3(rr, zz)
        sigma_half = np.trapezoid(n, _Z_TABLE, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n[:, 0] > 0, sigma_half / n[:, 0], 1.0)

    def stretch(self, r_kpc) -> np.ndarray:
        """The vertical stretch s(R) of the analytic profile (1 inside the solar circle)."""
        r = np.asarray(r_kpc, float)
        if not self.flare:
            return np.ones(r.shape)
        w = np.interp(r, _R_TABLE, self._width_table)
        w_sun = np.interp(self.sun_r_kpc, _R_TABLE, self._width_table)
        h_ratio = np.exp((r - self.sun_r_kpc) / FLARE_R_KPC)
        return np.where(r > self.sun_r_kpc, h_ratio / (w / w_sun), 1.0)

    def warp_height_kpc(self, x_kpc, y_kpc) -> np.ndarray:
        """Mid-plane height z_w of the warped disc at Galactocentric (x, y), kpc."""
        x, y = np.broadcast_arrays(np.asarray(x_kpc, float), np.asarray(y_kpc, float))
        if not self.warp:
            return np.zeros(x.shape)
        r = np.hypot(x, y)
        slope = WARP_AMPLITUDE_KPC / (WARP_REFERENCE_R_KPC - self.sun_r_kpc)
        amp = np.clip(r - self.sun_r_kpc, 0.0, None) * slope
        with np.errstate(invalid="ignore", divide="ignore"):
            sin_phi = np.where(r > 0, y / np.where(r > 0, r, 1.0), 0.0)
        return amp * sin_phi

    def n_hi_cm3(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """HI density (atoms cm^-3) at Galactocentric (x, y, z) in kpc."""
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        r = np.hypot(x, y)
        s = self.stretch(r)
        zeta = (z - self.warp_height_kpc(x, y)) / s
        return self.analytic.n_hi_cm3(r, zeta) / s
