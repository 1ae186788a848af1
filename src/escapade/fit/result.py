"""The result of a fit: values, errors, chi2, the best-fit config and solution, and files."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .likelihood import DataTerm
from .parameters import FitError

# ------------------------------------------------------------------------------ the result


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    values, errors : best-fit value and HESSE error of every free parameter (natural units;
        the error of a log10-fitted parameter is value * ln(10) * error of its log10).
    minos : (lower, upper) MINOS errors (lower < 0) when asked for, else empty.
    fixed : what was fixed for the fit (``fix``, and phi when it was neither free nor fixed).
    correlation : correlation matrix of the free parameters (order of ``parameters``).
    covariance : covariance matrix in natural units.
    chi2, ndof, pvalue : at the best fit (exact model); ndof = points - free parameters
        (normalisations with their penalty terms are not counted).
    terms : per data set: name, chi2, points, excluded points, phi, normalisation.
    priors : per Gaussian prior: parameter name, mean, sigma and its chi2 (included in
        ``chi2``; each prior counts as one measurement in ``ndof``).
    config : the best-fit :class:`~escapade.config.Config`.
    solution : the best-fit solution (:class:`xarray.Dataset`).
    n_solves : model evaluations (transport solves); ``n_chi2`` : chi2 evaluations;
    n_cached : chi2 evaluations whose solution came from the cache.
    wall_s : wall time of the fit. ``valid`` : MIGRAD converged (and the linearised method too).
    """

    parameters: list[str]
    values: dict[str, float]
    errors: dict[str, float]
    minos: dict[str, tuple[float, float]]
    fixed: dict[str, Any]
    correlation: np.ndarray
    covariance: np.ndarray
    chi2: float
    ndof: int
    pvalue: float
    terms: list[dict]
    config: Any
    solution: Any
    n_solves: int
    n_chi2: int
    n_cached: int
    wall_s: float
    valid: bool
    method: str
    message: str = ""
    settings: dict = field(default_factory=dict)
    log10: dict[str, bool] = field(default_factory=dict)
    data_terms: list[DataTerm] = field(default_factory=list, repr=False)
    priors: list[dict] = field(default_factory=list)

    @property
    def best_config(self):
        return self.config

    @property
    def chi2_per_ndof(self) -> float:
        return self.chi2 / self.ndof if self.ndof > 0 else math.nan

    def phi_of(self, term: str) -> float:
        return next(t["phi_gv"] for t in self.terms if t["name"] == term)

    def summary(self) -> str:
        lines = [
            f"fit ({self.method}) {'converged' if self.valid else 'NOT converged'}: "
            f"chi2 = {self.chi2:.2f} for {self.ndof} dof (chi2/ndof = {self.chi2_per_ndof:.3f},"
            f" p = {self.pvalue:.3g}); {self.n_solves} solves, {self.n_chi2} chi2 evaluations,"
            f" {self.wall_s:.1f} s"
        ]
        for p in self.parameters:
            s = f"  {p} = {self.values[p]:.6g} +- {self.errors[p]:.3g}"
            if p in self.minos:
                lo, hi = self.minos[p]
                s += f"  (MINOS {lo:+.3g} {hi:+.3g})"
            lines.append(s)
        for t in self.terms:
            extra = f", norm = {t['norm']:.4f}" if t["norm"] is not None else ""
            lines.append(
                f"  {t['name']}: chi2 = {t['chi2']:.2f} for {t['n_points']} points "
                f"(phi = {format_number(t['phi_gv'])} GV{extra})"
            )
        for t in self.priors:
            lines.append(
                f"  prior {t['name']} = {t['mean']:.4g} +- {t['sigma']:.3g}: chi2 = {t['chi2']:.2f}"
            )
        if self.message:
            lines.append(f"  note: {self.message}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The content of ``fit.json``."""
        from .._version import __version__

        corr = np.asarray(self.correlation, dtype=float)
        cov = np.asarray(self.covariance, dtype=float)

        def clean(x):
            return None if x is None or not np.isfinite(x) else float(x)

        return {
            "escapade_version": __version__,
            "method": self.method,
            "valid": bool(self.valid),
            "message": self.message,
            "parameters": {
                p: {
                    "value": float(self.values[p]),
                    "error": clean(self.errors[p]),
                    "minos": list(self.minos[p]) if p in self.minos else None,
                    "fitted_as": "log10" if self.log10.get(p) else "linear",
                }
                for p in self.parameters
            },
            "fixed": dict(self.fixed),
            "correlation": {
                "parameters": list(self.parameters),
                "matrix": [[clean(v) for v in row] for row in corr],
            },
            "covariance": [[clean(v) for v in row] for row in cov],
            "chi2": float(self.chi2),
            "ndof": int(self.ndof),
            "chi2_per_ndof": clean(self.chi2_per_ndof),
            "pvalue": clean(self.pvalue),
            "data": self.terms,
            "priors": self.priors,
            "n_model_evaluations": int(self.n_solves),
            "n_chi2_evaluations": int(self.n_chi2),
            "n_chi2_from_cache": int(self.n_cached),
            "wall_seconds": float(self.wall_s),
            "settings": self.settings,
        }

    def to_dataset(self):
        """The best-fit solution with the fit's results as variables (for ``escapade scan``).

        Adds ``fit_value`` and ``fit_error`` (dimension ``fit_parameter``), ``chi2``,
        ``ndof``, ``pvalue``, ``fit_valid``, ``fit_solves``, ``fit_chi2_evaluations``,
        ``fit_seconds`` and ``chi2_data`` (dimension ``fit_data``); ``fit_json`` attribute.
        """
        import xarray as xr

        ds = self.solution.copy()
        pars = np.array(self.parameters, dtype=object)
        ds = ds.assign_coords(fit_parameter=("fit_parameter", pars))
        ds["fit_value"] = ("fit_parameter", [self.values[p] for p in self.parameters])
        ds["fit_error"] = ("fit_parameter", [self.errors[p] for p in self.parameters])
        ds = ds.assign_coords(
            fit_data=("fit_data", np.array([t["name"] for t in self.terms], dtype=object))
        )
        ds["chi2_data"] = ("fit_data", [t["chi2"] for t in self.terms])
        ds["chi2"] = xr.DataArray(self.chi2, attrs={"long_name": "chi2 at the best fit"})
        ds["ndof"] = xr.DataArray(self.ndof)
        ds["pvalue"] = xr.DataArray(self.pvalue)
        ds["fit_valid"] = xr.DataArray(int(self.valid))
        ds["fit_solves"] = xr.DataArray(self.n_solves)
        ds["fit_chi2_evaluations"] = xr.DataArray(self.n_chi2)
        ds["fit_seconds"] = xr.DataArray(self.wall_s, attrs={"units": "s"})
        ds.attrs["fit_json"] = json.dumps(self.to_dict())
        return ds

    def config_toml(self) -> str:
        """The best-fit config as TOML with a header recording the fit (rerun with
        ``escapade run``)."""
        from datetime import date

        from ..config import dump_config

        head = [
            f"# Best fit written by `escapade fit` on {date.today().isoformat()}"
            f" ({self.method}, {'converged' if self.valid else 'NOT converged'}).",
            f"# data: {', '.join(t['name'] for t in self.terms)}; "
            f"rigidity >= {self.settings.get('rmin_gv')} GV"
            + (f", <= {self.settings['rmax_gv']} GV" if self.settings.get("rmax_gv") else "")
            + f"; syst = {self.settings.get('syst')}",
            f"# chi2 = {self.chi2:.3f} for {self.ndof} dof (p = {self.pvalue:.3g})",
        ]
        for p in self.parameters:
            head.append(f"# {p} = {self.values[p]:.6g} +- {self.errors[p]:.3g}")
        phis = sorted({round(t["phi_gv"], 6) for t in self.terms})
        if len(phis) == 1:
            head.append(
                f"# force-field potential phi = {phis[0]:.4g} GV (not a config key: "
                f"`escapade plot --phi {phis[0]:.4g}`)"
            )
        else:
            head.append(
                "# force-field potentials (not config keys): "
                + ", ".join(f"{t['name']}: {t['phi_gv']:.4g} GV" for t in self.terms)
            )
        return "\n".join(head) + "\n\n" + dump_config(self.config)

    def write(self, outdir: str | Path, stem: str = "best_fit", figure=None) -> dict[str, Path]:
        """Write ``<stem>.toml`` and ``fit.json`` into ``outdir``, and ``fit.png`` when a
        ``figure`` (a matplotlib Figure, e.g. :func:`escapade.plots.fit_figure` of this
        result, as ``escapade fit`` draws it) is given. Every file is written atomically."""
        from ..io import atomic_path

        out = Path(outdir)
        if out.exists() and not out.is_dir():
            raise FitError(f"output {str(out)!r} is a file; give a folder such as fit/")
        out.mkdir(parents=True, exist_ok=True)
        paths = {"config": out / f"{stem}.toml", "json": out / "fit.json"}
        with atomic_path(paths["config"]) as tmp:
            tmp.write_text(self.config_toml(), encoding="utf-8")
        with atomic_path(paths["json"]) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        if figure is not None:
            paths["figure"] = out / "fit.png"
            with atomic_path(paths["figure"], suffix=".png") as tmp:
                figure.savefig(tmp, dpi=150, format="png")
        return paths


def format_number(v: float) -> str:
    """A number in 3 significant digits, with round-off near zero shown as 0."""
    return "0" if abs(v) < 1e-9 else f"{v:.3g}"
