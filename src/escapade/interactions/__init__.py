"""Interactions of cosmic rays with the interstellar medium: cross sections and loss rates.

The kernels that both the propagation (energy losses, :mod:`escapade.leptons.losses`) and
the emission (:mod:`escapade.emission`) use, below both (as hermes keeps its
``interactions``): the inverse Compton kernel and loss rate on black-body photons
(:mod:`~escapade.interactions.inverse_compton`, :mod:`~escapade.interactions.blackbody`)
and the bremsstrahlung cross section and loss rate
(:mod:`~escapade.interactions.bremsstrahlung`). They import only the constants.
"""

from .blackbody import (
    blackbody_energy_density_gev_cm3,
    blackbody_eps_grid,
    blackbody_number_density,
)
from .bremsstrahlung import (
    bremsstrahlung_loss_rate_gev_s,
    dsigma_dk_cm2_per_gev,
    radiation_length_g_cm2,
)
from .inverse_compton import SIGMA_T_CM2, ic_kernel, ic_loss_rate_gev_s

__all__ = [
    "SIGMA_T_CM2",
    "blackbody_energy_density_gev_cm3",
    "blackbody_eps_grid",
    "blackbody_number_density",
    "bremsstrahlung_loss_rate_gev_s",
    "dsigma_dk_cm2_per_gev",
    "ic_kernel",
    "ic_loss_rate_gev_s",
    "radiation_length_g_cm2",
]
