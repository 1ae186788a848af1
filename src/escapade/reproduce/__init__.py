"""``escapade reproduce``: the letter's analysis redone on real data, in one command.

Evoli, Gaggero, Grasso & Maccione 2012 (PRL 108, 211102). For every tau in
:data:`TAUS` (in parallel through :func:`escapade.scan.scan`, one dask worker per
core) the worker

1. fits D0 and the force-field potential phi (Gaussian prior 0.6 +- 0.2 GV) to B/C with
   delta = 0.6, on the data the letter could use (HEAO-3, PAMELA, CREAM; rigidities above
   5 GV);
2. takes the best-fit solution: the radial dipole anisotropy of the protons (the letter's
   eq. 2 and Figure 3; the total dipole of all nucleons is kept beside it), the radial
   profile of protons at 10 GeV, B/C and pbar/p;
3. solves the same model for 1H and 4He (the pi0 projectiles) and the electrons and
   positrons (primary e-, secondary e+-) with the full density, and computes the pi0
   emissivity per H atom vs R (Figure 1) and a 2-20 GeV sky map (pi0 + inverse Compton +
   bremsstrahlung),
   whose |b| < 5 deg longitude profile is compared with the Fermi-LAT maps (Figure 2;
   an isotropic constant is fitted, see :func:`escapade.sky.compare.fermi_comparison`).

Then the same for AMS-02 B/C with delta free and a high-rigidity break of D (the
modern data), and the stochastic nearby sources at tau = 0 and 0.85 with the letter-era D0
(:mod:`escapade.reproduce.stochastic`: Figure 3's bands to 1 PeV, the p, He and light spectra
against the knee-region data, P(A < 1e-3) and the DAMPE-sized bumps), and the posterior of
tau, D0 and phi on the letter-era B/C (:mod:`escapade.reproduce.posterior`: emcee through
:func:`escapade.inference.infer` on a reduced grid; ``figures/posterior_tau``, the chain in
``posterior/``). Writes ``figures/*.png`` and ``*.pdf``, ``summary.json`` and ``report.md``,
which states for each of the letter's claims whether these numbers support it.
"""

from .evaluate import evaluate, run_era
from .report import claims, letter_table, summarise
from .run import reproduce
from .settings import FAST, FULL, TAUS, Settings, base_config

__all__ = [
    "FAST",
    "FULL",
    "TAUS",
    "Settings",
    "base_config",
    "claims",
    "evaluate",
    "letter_table",
    "reproduce",
    "run_era",
    "summarise",
]
