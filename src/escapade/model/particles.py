"""Leptons as particles, and the local flux of a density."""

from __future__ import annotations

import numpy as np

from ..constants import C_CM_S, FOUR_PI, M2_PER_CM2, M_ELECTRON_GEV
from ..species import Nuclide

LEPTON_PARTICLES: dict[str, Nuclide] = {
    name: Nuclide(name, 1, 1, M_ELECTRON_GEV) for name in ("e-", "e+")
}
"""Electrons and positrons as particles (Z = 1, A = 1, m_e; the same as
:func:`escapade.observables.local.particle`)."""


def local_flux_from_density(nuc: Nuclide, ekin_gev_per_n: np.ndarray, density) -> np.ndarray:
    """Intensity J = v N / (4 pi) in 1/(m^2 s sr GeV/n) from N in 1/(cm^3 GeV/n)."""
    return nuc.beta(ekin_gev_per_n) * C_CM_S * np.asarray(density) / FOUR_PI / M2_PER_CM2
