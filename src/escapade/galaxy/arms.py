"""Cosmic-ray sources in 3D: the 2D engine's profiles times a spiral-arm modulation.

The source density on a Cartesian grid (kpc) is, in the package's Galactocentric frame (that
of :mod:`escapade.galaxy.gas3d.survey`: the Sun at x = +R_sun, y = 0, Galactic longitude
l = 90 deg at +y, z towards the North Galactic Pole, the rotation towards +phi; sign
conventions of :mod:`escapade.galaxy.magnetic_field`)::

    Q(x, y, z) = Q_R(R) Q_z(z) A(R, phi),      <A>_phi = 1 at every R,

with Q_R the configured radial profile and Q_z the vertical profile of
:mod:`escapade.galaxy.sources` (exactly the 2D engine's), and A the arm modulation. Because
the azimuthal average of A is 1 at every radius, the 3D source injects, ring by ring, the
same number of particles as the 2D one; ``arms = "none"`` is A = 1, the 2D source itself.

Arm model ``faucher_giguere_kaspi2006`` (Faucher-Giguere & Kaspi 2006, ApJ 643, 332,
Sec. 3.2.1 and Table 2): four logarithmic-spiral arms theta(r) = k ln(r / r0) + theta0 with
(k [rad], r0 [kpc], theta0 [rad]) = Norma (4.25, 3.48, 1.57), Carina-Sagittarius (4.25,
3.48, 4.71), Perseus (4.89, 4.9, 4.09), Crux-Scutum (4.89, 4.9, 0.95), read from their
Table 2 as quoted with that citation by gammapy (``gammapy.astro.population.spatial``,
``FaucherSpiral``). Their frame puts the Sun at theta = pi/2 (R_sun = 8.5 kpc; the
Sagittarius arm then crosses the Sun - Galactic centre line 1.2 kpc inside the Sun and
Perseus 2.1 kpc outside); r grows with theta (k > 0), so the arms trail only if theta grows
against the rotation (as in a right-handed frame viewed from the North Galactic Pole), and
here, in the mirrored frame, phi_arm(r) = pi/2 - theta(r): r grows towards -phi, against the
rotation. The sky confirms this sense: seen from the Sun the arm tangents are then at
l ~ 48 deg (Sagittarius), 288 (Carina), 33 (Scutum), 310 (Crux), 328 (Norma), near the
observed ones (Vallee 2014, ApJS 215, 1: about 50, 283, 31, 310, 328 deg), while the mirror
image, phi_arm = theta - pi/2, would put the Carina-Sagittarius tangents at 72 and 312 deg.
They blur each pulsar's birth place around the arm centroid by a normal displacement of
width 0.07 r (their Sec. 3.2.1); here each arm is a von Mises profile along the circle of
radius R,

    A_k(R, phi) = exp(kappa (cos(phi - phi_k(R)) - 1)) / i0e(kappa),  kappa = 1 / w^2,

with w = ``arm_width_fraction`` (0.07: an arm of Gaussian width 0.07 R along the circle when
w << 1). Its azimuthal average is exactly 1 (i0e is the scaled Bessel function I0), so

    A = 1 - f + f (1/4) sum_k A_k,   f = ``arm_fraction`` (1: all sources in the arms, FGK06).

Near the axis the arms wind ever more tightly (a logarithmic spiral turns infinitely often
as r -> 0); the radial profiles vanish or stay small there (Lorimer: ~ R^1.9), and the
diffusion coefficient sees the arms only smoothed (:mod:`escapade.transport3d.coefficients`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import i0e

from .sources import RADIAL_PROFILES, SourceDistribution, VerticalProfile, _exp_abs_primitive

ARM_MODELS = ("none", "faucher_giguere_kaspi2006")
"""The names of ``[source] arms``."""


@dataclass(frozen=True)
class LogSpiralArms:
    """Arms theta_k(r) = k_k ln(r / r0_k) + theta0_k in a right-handed frame whose Sun is at
    ``theta_sun`` (theta growing against the rotation)."""

    k_rad: tuple[float, ...]
    r0_kpc: tuple[float, ...]
    theta0_rad: tuple[float, ...]
    theta_sun_rad: float
    names: tuple[str, ...] = ()

    def phi(self, r_kpc) -> np.ndarray:
        """Azimuths phi_k(R) = theta_sun - theta_k(R) (rad, this package's frame, where phi
        grows along the rotation) of every arm, shape (n_arms, ...)."""
        r = np.maximum(np.asarray(r_kpc, dtype=float), 1e-300)
        k, r0, t0 = (np.asarray(a).reshape((-1,) + (1,) * r.ndim) for a in self._table())
        return self.theta_sun_rad - (k * np.log(r / r0) + t0)

    def _table(self):
        return self.k_rad, self.r0_kpc, self.theta0_rad


FAUCHER_GIGUERE_KASPI_2006 = LogSpiralArms(
    k_rad=(4.25, 4.25, 4.89, 4.89),
    r0_kpc=(3.48, 3.48, 4.9, 4.9),
    theta0_rad=(1.57, 4.71, 4.09, 0.95),
    theta_sun_rad=0.5 * np.pi,
    names=("Norma", "Carina-Sagittarius", "Perseus", "Crux-Scutum"),
)
"""Faucher-Giguere & Kaspi 2006 (ApJ 643, 332) Table 2 (module docstring)."""

ARM_LOCI = {"faucher_giguere_kaspi2006": FAUCHER_GIGUERE_KASPI_2006}
AXIS_KPC = 1e-9
"""Points closer than this to the axis get A = 1 (the azimuthal average of a single point)."""


def arm_modulation(cfg_source, x, y) -> np.ndarray:
    """A(R, phi) of the module docstring at the points (x, y) (kpc); 1 for ``arms = "none"``.

    ``cfg_source`` is a ``[source]`` section (``arms``, ``arm_width_fraction``,
    ``arm_fraction``). The azimuthal average of A at every R is exactly 1.
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if cfg_source.arms == "none":
        return np.ones_like(x)
    if cfg_source.arms not in ARM_LOCI:
        raise ValueError(f"source.arms = {cfg_source.arms!r}: allowed {', '.join(ARM_MODELS)}")
    arms = ARM_LOCI[cfg_source.arms]
    r, phi = np.hypot(x, y), np.arctan2(y, x)
    kappa = 1.0 / cfg_source.arm_width_fraction**2
    each = np.exp(kappa * (np.cos(phi[None] - arms.phi(r)) - 1.0)) / i0e(kappa)
    f = cfg_source.arm_fraction
    out = (1.0 - f) + f * each.mean(axis=0)
    return np.where(r > AXIS_KPC, out, 1.0)  # on the axis the average is the value: 1


def source_distribution(cfg, vertical: bool = True) -> SourceDistribution:
    """The 2D engine's source distribution (radial x vertical profile) of a config."""
    profile = RADIAL_PROFILES[cfg.source.radial](
        sun_r_kpc=cfg.galaxy.sun_r_kpc, r_cut_kpc=cfg.source.r_cut_kpc
    )
    return SourceDistribution(
        profile, VerticalProfile(cfg.source.vertical, cfg.source.vertical_scale_kpc)
    )


def vertical_factor(cfg, z_kpc, dz_kpc: float | None = None) -> np.ndarray:
    """The vertical source profile at z, or its exact average over [z - dz/2, z + dz/2]
    (the 2D engine's control-volume average, :meth:`SourceDistribution.on_grid`)."""
    vert = source_distribution(cfg).vertical
    z = np.asarray(z_kpc, dtype=float)
    if dz_kpc is None:
        return vert.shape(z)
    lo, hi = z - 0.5 * dz_kpc, z + 0.5 * dz_kpc
    h = vert.scale_kpc
    if vert.kind == "slab":
        return np.clip(np.minimum(hi, h) - np.maximum(lo, -h), 0.0, None) / dz_kpc
    return (_exp_abs_primitive(hi, h) - _exp_abs_primitive(lo, h)) / dz_kpc


def source_density_3d(cfg, x, y, z, dz_kpc: float | None = None) -> np.ndarray:
    """Relative source density Q(x, y, z) (1 at the Sun in the plane for ``arms = "none"``).

    ``x, y, z`` in kpc (e.g. the ``mesh()`` arrays of a 3D grid, indexing "ij"); ``dz_kpc``
    given: the vertical profile averaged over each node's z cell, as the 2D engine does.
    Its azimuthal average at every (R, z) is the 2D engine's ``density(R, z)``.
    """
    x, y, z = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x, y, z)))
    radial = source_distribution(cfg).radial.shape(np.hypot(x, y))
    return radial * vertical_factor(cfg, z, dz_kpc) * arm_modulation(cfg.source, x, y)
