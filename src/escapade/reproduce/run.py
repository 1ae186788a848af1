"""``escapade reproduce``: the eras in turn, then the figures, the summary and the report."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import xarray as xr

from .evaluate import run_era
from .posterior import run_posterior, summarise_posterior
from .report import report_markdown, summarise
from .settings import FAST, FULL, LETTER_DATA, TAUS
from .stochastic import fitted_d0, run_stochastic, summarise_stochastic

log = logging.getLogger("escapade.reproduce")

RATIO_FIGURES = (
    ("bc", "bc_model", "bc_ekin", LETTER_DATA + ("B/C:AMS-02@Ekn",), "E_kin [GeV/n]"),
    ("pbar_p", "pbar_p_model", "pbar_rigidity", ("pbar/p:AMS-02",), "rigidity [GV]"),
)
"""(file name, variable, x coordinate, data sets, x label) of the ratio figures."""


def write_figures(
    letter: xr.Dataset,
    modern: xr.Dataset | None,
    outdir: Path,
    stochastic: xr.Dataset | None = None,
    posterior=None,
) -> list[Path]:
    """The letter's Figures 1-3, B/C and pbar/p as PNG and PDF in ``outdir/figures`` (with
    ``stochastic``: Figure 3 with the nearby sources' bands and the knee-region spectra; with
    ``posterior``, an InferResult: the corner plot of tau, D0 and phi); returns the PNG paths."""
    from ..plots import save
    from ..plots.inference import corner_figure
    from ..plots.reproduce import (
        anisotropy_figure,
        emissivity_profiles_figure,
        gas_profiles_figure,
        knee_spectra_figure,
        longitude_profiles_figure,
        ratio_figure,
        tau_likelihood_figure,
    )

    figdir = outdir / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    figures = {
        "fig1_emissivity": emissivity_profiles_figure(letter),
        "fig2_longitude_profile": longitude_profiles_figure(letter),
        "fig3_anisotropy": anisotropy_figure(letter, stochastic),
    }
    if stochastic is not None and stochastic.attrs.get("points_ok", 0):
        figures["knee_spectra"] = knee_spectra_figure(stochastic)
    if "gas_minus2lnl" in letter:
        figures["tau_likelihood_gas_models"] = tau_likelihood_figure(letter)
        if 0.85 in letter["diffusion.tau"].values:
            figures["fig2_gas_models"] = gas_profiles_figure(letter, 0.85)
    for name, *rest in RATIO_FIGURES:
        figures[name] = ratio_figure(letter, modern, name, *rest)
    if posterior is not None:
        figures["posterior_tau"] = corner_figure(posterior)
    paths = []
    for name, fig in figures.items():
        fig.savefig(figdir / f"{name}.pdf")
        paths.append(save(fig, figdir / f"{name}.png"))
    return paths


def _posterior(settings, outdir: Path, client) -> tuple[object | None, dict]:
    """The result of :func:`run_posterior` and its summary, or None and ``{"status":
    "failed", "error": ...}`` when it fails (the other steps' results are still reported, as a
    failed scan point is)."""
    try:
        res = run_posterior(settings, outdir, client)
    except Exception as exc:  # noqa: BLE001 - reported in the summary, the run goes on
        log.warning("posterior failed: %s: %s", type(exc).__name__, exc)
        return None, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    return res, summarise_posterior(res, settings)


def reproduce(outdir, fast: bool = False, modern: bool = True, client=None) -> dict:
    """Run the whole reproduction into ``outdir``; returns the summary."""
    from ..io import atomic_path

    t0 = time.perf_counter()
    settings = FAST if fast else FULL
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    letter = run_era(settings, "letter", TAUS, outdir, client)
    mod = run_era(settings, "modern", (0.0, 0.85), outdir, client) if modern else None
    stoch = run_stochastic(settings, fitted_d0(letter), outdir, client)
    post, post_summary = _posterior(settings, outdir, client)
    summary = {"settings": settings.label, "letter": summarise(letter)}
    if mod is not None:
        summary["modern"] = summarise(mod)
    if stoch is not None:
        summary["stochastic"] = summarise_stochastic(stoch, settings)
    summary["posterior"] = post_summary
    figs = write_figures(letter, mod, outdir, stoch, post)
    log.info(
        "figures written: %d (PNG and PDF) in %s", len({f.stem for f in figs}), outdir / "figures"
    )
    wall = time.perf_counter() - t0
    summary["wall_seconds"] = wall
    summary["load_average_1min_at_end"] = os.getloadavg()[0]  # other jobs slow the wall time
    with atomic_path(outdir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    with atomic_path(outdir / "report.md") as tmp:
        tmp.write_text(report_markdown(summary, settings, figs, outdir, wall))
    log.info(
        "report written: %s, %s (%.0f s in all)",
        outdir / "report.md",
        outdir / "summary.json",
        wall,
    )
    return summary
