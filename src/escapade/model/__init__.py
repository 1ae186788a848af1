"""A run's physics assembled from its configuration, and its solve.

:mod:`~escapade.model.model` builds the grid, gas, sources, diffusion, losses and
network (:class:`Model`) and solves the nuclei heaviest first;
:mod:`~escapade.model.antiprotons` and :mod:`~escapade.model.leptons` are the chains
solved after them; :mod:`~escapade.model.output` builds the output Dataset.
"""

from .leptons import build_lepton_losses
from .model import Model, build_diffusion, resolve_abundances, solve
from .output import all_nucleon_anisotropy
from .particles import LEPTON_PARTICLES, local_flux_from_density

__all__ = [
    "LEPTON_PARTICLES",
    "Model",
    "all_nucleon_anisotropy",
    "build_diffusion",
    "build_lepton_losses",
    "local_flux_from_density",
    "resolve_abundances",
    "solve",
]
