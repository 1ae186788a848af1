"""Interstellar gas: atomic (HI), molecular (H2) and ionised (HII) hydrogen, plus helium.

The analytic axisymmetric model used by GALPROP (Strong & Moskalenko 1998, ApJ 509,
212) and DRAGON, built from:

* HI: the mid-plane radial profile of Gordon & Burton 1976 (ApJ 208, 346, Table 1),
  with the vertical profile of Dickey & Lockman 1990 (ARA&A 28, 215) inside
  8 kpc and of Cox, Kruegel & Mezger 1986 (A&A 155, 380) outside 10 kpc, blended
  linearly between 8 and 10 kpc;
* H2: the CO emissivity W_CO(R), mid-plane offset z0(R) and half-width zh(R) of
  Bronfman et al. 1988 (ApJ 324, 248, Table 3), converted with X_CO
  (n_H2 = X_CO W_CO exp(-ln2 ((z - z0)/zh)^2), molecules per cm^3), moved from the
  table's R0 = 10 kpc onto the model's R_sun (see :data:`BRONFMAN1988_R0_KPC`);
* HII: the two-component model of Cordes et al. 1991 (Nature 354, 121)::

      n = 0.025 exp(-|z|/1 kpc) exp(-(R/20 kpc)^2)
        + 0.2 exp(-|z|/0.15 kpc) exp(-((R - 4 kpc)/2 kpc)^2) cm^-3;

* He: a fixed number ratio to hydrogen (default 0.1).

The tables are shipped in ``escapade/data/gas`` with their provenance headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

import numpy as np

from ..constants import KPC_CM
from ..grid import Grid

X_CO_STRONG2004 = ((3.5, 0.4e20), (5.5, 0.6e20), (7.5, 0.8e20), (9.5, 1.5e20), (np.inf, 10.0e20))
"""Radially varying X_CO of Strong et al. 2004 (A&A 422, L47), cm^-2 (K km/s)^-1,
as (upper radius in kpc, value) pairs."""


BRONFMAN1988_R0_KPC = 10.0
"""Galactocentric radius of the Sun on which the radii of Bronfman et al. 1988 Table 3 are
computed, kpc.

The paper's title ("the mean radial distribution of molecular clouds within the solar
circle") and its table, which runs out at 10.25 kpc, are on the pre-1985 IAU scale
R0 = 10 kpc, not on the IAU 1985 value 8.5 kpc escapade uses. GALPROP, whose analytic gas
escapade follows, says so in the comments of its H2 model (GALPROP v56 ``nH.cc``, which
cites Moskalenko et al. 2002, ApJ 565, 280, for the formalism): the Ferriere et al. 2007 and
Wouterloot et al. 1990 pieces it adds are "scaled to 10 kpc radius of the Sun" so as to
match the B88 table, which it keeps on its own scale ("we could have scaled B88 model but
decided on this instead") while running with R_sun = 8.5 kpc. escapade rescales instead, as
fits of the B88 data elsewhere do by writing radii in units of R0 (e.g. the double-Gaussian
fit of the Bolocam GPS "distance-omnibus" code, routine H2_DENSITY: ring at 0.527 R0; the
table's own maximum, 5.25 kpc on R0 = 10 kpc, is at 0.525 R0).

Kinematic distances scale with R0 (exactly so for a flat rotation curve at fixed Theta0:
R / R0 = Theta0 sin l / (v_LSR + Theta0 sin l)), so radii, and the heights z0 and zh
(angles times distances), all scale by s = R_sun / R0, while the emissivity per kpc of
path scales by 1 / s: every observed W_CO(l, b) is then unchanged, the face-on surface
density at a scaled radius is unchanged and the molecular mass scales by s^2."""


@cache
def _table(name: str) -> np.ndarray:
    with resources.files("escapade.data.gas").joinpath(name).open("r", encoding="utf-8") as f:
        return np.loadtxt(f, comments="#")


def _hi_midplane_cm3(r_kpc: np.ndarray) -> np.ndarray:
    """Gordon & Burton 1976 mid-plane HI density (cm^-3) normalised to the disk value 0.33."""
    t = _table("HI_GordonBurton1976_radial.txt")
    edges, vals = t[:, 0], t[:, 1]
    centres = 0.5 * (edges[:-1] + edges[1:])
    vals = vals[:-1]
    r = np.asarray(r_kpc, dtype=float)
    n = np.interp(r, centres, vals)
    r_last = centres[-1]
    outer = vals[-1] * np.exp(-(r - r_last) / 3.0)
    return np.where(r > r_last, outer, n)


def _hi_vertical(r_kpc: np.ndarray, z_kpc: np.ndarray) -> np.ndarray:
    """Vertical HI profile: Dickey & Lockman 1990 (R <= 8) / Cox et al. 1986 (R >= 10)."""
    z = np.abs(z_kpc)
    ln2 = np.log(2.0)
    f_dl = (
        0.395 * np.exp(-ln2 * (z / 0.106) ** 2)
        + 0.107 * np.exp(-ln2 * (z / 0.265) ** 2)
        + 0.064 * np.exp(-z / 0.403)
    )
    f_cox = 0.57 * np.exp(-((z / (0.0523 * np.exp(0.11 * r_kpc))) ** 2))
    w = np.clip((r_kpc - 8.0) / 2.0, 0.0, 1.0)
    return (1.0 - w) * f_dl + w * f_cox


@dataclass(frozen=True)
class AnalyticGas:
    """The GALPROP-style analytic gas model (see module docstring).

    Parameters
    ----------
    x_co : CO-to-H2 conversion factor, cm^-2 (K km/s)^-1, or ``"strong2004"``
        for the radially varying values of Strong et al. 2004.
    he_to_h : helium to hydrogen number ratio.
    enabled : ``False`` gives an empty Galaxy (no gas anywhere).
    sun_r_kpc : Galactocentric radius of the Sun of the model, kpc.
    h2_table_r0_kpc : R0 of the Bronfman et al. 1988 table (:data:`BRONFMAN1988_R0_KPC`);
        the table is moved onto ``sun_r_kpc`` (radii and heights times
        ``sun_r_kpc / h2_table_r0_kpc``, emissivity per kpc divided by it). ``None`` uses
        the table verbatim, as GALPROP and DRAGON do.
    """

    x_co: float | str = 1.9e20
    he_to_h: float = 0.1
    enabled: bool = True
    sun_r_kpc: float = 8.5
    h2_table_r0_kpc: float | None = BRONFMAN1988_R0_KPC

    @property
    def h2_scale(self) -> float:
        """s = R_sun / R0(Bronfman 1988): the factor on the table's radii and heights."""
        return 1.0 if self.h2_table_r0_kpc is None else self.sun_r_kpc / self.h2_table_r0_kpc

    def n_hi_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """Atomic hydrogen density (atoms cm^-3)."""
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        if not self.enabled:
            return np.zeros(r.shape)
        return _hi_midplane_cm3(r) * _hi_vertical(r, z) / 0.33

    def x_co_at(self, r_kpc) -> np.ndarray:
        r = np.asarray(r_kpc, float)
        if isinstance(self.x_co, str):
            edges = np.array([e for e, _ in X_CO_STRONG2004])
            vals = np.array([v for _, v in X_CO_STRONG2004])
            return vals[np.searchsorted(edges, r, side="right").clip(0, len(vals) - 1)]
        return np.full(r.shape, float(self.x_co))

    def n_h2_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """Molecular hydrogen density (H2 molecules cm^-3)."""
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        if not self.enabled:
            return np.zeros(r.shape)
        rt, wco, z0, zh = _table("H2_Bronfman1988_CO.txt").T
        s = self.h2_scale
        rt, wco, z0, zh = rt * s, wco / s, z0 * s, zh * s
        w = np.interp(r, rt, wco, right=0.0)
        zc = np.interp(r, rt, z0)
        hw = np.interp(r, rt, zh)
        return self.x_co_at(r) * w * np.exp(-np.log(2.0) * ((z - zc) / hw) ** 2) / KPC_CM

    def n_hii_cm3(self, r_kpc, z_kpc) -> np.ndarray:
        """Ionised hydrogen (free electron) density, Cordes et al. 1991 (cm^-3)."""
        r, z = np.broadcast_arrays(np.asarray(r_kpc, float), np.asarray(z_kpc, float))
        if not self.enabled:
            return np.zeros(r.shape)
        az = np.abs(z)
        return 0.025 * np.exp(-az / 1.0) * np.exp(-((r / 20.0) ** 2)) + 0.2 * np.exp(
            -az / 0.15
        ) * np.exp(-(((r - 4.0) / 2.0) ** 2))

    def on_grid(self, grid: Grid) -> GasOnGrid:
        """Control-volume averages of every component on ``grid``."""
        return GasOnGrid.averaged(self, grid)


@dataclass(frozen=True)
class GasOnGrid:
    """Gas densities averaged over the control volumes of a grid, each (nr, nz) in cm^-3."""

    hi: np.ndarray
    h2: np.ndarray
    hii: np.ndarray
    he_to_h: float

    @classmethod
    def averaged(cls, gas, grid: Grid) -> GasOnGrid:
        """Control-volume averages of a gas model's (R, z) face (``n_hi_cm3(r, z)``,
        ``n_h2_cm3``, ``n_hii_cm3``, ``he_to_h``) on ``grid``."""
        return cls(
            hi=grid.cell_average(gas.n_hi_cm3),
            h2=grid.cell_average(gas.n_h2_cm3),
            hii=grid.cell_average(gas.n_hii_cm3),
            he_to_h=gas.he_to_h,
        )

    # the sums below are read at every energy of every march: computed once, read-only
    @cached_property
    def h_neutral(self) -> np.ndarray:
        """Neutral hydrogen atoms: n_HI + 2 n_H2."""
        return _frozen(self.hi + 2.0 * self.h2)

    @cached_property
    def h_total(self) -> np.ndarray:
        """All hydrogen nuclei (targets for spallation): n_HI + 2 n_H2 + n_HII."""
        return _frozen(self.h_neutral + self.hii)

    @cached_property
    def he(self) -> np.ndarray:
        """Helium nuclei: he_to_h * all hydrogen."""
        return _frozen(self.he_to_h * self.h_total)

    @cached_property
    def he_neutral(self) -> np.ndarray:
        """Neutral helium atoms: he_to_h * neutral hydrogen."""
        return _frozen(self.he_to_h * self.h_neutral)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a
