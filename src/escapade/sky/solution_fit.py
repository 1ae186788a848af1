"""The template fit of a solution against the Fermi-LAT counts map, in one call.

:func:`fit_solution` makes the per-phase maps of a solution
(:func:`escapade.sky.templates.process_maps`: pi0 + bremsstrahlung of each gas phase,
:func:`~escapade.sky.templates.phase_templates`, and IC for leptonic solutions), brings
them to the nside of the data with :func:`escapade.sky.compare.regrid`, adds the 4FGL-DR2
point sources (:func:`escapade.sky.point_sources.point_source_map`, optional) and fits the
shipped counts map: with the model-systematic fraction f fitted
(:func:`escapade.sky.systematics.fit_systematic_fraction`) or fixed
(:func:`escapade.sky.likelihood.fit_templates`). ``escapade gamma --fit`` calls it and
writes :meth:`SolutionFit.to_json`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..io import atomic_path
from ..solution import as_solution
from .compare import regrid
from .fermi import load_fermi_maps
from .likelihood import REGIONS, TemplateFitResult, fit_templates, region_pixels
from .point_sources import point_source_map
from .systematics import fit_systematic_fraction

__all__ = ["FitSettings", "SolutionFit", "check_fit_band", "fit_solution"]

POINT_SOURCES = "point_sources"


@dataclass(frozen=True)
class FitSettings:
    """How :func:`fit_solution` fits (stored with the result)."""

    region: str = "absb5"
    """A name of ``REGIONS`` of :mod:`escapade.sky.likelihood` (absb5, absb8)."""
    point_sources: bool = True
    """Add the 4FGL-DR2 map as a template with its own normalisation."""
    point_source_psf: str | float | None = "psf3"
    """The ``psf`` of :func:`escapade.sky.point_sources.point_source_map`."""
    systematic_fraction: str | float = "fit"
    """``"fit"`` (maximum likelihood, with its 68 % interval) or a fixed f >= 0."""
    mask_point_sources: bool = True
    """Leave out the shipped point-source mask."""
    isotropic_prior_width: float | None = 0.3
    """Width of the Gaussian prior on the isotropic (IGRB) normalisation."""
    regroup_nside: int = 16
    """Coarse pixels of the f > 0 statistic."""

    def __post_init__(self):
        if self.region not in REGIONS:
            raise ValueError(f"region={self.region!r}: allowed {', '.join(map(repr, REGIONS))}")
        f = self.systematic_fraction
        if isinstance(f, str):
            if f != "fit":
                raise ValueError(f"systematic_fraction={f!r}: allowed 'fit' or a number in [0, 10)")
        elif not (isinstance(f, (int, float)) and math.isfinite(f) and 0.0 <= f < 10.0):
            raise ValueError(f"systematic_fraction={f!r}: allowed 'fit' or a number in [0, 10)")


def check_fit_band(band) -> tuple[float, float]:
    """``band`` if the shipped Fermi-LAT maps cover it, else a one-line ValueError."""
    data = tuple(float(x) for x in load_fermi_maps().band)
    if not np.allclose([float(x) for x in band], data, rtol=1e-6):
        raise ValueError(
            f"band {band[0]:g}:{band[1]:g} GeV has no Fermi-LAT counts to fit; allowed "
            f"{data[0]:g}:{data[1]:g} (the shipped data)"
        )
    return data


@dataclass
class SolutionFit:
    """The fit of one solution: the template fit, f (fitted or fixed) and what was fitted."""

    fit: TemplateFitResult
    systematic_fraction: float
    interval_68: list[float] | None
    settings: FitSettings
    gas_model: str
    dark_gas: bool
    band_gev: list[float]
    nside_maps: int
    nside_fit: int
    templates_dropped: list[str] = field(default_factory=list)
    scan: list[list[float]] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        fit = self.fit
        return {
            "band_gev": self.band_gev,
            "gas_model": self.gas_model,
            "dark_gas": self.dark_gas,
            "normalisations": fit.as_dict()["normalisations"],
            "minus2lnl": fit.minus2lnl,
            "deviance": fit.deviance,
            "ndof": fit.ndof,
            "n_pixels": fit.n_pixels,
            "statistic": fit.statistic,
            "chi2_groups": fit.chi2_groups,
            "ndof_groups": fit.ndof_groups,
            "at_limit": list(fit.at_limit),
            "valid": fit.valid,
            "systematic_fraction": {
                "value": self.systematic_fraction,
                "interval_68": self.interval_68,
                "mode": "fit" if self.interval_68 is not None else "fixed",
                "scan": self.scan,
            },
            "settings": asdict(self.settings)
            | {
                "nside_maps": self.nside_maps,
                "nside_fit": self.nside_fit,
                "isotropic_intensity": fit.isotropic_intensity,
                "templates_dropped": list(self.templates_dropped),
            },
            "meta": dict(self.meta),
            "fit": fit.as_dict(),
        }

    def to_json(self, path) -> None:
        """Write :meth:`as_dict` as JSON, atomically."""
        text = json.dumps(self.as_dict(), indent=2, allow_nan=True)
        with atomic_path(path, suffix=".json") as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")

    def table(self) -> list[str]:
        """A short text table of the normalisations and the statistics."""
        fit = self.fit
        lines = [f"  {'template':<14} {'normalisation':>13} {'error':>10}"]
        for n, v, e in zip(fit.names, fit.values, fit.errors, strict=True):
            flag = "  (at limit 0)" if n in fit.at_limit else ""
            lines.append(f"  {n:<14} {v:13.4g} {e:10.2g}{flag}")
        f = f"f = {self.systematic_fraction:.3g}"
        if self.interval_68 is not None:
            f += f" ({self.interval_68[0]:.3g}-{self.interval_68[1]:.3g}, fitted)"
        else:
            f += " (fixed)"
        lines.append(
            f"  -2 ln L = {fit.minus2lnl:.1f}; deviance {fit.deviance:.1f} for {fit.ndof} dof; {f}"
        )
        return lines


def _templates(maps, nside_fit, region, band, settings) -> tuple[dict, list[str]]:
    """Regridded phase templates (+ point sources); those zero in the region dropped."""
    from .templates import phase_templates

    inside = region_pixels(region, nside_fit)
    templates, dropped = {}, []
    for name, values in phase_templates(maps).items():
        t = regrid(values, nside_fit)
        if np.any(t[inside] > 0.0):
            templates[name] = t
        else:
            dropped.append(name)
    if settings.point_sources:
        templates[POINT_SOURCES] = point_source_map(nside_fit, band, psf=settings.point_source_psf)
    return templates, dropped


def fit_solution(
    ds,
    band=(2.0, 20.0),
    nside: int = 128,
    settings: FitSettings | None = None,
    maps: dict | None = None,
    **skymap_keywords,
) -> SolutionFit:
    """Template fit of a solution (or Dataset) against the shipped Fermi-LAT counts map.

    ``band`` must be the data's (2-20 GeV); ``nside``: the resolution of the model maps
    (regridded to the data's nside for the fit); ``settings``: :class:`FitSettings`;
    ``maps``: a :func:`~escapade.sky.templates.process_maps` result to reuse; the other
    keywords go to ``process_maps`` (``model``, ``ic_anisotropic``, ``ic_lmax``, ...).
    """
    settings = settings or FitSettings()
    band = check_fit_band(band)
    sol = as_solution(ds)
    if maps is None:
        from .templates import process_maps

        maps = process_maps(sol, band, nside, **skymap_keywords)
    nside_fit = int(load_fermi_maps().nside)
    templates, dropped = _templates(maps, nside_fit, settings.region, band, settings)
    kwargs = dict(
        region=settings.region,
        mask_point_sources=settings.mask_point_sources,
        isotropic_prior_width=settings.isotropic_prior_width,
        regroup_nside=settings.regroup_nside,
        band_gev=band,
    )
    scan: list[list[float]] = []
    if settings.systematic_fraction == "fit":
        res = fit_systematic_fraction(templates, **kwargs)
        fit, f, interval = res.fit, res.f, [res.f_lo, res.f_hi]
        scan = [list(p) for p in res.scan]
    else:
        f = float(settings.systematic_fraction)
        fit, interval = fit_templates(templates, systematic_fraction=f, **kwargs), None
    gas = sol.config.gas
    d = sol.config.diffusion
    return SolutionFit(
        fit=fit,
        systematic_fraction=float(f),
        interval_68=interval,
        settings=settings,
        gas_model=gas.model,
        dark_gas=bool(gas.dark_gas),
        band_gev=[float(x) for x in band],
        nside_maps=int(nside),
        nside_fit=nside_fit,
        templates_dropped=dropped,
        scan=scan,
        meta={
            "label": sol.label,
            "diffusion_model": d.model,
            "tau": float(d.tau) if d.model == "source_correlated" else 0.0,
        },
    )
