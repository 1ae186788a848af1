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
* ``"kdd18_param2"``: KDD18 "Param II", the form of Winkler 2017 (JCAP 02, 048), ::

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
5. Tertiaries (optional but recommended below a few GeV): the source gains
   ``sum_t np.tensordot(T[t][k], pbar.density, axes=(0, 0)) * dens[t]`` with
   ``T = tertiary_matrices(grid.ekin_gev_per_n)``, keeping the total inelastic
   destruction of step 3. T[k, j] vanishes for j < k (the outgoing pbar has less energy),
   so a march down in energy takes the terms j > k as a source from the energies already
   solved and the diagonal term into the destruction rate: exact in one march
   (``Model.pbar_problem``). Iterating whole solves instead (needed when reacceleration
   couples the energies upwards) converges slowly where tertiaries dominate: on the
   letter's grid three passes leave the pbar 4.3 % low at 0.1 GeV. In the leaky box of
   the tests (no continuous losses) tertiaries raise the pbar density by 60 % at 0.7 GeV,
   12 % at 2 GeV, 3 % at 10 GeV and 1 % at 100 GeV. Without this step tertiaries are
   omitted and non-annihilating collisions act as pure losses.
6. Local observables: ``flux_local`` for "pbar" as for any species (J = v N / 4 pi);
   :mod:`escapade.observables.local` already knows "pbar" and "pbar/p".
"""

from .common import (
    PBAR_MODELS,
    PROJECTILES,
    RATE_CM3_PER_MYR_PER_MB,
    TARGETS,
    THRESHOLD_EKIN_GEV,
    AntiprotonError,
)
from .cross_sections import (
    delta_hyperon,
    delta_isospin,
    invariant_pp_prompt_mb_gev2,
    kinematic_max_pbar_ekin,
    nuclear_factor,
    pbar_multiplier,
    pp_elastic_dimauro14_mb,
    pp_total_dimauro14_mb,
)
from .losses import (
    pbar_annihilation_mb,
    pbar_inelastic_mb,
    pbar_loss_rate_per_myr,
    pbar_non_annihilating_mb,
    tertiary_matrices,
)
from .production import PbarProduction, dsigma_dekin_mb_per_gev

__all__ = [
    "PBAR_MODELS",
    "PROJECTILES",
    "RATE_CM3_PER_MYR_PER_MB",
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
