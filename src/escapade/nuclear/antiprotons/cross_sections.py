"""Antiproton production cross sections: the KDD18 parametrisations of p p -> pbar X and
the nuclear scaling to p He, He p and He He (see :mod:`escapade.nuclear.antiprotons`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import M_PROTON_GEV as M_P
from .common import HBARC2_GEV2_MB, NUCLEON_AN, PBAR_MODELS, PROJECTILES, TARGETS, AntiprotonError


# ---------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KDDParams:
    form: str
    c: tuple[float, ...]
    d1: float
    d2: float
    label: str


_MODELS = {
    "kdd18_param1": KDDParams(
        "dimauro",
        (3.50193, 5.58513, 0.0399553, -0.250716, 2.65053, 0.0378145, 0.0429478, 2.69520),
        0.825,
        0.167,
        "Korsmeier, Donato & Di Mauro 2018 (PRD 97, 103019) Param I [di Mauro et al. 2014 form]",
    ),
    "kdd18_param2": KDDParams(
        "winkler",
        (0.0501767, 7.79045, 0.164809, 0.038, 4.74370e-4, 3.70480, 30.9, -1.74, 0.71),
        0.828,
        0.145,
        "Korsmeier, Donato & Di Mauro 2018 (PRD 97, 103019) Param II [Winkler 2017 form]",
    ),
}

# NA49 p + C projectile share of the pbar yield (Baatar et al. 2013; Winkler 2017)
NA49_XF_NODES = np.linspace(-0.25, 0.25, 21)
NA49_FP_NODES = np.array(
    [0.0, 0.0003, 0.0008, 0.0027, 0.010, 0.035, 0.110, 0.197, 0.295, 0.4, 0.5,
     0.6, 0.705, 0.803, 0.890, 0.965, 0.990, 0.9973, 0.9992, 0.9997, 1.0]
)  # fmt: skip


def kdd_params(model_name: str) -> KDDParams:
    if model_name not in _MODELS:
        raise AntiprotonError(
            f"pbar production model {model_name!r} is unknown; allowed: {', '.join(PBAR_MODELS)}"
        )
    return _MODELS[model_name]


# ---------------------------------------------------------------------------------------
# pp pieces
# ---------------------------------------------------------------------------------------
def _regge_mb(s, z, y1, y2, eta1, eta2, m_gev):
    s_m = (2.0 * M_P + m_gev) ** 2
    b = np.pi * HBARC2_GEV2_MB / m_gev**2
    r = s_m / s
    return z + b * np.log(s / s_m) ** 2 + y1 * r**eta1 - y2 * r**eta2


def pp_total_dimauro14_mb(s_gev2):
    """Total pp cross section (mb) of the fit used by di Mauro et al. 2014, s in GeV^2."""
    return _regge_mb(np.asarray(s_gev2, dtype=float), 33.44, 13.53, 6.38, 0.324, 0.324, 2.06)


def pp_elastic_dimauro14_mb(s_gev2):
    """Elastic pp cross section (mb) of the fit used by di Mauro et al. 2014, s in GeV^2."""
    return _regge_mb(np.asarray(s_gev2, dtype=float), 144.98, 2.64, 137.27, 1.57, -4.65e-3, 3.06)


def delta_isospin(s_gev2):
    """Antineutron isospin enhancement Delta_IS(s) of Winkler 2017 (KDD18)."""
    return 0.114 / (1.0 + (np.asarray(s_gev2, dtype=float) / 144.0**2) ** 0.51)


def delta_hyperon(s_gev2):
    """Antihyperon feed-down Delta_Lambda(s) of Winkler 2017 (0.81 x Lambda-bar/pbar)."""
    s = np.asarray(s_gev2, dtype=float)
    return 0.81 * (0.31 + 0.30 / (1.0 + (146.0**2 / s) ** 0.9))


def pbar_multiplier(s_gev2):
    """Factor 2 + Delta_IS + 2 Delta_Lambda from prompt pbar to pbar + nbar + hyperon decays."""
    return 2.0 + delta_isospin(s_gev2) + 2.0 * delta_hyperon(s_gev2)


def sigma_inv_prompt(p: KDDParams, s, x_r, p_t, e_max):
    """Prompt pp -> pbar invariant cross section (mb/GeV^2); x_r < 1 and s > 16 m^2 assumed."""
    one_m = np.clip(1.0 - x_r, 0.0, None)
    if p.form == "dimauro":
        c1, c2, c3, c4, c5, c6, c7, c8 = p.c
        sig_in = pp_total_dimauro14_mb(s) - pp_elastic_dimauro14_mb(s)
        shape = c3 * s ** (0.5 * c4) * np.exp(-c5 * p_t) + c6 * s ** (0.5 * c7) * np.exp(
            -c8 * p_t**2
        )
        return sig_in * one_m**c1 * np.exp(-c2 * x_r) * shape
    c5, c6, c7, c8, c9, c10, c11, c12, c13 = p.c
    rs = np.sqrt(s)
    lrs = np.log(rs)
    sig_in = c11 + c12 * lrs + c13 * lrs**2
    x = c8 * np.log(rs / (4.0 * M_P)) ** 2
    m_t = np.sqrt(p_t**2 + M_P**2)
    y = m_t - M_P
    power = np.where(x > 0, -np.log1p(x * y) / np.where(x > 0, x, 1.0) / c7, -y / c7)
    below = np.clip(10.0 - rs, 0.0, None)
    r = (1.0 + c9 * below**5) * np.exp(c10 * below * (x_r - M_P / e_max) ** 2)
    return r * sig_in * c5 * one_m**c6 * np.exp(power)


def invariant_pp_prompt_mb_gev2(model_name: str, sqrt_s_gev, x_f, p_t_gev):
    """Prompt E d^3sigma/dp^3 (mb/GeV^2) of p p -> pbar X at (sqrt s, x_F, p_T), CM frame.

    No antineutron or hyperon contribution (compare with feed-down corrected data).
    """
    p = kdd_params(model_name)
    rs, xf, pt = np.broadcast_arrays(
        np.asarray(sqrt_s_gev, float), np.asarray(x_f, float), np.asarray(p_t_gev, float)
    )
    s = rs**2
    ok = s > 16.0 * M_P**2
    s_safe = np.where(ok, s, 17.0 * M_P**2)
    rs_safe = np.sqrt(s_safe)
    e_max = (s_safe - 8.0 * M_P**2) / (2.0 * rs_safe)
    p_l = 0.5 * xf * rs_safe
    e_star = np.sqrt(M_P**2 + p_l**2 + pt**2)
    x_r = e_star / e_max
    ok &= x_r < 1.0
    val = sigma_inv_prompt(p, s_safe, np.where(ok, x_r, 0.0), pt, e_max)
    return np.where(ok, val, 0.0)


def nuclear_factor(model_name: str, projectile: str, target: str, s_gev2, x_f):
    """KDD18 factor f^{PT}(s, x_F) with sigma_0^{PT} = f sigma_0^{pp} (1 for p p)."""
    p = kdd_params(model_name)
    ap, np_ = mass_and_neutrons(projectile)
    at, nt = mass_and_neutrons(target)
    fp = np.interp(np.asarray(x_f, dtype=float), NA49_XF_NODES, NA49_FP_NODES)
    cp, ct = side_weights(p, ap, np_, at, nt, s_gev2)
    return cp * fp + ct * (1.0 - fp)


def mass_and_neutrons(name: str) -> tuple[int, int]:
    if name not in NUCLEON_AN:
        raise AntiprotonError(
            f"{name!r} is not a pbar projectile/target; allowed projectiles: "
            f"{', '.join(PROJECTILES)}; targets: {', '.join(TARGETS)}"
        )
    return NUCLEON_AN[name]


def side_weights(p: KDDParams, ap, np_, at, nt, s):
    """Weights of the projectile and target sides in the KDD18 nuclear factor."""
    dis = delta_isospin(s)
    pre = float(ap * at) ** p.d1
    cp = pre * ap**p.d2 * (1.0 + dis * np_ / ap)
    ct = pre * at**p.d2 * (1.0 + dis * nt / at)
    return cp, ct


def kinematic_max_pbar_ekin(ekin_proj_gev_per_n):
    """Largest pbar kinetic energy (GeV) in the lab for a projectile energy per nucleon.

    Forward emission at E* = E*_max; 0 below the threshold 6 m_p.
    """
    tn = np.asarray(ekin_proj_gev_per_n, dtype=float)
    s = 2.0 * M_P * (tn + 2.0 * M_P)
    ok = s > 16.0 * M_P**2
    s = np.where(ok, s, 16.0 * M_P**2)
    rs = np.sqrt(s)
    gam = (tn + 2.0 * M_P) / rs
    bg = np.sqrt(np.clip(tn * (tn + 2.0 * M_P), 0.0, None)) / rs
    e_max = (s - 8.0 * M_P**2) / (2.0 * rs)
    p_max = np.sqrt(np.clip(e_max**2 - M_P**2, 0.0, None))
    return np.where(ok, gam * e_max + bg * p_max - M_P, 0.0)
