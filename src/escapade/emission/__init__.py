"""Gamma-ray emission processes (pi0 decay; inverse Compton and bremsstrahlung later)."""

from .pion import (
    PionProduction,
    dsigma_degamma_mb_per_gev,
    emissivity,
    emissivity_band,
    emissivity_per_h_atom,
)

__all__ = [
    "PionProduction",
    "dsigma_degamma_mb_per_gev",
    "emissivity",
    "emissivity_band",
    "emissivity_per_h_atom",
]
