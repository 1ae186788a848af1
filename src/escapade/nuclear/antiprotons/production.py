"""Antiproton source matrices: the lab-frame energy spectrum and the projectile quadrature."""

from __future__ import annotations

from functools import cache

import numpy as np

from ...constants import M_PROTON_GEV as M_P
from ...species import nuclide
from .common import (
    PROJECTILES,
    RATE_CM3_PER_MYR_PER_MB,
    TARGETS,
    THRESHOLD_EKIN_GEV,
    AntiprotonError,
)
from .cross_sections import (
    NA49_FP_NODES,
    NA49_XF_NODES,
    KDDParams,
    kdd_params,
    kinematic_max_pbar_ekin,
    mass_and_neutrons,
    pbar_multiplier,
    side_weights,
    sigma_inv_prompt,
)

# ---------------------------------------------------------------------------------------
# angular integration (lab frame)
# ---------------------------------------------------------------------------------------
_N_PANELS = 10
_N_GAUSS = 12
_PT_LOW_GEV = 1e-5


@cache
def _unit_rule(n_panels: int = _N_PANELS, n_gauss: int = _N_GAUSS):
    """Composite Gauss-Legendre nodes/weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n_gauss)
    edges = np.linspace(0.0, 1.0, n_panels + 1)
    a, b = edges[:-1, None], edges[1:, None]
    nodes = (0.5 * (b - a) * x[None, :] + 0.5 * (a + b)).ravel()
    weights = (0.5 * (b - a) * w[None, :]).ravel()
    return nodes, weights


def _angular_integrals(p: KDDParams, tn, t, chunk: int = 4096):
    """(I_P, I_T): 2 pi p int dcos(theta) sigma_0 F_{P,T}(x_F) in mb/GeV (prompt, pp).

    tn: projectile kinetic energy per nucleon, t: pbar kinetic energy (GeV); broadcast.
    """
    tn, t = np.broadcast_arrays(np.asarray(tn, dtype=float), np.asarray(t, dtype=float))
    shape = tn.shape
    tn = tn.ravel()
    t = t.ravel()
    out_p = np.zeros(tn.size)
    out_t = np.zeros(tn.size)
    s = 2.0 * M_P * (tn + 2.0 * M_P)
    rs = np.sqrt(s)
    e_max = (s - 8.0 * M_P**2) / (2.0 * rs)
    gam = (tn + 2.0 * M_P) / rs
    bg = np.sqrt(np.clip(tn * (tn + 2.0 * M_P), 0.0, None)) / rs
    e = t + M_P
    pm = np.sqrt(np.clip(t * (t + 2.0 * M_P), 0.0, None))
    ok = (s > 16.0 * M_P**2) & (t > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_min = (gam * e - e_max) / (bg * pm)
    ok &= c_min < 1.0
    idx = np.flatnonzero(ok)
    nodes, weights = _unit_rule()
    for start in range(0, idx.size, chunk):
        sel = idx[start : start + chunk]
        th_max = np.arccos(np.clip(c_min[sel], -1.0, 1.0))
        th_lo = np.minimum(_PT_LOW_GEV / pm[sel], 1e-3 * th_max)
        l_lo = np.log(th_lo)
        span = np.log(th_max) - l_lo
        th = np.exp(l_lo[:, None] + span[:, None] * nodes[None, :])
        wt = span[:, None] * weights[None, :] * th  # d(theta)
        pp_ = pm[sel, None]
        p_l = pp_ * np.cos(th)
        p_t = pp_ * np.sin(th)
        g = gam[sel, None]
        b = bg[sel, None]
        es = g * e[sel, None] - b * p_l
        pls = g * p_l - b * e[sel, None]
        emx = e_max[sel, None]
        x_r = es / emx
        x_f = 2.0 * pls / rs[sel, None]
        sig = sigma_inv_prompt(p, s[sel, None], np.minimum(x_r, 1.0), p_t, emx)
        integrand = 2.0 * np.pi * pp_ * sig * np.sin(th) * wt
        fp = np.interp(x_f, NA49_XF_NODES, NA49_FP_NODES)
        out_p[sel] = np.sum(integrand * fp, axis=1)
        out_t[sel] = np.sum(integrand * (1.0 - fp), axis=1)
    return out_p.reshape(shape), out_t.reshape(shape)


def dsigma_dekin_mb_per_gev(
    projectile: str,
    target: str,
    ekin_proj_gev_per_n,
    ekin_pbar_gev,
    model_name: str = "kdd18_param1",
    include_nbar_hyperons: bool = True,
):
    """dsigma/dT_pbar (mb/GeV) of projectile + target -> pbar X, lab frame, angle-integrated.

    projectile : "1H" or "4He" (cross section per projectile nucleus);
    target : "H" or "He"; ekin_proj_gev_per_n : projectile kinetic energy per
    nucleon (GeV/n); ekin_pbar_gev : pbar kinetic energy (GeV); broadcast together.
    ``include_nbar_hyperons`` multiplies by 2 + Delta_IS + 2 Delta_Lambda (the pbar
    that reach the Galaxy); False gives prompt pbar only.
    """
    p = kdd_params(model_name)
    ap, np_ = mass_and_neutrons(projectile)
    at, nt = mass_and_neutrons(target)
    if projectile not in PROJECTILES or target not in TARGETS:
        raise AntiprotonError(
            f"channel {projectile} + {target}: projectiles {', '.join(PROJECTILES)}, "
            f"targets {', '.join(TARGETS)}"
        )
    tn = np.asarray(ekin_proj_gev_per_n, dtype=float)
    i_p, i_t = _angular_integrals(p, tn, ekin_pbar_gev)
    s = 2.0 * M_P * (tn + 2.0 * M_P)
    cp, ct = side_weights(p, ap, np_, at, nt, s)
    out = cp * i_p + ct * i_t
    if include_nbar_hyperons:
        out = out * pbar_multiplier(s)
    return out


# ---------------------------------------------------------------------------------------
# quadrature in projectile energy
# ---------------------------------------------------------------------------------------
def projectile_rule(ekin, spectral_index: float, n_sub: int, tail_decades: float):
    """Nodes E_q (GeV/n) and weights W (n_q, n) with int dE f(E) N(E) ~ sum_q f(E_q) W[q] @ N."""
    e = np.asarray(ekin, dtype=float)
    if e.ndim != 1 or e.size < 2 or np.any(np.diff(e) <= 0) or e[0] <= 0:
        raise AntiprotonError("the energy grid must be 1D, positive and increasing")
    n = e.size
    u = np.log(e)
    x, w = np.polynomial.legendre.leggauss(n_sub)
    h = np.diff(u)
    uq = (u[:-1, None] + 0.5 * h[:, None] * (x[None, :] + 1.0)).ravel()
    wq = (0.5 * h[:, None] * w[None, :]).ravel()
    j = np.repeat(np.arange(n - 1), n_sub)
    eq = np.exp(uq)
    frac = (uq - u[j]) / h[j]
    weights = np.zeros((eq.size, n))
    ar = np.arange(eq.size)
    weights[ar, j] = wq * eq * (1.0 - frac) * (eq / e[j]) ** -spectral_index
    weights[ar, j + 1] = wq * eq * frac * (eq / e[j + 1]) ** -spectral_index
    if tail_decades <= 0:
        return eq, weights
    n_tail = max(8, int(np.ceil(16 * tail_decades)))
    xt, wt = np.polynomial.legendre.leggauss(n_tail)
    span = tail_decades * np.log(10.0)
    et = np.exp(u[-1] + 0.5 * span * (xt + 1.0))
    wtail = np.zeros((et.size, n))
    wtail[:, -1] = 0.5 * span * wt * et * (et / e[-1]) ** -spectral_index
    return np.concatenate([eq, et]), np.vstack([weights, wtail])


class PbarProduction:
    """Secondary pbar production on an energy grid (see the module notes for units).

    Parameters
    ----------
    model_name : one of :data:`PBAR_MODELS`.
    spectral_index : power law assumed for the projectile density between grid nodes
        and above the grid (only the interpolation shape: exact for that index).
    n_sub : Gauss-Legendre nodes per grid interval of the projectile integral.
    tail_decades : decades above the top node where the projectile spectrum is
        continued as a power law (0: no continuation).
    include_nbar_hyperons : include antineutron and antihyperon decays (default).
    """

    def __init__(
        self,
        model_name: str = "kdd18_param1",
        *,
        spectral_index: float = 2.7,
        n_sub: int = 8,
        tail_decades: float = 3.0,
        include_nbar_hyperons: bool = True,
    ):
        self.params = kdd_params(model_name)
        self.model_name = model_name
        self.spectral_index = float(spectral_index)
        self.n_sub = int(n_sub)
        self.tail_decades = float(tail_decades)
        self.include_nbar_hyperons = include_nbar_hyperons

    @property
    def label(self) -> str:
        return self.params.label

    def __repr__(self) -> str:
        return f"PbarProduction({self.model_name!r})"

    def source_matrices(
        self,
        ekin_gev_per_n,
        projectiles: tuple[str, ...] = PROJECTILES,
        targets: tuple[str, ...] = TARGETS,
    ) -> dict[tuple[str, str], np.ndarray]:
        """M[(projectile, target)] of shape (n_E_pbar, n_E_proj) in cm^3/Myr.

        Q[k] = sum_j M[k, j] N_proj[j] n_target: N in 1/(cm^3 GeV/n), n in cm^-3, Q in
        1/(cm^3 GeV Myr); the pbar and projectile grids are both ``ekin_gev_per_n``.
        """
        for name in (*projectiles, *targets):
            mass_and_neutrons(name)
        e = np.asarray(ekin_gev_per_n, dtype=float)
        eq, w = projectile_rule(e, self.spectral_index, self.n_sub, self.tail_decades)
        keep = eq > THRESHOLD_EKIN_GEV
        eq, w = eq[keep], w[keep]
        s = 2.0 * M_P * (eq + 2.0 * M_P)
        mult = pbar_multiplier(s) if self.include_nbar_hyperons else np.ones_like(s)
        flux = {pr: nuclide(pr).beta(eq) * RATE_CM3_PER_MYR_PER_MB * mult for pr in projectiles}
        sides = {}
        for pr in projectiles:
            ap, np_ = mass_and_neutrons(pr)
            for tg in targets:
                at, nt = mass_and_neutrons(tg)
                cp, ct = side_weights(self.params, ap, np_, at, nt, s)
                sides[(pr, tg)] = (cp * flux[pr], ct * flux[pr])
        out = {key: np.zeros((e.size, e.size)) for key in sides}
        t_max = kinematic_max_pbar_ekin(eq)
        for k, tk in enumerate(e):
            live = t_max > tk
            if not live.any():
                continue
            i_p, i_t = _angular_integrals(self.params, eq[live], tk)
            wl = w[live]
            for key, (cp, ct) in sides.items():
                out[key][k] = (cp[live] * i_p + ct[live] * i_t) @ wl
        return out
