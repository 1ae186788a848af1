"""A run's physics assembled from its configuration, and its solve.

:mod:`~escapade.model.model` builds the grid, gas, sources, diffusion, losses and
network (:class:`Model`) and solves the nuclei heaviest first;
:mod:`~escapade.model.antiprotons` and :mod:`~escapade.model.leptons` are the chains
solved after them; :mod:`~escapade.model.output` builds the output Dataset.
:mod:`~escapade.model.model3d` (:class:`Model3D`) and :mod:`~escapade.model.output3d` are the
3D engine's (``[transport] geometry = "3d"``); :func:`build_model` picks the engine.
"""

from .build import build_model, solve
from .leptons import build_lepton_losses
from .model import Model, build_diffusion, resolve_abundances
from .model3d import Model3D
from .output import all_nucleon_anisotropy
from .particles import LEPTON_PARTICLES, local_flux_from_density

__all__ = [
    "LEPTON_PARTICLES",
    "Model",
    "Model3D",
    "all_nucleon_anisotropy",
    "build_diffusion",
    "build_lepton_losses",
    "build_model",
    "local_flux_from_density",
    "resolve_abundances",
    "solve",
]
