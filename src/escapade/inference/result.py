"""The result of :func:`~escapade.inference.sampler.infer`: the chain, the summary and the files."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .chain import Chain
from .priors import InferError, Prior

SUMMARY_FILE = "summary.json"
BEST_FIT_FILE = "best_fit.toml"


def _clean(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def diagnostics(chain: Chain, burn: int) -> dict[str, Any]:
    """Integrated autocorrelation time per parameter (emcee, ``tol=0``: an estimate even when
    the chain is short) and the effective sample size = samples after burn-in / tau."""
    import emcee

    kept = chain.chain[burn:]
    n_steps, n_walkers = kept.shape[:2]
    if n_steps >= 4:
        with np.errstate(invalid="ignore", divide="ignore"):  # a walker that never moved
            tau = emcee.autocorr.integrated_time(kept, tol=0)
    else:
        tau = np.full(len(chain.names), np.nan)
    acc = chain.acceptance()
    return {
        "steps": int(chain.n_steps),
        "walkers": int(n_walkers),
        "burn": int(burn),
        "acceptance_fraction": float(acc.mean()),
        "acceptance_fraction_min": float(acc.min()),
        "tau": {k: _clean(t) for k, t in zip(chain.names, tau, strict=True)},
        "ess": {
            k: _clean(n_steps * n_walkers / t) if t > 0 else None
            for k, t in zip(chain.names, tau, strict=True)
        },
        "converged": bool(np.all(np.isfinite(tau)) and n_steps > 50 * np.nanmax(tau)),
        "convergence_rule": "steps after burn-in > 50 x the largest tau (emcee's advice)",
    }


def parameter_summary(chain: Chain, burn: int) -> dict[str, dict[str, float]]:
    """Median, 68 % (16th-84th percentile) and 95 % (2.5th-97.5th) intervals, mean, std."""
    flat = chain.chain[burn:].reshape(-1, len(chain.names))
    out = {}
    for j, k in enumerate(chain.names):
        q = np.percentile(flat[:, j], [2.5, 16.0, 50.0, 84.0, 97.5])
        out[k] = {
            "median": float(q[2]),
            "lo68": float(q[1]),
            "hi68": float(q[3]),
            "lo95": float(q[0]),
            "hi95": float(q[4]),
            "mean": float(flat[:, j].mean()),
            "std": float(flat[:, j].std()),
        }
    return out


@dataclass
class InferResult:
    """What :func:`~escapade.inference.sampler.infer` returns.

    Attributes
    ----------
    chain : the whole chain (:class:`~escapade.inference.chain.Chain`, natural units).
    priors : the prior of every free parameter (order of ``chain.names``).
    burn : steps dropped before the summary. ``parameters`` : per key median, lo68, hi68,
        lo95, hi95, mean, std. ``diagnostics`` : acceptance, tau and ESS per parameter.
    map_values, map_chi2, map_log_posterior : the chain's maximum a posteriori point.
    best_config : the config at that point. ``ndof`` : points - physical free parameters.
    terms : the fitted data sets (:class:`~escapade.fit.likelihood.DataTerm`: their points
        and errors).
    draws : per data set, (draw, point) model values at posterior draws; ``map_model`` the
        model at the MAP point (the chi2's normalisations applied).
    """

    chain: Chain
    priors: list[Prior]
    burn: int
    parameters: dict[str, dict[str, float]]
    diagnostics: dict[str, Any]
    map_values: dict[str, float]
    map_chi2: float
    map_log_posterior: float
    best_config: Any
    ndof: int
    terms: list = field(default_factory=list, repr=False)
    draws: list[np.ndarray] = field(default_factory=list, repr=False)
    map_model: list[np.ndarray] = field(default_factory=list, repr=False)
    settings: dict = field(default_factory=dict)
    n_evaluations: int = 0
    seconds_per_evaluation: float = math.nan
    wall_s: float = 0.0

    @property
    def names(self) -> list[str]:
        return list(self.chain.names)

    def samples(self) -> np.ndarray:
        """The samples after burn-in, flattened: (sample, parameter)."""
        return self.chain.chain[self.burn :].reshape(-1, len(self.names))

    def summary(self) -> str:
        d = self.diagnostics
        lines = [
            f"posterior: {d['walkers']} walkers x {d['steps']} steps (burn-in {self.burn}), "
            f"acceptance {d['acceptance_fraction']:.2f}, MAP chi2 = {self.map_chi2:.3f} for "
            f"{self.ndof} dof; {self.n_evaluations} evaluations, {self.wall_s:.1f} s"
        ]
        for k, s in self.parameters.items():
            tau, ess = d["tau"][k], d["ess"][k]
            lines.append(
                f"  {k} = {s['median']:.5g} (68 %: {s['lo68']:.5g} - {s['hi68']:.5g}; "
                f"95 %: {s['lo95']:.5g} - {s['hi95']:.5g}); MAP {self.map_values[k]:.5g}; "
                f"tau {'?' if tau is None else f'{tau:.1f}'} steps, ESS "
                f"{'?' if ess is None else f'{ess:.0f}'}"
            )
        if not d["converged"]:
            lines.append(f"  note: not converged by the rule {d['convergence_rule']}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The content of ``summary.json``."""
        from .._version import __version__

        return {
            "escapade_version": __version__,
            "parameters": {
                k: {**s, "map": float(self.map_values[k]), "prior": pr.text}
                for (k, s), pr in zip(self.parameters.items(), self.priors, strict=True)
            },
            "map": {
                "values": {k: float(v) for k, v in self.map_values.items()},
                "chi2": float(self.map_chi2),
                "log_posterior": float(self.map_log_posterior),
                "ndof": int(self.ndof),
            },
            "diagnostics": self.diagnostics,
            "data": [t.name for t in self.terms],
            "n_points": int(sum(t.n_points for t in self.terms)),
            "n_evaluations": int(self.n_evaluations),
            "seconds_per_evaluation": _clean(self.seconds_per_evaluation),
            "wall_seconds": float(self.wall_s),
            "start": self.chain.start or {},
            "settings": self.settings,
        }

    def config_toml(self) -> str:
        """The MAP config as TOML with a header (rerun it with ``escapade run``)."""
        from ..config import dump_config

        head = [
            "# Maximum a posteriori point of `escapade infer` "
            f"({self.diagnostics['walkers']} walkers x {self.diagnostics['steps']} steps).",
            f"# data: {', '.join(t.name for t in self.terms)}; chi2 = {self.map_chi2:.3f} for "
            f"{self.ndof} dof",
        ]
        for k, s in self.parameters.items():
            head.append(
                f"# {k}: MAP {self.map_values[k]:.6g}, median {s['median']:.6g}, 68 % "
                f"{s['lo68']:.6g} - {s['hi68']:.6g}"
            )
        return "\n".join(head) + "\n\n" + dump_config(self.best_config)

    def write(self, outdir: str | Path, figures: dict | None = None) -> dict[str, Path]:
        """Write ``summary.json``, ``best_fit.toml`` and the ``figures`` (name -> matplotlib
        Figure, e.g. ``corner.png``) into ``outdir``, each atomically."""
        from ..io import atomic_path

        out = Path(outdir)
        if out.exists() and not out.is_dir():
            raise InferError(f"output {str(out)!r} is a file; give a folder such as post/")
        out.mkdir(parents=True, exist_ok=True)
        paths = {"summary": out / SUMMARY_FILE, "config": out / BEST_FIT_FILE}
        with atomic_path(paths["summary"], suffix=".json") as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        with atomic_path(paths["config"], suffix=".toml") as tmp:
            tmp.write_text(self.config_toml(), encoding="utf-8")
        for name, fig in (figures or {}).items():
            paths[name] = out / name
            with atomic_path(paths[name], suffix=Path(name).suffix) as tmp:
                fig.savefig(tmp, dpi=120, format=Path(name).suffix.lstrip(".") or "png")
        return paths
