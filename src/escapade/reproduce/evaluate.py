"""One tau of the reproduction (runs on a scan worker): the B/C fit, then the gamma rays."""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import numpy as np
import xarray as xr

from ..config import Config, with_updates
from ..numerics.interpolation import interp_positive_log
from .settings import (
    LETTER_DATA,
    MODERN_DATA,
    PHI_GV,
    PHI_PRIOR_GV,
    VERDICT_GAS,
    Settings,
    base_config,
)

log = logging.getLogger("escapade.reproduce")


def evaluate(
    cfg: Config,
    era: str = "letter",
    nside: int = 128,
    fit_grid: tuple[int, int] | None = None,
) -> xr.Dataset:
    """Everything the report needs at one tau (runs on a scan worker).

    With ``fit_grid = (nr, nz)`` the fit's solves use that spatial grid; the best fit is
    then solved on ``cfg``'s grid, where phi is refitted (no further transport solve) and
    the reported chi2 is evaluated (ndof and the errors of the solve parameters are the
    coarse fit's).
    """
    from ..resources import release_memory

    res, ndof = fit_bc(cfg, era, fit_grid)
    local, best = _local_record(res, ndof), res.config
    del res  # the fit's solution and the factorisations of its model are not needed further
    release_memory()
    gamma = _gamma_record(best, nside)
    release_memory()
    return xr.merge([local, gamma], combine_attrs="drop")


def fit_bc(cfg: Config, era: str, fit_grid: tuple[int, int] | None):
    """The B/C fit of one era (D0 and phi; with delta and a break of D for AMS-02) and its
    number of degrees of freedom (of the coarse fit when ``fit_grid`` is given)."""
    from ..fit import fit

    data = LETTER_DATA if era == "letter" else MODERN_DATA
    free = ["diffusion.d0_cm2_s", "modulation.phi_gv"]
    start, bounds = {}, {}
    if era == "modern":
        # delta free, and the high-rigidity break of D the AMS-02 data ask for (docs/fits.md)
        free += ["diffusion.delta", "diffusion.break_delta_change", "diffusion.break_rigidity_gv"]
        start = {"diffusion.break_rigidity_gv": 200.0, "diffusion.break_delta_change": 0.1}
        bounds = {
            "diffusion.break_rigidity_gv": (30.0, 3000.0),
            "diffusion.break_delta_change": (0.0, 0.6),
        }
    # phi free with a Gaussian prior PHI_GV +- PHI_PRIOR_GV: above 5 GV B/C hardly constrains
    # it, and without the prior it wanders to unphysical values (2.3 GV for the letter-era data)
    priors = {"modulation.phi_gv": (PHI_GV, PHI_PRIOR_GV)}
    fit_cfg = cfg
    if fit_grid is not None:
        fit_cfg = with_updates(cfg, {"grid.nr": fit_grid[0], "grid.nz": fit_grid[1]})
    res = fit(
        fit_cfg,
        data=list(data),
        free=free,
        rmin_gv=5.0,
        phi_gv=PHI_GV,
        priors=priors,
        start=start,
        bounds=bounds,
    )
    ndof = res.ndof
    if fit_grid is not None:
        fine = with_updates(res.config, {"grid.nr": cfg.grid.nr, "grid.nz": cfg.grid.nz})
        coarse = res
        res = fit(
            fine,
            data=list(data),
            free=["modulation.phi_gv"],
            rmin_gv=5.0,
            phi_gv=coarse.values["modulation.phi_gv"],
            priors=priors,
        )
        res.errors.update({k: v for k, v in coarse.errors.items() if k != "modulation.phi_gv"})
        res.n_solves += coarse.n_solves
    return res, ndof


LETTER_ANISOTROPY = "radial dipole of protons, 3 D |dN/dR| / (c N) at the Sun (letter eq. 2)"
"""What ``anisotropy`` of a reproduction is: the letter's eq. 2 ("the CR LSA component in the
radial direction", Evoli et al. 2012, PRL 108, 211102) with n_CR = the protons (1H), whose
kinetic energy is the energy of the letter's Figure 3. The total (radial and vertical) dipole of
the current of all nucleons at equal E/n is kept as ``anisotropy_all_nuclei``."""


def letter_anisotropy(ds: xr.Dataset) -> xr.DataArray:
    """The quantity the letter's Figure 3 plots (:data:`LETTER_ANISOTROPY`) from a solution."""
    a = ds["anisotropy"].sel(species="1H", drop=True)
    a.attrs = {"units": "1", "long_name": LETTER_ANISOTROPY}
    return a


def _local_record(res, ndof: int) -> xr.Dataset:
    """Best-fit values, the anisotropy, the proton profile, B/C and pbar/p at the Sun."""
    from ..observables.local import observable

    ds, best = res.solution, res.config
    e = ds.ekin_gev_per_n.values
    aniso = letter_anisotropy(ds).values
    r = ds.r_kpc.values
    prof = ds.density_midplane.sel(species="1H").values
    p10 = np.array(
        [
            interp_positive_log([10.0], e, prof[:, i], min_points=2, empty=0.0)[0]
            for i in range(r.size)
        ]
    )
    phi = res.values.get("modulation.phi_gv", res.fixed.get("modulation.phi_gv", 0.6))
    x_bc = np.geomspace(0.5, 1000.0, 40)
    bc = observable(ds, "B/C", phi, "ekin", x_bc).values
    x_pb = np.geomspace(1.0, 400.0, 30)
    has_pbar = "pbar" in ds.species.values
    pb = observable(ds, "pbar/p", phi, "rigidity", x_pb).values if has_pbar else np.full(30, np.nan)
    return xr.Dataset(
        {
            "d0_cm2_s": ((), best.diffusion.d0_cm2_s),
            "d0_error_cm2_s": ((), res.errors.get("diffusion.d0_cm2_s", np.nan)),
            "delta": ((), best.diffusion.delta),
            "break_rigidity_gv": ((), float(best.diffusion.break_rigidity_gv or np.nan)),
            "break_delta_change": ((), float(best.diffusion.break_delta_change)),
            "phi_gv": ((), float(phi)),
            "chi2_bc": ((), res.chi2),
            "ndof_bc": ((), float(ndof)),
            "anisotropy": (("ekin_gev_per_n",), aniso, {"long_name": LETTER_ANISOTROPY}),
            "anisotropy_all_nuclei": (("ekin_gev_per_n",), ds.anisotropy_all_nuclei.values),
            "n1h_10gev": (("radius_kpc",), p10 / np.interp(best.galaxy.sun_r_kpc, r, p10)),
            "bc_model": (("bc_ekin",), bc),
            "pbar_p_model": (("pbar_rigidity",), pb),
            "fit_solves": ((), float(res.n_solves)),
        },
        coords={
            "ekin_gev_per_n": e,
            "radius_kpc": r,  # not "r_kpc": a scan keeps only per-point records without it
            "bc_ekin": x_bc,
            "pbar_rigidity": x_pb,
        },
    )


def _gamma_record(best: Config, nside: int) -> xr.Dataset:
    """The gamma-ray record (:func:`escapade.reproduce.gamma.gamma_record`) with the verdict's
    gas model (:data:`~escapade.reproduce.settings.VERDICT_GAS`) also under the names of the
    single-gas record: ``chi2_longitude``, ``isotropic``, ``profile_*``."""
    from .gamma import gamma_record

    rec = gamma_record(best, nside)
    verdict = rec.sel(gas_model=VERDICT_GAS).drop_vars("gas_model")
    alias = {"chi2_longitude": "chi2_profile", "isotropic": "profile_isotropic"}
    for name in ("profile_norm", "profile_model", "profile_pi0", "profile_ic", "profile_brems"):
        alias[name] = name
    for name, source in alias.items():
        if f"gas_{source}" in verdict:
            rec[name] = verdict[f"gas_{source}"]
    return rec


def _evaluate_letter(cfg, nside, fit_grid=None):
    return evaluate(cfg, "letter", nside, fit_grid)


def _evaluate_modern(cfg, nside, fit_grid=None):
    return evaluate(cfg, "modern", nside, fit_grid)


def run_era(settings: Settings, era: str, taus, outdir: Path, client=None) -> xr.Dataset:
    """The tau loop of one data era through the scan machinery (checkpointed)."""
    from ..scan import scan

    fn = _evaluate_letter if era == "letter" else _evaluate_modern
    data = LETTER_DATA if era == "letter" else MODERN_DATA
    t0 = time.perf_counter()
    log.info(
        "%s era started: %d values of tau, each a fit to %s and a gamma-ray sky (%s)",
        era,
        len(taus),
        ", ".join(data),
        settings.label,
    )
    ds = scan(
        base_config(settings),
        {"diffusion.tau": list(taus)},
        client=client,
        output=outdir / f"scan_{era}.nc",
        evaluate=functools.partial(
            fn,
            nside=settings.nside,
            fit_grid=(settings.fit_nr, settings.fit_nz) if settings.fit_nr else None,
        ),
    )
    log.info(
        "%s era finished: %d of %d values of tau ok (%.0f s)",
        era,
        int(ds.attrs["points_ok"]),
        len(taus),
        time.perf_counter() - t0,
    )
    return ds
