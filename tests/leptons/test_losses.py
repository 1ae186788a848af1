"""Energy-loss formulas against published stopping powers."""

import numpy as np
import pytest

from escapade.constants import AMU_GEV, C_CM_S
from escapade.species import nuclide
from escapade.transport.losses import coulomb_rate, ionisation_rate_per_atom

M_H_G = 1.6735575e-24
M_HE_G = 4.002602 * 1.66053906660e-24


def _min_ionising(nuc):
    gamma = np.sqrt(1.0 + 3.5**2)  # beta gamma = 3.5, the minimum of Bethe-Bloch
    return (gamma - 1.0) * nuc.mass_per_nucleon_gev


def test_minimum_ionisation_matches_pdg():
    """PDG 2022 atomic and nuclear properties: H2 gas 4.103, He gas 1.937 MeV cm^2/g."""
    p = nuclide("1H")
    e = _min_ionising(p)
    b_h, b_he = ionisation_rate_per_atom(p, e)
    v = p.beta(e) * C_CM_S
    assert b_h / v / M_H_G * 1e3 == pytest.approx(4.103, rel=0.01)
    assert b_he / v / M_HE_G * 1e3 == pytest.approx(1.937, rel=0.01)


def test_charge_squared_scaling_per_nucleon():
    p, c = nuclide("1H"), nuclide("12C")
    e = 10.0
    bp, _ = ionisation_rate_per_atom(p, e)
    bc, _ = ionisation_rate_per_atom(c, e)
    # per nucleus Z^2 (up to the small M-dependence of Q_max); per nucleon Z^2/A = 3
    assert (bc / 12) / bp == pytest.approx(3.0, rel=0.02)
    assert c.mass_gev == pytest.approx(12 * AMU_GEV)


def test_coulomb_losses_vanish_without_plasma_and_fall_at_high_energy():
    p = nuclide("1H")
    assert coulomb_rate(p, 1.0, 0.0) == 0.0
    lo, hi = coulomb_rate(p, 0.01, 0.1), coulomb_rate(p, 100.0, 0.1)
    assert lo > hi > 0
