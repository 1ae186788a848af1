"""The survey-constrained 3D gas (``[gas] model = "survey3d"``): one object, two faces.

Phases (densities in cm^-3, positions in kpc):

* HI: the 3D disc of :mod:`escapade.galaxy.gas3d.hi_disc` held to the HI4PI column (HI4PI
  Collaboration 2016, A&A 594, A116) sight line by sight line:

      n_HI^c(x) = n_HI^model(x) f(p(x)),   f(p) = N_HI4PI(p) / N_model(p),

  p(x) the HEALPix pixel (nside 64) of the direction of x seen from the Sun and N_model(p) the
  model column along the pixel centre, computed with the quadrature of
  :class:`escapade.galaxy.gas3d.survey.LineOfSight` out to the edge of the Galaxy
  (R <= R_max, |z| <= H of ``[galaxy]``). Along every pixel centre the constrained column
  equals the survey's (to the accuracy of that quadrature); the radial distribution along the
  sight line is the model's. With ``hi_survey_constraint = false`` f = 1: the 3D disc as
  modelled, the "3D unconstrained" gas of the sensitivity table (docs/gamma.md).
* H2 (molecules): the cube of Pohl, Englmaier & Bissantz 2008 (ApJ 677, 283;
  :mod:`escapade.galaxy.gas3d.pohl2008`) scaled by X_CO / 2.3e20 where it is defined
  (|z| <= 0.4875 kpc and R <= 14.95 kpc); outside it, the analytic Bronfman et al. 1988
  model of :class:`escapade.galaxy.gas.AnalyticGas` with the configured X_CO (the fall-back).
* HII: the analytic Cordes et al. 1991 (Nature 354, 121) model, as in AnalyticGas.
* Dark gas (optional, H atoms): the positive part of the dust residual along each pixel,

      N_dark(p) = max(0, E(B-V)(p) * R_dg - N_HI4PI(p) - 2 N_H2(p)),

  with N_HI4PI the observed column (also when ``hi_survey_constraint = false``) and R_dg =
  N_H / E(B-V) calibrated by default on the two maps where the sky is atomic
  (:attr:`SurveyGas3D.dust_to_gas_cm2_mag`; 8.37e21 cm^-2 mag^-1 for SFD98, Lenz et al. 2017:
  8.8e21) or a configured number (Bohlin, Savage & Drake 1978, ApJ 224, 132: 5.8e21), N_H2
  the model column and E(B-V) from SFD98 (Schlegel, Finkbeiner & Davis 1998, ApJ
  500, 525; the default, ``dust_map = "sfd98"``) or Planck 2013 (A&A 571, A11; ``"planck13"``).
  SFD98 corrects the 100-um emission for the dust temperature measured along each line of sight
  (DIRBE 100/240 um); Planck 2013's E(B-V) is the dust radiance, i.e. the power the grains
  absorb, calibrated on quasars at high latitude, so it scales with column x heating rate. In
  the plane, where the radiation field falls with Galactocentric radius, the radiance-based
  E(B-V) over SFD98 is 1.64 toward |l| < 30 deg and 0.69 toward |l| > 90 deg at |b| < 5 deg
  (medians over the shipped nside-64 maps; 1.22 at |b| > 30 deg): a radiance-based dark gas
  is put in the inner Galaxy by the heating gradient (docs/gamma.md, "The dust map").
  It is distributed along the sight line like the model neutral gas n_HI^model + 2 n_H2 (the
  dark gas lies at the atomic-molecular transition, Grenier, Casandjian & Terrier 2005,
  Science 307, 1292). The transport face counts it with the HI (atomic targets).

Faces:

* 3D: :meth:`SurveyGas3D.n_hi_3d_cm3` (and ``_h2_``, ``_hii_``, ``_dark_``), ``(x, y, z)``.
* Azimuthal average, with the interface of AnalyticGas (``n_hi_cm3(r, z)``, ``n_h2_cm3``,
  ``n_hii_cm3``, ``he_to_h``, ``on_grid``): the mean over ``n_phi`` azimuths
  phi_k = 2 pi (k + 1/2) / n_phi (the midpoint rule, exact for trigonometric polynomials of
  degree < n_phi) of the 3D density at (R cos phi_k, R sin phi_k, z), evaluated at the points
  asked for (no table). Transport (``on_grid``: control-volume averages) and gamma rays then
  see the same gas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ...grid import Grid
from ..gas import AnalyticGas, GasOnGrid
from .files import EBV_FILES, HI4PI_FILE, GasDataError, packaged, read_healpix_map
from .hi_disc import HIDisc
from .pohl2008 import POHL2008_X_CO, PohlH2Cube
from .survey import LineOfSight, Sky, direction_from_sun

DUST_TO_GAS_BOHLIN1978 = 5.8e21
"""N(HI + H2) / E(B-V) in cm^-2 mag^-1 (Bohlin, Savage & Drake 1978, ApJ 224, 132)."""
DUST_TO_GAS_LENZ2017 = 8.8e21
"""N_HI / E(B-V) in cm^-2 mag^-1 of HI4PI against SFD98 where N_HI < 4e20 cm^-2 (Lenz,
Hensley & Dore 2017, ApJ 846, 38): the published value of the ``"calibrated"`` ratio."""
CALIBRATION_MAX_NHI_CM2 = 4.0e20
"""The diffuse, atomic sky of the calibration: N_HI4PI below this (Lenz et al. 2017)."""


def _naming_the_key(read, key: str, instead: str):
    """``read()``; a bad file's :class:`GasDataError` prefixed with the config key that
    asked for it and followed by the choice that does without it (still one line)."""
    try:
        return read()
    except GasDataError as exc:
        raise GasDataError(f"{key}: {exc}; or {instead}") from None


SURVEY3D_KEY = "gas.model = 'survey3d'"
WITHOUT_SURVEYS = "gas.model = 'galprop_analytic' (no survey files)"


@dataclass(frozen=True)
class SurveyOptions:
    """Choices of the survey3d model (see :class:`escapade.config.GasConfig`)."""

    hi_survey_constraint: bool = True
    hi_flare: bool = True
    hi_warp: bool = True
    dark_gas: bool = False
    dust_map: str = "sfd98"
    dust_to_gas_cm2_mag: float | str = "calibrated"
    n_phi: int = 360
    hi4pi_path: Path | None = None
    pohl_path: Path | None = None
    dust_path: Path | None = None


@dataclass(frozen=True, eq=False)
class SurveyGas3D:
    """The survey-constrained 3D gas; see the module docstring."""

    analytic: AnalyticGas = field(default_factory=AnalyticGas)
    sun_r_kpc: float = 8.5
    r_max_kpc: float = 20.0
    z_max_kpc: float = 4.0
    options: SurveyOptions = field(default_factory=SurveyOptions)

    # ------------------------------------------------------------------ inputs
    @property
    def he_to_h(self) -> float:
        return self.analytic.he_to_h

    @property
    def enabled(self) -> bool:
        return self.analytic.enabled

    @cached_property
    def cube(self) -> PohlH2Cube:
        return _naming_the_key(
            lambda: PohlH2Cube.load(self.options.pohl_path), SURVEY3D_KEY, WITHOUT_SURVEYS
        )

    @cached_property
    def hi_model(self) -> HIDisc:
        o = self.options
        return HIDisc(self.analytic, self.sun_r_kpc, flare=o.hi_flare, warp=o.hi_warp)

    @cached_property
    def sky(self) -> Sky:
        return Sky(nside=64)

    @cached_property
    def los(self) -> LineOfSight:
        return LineOfSight(self.sun_r_kpc, self.r_max_kpc, self.z_max_kpc)

    @cached_property
    def hi4pi_cm2(self) -> np.ndarray:
        """The HI4PI N_HI map (cm^-2), HEALPix nside 64 RING."""
        path = self.options.hi4pi_path or packaged(HI4PI_FILE)
        return _naming_the_key(
            lambda: read_healpix_map(Path(path), "HI4PI total N_HI in cm^-2"),
            SURVEY3D_KEY,
            WITHOUT_SURVEYS,
        )

    # ---------------------------------------------------------- survey factors
    @cached_property
    def model_hi_column_cm2(self) -> np.ndarray:
        """Column of the unconstrained HI model along every pixel centre (cm^-2)."""
        lon, lat = self.sky.centres()
        return self.los.column_cm2(self.hi_model.n_hi_cm3, lon, lat)

    @property
    def hi_column_target_cm2(self) -> np.ndarray | None:
        """The HI column each sight line is held to (HI4PI, cm^-2), or None without the
        survey constraint (``hi_survey_constraint = false``)."""
        return self.hi4pi_cm2 if self.options.hi_survey_constraint else None

    @cached_property
    def hi_factor(self) -> np.ndarray:
        """f(p) = N_HI4PI / N_model per pixel (0 where the model column vanishes); 1 in every
        pixel without the survey constraint."""
        if not self.options.hi_survey_constraint:
            return np.ones(self.sky.npix)
        survey = self.hi4pi_cm2  # read first: a bad file fails before the quadrature
        model = self.model_hi_column_cm2
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(model > 0, survey / np.where(model > 0, model, 1.0), 0.0)

    @cached_property
    def ebv_mag(self) -> np.ndarray:
        """The E(B-V) map of ``dust_map`` (mag, HEALPix nside 64 RING)."""
        o = self.options
        path = o.dust_path or packaged(EBV_FILES[o.dust_map])
        return _naming_the_key(
            lambda: read_healpix_map(Path(path), f"{o.dust_map} E(B-V) in mag"),
            f"gas.dust_map = {o.dust_map!r} (gas.dark_gas = true)",
            f"gas.dust_map = {next(k for k in EBV_FILES if k != o.dust_map)!r} or gas.dark_gas "
            "= false",
        )

    @cached_property
    def dust_to_gas_cm2_mag(self) -> float:
        """N_H / E(B-V) of the dark gas (cm^-2 mag^-1): the configured number, or with
        ``"calibrated"`` the median of N_HI4PI / E(B-V) over the pixels where N_HI4PI <
        4e20 cm^-2 (39 % of the sky, where the gas is atomic and HI4PI holds all of it).

        The residual E(B-V) R_dg - N_HI - 2 N_H2 is zero on the atomic sky only if R_dg is
        the ratio of these two maps there; Grenier, Casandjian & Terrier 2005 (Science 307,
        1292) fit it to the HI-dominated sky for this reason. Measured: 8.37e21 for SFD98
        (Lenz, Hensley & Dore 2017, ApJ 846, 38, the same surveys: 8.8e21) and 6.69e21 for the
        Planck 2013 map; Bohlin et al. 1978's 5.8e21 (stellar reddening) leaves the atomic sky
        with a negative residual on either map (docs/gamma.md, "The dust map").
        """
        value = self.options.dust_to_gas_cm2_mag
        if not isinstance(value, str):
            return float(value)
        ebv = self.ebv_mag
        atomic = (self.hi4pi_cm2 < CALIBRATION_MAX_NHI_CM2) & (ebv > 0)
        return float(np.median(self.hi4pi_cm2[atomic] / ebv[atomic]))

    @cached_property
    def dark_column_cm2(self) -> np.ndarray:
        """The dark-gas column per pixel, H atoms cm^-2 (zeros without ``dark_gas``)."""
        if not self.options.dark_gas:
            return np.zeros(self.sky.npix)
        ebv = self.ebv_mag  # read first: a bad file fails before the quadrature
        lon, lat = self.sky.centres()
        n_h2 = self.los.column_cm2(self._h2_model, lon, lat)
        return np.clip(ebv * self.dust_to_gas_cm2_mag - self.hi4pi_cm2 - 2.0 * n_h2, 0.0, None)

    @cached_property
    def dark_factor(self) -> np.ndarray:
        """N_dark / (column of the neutral-gas shape) per pixel."""
        if not self.options.dark_gas:
            return np.zeros(self.sky.npix)
        lon, lat = self.sky.centres()
        shape = self.los.column_cm2(self._neutral_shape, lon, lat)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(shape > 0, self.dark_column_cm2 / np.where(shape > 0, shape, 1), 0.0)

    def hi_factor_at(self, l_rad, b_rad) -> np.ndarray:
        """The HI survey factor f of the pixel holding each direction (l, b) in radians.

        Along a sight line from the Sun f is constant, so a line-of-sight integral may take
        n_HI^c(s) = n_HI^model(x(s)) * hi_factor_at(l, b) (``hi_model.n_hi_cm3``) instead of
        :meth:`n_hi_3d_cm3` point by point: the same numbers, one pixel lookup per line.
        """
        return self.hi_factor[self.sky.pixel_of(np.mod(l_rad, 2 * np.pi), b_rad)]

    def dark_factor_at(self, l_rad, b_rad) -> np.ndarray:
        """The dark-gas factor of each direction (multiplies n_HI^model + 2 n_H2)."""
        return self.dark_factor[self.sky.pixel_of(np.mod(l_rad, 2 * np.pi), b_rad)]

    def _pixel(self, x, y, z) -> np.ndarray:
        lon, lat = direction_from_sun(x, y, z, self.sun_r_kpc)
        return self.sky.pixel_of(lon, lat)

    def _x_co_scale(self, x, y) -> np.ndarray:
        return self.analytic.x_co_at(np.hypot(x, y)) / POHL2008_X_CO

    def _h2_model(self, x, y, z) -> np.ndarray:
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x, y, z)))
        inside = self.cube.inside(x, y, z)
        cube = self.cube.n_h2_cm3(x, y, z) * self._x_co_scale(x, y)
        return np.where(inside, cube, self.analytic.n_h2_cm3(np.hypot(x, y), z))

    def _neutral_shape(self, x, y, z) -> np.ndarray:
        return self.hi_model.n_hi_cm3(x, y, z) + 2.0 * self._h2_model(x, y, z)

    # ----------------------------------------------------------------- 3D face
    def n_hi_3d_cm3(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """Survey-constrained HI, atoms cm^-3, at Galactocentric (x, y, z) in kpc."""
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        if not self.enabled:
            return np.zeros(x.shape)
        return self.hi_model.n_hi_cm3(x, y, z) * self.hi_factor[self._pixel(x, y, z)]

    def n_h2_3d_cm3(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """H2 molecules cm^-3 (Pohl et al. 2008 inside the cube, analytic outside)."""
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        if not self.enabled:
            return np.zeros(x.shape)
        return self._h2_model(x, y, z)

    def n_hii_3d_cm3(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """Ionised hydrogen, cm^-3 (Cordes et al. 1991, axisymmetric)."""
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        return self.analytic.n_hii_cm3(np.hypot(x, y), z)

    def n_dark_3d_cm3(self, x_kpc, y_kpc, z_kpc) -> np.ndarray:
        """Dark neutral gas, H atoms cm^-3 (zero unless ``dark_gas``)."""
        x, y, z = np.broadcast_arrays(*(np.asarray(a, float) for a in (x_kpc, y_kpc, z_kpc)))
        if not (self.enabled and self.options.dark_gas):
            return np.zeros(x.shape)
        return self._neutral_shape(x, y, z) * self.dark_factor[self._pixel(x, y, z)]

    # ------------------------------------------------- azimuthal-average face
    def azimuths(self) -> np.ndarray:
        """The midpoint-rule azimuths phi_k = 2 pi (k + 1/2) / n_phi (radians)."""
        n = self.options.n_phi
        return 2.0 * np.pi * (np.arange(n) + 0.5) / n

    def azimuthal_mean(self, density3d, r_kpc, z_kpc, chunk: int = 2048) -> np.ndarray:
        """Mean over the azimuths of ``density3d(x, y, z)`` at each (R, z) (broadcast)."""
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        rf, zf = r.ravel(), z.ravel()
        phi = self.azimuths()
        cos, sin = np.cos(phi), np.sin(phi)
        out = np.empty(rf.size)
        for i in range(0, rf.size, chunk):
            rc, zc = rf[i : i + chunk, None], zf[i : i + chunk, None]
            vals = density3d(
                rc * cos[None, :], rc * sin[None, :], np.broadcast_to(zc, (rc.size, phi.size))
            )
            out[i : i + chunk] = vals.mean(axis=1)
        return out.reshape(r.shape)

    def n_hi_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """Azimuthal mean of HI (plus the dark gas when on), atoms cm^-3."""
        hi = self.azimuthal_mean(self.n_hi_3d_cm3, r_kpc, z_kpc)
        if self.options.dark_gas:
            hi = hi + self.azimuthal_mean(self.n_dark_3d_cm3, r_kpc, z_kpc)
        return hi

    def n_h2_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """Azimuthal mean of H2, molecules cm^-3."""
        return self.azimuthal_mean(self.n_h2_3d_cm3, r_kpc, z_kpc)

    def n_hii_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """HII, cm^-3 (axisymmetric already: Cordes et al. 1991)."""
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        return self.analytic.n_hii_cm3(r, z)

    def x_co_at(self, r_kpc) -> np.ndarray:
        """The configured X_CO at R (cm^-2 (K km/s)^-1), as AnalyticGas."""
        return self.analytic.x_co_at(r_kpc)

    def on_grid(self, grid: Grid) -> GasOnGrid:
        """Control-volume averages of the azimuthal-average face on ``grid``."""
        return GasOnGrid.averaged(self, grid)
