"""The stochastic nearby sources in ``escapade reproduce`` (issue 18; docs/anisotropy.md).

The letter ends its anisotropy discussion with "The discrepancy between our model and the
observed anisotropy above that energy is probably due to source stochasticity which we did
not account for in this work." For tau = 0 and 0.85 (:data:`STOCHASTIC_TAUS`), with D0 of
the letter-era B/C fit at that tau, a scan worker

1. solves 1H and 4He from 10 GeV/n to 1 PeV/n (the letter-era solves stop at 100 TeV/n) on
   the modest grid of :attr:`Settings.stochastic_grid` (Z <= 2, no antiprotons: the
   stochastic step uses D at the Sun, the local density, gradient and injection of each
   nucleus, all computed in the solve),
2. draws :attr:`Settings.stochastic_realisations` realisations of the discrete sources with
   the default ``[stochastic]`` section (random population, seed 0;
   :mod:`escapade.observables.stochastic`),
3. keeps the smooth radial dipole of protons (the letter's eq. 2, Figure 3's quantity), the
   quantiles of the dipole of protons alone and of all nuclei, both per realisation at
   :data:`A_AT_TEV`, the quantiles of the 1H and 4He flux ratios and of the light (1H + 4He)
   flux per total energy, and the bump statistic B of each realisation's proton spectrum
   (:func:`escapade.observables.stochastic.summary.bump_excess`).

:func:`summarise_stochastic` turns that into the numbers of the report: P(A < 1e-3) at 10
and 100 TeV, and the fraction of realisations whose proton spectrum has a bump B at least
that of the DAMPE proton spectrum measured the same way (:func:`dampe_bump`).
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

import numpy as np
import xarray as xr

from ..config import Config, with_updates
from ..observables.stochastic.ensemble import QUANTILES
from .evaluate import letter_anisotropy
from .settings import Settings, base_config

log = logging.getLogger("escapade.reproduce")

STOCHASTIC_TAUS = (0.0, 0.85)
SPECIES = ("1H", "4He")
E_RANGE_GEV_PER_N = (10.0, 1.0e6)
A_THRESHOLD = 1.0e-3
A_AT_TEV = (10.0, 100.0)
LIGHT_ETOT_GEV = np.geomspace(1.0e2, 1.0e6, 41)
"""Total energies per particle of the light (1H + 4He) flux quantiles."""
DAMPE_PROTONS = "H:DAMPE"
WORKER_TRIM = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 2**30}
"""dask config of the scan's local workers, as ``escapade stochastic --workers`` sets it: the
realisations make many short-lived ~1 MB arrays, and with dask's default trim threshold
(64 KiB) glibc maps and unmaps each one, 2-3x slower."""


def stochastic_config(settings: Settings, tau: float, d0_cm2_s: float) -> Config:
    """The letter preset at ``tau`` and ``d0_cm2_s``: 1H and 4He, 10 GeV/n - 1 PeV/n on the
    stochastic grid of ``settings``, ``[stochastic]`` enabled with its realisations."""
    nr, nz, n_ekin = settings.stochastic_grid
    return with_updates(
        base_config(settings),
        {
            "grid.nr": nr,
            "grid.nz": nz,
            "grid.n_ekin": n_ekin,
            "grid.ekin_min_gev_per_n": E_RANGE_GEV_PER_N[0],
            "grid.ekin_max_gev_per_n": E_RANGE_GEV_PER_N[1],
            "species.z_max": None,
            "species.propagate": list(SPECIES),
            "species.antiprotons": False,
            "diffusion.tau": tau,
            "diffusion.d0_cm2_s": d0_cm2_s,
            "stochastic.enabled": True,
            "stochastic.n_realisations": settings.stochastic_realisations,
        },
    )


def _light(e, names, mass_number, flux, ratio) -> tuple[np.ndarray, np.ndarray]:
    """The smooth light flux (1H + 4He per total energy, at :data:`LIGHT_ETOT_GEV`) and that of
    each realisation (realisation, energy)."""
    from ..observables.stochastic.summary import interp_loglog
    from ..species import nuclide

    smooth, real = 0.0, 0.0
    for k, name in enumerate(names):
        nuc = nuclide(name)
        e_tot = mass_number[k] * (e + nuc.mass_per_nucleon_gev)
        per_etot = flux[k] / mass_number[k]
        smooth = smooth + interp_loglog(LIGHT_ETOT_GEV, e_tot, per_etot)
        real = real + interp_loglog(LIGHT_ETOT_GEV, e_tot, ratio[:, k] * per_etot)
    return smooth, real


def evaluate_stochastic(cfg: Config) -> xr.Dataset:
    """The record of one tau (runs on a scan worker): see the module's steps 1-3."""
    from ..observables.stochastic.result import combine, run_realisations, stochastic_setup
    from ..observables.stochastic.summary import bump_excess, interp_loglog, species_dipole
    from ..solution import Solution

    sol = Solution.compute(cfg)
    setup = stochastic_setup(sol)
    dens, grad = run_realisations(setup)
    _, ratio, vec, _ = combine(setup, dens, grad)
    loc = setup.local
    names = list(SPECIES)
    idx = [loc.species.index(n) for n in names]
    ratio, flux, a = ratio[:, idx], loc.flux[idx], loc.mass_number[idx]
    e = loc.ekin_gev_per_n
    amp = {
        "proton": species_dipole(setup, dens, grad, ["1H"]),
        "all_nuclei": np.linalg.norm(vec, axis=-1),
    }
    at = np.array(A_AT_TEV) * 1e3
    light_smooth, light = _light(e, names, a, flux, ratio)
    q = np.array(QUANTILES)
    rec = {
        "smooth_proton_dipole": ("ekin_gev_per_n", letter_anisotropy(sol.dataset).values),
        "smooth_dipole_all_nuclei": ("ekin_gev_per_n", sol.dataset.anisotropy_all_nuclei.values),
        "flux_smooth": (("species", "ekin_gev_per_n"), flux),
        "flux_ratio_quantiles": (
            ("species", "quantile", "ekin_gev_per_n"),
            np.moveaxis(np.nanquantile(ratio, q, axis=0), 0, 1),
        ),
        "light_flux_smooth": ("light_etot_gev", light_smooth),
        "light_flux_quantiles": (("quantile", "light_etot_gev"), np.nanquantile(light, q, axis=0)),
        "proton_bump": ("realisation", bump_excess(e, ratio[:, 0] * flux[0])),
        "smooth_proton_bump": ((), bump_excess(e, flux[0])),
        "d0_cm2_s": ((), cfg.diffusion.d0_cm2_s),
    }
    for key, values in amp.items():
        rec[f"{key}_dipole_quantiles"] = (
            ("quantile", "ekin_gev_per_n"),
            np.quantile(values, q, axis=0),
        )
        rec[f"{key}_dipole_at"] = (("realisation", "aniso_tev"), interp_loglog(at, e, values))
    coords = {
        "ekin_gev_per_n": e,
        "species": names,
        "quantile": q,
        "light_etot_gev": LIGHT_ETOT_GEV,
        "realisation": np.arange(setup.settings.n_realisations),
        "aniso_tev": np.array(A_AT_TEV),
    }
    return xr.Dataset(rec, coords=coords)


def _evaluate_at(cfg: Config, d0_by_tau: tuple[tuple[float, float], ...]) -> xr.Dataset:
    """:func:`evaluate_stochastic` with D0 of the fit at the point's tau."""
    d0 = dict(d0_by_tau)[cfg.diffusion.tau]
    return evaluate_stochastic(with_updates(cfg, {"diffusion.d0_cm2_s": d0}))


def fitted_d0(letter: xr.Dataset) -> dict[float, float]:
    """D0 of the letter-era fit at each of :data:`STOCHASTIC_TAUS` that the scan holds (ok)."""
    out = {}
    taus = [float(t) for t in letter["diffusion.tau"].values]
    for t in STOCHASTIC_TAUS:
        if t in taus:
            p = letter.sel({"diffusion.tau": t})
            if str(p.status.values) == "ok" and np.isfinite(float(p.d0_cm2_s)):
                out[t] = float(p.d0_cm2_s)
    return out


def run_stochastic(
    settings: Settings, d0_by_tau: dict[float, float], outdir: Path, client=None
) -> xr.Dataset | None:
    """The records of :func:`evaluate_stochastic` for the taus of ``d0_by_tau`` through the
    scan machinery (checkpointed in ``outdir/scan_stochastic.nc.points``); None without taus."""
    import dask

    from ..scan import scan

    if not d0_by_tau:
        return None
    t0 = time.perf_counter()
    taus = sorted(d0_by_tau)
    log.info(
        "stochastic sources: %d realisations at tau = %s (1H + 4He, %s, 10 GeV/n - 1 PeV/n)",
        settings.stochastic_realisations,
        ", ".join(f"{t:g}" for t in taus),
        " x ".join(str(n) for n in settings.stochastic_grid),
    )
    with dask.config.set(WORKER_TRIM):
        ds = scan(
            stochastic_config(settings, taus[0], d0_by_tau[taus[0]]),
            {"diffusion.tau": taus},
            client=client,
            output=Path(outdir) / "scan_stochastic.nc",
            evaluate=functools.partial(_evaluate_at, d0_by_tau=tuple(sorted(d0_by_tau.items()))),
        )
    log.info("stochastic sources finished (%.0f s)", time.perf_counter() - t0)
    return ds


def dampe_bump(n_draws: int = 2000, seed: int = 0) -> dict:
    """B of the DAMPE proton spectrum (kinetic energy, as published) and its spread over
    ``n_draws`` redraws of the points with their statistical errors (the systematic errors,
    correlated in energy, are not redrawn)."""
    from ..measurements import load_measurement
    from ..observables.stochastic.summary import bump_excess

    m = load_measurement(DAMPE_PROTONS)
    rng = np.random.default_rng(seed)
    sigma = 0.5 * (m.stat_lo + m.stat_hi)
    draws = m.y + sigma * rng.standard_normal((n_draws, m.y.size))
    spread = bump_excess(m.x, draws)
    return {
        "data": m.name,
        "bump": float(bump_excess(m.x, m.y)),
        "bump_stat_error": float(np.nanstd(spread)),
        "citation": m.citation,
    }


def summarise_stochastic(ds: xr.Dataset, settings: Settings) -> dict:
    """The report's numbers per tau: P(A < :data:`A_THRESHOLD`) at :data:`A_AT_TEV` for the
    dipole of protons and of all nuclei, their medians there, and the bump statistics."""
    dampe = dampe_bump()
    out = {
        "realisations": settings.stochastic_realisations,
        "grid": " x ".join(str(n) for n in settings.stochastic_grid),
        "dampe": dampe,
    }
    for t in ds["diffusion.tau"].values:
        p = ds.sel({"diffusion.tau": t})
        if str(p.status.values) != "ok":
            out[f"{t:g}"] = {"status": "failed", "error": str(p.error.values)}
            continue
        row = {"d0_cm2_s": float(p.d0_cm2_s)}
        for key in ("proton", "all_nuclei"):
            at = p[f"{key}_dipole_at"]
            for x in A_AT_TEV:
                a = at.sel(aniso_tev=x).values
                row[f"p_{key}_dipole_below_1e-3_{x:g}tev"] = float(np.mean(a < A_THRESHOLD))
                row[f"{key}_dipole_median_{x:g}tev"] = float(np.median(a))
        b = p.proton_bump.values
        row["bump_fraction_dampe_size"] = float(np.mean(b >= dampe["bump"]))
        row["bump_fraction_half_dampe_size"] = float(np.mean(b >= 0.5 * dampe["bump"]))
        row["bump_median"] = float(np.median(b))
        row["bump_99th_percentile"] = float(np.quantile(b, 0.99))
        row["smooth_bump"] = float(p.smooth_proton_bump)
        out[f"{t:g}"] = row
    return out


def stochastic_claim(st: dict) -> tuple[str, str, str] | None:
    """The letter's closing conjecture against the realisations at tau = 0.85: is a proton
    dipole below 1e-3 (the measured level above 10 TeV that Figure 3 draws) plausible?"""
    row = st.get("0.85")
    if not row or "bump_median" not in row:
        return None
    p = [row[f"p_proton_dipole_below_1e-3_{x:g}tev"] for x in A_AT_TEV]
    med = [row[f"proton_dipole_median_{x:g}tev"] for x in A_AT_TEV]
    verdict = (
        "supported"
        if min(p) >= 0.05
        else "not supported: the nearby sources raise the dipole (A < 1e-3 is rare)"
    )
    return (
        "Above a few TeV the discrepancy with the measured anisotropy is probably due to "
        "source stochasticity",
        verdict,
        f"tau = 0.85 with nearby sources ({st['realisations']} realisations): P(A_p < 1e-3) = "
        f"{p[0]:.3f} at 10 TeV, {p[1]:.3f} at 100 TeV; median A_p = {med[0]:.2e}, "
        f"{med[1]:.2e}",
    )


def stochastic_table(st: dict) -> list[str]:
    """The report's lines on the nearby sources (markdown)."""
    d = st["dampe"]
    lines = [
        f"{st['realisations']} realisations per tau (1H + 4He, {st['grid']}, 10 GeV/n - "
        "1 PeV/n, default [stochastic]: random sources younger than 2 Myr within 1 kpc, "
        "seed 0), D0 of the letter-era fit. A_p: the dipole of protons alone (Figure 3's "
        "quantity with the sources' gradients in 3D); A_all: all nuclei at equal E/n. "
        "B: the bump statistic of the proton spectrum (the largest excess of ln J over the "
        "power law through J(1 TeV) and J(100 TeV), looked for in 10-100 TeV; "
        f"docs/anisotropy.md); on {d['data']}: B = {d['bump']:.3f} +- "
        f"{d['bump_stat_error']:.3f} (statistical).",
        "",
        "| tau | P(A_p < 1e-3) 10 TeV | P(A_p < 1e-3) 100 TeV | P(A_all < 1e-3) 10 TeV "
        "| P(A_all < 1e-3) 100 TeV | median A_p 10 TeV | median A_p 100 TeV "
        "| P(B >= B_DAMPE) | P(B >= B_DAMPE / 2) | median B | B smooth |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t, v in st.items():
        if not isinstance(v, dict) or "bump_median" not in v:
            continue
        lines.append(
            f"| {t} | {v['p_proton_dipole_below_1e-3_10tev']:.4f} "
            f"| {v['p_proton_dipole_below_1e-3_100tev']:.4f} "
            f"| {v['p_all_nuclei_dipole_below_1e-3_10tev']:.4f} "
            f"| {v['p_all_nuclei_dipole_below_1e-3_100tev']:.4f} "
            f"| {v['proton_dipole_median_10tev']:.2e} | {v['proton_dipole_median_100tev']:.2e} "
            f"| {v['bump_fraction_dampe_size']:.4f} | {v['bump_fraction_half_dampe_size']:.4f} "
            f"| {v['bump_median']:.3f} | {v['smooth_bump']:.3f} |"
        )
    return lines
