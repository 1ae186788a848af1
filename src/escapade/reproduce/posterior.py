"""The posterior of tau, D0 and phi in ``escapade reproduce`` (issue 19; docs/fits.md).

The letter's fits fix tau on a grid and fit D0 (and phi) at each value. This step samples
tau, D0 and phi together on the same letter-era B/C (:data:`LETTER_DATA` above 5 GV) through
the public inference API (:func:`escapade.inference.infer`, the fit's likelihood and emcee):

* tau uniform on [0, 1] (:data:`TAU_PRIOR`), D0 log-uniform (:data:`D0_PRIOR`), phi with the
  Gaussian prior the reproduce fits use (``PHI_GV +- PHI_PRIOR_GV``);
* on the reduced grid :attr:`Settings.posterior_grid` (no antiprotons: B/C does not use
  them) with :attr:`Settings.posterior_walkers` x :attr:`Settings.posterior_steps`, the
  walkers evaluated on :attr:`Settings.posterior_workers` local dask processes (or on the
  reproduce run's scheduler);
* the chain, ``summary.json`` and ``best_fit.toml`` in ``OUT/posterior/`` (a rerun continues
  the chain), the corner plot as ``figures/posterior_tau.png``.

:func:`summarise_posterior` gives the numbers of ``summary.json`` (``posterior``) and
:func:`posterior_table` the report's lines; :func:`posterior_claim` the claims row that
quotes the interval of tau from B/C.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..config import Config, with_updates
from .settings import LETTER_DATA, PHI_GV, PHI_PRIOR_GV, Settings, base_config

log = logging.getLogger("escapade.reproduce")

FREE = ("diffusion.tau", "diffusion.d0_cm2_s", "modulation.phi_gv")
TAU_PRIOR = "uniform:0:1"
D0_PRIOR = "loguniform:1e27:1e29"
POSTERIOR_DIR = "posterior"
RMIN_GV = 5.0
SEED = 1
WIDE = (0.05, 0.95)
"""The 95 % interval of tau reaches below WIDE[0] and above WIDE[1]: B/C leaves tau free."""


def posterior_priors() -> dict[str, str]:
    return {
        "diffusion.tau": TAU_PRIOR,
        "diffusion.d0_cm2_s": D0_PRIOR,
        "modulation.phi_gv": f"gauss:{PHI_GV:g}:{PHI_PRIOR_GV:g}",
    }


def posterior_config(settings: Settings) -> Config:
    """The letter preset on the posterior's reduced grid, without antiprotons."""
    nr, nz, n_ekin, z_max = settings.posterior_grid
    return with_updates(
        base_config(settings),
        {
            "grid.nr": nr,
            "grid.nz": nz,
            "grid.n_ekin": n_ekin,
            "species.z_max": z_max,
            "species.antiprotons": False,
        },
    )


def grid_label(settings: Settings) -> str:
    nr, nz, n_ekin, z_max = settings.posterior_grid
    return f"{nr} x {nz} x {n_ekin}, Z <= {z_max}"


def run_posterior(settings: Settings, outdir: Path, client=None):
    """The posterior (an :class:`~escapade.inference.result.InferResult`) written to
    ``outdir/posterior``; ``client``: the reproduce run's dask client or scheduler address
    (None: :attr:`Settings.posterior_workers` local processes)."""
    from ..inference import infer

    t0 = time.perf_counter()
    log.info(
        "posterior of tau, D0 and phi started: %d walkers x %d steps on %s (%s)",
        settings.posterior_walkers,
        settings.posterior_steps,
        ", ".join(LETTER_DATA),
        grid_label(settings),
    )
    res = infer(
        posterior_config(settings),
        data=list(LETTER_DATA),
        free=list(FREE),
        priors=posterior_priors(),
        rmin_gv=RMIN_GV,
        phi_gv=PHI_GV,
        walkers=settings.posterior_walkers,
        steps=settings.posterior_steps,
        seed=SEED,
        draws=0,
        output=Path(outdir) / POSTERIOR_DIR,
        client=client,
        workers=None if client is not None else settings.posterior_workers,
    )
    p = res.parameters["diffusion.tau"]
    log.info(
        "posterior finished: tau = %.2f (68 %%: %.2f-%.2f), acceptance %.2f, %s (%.0f s)",
        p["median"],
        p["lo68"],
        p["hi68"],
        res.diagnostics["acceptance_fraction"],
        "converged" if res.diagnostics["converged"] else "not converged",
        time.perf_counter() - t0,
    )
    return res


def summarise_posterior(res, settings: Settings) -> dict:
    """The numbers of ``summary.json`` (``posterior``): per parameter the median, the 68 % and
    95 % intervals, the MAP value and the prior; the MAP chi2; the sampler's diagnostics."""
    d = res.to_dict()
    diag = d["diagnostics"]
    keep = ("median", "lo68", "hi68", "lo95", "hi95", "map", "prior")
    return {
        "data": d["data"],
        "rmin_gv": RMIN_GV,
        "grid": grid_label(settings),
        "walkers": diag["walkers"],
        "steps": diag["steps"],
        "burn": diag["burn"],
        "parameters": {k: {x: v[x] for x in keep} for k, v in d["parameters"].items()},
        "map_chi2": d["map"]["chi2"],
        "ndof": d["map"]["ndof"],
        "acceptance_fraction": diag["acceptance_fraction"],
        "autocorrelation_steps": diag["tau"],
        "ess": diag["ess"],
        "converged": diag["converged"],
        "convergence_rule": diag["convergence_rule"],
        "n_evaluations": d["n_evaluations"],
        "seconds_per_evaluation": d["seconds_per_evaluation"],
        "wall_seconds": d["wall_seconds"],
        "folder": POSTERIOR_DIR,
    }


def _interval(p: dict, fmt: str = ".2f") -> str:
    return (
        f"{p['median']:{fmt}} (68 %: {p['lo68']:{fmt}}-{p['hi68']:{fmt}}; 95 %: "
        f"{p['lo95']:{fmt}}-{p['hi95']:{fmt}})"
    )


def _max_autocorrelation(post: dict) -> float | None:
    taus = [t for t in post["autocorrelation_steps"].values() if t is not None]
    return max(taus) if taus else None


def posterior_claim(post: dict) -> tuple[str, str, str] | None:
    """The letter's B/C statement against the posterior: does B/C leave tau free (its 95 %
    interval reaching both ends of the prior, :data:`WIDE`)? The numbers quote the interval."""
    t = post.get("parameters", {}).get("diffusion.tau")
    if t is None:
        return None
    wide = t["lo95"] <= WIDE[0] and t["hi95"] >= WIDE[1]
    verdict = (
        "supported: B/C leaves tau free"
        if wide
        else f"not supported: B/C alone prefers tau {t['lo95']:.2f}-{t['hi95']:.2f} (95 %)"
    )
    if not post["converged"]:
        verdict += " (chain not converged: indicative)"
    d0, phi = post["parameters"]["diffusion.d0_cm2_s"], post["parameters"]["modulation.phi_gv"]
    act = _max_autocorrelation(post)
    return (
        "B/C does not fix tau (the posterior of tau, D0 and phi on the letter-era B/C)",
        verdict,
        f"tau = {_interval(t)}, MAP {t['map']:.2f}; D0 = {d0['median']:.3g} "
        f"({d0['lo68']:.3g}-{d0['hi68']:.3g}) cm^2/s; phi = {phi['median']:.2f} "
        f"({phi['lo68']:.2f}-{phi['hi68']:.2f}) GV; {post['walkers']} walkers x "
        f"{post['steps']} steps on {post['grid']}, acceptance "
        f"{post['acceptance_fraction']:.2f}, autocorrelation "
        f"{'?' if act is None else f'{act:.1f}'} steps",
    )


def posterior_table(post: dict) -> list[str]:
    """The report's lines on the posterior (markdown)."""
    act = _max_autocorrelation(post)
    lines = [
        f"emcee, {post['walkers']} walkers x {post['steps']} steps (burn-in {post['burn']}) on "
        f"{post['grid']}, {', '.join(post['data'])} above {post['rmin_gv']:g} GV; the fit's "
        f"likelihood (escapade.inference). MAP chi2 = {post['map_chi2']:.1f} for "
        f"{post['ndof']} dof; acceptance {post['acceptance_fraction']:.2f}; largest "
        f"autocorrelation time {'?' if act is None else f'{act:.1f}'} steps; "
        f"{'converged' if post['converged'] else 'not converged'} by the rule "
        f"{post['convergence_rule']}; {post['n_evaluations']} evaluations, "
        f"{post['wall_seconds']:.0f} s. Chain and summary: `{post['folder']}/`; corner plot: "
        "`figures/posterior_tau.png`.",
        "",
        "| parameter | prior | median | 68 % interval | 95 % interval | MAP "
        "| autocorrelation [steps] | ESS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, p in post["parameters"].items():
        fmt = ".4g" if k == "diffusion.d0_cm2_s" else ".3f"
        t, ess = post["autocorrelation_steps"].get(k), post["ess"].get(k)
        lines.append(
            f"| {k} | {p['prior']} | {p['median']:{fmt}} | {p['lo68']:{fmt}}-{p['hi68']:{fmt}} "
            f"| {p['lo95']:{fmt}}-{p['hi95']:{fmt}} | {p['map']:{fmt}} "
            f"| {'?' if t is None else f'{t:.1f}'} | {'?' if ess is None else f'{ess:.0f}'} |"
        )
    return lines
