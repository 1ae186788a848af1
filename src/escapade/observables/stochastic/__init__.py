"""Stochastic nearby sources on top of the smooth solution (issue 18, docs/stochastic.md).

Supernova remnants are discrete in space and time. The sources younger than
``discrete_max_age_kyr`` and closer than ``discrete_max_distance_kpc`` are drawn as bursts
(:mod:`.population`, with the spiral arms of ``[source] arms`` on a 3D solution),
propagated to the Sun by the Green's function of the diffusion equation with the smooth
model's D at the Sun (D_perp on a 3D solution) and the halo boundary by image sources
(:mod:`.green`), and replace the smooth model's ensemble mean of that region, so nothing is
counted twice (:mod:`.ensemble`). :func:`with_stochastic` adds the realisations' dipole and
flux ratio to a solution (:mod:`.result`); ``escapade run`` calls it when
``[stochastic] enabled = true``.
"""

from .green import burst_density, steady_kernel
from .population import (
    BUNDLED_CATALOGUES,
    CATALOGUE_COLUMNS,
    Catalogue,
    SourceRegion,
    read_catalogue,
)
from .result import stochastic_setup, with_stochastic

__all__ = [
    "BUNDLED_CATALOGUES",
    "CATALOGUE_COLUMNS",
    "Catalogue",
    "SourceRegion",
    "burst_density",
    "read_catalogue",
    "steady_kernel",
    "stochastic_setup",
    "with_stochastic",
]
