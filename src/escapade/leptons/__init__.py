"""Electrons and positrons: fields (B, ISRF), energy losses, secondary production.

See ``docs/leptons.md``. The propagation itself is the same energy march as for nuclei
(:mod:`escapade.transport.solver`), run by :class:`escapade.model.Model` when
``[leptons] enabled = true``.
"""

from .fields import B_FIELD_MODELS, ISRF, ISRF_MODELS, GreyBody, MagneticField, isrf_model
from .losses import LeptonLosses
from .production import LEPTON_PRODUCTION_MODELS, LeptonProduction

__all__ = [
    "B_FIELD_MODELS",
    "ISRF",
    "ISRF_MODELS",
    "LEPTON_PRODUCTION_MODELS",
    "GreyBody",
    "LeptonLosses",
    "LeptonProduction",
    "MagneticField",
    "isrf_model",
]
