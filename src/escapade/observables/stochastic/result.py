"""The ensemble of realisations as output variables: dipole amplitude and direction, flux
ratio, and their percentiles (median, 68 % and 95 % bands); see docs/stochastic.md."""

from __future__ import annotations

import json
import logging

import numpy as np

from ...constants import C_KPC_MYR
from ...numerics.directions import directions
from .ensemble import (
    QUANTILES,
    LocalSmooth,
    Settings,
    Setup,
    make_setup,
    realise_chunk,
    region_mean,
)
from .population import SourceRegion, read_catalogue

log = logging.getLogger("escapade.stochastic")


def run_realisations(setup: Setup, client=None, chunk: int = 64):
    """Discrete density and gradient of every realisation, locally or on a dask ``client``
    (anything with ``map`` and ``gather``, e.g. :class:`distributed.Client`)."""
    n = setup.settings.n_realisations
    seeds = np.random.SeedSequence(setup.settings.seed).spawn(n)
    parts = [seeds[i : i + chunk] for i in range(0, n, chunk)]
    if client is None:
        done = [realise_chunk(setup, p) for p in parts]
    else:
        futures = client.map(realise_chunk, [setup] * len(parts), parts, pure=False)
        done = client.gather(futures)
    return np.concatenate([d[0] for d in done]), np.concatenate([d[1] for d in done])


def spectral_index(e: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """gamma = -dln J / dln E per species (finite differences on the energy grid)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lj = np.log(np.where(flux > 0, flux, np.nan))
    return -np.gradient(lj, np.log(e), axis=-1)


def combine(setup: Setup, dens, grad):
    """Total density (real, species, energy), flux ratio, and the all-nuclei dipole vector
    (real, energy, 3) of ensemble eqs. 1-3."""
    loc, s = setup.local, setup.settings
    mean, mean_grad = region_mean(setup)
    nucleus = loc.mass_number > 0
    smooth_current = 0.0  # 3 D grad N / c of the smooth solution, where given as a vector
    if s.include_smooth:
        smooth_grad = np.zeros(loc.density.shape + (3,))
        if loc.dipole is None:
            smooth_grad[..., 0] = -loc.gradient_r  # x points to the Galactic centre: -R
        else:  # 3D: the solution's dipole (full tensor) times N
            a_s = np.where(nucleus, loc.mass_number, 0.0)[:, None, None]
            smooth_current = np.where(a_s > 0, a_s * loc.dipole * loc.density[..., None], 0.0)
        total = loc.density - mean + dens
        total_grad = smooth_grad - mean_grad + grad
        reference = loc.density
    else:
        total, total_grad, reference = dens, grad, mean
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reference > 0, total / reference, np.nan)
    valid = nucleus & ((loc.injected.max(axis=-1) > 0) | s.include_smooth)
    ratio[:, ~valid] = np.nan
    a = np.where(nucleus, loc.mass_number, 0.0)[:, None]
    weight = a * total  # (real, species, energy)
    current = (a * 3.0 * loc.d_kpc2_myr / C_KPC_MYR)[..., None] * total_grad + smooth_current
    den = weight.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        vec = np.where(den[..., None] > 0, current.sum(axis=1) / den[..., None], 0.0)
    if s.compton_getting:
        gamma = spectral_index(loc.ekin_gev_per_n, loc.flux)
        gw = np.nansum(weight * np.nan_to_num(2.0 + gamma), axis=1) / np.where(den > 0, den, 1.0)
        v = np.asarray(s.sun_velocity_kpc_myr) / C_KPC_MYR
        vec = vec + gw[..., None] * v
    return total, ratio, vec, mean


def ensemble_variables(setup: Setup, client=None) -> dict:
    """The output variables (name -> (dims, values, attrs)) and the new coordinates."""
    dens, grad = run_realisations(setup, client)
    _, ratio, vec, mean = combine(setup, dens, grad)
    amp = np.linalg.norm(vec, axis=-1)
    ang = directions(vec)
    re, sre = ("realisation", "ekin_gev_per_n"), ("species", "realisation", "ekin_gev_per_n")
    ratio_t = np.moveaxis(ratio, 0, 1)  # (species, realisation, energy)
    over = "the smooth flux" if setup.settings.include_smooth else "the discrete ensemble mean"
    out = {
        "stochastic_dipole_amplitude": (
            re,
            amp,
            {"units": "1", "long_name": "dipole of all nuclei with the discrete sources"},
        ),
        "stochastic_flux_ratio": (
            sre,
            ratio_t,
            {"units": "1", "long_name": f"flux with the discrete sources over {over}"},
        ),
        "stochastic_region_mean_density": (
            ("species", "ekin_gev_per_n"),
            mean,
            {"units": "1/(cm^3 GeV/n)", "long_name": "ensemble mean of the discrete region"},
        ),
        "stochastic_dipole_amplitude_quantiles": (
            ("quantile", "ekin_gev_per_n"),
            np.quantile(amp, QUANTILES, axis=0),
            {"units": "1", "long_name": "percentiles of the dipole amplitude"},
        ),
        "stochastic_flux_ratio_quantiles": (
            ("species", "quantile", "ekin_gev_per_n"),
            np.moveaxis(np.quantile(ratio_t, QUANTILES, axis=1), 0, 1),
            {"units": "1", "long_name": "percentiles of the flux ratio"},
        ),
    }
    for key, values in ang.items():
        out[f"stochastic_dipole_{key}"] = (
            re,
            values,
            {"units": "deg", "long_name": f"dipole direction ({key[:-4]})"},
        )
    coords = {
        "realisation": np.arange(setup.settings.n_realisations),
        "quantile": np.array(QUANTILES),
    }
    return out, coords


def stochastic_setup(solution, catalogue=None) -> Setup:
    """The :class:`Setup` of a solved :class:`~escapade.solution.Solution` and its config."""
    cfg = solution.config
    st = cfg.stochastic
    ds = solution.dataset
    used = ds.attrs.get("source_abundances")
    abundances = json.loads(used) if used else dict(cfg.species.abundances)
    local = LocalSmooth.from_dataset(ds, cfg.galaxy.sun_r_kpc, abundances)
    if catalogue is None and st.catalogue is not None:
        catalogue = read_catalogue(st.catalogue)
    return make_setup(local, Settings.from_config(st), SourceRegion.from_config(cfg), catalogue)


def with_stochastic(solution, client=None, catalogue=None):
    """A copy of ``solution`` (2D or 3D) with the stochastic variables added
    (docs/stochastic.md)."""
    from ...solution import Solution

    setup = stochastic_setup(solution, catalogue)
    variables, coords = ensemble_variables(setup, client)
    ds = solution.dataset.assign_coords(coords).assign(variables)
    log.info("stochastic sources: %d realisations", setup.settings.n_realisations)
    return Solution(ds, solution.config)
