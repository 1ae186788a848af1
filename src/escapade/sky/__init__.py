"""Sky maps: line-of-sight integration, HEALPix maps and longitude profiles, Fermi-LAT data."""

from .fermi import (
    FermiMaps,
    load_fermi_maps,
    load_local_hi_emissivity,
    load_reference_profile,
    observed_longitude_profile,
    profile_residuals,
)
from .los import (
    PHASES,
    Geometry,
    SkyMap,
    Stepping,
    longitude_profile,
    los_integrate,
    path_length_kpc,
    skymap,
    write_healpix_fits,
)

__all__ = [
    "PHASES",
    "FermiMaps",
    "Geometry",
    "SkyMap",
    "Stepping",
    "load_fermi_maps",
    "load_local_hi_emissivity",
    "load_reference_profile",
    "longitude_profile",
    "los_integrate",
    "observed_longitude_profile",
    "path_length_kpc",
    "profile_residuals",
    "skymap",
    "write_healpix_fits",
]
