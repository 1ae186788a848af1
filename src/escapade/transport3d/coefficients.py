"""The 3D diffusion coefficients D_perp and D_par on a Cartesian grid (cm^2/s).

The letter (Evoli, Gaggero, Grasso & Maccione 2012, PRL 108, 211102) correlates the
perpendicular and parallel coefficients with the source density Q; in 2D it can only keep
D_perp and an effective max() with D_par (:mod:`escapade.transport.diffusion`). In 3D the
correlations enter literally::

    D_perp = D0 beta^eta (R/R0)^delta b(R) q^tau exp(|z| / z_t)
    D_par  = parallel_ratio D0 beta^eta (R/R0)^parallel_delta q^(-tau) exp(|z| / z_t)
    q      = max(Q_s(x, y) / Q_s(sun), q_floor)

(R here the rigidity, b(R) the optional break of the 2D module; the 2D module's own
functions compute both, :meth:`SourceCorrelatedDiffusion.perpendicular_from_q`). With
``[diffusion] model = "uniform"`` tau = 0. ``parallel_ratio = 0`` means D_par = D_perp (an
isotropic tensor); with ``parallel_floor = "d_perp"`` (default) D_par = max(D_par, D_perp):
parallel diffusion is never slower than perpendicular (De Marco, Blasi & Stanev 2007, JCAP
0706, 027, the simulations the letter takes its D_perp / D_par from).

Q_s, the source density that sets the turbulence: the letter's Q(R) is the radial profile
(no vertical profile, so Q_s depends on x and y only); in 3D it is multiplied by the arm
modulation A(R, phi) of :mod:`escapade.galaxy.arms` smoothed in the plane by a Gaussian of
width ``diffusion.q_smoothing_kpc`` (``scipy.ndimage.gaussian_filter``, width in grid cells,
edges by the nearest value): turbulence driven by the sources does not follow each arm's
edge. Only A is smoothed, so ``arms = "none"`` gives exactly the 2D engine's D_perp(R, z).
Q_s at the Sun is interpolated (bilinearly) to x = R_sun, y = 0 when the Sun is no node.
x, y, z are the package's Galactocentric coordinates (:mod:`escapade.galaxy.gas3d.survey`:
the Sun at x = +R_sun, Galactic longitude l = 90 deg at +y), those of the arms and the field.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from scipy.ndimage import gaussian_filter

from ..config import Config, with_updates
from ..galaxy.arms import arm_modulation, source_distribution
from ..transport.diffusion import SourceCorrelatedDiffusion, build_diffusion


def _axes(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The node coordinates along x and y of ``mesh()`` arrays (indexing "ij")."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 3 or x.shape != y.shape:
        raise ValueError(
            f"diffusion fields need X, Y, Z of one shape (nx, ny, nz) (indexing 'ij'); got "
            f"{x.shape} and {y.shape}"
        )
    return x[:, 0, 0], y[0, :, 0]


def _spacing(axis: np.ndarray, name: str) -> float:
    d = np.diff(axis)
    if axis.size < 2 or not np.allclose(d, d[0], rtol=1e-9, atol=0.0) or d[0] <= 0:
        raise ValueError(f"{name} nodes must be increasing and evenly spaced")
    return float(d[0])


def smoothed_arm_modulation(cfg: Config, x_kpc, y_kpc) -> np.ndarray:
    """The arm modulation A on the (x, y) nodes, smoothed over ``diffusion.q_smoothing_kpc``;
    shape (nx, ny). Exactly 1 for ``arms = "none"``."""
    xx, yy = np.meshgrid(x_kpc, y_kpc, indexing="ij")
    if cfg.source.arms == "none":
        return np.ones_like(xx)
    a = arm_modulation(cfg.source, xx, yy)
    width = cfg.diffusion.q_smoothing_kpc
    if width <= 0.0:
        return a
    sigma = (width / _spacing(x_kpc, "x"), width / _spacing(y_kpc, "y"))
    return gaussian_filter(a, sigma=sigma, mode="nearest")


def source_turbulence_q(cfg: Config, x, y) -> np.ndarray:
    """Q_s / Q_s(sun) on the grid (nx, ny, 1), before the floor: the radial profile times the
    smoothed arm modulation, relative to its value at the Sun (x = R_sun, y = 0)."""
    xa, ya = _axes(x, y)
    radial = source_distribution(cfg).radial
    arms = smoothed_arm_modulation(cfg, xa, ya)
    xx, yy = np.meshgrid(xa, ya, indexing="ij")
    q = radial.shape(np.hypot(xx, yy)) * arms
    sun = cfg.galaxy.sun_r_kpc
    a_sun = RegularGridInterpolator((xa, ya), arms)([[sun, 0.0]])[0]
    q_sun = float(radial.shape(np.asarray(sun))) * a_sun
    if not q_sun > 0.0:
        raise ValueError(
            f"the source density vanishes at the Sun (source.radial = {cfg.source.radial!r}, "
            f"r_cut_kpc = {cfg.source.r_cut_kpc}): D ~ Q^tau needs Q(sun) > 0"
        )
    return (q / q_sun)[:, :, None]


def diffusion_model_3d(cfg: Config) -> SourceCorrelatedDiffusion:
    """The 2D module's source-correlated model with this config's keys (tau = 0 for
    ``model = "uniform"``): its functions give D_perp and D_par of the module docstring."""
    if cfg.diffusion.model == "uniform":
        cfg = with_updates(cfg, {"diffusion.model": "source_correlated", "diffusion.tau": 0.0})
    return build_diffusion(cfg, source_distribution(cfg).radial)


def diffusion_fields(cfg: Config, x, y, z, rigidity_gv: float, beta: float, q=None):
    """(D_perp, D_par) in cm^2/s on the nodes, each of the shape of ``x`` (nx, ny, nz).

    ``x, y, z``: node coordinates in kpc from a 3D grid's ``mesh()`` (indexing "ij", evenly
    spaced); ``rigidity_gv`` and ``beta`` of one energy. The Sun is at x = R_sun, y = 0.
    ``q``: :func:`source_turbulence_q` of these nodes, computed once for every energy
    (None: computed here).
    """
    model = diffusion_model_3d(cfg)
    q = source_turbulence_q(cfg, x, y) if q is None else q
    common = model.vertical_and_velocity(np.asarray(z, dtype=float), beta)
    d_perp = model.perpendicular_from_q(q, rigidity_gv) * common
    d = cfg.diffusion
    if d.parallel_ratio == 0.0:
        return d_perp, d_perp.copy()
    d_par = model.parallel_from_q(q, rigidity_gv) * common
    if d.parallel_floor == "d_perp":
        d_par = np.maximum(d_par, d_perp)
    return d_perp, d_par
