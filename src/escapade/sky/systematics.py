"""The model-systematic fraction of the template fit, fitted from the data.

:func:`escapade.sky.likelihood.fit_templates` takes the fraction f as a fixed nuisance:
each regrouped pixel has the Gaussian variance mu + (f mu)^2. Because that likelihood
keeps its ln(2 pi var) term, it is normalised in f, and f itself can be estimated by
maximum likelihood: :func:`fit_systematic_fraction` minimises the profile -2 ln L(f)
(the normalisations refitted at each f) over [f_min, f_max] and gives the interval where
-2 ln L is within 1 of its minimum (68 % for one parameter, Wilks' theorem). The f that
the data ask for is then a measured property of the model: how far, in fractional terms,
the templates are from the sky on the regrouping scale (``regroup_nside``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scipy.optimize import brentq, minimize_scalar

from .likelihood import TemplateFitResult, fit_templates

__all__ = ["SystematicFractionFit", "fit_systematic_fraction"]


@dataclass
class SystematicFractionFit:
    """Best systematic fraction, its 68 % interval, and the template fit at that f."""

    f: float
    f_lo: float
    f_hi: float
    fit: TemplateFitResult
    scan: list[tuple[float, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "systematic_fraction": self.f,
            "interval_68": [self.f_lo, self.f_hi],
            "scan": [list(p) for p in self.scan],
            "fit": self.fit.as_dict(),
        }


def fit_systematic_fraction(
    templates,
    f_min: float = 1e-4,
    f_max: float = 1.0,
    xatol: float = 1e-4,
    **fit_kwargs,
) -> SystematicFractionFit:
    """Maximum-likelihood model-systematic fraction of a template fit, with its interval.

    ``fit_kwargs`` go to :func:`~escapade.sky.likelihood.fit_templates` (region, mask,
    isotropic prior, ``regroup_nside``, simulated counts, ...). f is searched in
    [``f_min``, ``f_max``] (f_min > 0: at f = 0 ``fit_templates`` switches to the Poisson
    likelihood of the pixels, another statistic). An interval end at a search bound means
    the data do not bound f there.
    """
    if "systematic_fraction" in fit_kwargs:
        raise ValueError("systematic_fraction is what this function fits; do not pass it")
    if not (0.0 < f_min < f_max < 10.0):
        raise ValueError(f"f_min={f_min!r}, f_max={f_max!r}: need 0 < f_min < f_max < 10")
    scan: list[tuple[float, float]] = []

    def profile(f: float) -> float:
        value = fit_templates(templates, systematic_fraction=float(f), **fit_kwargs).minus2lnl
        scan.append((float(f), value))
        return value

    best = minimize_scalar(
        profile, bounds=(f_min, f_max), method="bounded", options={"xatol": xatol}
    )
    f_hat, m2_min = float(best.x), float(best.fun)

    def above(f: float) -> float:
        return profile(f) - (m2_min + 1.0)

    f_lo = f_min if above(f_min) <= 0.0 else brentq(above, f_min, f_hat, xtol=xatol)
    f_hi = f_max if above(f_max) <= 0.0 else brentq(above, f_hat, f_max, xtol=xatol)
    fit = fit_templates(templates, systematic_fraction=f_hat, **fit_kwargs)
    return SystematicFractionFit(f_hat, float(f_lo), float(f_hi), fit, sorted(scan))
