"""Cosmic-ray source distributions: radial profiles, vertical profiles, spectra.

Every radial profile is a named, cited class with one method,
``shape(r_kpc)``, returning the source density relative to its value at the Sun
(``shape(sun_r_kpc) == 1`` unless the profile vanishes there). The letter
(Evoli et al. 2012) uses the pulsar profile of Lorimer et al. 2006.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..grid import Grid


@dataclass(frozen=True)
class RadialProfile:
    """Base class: a radial source profile normalised at the Sun.

    ``r_cut_kpc`` sets the profile to zero beyond that radius (None: no cut).
    """

    sun_r_kpc: float = 8.5
    r_cut_kpc: float | None = None

    def _raw(self, r_kpc: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def shape(self, r_kpc) -> np.ndarray:
        r = np.asarray(r_kpc, dtype=float)
        q = self._raw(r) / self._raw(np.asarray(self.sun_r_kpc))
        if self.r_cut_kpc is not None:
            q = np.where(r > self.r_cut_kpc, 0.0, q)
        return q


@dataclass(frozen=True)
class Lorimer(RadialProfile):
    """Pulsar distribution of Lorimer et al. 2006 (MNRAS 372, 777), as in the letter:

    Q(R) = (R / R_sun)^1.9 exp(-5 (R - R_sun) / R_sun).
    """

    def _raw(self, r_kpc):
        x = r_kpc / self.sun_r_kpc
        return x**1.9 * np.exp(-5.0 * (x - 1.0))


@dataclass(frozen=True)
class CaseBhattacharya(RadialProfile):
    """Supernova remnants, Case & Bhattacharya 1998 (ApJ 504, 761):

    Q(R) = (R / R_sun)^2 exp(-3.53 (R - R_sun) / R_sun).
    """

    def _raw(self, r_kpc):
        x = r_kpc / self.sun_r_kpc
        return x**2.0 * np.exp(-3.53 * (x - 1.0))


@dataclass(frozen=True)
class YusifovKucuk(RadialProfile):
    """Pulsars, Yusifov & Kucuk 2004 (A&A 422, 545), with R1 = 0.55 kpc, a = 1.64, b = 4.01:

    Q(R) = ((R + R1) / (R_sun + R1))^a exp(-b (R - R_sun) / (R_sun + R1)).
    """

    def _raw(self, r_kpc):
        r1 = 0.55
        s = self.sun_r_kpc + r1
        return ((r_kpc + r1) / s) ** 1.64 * np.exp(-4.01 * (r_kpc - self.sun_r_kpc) / s)


@dataclass(frozen=True)
class Ferriere(RadialProfile):
    """Supernova rate of Ferriere 2001 (Rev. Mod. Phys. 73, 1031), Type Ia plus Type II.

    Surface rates in kpc^-2 Myr^-1 (the two branches of sigma_II join continuously)::

        sigma_Ia = 4.8 exp(-(R - 8.5 kpc) / 4.5 kpc),
        sigma_II = 27 * { exp(-(R^2 - (8.5 kpc)^2) / (6.8 kpc)^2)   for R > 3.7 kpc,
                          3.55 exp(-((R - 3.7 kpc) / 2.1 kpc)^2)   for R <= 3.7 kpc }
    """

    def _raw(self, r_kpc):
        ia = 4.8 * np.exp(-(r_kpc - 8.5) / 4.5)
        outer = np.exp(-(r_kpc**2 - 8.5**2) / 6.8**2)
        inner = 3.55 * np.exp(-(((r_kpc - 3.7) / 2.1) ** 2))
        return ia + 27.0 * np.where(r_kpc > 3.7, outer, inner)


@dataclass(frozen=True)
class Uniform(RadialProfile):
    """A radially uniform source (useful for tests and analytic comparisons)."""

    def _raw(self, r_kpc):
        return np.ones_like(r_kpc, dtype=float)


RADIAL_PROFILES: dict[str, type[RadialProfile]] = {
    "lorimer": Lorimer,
    "ferriere": Ferriere,
    "case_bhattacharya": CaseBhattacharya,
    "yusifov_kucuk": YusifovKucuk,
    "uniform": Uniform,
}
"""Named radial profiles selectable with ``[source] radial``."""


@dataclass(frozen=True)
class VerticalProfile:
    """Vertical source profile.

    ``kind = "exponential"``: exp(-|z| / scale_kpc) (the letter-era DRAGON choice
    with scale 0.2 kpc); ``kind = "slab"``: 1 for |z| < scale_kpc (half-thickness),
    0 outside.
    """

    kind: str = "exponential"
    scale_kpc: float = 0.2

    def shape(self, z_kpc) -> np.ndarray:
        z = np.abs(np.asarray(z_kpc, dtype=float))
        if self.kind == "exponential":
            return np.exp(-z / self.scale_kpc)
        return (z < self.scale_kpc).astype(float)

    def integral_kpc(self) -> float:
        """Integral of the profile over all z (kpc)."""
        return 2.0 * self.scale_kpc


@dataclass(frozen=True)
class SourceDistribution:
    """Spatial distribution of the sources: radial times vertical profile."""

    radial: RadialProfile
    vertical: VerticalProfile

    def density(self, r_kpc, z_kpc) -> np.ndarray:
        """Relative source density (1 at the Sun in the plane)."""
        return self.radial.shape(r_kpc) * self.vertical.shape(z_kpc)

    def on_grid(self, grid: Grid) -> np.ndarray:
        """Control-volume average of the relative source density, (nr, nz)."""
        if self.vertical.kind == "slab":
            # exact overlap of the slab with each control volume, radial part by quadrature
            h = self.vertical.scale_kpc
            overlap = np.clip(
                np.minimum(grid.z_hi_kpc, h) - np.maximum(grid.z_lo_kpc, -h), 0.0, None
            )
            frac = overlap / (grid.z_hi_kpc - grid.z_lo_kpc)
            radial = grid.cell_average(lambda r, z: self.radial.shape(r) + 0.0 * z)
            return radial * frac[None, :]
        if self.vertical.kind == "exponential":
            # exact vertical average of exp(-|z|/h) over each control volume
            h = self.vertical.scale_kpc
            prim = _exp_abs_primitive
            zl, zh = grid.z_lo_kpc, grid.z_hi_kpc
            frac = (prim(zh, h) - prim(zl, h)) / (zh - zl)
            radial = grid.cell_average(lambda r, z: self.radial.shape(r) + 0.0 * z)
            return radial * frac[None, :]
        return grid.cell_average(self.density)


def _exp_abs_primitive(z, h):
    """A primitive of exp(-|z|/h): sign(z) h (1 - exp(-|z|/h))."""
    return np.sign(z) * h * (1.0 - np.exp(-np.abs(z) / h))


@dataclass(frozen=True)
class InjectionSpectrum:
    """Source spectrum per unit rigidity: a broken power law.

    q(R) = (R / R_ref)^(-index)  below the first break, with the index changing to
    ``break_indices[k]`` above ``break_rigidities_gv[k]`` (continuous). Relative
    abundances multiply it per species.
    """

    index: float = 2.3
    reference_rigidity_gv: float = 1.0
    break_rigidities_gv: tuple[float, ...] = ()
    break_indices: tuple[float, ...] = ()

    def per_rigidity(self, rigidity_gv) -> np.ndarray:
        r = np.asarray(rigidity_gv, dtype=float)
        lq = -self.index * np.log(r / self.reference_rigidity_gv)
        prev_index = self.index
        for rb, gb in zip(self.break_rigidities_gv, self.break_indices, strict=True):
            above = r > rb
            lq = np.where(above, lq - (gb - prev_index) * np.log(r / rb), lq)
            prev_index = gb
        return np.exp(lq)
