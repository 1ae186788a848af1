"""Names, constants and the error shared by the antiproton modules."""

from __future__ import annotations

from ...constants import C_CM_S, MB_CM2, MYR_S
from ...constants import M_PROTON_GEV as M_P

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

NUCLEON_AN = {"1H": (1, 0), "4He": (4, 2), "H": (1, 0), "He": (4, 2)}
"""(A, N) of projectiles and targets."""


class AntiprotonError(ValueError):
    """An unknown pbar model, projectile or target."""
