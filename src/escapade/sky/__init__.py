"""Sky maps: line-of-sight integration, HEALPix maps and longitude profiles, Fermi-LAT data.

Modules, from the bottom: ``components`` (names and units), ``geometry`` (the model
cylinder, path lengths), ``los`` (the quadrature), ``integrand`` (the (R, z) tables),
``pixels`` (HEALPix pixel centres, longitude bins), ``fits`` (writing FITS), ``fermi``
(the shipped Fermi-LAT data), ``profiles`` (longitude profiles of a map), ``maps``
(:class:`SkyMap`), ``assemble`` (maps and profiles of a solution), ``io`` (reading FITS),
``compare`` (model against the Fermi-LAT profile), ``point_sources`` (the 4FGL-DR2
catalogue as a map component), ``likelihood`` (template fit of the Fermi-LAT counts map),
``systematics`` (the model-systematic fraction of that fit, fitted from the data),
``solution_fit`` (the template fit of a solution's per-phase maps in one call).
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
from .likelihood import (
    REGIONS,
    Region,
    TemplateFitResult,
    fit_templates,
    region_pixels,
    templates_from_skymap,
)
from .los import los_integrate
from .maps import SkyMap
from .point_sources import PointSources, load_4fgl_dr2, point_source_map, point_source_skymap
from .profiles import profile_of_map
from .solution_fit import FitSettings, SolutionFit, fit_solution
from .systematics import SystematicFractionFit, fit_systematic_fraction

__all__ = [
    "PHASES",
    "REGIONS",
    "FermiMaps",
    "FitSettings",
    "Geometry",
    "PointSources",
    "Region",
    "SkyMap",
    "SolutionFit",
    "Stepping",
    "SystematicFractionFit",
    "TemplateFitResult",
    "fermi_comparison",
    "fit_solution",
    "fit_systematic_fraction",
    "fit_templates",
    "igrb_intensity",
    "isotropic_term",
    "load_4fgl_dr2",
    "load_fermi_maps",
    "load_local_hi_emissivity",
    "load_reference_profile",
    "local_emissivity_casandjian2015",
    "longitude_profile",
    "los_integrate",
    "observed_longitude_profile",
    "path_length_kpc",
    "point_source_map",
    "point_source_skymap",
    "profile_of_map",
    "profile_residuals",
    "region_pixels",
    "regrid",
    "skymap",
    "templates_from_skymap",
    "write_healpix_fits",
]
