"""Sky maps: line-of-sight integration, HEALPix maps and longitude profiles, Fermi-LAT data.

Modules, from the bottom: ``components`` (names and units), ``geometry`` (the model
cylinder, path lengths), ``los`` (the quadrature), ``integrand`` (the (R, z) tables),
``pixels`` (HEALPix pixel centres, longitude bins), ``fits`` (writing FITS), ``fermi``
(the shipped Fermi-LAT data), ``profiles`` (longitude profiles of a map), ``maps``
(:class:`SkyMap`), ``assemble`` (maps and profiles of a solution), ``io`` (reading FITS),
``compare`` (model against the Fermi-LAT profile).
"""

from .assemble import longitude_profile, skymap
from .compare import fermi_comparison, igrb_intensity, isotropic_term, regrid
from .components import PHASES
from .fermi import (
    FermiMaps,
    load_fermi_maps,
    load_local_hi_emissivity,
    load_reference_profile,
    local_emissivity_casandjian2015,
    observed_longitude_profile,
    profile_residuals,
)
from .fits import write_healpix_fits
from .geometry import Geometry, Stepping, path_length_kpc
from .los import los_integrate
from .maps import SkyMap
from .profiles import profile_of_map

__all__ = [
    "PHASES",
    "FermiMaps",
    "Geometry",
    "SkyMap",
    "Stepping",
    "fermi_comparison",
    "igrb_intensity",
    "isotropic_term",
    "load_fermi_maps",
    "load_local_hi_emissivity",
    "load_reference_profile",
    "local_emissivity_casandjian2015",
    "longitude_profile",
    "los_integrate",
    "observed_longitude_profile",
    "path_length_kpc",
    "profile_of_map",
    "profile_residuals",
    "regrid",
    "skymap",
    "write_healpix_fits",
]
