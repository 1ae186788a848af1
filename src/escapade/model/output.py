"""The output Dataset of a solved model (see :mod:`escapade.io` for the contract)."""

from __future__ import annotations

import json
import logging
import time

import numpy as np

from .._version import __version__
from ..config import dump_config
from ..grid import midplane, value_at_sun
from ..transport.anisotropy import dipole_anisotropy
from .particles import LEPTON_PARTICLES, local_flux_from_density

log = logging.getLogger("escapade.model")


def all_nucleon_anisotropy(aniso, n_sun, mass_numbers):
    """Radial and vertical dipole of all nucleons at the same kinetic energy per nucleon.

    The diffusive current of every species, weighted by its nucleon number, over
    the total nucleon density: A = |sum_i A_i s_i a_i N_i| / sum_i a_i N_i.
    """
    w = np.asarray(mass_numbers, dtype=float)[:, None] * np.asarray(n_sun)
    den = w.sum(axis=0)
    num_r = sum(a.radial * a.sign_r * wi for a, wi in zip(aniso, w, strict=True))
    num_z = sum(a.vertical * a.sign_z * wi for a, wi in zip(aniso, w, strict=True))
    safe = np.where(den > 0, den, 1.0)
    return np.where(den > 0, np.abs(num_r) / safe, 0.0), np.where(
        den > 0, np.abs(num_z) / safe, 0.0
    )


def solution_dataset(model, results: dict, t0: float, full: bool = False):
    """The output :class:`xarray.Dataset` of ``model`` from its solved ``results``
    (consumed: each species' density is freed once scaled); ``t0`` is when the solve began."""
    import xarray as xr

    scale = model.normalisation(results)
    species = [n for n in model.species if n.name in results]
    subset = len(species) < len(model.species)
    species += [model.pbar] if "pbar" in results else []
    lepton_parts, scale_e = {}, None
    if "e-:primary" in results:
        scale_e = model.electron_normalisation(results)
        lepton_parts = model._combine_leptons(results, scale, scale_e)
        species = species + [LEPTON_PARTICLES[n] for n in ("e-", "e+") if n in results]
    names = [n.name for n in species]
    factors = np.array([1.0 if n in LEPTON_PARTICLES else scale for n in names])
    budget = {
        key: np.stack([getattr(results[n], key) for n in names]) * factors[:, None]
        for key in ("injected", "escaped", "destroyed")
    }
    dens = _scaled_densities(results, names, factors)
    data_vars = _sun_variables(model, species, dens)
    if subset:  # a sum over every nucleus: not defined for a partial solve
        del data_vars["anisotropy_all_nuclei"]
    data_vars.update(_budget_variables(budget))
    coords = _coords(model.grid, names)
    if lepton_parts:
        data_vars["flux_local_leptons"] = (
            ("lepton_component", "ekin_gev_per_n"),
            np.stack(list(lepton_parts.values())),
            {
                "units": "1/(m^2 s sr GeV)",
                "long_name": "interstellar e-/e+ flux at the Sun by origin",
            },
        )
        coords["lepton_component"] = np.array(list(lepton_parts), dtype=object)
    if full:
        data_vars["density"] = (
            ("species", "ekin_gev_per_n", "r_kpc", "z_kpc"),
            np.stack(dens),
            {"units": DENSITY_UNIT, "long_name": "CR density per unit kinetic energy per nucleon"},
        )
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(_attributes(model, names, scale, t0))
    if lepton_parts:
        ds.attrs["electron_source_normalisation"] = scale_e
    return ds


DENSITY_UNIT = "1/(cm^3 GeV/n)"
BUDGET_UNIT = "kpc^3 / (cm^3 GeV/n Myr)"


def _scaled_densities(results: dict, names: list[str], factors) -> list[np.ndarray]:
    """Each species' (energy, r, z) density times its normalisation, scaled in place (the
    results are consumed: no (species, energy, r, z) copy unless the output wants one)."""
    dens = []
    for i, n in enumerate(names):
        d = results.pop(n).density
        d *= factors[i]
        dens.append(d)
    return dens


def _sun_variables(model, species, dens: list[np.ndarray]) -> dict:
    """The mid-plane density, the dipole anisotropies, D and the local flux at the Sun."""
    g, r_sun = model.grid, model.cfg.galaxy.sun_r_kpc
    d_sun = np.stack([model.diffusion_at_sun_cm2_s(n) for n in species])
    aniso = [dipole_anisotropy(g, dens[i], r_sun, d_sun[i]) for i in range(len(species))]
    n_sun = np.stack([value_at_sun(g, dens[i], r_sun) for i in range(len(species))])
    flux = np.stack(
        [local_flux_from_density(nuc, g.ekin_gev_per_n, n_sun[i]) for i, nuc in enumerate(species)]
    )
    nucleons = [0 if nuc.name in ("pbar", "e-", "e+") else nuc.a for nuc in species]
    all_r, all_z = all_nucleon_anisotropy(aniso, n_sun, nucleons)
    se = ("species", "ekin_gev_per_n")
    return {
        "density_midplane": (
            ("species", "ekin_gev_per_n", "r_kpc"),
            np.stack([midplane(g, d) for d in dens]),
            {
                "units": DENSITY_UNIT,
                "long_name": "CR density per unit kinetic energy per nucleon at z = 0",
            },
        ),
        "anisotropy": (
            se,
            np.stack([a.radial for a in aniso]),
            {"units": "1", "long_name": "radial dipole anisotropy 3 D |dN/dR| / (c N) at the Sun"},
        ),
        "anisotropy_vertical": (
            se,
            np.stack([a.vertical for a in aniso]),
            {
                "units": "1",
                "long_name": "vertical dipole anisotropy 3 D |dN/dz| / (c N) at the Sun",
            },
        ),
        "anisotropy_total": (
            se,
            np.stack([np.hypot(a.radial, a.vertical) for a in aniso]),
            {"units": "1", "long_name": "dipole anisotropy 3 D |grad N| / (c N) at the Sun"},
        ),
        "anisotropy_all_nuclei": (
            ("ekin_gev_per_n",),
            np.hypot(all_r, all_z),
            {"units": "1", "long_name": "dipole of all nucleons (current / density at equal E/n)"},
        ),
        "diffusion_coefficient_sun_cm2_s": (
            se,
            d_sun,
            {"units": "cm^2/s", "long_name": "diffusion coefficient at the Sun (z = 0)"},
        ),
        "flux_local": (
            se,
            flux,
            {
                "units": "1/(m^2 s sr GeV/n)",
                "long_name": "interstellar flux at the Sun, J = v N / (4 pi)",
            },
        ),
    }


def _budget_variables(budget: dict) -> dict:
    """Particles injected, escaped and destroyed per unit energy (the budget check)."""
    se = ("species", "ekin_gev_per_n")
    return {f"particles_{k}": (se, v, {"units": BUDGET_UNIT}) for k, v in budget.items()}


def species_energy_coords(names: list[str], ekin_gev_per_n: np.ndarray) -> dict:
    """The ``species`` and ``ekin_gev_per_n`` coordinates of a solution (2D and 3D)."""
    return {
        "species": np.array(names, dtype=object),
        "ekin_gev_per_n": (
            "ekin_gev_per_n",
            ekin_gev_per_n,
            {"units": "GeV/n", "long_name": "kinetic energy per nucleon"},
        ),
    }


def _coords(g, names: list[str]) -> dict:
    return species_energy_coords(names, g.ekin_gev_per_n) | {
        "r_kpc": ("r_kpc", g.r_kpc, {"units": "kpc", "long_name": "Galactocentric radius"}),
        "z_kpc": ("z_kpc", g.z_kpc, {"units": "kpc", "long_name": "height above the plane"}),
    }


def _attributes(model, names: list[str], scale: float, t0: float) -> dict:
    """The run's config, version, time, normalisation, solver statistics, cross sections."""
    return dict(
        config_toml=dump_config(model.cfg),
        escapade_version=__version__,
        run_seconds=time.perf_counter() - t0,
        source_normalisation=scale,
        solver_factorizations=model.stats.factorizations,
        solver_cg_solves=model.stats.cg_solves,
        solver_max_relative_residual=model.stats.max_relative_residual,
        solver_krylov_iterations=model.stats.krylov_iterations,
        inelastic_cross_sections=model.cfg.nuclear.inelastic,
        production_cross_sections=model.network.production.label,
        isotopes=" ".join(names),
        source_abundances=json.dumps(model.abundances, sort_keys=True),
    )
