"""Secondary antiprotons: production cross sections, source matrices and losses.

Production (p, He on H, He)
===========================
Named parametrisations of the Lorentz-invariant cross section
``E d^3 sigma / dp^3`` (mb/GeV^2) of p + p -> pbar + X, both from
Korsmeier, Donato & Di Mauro 2018 (KDD18; PRD 97, 103019), fitted to NA49, NA61,
BRAHMS, PHENIX, ALICE and older pp data:

* ``"kdd18_param1"`` (default): KDD18 "Param I", the functional form of
  di Mauro, Donato, Goudelis & Serpico 2014 (PRD 90, 085017, their eq. 12),

      sigma_0 = sigma_in(s) (1 - x_R)^C1 exp(-C2 x_R)
                [C3 s^(C4/2) exp(-C5 p_T) + C6 s^(C7/2) exp(-C8 p_T^2)],

  with sigma_in = sigma_tot - sigma_el of pp from the Regge-type fits quoted by
  di Mauro et al. 2014, sigma = Z + B ln^2(s/s_M) + Y1 (s_M/s)^eta1 - Y2 (s_M/s)^eta2,
  B = pi (hbar c)^2 / M^2, s_M = (2 m_p + M)^2
  (total: Z = 33.44, Y1 = 13.53, Y2 = 6.38, eta1 = eta2 = 0.324, M = 2.06 GeV;
  elastic: Z = 144.98, Y1 = 2.64, Y2 = 137.27, eta1 = 1.57, eta2 = -4.65e-3,
  M = 3.06 GeV) and the KDD18 best fit C1..C8 = 3.50193, 5.58513, 0.0399553,
  -0.250716, 2.65053, 0.0378145, 0.0429478, 2.69520;
* ``"kdd18_param2"``: KDD18 "Param II", the form of Winkler 2017 (JCAP 02, 048),

      sigma_0 = R(sqrt s) sigma_in(s) c5 (1 - x_R)^c6 [1 + X (m_T - m_p)]^(-1/(X c7)),
      X = c8 ln^2(sqrt(s) / 4 m_p),  sigma_in = c11 + c12 ln sqrt(s) + c13 ln^2 sqrt(s),
      R = 1 (sqrt s >= 10 GeV), else [1 + c9 (10 - sqrt s)^5]
          exp[c10 (10 - sqrt s) (x_R - m_p / E*_max)^2],

  c5..c10 = 0.0501767, 7.79045, 0.164809, 0.038, 4.74370e-4, 3.70480 (KDD18 fit),
  c11..c13 = 30.9, -1.74, 0.71 mb (Winkler).

Here s is the nucleon-nucleon centre-of-mass energy squared, E* the pbar energy in
that frame, E*_max = (s - 8 m_p^2) / (2 sqrt s) its kinematic maximum (recoil
p p p), x_R = E*/E*_max, p_T the transverse momentum, x_F = 2 p*_L / sqrt(s).
The two agree on the energy-integrated pbar yield to < 3 % above T_p = 30 GeV and
on dsigma/dT within 30 % in its bulk, but differ by up to 40 % near threshold
(T_p = 10-20 GeV, sqrt(s) < 6.5 GeV): a measure of the low-energy uncertainty.
sigma_0 is *prompt* pbar production (hyperon feed-down removed, as the NA49 data).
Provenance of the numbers: the functional forms are those of the papers; the
KDD18 best-fit values (and the sigma_in fit constants) were read from the
authors' public CRXS code (Korsmeier & Di Mauro, github.com/dimauromattia/CRXS),
which reproduces the di Mauro 2014 eq. 12 best fit (4.499, 3.41, 0.00942, ...)
as printed in that paper; they were not re-read from the KDD18 PDF. The numerical
checks below (NA49 points, multiplicity, PDG sigma_tot, Param I vs II) are the
evidence that they are transcribed correctly.

Antineutrons and hyperons (Winkler 2017, adopted by KDD18): the pbar yield that
reaches the Galaxy is sigma_0 (2 + Delta_IS + 2 Delta_Lambda): the 2 counts the
antineutrons (which decay to pbar), Delta_IS = 0.114 / (1 + (s / 144^2 GeV^2)^0.51)
their isospin enhancement, Delta_Lambda = 0.81 [0.31 + 0.30 / (1 + (146^2 GeV^2 /
s)^0.9)] the antihyperon (Lambda-bar, Sigma-bar) feed-down of pbar and nbar.
The factor is 2.61 at 20 GeV, 2.79 at 10 TeV proton energy and tends to 2.99.

Nuclei (KDD18, following Winkler 2017): for projectile P and target T with mass
numbers A and neutron numbers N, at equal kinetic energy per nucleon,

    sigma_0^{PT} = (A_P A_T)^D1 [A_P^D2 (1 + Delta_IS N_P/A_P) F_P(x_F)
                                + A_T^D2 (1 + Delta_IS N_T/A_T) F_T(x_F)] sigma_0^{pp},

F_P(x_F) the share of pbar from the projectile side measured by NA49 in p + C
(Baatar et al. 2013, EPJC 73, 2364; tabulated by Winkler 2017), F_T = 1 - F_P;
D1, D2 = 0.825, 0.167 (Param I) and 0.828, 0.145 (Param II). The same
(2 + Delta_IS + 2 Delta_Lambda) factor is applied to every system.
Sub-threshold production in nuclei (Fermi motion) is neglected: the threshold is
T_n = 6 m_p = 5.63 GeV/n for every system. Projectiles heavier than 4He (CNO: a
few per cent of the pbar source) are not included.

Energy-differential cross section (lab frame, target at rest)::

    dsigma/dT(T_n, T) = 2 pi p  int dcos(theta) E d^3sigma/dp^3      [mb/GeV]

with p, T the pbar lab momentum and kinetic energy and theta its angle to the
projectile. The integral runs from the kinematic limit x_R = 1 to theta = 0; it is
done in ln(theta) with a composite Gauss-Legendre rule (10 panels x 12 nodes down
to p theta = 1e-5 GeV), which agrees with adaptive quadrature to ~1e-6 (tested to
1e-4), and int dT dsigma/dT reproduces the Lorentz-invariant CM integral
int d^3p/E sigma_inv to ~1e-9 (tested to 1e-3). Checks against data: Param I lies
1-15 % (mean 8 %) above the NA49 x_F = 0 points at 158 GeV/c (normalisation
uncertainty 6.5 %); its prompt multiplicity there is 0.040 (NA49/NA61: ~0.04);
the sigma_tot fit inside sigma_in matches the PDG 2022 pp data from 10 GeV/c to
100 TeV/c with a median deviation of 0.7 %.

Source matrices
===============
:meth:`PbarProduction.source_matrices` turns dsigma/dT into matrices M on an
energy grid E (kinetic energy per nucleon of the projectile = kinetic energy of the
pbar, GeV) such that the pbar source at pbar energy E_k is

    Q[k] = sum_{(proj, target)} n_target * sum_j M[(proj, target)][k, j] * N_proj[j]

with N_proj in 1/(cm^3 GeV/n), n_target in cm^-3 and Q in 1/(cm^3 GeV Myr); M in
cm^3/Myr: M[k, j] = int dE beta_proj(E) c dsigma/dT(E, E_k) phi_j(E). Between two
grid nodes the projectile density is interpolated as a power law of index
``spectral_index`` (default 2.7) times the linear hat functions of ln E
(phi_j(E) = hat_j(ln E) (E/E_j)^-gamma), which is exact for N ~ E^-gamma and
second order in the grid step otherwise; each interval is integrated with
``n_sub`` (8) Gauss-Legendre nodes in ln E. Above the top node the projectile
spectrum is continued as N_last (E/E_last)^-gamma for ``tail_decades`` (3)
decades (set 0 to drop it). Accuracy (tests/test_antiprotons.py, p and He
spectra ~ R^-2.8 and R^-2.7): doubling the grid density changes Q between 0.3 GeV
and E_max/10 by 0.15 % (4 nodes per decade), 0.04 % (8) and 0.02 % (10.5, the
64-point 0.1 GeV - 100 TeV grid of the letter configs); using index 2.0 instead of
2.7 for the interpolation shape moves Q by 1 % (8 per decade). The pbar source in
the top 1.5 decades of the grid depends on the continuation above it (without it:
-1.3 % at E_max/100, -8 % at E_max/30, -38 % at E_max/10). About 0.3 s for 64
energies (all four channels).

Losses
======
:func:`pbar_inelastic_mb`: total inelastic pbar cross section (annihilation +
non-annihilating inelastic), the prescriptions of GALPROP (Moskalenko et al. 2002,
ApJ 565, 280):

* on H: Tan & Ng 1983 (J. Phys. G 9, 227), sigma = 24.7 (1 + 0.584 T^-0.115 +
  0.856 T^-0.566) mb for T <= 14 GeV; above, sigma_inel(pp) (Kafexhiu et al. 2014,
  as elsewhere in escapade) + sigma_ann, the two join to 1 % at 14 GeV;
  annihilation (:func:`pbar_annihilation_mb`): Tan & Ng 1983, 661 (1 + 0.0115
  T^-0.774 - 0.948 T^0.0151) mb below 10 GeV, and sigma_tot(pbar p) - sigma_tot(pp)
  = 2 x 35.43 s^-0.56 mb (PDG 2000 Regge fit) above;
* on He: Moiseev & Ormes 1997 (Astropart. Phys. 6, 379) pbar-nucleus fit,
  A^(2/3) [48.2 + 19 T^-0.55 + (0.1 - 0.18 T^-1.2) Z + 0.0012 T^-1.5 Z^2] mb,
  with GALPROP's effective A = 3.30, Z = 2 for 4He (Moskalenko et al. 2002);
  its annihilating part is sigma - sigma_inel(p He) (Barashenkov & Polanski 1994,
  as in GALPROP; the escapade "barashenkov94" set), at least sigma_ann(pbar p),
  and = sigma_ann(pbar p) above 5 GeV (GALPROP).

T is the pbar kinetic energy in GeV; below T = 0.05 GeV (R = 0.31 GV, outside the
fits' range) the cross sections are held at their T = 0.05 GeV values.

Tertiary antiprotons (optional): :func:`tertiary_matrices` gives the
redistribution of non-annihilating inelastic collisions with the Tan & Ng 1983
approximation used by GALPROP and Donato et al. 2001: the surviving pbar's
kinetic energy is uniform between 0 and its energy before the collision,
dsigma/dT' = sigma_non-ann(T) / T. The total inelastic cross section is then kept
as the loss and the tertiary term re-injects the survivors at lower energy.

How to integrate in escapade.model (units as in escapade.constants)
===================================================================
``pbar`` is not a member of the nuclear network; solve it after every species
(it needs the densities of 1H and 4He):

1. ``prod = PbarProduction("kdd18_param1")``;
   ``mats = prod.source_matrices(grid.ekin_gev_per_n)`` once per grid (about 0.3 s
   for 64 energies; cache it like ``Model._rates``). Keys: ("1H", "H"),
   ("1H", "He"), ("4He", "H"), ("4He", "He").
2. ``source(k)`` of the pbar problem::

       dens = {"H": gas.h_total, "He": gas.he}                    # cm^-3, (nr, nz)
       q = sum(np.tensordot(m[k], solved[proj].density, axes=(0, 0)) * dens[tgt]
               for (proj, tgt), m in mats.items() if proj in solved)
       # solved[proj].density: (n_ekin, nr, nz) in 1/(cm^3 GeV/n); q: 1/(cm^3 GeV Myr)

   (no primary injection: abundance 0). The unnormalised parent densities are
   fine: the pbar density scales with the same normalisation factor.
3. ``destruction(k) = pbar_loss_rate_per_myr(E_k, gas.h_total, gas.he)`` (1/Myr):
   beta c (n_H sigma_inel(pbar H) + n_He sigma_inel(pbar He)).
4. diffusion, continuous losses (ionisation, Coulomb, adiabatic) and
   reacceleration exactly as for 1H, with ``nuclide("pbar")`` (Z = 1, A = 1,
   proton mass; same rigidity as a proton of the same kinetic energy).
5. Tertiaries (optional but recommended below a few GeV): after a first solve, add
   ``sum_t np.tensordot(T[t][k], pbar.density, axes=(0, 0)) * dens[t]`` with
   ``T = tertiary_matrices(grid.ekin_gev_per_n)`` to the source and solve again,
   keeping the total inelastic destruction of step 3; each pass shrinks the change
   ~10-fold (3-4 passes to 1e-3). In the leaky box of the tests (no continuous
   losses) tertiaries raise the pbar density by 60 % at 0.7 GeV, 12 % at 2 GeV,
   3 % at 10 GeV and 1 % at 100 GeV. Without this step tertiaries are omitted and
   non-annihilating collisions act as pure losses.
6. Local observables: ``flux_local`` for "pbar" as for any species (J = v N / 4 pi);
   :mod:`escapade.observables.local` already knows "pbar" and "pbar/p".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..constants import C_CM_S, MB_CM2, MYR_S
from ..constants import M_PROTON_GEV as M_P
from ..species import nuclide

PBAR_MODELS = ("kdd18_param1", "kdd18_param2")
"""Named pbar production parametrisations (see the module notes)."""

PROJECTILES = ("1H", "4He")
TARGETS = ("H", "He")

THRESHOLD_EKIN_GEV = 6.0 * M_P
"""Kinetic energy (per nucleon) threshold of p p -> pbar p p p: s = 16 m_p^2."""

RATE_CM3_PER_MYR_PER_MB = C_CM_S * MB_CM2 * MYR_S
"""c * 1 mb in cm^3/Myr."""

HBARC2_GEV2_MB = 0.38937966
"""(hbar c)^2 in GeV^2 mb (PDG)."""

_NUCLEON = {"1H": (1, 0), "4He": (4, 2), "H": (1, 0), "He": (4, 2)}
"""(A, N) of projectiles and targets."""


class AntiprotonError(ValueError):
    """An unknown pbar model, projectile or target."""


# ---------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Params:
    form: str
    c: tuple[float, ...]
    d1: float
    d2: float
    label: str


_MODELS = {
    "kdd18_param1": _Params(
        "dimauro",
        (3.50193, 5.58513, 0.0399553, -0.250716, 2.65053, 0.0378145, 0.0429478, 2.69520),
        0.825,
        0.167,
        "Korsmeier, Donato & Di Mauro 2018 (PRD 97, 103019) Param I [di Mauro et al. 2014 form]",
    ),
    "kdd18_param2": _Params(
        "winkler",
        (0.0501767, 7.79045, 0.164809, 0.038, 4.74370e-4, 3.70480, 30.9, -1.74, 0.71),
        0.828,
        0.145,
        "Korsmeier, Donato & Di Mauro 2018 (PRD 97, 103019) Param II [Winkler 2017 form]",
    ),
}

# NA49 p + C projectile share of the pbar yield (Baatar et al. 2013; Winkler 2017)
_XF_NODES = np.linspace(-0.25, 0.25, 21)
_FP_NODES = np.array(
    [0.0, 0.0003, 0.0008, 0.0027, 0.010, 0.035, 0.110, 0.197, 0.295, 0.4, 0.5,
     0.6, 0.705, 0.803, 0.890, 0.965, 0.990, 0.9973, 0.9992, 0.9997, 1.0]
)  # fmt: skip


def _params(model_name: str) -> _Params:
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


def _sigma_inv_prompt(p: _Params, s, x_r, p_t, e_max):
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
    p = _params(model_name)
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
    val = _sigma_inv_prompt(p, s_safe, np.where(ok, x_r, 0.0), pt, e_max)
    return np.where(ok, val, 0.0)


def nuclear_factor(model_name: str, projectile: str, target: str, s_gev2, x_f):
    """KDD18 factor f^{PT}(s, x_F) with sigma_0^{PT} = f sigma_0^{pp} (1 for p p)."""
    p = _params(model_name)
    ap, np_ = _ab(projectile)
    at, nt = _ab(target)
    fp = np.interp(np.asarray(x_f, dtype=float), _XF_NODES, _FP_NODES)
    cp, ct = _side_weights(p, ap, np_, at, nt, s_gev2)
    return cp * fp + ct * (1.0 - fp)


def _ab(name: str) -> tuple[int, int]:
    if name not in _NUCLEON:
        raise AntiprotonError(
            f"{name!r} is not a pbar projectile/target; allowed projectiles: "
            f"{', '.join(PROJECTILES)}; targets: {', '.join(TARGETS)}"
        )
    return _NUCLEON[name]


def _side_weights(p: _Params, ap, np_, at, nt, s):
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


def _angular_integrals(p: _Params, tn, t, chunk: int = 4096):
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
        sig = _sigma_inv_prompt(p, s[sel, None], np.minimum(x_r, 1.0), p_t, emx)
        integrand = 2.0 * np.pi * pp_ * sig * np.sin(th) * wt
        fp = np.interp(x_f, _XF_NODES, _FP_NODES)
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
    p = _params(model_name)
    ap, np_ = _ab(projectile)
    at, nt = _ab(target)
    if projectile not in PROJECTILES or target not in TARGETS:
        raise AntiprotonError(
            f"channel {projectile} + {target}: projectiles {', '.join(PROJECTILES)}, "
            f"targets {', '.join(TARGETS)}"
        )
    tn = np.asarray(ekin_proj_gev_per_n, dtype=float)
    i_p, i_t = _angular_integrals(p, tn, ekin_pbar_gev)
    s = 2.0 * M_P * (tn + 2.0 * M_P)
    cp, ct = _side_weights(p, ap, np_, at, nt, s)
    out = cp * i_p + ct * i_t
    if include_nbar_hyperons:
        out = out * pbar_multiplier(s)
    return out


# ---------------------------------------------------------------------------------------
# quadrature in projectile energy
# ---------------------------------------------------------------------------------------
def _projectile_rule(ekin, spectral_index: float, n_sub: int, tail_decades: float):
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
        self.params = _params(model_name)
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
            _ab(name)
        e = np.asarray(ekin_gev_per_n, dtype=float)
        eq, w = _projectile_rule(e, self.spectral_index, self.n_sub, self.tail_decades)
        keep = eq > THRESHOLD_EKIN_GEV
        eq, w = eq[keep], w[keep]
        s = 2.0 * M_P * (eq + 2.0 * M_P)
        mult = pbar_multiplier(s) if self.include_nbar_hyperons else np.ones_like(s)
        flux = {pr: nuclide(pr).beta(eq) * RATE_CM3_PER_MYR_PER_MB * mult for pr in projectiles}
        sides = {}
        for pr in projectiles:
            ap, np_ = _ab(pr)
            for tg in targets:
                at, nt = _ab(tg)
                cp, ct = _side_weights(self.params, ap, np_, at, nt, s)
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


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------
T_MIN_FIT_GEV = 0.05
"""Kinetic energy below which the loss fits are held constant."""


def _t(ekin):
    return np.maximum(np.asarray(ekin, dtype=float), T_MIN_FIT_GEV)


def _pp_inelastic_mb(t):
    from .crosssections import pp_inelastic_kafexhiu2014_mb

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
    from .crosssections import inelastic_mb

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
    eq, w = _projectile_rule(e, spectral_index, n_sub, tail_decades)
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


__all__ = [
    "PBAR_MODELS",
    "PROJECTILES",
    "TARGETS",
    "THRESHOLD_EKIN_GEV",
    "AntiprotonError",
    "PbarProduction",
    "delta_hyperon",
    "delta_isospin",
    "dsigma_dekin_mb_per_gev",
    "invariant_pp_prompt_mb_gev2",
    "kinematic_max_pbar_ekin",
    "nuclear_factor",
    "pbar_annihilation_mb",
    "pbar_inelastic_mb",
    "pbar_loss_rate_per_myr",
    "pbar_multiplier",
    "pbar_non_annihilating_mb",
    "pp_elastic_dimauro14_mb",
    "pp_total_dimauro14_mb",
    "tertiary_matrices",
]
