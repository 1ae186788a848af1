"""Spatial diffusion coefficients.

A diffusion model is an object with one method,
``coefficient(r_kpc, z_kpc, rigidity_gv, beta)``, returning the scalar
diffusion coefficient in cm^2/s, broadcast over its arguments. The solver
evaluates it on the faces of the finite-volume grid and takes any such object.

Both models share the rigidity and velocity dependence of the letter
(Evoli et al. 2012, PRL 108, 211102):

    D = D0 * beta^eta * (R / R0)^delta * b(R) * f(R_gal, z) * exp(|z| / z_t)

with an optional smooth high-rigidity break (hardening) of the slope,

    b(R) = [1 + (R / R_b)^(Delta / s)]^(-s),

1 well below R_b and (R / R_b)^(-Delta) well above it: the slope goes from delta to
delta - Delta over a width set by s. This is the form used to fit the AMS-02 B/C
hardening near 200 GV (Genolini et al. 2017, PRL 119, 241101, eq. 2; their
Delta ~ 0.1-0.2, s ~ 0.04-0.1); without a break b = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..config import Config
from ..galaxy.sources import RadialProfile


@dataclass(frozen=True)
class UniformDiffusion:
    """Spatially uniform diffusion (but for the optional growth exp(|z|/z_t)).

    D = d0_cm2_s beta^eta (R/R0)^delta exp(|z|/z_t); z_t = inf switches off the
    vertical growth.
    """

    d0_cm2_s: float
    reference_rigidity_gv: float = 3.0
    delta: float = 0.6
    eta: float = -0.4
    z_scale_kpc: float = 4.0
    break_rigidity_gv: float | None = None
    break_delta_change: float = 0.0
    break_smoothness: float = 0.1

    def _break(self, rigidity_gv) -> np.ndarray | float:
        """The break factor b(R) of the module docstring (1 without a break)."""
        if self.break_rigidity_gv is None or self.break_delta_change == 0.0:
            return 1.0
        x = np.asarray(rigidity_gv, dtype=float) / self.break_rigidity_gv
        s = self.break_smoothness
        # [1 + x^(D/s)]^(-s) computed in logs: no overflow for x >> 1
        return np.exp(-s * np.logaddexp(0.0, (self.break_delta_change / s) * np.log(x)))

    def _energy_factor(self, rigidity_gv, beta):
        return (
            np.asarray(beta) ** self.eta
            * (np.asarray(rigidity_gv) / self.reference_rigidity_gv) ** self.delta
            * self._break(rigidity_gv)
        )

    def _vertical(self, z_kpc):
        if np.isinf(self.z_scale_kpc):
            return np.ones_like(np.asarray(z_kpc, dtype=float))
        return np.exp(np.abs(z_kpc) / self.z_scale_kpc)

    def vertical_and_velocity(self, z_kpc, beta) -> np.ndarray:
        """exp(|z| / z_t) beta^eta: the factors D_perp and D_par share."""
        return self._vertical(z_kpc) * np.asarray(beta, dtype=float) ** self.eta

    def coefficient(self, r_kpc, z_kpc, rigidity_gv, beta):
        r = np.asarray(r_kpc, dtype=float)
        return (
            self.d0_cm2_s * self._energy_factor(rigidity_gv, beta) * self._vertical(z_kpc) + 0.0 * r
        )


@dataclass(frozen=True)
class SourceCorrelatedDiffusion(UniformDiffusion):
    """The letter's source-correlated, effective anisotropic diffusion.

    With q(R) = max(Q(R) / Q(R_sun), q_floor), Q the radial source profile:

        D_perp = D0 q^tau (R/R0)^delta b(R)      (b: the optional break, module docstring)
        D_par  = parallel_ratio D0 q^(-tau) (R/R0)^parallel_delta
        D_eff  = max(D_perp, (H / R_arm)^2 D_par),  R_arm = pi R_sun
        D      = D_eff beta^eta exp(|z| / z_t)

    (Evoli, Gaggero, Grasso & Maccione 2012, PRL 108, 211102). ``parallel_ratio``
    is D_par / D_perp at the Sun at the reference rigidity; 0 removes the parallel
    branch. ``q_floor`` bounds q from below where the source density vanishes
    (the axis and the far outer Galaxy for the Lorimer profile), so that neither
    q^tau nor q^-tau reaches 0 or infinity.
    """

    tau: float = 0.0
    parallel_ratio: float = 0.0
    parallel_delta: float = 1.0 / 3.0
    q_floor: float = 1e-2
    halo_height_kpc: float = 4.0
    sun_r_kpc: float = 8.5
    profile: RadialProfile | None = None

    @property
    def parallel_weight(self) -> float:
        """(H / R_arm)^2 with R_arm = pi R_sun."""
        return (self.halo_height_kpc / (np.pi * self.sun_r_kpc)) ** 2

    def q(self, r_kpc) -> np.ndarray:
        """Source density relative to the Sun, floored at ``q_floor``."""
        return np.maximum(self.profile.shape(r_kpc), self.q_floor)

    def perpendicular(self, r_kpc, rigidity_gv) -> np.ndarray:
        """D_perp (cm^2/s) in the plane, without the beta^eta factor."""
        return self.perpendicular_from_q(self.profile.shape(r_kpc), rigidity_gv)

    def parallel(self, r_kpc, rigidity_gv) -> np.ndarray:
        """D_par (cm^2/s) in the plane, without the beta^eta factor."""
        return self.parallel_from_q(self.profile.shape(r_kpc), rigidity_gv)

    def perpendicular_from_q(self, q_rel, rigidity_gv) -> np.ndarray:
        """D_perp (cm^2/s) for a source density ``q_rel`` = Q / Q_sun (floored here at
        ``q_floor``), without beta^eta and exp(|z|/z_t): the 3D engine's entry point."""
        x = np.asarray(rigidity_gv) / self.reference_rigidity_gv
        q = np.maximum(q_rel, self.q_floor)
        return self.d0_cm2_s * q**self.tau * x**self.delta * self._break(rigidity_gv)

    def parallel_from_q(self, q_rel, rigidity_gv) -> np.ndarray:
        """D_par (cm^2/s) for ``q_rel`` = Q / Q_sun (floored at ``q_floor``), without
        beta^eta and exp(|z|/z_t)."""
        x = np.asarray(rigidity_gv) / self.reference_rigidity_gv
        q = np.maximum(q_rel, self.q_floor)
        return self.parallel_ratio * self.d0_cm2_s * q ** (-self.tau) * x**self.parallel_delta

    def coefficient(self, r_kpc, z_kpc, rigidity_gv, beta):
        d_eff = self.perpendicular(r_kpc, rigidity_gv)
        if self.parallel_ratio > 0.0:
            d_eff = np.maximum(d_eff, self.parallel_weight * self.parallel(r_kpc, rigidity_gv))
        return d_eff * np.asarray(beta) ** self.eta * self._vertical(z_kpc)


def build_diffusion(cfg: Config, profile: RadialProfile) -> UniformDiffusion:
    """The diffusion model object named by ``[diffusion] model`` (2D engine and 3D engine)."""
    d = cfg.diffusion
    cls = UniformDiffusion if d.model == "uniform" else SourceCorrelatedDiffusion
    # the [diffusion] keys are the dataclass's own parameter names
    keys = {f.name for f in fields(cls)} & set(type(d).model_fields)
    common = {k: getattr(d, k) for k in keys}
    if cls is UniformDiffusion:
        return UniformDiffusion(**common)
    return SourceCorrelatedDiffusion(
        **common,
        halo_height_kpc=cfg.galaxy.halo_height_kpc,
        sun_r_kpc=cfg.galaxy.sun_r_kpc,
        profile=profile,
    )
