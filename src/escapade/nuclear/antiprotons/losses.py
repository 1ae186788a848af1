"""Antiproton losses (annihilation, non-annihilating inelastic) and tertiaries."""

from __future__ import annotations

import numpy as np

from ...constants import M_PROTON_GEV as M_P
from ...species import nuclide
from .common import (
    RATE_CM3_PER_MYR_PER_MB,
    TARGETS,
    AntiprotonError,
)
from .production import projectile_rule

# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------
T_MIN_FIT_GEV = 0.05
"""Kinetic energy below which the loss fits are held constant."""


def _t(ekin):
    return np.maximum(np.asarray(ekin, dtype=float), T_MIN_FIT_GEV)


def _pp_inelastic_mb(t):
    from ..crosssections import pp_inelastic_kafexhiu2014_mb

    return pp_inelastic_kafexhiu2014_mb(t)


def _ann_regge_mb(t):
    s = 2.0 * M_P * (t + 2.0 * M_P)
    return 2.0 * 35.43 * s**-0.56


def _inel_h_mb(t):
    tan_ng = 24.7 * (1.0 + 0.584 * t**-0.115 + 0.856 * t**-0.566)
    return np.where(t <= 14.0, tan_ng, _pp_inelastic_mb(t) + _ann_regge_mb(t))


def _ann_h_mb(t):
    tan_ng = 661.0 * (1.0 + 0.0115 * t**-0.774 - 0.948 * t**0.0151)
    ann = np.where(t < 10.0, tan_ng, _ann_regge_mb(t))
    return np.clip(ann, 0.0, _inel_h_mb(t))


def _inel_he_mb(t):
    a_eff, z = 3.30, 2.0
    return a_eff ** (2.0 / 3.0) * (
        48.2 + 19.0 * t**-0.55 + (0.1 - 0.18 * t**-1.2) * z + 0.0012 * t**-1.5 * z**2
    )


def _ann_he_mb(t):
    from ..crosssections import inelastic_mb

    tot = _inel_he_mb(t)
    ann_h = _ann_h_mb(t)
    non = inelastic_mb("barashenkov94", 1, 1, "He", t)
    ann = np.maximum(tot - non, ann_h)
    ann = np.where(t > 5.0, ann_h, ann)
    return np.minimum(ann, tot)


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise AntiprotonError(f"target {target!r} is unknown; allowed: {', '.join(TARGETS)}")


def pbar_inelastic_mb(target: str, ekin_gev):
    """Total inelastic (annihilation + non-annihilating) pbar cross section (mb) on H or He."""
    _check_target(target)
    t = _t(ekin_gev)
    return _inel_h_mb(t) if target == "H" else _inel_he_mb(t)


def pbar_annihilation_mb(target: str, ekin_gev):
    """Annihilation part of :func:`pbar_inelastic_mb` (mb)."""
    _check_target(target)
    t = _t(ekin_gev)
    return _ann_h_mb(t) if target == "H" else _ann_he_mb(t)


def pbar_non_annihilating_mb(target: str, ekin_gev):
    """Non-annihilating inelastic pbar cross section (mb): the source of tertiaries."""
    return pbar_inelastic_mb(target, ekin_gev) - pbar_annihilation_mb(target, ekin_gev)


def pbar_loss_rate_per_myr(ekin_gev: float, n_h_cm3, n_he_cm3):
    """Catastrophic loss rate (1/Myr) of pbar at kinetic energy ``ekin_gev``.

    beta c [n_H sigma_inel(pbar H) + n_He sigma_inel(pbar He)], densities in cm^-3
    (arrays broadcast, e.g. the (nr, nz) gas maps).
    """
    beta = nuclide("pbar").beta(ekin_gev)
    sig_h = pbar_inelastic_mb("H", ekin_gev)
    sig_he = pbar_inelastic_mb("He", ekin_gev)
    return (
        beta
        * RATE_CM3_PER_MYR_PER_MB
        * (np.asarray(n_h_cm3) * sig_h + np.asarray(n_he_cm3) * sig_he)
    )


def tertiary_matrices(
    ekin_gev,
    *,
    spectral_index: float = 2.7,
    n_sub: int = 8,
    tail_decades: float = 0.0,
    targets: tuple[str, ...] = TARGETS,
) -> dict[str, np.ndarray]:
    """Redistribution by non-annihilating inelastic collisions (Tan & Ng 1983), cm^3/Myr.

    Q_tert[k] = sum_t n_t sum_j T[t][k, j] N_pbar[j], with
    T[k, j] = int_{E > E_k} dE beta(E) c sigma_non-ann(E) / E phi_j(E) (uniform
    outgoing kinetic energy in [0, E]); same interpolation as the source matrices.
    Per collision the re-injected pbar number equals the non-annihilating loss.
    """
    for tg in targets:
        _check_target(tg)
    e = np.asarray(ekin_gev, dtype=float)
    eq, w = projectile_rule(e, spectral_index, n_sub, tail_decades)
    beta = nuclide("pbar").beta(eq) * RATE_CM3_PER_MYR_PER_MB
    out = {}
    for tg in targets:
        kern = beta * pbar_non_annihilating_mb(tg, eq) / eq  # per unit outgoing energy
        cum = w * kern[:, None]
        m = np.zeros((e.size, e.size))
        for k, ek in enumerate(e):
            above = eq >= ek * (1.0 - 1e-12)
            m[k] = cum[above].sum(axis=0)
        out[tg] = m
    return out


def one_march_rates(ekin_gev, production, gas_cm3, tertiaries: bool = True):
    """The antiprotons' source and destruction rate for a march down in energy that solves
    the tertiaries exactly (both transport engines).

    ``production``: (projectile, target) -> M[k, j] (cm^3/Myr per GeV, the matrices of
    :class:`~escapade.nuclear.antiprotons.PbarProduction`); ``gas_cm3``: target -> density
    (cm^-3, any shape). Returns ``source(k, parents, own)``, Q[k] in 1/(cm^3 GeV Myr) from the
    projectiles' densities ``parents[p]`` and the antiprotons' own ``own`` (arrays with the
    energy first), and ``destruction(k)`` in 1/Myr. A pbar has less energy than its projectile
    and a non-annihilating collision (Tan & Ng 1983, :func:`tertiary_matrices`) lowers it, so
    M and T vanish for j < k: energy k reads the projectiles down to k, its own energies
    above k as a source, and T[k, k] lowers the destruction rate (the tertiaries' fixed
    point, reached in one march).
    """
    e = np.asarray(ekin_gev, dtype=float)
    tert = tertiary_matrices(e) if tertiaries else {}

    def source(k: int, parents, own) -> np.ndarray:
        q = 0.0
        for (p, t), m in production.items():
            if p in parents:
                q = q + np.tensordot(m[k, k:], parents[p][k:], axes=(0, 0)) * gas_cm3[t]
        for t, tm in tert.items():
            q = q + np.tensordot(tm[k, k + 1 :], own[k + 1 :], axes=(0, 0)) * gas_cm3[t]
        return q + np.zeros_like(gas_cm3["H"])

    def destruction(k: int) -> np.ndarray:
        gain = sum((tm[k, k] * gas_cm3[t] for t, tm in tert.items()), np.zeros_like(gas_cm3["H"]))
        return pbar_loss_rate_per_myr(float(e[k]), gas_cm3["H"], gas_cm3["He"]) - gain

    return source, destruction
