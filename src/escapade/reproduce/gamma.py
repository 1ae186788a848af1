"""The gamma-ray record of one tau: the sky of the B/C best fit through each gas model,
held against the Fermi-LAT 2-20 GeV data as the field does it.

For the best fit of one tau the pi0 projectiles (1H, 4He) and the leptons are solved with
the full density once (the CR densities do not depend on the gas model beyond their small
inelastic and ionisation losses: the B/C fit's gas, ``[gas]`` of the preset, is kept for the
transport). The same CR densities are then seen through each gas model of
:data:`GAS_MODELS` (the analytic GALPROP gas; the 3D gas of Pohl et al. 2008 H2 and the
HI disc as modelled; the same with the HI held to HI4PI; that with dark gas from the dust
residual: the rows separate what the 3D geometry does from what the survey does) and
compared with the data in three ways:

* the longitude profile (180 bins of 2 deg, |b| < 5 deg, the shipped point-source mask,
  exposure-weighted bins, statistical errors) with one free normalisation of the whole model
  and a free isotropic term (:func:`escapade.sky.compare.fermi_comparison` with
  ``fit_norm=True``): ``chi2_profile``, the number issue 16 asks of a real gas;
* the same profile with a free normalisation per component (pi0 + bremsstrahlung of each
  gas phase, IC) and a free isotropic term
  (:func:`escapade.sky.compare.component_profile_fit`): ``chi2_profile_components``, how far
  the shapes alone go;
* the template likelihood of the counts map (:func:`escapade.sky.likelihood.fit_templates`):
  free non-negative normalisations of pi0 + bremsstrahlung of each gas phase, of the IC and,
  in the rows with point sources, of the 4FGL-DR2 map; the isotropic term with a Gaussian
  prior of width 0.3 around the Ackermann et al. 2015 IGRB; the model-systematic fraction f
  fitted by maximum likelihood (:func:`escapade.sky.systematics.fit_systematic_fraction`), so
  that -2 ln L of different tau is a profile likelihood in tau with f profiled.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..config import Config, with_updates
from .settings import FIG1_BAND, GAMMA_BAND

__all__ = ["FERMI_NSIDE", "GAS_MODELS", "TEMPLATE_NAMES", "gamma_record"]

GAS_MODELS: dict[str, dict] = {
    "analytic": {"gas.model": "galprop_analytic"},
    "survey3d_unconstrained": {
        "gas.model": "survey3d",
        "gas.dark_gas": False,
        "gas.hi_survey_constraint": False,
    },
    "survey3d": {"gas.model": "survey3d", "gas.dark_gas": False},
    "survey3d_dark": {"gas.model": "survey3d", "gas.dark_gas": True, "gas.dust_map": "sfd98"},
    "survey3d_dark_planck13": {
        "gas.model": "survey3d",
        "gas.dark_gas": True,
        "gas.dust_map": "planck13",
    },
}
"""The gas models a reproduction compares (name -> config updates): the analytic GALPROP gas,
the 3D gas without the survey constraint (the HI disc as modelled, Pohl et al. 2008 H2), the
survey3d gas (HI held to HI4PI) without dark gas, and with the dust-residual dark gas of each
shipped E(B-V) map (SFD98, the default; Planck 2013's radiance-based map, which scales with
the dust heating: docs/gamma.md, "The dust map"), each with its dust-to-gas ratio calibrated
on the map (the default ``gas.dust_to_gas_cm2_mag = "calibrated"``)."""

TEMPLATE_NAMES = ("HI", "H2", "HII", "dark", "IC", "point_sources", "isotropic")
"""Every template a fit may have (absent ones are NaN in the record)."""

FERMI_NSIDE = 128
"""nside of the shipped Fermi-LAT maps."""


def _gamma_config(best: Config) -> Config:
    return with_updates(
        best, {"species.z_max": 2, "species.antiprotons": False, "leptons.enabled": True}
    )


def _profile_vars(cmp: xr.Dataset) -> dict:
    parts = (("pi0", "pi0"), ("ic", "IC"), ("brems", "bremsstrahlung"))
    out = {
        "chi2_profile": ((), float(cmp.attrs["chi2"])),
        "profile_norm": ((), float(cmp.attrs["norm"])),
        "profile_isotropic": ((), float(cmp.attrs["isotropic"])),
        "profile_model": (("l_deg",), cmp["model"].values),
    }
    for name, part in parts:
        if f"component_{part}" in cmp:
            out[f"profile_{name}"] = (("l_deg",), cmp[f"component_{part}"].values)
    return out


def _likelihood_vars(templates: dict, ps_map: np.ndarray) -> dict:
    """-2 ln L, f and the normalisations without and with the point-source template."""
    from ..sky.systematics import fit_systematic_fraction

    m2, f, norms, errors = [], [], [], []
    for with_ps in (False, True):
        t = {**templates, "point_sources": ps_map} if with_ps else templates
        res = fit_systematic_fraction(t, isotropic=True, isotropic_prior_width=0.3)
        m2.append(res.fit.minus2lnl)
        f.append(res.f)
        values = dict(zip(res.fit.names, res.fit.values, strict=True))
        errs = dict(zip(res.fit.names, res.fit.errors, strict=True))
        norms.append([values.get(n, np.nan) for n in TEMPLATE_NAMES])
        errors.append([errs.get(n, np.nan) for n in TEMPLATE_NAMES])
    dims = ("point_sources", "template")
    return {
        "minus2lnl": (("point_sources",), np.array(m2)),
        "systematic_fraction": (("point_sources",), np.array(f)),
        "norm": (dims, np.array(norms)),
        "norm_error": (dims, np.array(errors)),
    }


def _gas_record(full, updates: dict, nside: int, ps_map: np.ndarray):
    """(the profile and the likelihood of the CR densities of ``full`` through one gas, the
    data profile with its errors)."""
    from ..sky.compare import component_profile_fit, fermi_comparison, regrid
    from ..sky.templates import phase_templates, process_maps, skymap_of_processes
    from ..solution import Solution

    sol = Solution(full.dataset, with_updates(full.config, updates))
    maps = process_maps(sol, GAMMA_BAND, nside)
    cmp = fermi_comparison(skymap_of_processes(maps, nside, GAMMA_BAND), fit_norm=True)
    templates = {k: regrid(v, FERMI_NSIDE) for k, v in phase_templates(maps).items()}
    chi2_components, _ = component_profile_fit(templates)
    ds = xr.Dataset(
        {
            **_profile_vars(cmp),
            "chi2_profile_components": ((), chi2_components),
            **_likelihood_vars(templates, ps_map),
        },
        coords={"l_deg": cmp["l_deg"].values},
    )
    data = xr.Dataset(
        {
            "profile_data": ("l_deg", cmp["data"].values),
            "profile_error": ("l_deg", cmp["error"].values),
        },
        coords={"l_deg": cmp["l_deg"].values},
    )
    return ds, data


def gamma_record(best: Config, nside: int, gas_models: dict | None = None) -> xr.Dataset:
    """Figure 1's emissivity vs R and, per gas model, the profile and the likelihood.

    Variables ``gas_*`` over ``gas_model`` (and ``point_sources`` = no/yes, ``template``):
    ``gas_chi2_profile``, ``gas_chi2_profile_components``, ``gas_profile_norm``,
    ``gas_profile_isotropic``,
    ``gas_profile_model`` / ``_pi0`` / ``_ic`` / ``_brems`` (l_deg), ``gas_minus2lnl``,
    ``gas_systematic_fraction``, ``gas_norm``, ``gas_norm_error``; ``profile_data`` and
    ``profile_error`` (l_deg); ``emissivity`` (radius_kpc).
    """
    from ..emission.pion import emissivity_vs_r
    from ..sky.point_sources import point_source_map
    from ..solution import Solution

    models = GAS_MODELS if gas_models is None else gas_models
    full = Solution.compute(_gamma_config(best), full=True)
    q = emissivity_vs_r(full, FIG1_BAND)
    ps_map = point_source_map(FERMI_NSIDE, GAMMA_BAND)
    records, data = [], None
    for updates in models.values():
        rec, data = _gas_record(full, updates, nside, ps_map)
        records.append(rec)
    per_gas = xr.concat(records, dim="gas_model").assign_coords(
        gas_model=list(models), point_sources=["no", "yes"], template=list(TEMPLATE_NAMES)
    )
    per_gas = per_gas.rename({v: f"gas_{v}" for v in per_gas.data_vars})
    emis = xr.Dataset(
        {"emissivity": (("radius_kpc",), q.values)},
        coords={"radius_kpc": full.dataset.r_kpc.values},
    )
    return xr.merge([emis, per_gas, data], combine_attrs="drop")
