"""The output Dataset of a solved 3D model (issue 17's contract).

Kept from the 2D contract: ``flux_local`` (species, ekin_gev_per_n), ``anisotropy`` (the
dipole amplitude at the Sun), ``diffusion_coefficient_sun_cm2_s`` (D_perp at the Sun), the
particle budget and the attributes. Added: ``density_plane`` (species, ekin_gev_per_n, x_kpc,
y_kpc) at z = 0, ``dipole_vector`` (species, ekin_gev_per_n, component) with component "x",
"y", "z" (Galactocentric, the Sun at x = +R_sun, y = 0; longitude l = 90 deg at +y, as the 3D
gas, :mod:`escapade.galaxy.gas3d.survey`), the dipole's direction on the sky, its angle to
the local regular field, and with ``full`` the 3D density (species, ekin_gev_per_n, x_kpc,
y_kpc, z_kpc).

The dipole is the diffusive one of the letter's eq. 2 with the full tensor,
delta_i = 3 D_ij (dN/dx_j) / (c N) at the Sun (it points to where the excess comes from),
D_ij = D_perp (delta_ij - b_i b_j) + D_par b_i b_j.
"""

from __future__ import annotations

import json
import time

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from .._version import __version__
from ..config import dump_config
from ..constants import C_CM_S, KPC_CM
from ..galaxy.magnetic_field import field_direction
from ..numerics.directions import directions
from .leptons3d import LEPTON_MARCHES, combine_leptons_3d
from .output import BUDGET_UNIT, DENSITY_UNIT, species_energy_coords
from .particles import LEPTON_PARTICLES, local_flux_from_density

WINDOW = 3
"""Nodes on each side of the Sun used to interpolate N and grad N there (cubic)."""


def _window(axis: np.ndarray, at: float) -> slice:
    i = int(np.searchsorted(axis, at))
    lo = max(i - WINDOW, 0)
    return slice(lo, min(lo + 2 * WINDOW, axis.size))


def sun_values(grid, density_full: np.ndarray, sun_r_kpc: float):
    """N and grad N (1/kpc units of N) at (R_sun, 0, 0) for each energy of a
    (n_ekin, nxy, nxy, nz) density: arrays (n_ekin,) and (n_ekin, 3): second-order central
    differences on the nodes, interpolated to the Sun by a tricubic spline (the spline's own
    derivative was 3 % further from the converged 2D dipole at dx = 0.5 kpc)."""
    sx, sy, sz = (
        _window(a, v) for a, v in ((grid.x_kpc, sun_r_kpc), (grid.y_kpc, 0.0), (grid.z_kpc, 0.0))
    )
    ax = (grid.x_kpc[sx], grid.y_kpc[sy], grid.z_kpc[sz])
    block = density_full[:, sx, sy, sz]
    point = np.array([[sun_r_kpc, 0.0, 0.0]])
    n_sun = np.empty(block.shape[0])
    grad = np.empty((block.shape[0], 3))
    for k, f in enumerate(block):
        # scipy's cubic RegularGridInterpolator returns 0 for values ~1e-11: work in units of
        # the block's peak
        peak = float(np.max(np.abs(f))) or 1.0
        f = f / peak
        n_sun[k] = peak * RegularGridInterpolator(ax, f, method="cubic")(point)[0]
        for j, g in enumerate(np.gradient(f, *ax, edge_order=2)):
            grad[k, j] = peak * RegularGridInterpolator(ax, g, method="cubic")(point)[0]
    return n_sun, grad


def midplane(grid, density_full: np.ndarray) -> np.ndarray:
    """(..., nxy, nxy) at z = 0 (linear between the two nearest planes if 0 is not a node)."""
    z = grid.z_kpc
    i = int(np.clip(np.searchsorted(z, 0.0), 1, z.size - 1))
    w = (0.0 - z[i - 1]) / (z[i] - z[i - 1])
    return (1.0 - w) * density_full[..., i - 1] + w * density_full[..., i]


def field_at_sun(model) -> np.ndarray:
    """Unit vector b of the regular field at the Sun (x = R_sun, y = z = 0), (3,)."""
    r_sun = model.cfg.galaxy.sun_r_kpc
    return field_direction(model.cfg.field, np.array([r_sun]), np.zeros(1), np.zeros(1))[0]


def tensor_at_sun(b: np.ndarray, d_perp: np.ndarray, d_par: np.ndarray) -> np.ndarray:
    """D_ij = D_perp (delta_ij - b_i b_j) + D_par b_i b_j per energy, (n_ekin, 3, 3), in the
    units of ``d_perp`` and ``d_par``."""
    bb = np.outer(b, b)
    return d_perp[:, None, None] * (np.eye(3) - bb) + d_par[:, None, None] * bb


def _angle_to_field(vec: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (deg, 0-90) between the dipole and the field line (either sense)."""
    amp = np.linalg.norm(vec, axis=-1)
    cos = np.abs(vec @ b) / np.where(amp > 0, amp, 1.0)
    return np.degrees(np.arccos(np.clip(cos, 0.0, 1.0)))


def _dipoles(model, n_sun: np.ndarray, grad: np.ndarray):
    """The dipole vectors 3 D_ij dN/dx_j / (c N) (species, energy, 3), D_perp and D_par at
    the Sun (cm^2/s) and the dipole's angle to the field (deg)."""
    d = [model.diffusion_at_sun_cm2_s(nuc) for nuc in model.output_species]
    d_perp, d_par = np.stack([a for a, _ in d]), np.stack([b for _, b in d])
    vec = np.empty_like(grad)
    angle = np.empty(n_sun.shape)
    b_sun = field_at_sun(model)
    for i in range(len(d)):
        tensor = tensor_at_sun(b_sun, d_perp[i], d_par[i])
        safe = np.where(n_sun[i] > 0, n_sun[i], np.inf)
        vec[i] = 3.0 * np.einsum("kij,kj->ki", tensor, grad[i]) / (C_CM_S * KPC_CM * safe[:, None])
        angle[i] = _angle_to_field(vec[i], b_sun)
    return vec, d_perp, d_par, angle


def _coords_3d(g, names: list[str], e: np.ndarray) -> dict:
    """Species, energies, the grid's x, y, z (kpc) and the dipole's components."""
    return species_energy_coords(names, e) | {
        "x_kpc": (
            "x_kpc",
            g.x_kpc,
            {"units": "kpc", "long_name": "Galactocentric x, Sun at +R_sun"},
        ),
        "y_kpc": ("y_kpc", g.y_kpc, {"units": "kpc", "long_name": "Galactocentric y, l = 90 deg"}),
        "z_kpc": ("z_kpc", g.z_kpc, {"units": "kpc", "long_name": "height above the plane"}),
        "component": np.array(["x", "y", "z"], dtype=object),
    }


def _attributes_3d(model, results: dict, names: list[str], scale: float, t0: float) -> dict:
    """The run's config, version, time, normalisation, solver statistics, cross sections."""
    return dict(
        config_toml=dump_config(model.cfg),
        escapade_version=__version__,
        geometry="3d",
        run_seconds=time.perf_counter() - t0,
        source_normalisation=scale,
        solver_amg_setups=model.solver.stats.amg_setups,
        solver_krylov_iterations=model.solver.stats.iterations,
        solver_max_relative_residual=model.solver.stats.max_relative_residual,
        solver_min_over_max=min(r.min_over_max for r in results.values()),
        operator_assemblies=model.assemblies,
        inelastic_cross_sections=model.cfg.nuclear.inelastic,
        production_cross_sections=model.network.production.label,
        isotopes=" ".join(names),
        source_abundances=json.dumps(model.abundances, sort_keys=True),
    )


def _nucleon_dipole(model, names, nuclear, n_sun, vec) -> np.ndarray:
    """The dipole of all nucleons per energy (current over density at equal E/n); the
    antiprotons and leptons are not nucleons of the nuclei (as in 2D)."""
    a = np.array(
        [
            float(nuc.a) if n in nuclear and n != "pbar" else 0.0
            for n, nuc in zip(names, model.output_species, strict=True)
        ]
    )[:, None, None]
    num = (a * n_sun[..., None] * vec).sum(axis=0)
    den = (a[..., 0] * n_sun).sum(axis=0)
    return np.linalg.norm(num, axis=-1) / np.where(den > 0, den, np.inf)


def _add_lepton_parts(data_vars: dict, coords: dict, parts: dict) -> None:
    """``flux_local_leptons`` (lepton_component, energy): the e-/e+ flux by origin."""
    data_vars["flux_local_leptons"] = (
        ("lepton_component", "ekin_gev_per_n"),
        np.stack(list(parts.values())),
        {"units": "1/(m^2 s sr GeV)", "long_name": "e-/e+ flux at the Sun by origin"},
    )
    coords["lepton_component"] = np.array(list(parts), dtype=object)


def solution_dataset_3d(model, results: dict, t0: float, full: bool = False):
    """The output :class:`xarray.Dataset` of a 3D ``model`` from its solved ``results``."""
    import xarray as xr

    g, e = model.grid, model.ekin_gev_per_n
    names = [n.name for n in model.output_species]
    nuclear = [n for n in names if n not in LEPTON_PARTICLES]
    r_sun = model.cfg.galaxy.sun_r_kpc
    raw = {}
    for n in nuclear + [k for k in LEPTON_MARCHES if k in results]:
        full_n = np.stack([g.to_full(u) for u in results[n].density])
        raw[n] = (full_n, *sun_values(g, full_n, r_sun))
    scale = model.normalisation({n: raw[n][1] for n in nuclear})
    lepton_parts, scale_e = {}, None
    if "e-:primary" in results:
        lepton_parts, scale_e = combine_leptons_3d(model, results, raw, scale)
    se, sec = ("species", "ekin_gev_per_n"), ("species", "ekin_gev_per_n", "component")
    n_sun = np.stack([raw[n][1] for n in names]) * scale
    grad = np.stack([raw[n][2] for n in names]) * scale
    vec, d_perp, d_par, angle = _dipoles(model, n_sun, grad)
    sky = directions(np.stack([-vec[..., 0], vec[..., 1], vec[..., 2]], axis=-1))
    flux = np.stack(
        [local_flux_from_density(nuc, e, n_sun[i]) for i, nuc in enumerate(model.output_species)]
    )
    dipole_all = _nucleon_dipole(model, names, nuclear, n_sun, vec)
    data_vars = {
        "flux_local": (
            se,
            flux,
            {
                "units": "1/(m^2 s sr GeV/n)",
                "long_name": "interstellar flux at the Sun, J = v N / (4 pi)",
            },
        ),
        "anisotropy": (
            se,
            np.linalg.norm(vec, axis=-1),
            {
                "units": "1",
                "long_name": "dipole amplitude |3 D grad N / (c N)| at the Sun (full tensor)",
            },
        ),
        "anisotropy_all_nuclei": (
            ("ekin_gev_per_n",),
            dipole_all,
            {"units": "1", "long_name": "dipole of all nucleons (current / density at equal E/n)"},
        ),
        "dipole_vector": (
            sec,
            vec,
            {
                "units": "1",
                "long_name": "dipole 3 D_ij dN/dx_j / (c N) at the Sun, Galactocentric x, y, z",
            },
        ),
        "dipole_angle_to_field_deg": (
            se,
            angle,
            {"units": "deg"},
        ),
        "diffusion_coefficient_sun_cm2_s": (
            se,
            d_perp,
            {"units": "cm^2/s", "long_name": "D_perp at the Sun (z = 0)"},
        ),
        "diffusion_parallel_sun_cm2_s": (
            se,
            d_par,
            {"units": "cm^2/s", "long_name": "D_par at the Sun (z = 0)"},
        ),
        "density_plane": (
            ("species", "ekin_gev_per_n", "x_kpc", "y_kpc"),
            np.stack([midplane(g, raw[n][0]) for n in names]) * scale,
            {"units": DENSITY_UNIT, "long_name": "CR density at z = 0"},
        ),
    }
    for key in ("l_deg", "b_deg", "ra_deg", "dec_deg"):
        data_vars[f"dipole_{key}"] = (se, sky[key], {"units": "deg"})
    for key in ("injected", "escaped", "destroyed"):
        data_vars[f"particles_{key}"] = (
            se,
            np.stack([getattr(results[n], key) for n in names]) * scale,
            {"units": BUDGET_UNIT},
        )
    if full:
        data_vars["density"] = (
            ("species", "ekin_gev_per_n", "x_kpc", "y_kpc", "z_kpc"),
            np.stack([raw[n][0] for n in names]) * scale,
            {"units": DENSITY_UNIT},
        )
    coords = _coords_3d(g, names, e)
    if lepton_parts:
        _add_lepton_parts(data_vars, coords, lepton_parts)
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(_attributes_3d(model, results, names, scale, t0))
    if scale_e is not None:
        ds.attrs["electron_source_normalisation"] = scale_e
    return ds
